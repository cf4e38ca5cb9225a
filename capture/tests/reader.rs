//! The capture reader against pcap-file 3.0.0-rc.3 on every capture of the repository (and of
//! `../shared/corpus` when present), and against random and mutated bytes.

use std::borrow::Cow;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};
use proptest::prelude::*;
use vxscope_capture::{
    CaptureReader, CaptureWriter, Interface, MAX_CAPLEN, Timestamp, TsResolution,
};
use vxscope_dissector::LinkType;

mod common;
use common::{captures_under, root};

/// One packet as a reader saw it: link type, timestamp in nanoseconds since the epoch, length on the wire,
/// bytes.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    link: u32,
    ts_ns: i128,
    orig_len: u32,
    data: Vec<u8>,
}

/// The repository's captures, and the shared corpus next to it when present.
fn all_captures() -> (Vec<PathBuf>, usize) {
    let mut found = Vec::new();
    captures_under(&root().join("samples"), &mut found);
    captures_under(&root().join("tests/data/corpus"), &mut found);
    let in_repository = found.len();
    if let Some(shared) = root().parent().map(|p| p.join("shared/corpus")) {
        captures_under(&shared, &mut found);
    }
    found.sort();
    (found, in_repository)
}

/// vxscope's reader: the packets, and the error that stopped it, if any.
fn ours(path: &Path) -> (Vec<Seen>, Option<String>) {
    let mut seen = Vec::new();
    let file = File::open(path).expect("open");
    let mut r = match CaptureReader::new(BufReader::new(file)) {
        Ok(r) => r,
        Err(e) => return (seen, Some(e.to_string())),
    };
    loop {
        match r.next_packet() {
            Ok(Some(p)) => seen.push(Seen {
                link: p.link_type.0,
                ts_ns: i128::from(p.ts.sec) * 1_000_000_000 + i128::from(p.ts.nsec),
                orig_len: p.orig_len,
                data: p.data.to_vec(),
            }),
            Ok(None) => return (seen, None),
            Err(e) => return (seen, Some(e.to_string())),
        }
    }
}

/// pcap-file's reader: the packets, and the error that stopped it, if any.
fn theirs(path: &Path) -> (Vec<Seen>, Option<String>) {
    let bytes = std::fs::read(path).expect("read");
    let mut seen = Vec::new();
    let pcapng = bytes.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]);
    if !pcapng {
        let mut r = match PcapReader::new(&bytes[..]) {
            Ok(r) => r,
            Err(e) => return (seen, Some(e.to_string())),
        };
        // The link type is the low 16 bits of the header's field; pcap-file keeps the FCS bits above them.
        let link = u32::from(r.header().datalink) & 0xffff;
        while let Some(p) = r.next_packet() {
            match p {
                Ok(p) => seen.push(Seen {
                    link,
                    ts_ns: p.timestamp().as_nanos() as i128,
                    // (vxscope never reports a wire length below the captured one.)
                    orig_len: p.orig_len().max(p.len()),
                    data: p.data().to_vec(),
                }),
                Err(e) => return (seen, Some(e.to_string())),
            }
        }
        return (seen, None);
    }
    let mut r = match PcapNgReader::new(&bytes[..]) {
        Ok(r) => r,
        Err(e) => return (seen, Some(e.to_string())),
    };
    while let Some(block) = r.next_block() {
        let (block, state) = match block {
            Ok(b) => b,
            Err(e) => return (seen, Some(e.to_string())),
        };
        let interfaces = state.interfaces();
        let link_of = |id: u32| {
            interfaces
                .get(id as usize)
                .map_or(u32::MAX, |i| u32::from(i.linktype))
        };
        let (link, ts, orig, data): (u32, i128, u32, Cow<'_, [u8]>) = match block {
            Block::EnhancedPacket(p) => (
                link_of(p.interface_id),
                p.timestamp.as_nanos() as i128,
                p.original_len,
                p.data,
            ),
            Block::Packet(p) => (
                link_of(u32::from(p.interface_id)),
                p.timestamp.as_nanos() as i128,
                p.original_len,
                p.data,
            ),
            Block::SimplePacket(p) => (link_of(0), 0, p.original_len, p.data),
            _ => continue,
        };
        seen.push(Seen {
            link,
            ts_ns: ts,
            orig_len: orig.max(data.len() as u32),
            data: data.into_owned(),
        });
    }
    (seen, None)
}

#[test]
fn reader_agrees_with_pcap_file() {
    let (captures, in_repository) = all_captures();
    assert!(
        in_repository >= 30,
        "{in_repository} captures in the repository"
    );
    let mut compared = 0;
    let mut packets = 0;
    let mut failures = Vec::new();
    let mut pcap_file_errors = Vec::new();
    for path in &captures {
        let (a, a_err) = ours(path);
        let (b, b_err) = theirs(path);
        let name = path.display();
        // Packets both read must be the same, in the same order.
        let common = a.len().min(b.len());
        if let Some(i) = (0..common).find(|&i| a[i] != b[i]) {
            let (x, y) = (&a[i], &b[i]);
            failures.push(format!(
                "{name} frame {}: vxscope (link {}, {} ns, len {}, {} bytes) != pcap-file (link {}, {} ns, len {}, {} bytes)",
                i + 1,
                x.link,
                x.ts_ns,
                x.orig_len,
                x.data.len(),
                y.link,
                y.ts_ns,
                y.orig_len,
                y.data.len()
            ));
            continue;
        }
        match (&a_err, &b_err) {
            (None, None) if a.len() == b.len() => {}
            // pcap-file refuses what vxscope reads: list it (checked below to be only resolutions pcap-file
            // does not know and the like), the packets it did read agree.
            (None, Some(e)) => pcap_file_errors.push(format!(
                "{name}: pcap-file stops at packet {}: {e}",
                b.len() + 1
            )),
            _ => failures.push(format!(
                "{name}: vxscope read {} packets ({a_err:?}), pcap-file {} ({b_err:?})",
                a.len(),
                b.len()
            )),
        }
        compared += 1;
        packets += common;
    }
    eprintln!(
        "{compared} captures, {packets} packets read alike by vxscope and pcap-file; pcap-file refused {}:",
        pcap_file_errors.len()
    );
    for e in &pcap_file_errors {
        eprintln!("    {e}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(packets > 300, "only {packets} packets compared");
    // pcap-file is stricter than libpcap (and tcpdump, and vxscope) in three ways only; vxscope reads on.
    const STRICTER: &[&str] = &[
        // A record longer than the file's snap length (libpcap accepts up to 256 KiB whatever the snap length).
        "included_len > snap_len",
        // A length on the wire below the captured length (vxscope reports the captured length).
        "origin_len < included_len",
        // A fraction of a second of a million microseconds or more (carried into the seconds).
        "Ts_frac micro too big",
        "Ts_frac nano too big",
    ];
    let unknown: Vec<_> = pcap_file_errors
        .iter()
        .filter(|e| !STRICTER.iter().any(|k| e.contains(k)))
        .collect();
    assert!(unknown.is_empty(), "{unknown:?}");
}

#[test]
fn the_four_interfaces_sample_reads_as_documented() {
    // samples/interfaces.pcapng: link types and resolutions of its interfaces, timestamps to the nanosecond.
    let (seen, err) = ours(&root().join("samples/interfaces.pcapng"));
    assert!(err.is_none(), "{err:?}");
    let got: Vec<(u32, i128, u32, usize)> = seen
        .iter()
        .map(|s| (s.link, s.ts_ns, s.orig_len, s.data.len()))
        .collect();
    let sec = 1_630_859_447i128 * 1_000_000_000;
    assert_eq!(
        got,
        [
            (1, sec + 124_500_000, 140, 140),   // Ethernet, microseconds
            (113, sec + 124_500_321, 142, 142), // Linux cooked, nanoseconds
            (228, sec + 125_000_000, 126, 126), // raw IPv4, milliseconds
            (1, sec + 750_000_000, 140, 96),    // 2^-20 s, cut at 96 bytes
            (1, sec + 1_000_005_000, 140, 140),
        ]
    );
}

// ---------------------------------------------------------------------------------------------------------
// Round trips through the writer, and hostile bytes.

fn iface(link: u32, resolution: TsResolution) -> Interface {
    Interface {
        link_type: LinkType(link),
        snaplen: MAX_CAPLEN,
        ts_resolution: resolution,
        ts_offset: 0,
        fcs_len: None,
        name: Some("eth0".into()),
    }
}

/// Reads every packet of `bytes`; returns how many, and the error (frame, offset) if one stopped it.
fn read_all(bytes: &[u8]) -> (u64, Option<(u64, u64)>) {
    let mut r = match CaptureReader::new(bytes) {
        Ok(r) => r,
        Err(e) => return (0, Some((e.frame, e.offset))),
    };
    let mut n = 0;
    loop {
        match r.next_packet() {
            Ok(Some(p)) => {
                assert!(p.data.len() as u32 <= MAX_CAPLEN);
                assert!(p.orig_len >= p.data.len() as u32);
                n += 1;
            }
            Ok(None) => return (n, None),
            Err(e) => return (n, Some((e.frame, e.offset))),
        }
    }
}

fn sample_bytes() -> Vec<Vec<u8>> {
    [
        "samples/seed.pcap",
        "samples/ping-nanos-be.pcap",
        "samples/interfaces.pcapng",
        "samples/tcp-vxlan.pcap",
    ]
    .iter()
    .map(|p| std::fs::read(root().join(p)).expect("sample"))
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn written_packets_read_back(
        packets in prop::collection::vec(
            (0i64..4_000_000_000, 0u32..1_000_000_000, prop::collection::vec(any::<u8>(), 0..1600), 0u32..200),
            1..20,
        ),
        format in 0..4u8,
    ) {
        let resolution = match format {
            0 => TsResolution::MICROS,
            1 => TsResolution::NANOS,
            2 => TsResolution::Decimal(3),
            _ => TsResolution::Binary(30),
        };
        let mut w = match format {
            0 => CaptureWriter::pcap(Vec::new(), LinkType::ETHERNET, MAX_CAPLEN, false).unwrap(),
            1 => CaptureWriter::pcap(Vec::new(), LinkType::ETHERNET, MAX_CAPLEN, true).unwrap(),
            _ => {
                let mut w = CaptureWriter::pcapng(Vec::new()).unwrap();
                w.add_interface(&iface(1, resolution)).unwrap();
                w
            }
        };
        for (sec, nsec, data, extra) in &packets {
            let ts = Timestamp { sec: *sec, nsec: *nsec };
            w.write_packet(0, ts, data.len() as u32 + extra, data, &[b"note"]).unwrap();
        }
        let bytes = w.into_inner();
        let mut r = CaptureReader::new(&bytes[..]).unwrap();
        for (sec, nsec, data, extra) in &packets {
            let p = r.next_packet().unwrap().expect("a packet");
            prop_assert_eq!(p.data, &data[..]);
            prop_assert_eq!(p.orig_len, data.len() as u32 + extra);
            // Timestamps come back to the resolution they were written in.
            let want = i128::from(*sec) * 1_000_000_000 + i128::from(*nsec);
            let got = i128::from(p.ts.sec) * 1_000_000_000 + i128::from(p.ts.nsec);
            let unit: i128 = match format { 0 => 1000, 1 => 1, 2 => 1_000_000, _ => 1 };
            prop_assert!(got <= want && want - got < unit, "wrote {} read {}", want, got);
        }
        prop_assert!(r.next_packet().unwrap().is_none());
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let (_, err) = read_all(&bytes);
        if let Some((_, offset)) = err {
            prop_assert!(offset <= bytes.len() as u64);
        }
    }

    #[test]
    fn random_bytes_after_a_valid_header_never_panic(
        tail in prop::collection::vec(any::<u8>(), 0..4096),
        which in 0..3usize,
    ) {
        let samples = sample_bytes();
        let head = &samples[which][..if which == 2 { 28 } else { 24 }];
        let bytes = [head, &tail[..]].concat();
        let (read, err) = read_all(&bytes);
        if let Some((frame, offset)) = err {
            prop_assert!(offset <= bytes.len() as u64);
            prop_assert!(frame <= read + 1);
        }
    }

    #[test]
    fn mutated_captures_never_panic(
        which in 0..4usize,
        mutations in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = sample_bytes().swap_remove(which);
        for (at, b) in mutations {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        let keep = cut.index(bytes.len() + 1);
        let bytes = &bytes[..keep.max(bytes.len() * 3 / 4)];
        let (read, err) = read_all(bytes);
        if let Some((frame, offset)) = err {
            prop_assert!(offset <= bytes.len() as u64);
            prop_assert!(frame <= read + 1);
        }
    }
}
