//! A capture read through a memory map (a memfd sealed against change, the one kind of file the reader maps)
//! gives what reading it chunk by chunk gives: the same packets, the same damage at the same frame and offset.
//! A file is read to the length it had when opened: one cut short meanwhile is a clear error at the frame where
//! it ended (no signal), one that grows is read to its old end. Resident memory does not grow with the file.

use std::fs::File;
use std::io::Read;

use vxscope_capture::{CaptureReader, CaptureWriter, Timestamp};
use vxscope_dissector::LinkType;

mod common;
use common::{captures_under, root};

/// A memfd holding `bytes`, sealed against shrinking, growing and writing: the reader maps it.
fn sealed_memfd(bytes: &[u8]) -> File {
    use std::io::Write;
    use std::os::fd::FromRawFd;
    // SAFETY: memfd_create returns a new descriptor (checked), owned by the File from then on.
    let fd = unsafe { libc::memfd_create(c"capture".as_ptr(), libc::MFD_ALLOW_SEALING) };
    assert!(fd >= 0, "memfd_create: {}", std::io::Error::last_os_error());
    let mut file = unsafe { File::from_raw_fd(fd) };
    file.write_all(bytes).unwrap();
    let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
    // SAFETY: F_ADD_SEALS on a descriptor this function owns.
    assert_eq!(unsafe { libc::fcntl(fd, libc::F_ADD_SEALS, seals) }, 0);
    file
}

/// Whether the reader holds a map of its file (mapped pages appear in /proc/self/maps as the memfd).
fn maps_memfd() -> bool {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .contains("/memfd:capture")
}

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
        let bytes = std::fs::read(f).unwrap();
        let streamed = read_all(CaptureReader::from_stream(File::open(f).unwrap()));
        let from_file = read_all(CaptureReader::from_file(File::open(f).unwrap()));
        assert_eq!(from_file, streamed, "{}", f.display());
        if bytes.is_empty() {
            continue;
        }
        let mapped = read_all(CaptureReader::from_file(sealed_memfd(&bytes)));
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
    let reader = CaptureReader::from_file(sealed_memfd(&cut)).unwrap();
    assert!(maps_memfd(), "a sealed memfd is read through a map");
    let mapped = read_all(Ok(reader));
    let streamed = read_all(CaptureReader::new(File::open(&path).unwrap()));
    assert_eq!(mapped, streamed);
    assert_eq!(
        read_all(CaptureReader::from_file(File::open(&path).unwrap())),
        streamed
    );
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

/// A pcap of `n` Ethernet frames of 100 bytes, frame i filled with the byte i (mod 256); records of 116 bytes.
fn numbered_capture(n: u32) -> Vec<u8> {
    let mut w = CaptureWriter::pcap(Vec::new(), LinkType::ETHERNET, 65535, false).unwrap();
    for i in 0..n {
        let frame = vec![i as u8; 100];
        let ts = Timestamp {
            sec: i64::from(i),
            nsec: 0,
        };
        w.write_packet(0, ts, 100, &frame, &[]).unwrap();
    }
    w.flush().unwrap();
    w.into_inner()
}

#[test]
fn a_file_cut_short_while_read_is_an_error_at_the_frame_where_it_ended() {
    let dir = std::env::temp_dir().join(format!("vxscope-shrink-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = numbered_capture(20_000);
    // Cut ahead of the reader (beyond the 256 KiB it reads at a time), at a record boundary (no partial record
    // tells the reader anything is missing) and in a record; then cut behind it, into frames already read.
    for (cut_frames, extra) in [(15_000u64, 0u64), (12_345, 40), (5_000, 0), (3, 7)] {
        let path = dir.join("shrinking.pcap");
        std::fs::write(&path, &bytes).unwrap();
        let mut reader = CaptureReader::from_file(File::open(&path).unwrap()).unwrap();
        let before = 4_000;
        for i in 0..before {
            assert_eq!(reader.next_packet().unwrap().unwrap().number, i + 1);
        }
        let cut = 24 + 116 * cut_frames + extra;
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(cut)
            .unwrap();
        let mut read = before;
        let err = loop {
            match reader.next_packet() {
                Ok(Some(p)) => {
                    read += 1;
                    assert_eq!(p.number, read);
                    assert_eq!(p.data, &vec![(read - 1) as u8; 100][..], "frame {read}");
                }
                Ok(None) => panic!("a file cut at {cut} bytes read to its end without an error"),
                Err(e) => break e,
            }
        };
        let vxscope_capture::ErrorKind::Shrank {
            length_at_open,
            ended_at,
        } = err.kind
        else {
            panic!("cut at {cut}: {err}");
        };
        assert_eq!(length_at_open, bytes.len() as u64);
        assert!(
            err.to_string().contains("cut short while it was read"),
            "{err}"
        );
        assert_eq!(err.frame, read + 1);
        assert_eq!(err.offset, 24 + 116 * read);
        if cut_frames > before + 3_000 {
            // Ahead of the reader: every frame before the cut, and the error at the frame it cut.
            assert_eq!(read, cut_frames, "every frame before the cut is read");
            assert_eq!(ended_at, cut);
        } else {
            // Behind it: the frames already read into its buffer were whole; the next read finds the end.
            assert!(read >= before && ended_at >= cut, "{read} {ended_at}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_file_that_grows_while_read_is_read_to_its_end_when_opened() {
    use std::io::Write;
    let dir = std::env::temp_dir().join(format!("vxscope-grow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("growing.pcap");
    let bytes = numbered_capture(1000);
    std::fs::write(&path, &bytes[..24 + 116 * 600]).unwrap();
    let mut reader = CaptureReader::from_file(File::open(&path).unwrap()).unwrap();
    assert_eq!(reader.next_packet().unwrap().unwrap().number, 1);
    // Another writer appends the rest, and a half record after it.
    let mut w = File::options().append(true).open(&path).unwrap();
    w.write_all(&bytes[24 + 116 * 600..]).unwrap();
    w.write_all(&bytes[24..24 + 50]).unwrap();
    drop(w);
    let mut frames = 1;
    while let Some(p) = reader.next_packet().unwrap() {
        frames += 1;
        assert_eq!(p.data[0], (frames - 1) as u8);
    }
    assert_eq!(frames, 600);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn reading_a_file_does_not_keep_it_resident() {
    // 96 MiB of packets, read through the reader's buffer: memory does not grow with the file.
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
