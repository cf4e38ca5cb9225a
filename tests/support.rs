//! Shared helpers of the cross-crate tests: where the workspace, its binaries and its samples are, and how to
//! run `vxscope` and the independent tools the tests compare it with (tshark, tcpdump, scapy).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use vxscope_capture::CaptureReader;

/// The one environment switch that rewrites the expected outputs the tests compare with — golden files, the C
/// header, the lab's expected outputs — from what the code produces, to be reviewed with `git diff`:
/// `VXSCOPE_BLESS=1 cargo test -p vxscope-tests` (or `--test NAME` for one file).
pub const BLESS: &str = "VXSCOPE_BLESS";

/// Whether this run rewrites expected outputs instead of comparing with them ([`BLESS`] is set).
pub fn blessing() -> bool {
    std::env::var_os(BLESS).is_some()
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A file under `samples/`.
pub fn sample(name: &str) -> PathBuf {
    root().join("samples").join(name)
}

/// A file under `tests/data/`.
pub fn data(name: &str) -> PathBuf {
    root().join("tests").join("data").join(name)
}

/// The directory the workspace's binaries are built into (the profile the tests run under).
pub fn target_dir() -> PathBuf {
    // Test executables live in target/<profile>/deps/.
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>")
        .to_path_buf()
}

/// Builds the workspace's binaries and libraries once per test process (cheap when they are up to date),
/// so that a test run with `-p vxscope-tests` alone still finds them.
pub fn build_workspace() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let release = target_dir().file_name().is_some_and(|n| n == "release");
        let mut cmd = Command::new(env!("CARGO"));
        cmd.current_dir(root())
            .args(["build", "--workspace", "--quiet"]);
        if release {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build");
        assert!(status.success(), "cargo build --workspace failed");
    });
}

/// The path of the `vxscope` binary.
pub fn vxscope_bin() -> PathBuf {
    build_workspace();
    target_dir().join("vxscope")
}

/// Runs `vxscope` with these arguments, in UTC.
pub fn vxscope<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(vxscope_bin())
        .args(args)
        .env("TZ", "UTC")
        .output()
        .expect("run vxscope")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 output")
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Whether a program is on PATH. CI installs every tool the tests use; a test that needs one and does not
/// find it fails, rather than passing without checking anything.
pub fn require_tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is not installed: run scripts/test, which installs it"))
}

/// Runs headless Chromium (Debian's `chromium`) on a page with a fresh profile in `profile` (killed after two
/// minutes); returns its output, with console logging on.
pub fn chromium(profile: &Path, args: &[&str], url: &str) -> Output {
    let chromium = require_tool("chromium");
    let mut cmd = Command::new(require_tool("timeout"));
    cmd.arg("120")
        .arg(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url);
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// The messages a page wrote to the console (errors among them), as Chromium logs them.
pub fn console_messages(output: &Output) -> Vec<String> {
    stderr(output)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect()
}

/// The public corpus next to the repository (`../shared/corpus`), when present. Tests over it add to the
/// tests over the copies in `tests/data/`, which always run.
pub fn shared_corpus() -> Option<PathBuf> {
    let dir = root().parent()?.join("shared").join("corpus");
    dir.is_dir().then_some(dir)
}

/// Every capture file (`.pcap`, `.pcapng`) under a directory, sorted.
pub fn captures_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                found.push(p);
            }
        }
    }
    found.sort();
    found
}

/// Byte offsets of the records of a little-endian pcap file (its 24-byte header, then 16-byte record headers).
pub fn pcap_record_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        offsets.push(at);
        let caplen = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + caplen;
    }
    offsets
}

/// Byte offsets of the enhanced packet blocks (type 6) of a little-endian pcapng file.
pub fn pcapng_packet_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut at = 0;
    while at + 8 <= bytes.len() {
        let kind = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        if kind == 6 {
            offsets.push(at);
        }
        if len == 0 {
            break;
        }
        at += len;
    }
    offsets
}

/// Byte offsets of every block of a little-endian pcapng file.
pub fn pcapng_block_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut at = 0;
    while at + 8 <= bytes.len() {
        offsets.push(at);
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        if len < 12 {
            break;
        }
        at += len;
    }
    offsets
}

/// The commands each capture goes through, with their arguments (`OUT` is a rewrite's output).
pub const COMMANDS: [&[&str]; 8] = [
    &["dissect"],
    &["dissect", "-V"],
    &["dissect", "--json"],
    &["hexdump"],
    &["topology"],
    &["strip", "IN", "OUT"],
    &["remap", "--port", "8472:4789", "--vni", "1:2", "IN", "OUT"],
    &[
        "encap",
        "--outer-src-ip",
        "10.0.0.1",
        "--outer-dst-ip",
        "10.0.0.2",
        "IN",
        "OUT",
    ],
];

/// Runs `path` through every command of [`COMMANDS`] (under /usr/bin/time): status 0, or 1 with an error;
/// never a panic (101), a signal or more than a minute; each rewrite's output, when written, a valid capture.
/// Returns the largest peak resident memory of the runs, in KiB.
pub fn every_command(path: &Path, dir: &Path, what: &str) -> u64 {
    use std::os::unix::process::ExitStatusExt;
    use std::time::{Duration, Instant};
    let mut peak = 0;
    for command in COMMANDS {
        let out_path = dir.join("rewritten.pcap");
        let _ = std::fs::remove_file(&out_path);
        let mut args: Vec<String> = command.iter().map(|a| a.to_string()).collect();
        let rewrite = args.iter().any(|a| a == "IN");
        if rewrite {
            for a in &mut args {
                if a == "IN" {
                    *a = path.display().to_string();
                } else if a == "OUT" {
                    *a = out_path.display().to_string();
                }
            }
        } else {
            args.push(path.display().to_string());
        }
        let mut child = Command::new("/usr/bin/time")
            .args(["-f", "vxscope-peak-kib=%M"])
            .arg(vxscope_bin())
            .args(&args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stderr_pipe = child.stderr.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut { stderr_pipe }, &mut s);
            s
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{what}: vxscope {args:?} still running after a minute");
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let mut err = reader.join().unwrap();
        // /usr/bin/time's last line: the peak (a child killed by a signal makes it say so first).
        if let Some(at) = err.rfind("vxscope-peak-kib=") {
            peak = peak.max(err[at + 17..].trim().parse().unwrap_or(0));
            err.truncate(at);
        }
        assert!(
            !err.contains("Command terminated by signal"),
            "{what}: vxscope {args:?}: signal: {err}"
        );
        assert_eq!(
            status.signal(),
            None,
            "{what}: vxscope {args:?}: signal: {err}"
        );
        assert!(
            matches!(status.code(), Some(0 | 1)),
            "{what}: vxscope {args:?}: status {:?}: {err}",
            status.code()
        );
        assert!(!err.contains("panicked"), "{what}: vxscope {args:?}: {err}");
        if status.code() == Some(1) {
            assert!(
                err.contains("vxscope"),
                "{what}: vxscope {args:?}: unclear error: {err}"
            );
        }
        if rewrite && out_path.exists() {
            let bytes = std::fs::read(&out_path).unwrap();
            let mut r = CaptureReader::new(&bytes[..])
                .unwrap_or_else(|e| panic!("{what}: vxscope {args:?} wrote no capture: {e}"));
            while r
                .next_packet()
                .unwrap_or_else(|e| panic!("{what}: vxscope {args:?} wrote a damaged capture: {e}"))
                .is_some()
            {}
        }
    }
    peak
}

/// A directory of its own under the system's temporary directory (the test's name, the process, a count),
/// removed with everything in it when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "vxscope-{name}-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// A path inside the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
