//! What each fuzz target checks of one input, shared with the tests of the main workspace: the fuzz targets
//! (`fuzz/fuzz_targets/`) call these functions under libFuzzer, `tests/fuzz_regressions.rs` calls them on every
//! input the fuzzers found (`tests/data/fuzz/<target>/`) and `tests/mutations.rs` on mutated samples, so a
//! regression input fails `cargo test` without nightly. Each function panics when an invariant breaks.

use std::ffi::CStr;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ptr::{null, null_mut};
use std::sync::OnceLock;

use vxscope_capture::{CaptureReader, CaptureWriter, MAX_CAPLEN, Timestamp};
use vxscope_dissector::filter::FrameFacts;
use vxscope_dissector::flannel::{TopologyBuilder, TopologySource};
use vxscope_dissector::i18n::Lang;
use vxscope_dissector::render::columns::{Columns, Values};
use vxscope_dissector::render::fields::Occurrence;
use vxscope_dissector::render::hexdump::{self, Format};
use vxscope_dissector::render::json::{FrameInfo, JsonWriter};
use vxscope_dissector::render::{NativeView, summary, tree};
use vxscope_dissector::{Config, Dissection, Dissector, LinkType, hextext};
use vxscope_rewriter::encap::{Encap, EncapConfig, Outer, Route, SourcePort, UdpChecksum};
use vxscope_rewriter::locate::dissector_config;
use vxscope_rewriter::remap::{ChecksumMode, Maps, Remap};
use vxscope_rewriter::run::{self, Options, OtherPolicy, Rewrite};
use vxscope_rewriter::strip::Strip;

/// The seed packet's cluster: nodes and pods, so that frames are annotated as flannel's.
const NODES: &str = include_str!("../../samples/flannel/nodes.json");
const PODS: &str = include_str!("../../samples/flannel/seed-pods.txt");

/// Dissectors under each reading: default, 8472 as OTV, GBP, every port VXLAN, and with the cluster's topology.
fn dissectors() -> &'static [Dissector] {
    static D: OnceLock<Vec<Dissector>> = OnceLock::new();
    D.get_or_init(|| {
        let mut topology = TopologyBuilder::new();
        topology
            .add(&TopologySource::Nodes {
                text: NODES.into(),
                label: "nodes.json".into(),
            })
            .and_then(|b| {
                b.add(&TopologySource::Pods {
                    text: PODS.into(),
                    label: "pods.txt".into(),
                })
            })
            .expect("the sample topology");
        vec![
            Dissector::new(Config::default()),
            Dissector::new(Config {
                decode_8472_as_otv: true,
                ..Config::default()
            }),
            Dissector::new(Config {
                gbp: true,
                ..Config::default()
            }),
            Dissector::new(Config {
                vxlan_ports: (0..=u16::MAX).collect(),
                ..Config::default()
            }),
            Dissector::with_topology(Config::default(), topology.build()),
        ]
    })
}

/// The link type an input's first byte selects: one of those vxscope decodes, or (rarely) any other.
pub fn link_type(selector: u8) -> LinkType {
    let decoded = LinkType::DECODED;
    match decoded.get(usize::from(selector) % (decoded.len() + 1)) {
        Some(&l) => l,
        None => LinkType(u32::from(selector)),
    }
}

/// Dissects `frame` as `link` with `dissector`, checks that every field, layer and note lies inside it, and
/// renders it in every view (one line, tree, JSON that parses, the text hex dump and, with `every_dump`, the
/// Markdown, HTML and SVG ones, in `lang`).
pub fn dissect_frame(
    dissector: &Dissector,
    link: LinkType,
    frame: &[u8],
    wire_len: u32,
    lang: Lang,
    every_dump: bool,
) {
    let mut d = Dissection::new();
    dissector.dissect(link, frame, wire_len, &mut d);
    for f in d.fields() {
        assert!(
            f.range().end <= frame.len(),
            "field {:?} past the frame",
            f.id
        );
    }
    for l in d.layers() {
        assert!(
            (l.offset + l.len) as usize <= frame.len(),
            "layer past the frame"
        );
    }
    for n in d.notes() {
        assert!(
            (n.offset + n.len) as usize <= frame.len(),
            "note past the frame"
        );
    }
    let view = NativeView {
        dissection: &d,
        frame,
    };
    let mut out = Vec::new();
    summary::write(&mut out, &d, frame);
    assert!(std::str::from_utf8(&out).is_ok(), "summary not UTF-8");
    out.clear();
    tree::write(&mut out, &view);
    assert!(std::str::from_utf8(&out).is_ok(), "tree not UTF-8");
    out.clear();
    let info = FrameInfo {
        number: 1,
        ts_sec: 0,
        ts_nsec: 0,
        caplen: frame.len() as u32,
        len: wire_len,
        file: None,
    };
    let mut json = JsonWriter::new();
    json.write_frame(&mut out, &info, &view);
    let frame_json = match serde_json::from_slice::<serde_json::Value>(&out) {
        Ok(v) => v,
        Err(e) => panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(&out)),
    };
    // -T ek: an index line and a document holding the JSON's values, each field once.
    out.clear();
    json.write_ek(&mut out, &info, &view);
    let text = std::str::from_utf8(&out).expect("ek not UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "ek: {text}");
    let doc: serde_json::Value = serde_json::from_str(lines[1])
        .unwrap_or_else(|e| panic!("invalid ek document ({e}): {}", lines[1]));
    let mut ek_fields = serde_json::Map::new();
    for (layer, fields) in doc["layers"].as_object().expect("ek layers") {
        if layer != "frame" {
            for (k, v) in fields.as_object().expect("ek layer object") {
                assert!(
                    ek_fields.insert(k.clone(), v.clone()).is_none(),
                    "ek: {k} twice"
                );
            }
        }
    }
    let renamed: serde_json::Map<String, serde_json::Value> = frame_json["fields"]
        .as_object()
        .expect("JSON fields")
        .iter()
        .map(|(k, v)| (k.replace('.', "_"), v.clone()))
        .collect();
    assert_eq!(ek_fields, renamed, "ek values differ from JSON's");
    // Parquet rows: every column of the default set, every occurrence, levels consistent with the values.
    let columns = Columns::new(&[], Occurrence::All).expect("the default columns");
    let mut batch = columns.batch();
    columns.push(&mut batch, &d, frame, &FrameFacts::default());
    for (column, data) in columns.columns().iter().zip(&batch.columns) {
        let values = match &data.values {
            Values::Int(v) => v.len(),
            Values::Bool(v) => v.len(),
            Values::Text { bytes, ends } => {
                assert!(ends.windows(2).all(|w| w[0] <= w[1]), "{}", column.name);
                assert!(
                    ends.last().is_none_or(|&e| e == bytes.len()),
                    "{}",
                    column.name
                );
                assert!(
                    std::str::from_utf8(bytes).is_ok(),
                    "{} not UTF-8",
                    column.name
                );
                ends.len()
            }
        };
        assert_eq!(
            values,
            data.def.iter().filter(|&&l| l == 1).count(),
            "{}",
            column.name
        );
        if column.list {
            assert_eq!(data.rep.len(), data.def.len(), "{}", column.name);
            assert_eq!(
                data.rep.iter().filter(|&&r| r == 0).count(),
                1,
                "{}",
                column.name
            );
        } else {
            assert_eq!(data.def.len(), 1, "{}", column.name);
        }
    }
    let formats: &[Format] = if every_dump {
        &[Format::Text, Format::Markdown, Format::Html, Format::Svg]
    } else {
        &[Format::Text]
    };
    for &format in formats {
        out.clear();
        hexdump::write(&mut out, &d, frame, format, lang);
        assert!(
            std::str::from_utf8(&out).is_ok(),
            "{format:?} dump not UTF-8"
        );
    }
}

/// The dissector target: byte 0 picks the link type, byte 1 the reading, the language and a snap-length cut.
pub fn dissect(data: &[u8]) {
    let [link, options, frame @ ..] = data else {
        return;
    };
    let dissectors = dissectors();
    let dissector = &dissectors[usize::from(options & 7) % dissectors.len()];
    let lang = if options & 8 != 0 { Lang::Zh } else { Lang::En };
    let wire_len = frame.len() as u32 + u32::from(options >> 4) * 100;
    dissect_frame(dissector, link_type(*link), frame, wire_len, lang, true);
}

/// The hex-text target: the text is parsed; every packet it yields is dissected as Ethernet.
pub fn hex_text(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(packets) = hextext::parse(&text) {
        for p in packets.iter().take(4) {
            assert!(p.line >= 1, "a packet at line 0");
            let len = p.bytes.len() as u32;
            dissect_frame(
                &dissectors()[0],
                LinkType::ETHERNET,
                &p.bytes,
                len,
                Lang::En,
                true,
            );
        }
    }
}

/// Everything a reader says of a capture: each packet, then how reading it ended.
fn read_all<R: std::io::Read>(
    reader: Result<CaptureReader<R>, vxscope_capture::CaptureError>,
) -> Vec<String> {
    let mut reader = match reader {
        Ok(r) => r,
        Err(e) => return vec![format!("error {e}")],
    };
    let mut seen = Vec::new();
    loop {
        match reader.next_packet() {
            Ok(Some(p)) => {
                assert!(p.data.len() as u32 <= MAX_CAPLEN, "a packet over the bound");
                assert!(p.orig_len as usize >= p.data.len());
                seen.push(format!(
                    "{} @{} {:?} {}.{:09} {} {:?} {:?}",
                    p.number,
                    p.offset,
                    p.link_type,
                    p.ts.sec,
                    p.ts.nsec,
                    p.orig_len,
                    p.data,
                    p.options
                ));
                let _ = p.comments().count();
            }
            Ok(None) => return seen,
            Err(e) => {
                seen.push(format!("error {e}"));
                return seen;
            }
        }
    }
}

/// A memfd holding `bytes`, sealed against change: the reader maps it.
fn sealed_memfd(bytes: &[u8]) -> std::fs::File {
    use std::os::fd::FromRawFd;
    // SAFETY: memfd_create returns a new descriptor (checked), owned by the File from then on.
    let fd = unsafe { libc::memfd_create(c"fuzz-capture".as_ptr(), libc::MFD_ALLOW_SEALING) };
    assert!(fd >= 0, "memfd_create: {}", std::io::Error::last_os_error());
    let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
    file.write_all(bytes).unwrap();
    let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
    // SAFETY: F_ADD_SEALS on a descriptor this function owns.
    assert_eq!(unsafe { libc::fcntl(fd, libc::F_ADD_SEALS, seals) }, 0);
    file
}

/// The capture-reader target: the input is a capture file, read streamed (from memory, a byte at a time) and
/// mapped (a sealed memfd): the same packets and the same error at the same place.
pub fn capture(data: &[u8]) {
    let streamed = read_all(CaptureReader::from_stream(data));
    let trickled = read_all(CaptureReader::from_stream(OneByte(data)));
    assert_eq!(trickled, streamed, "read a byte at a time");
    if !data.is_empty() {
        let mapped = read_all(CaptureReader::from_file(sealed_memfd(data)));
        assert_eq!(mapped, streamed, "mapped");
    }
}

/// A reader that returns one byte a call: every refill path of the reader.
struct OneByte<'a>(&'a [u8]);

impl std::io::Read for OneByte<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((b, rest)), Some(slot)) => {
                *slot = *b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// The topology target: byte 0 picks the source (kubectl nodes JSON, node outputs, pods list); byte 1 whether
/// the sample's nodes come first. A source that parses annotates the seed packet.
pub fn topology(data: &[u8]) {
    let [kind, options, text @ ..] = data else {
        return;
    };
    let text = String::from_utf8_lossy(text).into_owned();
    let label = "fuzz".to_string();
    let source = match kind % 3 {
        0 => TopologySource::Nodes { text, label },
        1 => TopologySource::NodeInfo {
            text,
            label,
            node: (options & 2 != 0).then(|| "k8s-node1".to_string()),
        },
        _ => TopologySource::Pods { text, label },
    };
    let mut builder = TopologyBuilder::new();
    if options & 1 != 0 {
        builder
            .add(&TopologySource::Nodes {
                text: NODES.into(),
                label: "nodes.json".into(),
            })
            .expect("the sample nodes");
    }
    if let Err(e) = builder.add(&source) {
        assert!(!e.to_string().is_empty());
        return;
    }
    let topology = builder.build();
    let dissector = Dissector::with_topology(Config::default(), topology);
    let seed = seed_frame();
    dissect_frame(
        &dissector,
        LinkType::ETHERNET,
        seed,
        seed.len() as u32,
        Lang::En,
        true,
    );
}

/// The seed packet: a flannel VXLAN ping between two pods.
pub fn seed_frame() -> &'static [u8] {
    static SEED: OnceLock<Vec<u8>> = OnceLock::new();
    SEED.get_or_init(|| {
        let bytes = include_bytes!("../../samples/seed.pcap");
        let mut r = CaptureReader::new(&bytes[..]).unwrap();
        r.next_packet().unwrap().unwrap().data.to_vec()
    })
}

/// The text of a C string of the library, checked against its length when one is given.
fn c_text(p: *const std::ffi::c_char, len: Option<usize>) -> String {
    assert!(!p.is_null(), "a NULL string");
    // SAFETY: the library's strings are NUL-terminated and live as long as their dissection.
    let s = unsafe { CStr::from_ptr(p) }
        .to_str()
        .expect("UTF-8")
        .to_owned();
    if let Some(len) = len {
        assert_eq!(s.len(), len, "a string's length");
    }
    s
}

/// The C ABI target: byte 0 picks the link type, byte 1 the call (a frame, or a bare VXLAN payload), the
/// language, and whether a session learns from the frame; every record, the summary and each hex dump are read
/// and checked.
pub fn ffi(data: &[u8]) {
    use vxscope::*;
    let [link, options, frame @ ..] = data else {
        return;
    };
    thread_local! {
        static CONTEXT: *mut vxscope::handles::Context = {
            let mut c = null_mut();
            // SAFETY: a writable out-pointer; default options.
            assert_eq!(unsafe { vxscope_context_new(null(), &mut c) }, VXSCOPE_OK);
            c
        };
    }
    let ctx = CONTEXT.with(|c| *c);
    let mut d = null_mut();
    // SAFETY: a live context, `frame` readable for its length, a writable out-pointer.
    let status = unsafe {
        if options & 1 == 0 {
            let wire = frame.len() as u32 + u32::from(options >> 4);
            vxscope_dissect(
                ctx,
                link_type(*link).0,
                frame.as_ptr(),
                frame.len(),
                wire,
                &mut d,
            )
        } else {
            vxscope_dissect_vxlan_payload(ctx, frame.as_ptr(), frame.len(), &mut d)
        }
    };
    if status != VXSCOPE_OK {
        assert!(d.is_null());
        let _ = c_text(vxscope_last_error(), None);
        return;
    }
    // Bit 2: a session learns from the frame (decoded apart), once; what it then says is read below.
    if options & 4 != 0 {
        let mut session = null_mut();
        // SAFETY: a live context and dissection, a writable out-pointer; the session is freed here.
        unsafe {
            assert_eq!(vxscope_session_new(ctx, &mut session), VXSCOPE_OK);
            let learnt = vxscope_session_learn(session, d);
            // A bare VXLAN payload was not decoded as a capture's frame: no session learns from it.
            if options & 1 == 0 {
                assert_eq!(learnt, VXSCOPE_OK);
            } else {
                assert_eq!(learnt, VXSCOPE_ERR_INVALID_ARGUMENT);
            }
            assert_eq!(
                vxscope_session_learn(session, d),
                VXSCOPE_ERR_INVALID_ARGUMENT
            );
            assert_eq!(vxscope_session_free(session), VXSCOPE_OK);
        }
    }
    let lang = if options & 2 == 0 {
        VXSCOPE_LANG_EN
    } else {
        VXSCOPE_LANG_ZH
    };
    // SAFETY: a live dissection and writable records throughout; freed once at the end.
    unsafe {
        let mut counts = Counts::default();
        assert_eq!(vxscope_dissection_counts(d, &mut counts), VXSCOPE_OK);
        let (mut fields, mut n): (*const FieldRecord, usize) = (null(), 0);
        assert_eq!(
            vxscope_dissection_fields(d, &mut fields, &mut n),
            VXSCOPE_OK
        );
        assert_eq!(n, counts.fields);
        for i in 0..n {
            let f = &*fields.add(i);
            c_text(f.value, Some(f.value_len));
            c_text(f.abbrev, None);
            assert!((f.layer as usize) < counts.layers);
            assert!(f.offset as usize + f.length as usize <= frame.len());
        }
        let (mut layers, mut n): (*const LayerRecord, usize) = (null(), 0);
        assert_eq!(
            vxscope_dissection_layers(d, &mut layers, &mut n),
            VXSCOPE_OK
        );
        assert_eq!(n, counts.layers);
        for i in 0..n {
            let l = &*layers.add(i);
            c_text(l.abbrev, None);
            assert!(l.offset as usize + l.length as usize <= frame.len());
        }
        let (mut notes, mut n): (*const NoteRecord, usize) = (null(), 0);
        assert_eq!(vxscope_dissection_notes(d, &mut notes, &mut n), VXSCOPE_OK);
        for i in 0..n {
            let note = &*notes.add(i);
            c_text(note.message, Some(note.message_len));
            assert!(note.severity <= VXSCOPE_SEVERITY_ERROR);
        }
        let (mut s, mut len) = (null(), 0);
        assert_eq!(vxscope_dissection_summary(d, &mut s, &mut len), VXSCOPE_OK);
        c_text(s, Some(len));
        for format in [
            VXSCOPE_HEXDUMP_TEXT,
            VXSCOPE_HEXDUMP_MARKDOWN,
            VXSCOPE_HEXDUMP_HTML,
        ] {
            let (mut s, mut len) = (null(), 0);
            assert_eq!(
                vxscope_dissection_hexdump(d, format, lang, &mut s, &mut len),
                VXSCOPE_OK
            );
            c_text(s, Some(len));
        }
        let mut index = 0;
        let _ = vxscope_dissection_find_field(d, c"ip.src".as_ptr(), 0, &mut index);
        assert_eq!(vxscope_dissection_free(d), VXSCOPE_OK);
    }
}

/// A packet of a rewrite's output: link type, bytes, length on the wire, timestamp.
pub type Written = (LinkType, Vec<u8>, u32, Timestamp);

/// A pcap of one frame of link type `link`, written by vxscope's own writer.
fn one_frame_capture(link: LinkType, frame: &[u8], wire_len: u32, pcapng: bool) -> Vec<u8> {
    let mut w = if pcapng {
        let mut w = CaptureWriter::pcapng(Vec::new()).unwrap();
        w.add_interface(&vxscope_capture::Interface {
            link_type: link,
            snaplen: 262_144,
            ts_resolution: vxscope_capture::TsResolution::NANOS,
            ts_offset: 0,
            fcs_len: None,
            name: None,
        })
        .unwrap();
        w
    } else {
        CaptureWriter::pcap(Vec::new(), link, 262_144, true).unwrap()
    };
    let ts = Timestamp {
        sec: 1_700_000_000,
        nsec: 123_456_789,
    };
    w.write_packet(0, ts, wire_len, frame, &[]).unwrap();
    w.flush().unwrap();
    w.into_inner()
}

/// Runs a rewrite over a capture in memory; the output must be a valid capture holding every packet that was
/// not dropped. Returns its packets (link type, bytes, length on the wire, timestamp).
pub fn rewrite_capture(
    input: &[u8],
    rewrite: &mut dyn Rewrite,
    other: OtherPolicy,
) -> Option<Vec<Written>> {
    let mut reader = CaptureReader::new(input).ok()?;
    let mut out = Vec::new();
    let report = match run::run(
        &mut reader,
        &mut out,
        rewrite,
        Options {
            format: None,
            other,
        },
    ) {
        Ok(report) => report,
        Err(failure) => failure.report,
    };
    let mut written = CaptureReader::new(&out[..]).expect("a rewrite's output is a capture");
    let mut packets = Vec::new();
    while let Some(p) = written
        .next_packet()
        .unwrap_or_else(|e| panic!("a rewrite's output is damaged: {e}"))
    {
        packets.push((p.link_type, p.data.to_vec(), p.orig_len, p.ts));
    }
    // With `--other drop`, a damaged packet is left out too (counted as damaged).
    let left_out = report.dropped
        + if other == OtherPolicy::Drop {
            report.damaged
        } else {
            0
        };
    // The outer fragments of a datagram strip put back together are written as one packet.
    assert!(report.datagrams <= report.reassembled.count, "{report:?}");
    let joined = report.reassembled.count - report.datagrams;
    assert_eq!(
        packets.len() as u64,
        report.read - left_out - joined,
        "every packet read and not left out is written: {report:?}"
    );
    Some(packets)
}

/// The rewrite target: byte 0 picks the frame's link type, byte 1 the container, the outer IP version, the
/// checksum modes and a snap-length cut. The frame is encapsulated and stripped back (`strip(encap(x)) == x`),
/// and stripped and remapped as it is; every output is a valid capture with every packet.
pub fn rewrite_frame(data: &[u8]) {
    let [link, options, frame @ ..] = data else {
        return;
    };
    if frame.is_empty() || frame.len() > 65_000 {
        return;
    }
    let link = link_type(*link);
    let pcapng = options & 1 != 0;
    let wire_len = frame.len() as u32 + u32::from(options >> 6) * 7;
    let input = one_frame_capture(link, frame, wire_len, pcapng);

    // Encapsulated, then stripped: the frame comes back as it was (as an Ethernet frame).
    let outer = if options & 2 == 0 {
        Outer {
            src_ip: IpAddr::V4(Ipv4Addr::new(172, 16, 100, 101)),
            dst_ip: IpAddr::V4(Ipv4Addr::new(172, 16, 100, 102)),
            src_mac: [0, 0x50, 0x56, 0x93, 0x6a, 0x3a],
            dst_mac: [0, 0x50, 0x56, 0x93, 0x63, 0x3b],
        }
    } else {
        Outer {
            src_ip: IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1)),
            dst_ip: IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2)),
            src_mac: [2, 0, 0, 0, 0, 1],
            dst_mac: [2, 0, 0, 0, 0, 2],
        }
    };
    let config = EncapConfig {
        vni: 1,
        port: 8472,
        src_port: if options & 4 == 0 {
            SourcePort::Flow
        } else {
            SourcePort::Fixed(40_000)
        },
        udp_checksum: if options & 8 == 0 {
            UdpChecksum::Compute
        } else {
            UdpChecksum::Zero
        },
    };
    let plain = Dissector::new(dissector_config(&[]));
    let mut encap = Encap::new(&plain, config, Route::Fixed(outer), false);
    let wrapped_packets =
        rewrite_capture(&input, &mut encap, OtherPolicy::Keep).expect("our own capture");
    let wrapped = one_frame_capture_like(&wrapped_packets, pcapng);
    if link == LinkType::ETHERNET && encap_rewrote(&wrapped_packets, frame) {
        let mut strip = Strip::new(&plain, options & 16 != 0 && pcapng);
        let back =
            rewrite_capture(&wrapped, &mut strip, OtherPolicy::Keep).expect("our own capture");
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].1, frame, "strip(encap(x)) == x");
        assert_eq!(
            back[0].2, wire_len,
            "strip(encap(x)) keeps the length on the wire"
        );
        assert_eq!(back[0].3, wrapped_packets[0].3, "and the timestamp");
    }

    // The frame as it is, stripped and remapped (it may be a VXLAN packet itself, or anything else).
    for other in [OtherPolicy::Keep, OtherPolicy::Drop] {
        let mut strip = Strip::new(&plain, false);
        rewrite_capture(&input, &mut strip, other).expect("our own capture");
        let maps = Maps {
            ports: vec![(8472, 4789)],
            vnis: vec![(1, 2)],
        };
        let ports = dissector_config(&maps.vxlan_ports());
        let dissector = Dissector::new(ports);
        let mode = [
            ChecksumMode::Keep,
            ChecksumMode::Zero,
            ChecksumMode::Compute,
        ][usize::from(options >> 4 & 3) % 3];
        let mut remap = Remap::new(&dissector, maps, mode, false);
        rewrite_capture(&input, &mut remap, other).expect("our own capture");
    }
}

/// Whether encap wrapped the frame (rather than passing it by: a frame it cannot carry goes by `--other`).
fn encap_rewrote(packets: &[Written], frame: &[u8]) -> bool {
    packets.len() == 1 && packets[0].1.len() > frame.len()
}

/// The packets of a rewrite's output, written again as a capture (Ethernet), to feed the next rewrite.
fn one_frame_capture_like(packets: &[Written], pcapng: bool) -> Vec<u8> {
    match packets.first() {
        Some((link, bytes, wire, _)) => one_frame_capture(*link, bytes, *wire, pcapng),
        None => one_frame_capture(LinkType::ETHERNET, &[0; 14], 14, pcapng),
    }
}

/// A whole capture through what every command does in-process: read (streamed and mapped, the same), every
/// frame dissected and rendered (the first `frames`; `variant` picks the reading and the language), and each
/// rewrite (strip, encap, remap) over the whole capture, whose output must be a valid capture holding every
/// packet not left out.
pub fn whole_capture(data: &[u8], variant: u8, frames: usize) {
    capture(data);
    let Ok(mut reader) = CaptureReader::new(data) else {
        return;
    };
    let dissectors = dissectors();
    let dissector = &dissectors[usize::from(variant) % dissectors.len()];
    let lang = if variant & 8 != 0 { Lang::Zh } else { Lang::En };
    let mut n = 0;
    while let Ok(Some(p)) = reader.next_packet() {
        if n == frames {
            break;
        }
        dissect_frame(dissector, p.link_type, p.data, p.orig_len, lang, n == 0);
        n += 1;
    }
    let plain = Dissector::new(dissector_config(&[]));
    let other = if variant & 16 == 0 {
        OtherPolicy::Keep
    } else {
        OtherPolicy::Drop
    };
    rewrite_capture(data, &mut Strip::new(&plain, false), other);
    let outer = Outer {
        src_ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
        dst_ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
        src_mac: [2, 0, 0, 0, 0, 1],
        dst_mac: [2, 0, 0, 0, 0, 2],
    };
    let config = EncapConfig {
        vni: 1,
        port: 8472,
        src_port: SourcePort::Flow,
        udp_checksum: UdpChecksum::Compute,
    };
    rewrite_capture(
        data,
        &mut Encap::new(&plain, config, Route::Fixed(outer), false),
        other,
    );
    let maps = Maps {
        ports: vec![(8472, 4789)],
        vnis: vec![(1, 2)],
    };
    let dissector = Dissector::new(dissector_config(&maps.vxlan_ports()));
    rewrite_capture(
        data,
        &mut Remap::new(&dissector, maps, ChecksumMode::Compute, false),
        other,
    );
}

/// The display-filter target: the input is a filter's text. One that parses parses again from its own text and
/// selects the same frames (the seed packet under the cluster's topology, and its mutilated copies).
pub fn filter(data: &[u8]) {
    use vxscope_dissector::filter::{Filter, FrameFacts};
    let text = String::from_utf8_lossy(data);
    let Ok(filter) = Filter::parse(&text) else {
        return;
    };
    let again = Filter::parse(filter.text()).expect("a filter's own text parses");
    let _ = filter.fields_read();
    let seed = seed_frame();
    for frame in [seed, &seed[..60], &seed[..14]] {
        let mut d = Dissection::new();
        dissectors()[4].dissect(LinkType::ETHERNET, frame, seed.len() as u32, &mut d);
        let facts = FrameFacts {
            number: 1,
            ts_sec: 1_700_000_000,
            ts_nsec: 5,
            ts_digits: 6,
            len: seed.len() as u32,
            cap_len: frame.len() as u32,
        };
        assert_eq!(
            filter.matches(&d, frame, &facts),
            again.matches(&d, frame, &facts),
            "the filter and its text disagree"
        );
    }
}
