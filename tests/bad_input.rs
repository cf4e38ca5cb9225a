//! Damaged input through the `vxscope` binary: every packet before the damage is printed, then one error on
//! stderr names the file, the frame and the byte offset, and the exit status is 1. Never a panic.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use vxscope_tests::{
    pcap_record_offsets, pcapng_packet_offsets, sample, stderr, stdout, target_dir, vxscope,
    vxscope_bin,
};

/// Writes `bytes` to a file of the test's own, and returns its path.
fn damaged(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = target_dir().join("bad-input");
    std::fs::create_dir_all(&dir).expect("create target/bad-input");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write damaged capture");
    path
}

fn read_sample(name: &str) -> Vec<u8> {
    std::fs::read(sample(name)).expect("sample")
}

/// What the golden file of `capture` shows of its first `frames` frames: as many lines, or for the tree
/// (`tree.txt`) the blocks up to frame `frames + 1`.
fn golden_lines(capture: &str, frames: usize, suffix: &str) -> String {
    let text = std::fs::read_to_string(sample("golden").join(format!("{capture}.{suffix}")))
        .expect("golden file");
    if suffix != "tree.txt" {
        return text.split_inclusive('\n').take(frames).collect();
    }
    let next = format!("Frame {}:", frames + 1);
    text.split_inclusive('\n')
        .take_while(|l| !l.starts_with(&next))
        .collect()
}

/// Asserts the run failed with exactly one error line naming `file`, the frame and the offset, and holding
/// `what`.
#[track_caller]
fn assert_error(out: &Output, file: &str, frame: &str, offset: usize, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(1),
        "exit status; stderr: {}",
        stderr(out)
    );
    let err = stderr(out);
    let prefix = format!("vxscope: {file}: {frame}, byte offset {offset}: ");
    assert!(
        err.starts_with(&prefix) && err.contains(what) && err.lines().count() == 1,
        "stderr {err:?} should start with {prefix:?} and contain {what:?}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn empty_file() {
    let path = damaged("empty.pcap", &[]);
    let out = vxscope(["dissect".as_ref(), path.as_os_str()]);
    assert!(out.stdout.is_empty());
    assert_error(
        &out,
        &path.display().to_string(),
        "file header, before frame 1",
        0,
        "empty file: not a pcap or pcapng capture",
    );
}

#[test]
fn not_a_capture() {
    let path = damaged("notes.txt", b"kubectl get nodes -o wide\n");
    let out = vxscope(["dissect".as_ref(), path.as_os_str()]);
    assert!(out.stdout.is_empty());
    assert_error(
        &out,
        &path.display().to_string(),
        "file header, before frame 1",
        0,
        "not a pcap or pcapng capture: it starts with 6b 75 62 65",
    );
    // A file header cut short.
    let seed = read_sample("seed.pcap");
    let path = damaged("header-cut.pcap", &seed[..20]);
    let out = vxscope(["dissect".as_ref(), path.as_os_str()]);
    assert_error(
        &out,
        &path.display().to_string(),
        "file header, before frame 1",
        0,
        "pcap file header cut short: 24 bytes needed, 20 left",
    );
}

#[test]
fn record_cut_midway() {
    let bytes = read_sample("tcp-vxlan.pcap");
    let records = pcap_record_offsets(&bytes);
    assert_eq!(records.len(), 9);
    // Cut inside the data of record 4, then inside the header of record 6.
    for (frame, cut) in [(4, records[3] + 16 + 20), (6, records[5] + 7)] {
        let path = damaged(&format!("cut-{frame}.pcap"), &bytes[..cut]);
        let name = path.display().to_string();
        for (view, suffix) in [("", "txt"), ("-V", "tree.txt"), ("--json", "jsonl")] {
            let mut args = vec!["dissect"];
            if !view.is_empty() {
                args.push(view);
            }
            args.push(&name);
            let out = vxscope(&args);
            assert_eq!(
                stdout(&out),
                golden_lines("tcp-vxlan.pcap", frame - 1, suffix),
                "{view}: the packets before the damage"
            );
            let what = if frame == 4 {
                "record cut short"
            } else {
                "record header cut short"
            };
            assert_error(
                &out,
                &name,
                &format!("frame {frame}"),
                records[frame - 1],
                what,
            );
        }
    }
}

#[test]
fn caplen_over_256_kib() {
    let mut bytes = read_sample("tcp-vxlan.pcap");
    let records = pcap_record_offsets(&bytes);
    let third = records[2];
    bytes[third + 8..third + 12].copy_from_slice(&300_000u32.to_le_bytes());
    let path = damaged("caplen.pcap", &bytes);
    let name = path.display().to_string();
    let out = vxscope(["dissect", &name]);
    assert_eq!(stdout(&out), golden_lines("tcp-vxlan.pcap", 2, "txt"));
    assert_error(
        &out,
        &name,
        "frame 3",
        third,
        "captured length 300000 is over the 262144-byte limit",
    );
}

#[test]
fn pcapng_block_with_a_bad_length() {
    let bytes = read_sample("interfaces.pcapng");
    let packets = pcapng_packet_offsets(&bytes);
    let third = packets[2];
    for (len, what) in [
        (
            13u32,
            "has invalid length 13 (at least 12, a multiple of 4)",
        ),
        (8, "has invalid length 8"),
        (4096, "cut short"),
        (16 * 1024 * 1024, "-byte limit: its length is damaged"),
    ] {
        let mut damaged_bytes = bytes.clone();
        damaged_bytes[third + 4..third + 8].copy_from_slice(&len.to_le_bytes());
        let path = damaged(&format!("block-{len}.pcapng"), &damaged_bytes);
        let name = path.display().to_string();
        let out = vxscope(["dissect", &name]);
        assert_eq!(
            stdout(&out),
            golden_lines("interfaces.pcapng", 2, "txt"),
            "length {len}"
        );
        assert_error(&out, &name, "frame 3", third, what);
    }
    // The length repeated at the end of a block disagreeing with the one at its start.
    let mut damaged_bytes = bytes.clone();
    let len = u32::from_le_bytes(bytes[third + 4..third + 8].try_into().unwrap()) as usize;
    damaged_bytes[third + len - 4] ^= 0x40;
    let path = damaged("trailer.pcapng", &damaged_bytes);
    let name = path.display().to_string();
    let out = vxscope(["dissect", &name]);
    assert_eq!(stdout(&out), golden_lines("interfaces.pcapng", 2, "txt"));
    assert_error(&out, &name, "frame 3", third, "at its start does not match");
}

#[test]
fn damage_on_standard_input() {
    let bytes = read_sample("tcp-vxlan.pcap");
    let records = pcap_record_offsets(&bytes);
    let mut child = Command::new(vxscope_bin())
        .args(["dissect", "-"])
        .env("TZ", "UTC")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run vxscope");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&bytes[..records[7] + 3])
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout(&out), golden_lines("tcp-vxlan.pcap", 7, "txt"));
    assert_error(&out, "-", "frame 8", records[7], "record header cut short");
}

#[test]
fn a_damaged_file_among_good_ones() {
    // Each file is read to its end or its damage; the run fails if any was damaged.
    let good = sample("seed.pcap").display().to_string();
    let bad = damaged("empty-among.pcap", &[]).display().to_string();
    let out = vxscope(["dissect", &bad, &good]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains(&format!("# {good}\n")), "{text}");
    assert!(text.contains("VXLAN vni 1"), "{text}");
    // The summary lists both files; the failure names the file and where it is damaged.
    let err = stderr(&out);
    assert!(err.contains("total: 2 files"), "{err}");
    assert!(
        err.lines()
            .any(|l| l.starts_with(&format!("vxscope: {bad}: file header"))),
        "{err}"
    );
    // A file that does not exist.
    let out = vxscope(["dissect", "/nonexistent/capture.pcap"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("vxscope: /nonexistent/capture.pcap: No such file"));
}
