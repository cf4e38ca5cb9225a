//! Batch runs: many captures through `strip`, `remap`, `encap` and `dissect --json` with `-o DIR`, each output
//! byte for byte what the one-file command writes; damaged files failing alone, named with frame and byte
//! offset; refusals before anything runs; standard output in input order; the progress bar on a terminal and
//! not on a pipe; Ctrl-C leaving no temporary file and the completed outputs intact.
//!
//! The 20 captures are made here by scapy from the samples (pcap in microseconds and nanoseconds, pcapng;
//! Ethernet and Linux cooked capture), two of them then damaged.

use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use vxscope_tests::{self as support, stderr, vxscope};

/// Writes, from each sample, three captures of different kinds (pcap µs / pcap ns / pcapng, each in Ethernet
/// or in Linux cooked capture), half of them under `node2/`.
const MAKE_CAPTURES: &str = r#"
import logging, os, struct, sys
logging.getLogger("scapy").setLevel(logging.ERROR)
from scapy.all import rdpcap, Raw, PcapWriter
out, samples = sys.argv[1], sys.argv[2:]
kinds = ["pcap-us-eth", "pcap-ns-eth", "pcapng-us-eth", "pcap-us-sll", "pcap-ns-sll", "pcapng-ns-sll"]

def block(kind, body):
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", kind, len(body) + 12) + body + struct.pack("<I", len(body) + 12)

def write_pcapng(name, link, res, frames):
    # Section header, one interface (if_tsresol 6 or 9), an enhanced packet block a frame.
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    tsresol = struct.pack("<HHB", 9, 1, 9 if res == "ns" else 6) + b"\0" * 3 + struct.pack("<HH", 0, 0)
    idb = block(1, struct.pack("<HHI", link, 0, 262144) + tsresol)
    with open(name, "wb") as f:
        f.write(shb + idb)
        for t, b in frames:
            ticks = int(t * (10 ** 9 if res == "ns" else 10 ** 6))
            f.write(block(6, struct.pack("<IIIII", 0, ticks >> 32, ticks & 0xFFFFFFFF, len(b), len(b)) + b))

n = 0
for k, sample in enumerate(samples):
    frames = rdpcap(sample)
    for v in range(3):
        kind = kinds[(k * 3 + v) % len(kinds)]
        fmt, res, link = kind.split("-")
        packets = []
        for f in frames:
            b = bytes(f)
            if link == "sll":
                # Linux cooked capture: packet type (0 to us, 4 outgoing), ARPHRD_ETHER, the source MAC, the
                # EtherType, then what followed the Ethernet header.
                b = struct.pack(">HHH8s", 4 if n % 2 else 0, 1, 6, b[6:12] + b"\0\0") + b[12:]
            packets.append((f.time, b))
        sub = "node2" if n % 2 else ""
        os.makedirs(os.path.join(out, sub), exist_ok=True)
        name = os.path.join(out, sub, "%02d-%s-%s.%s" % (n, os.path.basename(sample).split(".")[0], kind, fmt))
        linktype = 113 if link == "sll" else 1
        if fmt == "pcapng":
            write_pcapng(name, linktype, res, packets)
        else:
            w = PcapWriter(name, nano=(res == "ns"), linktype=linktype)
            for t, b in packets:
                p = Raw(load=b)
                p.time = t
                w.write(p)
            w.close()
        n += 1
"#;

const SAMPLES: [&str; 6] = [
    "seed.pcap",
    "tcp-vxlan.pcap",
    "flannel/cluster.pcap",
    "vlan-vxlan.pcap",
    "icmp-errors-vxlan.pcap",
    "ipv6-outer-vxlan.pcap",
];

fn scratch(name: &str) -> PathBuf {
    let dir = support::target_dir().join("batch-tests").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A damaged capture: where the reader must stop, and what it must say.
struct Damaged {
    path: PathBuf,
    /// `frame N, byte offset M`.
    place: String,
}

/// The 20 captures under `dir/in`: 18 whole, 2 damaged (a pcap cut in a record, a pcapng block of a bad
/// length). Returns every capture (sorted as a walk of `dir/in` lists them) and the damaged ones.
fn make_captures(dir: &Path) -> (Vec<PathBuf>, Vec<Damaged>) {
    let input = dir.join("in");
    let samples: Vec<PathBuf> = SAMPLES.iter().map(|s| support::sample(s)).collect();
    let made = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(MAKE_CAPTURES)
        .arg(&input)
        .args(&samples)
        .output()
        .expect("run python3 (scapy)");
    assert!(made.status.success(), "{}", stderr(&made));

    // A nanosecond pcap cut 20 bytes into its seventh record.
    let cluster = fs::read(support::sample("flannel/cluster.pcap")).unwrap();
    let records = support::pcap_record_offsets(&cluster);
    let cut = input.join("node2").join("18-cut.pcap");
    fs::write(&cut, &cluster[..records[6] + 20]).unwrap();
    // A pcapng whose third packet block claims a length past the end of the file.
    let source = fs::read(
        walk(&input)
            .into_iter()
            .find(|p| p.to_string_lossy().contains("tcp-vxlan-pcapng-ns-sll"))
            .expect("a pcapng of tcp-vxlan"),
    )
    .unwrap();
    let blocks = support::pcapng_packet_offsets(&source);
    let mut bad = source.clone();
    bad[blocks[2] + 4..blocks[2] + 8].copy_from_slice(&0x00ff_fff0u32.to_le_bytes());
    let bad_block = input.join("19-bad-block.pcapng");
    fs::write(&bad_block, &bad).unwrap();

    let all = walk(&input);
    assert_eq!(all.len(), 20, "{all:?}");
    let damaged = vec![
        Damaged {
            path: cut,
            place: format!("frame 7, byte offset {}", records[6]),
        },
        Damaged {
            path: bad_block,
            place: format!("frame 3, byte offset {}", blocks[2]),
        },
    ];
    (all, damaged)
}

/// The captures under `dir`, in the order a walk lists them (names sorted, subdirectories where their name
/// sorts).
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    let mut found = Vec::new();
    for e in entries {
        if e.is_dir() {
            found.extend(walk(&e));
        } else {
            found.push(e);
        }
    }
    found
}

/// Every file under `dir`, relative to it.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    if !dir.exists() {
        return Vec::new();
    }
    walk(dir)
        .into_iter()
        .map(|p| p.strip_prefix(dir).unwrap().to_path_buf())
        .collect()
}

fn run<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(args: I) -> Output {
    vxscope(args)
}

/// Runs `command ARGS IN -o DIR` over the 20 captures and checks each output against `one_file` (what the
/// command writes for that capture alone), the two damaged ones named with frame and byte offset, exit 1.
fn check_batch(
    name: &str,
    args: &[&str],
    rename: fn(&Path) -> PathBuf,
    one_file: &dyn Fn(&Path, &Path) -> Output,
) {
    let dir = scratch(name);
    let (inputs, damaged) = make_captures(&dir);
    let out_dir = dir.join("out");
    let mut command: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    let input_dir = dir.join("in");
    command.push(input_dir.as_os_str());
    command.extend([OsStr::new("-o"), out_dir.as_os_str(), OsStr::new("-j2")]);
    let batch = run(&command);
    let err = stderr(&batch);
    assert_eq!(batch.status.code(), Some(1), "{err}");
    assert!(err.contains("total: 20 files"), "{err}");
    assert!(err.contains("18 ok, 2 failed"), "{err}");
    assert!(!err.contains('\r'), "no progress bar on a pipe: {err:?}");
    for d in &damaged {
        let line = err
            .lines()
            .find(|l| l.contains(&*d.path.to_string_lossy()) && l.contains(&d.place))
            .unwrap_or_else(|| {
                panic!("no error naming {} at {}: {err}", d.path.display(), d.place)
            });
        assert!(line.starts_with("vxscope"), "{line}");
    }
    let single = dir.join("single");
    fs::create_dir_all(&single).unwrap();
    let mut compared = 0;
    for input in &inputs {
        let relative = Path::new("in").join(input.strip_prefix(&input_dir).unwrap());
        let output = out_dir.join(rename(&relative));
        let expected_path = single.join(format!("{compared}"));
        let alone = one_file(input, &expected_path);
        let is_damaged = damaged.iter().any(|d| &d.path == input);
        assert_eq!(
            alone.status.code(),
            Some(if is_damaged { 1 } else { 0 }),
            "{}: {}",
            input.display(),
            stderr(&alone)
        );
        let expected = fs::read(&expected_path).unwrap();
        let got = fs::read(&output).unwrap_or_else(|e| panic!("{}: {e}", output.display()));
        assert!(
            got == expected,
            "{}: the batch's output differs from the one-file command's",
            output.display()
        );
        assert!(!got.is_empty(), "{}", output.display());
        compared += 1;
    }
    assert_eq!(compared, 20);
    // Nothing else was written: no temporary file, no stray output.
    assert_eq!(
        files_under(&out_dir).len(),
        20,
        "{:?}",
        files_under(&out_dir)
    );
}

/// The one-file form of a rewrite: `command ARGS IN OUT`.
fn rewrite_alone(args: &'static [&'static str]) -> impl Fn(&Path, &Path) -> Output {
    move |input, output| {
        let mut command: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        command.extend([input.as_os_str(), output.as_os_str()]);
        run(&command)
    }
}

#[test]
fn strip_a_directory_of_captures() {
    check_batch(
        "strip",
        &["strip"],
        Path::to_path_buf,
        &rewrite_alone(&["strip"]),
    );
}

#[test]
fn strip_into_pcapng_renames_the_outputs() {
    check_batch(
        "strip-pcapng",
        &["strip", "--format", "pcapng"],
        |p| p.with_extension("pcapng"),
        &rewrite_alone(&["strip", "--format", "pcapng"]),
    );
}

#[test]
fn remap_a_directory_of_captures() {
    const ARGS: &[&str] = &["remap", "--port", "8472:4789", "--vni", "1:42"];
    check_batch("remap", ARGS, Path::to_path_buf, &rewrite_alone(ARGS));
}

#[test]
fn encap_a_directory_of_captures() {
    const ARGS: &[&str] = &[
        "encap",
        "--outer-src-ip",
        "192.0.2.1",
        "--outer-dst-ip",
        "192.0.2.2",
        "--vni",
        "7",
    ];
    check_batch("encap", ARGS, Path::to_path_buf, &rewrite_alone(ARGS));
}

#[test]
fn dissect_json_into_a_directory() {
    check_batch(
        "dissect-json",
        &["dissect", "--json"],
        |p| p.with_extension("jsonl"),
        &|input, output| {
            let o = run([
                OsStr::new("dissect"),
                OsStr::new("--json"),
                input.as_os_str(),
            ]);
            fs::write(output, &o.stdout).unwrap();
            o
        },
    );
}

#[test]
fn standard_output_keeps_the_input_order() {
    let dir = scratch("stdout-order");
    let (inputs, _) = make_captures(&dir);
    let mut expected = Vec::new();
    for input in &inputs {
        expected.extend_from_slice(format!("# {}\n", input.display()).as_bytes());
        expected.extend_from_slice(&run([OsStr::new("dissect"), input.as_os_str()]).stdout);
    }
    for jobs in ["-j1", "-j2", "-j7"] {
        let mut args = vec![OsStr::new("dissect"), OsStr::new(jobs)];
        args.extend(inputs.iter().map(|p| p.as_os_str()));
        let o = run(&args);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(
            o.stdout == expected,
            "{jobs}: standard output is not the files' outputs in input order"
        );
        // A directory is walked in the same order as the files listed.
        let o = run([
            OsStr::new("dissect"),
            OsStr::new(jobs),
            dir.join("in").as_os_str(),
        ]);
        assert!(o.stdout == expected, "{jobs}: the walk's order differs");
    }
}

#[test]
fn refusals_come_before_anything_runs() {
    let dir = scratch("refusals");
    let (_, _) = make_captures(&dir);
    // Each output would be its input: the directory's parent as -o DIR.
    let input = dir.join("in");
    let before: Vec<Vec<u8>> = walk(&input).iter().map(|p| fs::read(p).unwrap()).collect();
    let mut args = vec![OsStr::new("strip")];
    args.push(input.as_os_str());
    args.extend([OsStr::new("-o"), dir.as_os_str()]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("it is the input"), "{}", stderr(&o));
    let after: Vec<Vec<u8>> = walk(&input).iter().map(|p| fs::read(p).unwrap()).collect();
    assert!(before == after);
    assert_eq!(walk(&input).len(), 20);
    // Two inputs of one name, one output.
    fs::create_dir_all(dir.join("a")).unwrap();
    fs::create_dir_all(dir.join("b")).unwrap();
    fs::copy(support::sample("seed.pcap"), dir.join("a/x.pcap")).unwrap();
    fs::copy(support::sample("tcp-vxlan.pcap"), dir.join("b/x.pcap")).unwrap();
    let out = dir.join("out");
    let o = run([
        OsStr::new("remap"),
        OsStr::new("--vni"),
        OsStr::new("1:2"),
        dir.join("a/x.pcap").as_os_str(),
        dir.join("b/x.pcap").as_os_str(),
        OsStr::new("-o"),
        out.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("would both be written to"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
    // Standard input has no name to write under.
    let o = run([
        OsStr::new("strip"),
        OsStr::new("-"),
        OsStr::new("-o"),
        out.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // Three paths without -o.
    let o = run([
        OsStr::new("strip"),
        dir.join("a/x.pcap").as_os_str(),
        dir.join("b/x.pcap").as_os_str(),
        out.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!out.exists());
}

/// Runs vxscope with standard error on a pseudo-terminal; returns what the terminal received.
fn on_a_terminal(args: &[&OsStr]) -> (Option<i32>, String) {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two descriptors; the other arguments may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned here only.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut child = Command::new(support::vxscope_bin())
        .args(args)
        .env("TZ", "UTC")
        .env("TERM", "xterm")
        .stdout(Stdio::null())
        .stderr(Stdio::from(slave))
        .spawn()
        .unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let mut master = fs::File::from(master);
        let mut buf = [0u8; 4096];
        // Read until the terminal's other side is closed (EIO).
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            text.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&text).into_owned()
    });
    let status = child.wait().unwrap();
    (status.code(), reader.join().unwrap())
}

/// A capture of `records` copies of the records of `sample` (a pcap).
fn repeated(sample: &str, copies: usize, path: &Path) {
    let bytes = fs::read(support::sample(sample)).unwrap();
    let first = support::pcap_record_offsets(&bytes)[0];
    let mut out = bytes[..first].to_vec();
    for _ in 0..copies {
        out.extend_from_slice(&bytes[first..]);
    }
    fs::write(path, out).unwrap();
}

#[test]
fn a_progress_bar_on_a_terminal_only() {
    let dir = scratch("progress");
    let input = dir.join("in");
    fs::create_dir_all(&input).unwrap();
    for i in 0..4 {
        repeated(
            "flannel/cluster.pcap",
            3000,
            &input.join(format!("{i}.pcap")),
        );
    }
    let out = dir.join("out");
    let (code, terminal) = on_a_terminal(&[
        OsStr::new("strip"),
        input.as_os_str(),
        OsStr::new("-o"),
        out.as_os_str(),
        OsStr::new("-j2"),
    ]);
    assert_eq!(code, Some(0), "{terminal}");
    assert!(terminal.contains('\r'), "no carriage return: {terminal:?}");
    assert!(terminal.contains("/4 files"), "no bar drawn: {terminal:?}");
    assert!(terminal.contains("total: 4 files"), "{terminal:?}");
    // --quiet: neither the bar nor the table.
    let (code, terminal) = on_a_terminal(&[
        OsStr::new("strip"),
        input.as_os_str(),
        OsStr::new("-o"),
        out.as_os_str(),
        OsStr::new("--quiet"),
    ]);
    assert_eq!(code, Some(0), "{terminal}");
    assert!(!terminal.contains("files"), "{terminal:?}");
    // On a pipe: the table, no carriage return.
    let o = run([
        OsStr::new("strip"),
        input.as_os_str(),
        OsStr::new("-o"),
        out.as_os_str(),
    ]);
    let err = stderr(&o);
    assert!(
        err.contains("total: 4 files") && err.contains("4 ok, 0 failed"),
        "{err}"
    );
    assert!(!err.contains('\r'), "{err:?}");
}

#[test]
fn an_interrupt_keeps_completed_outputs_and_leaves_no_temporary_file() {
    let dir = scratch("interrupt");
    let input = dir.join("in");
    fs::create_dir_all(&input).unwrap();
    for i in 0..12 {
        repeated(
            "flannel/cluster.pcap",
            3000,
            &input.join(format!("{i:02}.pcap")),
        );
    }
    let out = dir.join("out");
    let mut child = Command::new(support::vxscope_bin())
        .args([OsStr::new("dissect"), OsStr::new("-j2")])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once the first outputs are in place (and others are being written), Ctrl-C.
    let start = Instant::now();
    let done = |out: &Path| {
        files_under(out)
            .iter()
            .filter(|p| !p.to_string_lossy().contains(".vxscope-"))
            .count()
    };
    while done(&out) < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "no output appeared"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the batch ended before the interrupt"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill(2) on the child's own pid.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    let left = files_under(&out);
    assert!(
        left.iter()
            .all(|p| !p.to_string_lossy().contains(".vxscope-")),
        "temporary files left: {left:?}"
    );
    assert!(left.len() >= 2 && left.len() < 12, "{left:?}");
    // Each output left is whole: what the one-file command prints.
    let expected = run([OsStr::new("dissect"), input.join("00.pcap").as_os_str()]).stdout;
    for p in &left {
        let got = fs::read(out.join(p)).unwrap();
        assert!(got == expected, "{} is not whole", p.display());
    }
}

/// Compresses `plain` with `tool` (`gzip` or `zstd`, the tools themselves) into `packed`.
fn compress(tool: &str, plain: &Path, packed: &Path) {
    support::require_tool(tool);
    let out = Command::new(tool)
        .args(["-q", "-c"])
        .arg(plain)
        .output()
        .unwrap_or_else(|e| panic!("run {tool}: {e}"));
    assert!(out.status.success(), "{tool}: {}", stderr(&out));
    fs::write(packed, out.stdout).unwrap();
}

#[test]
fn compressed_captures_read_as_their_decompressed_bytes() {
    let dir = scratch("compressed");
    let (plain, damaged) = make_captures(&dir);
    let packed_dir = dir.join("packed");
    let mut packed = Vec::new();
    for (i, input) in plain.iter().enumerate() {
        let relative = input.strip_prefix(dir.join("in")).unwrap();
        let tool = if i % 2 == 0 { "gzip" } else { "zstd" };
        let extension = if tool == "gzip" { "gz" } else { "zst" };
        let mut name = packed_dir.join(relative).into_os_string();
        name.push(format!(".{extension}"));
        let name = PathBuf::from(name);
        fs::create_dir_all(name.parent().unwrap()).unwrap();
        compress(tool, input, &name);
        packed.push(name);
    }
    // strip of the directory of compressed captures: each output named after its input without the
    // compression's extension, and the same bytes as strip of the uncompressed capture.
    let out_dir = dir.join("out");
    let o = run([
        OsStr::new("strip"),
        packed_dir.as_os_str(),
        OsStr::new("-o"),
        out_dir.as_os_str(),
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("total: 20 files"), "{err}");
    assert!(err.contains("18 ok, 2 failed"), "{err}");
    for d in &damaged {
        // The same damage, at the same frame and (decompressed) byte offset as in the uncompressed file.
        assert!(
            err.lines()
                .any(|l| l.contains(".pcap") && l.contains(&d.place)),
            "no error at {}: {err}",
            d.place
        );
    }
    let single = dir.join("single.pcap");
    for (input, compressed) in plain.iter().zip(&packed) {
        let alone = run([OsStr::new("strip"), input.as_os_str(), single.as_os_str()]);
        let relative = Path::new("packed").join(input.strip_prefix(dir.join("in")).unwrap());
        let got = out_dir.join(&relative);
        let is_damaged = damaged.iter().any(|d| &d.path == input);
        assert_eq!(alone.status.code(), Some(if is_damaged { 1 } else { 0 }));
        // A damaged capture's output holds the packets before the damage, as the one-file command's.
        assert!(
            fs::read(&got).unwrap() == fs::read(&single).unwrap(),
            "{}: not what strip writes of the uncompressed capture",
            got.display()
        );
        // dissect --json of the compressed file: the lines of the uncompressed one.
        let a = run([
            OsStr::new("dissect"),
            OsStr::new("--json"),
            input.as_os_str(),
        ]);
        let b = run([
            OsStr::new("dissect"),
            OsStr::new("--json"),
            compressed.as_os_str(),
        ]);
        assert_eq!(b.status.code(), a.status.code(), "{}", stderr(&b));
        assert!(a.stdout == b.stdout, "{}", compressed.display());
        // ... and of the compressed bytes on standard input.
        let piped = Command::new(support::vxscope_bin())
            .args(["dissect", "--json", "-"])
            .env("TZ", "UTC")
            .stdin(fs::File::open(compressed).unwrap())
            .output()
            .unwrap();
        assert_eq!(piped.status.code(), a.status.code(), "{}", stderr(&piped));
        assert!(
            a.stdout == piped.stdout,
            "{} on standard input",
            compressed.display()
        );
    }

    // A compressed stream cut short: the frames before the cut, then an error naming the file, the frame
    // and the decompression, status 1.
    let big = dir.join("big.pcap");
    repeated("flannel/cluster.pcap", 2000, &big);
    for (tool, extension) in [("gzip", "gz"), ("zstd", "zst")] {
        let whole = dir.join(format!("big.pcap.{extension}"));
        compress(tool, &big, &whole);
        let bytes = fs::read(&whole).unwrap();
        let cut = dir.join(format!("cut.pcap.{extension}"));
        // Three quarters in: past the first block, which holds most of what a repetitive file compresses to.
        fs::write(&cut, &bytes[..bytes.len() * 3 / 4]).unwrap();
        let o = run([OsStr::new("dissect"), cut.as_os_str()]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{tool}: {err}");
        assert!(
            err.contains(&*cut.to_string_lossy())
                && err.contains("frame ")
                && err.contains(&format!("{tool} decompression")),
            "{tool}: {err}"
        );
        let full = run([OsStr::new("dissect"), big.as_os_str()]);
        assert!(
            !o.stdout.is_empty(),
            "{tool}: nothing printed before the cut"
        );
        assert!(
            full.stdout.starts_with(&o.stdout),
            "{tool}: the frames before the cut are not those of the whole file"
        );
    }
}
