//! A capture cut short by another process while `vxscope dissect` and `vxscope strip` read it (tcpdump rotating
//! a ring buffer, a copy being replaced): many times, at cut points in records and at record boundaries, pcap
//! and pcapng. Each run ends with status 1 and a clear error naming the frame where the file ended, never a
//! signal; every frame before it is printed (the same lines as from the whole file) or written (the same
//! packets as stripping the whole file gives).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use vxscope_capture::{CaptureReader, CaptureWriter, Interface, Timestamp, TsResolution};
use vxscope_dissector::LinkType;
use vxscope_tests::{pcap_record_offsets, pcapng_packet_offsets, sample, vxscope, vxscope_bin};

const FRAMES: u32 = 60_000;

/// The seed packet (a flannel VXLAN ping) `FRAMES` times, one second apart; pcap or pcapng. Returns the file's
/// bytes and the offset of each record.
fn big_capture(pcapng: bool) -> (Vec<u8>, Vec<u64>) {
    let mut seed = CaptureReader::new(File::open(sample("seed.pcap")).unwrap()).unwrap();
    let frame = seed.next_packet().unwrap().unwrap().data.to_vec();
    let mut w = if pcapng {
        let mut w = CaptureWriter::pcapng(Vec::new()).unwrap();
        w.add_interface(&Interface {
            link_type: LinkType::ETHERNET,
            snaplen: 65535,
            ts_resolution: TsResolution::MICROS,
            ts_offset: 0,
            fcs_len: None,
            name: None,
        })
        .unwrap();
        w
    } else {
        CaptureWriter::pcap(Vec::new(), LinkType::ETHERNET, 65535, false).unwrap()
    };
    for i in 0..FRAMES {
        let ts = Timestamp {
            sec: 1_700_000_000 + i64::from(i),
            nsec: 0,
        };
        w.write_packet(0, ts, frame.len() as u32, &frame, &[])
            .unwrap();
    }
    w.flush().unwrap();
    let bytes = w.into_inner();
    let offsets = if pcapng {
        pcapng_packet_offsets(&bytes)
    } else {
        pcap_record_offsets(&bytes)
    };
    let offsets: Vec<u64> = offsets.into_iter().map(|o| o as u64).collect();
    assert_eq!(offsets.len(), FRAMES as usize);
    (bytes, offsets)
}

/// A small deterministic generator (xorshift64*), so that every run cuts at the same places.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// Waits for a child, killing it after a minute (a hang is a failure).
fn wait(child: &mut std::process::Child, what: &str) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{what}: still running after a minute");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until the child has `path` open (one of its descriptors in /proc links to it), or has ended: a cut
/// made before the reader opened the file would only test a shorter file.
fn wait_until_open(child: &mut std::process::Child, path: &Path) {
    let path = path.canonicalize().unwrap();
    let fds = PathBuf::from(format!("/proc/{}/fd", child.id()));
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        let open = std::fs::read_dir(&fds)
            .into_iter()
            .flatten()
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target == path));
        if open {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{} not opened after a minute",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn cut_file(path: &Path, len: u64) {
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

/// The frame number and byte offset of the reader's error in the last line of standard error.
fn error_at(stderr: &str, path: &Path) -> (u64, u64) {
    let line = stderr
        .lines()
        .find(|l| l.contains("cut short while it was read"));
    let line = line.unwrap_or_else(|| panic!("no clear error in: {stderr}"));
    let prefix = format!("{}: frame ", path.display());
    let rest = &line[line.find(&prefix).unwrap_or_else(|| panic!("{line}")) + prefix.len()..];
    let (frame, rest) = rest.split_once(", byte offset ").unwrap();
    let (offset, _) = rest.split_once(':').unwrap();
    (frame.parse().unwrap(), offset.parse().unwrap())
}

/// Each packet of a capture (timestamp and bytes), and how reading it ended.
fn packets(path: &Path) -> Vec<(Timestamp, Vec<u8>)> {
    let mut r = CaptureReader::new(File::open(path).unwrap()).unwrap();
    let mut out = Vec::new();
    while let Some(p) = r
        .next_packet()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    {
        out.push((p.ts, p.data.to_vec()));
    }
    out
}

struct Fixture {
    dir: PathBuf,
    captures: [(Vec<u8>, Vec<u64>); 2],
}

impl Fixture {
    fn new(name: &str) -> Fixture {
        let dir = std::env::temp_dir().join(format!("vxscope-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Fixture {
            dir,
            captures: [big_capture(false), big_capture(true)],
        }
    }

    /// A fresh copy of capture `which` (0 pcap, 1 pcapng), and a cut point: at a record boundary or inside a
    /// record, between a tenth and nine tenths of the file.
    fn copy(&self, which: usize, rng: &mut Rng, run: u64) -> (PathBuf, u64, u64) {
        let (bytes, offsets) = &self.captures[which];
        let ext = if which == 0 { "pcap" } else { "pcapng" };
        let path = self.dir.join(format!("input.{ext}"));
        std::fs::write(&path, bytes).unwrap();
        let n = offsets.len() as u64;
        let frame = n / 10 + rng.below(n * 8 / 10);
        let inside = if run.is_multiple_of(2) {
            0
        } else {
            1 + rng.below(100)
        };
        (path, offsets[frame as usize] + inside, frame)
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn dissect_of_a_file_cut_while_read_prints_every_frame_before_the_cut_then_a_clear_error() {
    let fx = Fixture::new("cut-dissect");
    let mut rng = Rng(0x16);
    let mut hit = 0;
    let runs = 16;
    let mut reference: [Vec<String>; 2] = Default::default();
    for (which, lines) in reference.iter_mut().enumerate() {
        let (path, _, _) = fx.copy(which, &mut rng, 0);
        let out = vxscope(["dissect".as_ref(), path.as_os_str()]);
        assert!(out.status.success());
        *lines = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(lines.len(), FRAMES as usize);
    }
    for run in 0..runs {
        let which = (run % 4 / 2) as usize;
        let (path, cut, cut_frame) = fx.copy(which, &mut rng, run);
        let mut child = Command::new(vxscope_bin())
            .arg("dissect")
            .arg(&path)
            .env("TZ", "UTC")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        // The reader is running: cut the file now, or a moment later.
        std::thread::sleep(Duration::from_millis(rng.below(20)));
        cut_file(&path, cut);
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        let status = wait(&mut child, "dissect");
        assert_eq!(
            status.signal(),
            None,
            "run {run}: killed by a signal: {err}"
        );
        let printed: Vec<&str> = first.lines().chain(rest.lines()).collect();
        if status.code() == Some(0) {
            // It read the whole file before the cut.
            assert_eq!(printed, reference[which]);
            continue;
        }
        hit += 1;
        assert_eq!(status.code(), Some(1), "run {run}: {err}");
        let (frame, offset) = error_at(&err, &path);
        let offsets = &fx.captures[which].1;
        assert_eq!(offsets[frame as usize - 1], offset, "run {run}: {err}");
        assert!(frame > cut_frame, "run {run}: {frame} {cut_frame}: {err}");
        assert_eq!(
            printed,
            reference[which][..frame as usize - 1],
            "run {run}: every frame before the error, as from the whole file"
        );
    }
    eprintln!("{hit} of {runs} runs cut the file while it was read");
    assert!(
        hit >= runs / 2,
        "only {hit} of {runs} runs cut the file while it was read"
    );
}

#[test]
fn strip_of_a_file_cut_while_read_writes_every_frame_before_the_cut_then_a_clear_error() {
    let fx = Fixture::new("cut-strip");
    let mut rng = Rng(0x1616);
    let mut hit = 0;
    let runs = 16;
    let mut reference: [Vec<(Timestamp, Vec<u8>)>; 2] = Default::default();
    for (which, packets_of) in reference.iter_mut().enumerate() {
        let (path, _, _) = fx.copy(which, &mut rng, 0);
        let out_path = fx.dir.join("reference.pcap");
        let out = vxscope(["strip".as_ref(), path.as_os_str(), out_path.as_os_str()]);
        assert!(out.status.success());
        *packets_of = packets(&out_path);
        assert_eq!(packets_of.len(), FRAMES as usize);
    }
    for run in 0..runs {
        let which = (run % 4 / 2) as usize;
        let (path, cut, cut_frame) = fx.copy(which, &mut rng, run);
        let out_path = fx.dir.join("stripped.pcap");
        let _ = std::fs::remove_file(&out_path);
        let mut child = Command::new(vxscope_bin())
            .arg("strip")
            .arg(&path)
            .arg(&out_path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_until_open(&mut child, &path);
        std::thread::sleep(Duration::from_millis(rng.below(30)));
        cut_file(&path, cut);
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        let status = wait(&mut child, "strip");
        assert_eq!(
            status.signal(),
            None,
            "run {run}: killed by a signal: {err}"
        );
        let written = packets(&out_path);
        if status.code() == Some(0) {
            assert_eq!(written, reference[which]);
            continue;
        }
        hit += 1;
        assert_eq!(status.code(), Some(1), "run {run}: {err}");
        let (frame, offset) = error_at(&err, &path);
        assert_eq!(
            fx.captures[which].1[frame as usize - 1],
            offset,
            "run {run}"
        );
        assert!(frame > cut_frame, "run {run}: {frame} {cut_frame}: {err}");
        assert!(
            written[..] == reference[which][..frame as usize - 1],
            "run {run}: {} packets written, the error at frame {frame}",
            written.len()
        );
    }
    eprintln!("{hit} of {runs} runs cut the file while it was read");
    assert!(
        hit >= runs / 2,
        "only {hit} of {runs} runs cut the file while it was read"
    );
}
