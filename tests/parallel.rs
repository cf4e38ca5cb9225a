//! `vxscope dissect` decodes a file on several threads (`VXSCOPE_THREADS`), and must print exactly what one
//! thread prints: every capture of the repository and of `../shared/corpus`, in every view (one line, `-V`,
//! `--json`, `-T ek`, `-T fields`, `--summary`, a display filter, a frame range, `-c`), run with one thread
//! and with two or three threads cutting the file into chunks of a few frames (so that a small capture is
//! spread over every thread, and the session's cross-packet notes cross the chunks): the same standard
//! output, standard error and exit status, byte for byte.

use std::path::Path;
use std::process::{Command, Output};

use vxscope_tests::{
    TempDir, captures_under, pcap_record_offsets, root, shared_corpus, vxscope_bin,
};

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

/// A capture of about 5 MB, long enough that the default (no `VXSCOPE_THREADS`) decodes it on several threads
/// when the machine has them: the records of `samples/tcp-vxlan.pcap` repeated.
fn long_capture() -> Vec<u8> {
    let bytes = std::fs::read(root().join("samples/tcp-vxlan.pcap")).unwrap();
    let (header, records) = bytes.split_at(24);
    let mut joined = header.to_vec();
    while joined.len() < 5 << 20 {
        joined.extend_from_slice(records);
    }
    joined
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
    let joined = long_capture();
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

/// The samples repeated into one capture of about 5 MB (long enough to be decoded on several threads by
/// default), then damaged partway: the record header of frame `damaged` made to announce 2 GiB, or the file
/// cut in the middle of a record. The threads read the file in turns, so the one that meets the damage is any
/// of them: every frame before it is printed, in order, then the error names the file, the frame and the byte
/// offset, with exit status 1, exactly as on one thread.
#[test]
fn damage_partway_ends_the_output_where_one_thread_ends_it() {
    let joined = long_capture();
    let offsets = pcap_record_offsets(&joined);
    let damaged = offsets.len() * 2 / 3;
    let mut bad_header = joined.clone();
    let at = offsets[damaged];
    bad_header[at + 8..at + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let cut = joined[..offsets[damaged] + 20].to_vec();
    let dir = TempDir::new("parallel-damage");
    for (name, capture) in [("bad-header.pcap", bad_header), ("cut.pcap", cut)] {
        let file = dir.path(name);
        std::fs::write(&file, &capture).unwrap();
        for mode in [&[][..], &["--json"][..], &["--summary"][..]] {
            let one = dissect("1", "64", mode, &file);
            let what = format!("dissect {} {name}", mode.join(" "));
            assert_eq!(one.status.code(), Some(1), "{what}: exit status");
            let error = String::from_utf8_lossy(&one.stderr);
            assert!(
                error.contains(&format!("frame {}, byte offset {at}", damaged + 1)),
                "{what}: {error}"
            );
            if mode.is_empty() {
                let lines = one.stdout.iter().filter(|&&b| b == b'\n').count();
                assert_eq!(lines, damaged, "{what}: the frames before the damage");
            }
            for (threads, chunk) in [("2", "64"), ("2", "7"), ("3", "128")] {
                let many = dissect(threads, chunk, mode, &file);
                let what = format!("{what} (threads {threads}, chunks of {chunk})");
                assert_eq!(one.status.code(), many.status.code(), "{what}: exit status");
                assert!(one.stdout == many.stdout, "{what}: standard output differs");
                assert!(one.stderr == many.stderr, "{what}: standard error differs");
            }
        }
    }
}

/// A reader that goes away early (`| head -c 1000`) while the threads are decoding: the loop stops, and every
/// thread ends, even one blocked handing a chunk on (the channel full, its reader gone) while it holds the
/// lock of the turns that stopping the pool takes. The reader stops reading before it goes away, so that the
/// channel is full when the loop stops; a run that does not end within 20 s is killed and fails the test.
#[test]
fn a_reader_that_goes_away_ends_every_thread() {
    use std::time::{Duration, Instant};
    let joined = long_capture();
    let dir = TempDir::new("parallel-reader-gone");
    let file = dir.path("long.pcap");
    std::fs::write(&file, &joined).unwrap();
    for run in 0..8 {
        let (mut child, stdout) = started(
            Command::new(vxscope_bin())
                .args(["dissect", if run % 2 == 0 { "-V" } else { "--json" }])
                .arg(&file)
                .env("VXSCOPE_THREADS", "3")
                .env("VXSCOPE_CHUNK_FRAMES", "1"),
        );
        // Not reading for a while fills the pipe: the loop's thread blocks writing, the others fill the
        // channel and block handing chunks on. Then the reader goes away.
        std::thread::sleep(Duration::from_millis(300));
        drop(stdout);
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("run {run}: vxscope did not end within 20 s of its reader going away");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(
            status.code(),
            Some(0),
            "run {run}: a closed pipe ends the run quietly"
        );
    }
}

/// `command` started with its standard output a pipe, once it has written its first 1000 bytes to it.
fn started(command: &mut Command) -> (std::process::Child, std::process::ChildStdout) {
    use std::io::Read;
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1000];
    stdout.read_exact(&mut first).unwrap();
    (child, stdout)
}

/// The threads of a running vxscope, counted in `/proc` once it has written `1000` bytes and then been left
/// blocked on its full standard output for a while (every thread it starts for the file is started by then).
fn threads_while_blocked(args: &[&str]) -> usize {
    let (mut child, stdout) = started(
        Command::new(vxscope_bin())
            .args(args)
            .env_remove("VXSCOPE_THREADS")
            .env_remove("VXSCOPE_CHUNK_FRAMES"),
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let threads = std::fs::read_dir(format!("/proc/{}/task", child.id()))
        .unwrap()
        .count();
    drop(stdout);
    // A closed pipe ends a dissection quietly; a rewrite says it could not write its output.
    let status = child.wait().unwrap();
    let expected = if args[0] == "strip" { 1 } else { 0 };
    assert_eq!(status.code(), Some(expected), "vxscope {args:?}");
    threads
}

/// `-j N` is the number of cores a run keeps busy: with `-j 1` one thread reads, decodes and writes (the
/// rewriter too: no writing thread), for one file or many; with `-j 2` one file is decoded on two threads (a
/// rewrite writes on a second one).
#[test]
fn dash_j_is_the_number_of_cores_a_run_keeps_busy() {
    let dir = TempDir::new("parallel-cores");
    let (file, other) = (dir.path("long.pcap"), dir.path("other.pcap"));
    std::fs::write(&file, long_capture()).unwrap();
    std::fs::write(&other, long_capture()).unwrap();
    let (file, other) = (file.to_str().unwrap(), other.to_str().unwrap());
    let cases: &[(&[&str], usize)] = &[
        (&["dissect", "-j", "1", file], 1),
        (&["dissect", "-j", "2", file], 2),
        (&["dissect", "--json", "-j", "1", file, other], 1),
        (&["strip", "-j", "1", file, "-"], 1),
        (&["strip", "-j", "2", file, "-"], 2),
    ];
    for (args, expected) in cases {
        assert_eq!(
            threads_while_blocked(args),
            *expected,
            "threads of vxscope {}",
            args.join(" ")
        );
    }
}
