//! A capture file read through its memory map gives what reading it chunk by chunk gives: the same packets,
//! the same damage at the same frame and offset; and resident memory does not grow with the file.

use std::fs::File;
use std::io::Read;

use vxscope_capture::{CaptureReader, CaptureWriter, Timestamp};
use vxscope_dissector::LinkType;

mod common;
use common::{captures_under, root};

/// Everything a reader says of a file: each packet, then how it ended.
fn read_all<R: Read>(
    reader: Result<CaptureReader<R>, vxscope_capture::CaptureError>,
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut reader = match reader {
        Ok(r) => r,
        Err(e) => return vec![format!("error {e}")],
    };
    loop {
        match reader.next_packet() {
            Ok(Some(p)) => seen.push(format!(
                "{} @{} {:?} {}.{:09} {} {} {}",
                p.number,
                p.offset,
                p.link_type,
                p.ts.sec,
                p.ts.nsec,
                p.orig_len,
                hex::encode(p.data),
                hex::encode(p.options)
            )),
            Ok(None) => return seen,
            Err(e) => {
                seen.push(format!("error {e}"));
                return seen;
            }
        }
    }
}

#[test]
fn mapped_and_streamed_reading_agree_on_every_capture() {
    let mut files = Vec::new();
    captures_under(&root().join("samples"), &mut files);
    captures_under(&root().join("tests/data"), &mut files);
    if let Some(shared) = root()
        .parent()
        .map(|p| p.join("shared/corpus"))
        .filter(|p| p.is_dir())
    {
        captures_under(&shared, &mut files);
    }
    assert!(files.len() > 20, "{} captures", files.len());
    for f in &files {
        let streamed = read_all(CaptureReader::new(File::open(f).unwrap()));
        let mapped = read_all(CaptureReader::from_file(File::open(f).unwrap()));
        assert_eq!(mapped, streamed, "{}", f.display());
    }
}

#[test]
fn damage_is_found_at_the_same_place_in_a_map() {
    let seed = std::fs::read(root().join("samples/seed.pcap")).unwrap();
    let dir = std::env::temp_dir().join(format!("vxscope-mapped-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Two good frames, then the third record cut in the middle.
    let mut cut = seed.clone();
    cut.extend_from_slice(&seed[24..]);
    cut.extend_from_slice(&seed[24..24 + 16 + 50]);
    let path = dir.join("cut.pcap");
    std::fs::write(&path, &cut).unwrap();
    let mapped = read_all(CaptureReader::from_file(File::open(&path).unwrap()));
    let streamed = read_all(CaptureReader::new(File::open(&path).unwrap()));
    assert_eq!(mapped, streamed);
    assert_eq!(mapped.len(), 3);
    assert!(
        mapped[2].starts_with("error frame 3, byte offset 352: record cut short"),
        "{}",
        mapped[2]
    );
    // An empty file cannot be mapped; it is still the same clear error.
    let empty = dir.join("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(read_all(CaptureReader::from_file(File::open(&empty).unwrap())), vec!["error file header, before frame 1, byte offset 0: empty file: not a pcap or pcapng capture".to_string()]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The resident set of this process, from /proc.
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_mapped_file_does_not_stay_resident() {
    // 96 MiB of packets: read through the map, the pages read are given back as the reader goes.
    let dir = std::env::temp_dir().join(format!("vxscope-mapped-rss-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.pcap");
    {
        let file = std::io::BufWriter::new(File::create(&path).unwrap());
        let mut w = CaptureWriter::pcap(file, LinkType::ETHERNET, 65535, false).unwrap();
        let frame = vec![0x5au8; 1500];
        for i in 0..64 * 1024u32 {
            w.write_packet(
                0,
                Timestamp {
                    sec: i64::from(i),
                    nsec: 0,
                },
                1500,
                &frame,
                &[],
            )
            .unwrap();
        }
        w.flush().unwrap();
    }
    let before = resident_kib();
    let mut reader = CaptureReader::from_file(File::open(&path).unwrap()).unwrap();
    let mut frames = 0u64;
    let mut peak = before;
    while let Some(p) = reader.next_packet().unwrap() {
        frames += 1;
        assert_eq!(p.data.len(), 1500);
        if frames.is_multiple_of(4096) {
            peak = peak.max(resident_kib());
        }
    }
    assert_eq!(frames, 64 * 1024);
    std::fs::remove_dir_all(&dir).unwrap();
    // The file is 96 MiB; what stays resident of it is a few release steps' worth.
    assert!(
        peak - before < 24 * 1024,
        "resident set grew by {} KiB",
        peak - before
    );
}
