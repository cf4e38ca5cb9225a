//! Hostile bytes: random frames under every link type and mutations of real packets never make the dissector
//! or its renderers panic, keep every field, layer and note inside the frame, and render valid JSON. A
//! dissection reused from frame to frame gives what a fresh one gives.

mod common;

use common::{flannel, hex, inner_ping};
use proptest::prelude::*;
use vxscope_dissector::render::json::{FrameInfo, JsonWriter};
use vxscope_dissector::render::{NativeView, summary, tree};
use vxscope_dissector::{Config, Dissection, Dissector, LinkType};

/// Real packets to mutate: the seed, an ICMP error quoting VXLAN, TCP with options, IPv6 with extension
/// headers, GBP and GPE.
fn originals() -> Vec<(LinkType, Vec<u8>)> {
    let seed = flannel(40592, 8472, &inner_ping(1102));
    let quoted = {
        let mut f =
            hex("005056936a3a 00505693633b 0800 4500 00b0 0001 0000 4001 0000 ac106466 ac106465");
        f.extend_from_slice(&hex("0303 0000 00000000"));
        f.extend_from_slice(&seed[14..]);
        f
    };
    let tcp = hex("45000040 4000 4000 3f06 0000 0af4010c 0af4020e
         a8ca 1f90 3b9aca00 00000000 a002 fd5c 0000 0000
         02040582 0402 080a000003e800000000 01 030307");
    let ipv6 = hex(
        "60000000 0024 00 40 20010db8000000000000000000000001 20010db8000000000000000000000002
         2b00 0502 0000 0100  2c02 0401 0000 0000 20010db8000000000000000000000099
         3c00 0000 12345678  1100 0104 00000000",
    );
    let mut gbp = seed.clone();
    gbp[42..46].copy_from_slice(&hex("88480064"));
    let mut gpe = seed.clone();
    gpe[36..38].copy_from_slice(&4790u16.to_be_bytes());
    gpe[42..46].copy_from_slice(&hex("0c000003"));
    vec![
        (LinkType::ETHERNET, seed),
        (LinkType::ETHERNET, quoted),
        (LinkType::IPV4, tcp),
        (LinkType::IPV6, ipv6),
        (LinkType::ETHERNET, gbp),
        (LinkType::ETHERNET, gpe),
    ]
}

/// Dissects and renders `frame` every way; checks the invariants. Returns the summary.
fn check<'a>(
    dissector: &'a Dissector,
    reused: &mut Dissection<'a>,
    link: LinkType,
    frame: &[u8],
    wire: u32,
) -> String {
    let mut fresh = Dissection::new();
    dissector.dissect(link, frame, wire, &mut fresh);
    // `reused` has held other frames before: nothing of them may leak into this one.
    dissector.dissect(link, frame, wire, reused);
    assert_eq!(fresh.fields(), reused.fields());
    assert_eq!(fresh.layers(), reused.layers());
    assert_eq!(fresh.notes(), reused.notes());
    for f in fresh.fields() {
        assert!(
            f.range().end <= frame.len(),
            "{:?} @{}+{}",
            f.id,
            f.offset,
            f.len
        );
    }
    for l in fresh.layers() {
        assert!((l.offset + l.len) as usize <= frame.len(), "{:?}", l.proto);
    }
    for n in fresh.notes() {
        assert!((n.offset + n.len) as usize <= frame.len(), "{:?}", n.code);
    }
    let view = NativeView {
        dissection: &fresh,
        frame,
    };
    let mut out = Vec::new();
    tree::write(&mut out, &view);
    assert!(std::str::from_utf8(&out).is_ok());
    out.clear();
    let info = FrameInfo {
        number: 1,
        ts_sec: 0,
        ts_nsec: 0,
        caplen: frame.len() as u32,
        len: wire,
        file: None,
    };
    JsonWriter::new().write_frame(&mut out, &info, &view);
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&out) {
        panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(&out));
    }
    out.clear();
    summary::write(&mut out, &fresh, frame);
    String::from_utf8(out).expect("UTF-8 summary")
}

fn dissectors() -> Vec<Dissector> {
    vec![
        Dissector::new(Config::default()),
        Dissector::new(Config {
            decode_8472_as_otv: true,
            gbp: true,
            ..Config::default()
        }),
        Dissector::new(Config {
            vxlan_ports: (0..=u16::MAX).collect(),
            ..Config::default()
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_frames_under_every_link_type(
        frame in prop::collection::vec(any::<u8>(), 0..256),
        extra in 0u32..2000,
    ) {
        let dissectors = dissectors();
        for dissector in &dissectors {
            let mut d = Dissection::new();
            for link in LinkType::DECODED {
                check(dissector, &mut d, link, &frame, frame.len() as u32 + extra);
            }
        }
    }

    #[test]
    fn mutated_packets(
        which in 0..6usize,
        mutations in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let (link, mut frame) = originals().swap_remove(which);
        for (at, b) in mutations {
            let i = at.index(frame.len());
            frame[i] = b;
        }
        let keep = cut.index(frame.len() + 1);
        let dissectors = dissectors();
        for dissector in &dissectors {
            let mut d = Dissection::new();
            check(dissector, &mut d, link, &frame, frame.len() as u32);
            check(dissector, &mut d, link, &frame[..keep], frame.len() as u32);
        }
    }
}

#[test]
fn the_originals_are_what_they_claim() {
    // The packets the mutations start from decode as meant.
    let dissector = Dissector::new(Config::default());
    let mut d = Dissection::new();
    let sums: Vec<String> = originals()
        .iter()
        .map(|(link, frame)| check(&dissector, &mut d, *link, frame, frame.len() as u32))
        .collect();
    assert!(sums[0].contains("VXLAN vni 1 | 10.244.1.12 > 10.244.2.14 ICMP echo request"));
    assert!(
        sums[1].contains(
            "ICMP port unreachable for 172.16.100.101:40592 > 172.16.100.102:8472 UDP VXLAN vni 1"
        ),
        "{}",
        sums[1]
    );
    assert!(
        sums[2].contains("10.244.1.12:43210 > 10.244.2.14:8080 TCP [S]"),
        "{}",
        sums[2]
    );
    assert!(
        sums[3].starts_with("2001:db8::1 > 2001:db8::2"),
        "{}",
        sums[3]
    );
    assert!(sums[4].contains("VXLAN gbp 100 vni 1"), "{}", sums[4]);
    assert!(sums[5].contains(":4790 VXLAN-GPE vni 1"), "{}", sums[5]);
}
