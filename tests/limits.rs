//! Limits that hold under attack: a captured or block length over the bound is refused before anything is
//! allocated for it; VXLAN nested deeper than `MAX_DEPTH` (zeek's `vxlan-triple` capture, wrapped twice more by
//! `vxscope encap`) is decoded to that depth with a note; IPv6 extension-header chains, TCP options and ICMP
//! quotes stop where their bounds say; a topology file over `MAX_SOURCE_LEN` is refused without being read whole.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fs::File;
use std::path::Path;

use serde_json::Value;
use vxscope_capture::{
    CaptureReader, CaptureWriter, ErrorKind, MAX_BLOCK_LEN, MAX_CAPLEN, Timestamp,
};
use vxscope_dissector::LinkType;
use vxscope_tests::TempDir;
use vxscope_tests::{data, sample, stderr, stdout, vxscope};

/// Counts the bytes this thread holds allocated, and their peak, so that a test can see what reading a hostile
/// header allocated (other tests run on other threads).
struct Counting;

thread_local! {
    static HELD: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = HELD.try_with(|h| {
            h.set(h.get() + layout.size());
            let _ = PEAK.try_with(|p| p.set(p.get().max(h.get())));
        });
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = HELD.try_with(|h| h.set(h.get().saturating_sub(layout.size())));
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Reads a capture in memory to its end; returns the error and the most this thread held meanwhile beyond what
/// it held before.
fn read_peak(bytes: &[u8]) -> (String, ErrorKindName, usize) {
    let before = HELD.with(Cell::get);
    PEAK.with(|p| p.set(before));
    let outcome = match CaptureReader::new(bytes) {
        Err(e) => (e.to_string(), name(&e.kind)),
        Ok(mut r) => loop {
            match r.next_packet() {
                Ok(Some(_)) => {}
                Ok(None) => break ("read to the end".to_string(), "none"),
                Err(e) => break (e.to_string(), name(&e.kind)),
            }
        },
    };
    (outcome.0, outcome.1, PEAK.with(Cell::get) - before)
}

type ErrorKindName = &'static str;

fn name(kind: &ErrorKind) -> ErrorKindName {
    match kind {
        ErrorKind::CaplenTooLarge { .. } => "caplen too large",
        ErrorKind::BlockTooLarge { .. } => "block too large",
        ErrorKind::TruncatedRecord { .. } => "truncated record",
        ErrorKind::BlockTooShort { .. } => "block too short",
        _ => "other",
    }
}

fn le32(v: u32) -> [u8; 4] {
    v.to_le_bytes()
}

/// A pcapng section header and one Ethernet interface, little-endian.
fn pcapng_start() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(le32(0x0a0d_0d0a));
    b.extend(le32(28));
    b.extend(le32(0x1a2b_3c4d));
    b.extend([1, 0, 0, 0]);
    b.extend((-1i64).to_le_bytes());
    b.extend(le32(28));
    b.extend(le32(1));
    b.extend(le32(20));
    b.extend([1, 0, 0, 0]);
    b.extend(le32(65535));
    b.extend(le32(20));
    b
}

#[test]
fn capture_lengths_over_the_bound_are_refused_before_any_allocation() {
    let seed = std::fs::read(sample("seed.pcap")).unwrap();
    // The reader's own buffer is 256 KiB; nothing a hostile length asks for may be added to it.
    let budget = 256 * 1024 + 16 * 1024;
    let mut cases: Vec<(&str, Vec<u8>, ErrorKindName)> = Vec::new();
    for caplen in [MAX_CAPLEN + 1, 0x7fff_ffff, u32::MAX] {
        let mut b = seed[..24].to_vec();
        b.extend(&seed[24..32]);
        b.extend(le32(caplen));
        b.extend(le32(caplen));
        b.extend(&seed[40..]);
        cases.push(("pcap record caplen", b, "caplen too large"));
    }
    for len in [MAX_BLOCK_LEN + 4, 0x7fff_fffc, 0xffff_fffc] {
        let mut b = pcapng_start();
        b.extend(le32(6));
        b.extend(le32(len));
        b.extend([0; 64]);
        cases.push(("pcapng packet block length", b, "block too large"));
        let mut b = pcapng_start()[..28].to_vec();
        b.extend(le32(1));
        b.extend(le32(len));
        b.extend([0; 64]);
        cases.push(("pcapng interface block length", b, "block too large"));
        // A block vxscope does not read is skipped in steps of the buffer, never held whole: the file ends first.
        let mut b = pcapng_start();
        b.extend(le32(0x0bad));
        b.extend(le32(len));
        b.extend([0; 64]);
        cases.push(("pcapng unknown block length", b, "truncated record"));
    }
    for caplen in [MAX_CAPLEN + 1, u32::MAX] {
        let mut b = pcapng_start();
        b.extend(le32(6));
        b.extend(le32(32 + 64));
        b.extend(le32(0));
        b.extend([0; 8]);
        b.extend(le32(caplen));
        b.extend(le32(caplen));
        b.extend([0; 64]);
        b.extend(le32(32 + 64));
        cases.push(("pcapng packet caplen", b, "caplen too large"));
    }
    for (what, bytes, want) in &cases {
        let (message, kind, peak) = read_peak(bytes);
        assert_eq!(kind, *want, "{what}: {message}");
        assert!(
            peak <= budget,
            "{what}: {peak} bytes allocated reading it ({message})"
        );
        assert!(
            message.starts_with("frame 1, byte offset "),
            "{what}: {message}"
        );
    }
    // Through the binary: status 1 and the same message, naming the file.
    let dir = TempDir::new("limits-caplen");
    let path = dir.path("huge-caplen.pcap");
    std::fs::write(&path, &cases[2].1).unwrap();
    let out = vxscope(["dissect", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!(
            "{}: frame 1, byte offset 24: captured length 4294967295 is over the 262144-byte limit",
            path.display()
        )),
        "{}",
        stderr(&out)
    );
}

/// The JSON objects `vxscope dissect --json` prints for a capture.
fn json_frames(path: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["dissect", "--json"];
    args.extend_from_slice(extra);
    args.push(path.to_str().unwrap());
    let out = vxscope(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn note_codes(frame: &Value) -> Vec<String> {
    frame["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap().to_string())
        .collect()
}

fn field_names(frame: &Value) -> Vec<String> {
    frame["fields"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn nested_vxlan_is_decoded_to_a_bounded_depth_with_a_note() {
    let triple = data("ffi/zeek-vxlan-triple-v2.pcap");
    // Three VXLAN headers: each decoded, the DNS query inside the third too, no note of depth.
    let frames = json_frames(&triple, &[]);
    let names = field_names(&frames[0]);
    for f in [
        "vxlan.vni",
        "inner.vxlan.vni",
        "inner.inner.vxlan.vni",
        "inner.inner.inner.udp.dstport",
    ] {
        assert!(names.contains(&f.to_string()), "{f}: {names:?}");
    }
    assert!(!note_codes(&frames[0]).contains(&"vxlan.too_deep".to_string()));
    // Wrapped twice more (five levels): decoded to the third, whose frame is data, with the note on it.
    let dir = TempDir::new("limits-nested");
    let mut input = triple;
    for level in 4..=5 {
        let output = dir.path(&format!("level{level}.pcap"));
        let out = vxscope([
            "encap",
            input.to_str().unwrap(),
            output.to_str().unwrap(),
            "--outer-src-ip",
            "10.0.0.1",
            "--outer-dst-ip",
            "10.0.0.2",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        input = output;
    }
    let frames = json_frames(&input, &[]);
    let names = field_names(&frames[0]);
    assert!(names.contains(&"inner.inner.inner.vxlan.vni".to_string()));
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("inner.inner.inner.inner.")),
        "{names:?}"
    );
    assert!(names.contains(&"inner.inner.inner.data.data".to_string()));
    let notes = frames[0]["notes"].as_array().unwrap();
    let deep = notes
        .iter()
        .find(|n| n["code"] == "vxlan.too_deep")
        .expect("a note of the depth");
    // The fourth VXLAN header ends at 4 * 50 bytes; the note covers the rest of the frame.
    assert_eq!(deep["offset"], 200);
    assert_eq!(
        deep["length"].as_u64().unwrap(),
        frames[0]["caplen"].as_u64().unwrap() - 200
    );
}

/// Writes one Ethernet frame as a pcap and returns its dissection as JSON.
fn dissect_frame(dir: &TempDir, name: &str, frame: &[u8]) -> Value {
    let path = dir.path(name);
    let mut w = CaptureWriter::pcap(
        File::create(&path).unwrap(),
        LinkType::ETHERNET,
        65535,
        false,
    )
    .unwrap();
    w.write_packet(0, Timestamp::default(), frame.len() as u32, frame, &[])
        .unwrap();
    w.flush().unwrap();
    drop(w);
    json_frames(&path, &[]).remove(0)
}

fn ethernet(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
    f.extend(ethertype.to_be_bytes());
    f.extend(payload);
    f
}

/// How many values a field has in a JSON frame (a name that occurs twice maps to an array).
fn occurrences(frame: &Value, name: &str) -> usize {
    match &frame["fields"][name] {
        Value::Null => 0,
        Value::Array(a) => a.len(),
        _ => 1,
    }
}

#[test]
fn ipv6_extension_chains_tcp_options_and_icmp_quotes_stop_at_their_bounds() {
    let dir = TempDir::new("limits-layers");
    // IPv6 with 200 destination-options headers (8 bytes each, PadN) before UDP: 8 are followed, the rest is not
    // decoded, and nothing is read past the frame.
    let n = 200;
    let mut ext = Vec::new();
    for i in 0..n {
        ext.push(if i + 1 == n { 17 } else { 60 });
        ext.extend([0, 1, 4, 0, 0, 0, 0]);
    }
    ext.extend([0x30, 0x39, 0x00, 0x35, 0, 8, 0, 0]);
    let mut ip6 = vec![0x60, 0, 0, 0];
    ip6.extend((ext.len() as u16).to_be_bytes());
    ip6.extend([60, 64]);
    ip6.extend([0xfd; 16]);
    ip6.extend([0xfe; 16]);
    ip6.extend(&ext);
    let frame = dissect_frame(&dir, "ipv6-chain.pcap", &ethernet(0x86dd, &ip6));
    assert_eq!(occurrences(&frame, "ipv6.dstopts"), 8, "{frame}");
    assert!(!field_names(&frame).contains(&"udp.srcport".to_string()));
    let note = frame["notes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["code"] == "ipv6.too_many_extensions")
        .unwrap_or_else(|| panic!("no note of the bound: {frame}"));
    assert_eq!(note["offset"], 14 + 40 + 8 * 8);

    // TCP with the largest header (60 bytes) full of NOPs: 40 option kinds, nothing past the header.
    let mut tcp = vec![
        0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0xf0, 0x02, 0xff, 0xff, 0, 0, 0, 0,
    ];
    tcp.extend([1; 40]);
    let mut ip4 = vec![
        0x45, 0, 0, 0, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    let total = (ip4.len() + tcp.len()) as u16;
    ip4[2..4].copy_from_slice(&total.to_be_bytes());
    ip4.extend(&tcp);
    let frame = dissect_frame(&dir, "tcp-options.pcap", &ethernet(0x0800, &ip4));
    assert_eq!(occurrences(&frame, "tcp.option_kind"), 40, "{frame}");
    assert_eq!(frame["fields"]["tcp.hdr_len"], 60);

    // ICMP port unreachable quoting an ICMP port unreachable quoting UDP: the first quote is decoded (the
    // `quoted.` scope), the quote inside it is data; there is no second level of quoting.
    let udp = [0x30, 0x39, 0x21, 0x18, 0, 8, 0, 0];
    let ip_hdr = |proto: u8, len: usize| {
        let mut h = vec![
            0x45, 0, 0, 0, 0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        h[2..4].copy_from_slice(&((20 + len) as u16).to_be_bytes());
        h
    };
    let icmp_error = |quote: &[u8]| {
        let mut m = vec![3, 3, 0, 0, 0, 0, 0, 0];
        m.extend(quote);
        m
    };
    let mut innermost = ip_hdr(17, udp.len());
    innermost.extend(udp);
    let inner_icmp = icmp_error(&innermost);
    let mut quoted = ip_hdr(1, inner_icmp.len());
    quoted.extend(&inner_icmp);
    let outer_icmp = icmp_error(&quoted);
    let mut packet = ip_hdr(1, outer_icmp.len());
    packet.extend(&outer_icmp);
    let frame = dissect_frame(&dir, "icmp-quotes.pcap", &ethernet(0x0800, &packet));
    let names = field_names(&frame);
    assert!(names.contains(&"quoted.icmp.type".to_string()), "{names:?}");
    assert!(names.contains(&"quoted.icmp.data".to_string()), "{names:?}");
    assert!(
        !names.iter().any(|n| n.starts_with("quoted.quoted.")),
        "{names:?}"
    );
    assert!(
        !names.contains(&"quoted.udp.srcport".to_string()),
        "{names:?}"
    );
}

#[test]
fn topology_files_over_the_bound_are_refused_without_being_read_whole() {
    use vxscope_dissector::flannel::MAX_SOURCE_LEN;
    let dir = TempDir::new("limits-topology");
    // A sparse file far over the bound: reading it whole would take 4 GiB.
    let huge = dir.path("nodes.json");
    File::create(&huge)
        .unwrap()
        .set_len(4 * 1024 * 1024 * 1024)
        .unwrap();
    // Just over the bound: valid text otherwise.
    let over = dir.path("pods.txt");
    let pods = std::fs::read_to_string(sample("flannel/seed-pods.txt")).unwrap();
    let mut text = pods.clone();
    while text.len() <= MAX_SOURCE_LEN {
        text.push_str(&" ".repeat(1 << 20));
        text.push('\n');
    }
    std::fs::write(&over, &text).unwrap();
    for (option, path) in [
        ("--nodes", &huge),
        ("--pods", &over),
        ("--node-info", &over),
    ] {
        let out = std::process::Command::new("/usr/bin/time")
            .arg("-f")
            .arg("peak-kib=%M")
            .arg(vxscope_tests::vxscope_bin())
            .args(["dissect", sample("seed.pcap").to_str().unwrap(), option])
            .arg(path)
            .output()
            .expect("run /usr/bin/time");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{option}: {err}");
        assert!(
            err.contains(&format!(
                "over the {MAX_SOURCE_LEN}-byte limit of a topology source"
            )),
            "{option}: {err}"
        );
        let peak: u64 = err
            .lines()
            .find_map(|l| l.strip_prefix("peak-kib="))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(peak < 3 * 32 * 1024, "{option}: {peak} KiB");
    }
    // Just under the bound, the same text is read.
    let under = dir.path("pods-under.txt");
    std::fs::write(&under, &text[..MAX_SOURCE_LEN - 2]).unwrap();
    let out = vxscope([
        "dissect",
        sample("seed.pcap").to_str().unwrap(),
        "--pods",
        under.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}
