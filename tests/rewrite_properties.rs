//! Properties of the rewrites over arbitrary frames and options (proptest): strip undoes encap, remap with the
//! inverse maps undoes remap, packets a rewrite does not concern pass through untouched. Captures are written
//! and read back with the pcap-file crate; the rewrites run through the library, in memory.

#[path = "rewrite_common.rs"]
mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use common::{Frame, parse_capture};
use etherparse::PacketBuilder;
use pcap_file::DataLink;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapTsResolution, PcapWriter};
use proptest::prelude::*;
use vxscope_capture::CaptureReader;
use vxscope_dissector::Dissector;
use vxscope_rewriter::encap::{Encap, EncapConfig, Outer, Route, SourcePort, UdpChecksum};
use vxscope_rewriter::locate::dissector_config;
use vxscope_rewriter::remap::{ChecksumMode, Maps, Remap};
use vxscope_rewriter::run::{self, Options, OtherPolicy, Report, Rewrite};
use vxscope_rewriter::strip::Strip;

/// A packet to write: timestamp in nanoseconds, captured bytes, length on the wire.
#[derive(Clone, Debug)]
struct Packet {
    ts_ns: u64,
    data: Vec<u8>,
    orig_len: u32,
}

/// A nanosecond pcap of Ethernet packets, written by the pcap-file crate.
fn pcap(packets: &[Packet]) -> Vec<u8> {
    let header = PcapHeader {
        datalink: DataLink::ETHERNET,
        ts_resolution: PcapTsResolution::NanoSecond,
        snaplen: 262_144,
        ..PcapHeader::default()
    };
    let mut w = PcapWriter::with_header(Vec::new(), header).unwrap();
    for p in packets {
        let ts = Duration::from_nanos(p.ts_ns);
        w.write_packet(&PcapPacket::new(ts, p.orig_len, &p.data).unwrap())
            .unwrap();
    }
    w.into_inner()
}

/// Runs a rewrite over a capture in memory.
fn rewrite(input: &[u8], r: &mut dyn Rewrite, other: OtherPolicy) -> (Vec<Frame>, Report) {
    let mut reader = CaptureReader::new(input).unwrap();
    let mut out = Vec::new();
    let report = run::run(
        &mut reader,
        &mut out,
        r,
        Options {
            format: None,
            other,
        },
    )
    .unwrap();
    (parse_capture(&out, "rewritten").frames, report)
}

fn as_frames(packets: &[Packet]) -> Vec<(u128, Vec<u8>, u32)> {
    packets
        .iter()
        .map(|p| (u128::from(p.ts_ns), p.data.clone(), p.orig_len))
        .collect()
}

fn of_frames(frames: &[Frame]) -> Vec<(u128, Vec<u8>, u32)> {
    frames
        .iter()
        .map(|f| (f.ts_ns, f.data.clone(), f.orig_len))
        .collect()
}

/// Arbitrary frames: 1 to 1600 captured bytes, sometimes cut short of their length on the wire, timestamps
/// to the nanosecond.
fn frames() -> impl Strategy<Value = Vec<Packet>> {
    prop::collection::vec(
        (
            prop::collection::vec(any::<u8>(), 1..1600),
            0u32..200,
            0u64..4_000_000_000,
            0u64..1_000_000_000,
        ),
        1..12,
    )
    .prop_map(|v| {
        let mut ts = 1_700_000_000u64 * 1_000_000_000;
        v.into_iter()
            .map(|(data, cut, sec, ns)| {
                ts += sec % 1000 * 1_000_000_000 + ns;
                let orig_len = data.len() as u32 + cut % 2 * cut;
                Packet {
                    ts_ns: ts,
                    data,
                    orig_len,
                }
            })
            .collect()
    })
}

fn outer() -> impl Strategy<Value = Outer> {
    let v4 = (any::<[u8; 4]>(), any::<[u8; 4]>())
        .prop_map(|(a, b)| (IpAddr::V4(Ipv4Addr::from(a)), IpAddr::V4(Ipv4Addr::from(b))));
    let v6 = (any::<[u8; 16]>(), any::<[u8; 16]>())
        .prop_map(|(a, b)| (IpAddr::V6(Ipv6Addr::from(a)), IpAddr::V6(Ipv6Addr::from(b))));
    (prop_oneof![v4, v6], any::<[u8; 6]>(), any::<[u8; 6]>()).prop_map(
        |((src_ip, dst_ip), src_mac, dst_mac)| Outer {
            src_ip,
            dst_ip,
            src_mac,
            dst_mac,
        },
    )
}

fn encap_config(port: impl Strategy<Value = u16>) -> impl Strategy<Value = EncapConfig> {
    (
        0u32..=0xff_ffff,
        port,
        prop_oneof![
            Just(SourcePort::Flow),
            (32768u16..=60999).prop_map(SourcePort::Fixed)
        ],
        prop_oneof![Just(UdpChecksum::Zero), Just(UdpChecksum::Compute)],
    )
        .prop_map(|(vni, port, src_port, udp_checksum)| EncapConfig {
            vni,
            port,
            src_port,
            udp_checksum,
        })
}

/// A VXLAN port: the two standard ones or any other.
fn vxlan_port() -> impl Strategy<Value = u16> {
    prop_oneof![Just(8472u16), Just(4789u16), 1024u16..32768]
}

fn encapsulate(packets: &[Packet], config: EncapConfig, outer: Outer) -> (Vec<u8>, Report) {
    let dissector = Dissector::new(dissector_config(&[]));
    let mut encap = Encap::new(&dissector, config, Route::Fixed(outer), false);
    let input = pcap(packets);
    let mut reader = CaptureReader::new(&input[..]).unwrap();
    let mut out = Vec::new();
    let report = run::run(&mut reader, &mut out, &mut encap, Options::default()).unwrap();
    (out, report)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn strip_undoes_encap(packets in frames(), config in encap_config(vxlan_port()), outer in outer()) {
        let (wrapped, report) = encapsulate(&packets, config, outer);
        prop_assert_eq!(report.rewritten, packets.len() as u64);
        let dissector = Dissector::new(dissector_config(&[config.port]));
        let (back, report) = rewrite(&wrapped, &mut Strip::new(&dissector, false), OtherPolicy::Drop);
        prop_assert_eq!(report.rewritten, packets.len() as u64);
        prop_assert_eq!(of_frames(&back), as_frames(&packets));
    }

    #[test]
    fn remap_and_the_inverse_maps_give_the_packets_back(
        packets in frames(),
        config in encap_config(prop_oneof![Just(8472u16), Just(4789u16), Just(9000u16)]),
        outer in outer(),
        (from_port, to_port) in (1024u16..32768, 1024u16..32768).prop_filter("two ports", |(a, b)| a != b),
        (from_vni, to_vni) in (0u32..=0xff_ffff, 0u32..=0xff_ffff).prop_filter("two VNIs", |(a, b)| a != b),
        on_mapped_port in any::<bool>(),
        on_mapped_vni in any::<bool>(),
        damage_checksums in any::<bool>(),
    ) {
        // Packets on the map's source port and VNI, or on others that are not its targets.
        let mut config = config;
        if on_mapped_port {
            config.port = from_port;
        }
        prop_assume!(config.port != to_port);
        if on_mapped_vni {
            config.vni = from_vni;
        }
        prop_assume!(config.vni != to_vni);
        let (mut wrapped, _) = encapsulate(&packets, config, outer);
        if damage_checksums {
            // Wrong but non-zero checksums stay wrong by the same amount, and come back.
            let mut frames = parse_capture(&wrapped, "wrapped").frames;
            let udp = if outer.dst_ip.is_ipv6() { 54 } else { 34 };
            for f in &mut frames {
                f.data[udp + 6] ^= 0x5a;
                f.data[udp + 7] |= 1;
            }
            let again: Vec<Packet> = frames
                .iter()
                .map(|f| Packet { ts_ns: f.ts_ns as u64, data: f.data.clone(), orig_len: f.orig_len })
                .collect();
            wrapped = pcap(&again);
        }
        let maps = Maps { ports: vec![(from_port, to_port)], vnis: vec![(from_vni, to_vni)] };
        let there = Dissector::new(dissector_config(&maps.vxlan_ports()));
        let mut forward = Remap::new(&there, maps.clone(), ChecksumMode::Keep, false);
        let mut reader = CaptureReader::new(&wrapped[..]).unwrap();
        let mut mid = Vec::new();
        run::run(&mut reader, &mut mid, &mut forward, Options::default()).unwrap();
        let inverse = maps.inverse();
        let back_dissector = Dissector::new(dissector_config(&inverse.vxlan_ports()));
        let mut backward = Remap::new(&back_dissector, inverse, ChecksumMode::Keep, false);
        let (back, _) = rewrite(&mid, &mut backward, OtherPolicy::Keep);
        prop_assert_eq!(of_frames(&back), of_frames(&parse_capture(&wrapped, "wrapped").frames));
    }

    #[test]
    fn packets_a_rewrite_does_not_concern_pass_untouched(
        packets in frames(),
        config in encap_config(prop_oneof![Just(8472u16), Just(4789u16)]),
        outer in outer(),
        others in prop::collection::vec(other_frame(), 1..10),
        order in prop::collection::vec(any::<bool>(), 20),
    ) {
        let (wrapped, _) = encapsulate(&packets, config, outer);
        let vxlan: Vec<Packet> = parse_capture(&wrapped, "wrapped")
            .frames
            .into_iter()
            .map(|f| Packet { ts_ns: f.ts_ns as u64, data: f.data, orig_len: f.orig_len })
            .collect();
        // Interleave VXLAN and other packets.
        let (mut a, mut b) = (vxlan.iter(), others.iter());
        let mut mixed: Vec<(bool, Packet)> = Vec::new();
        for take_vxlan in order.iter().cycle().take(vxlan.len() + others.len() + 20) {
            let next = if *take_vxlan { a.next().map(|p| (true, p)).or_else(|| b.next().map(|p| (false, p))) } else {
                b.next().map(|p| (false, p)).or_else(|| a.next().map(|p| (true, p)))
            };
            if let Some((is_vxlan, p)) = next {
                mixed.push((is_vxlan, p.clone()));
            }
        }
        for (i, (_, p)) in mixed.iter_mut().enumerate() {
            p.ts_ns = 1_600_000_000_000_000_000 + i as u64 * 1_000_001;
        }
        let input: Vec<Packet> = mixed.iter().map(|(_, p)| p.clone()).collect();
        let capture = pcap(&input);

        let dissector = Dissector::new(dissector_config(&[]));
        let (stripped, report) = rewrite(&capture, &mut Strip::new(&dissector, false), OtherPolicy::Keep);
        prop_assert_eq!(report.kept, others.len() as u64);
        prop_assert_eq!(stripped.len(), input.len());
        let maps = Maps { ports: vec![(8472, 4789), (4789, 8472)], vnis: vec![] };
        let remap_dissector = Dissector::new(dissector_config(&maps.vxlan_ports()));
        let (remapped, report) =
            rewrite(&capture, &mut Remap::new(&remap_dissector, maps, ChecksumMode::Keep, false), OtherPolicy::Keep);
        prop_assert_eq!(report.kept, others.len() as u64);
        for (i, (is_vxlan, p)) in mixed.iter().enumerate() {
            if !is_vxlan {
                let expected = (u128::from(p.ts_ns), p.data.clone(), p.orig_len);
                prop_assert_eq!(&of_frames(&stripped[i..=i])[0], &expected);
                prop_assert_eq!(&of_frames(&remapped[i..=i])[0], &expected);
            }
        }
    }
}

/// A frame that is not VXLAN: UDP or TCP on other ports (built by etherparse), ARP-like frames, or any
/// bytes behind an EtherType that is not IP nor a VLAN tag.
fn other_frame() -> impl Strategy<Value = Packet> {
    let udp = (
        any::<[u8; 4]>(),
        any::<[u8; 4]>(),
        any::<u16>(),
        any::<u16>(),
        prop::collection::vec(any::<u8>(), 0..300),
    )
        .prop_filter("not a VXLAN port", |(_, _, s, d, _)| {
            ![4789u16, 8472, 4790].contains(s) && ![4789u16, 8472, 4790].contains(d)
        })
        .prop_map(|(src, dst, sport, dport, payload)| {
            let builder = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
                .ipv4(src, dst, 64)
                .udp(sport, dport);
            let mut data = Vec::new();
            builder.write(&mut data, &payload).unwrap();
            data
        });
    let tcp = (
        any::<[u8; 16]>(),
        any::<[u8; 16]>(),
        any::<u16>(),
        any::<u16>(),
        prop::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(src, dst, sport, dport, payload)| {
            let builder = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
                .ipv6(src, dst, 64)
                .tcp(sport, dport, 1, 64000);
            let mut data = Vec::new();
            builder.write(&mut data, &payload).unwrap();
            data
        });
    let raw = (
        any::<[u8; 12]>(),
        0x0600u16..,
        prop::collection::vec(any::<u8>(), 0..200),
    )
        .prop_filter("not IP or a VLAN tag", |(_, t, _)| {
            ![0x0800u16, 0x86dd, 0x8100, 0x88a8, 0x9100].contains(t)
        })
        .prop_map(|(macs, ethertype, rest)| {
            let mut data = macs.to_vec();
            data.extend_from_slice(&ethertype.to_be_bytes());
            data.extend_from_slice(&rest);
            data
        });
    prop_oneof![udp, tcp, raw].prop_map(|data| Packet {
        ts_ns: 0,
        orig_len: data.len() as u32,
        data,
    })
}
