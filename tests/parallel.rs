//! `vxscope dissect` decodes a file on several threads (`VXSCOPE_THREADS`), and must print exactly what one
//! thread prints: every capture of the repository and of `../shared/corpus`, in every view (one line, `-V`,
//! `--json`, `-T ek`, `-T fields`, `--summary`, a display filter, a frame range, `-c`), run with one thread
//! and with two or three threads cutting the file into chunks of a few frames (so that a small capture is
//! spread over every thread, and the session's cross-packet notes cross the chunks): the same standard
//! output, standard error and exit status, byte for byte.

use std::path::Path;
use std::process::{Command, Output};

use vxscope_tests::{captures_under, root, shared_corpus, vxscope_bin};

/// The views compared, as `dissect` arguments before the file.
const MODES: &[&[&str]] = &[
    &[],
    &["-V"],
    &["--json"],
    &["-T", "ek"],
    &[
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "ip.src",
        "-e",
        "inner.ip.dst",
        "-e",
        "flannel.src_node",
    ],
    &["--summary"],
    &["-Y", "inner.icmp || tcp"],
    &["--frames", "3-40"],
    &["-c", "5"],
];

fn dissect(threads: &str, chunk: &str, mode: &[&str], file: &Path) -> Output {
    Command::new(vxscope_bin())
        .arg("dissect")
        .args(mode)
        .arg(file)
        .env("TZ", "UTC")
        .env("VXSCOPE_THREADS", threads)
        .env("VXSCOPE_CHUNK_FRAMES", chunk)
        .output()
        .expect("run vxscope")
}

fn captures() -> Vec<std::path::PathBuf> {
    let mut files = captures_under(&root().join("samples"));
    files.extend(captures_under(&root().join("tests/data")));
    match shared_corpus() {
        Some(dir) => files.extend(captures_under(&dir)),
        None if std::env::var_os("CI").is_some_and(|v| v == "true") => {
            panic!("../shared/corpus is missing: CI must run this test over it")
        }
        None => {
            eprintln!("../shared/corpus is missing: only the repository's captures are compared")
        }
    }
    files
}

#[test]
fn parallel_output_is_the_sequential_output_byte_for_byte() {
    let files = captures();
    assert!(files.len() > 50, "only {} captures found", files.len());
    let mut compared = 0;
    let mut lines = 0;
    for (i, file) in files.iter().enumerate() {
        // Two threads, chunks of one to five frames; every seventh file with three threads.
        let threads = if i % 7 == 0 { "3" } else { "2" };
        let chunk = ["1", "2", "3", "5"][i % 4];
        for mode in MODES {
            let one = dissect("1", "64", mode, file);
            let many = dissect(threads, chunk, mode, file);
            let what = format!(
                "dissect {} {} (threads {threads}, chunks of {chunk})",
                mode.join(" "),
                file.display()
            );
            assert_ne!(
                one.status.code(),
                Some(101),
                "{what}: panicked: {}",
                String::from_utf8_lossy(&one.stderr)
            );
            assert_eq!(one.status.code(), many.status.code(), "{what}: exit status");
            assert!(one.stdout == many.stdout, "{what}: standard output differs");
            assert!(one.stderr == many.stderr, "{what}: standard error differs");
            lines += one.stdout.iter().filter(|&&b| b == b'\n').count();
            compared += 1;
        }
    }
    eprintln!("{compared} runs compared, {lines} lines of output");
    assert!(lines > 10_000, "too little output compared: {lines} lines");
}

/// A file long enough that the default (no `VXSCOPE_THREADS`) already decodes it on several threads when the
/// machine has them: the bench capture's generator's output would be too big for a test, so the repository's
/// samples are joined into one capture of about 5 MB by repeating them.
#[test]
fn a_long_file_by_default_is_the_sequential_output() {
    let seed = root().join("samples/tcp-vxlan.pcap");
    let bytes = std::fs::read(&seed).unwrap();
    let (header, records) = bytes.split_at(24);
    let mut joined = header.to_vec();
    while joined.len() < 5 << 20 {
        joined.extend_from_slice(records);
    }
    let dir = std::env::temp_dir().join(format!("vxscope-parallel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("long.pcap");
    std::fs::write(&file, &joined).unwrap();
    for mode in [&[][..], &["--json"][..], &["--summary"][..]] {
        let one = dissect("1", "64", mode, &file);
        let default = Command::new(vxscope_bin())
            .arg("dissect")
            .args(mode)
            .arg(&file)
            .env("TZ", "UTC")
            .env_remove("VXSCOPE_THREADS")
            .env_remove("VXSCOPE_CHUNK_FRAMES")
            .output()
            .unwrap();
        assert_eq!(one.status.code(), Some(0));
        assert!(
            one.stdout.len() > 1 << 20,
            "{} bytes of output",
            one.stdout.len()
        );
        assert!(
            one.stdout == default.stdout,
            "dissect {mode:?} of the long file differs from one thread's"
        );
        assert!(one.stderr == default.stderr);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
