//! Damaged inputs and dangerous outputs: every packet before the damage is written, the damage is named by
//! file, frame and byte offset, the exit status is 1, nothing panics, the input is never modified and the
//! output never overwrites it.

#[path = "rewrite_common.rs"]
mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::*;
use vxscope_tests as support;

/// The three commands, with arguments that rewrite the samples.
fn commands() -> Vec<Vec<String>> {
    let nodes = support::sample("flannel/nodes.json");
    vec![
        vec!["strip".into()],
        vec!["remap".into(), "--port".into(), "8472:4789".into()],
        vec![
            "encap".into(),
            "--nodes".into(),
            nodes.display().to_string(),
            "--node".into(),
            "k8s-node1".into(),
        ],
    ]
}

fn run(command: &[String], input: &Path, output: &Path) -> Output {
    let mut args: Vec<&OsStr> = vec![
        OsStr::new(&command[0]),
        input.as_os_str(),
        output.as_os_str(),
    ];
    args.extend(command[1..].iter().map(OsStr::new));
    vxscope(&args)
}

/// Runs every command on a damaged file and checks the outcome: exit 1 with `message` naming `frame` and
/// `offset`, the packets before written (`before` of them), no panic, no temporary file left, input intact.
fn check_damaged(
    dir: &Path,
    damaged: &[u8],
    name: &str,
    frame: u64,
    offset: usize,
    message: &str,
    before: usize,
) {
    let input = dir.join(name);
    std::fs::write(&input, damaged).unwrap();
    let fingerprint_before = fingerprint(&input);
    for command in commands() {
        let output = dir.join(format!(
            "out-{}.{}",
            command[0],
            if name.ends_with("pcapng") {
                "pcapng"
            } else {
                "pcap"
            }
        ));
        let o = run(&command, &input, &output);
        let err = support::stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{} {name}: {err}", command[0]);
        assert!(!err.contains("panicked"), "{err}");
        let expected = format!(
            "{}: frame {frame}, byte offset {offset}: {message}",
            input.display()
        );
        assert!(
            err.contains(&expected),
            "{} {name}: expected {expected:?} in\n{err}",
            command[0]
        );
        assert!(err.contains("every packet before it was written"), "{err}");
        let written = read_capture(&output).frames;
        assert_eq!(
            written.len(),
            before,
            "{} {name}: packets before the damage",
            command[0]
        );
        assert_eq!(
            fingerprint(&input),
            fingerprint_before,
            "the input was modified"
        );
    }
    let leftovers: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn a_pcap_cut_in_the_middle_of_a_record() {
    let dir = scratch("damaged-cut-pcap");
    let bytes = std::fs::read(support::sample("rewrite/cni0.pcap")).unwrap();
    let records = support::pcap_record_offsets(&bytes);
    // Cut inside the data of record 4, then inside the header of record 6.
    let cut = records[3] + 16 + 10;
    check_damaged(
        &dir,
        &bytes[..cut],
        "cut-data.pcap",
        4,
        records[3],
        "record cut short: its header announces 98 bytes, only 10 are left in the file",
        3,
    );
    let cut = records[5] + 7;
    check_damaged(
        &dir,
        &bytes[..cut],
        "cut-header.pcap",
        6,
        records[5],
        "record header cut short: 16 bytes needed, 7 left in the file",
        5,
    );
}

#[test]
fn a_pcapng_cut_in_the_middle_of_a_block() {
    let dir = scratch("damaged-cut-pcapng");
    let bytes = std::fs::read(support::sample("rewrite/node-nic.pcapng")).unwrap();
    let packets: Vec<usize> = support::pcapng_packet_offsets(&bytes);
    let cut = packets[4] + 40;
    check_damaged(
        &dir,
        &bytes[..cut],
        "cut.pcapng",
        5,
        packets[4],
        "record cut short",
        4,
    );
}

#[test]
fn a_huge_captured_length() {
    let dir = scratch("damaged-caplen");
    let mut bytes = std::fs::read(support::sample("rewrite/cni0.pcap")).unwrap();
    let records = support::pcap_record_offsets(&bytes);
    let at = records[2];
    bytes[at + 8..at + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    check_damaged(
        &dir,
        &bytes,
        "caplen.pcap",
        3,
        at,
        "captured length 2147483647 is over the 262144-byte limit",
        2,
    );
}

#[test]
fn a_bad_pcapng_block() {
    let dir = scratch("damaged-block");
    let bytes = std::fs::read(support::sample("rewrite/node-nic.pcapng")).unwrap();
    let packets: Vec<usize> = support::pcapng_packet_offsets(&bytes);
    // The trailing length of packet 3's block disagrees with the leading one.
    let mut trailer = bytes.clone();
    let at = packets[2];
    let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
    trailer[at + len - 4] ^= 0x40;
    let message = format!("pcapng block length {len} at its start does not match");
    check_damaged(&dir, &trailer, "trailer.pcapng", 3, at, &message, 2);
    // A block length that is not a multiple of 4.
    let mut odd = bytes.clone();
    odd[packets[6] + 4] += 1;
    check_damaged(
        &dir,
        &odd,
        "odd.pcapng",
        7,
        packets[6],
        "pcapng block of type 0x6 has invalid length",
        6,
    );
    // A packet naming an interface the section does not describe.
    let mut iface = bytes.clone();
    iface[packets[1] + 8] = 9;
    check_damaged(
        &dir,
        &iface,
        "iface.pcapng",
        2,
        packets[1],
        "packet names interface 9, but the section describes 2 interface(s)",
        1,
    );
}

#[test]
fn garbage_and_empty_files_give_no_output() {
    let dir = scratch("damaged-garbage");
    // Bytes from a fixed linear congruential sequence: no capture magic.
    let mut x: u32 = 8472;
    let garbage: Vec<u8> = (0..4096)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) as u8
        })
        .collect();
    for (name, bytes, message) in [
        ("garbage.pcap", &garbage[..], "not a pcap or pcapng capture"),
        ("empty.pcap", &[][..], "empty file"),
        (
            "short.pcap",
            &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0][..],
            "pcap file header cut short",
        ),
    ] {
        let input = dir.join(name);
        std::fs::write(&input, bytes).unwrap();
        for command in commands() {
            let output = dir.join("out.pcap");
            let o = run(&command, &input, &output);
            let err = support::stderr(&o);
            assert_eq!(o.status.code(), Some(1), "{name}: {err}");
            let expected = format!(
                "{}: file header, before frame 1, byte offset 0: {message}",
                input.display()
            );
            assert!(err.contains(&expected), "{name}: {err}");
            assert!(!output.exists(), "no output for a file that is no capture");
        }
        assert_eq!(std::fs::read(&input).unwrap(), bytes);
    }
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        3,
        "only the inputs are left"
    );
}

#[test]
fn every_capture_of_the_corpus_is_read_without_a_panic() {
    // Crafted files that once crashed tcpdump: each one is rewritten, or stopped with a located error.
    let Some(corpus) = support::shared_corpus() else {
        eprintln!("no shared corpus next to the repository");
        return;
    };
    let dir = scratch("damaged-corpus");
    let output = dir.join("out.pcapng");
    let mut stopped = 0;
    let files = support::captures_under(&corpus);
    for input in &files {
        let o = vxscope(&[
            "strip".as_ref(),
            input.as_os_str(),
            output.as_os_str(),
            "--format".as_ref(),
            "pcapng".as_ref(),
        ]);
        let err = support::stderr(&o);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{}: {err}",
            input.display()
        );
        assert!(!err.contains("panicked"), "{}: {err}", input.display());
        if o.status.code() == Some(1) {
            stopped += 1;
            assert!(err.contains("byte offset"), "{}: {err}", input.display());
        } else {
            // Nothing lost: every packet read was written (stripped or kept).
            let read: u64 = err
                .split(" packets read")
                .next()
                .unwrap()
                .rsplit(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(
                read_capture(&output).frames.len() as u64,
                read,
                "{}",
                input.display()
            );
        }
    }
    assert!(files.len() > 800);
    eprintln!("{} captures, {stopped} stopped at damage", files.len());
}

#[test]
fn an_output_that_is_the_input_is_refused() {
    let dir = scratch("same-file");
    let input = dir.join("in.pcap");
    std::fs::copy(support::sample("seed.pcap"), &input).unwrap();
    std::fs::hard_link(&input, dir.join("hard.pcap")).unwrap();
    std::os::unix::fs::symlink(&input, dir.join("soft.pcap")).unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    let before = fingerprint(&input);
    let others = [
        input.clone(),
        dir.join("hard.pcap"),
        dir.join("soft.pcap"),
        dir.join("sub").join("..").join("in.pcap"),
        dir.join(".").join("in.pcap"),
    ];
    for command in commands() {
        for output in &others {
            let o = run(&command, &input, output);
            let err = support::stderr(&o);
            assert_eq!(o.status.code(), Some(1), "{}: {err}", output.display());
            assert!(
                err.contains("refusing to write") && err.contains("it is the input"),
                "{err}"
            );
        }
        // The input given on standard input, the output the same file.
        let o = Command::new(support::vxscope_bin())
            .args(&command[..1])
            .arg("-")
            .arg(dir.join("hard.pcap"))
            .args(&command[1..])
            .stdin(std::fs::File::open(&input).unwrap())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1));
        assert!(
            support::stderr(&o).contains("it is the input (standard input)"),
            "{}",
            support::stderr(&o)
        );
    }
    assert_eq!(fingerprint(&input), before);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        4,
        "nothing written beside"
    );
}

#[test]
fn an_output_replaces_the_old_file_only_at_the_end() {
    let dir = scratch("replace");
    let output = dir.join("out.pcap");
    std::fs::write(&output, b"old content").unwrap();
    // Damaged input: the old output is replaced by the packets before the damage.
    let bytes = std::fs::read(support::sample("rewrite/cni0.pcap")).unwrap();
    let input = dir.join("cut.pcap");
    std::fs::write(&input, &bytes[..bytes.len() - 5]).unwrap();
    let o = vxscope(&["strip".as_ref(), input.as_os_str(), output.as_os_str()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(read_capture(&output).frames.len(), 7);
    // An input that is no capture leaves the old output alone.
    std::fs::write(&output, b"old content").unwrap();
    std::fs::write(&input, b"not a capture at all").unwrap();
    let o = vxscope(&["strip".as_ref(), input.as_os_str(), output.as_os_str()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read(&output).unwrap(), b"old content");
    // A directory that does not exist.
    let o = vxscope(&[
        "strip".as_ref(),
        support::sample("seed.pcap").as_os_str(),
        dir.join("no/such/dir/out.pcap").as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        support::stderr(&o).contains("cannot create"),
        "{}",
        support::stderr(&o)
    );
}
