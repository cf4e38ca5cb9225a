//! Helpers of the rewriter's tests: reading captures with an independent reader (the pcap-file crate), asking
//! tshark what it sees, scratch directories.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::PcapNgReader;
use pcap_file::pcapng::blocks::Block;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketOption;
use pcap_file::pcapng::blocks::opt_common::CommonOption;
use vxscope_tests as support;

/// One packet of a capture, as the pcap-file crate reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Nanoseconds since the epoch.
    pub ts_ns: u128,
    pub data: Vec<u8>,
    pub orig_len: u32,
    /// Link type (of the file, or of the packet's interface).
    pub link: u32,
    pub interface: u32,
    pub comments: Vec<String>,
}

/// What a capture file holds.
#[derive(Clone, Debug)]
pub struct Capture {
    pub pcapng: bool,
    /// pcap: nanosecond timestamps.
    pub nanos: bool,
    pub frames: Vec<Frame>,
    /// pcapng: (link type, name) of each interface.
    pub interfaces: Vec<(u32, Option<String>)>,
}

/// Writes Ethernet `frames` into a pcap file with the pcap-file crate, frame `i` at `i` milliseconds.
pub fn write_pcap(path: &Path, frames: &[Vec<u8>]) {
    use pcap_file::pcap::{PcapPacket, PcapWriter};
    let mut w = PcapWriter::new(std::fs::File::create(path).unwrap()).unwrap();
    for (i, f) in frames.iter().enumerate() {
        let ts = std::time::Duration::from_millis(i as u64);
        w.write_packet(&PcapPacket::new(ts, f.len() as u32, f.as_slice()).unwrap())
            .unwrap();
    }
}

/// Reads a pcap or pcapng file with the pcap-file crate.
pub fn read_capture(path: &Path) -> Capture {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_capture(&bytes, &path.display().to_string())
}

/// Reads pcap or pcapng bytes with the pcap-file crate; `name` names them in panics.
pub fn parse_capture(bytes: &[u8], name: &str) -> Capture {
    let magic = u32::from_le_bytes(bytes[..4].try_into().unwrap());
    if magic == 0x0a0d_0d0a {
        let mut r = PcapNgReader::new(bytes).expect("pcapng header");
        let mut frames = Vec::new();
        let mut interfaces = Vec::new();
        // Link types of the current section's interfaces.
        let mut section: Vec<u32> = Vec::new();
        while let Some(block) = r.next_block() {
            let (block, _) = block.unwrap_or_else(|e| panic!("{name}: {e}"));
            match block {
                Block::SectionHeader(_) => section.clear(),
                Block::InterfaceDescription(i) => {
                    let name = i.options.iter().find_map(|o| match o {
                        pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption::IfName(n) => {
                            Some(n.to_string())
                        }
                        _ => None,
                    });
                    interfaces.push((u32::from(i.linktype), name));
                    section.push(u32::from(i.linktype));
                }
                Block::EnhancedPacket(p) => {
                    let link = section[p.interface_id as usize];
                    let comments = p
                        .options
                        .iter()
                        .filter_map(|o| match o {
                            EnhancedPacketOption::Common(CommonOption::Comment(c)) => {
                                Some(c.to_string())
                            }
                            _ => None,
                        })
                        .collect();
                    frames.push(Frame {
                        ts_ns: p.timestamp.as_nanos(),
                        data: p.data.to_vec(),
                        orig_len: p.original_len,
                        link,
                        interface: p.interface_id,
                        comments,
                    });
                }
                _ => {}
            }
        }
        Capture {
            pcapng: true,
            nanos: true,
            frames,
            interfaces,
        }
    } else {
        let mut r = PcapReader::new(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let header = r.header();
        let link = u32::from(header.datalink);
        let nanos = header.ts_resolution == pcap_file::pcap::PcapTsResolution::NanoSecond;
        let mut frames = Vec::new();
        while let Some(p) = r.next_packet() {
            let p = p.unwrap_or_else(|e| panic!("{name}: {e}"));
            frames.push(Frame {
                ts_ns: p.timestamp().as_nanos(),
                data: p.data().to_vec(),
                orig_len: p.orig_len(),
                link,
                interface: 0,
                comments: Vec::new(),
            });
        }
        Capture {
            pcapng: false,
            nanos,
            frames,
            interfaces: Vec::new(),
        }
    }
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = support::target_dir().join("rewrite-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `vxscope` and returns its output.
pub fn vxscope<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    support::vxscope(args)
}

/// Asserts that a run succeeded, showing its standard error otherwise.
pub fn assert_ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what}: exit {:?}\n{}",
        o.status.code(),
        support::stderr(o)
    );
}

/// tshark's fields for every frame (one vector a frame, `occurrence` as tshark's -E occurrence).
pub fn tshark_fields(path: &Path, fields: &[&str], extra: &[&str]) -> Vec<Vec<String>> {
    support::require_tool("tshark");
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(path)
        .args(["-T", "fields", "-E", "occurrence=f"]);
    cmd.args(extra);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("run tshark");
    assert!(
        out.status.success() || !out.stdout.is_empty(),
        "tshark on {}: {}",
        path.display(),
        support::stderr(&out)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let mut v: Vec<String> = l.split('\t').map(str::to_string).collect();
            v.resize(fields.len(), String::new());
            v
        })
        .collect()
}

/// Parses tshark's `frame.time_epoch` (`1630859447.124500123`) to nanoseconds.
pub fn epoch_ns(s: &str) -> u128 {
    let (sec, frac) = s.split_once('.').unwrap_or((s, "0"));
    let frac = format!("{frac:0<9}");
    sec.parse::<u128>().unwrap() * 1_000_000_000 + frac[..9].parse::<u128>().unwrap()
}

/// A VXLAN packet's inner frame as tshark extracts it.
#[derive(Clone, Debug)]
pub struct Expected {
    pub frame: u64,
    pub ts_ns: u128,
    pub inner: Vec<u8>,
    /// The inner frame's length on the wire (from the UDP length), when the UDP length is set.
    pub inner_wire_len: Option<u32>,
}

/// The inner frames tshark finds in a capture: the payload after the VXLAN header of each packet whose first
/// UDP datagram tshark decodes as VXLAN on 4789 or 8472 (a datagram in outer IPv4 fragments at its last
/// fragment, where tshark reassembles it), leaving out what the rewriter documents as damaged (IPv6 outer
/// fragments, a UDP length beyond its IP packet, nothing after the header) and datagrams inside ICMP errors.
pub fn tshark_inner_frames(path: &Path) -> Vec<Expected> {
    let rows = tshark_fields(
        path,
        &[
            "frame.number",
            "frame.time_epoch",
            "frame.protocols",
            "udp.srcport",
            "udp.dstport",
            "udp.length",
            "udp.payload",
            "ip.flags.mf",
            "ip.frag_offset",
            "ip.len",
            "ip.hdr_len",
            "ipv6.plen",
            "ip.reassembled.length",
        ],
        // tshark puts the outer IPv4 fragments of a datagram back together (its default), and decodes the
        // datagram at the last of them.
        &["-o", "ip.defragment:TRUE", "-d", "udp.port==8472,vxlan"],
    );
    let mut out = Vec::new();
    for r in rows {
        let tokens: Vec<&str> = r[2].split(':').collect();
        let Some(udp) = tokens.iter().position(|t| *t == "udp") else {
            continue;
        };
        if tokens.get(udp + 1) != Some(&"vxlan")
            || tokens[..udp].iter().any(|t| t.starts_with("icmp"))
        {
            continue;
        }
        // The destination port decides, then the source port (VXLAN-GPE on 4790 is not VXLAN).
        let vxlan_port = |p: &str| p == "4789" || p == "8472";
        if !(vxlan_port(&r[4]) || (r[4] != "4790" && vxlan_port(&r[3]))) {
            continue;
        }
        // Tunnels the dissector does not enter (GRE, ERSPAN) before the UDP header.
        if tokens[..udp].iter().any(|t| *t == "gre" || *t == "erspan") {
            continue;
        }
        // The IP layer carrying the datagram: the `ip.*` fields are the first IPv4 header's, which is it only
        // when the datagram rides on IPv4.
        let over_ipv4 = tokens[udp - 1] == "ip";
        let fragment = if over_ipv4 {
            r[7] == "1" || r[7] == "True" || !(r[8].is_empty() || r[8] == "0")
        } else {
            tokens[..udp].contains(&"ipv6.fraghdr")
        };
        let reassembled: Option<u32> = r[12].parse().ok().filter(|_| over_ipv4);
        if fragment && reassembled.is_none() {
            continue;
        }
        let udp_len: u32 = r[5].parse().unwrap_or(0);
        // A UDP length beyond the IP packet.
        let ip_payload = if let Some(len) = reassembled {
            Some(len)
        } else if over_ipv4 {
            match (r[9].parse::<u32>(), r[10].parse::<u32>()) {
                (Ok(len), Ok(hdr)) if len > hdr => Some(len - hdr),
                _ => None,
            }
        } else {
            r[11].parse::<u32>().ok().filter(|&p| p > 0)
        };
        if ip_payload.is_some_and(|p| udp_len > p) {
            continue;
        }
        let payload = hex::decode(&r[6]).unwrap();
        if payload.len() <= 8 {
            continue;
        }
        out.push(Expected {
            frame: r[0].parse().unwrap(),
            ts_ns: epoch_ns(&r[1]),
            inner: payload[8..].to_vec(),
            inner_wire_len: (udp_len >= 16).then(|| udp_len - 16),
        });
    }
    out
}

/// Every capture under `samples/` and `tests/data/rewrite/`.
pub fn project_captures() -> Vec<PathBuf> {
    let mut all = support::captures_under(&support::root().join("samples"));
    all.extend(support::captures_under(&support::data("rewrite")));
    all
}

/// The bytes of a file, to show it was not modified.
pub fn fingerprint(path: &Path) -> (Vec<u8>, std::time::SystemTime) {
    let meta = std::fs::metadata(path).unwrap();
    (std::fs::read(path).unwrap(), meta.modified().unwrap())
}
