//! vxscope against tshark, frame by frame and field by field, over every capture in `samples/` and
//! `tests/data/corpus/` (and every capture of `../shared/corpus` when it is present).
//!
//! Both read the same bytes: the captures of a group are concatenated with `mergecap -a` into one pcapng file,
//! which tshark reads once (`-d udp.port==8472,vxlan`, checksums verified, reassembly off) and vxscope reads
//! with its own reader. For each compared field, the values of every occurrence in the frame (outer, inner,
//! quoted, in tree order: tshark's `-E occurrence=a`) must be equal. A difference is either explained by a
//! rule of the allow-list below (each says why the two tools differ on purpose) or it fails the test. Every
//! difference, explained or not, is written to `target/<profile>/tshark-diff-<group>.txt` and summed up in
//! the test's output.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::Command;

use vxscope_capture::CaptureReader;
use vxscope_dissector::fields::FieldId;
use vxscope_dissector::notes::NoteCode;
use vxscope_dissector::value::{Value, write};
use vxscope_dissector::{Config, Dissection, Dissector};
use vxscope_tests::{captures_under, require_tool, root, shared_corpus, target_dir};

/// The compared fields: tshark's name, and vxscope's.
const COMPARED: &[(&str, &str)] = &[
    ("eth.src", "eth.src"),
    ("eth.dst", "eth.dst"),
    ("vlan.id", "vlan.id"),
    ("arp.opcode", "arp.opcode"),
    ("ip.src", "ip.src"),
    ("ip.dst", "ip.dst"),
    ("ip.ttl", "ip.ttl"),
    ("ip.id", "ip.id"),
    ("ip.checksum.status", "ip.checksum.status"),
    ("ipv6.src", "ipv6.src"),
    ("ipv6.dst", "ipv6.dst"),
    ("ipv6.hlim", "ipv6.hlim"),
    ("udp.srcport", "udp.srcport"),
    ("udp.dstport", "udp.dstport"),
    ("udp.checksum.status", "udp.checksum.status"),
    ("tcp.srcport", "tcp.srcport"),
    ("tcp.dstport", "tcp.dstport"),
    // tshark's tcp.seq and tcp.ack are relative to the start of the connection; the raw ones are the wire's.
    ("tcp.seq_raw", "tcp.seq"),
    ("tcp.ack_raw", "tcp.ack"),
    ("tcp.checksum.status", "tcp.checksum.status"),
    // Whether each tool decoded a VXLAN (or VXLAN-GPE) header there: tshark's 16-bit flags and vxscope's 8-bit
    // flags are compared by presence only (see `presence_only`).
    ("vxlan.flags", "vxlan.flags"),
    ("vxlan.vni", "vxlan.vni"),
    ("vxlan.gbp", "vxlan.gbp"),
    ("icmp.type", "icmp.type"),
    ("icmp.code", "icmp.code"),
    ("icmp.ident", "icmp.ident"),
    ("icmp.seq", "icmp.seq"),
    ("icmp.checksum.status", "icmp.checksum.status"),
    ("icmpv6.type", "icmpv6.type"),
    ("icmpv6.code", "icmpv6.code"),
    ("icmpv6.echo.identifier", "icmpv6.echo.identifier"),
    ("icmpv6.echo.sequence_number", "icmpv6.echo.sequence_number"),
    ("icmpv6.checksum.status", "icmpv6.checksum.status"),
];

/// Fields compared by presence only: each occurrence counts, not its value.
fn presence_only(field: &str) -> bool {
    field == "vxlan.flags"
}

/// tshark's options: VXLAN on 8472 as on 4789, every checksum verified, no reassembly (vxscope decodes each
/// frame on its own), no name resolution.
const TSHARK_OPTIONS: &[&str] = &[
    "-n",
    "-d",
    "udp.port==8472,vxlan",
    "-o",
    "ip.check_checksum:TRUE",
    "-o",
    "udp.check_checksum:TRUE",
    "-o",
    "tcp.check_checksum:TRUE",
    "-o",
    "ip.defragment:FALSE",
    "-o",
    "ipv6.defragment:FALSE",
    "-o",
    "tcp.desegment_tcp_streams:FALSE",
    "-o",
    "udp.try_heuristic_first:FALSE",
];

/// One frame as one tool saw it: per compared field, the values of its occurrences.
#[derive(Debug, Default)]
struct FrameValues {
    values: Vec<Vec<String>>,
}

impl FrameValues {
    fn get(&self, field: &str) -> &[String] {
        COMPARED
            .iter()
            .position(|(t, _)| *t == field)
            .map_or(&[], |i| &self.values[i])
    }
}

/// What a rule of the allow-list looks at.
struct Difference<'a> {
    field: &'static str,
    tshark: &'a [String],
    vxscope: &'a [String],
    /// Everything tshark saw in the frame.
    tshark_frame: &'a FrameValues,
    /// tshark's `frame.protocols` (`eth:ethertype:ip:udp:vxlan:eth:...`).
    tshark_protocols: &'a str,
    /// vxscope's layers, with their scope prefix (`eth`, `ip`, `udp`, `vxlan`, `inner.eth`, ...) and length.
    vxscope_layers: &'a [(String, u32)],
    vxscope_notes: &'a [NoteCode],
    /// Whether the frame was cut by the snap length (captured length below the length on the wire).
    vxscope_snapped: bool,
}

impl Difference<'_> {
    fn tshark_count(&self, proto: &str) -> usize {
        self.tshark_protocols
            .split(':')
            .filter(|p| *p == proto)
            .count()
    }

    fn vxscope_noted(&self, code: NoteCode) -> bool {
        self.vxscope_notes.contains(&code)
    }

    /// The pairs of values that differ, when both tools saw as many occurrences.
    fn differing_pairs(&self) -> Option<Vec<(&str, &str)>> {
        (self.tshark.len() == self.vxscope.len()).then(|| {
            self.tshark
                .iter()
                .zip(self.vxscope)
                .filter(|(t, v)| t != v)
                .map(|(t, v)| (t.as_str(), v.as_str()))
                .collect()
        })
    }

    /// Whether every differing pair is one of tshark's values against one of vxscope's.
    fn only_pairs(&self, tshark: &[&str], vxscope: &[&str]) -> bool {
        self.differing_pairs().is_some_and(|pairs| {
            pairs
                .iter()
                .all(|(t, v)| tshark.contains(t) && vxscope.contains(v))
        })
    }

    /// Whether vxscope's occurrences are the first of tshark's, and fewer.
    fn vxscope_stops_early(&self) -> bool {
        self.tshark.starts_with(self.vxscope) && self.vxscope.len() < self.tshark.len()
    }

    /// Whether tshark's occurrences are the first of vxscope's, and fewer.
    fn tshark_stops_early(&self) -> bool {
        self.vxscope.starts_with(self.tshark) && self.tshark.len() < self.vxscope.len()
    }
}

/// Whether `short` is `long` with some values left out.
fn is_subsequence(short: &[String], long: &[String]) -> bool {
    let mut it = long.iter();
    short.len() < long.len() && short.iter().all(|s| it.any(|l| l == s))
}

/// Protocols that carry IP or Ethernet which tshark decodes and vxscope does not (names as in tshark's
/// `frame.protocols`).
const TUNNELS_NOT_DECODED: &[&str] = &[
    "gre",
    "erspan",
    "geneve",
    "nsh",
    "lisp",
    "mpls",
    "macsec",
    "pim",
    "avsp",
    "sflow",
    "openflow_v1",
    "openflow_v4",
];

/// A deliberate difference between tshark and vxscope.
struct Rule {
    reason: &'static str,
    applies: fn(&Difference<'_>) -> bool,
}

/// The allow-list. Each rule names the reason the two tools differ; a difference no rule explains fails.
const RULES: &[Rule] = &[
    Rule {
        // packet-vxlan.c reads bytes 2-3 of every VXLAN header as the group policy ID; vxscope only when the G
        // flag says the header carries one (RFC 7348 headers have reserved bits there, GPE its next protocol).
        reason: "tshark shows vxlan.gbp whatever the G flag; vxscope only when the G flag is set",
        applies: |d| {
            d.field == "vxlan.gbp" && (d.vxscope.is_empty() || is_subsequence(d.vxscope, d.tshark))
        },
    },
    Rule {
        // Tunnels vxscope does not decode (it is a VXLAN tool): what they carry is data to vxscope, and every
        // occurrence tshark finds inside them is missing on vxscope's side; those before them agree.
        reason: "tshark decodes a tunnel vxscope leaves as data (GRE, ERSPAN, Geneve, NSH, ...)",
        applies: |d| {
            TUNNELS_NOT_DECODED.iter().any(|p| d.tshark_count(p) > 0) && {
                // (The outer checksum may also be checksum offload's partial, which tshark calls bad.)
                let offload = |t: &String, v: &String| t == v || (t == "0" && v == "partial");
                d.vxscope.len() < d.tshark.len()
                    && d.vxscope.iter().zip(d.tshark).all(|(v, t)| offload(t, v))
            }
        },
    },
    Rule {
        // RFC 8986: IPv6 next header 143 carries an Ethernet frame (SRv6 L2 services); vxscope does not decode
        // it.
        reason: "Ethernet over IPv6 (next header 143): tshark decodes the frame it carries, vxscope leaves it as data",
        applies: |d| d.tshark_protocols.contains("ipv6.routing:eth:") && d.vxscope_stops_early(),
    },
    Rule {
        // Cisco ISL frames go to 01:00:0c:00:00:xx; tshark shows the ISL header as isl.* and the frame inside
        // it as eth.*, vxscope the outer header as an 802.3 frame.
        reason: "Cisco ISL: tshark decodes the frame inside the ISL header, vxscope shows the ISL header as 802.3",
        applies: |d| {
            d.field.starts_with("eth.")
                && d.vxscope
                    .first()
                    .is_some_and(|a| a.starts_with("01:00:0c:00:00:"))
                && !d.tshark.iter().any(|a| a.starts_with("01:00:0c:00:00:"))
        },
    },
    Rule {
        // RFC 2225 ATM ARP (hardware type 19) has its own layout; tshark names its fields atmarp.*.
        reason: "ATM ARP: tshark names its opcode atmarp.op, vxscope arp.opcode",
        applies: |d| d.field == "arp.opcode" && d.tshark.is_empty() && d.tshark_count("atmarp") > 0,
    },
    Rule {
        // A frame cut by the snap length, holding the whole UDP datagram but not the whole IP payload: vxscope
        // verifies over the UDP length (as the receiving kernel trims to it); tshark wants the IP payload whole.
        reason: "UDP datagram whole in a frame cut by the snap length: vxscope verifies its checksum, tshark does not",
        applies: |d| {
            d.field == "udp.checksum.status"
                && d.vxscope_snapped
                && d.only_pairs(&["2"], &["0", "1"])
        },
    },
    Rule {
        // RFC 3948: UDP 4500 carries ESP. tshark, told that 8472 is VXLAN, decodes 4500 -> 8472 as VXLAN;
        // vxscope, like tcpdump, reads it as NAT-T (tests/data/corpus/vxlan/tcpdump/esp_truncated.pcap).
        reason: "UDP 4500 (IPsec NAT-T): tshark decodes 4500 -> 8472 as VXLAN, vxscope (and tcpdump) as ESP",
        applies: |d| {
            d.field == "vxlan.flags"
                && d.vxscope_stops_early()
                && [
                    d.tshark_frame.get("udp.srcport"),
                    d.tshark_frame.get("udp.dstport"),
                ]
                .iter()
                .any(|ports| ports.iter().any(|p| p == "4500"))
        },
    },
    Rule {
        // A checksum holding only the pseudo-header sum is what checksum offload leaves on the sending host.
        reason: "checksum offload: tshark says bad (0), vxscope says partial (not a fault on the sender)",
        applies: |d| d.field.ends_with("checksum.status") && d.only_pairs(&["0"], &["partial"]),
    },
    Rule {
        // The outer UDP checksum of a tunnel computed by local checksum offload is wrong for the bytes as
        // captured (the inner checksum is still partial) and right once the inner one is filled in: tshark
        // checks the bytes as they are. tests/lab.rs fills the inner checksums of the kernel's packets in and
        // checks that the outer ones are then right.
        reason: "local checksum offload: tshark says the outer UDP checksum is bad (0), vxscope lco (with the inner one partial)",
        applies: |d| d.field == "udp.checksum.status" && d.only_pairs(&["0"], &["lco", "partial"]),
    },
    Rule {
        // RFC 8200 forbids a zero UDP checksum over IPv6, RFC 6935 allows it for tunnels such as VXLAN.
        reason: "UDP checksum 0 over IPv6: tshark says illegal (4), vxscope absent (3; allowed for tunnels by RFC 6935)",
        applies: |d| d.field == "udp.checksum.status" && d.only_pairs(&["4"], &["3"]),
    },
    Rule {
        // vxscope decodes a header only when it is whole (TCP excepted, below); what follows the cut is data,
        // with a malformed.truncated note (none inside an ICMP quote, which is cut by design).
        reason: "a header cut short: tshark shows the fields that are present, vxscope labels the header as data",
        applies: |d| {
            d.vxscope_stops_early()
                && (d.vxscope_noted(NoteCode::Truncated)
                    || d.vxscope_layers
                        .iter()
                        .any(|(l, _)| l.contains("quoted.") && l.ends_with("data")))
        },
    },
    Rule {
        // ICMP errors quote 8 bytes of TCP: the ports and the sequence number. vxscope decodes every whole
        // field of a TCP header cut short; tshark stops at the missing data offset and shows no sequence
        // number.
        reason: "a TCP header cut short: vxscope shows its whole fields (seq, ack), tshark does not",
        applies: |d| {
            matches!(d.field, "tcp.seq_raw" | "tcp.ack_raw")
                && (d.tshark.is_empty() || is_subsequence(d.tshark, d.vxscope))
                && d.vxscope_layers
                    .iter()
                    .any(|(l, len)| l.ends_with("tcp") && *len < 20)
        },
    },
    Rule {
        // The first fragment of an IP packet holds part of what it carries: vxscope leaves the checksums of
        // those layers unverified; tshark, with reassembly off, checks the part it has and calls it bad.
        reason: "inside a first IP fragment: tshark checks a partial message (bad), vxscope leaves it unverified",
        applies: |d| {
            d.field.ends_with("checksum.status")
                && d.vxscope_noted(NoteCode::Fragment)
                && d.only_pairs(&["0"], &["2"])
        },
    },
    Rule {
        // When the IP length says more than the frame holds (not a snap length cut), vxscope cannot know where
        // the transport segment ends and leaves its checksum unverified; tshark verifies the bytes present.
        reason: "IP length past the end of the frame: tshark verifies the bytes present, vxscope leaves the checksum unverified",
        applies: |d| {
            d.field.ends_with("checksum.status")
                && d.vxscope_noted(NoteCode::LengthOverrun)
                && d.only_pairs(&["0", "1"], &["2"])
        },
    },
    Rule {
        // BIG TCP and GSO super-packets captured on the sending host have an IPv4 total length (or IPv6
        // payload length) of 0. tshark 4.0 stops there (malformed); vxscope takes the length from the capture.
        reason: "IP length 0 (BIG TCP, GSO): tshark stops, vxscope decodes the packet from the captured length",
        applies: |d| d.vxscope_noted(NoteCode::LengthZero) && d.tshark_stops_early(),
    },
    Rule {
        // LINKTYPE_IPV4 (228) promises IPv4; tshark decodes an IPv6 packet there anyway.
        reason: "an IPv6 packet under link type IPV4: tshark decodes it, vxscope reports the wrong version",
        applies: |d| d.vxscope_noted(NoteCode::BadVersion) && d.vxscope_stops_early(),
    },
    Rule {
        // An IHL below 5: tshark shows none of the header's fields, vxscope shows them with a
        // malformed.length_short note and leaves the rest as data.
        reason: "IPv4 header length below 20: tshark shows no field of the header, vxscope shows them",
        applies: |d| d.vxscope_noted(NoteCode::LengthShort) && d.tshark_stops_early(),
    },
    Rule {
        // The outer tag of QinQ (TPID 0x88a8) is ieee8021ad.id in tshark; vxscope reads every tag as vlan.id.
        reason: "802.1ad service tag: tshark names it ieee8021ad.id, vxscope vlan.id",
        applies: |d| {
            d.field == "vlan.id"
                && is_subsequence(d.tshark, d.vxscope)
                && d.vxscope.len() - d.tshark.len() == d.tshark_count("ieee8021ad")
        },
    },
];

/// What one group of captures produced.
#[derive(Default)]
struct Report {
    frames: u64,
    compared_values: u64,
    explained: BTreeMap<&'static str, Vec<String>>,
    unexplained: Vec<String>,
}

/// The captures of a group, with how many frames each holds (to name the file of a frame of the merged
/// capture), and those left out with why.
struct Group {
    name: &'static str,
    files: Vec<(PathBuf, u64)>,
    skipped: Vec<String>,
}

fn group(name: &'static str, captures: Vec<PathBuf>) -> Group {
    let mut g = Group {
        name,
        files: Vec::new(),
        skipped: Vec::new(),
    };
    'files: for path in captures {
        let file = File::open(&path).expect("open capture");
        let mut reader = match CaptureReader::new(BufReader::new(file)) {
            Ok(r) => r,
            Err(e) => {
                g.skipped.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        let mut frames = 0;
        loop {
            match reader.next_packet() {
                Ok(Some(p)) => {
                    if !p.link_type.is_supported() {
                        g.skipped.push(format!(
                            "{}: link type {} is not decoded by vxscope",
                            path.display(),
                            p.link_type
                        ));
                        continue 'files;
                    }
                    frames += 1;
                }
                Ok(None) => break,
                Err(e) => {
                    g.skipped.push(format!(
                        "{}: damaged ({e}); the reader's own tests cover it",
                        path.display()
                    ));
                    continue 'files;
                }
            }
        }
        g.files.push((path, frames));
    }
    g
}

/// Concatenates the captures into one pcapng file, each keeping its interfaces.
fn merge(group: &Group) -> PathBuf {
    require_tool("mergecap");
    let out = target_dir().join(format!("tshark-diff-{}.pcapng", group.name));
    let status = Command::new("mergecap")
        .args(["-a", "-I", "none", "-F", "pcapng", "-w"])
        .arg(&out)
        .args(group.files.iter().map(|(p, _)| p))
        .status()
        .expect("run mergecap");
    assert!(status.success(), "mergecap failed");
    out
}

/// tshark's view of one frame.
struct TsharkFrame {
    /// `frame.protocols`.
    protocols: String,
    caplen: u32,
    /// `frame.time_epoch`: seconds and nine digits.
    time: String,
    values: FrameValues,
}

/// tshark's view of every frame.
fn tshark_frames(capture: &Path) -> Vec<TsharkFrame> {
    require_tool("tshark");
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(capture).args(TSHARK_OPTIONS);
    cmd.args(["-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,"]);
    cmd.args(["-E", "separator=/t"]);
    for f in ["frame.protocols", "frame.cap_len", "frame.time_epoch"] {
        cmd.args(["-e", f]);
    }
    for (f, _) in COMPARED {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("tshark output is UTF-8");
    text.lines()
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 3 + COMPARED.len(), "tshark line {line:?}");
            let values = cols[3..]
                .iter()
                .zip(COMPARED)
                .map(|(c, (field, _))| {
                    if c.is_empty() {
                        Vec::new()
                    } else if presence_only(field) {
                        c.split(',').map(|_| "present".to_string()).collect()
                    } else {
                        c.split(',').map(canonical).collect()
                    }
                })
                .collect();
            TsharkFrame {
                protocols: cols[0].to_string(),
                caplen: cols[1].parse().expect("frame.cap_len"),
                time: cols[2].to_string(),
                values: FrameValues { values },
            }
        })
        .collect()
}

/// tshark writes some integers in hex (`ip.id` 0x7586); both sides are compared in decimal.
fn canonical(s: &str) -> String {
    match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16)
            .map(|v| v.to_string())
            .unwrap_or_else(|_| s.to_string()),
        None => s.to_string(),
    }
}

/// A vxscope checksum status in tshark's numbers (0 bad, 1 good, 2 unverified, 3 not present). "partial"
/// has no tshark number and stays a word.
fn status_number(word: &str) -> String {
    match word {
        "bad" => "0",
        "good" => "1",
        "unverified" => "2",
        "absent" => "3",
        other => other,
    }
    .to_string()
}

/// vxscope's view of one frame.
struct VxscopeFrame {
    caplen: u32,
    /// The timestamp as tshark writes `frame.time_epoch`.
    time: String,
    snapped: bool,
    values: FrameValues,
    layers: Vec<(String, u32)>,
    notes: Vec<NoteCode>,
}

fn vxscope_frames(capture: &Path) -> Vec<VxscopeFrame> {
    let ids: Vec<FieldId> = COMPARED
        .iter()
        .map(|(_, v)| FieldId::from_abbrev(v).unwrap_or_else(|| panic!("no field {v}")))
        .collect();
    let dissector = Dissector::new(Config::default());
    let mut d = Dissection::new();
    let file = File::open(capture).expect("open merged capture");
    let mut reader = CaptureReader::new(BufReader::new(file)).expect("read merged capture");
    let mut frames = Vec::new();
    let mut text = Vec::new();
    while let Some(p) = reader
        .next_packet()
        .expect("merged capture reads to the end")
    {
        dissector.dissect(p.link_type, p.data, p.orig_len, &mut d);
        let mut values = vec![Vec::new(); ids.len()];
        for f in d.fields() {
            let Some(i) = ids.iter().position(|id| *id == f.id) else {
                continue;
            };
            text.clear();
            match f.value {
                Value::UInt(v) => write::u64_dec(&mut text, v),
                ref v => write::value(&mut text, f.id.def(), v, f.bytes(p.data)),
            }
            let s = String::from_utf8_lossy(&text).into_owned();
            let (field, _) = COMPARED[i];
            values[i].push(if presence_only(field) {
                "present".to_string()
            } else if field.ends_with(".status") {
                status_number(&s)
            } else {
                s
            });
        }
        frames.push(VxscopeFrame {
            caplen: p.data.len() as u32,
            time: format!("{}.{:09}", p.ts.sec, p.ts.nsec),
            snapped: (p.data.len() as u32) < p.orig_len,
            values: FrameValues { values },
            layers: d
                .layers()
                .iter()
                .map(|l| {
                    (
                        format!("{}{}", l.scope.prefix(), l.proto.def().abbrev),
                        l.len,
                    )
                })
                .collect(),
            notes: d.notes().iter().map(|n| n.code).collect(),
        });
    }
    frames
}

fn compare(group: &Group) -> Report {
    let merged = merge(group);
    let tshark = tshark_frames(&merged);
    let vxscope = vxscope_frames(&merged);
    let total: u64 = group.files.iter().map(|(_, n)| n).sum();
    assert_eq!(
        tshark.len(),
        vxscope.len(),
        "tshark and vxscope read a different number of frames"
    );
    assert_eq!(
        total,
        vxscope.len() as u64,
        "the merged capture does not hold the frames of its files"
    );
    let mut report = Report::default();
    // Which file a frame of the merged capture came from, and its number there.
    let mut origin = group
        .files
        .iter()
        .flat_map(|(path, n)| (1..=*n).map(move |i| (path, i)));
    let parent = root().parent().map(Path::to_path_buf).unwrap_or_default();
    for (tf, v) in tshark.iter().zip(&vxscope) {
        let (protocols, t) = (&tf.protocols, &tf.values);
        let (path, number) = origin.next().expect("frame origin");
        let name = path
            .strip_prefix(root())
            .or_else(|_| path.strip_prefix(&parent))
            .unwrap_or(path)
            .display();
        assert_eq!(
            tf.caplen, v.caplen,
            "{name} frame {number}: tshark and vxscope disagree on which frame this is"
        );
        // Timestamps to the nanosecond, whatever the file's or interface's resolution.
        if tf.time != v.time {
            report.unexplained.push(format!(
                "{name} frame {number}: time: tshark {}, vxscope {}",
                tf.time, v.time
            ));
        }
        report.frames += 1;
        for (i, (field, _)) in COMPARED.iter().enumerate() {
            let (tv, vv) = (&t.values[i], &v.values.values[i]);
            report.compared_values += tv.len().max(vv.len()) as u64;
            if tv == vv {
                continue;
            }
            let diff = Difference {
                field,
                tshark: tv,
                vxscope: vv,
                tshark_frame: t,
                tshark_protocols: protocols,
                vxscope_layers: &v.layers,
                vxscope_notes: &v.notes,
                vxscope_snapped: v.snapped,
            };
            let layers: Vec<&str> = v.layers.iter().map(|(l, _)| l.as_str()).collect();
            let line = format!(
                "{name} frame {number}: {field}: tshark [{}], vxscope [{}]  (tshark: {protocols}; vxscope: {})",
                tv.join(","),
                vv.join(","),
                layers.join(":")
            );
            match RULES.iter().find(|r| (r.applies)(&diff)) {
                Some(rule) => report.explained.entry(rule.reason).or_default().push(line),
                None => report.unexplained.push(line),
            }
        }
    }
    report
}

fn check(group: Group) {
    let report = compare(&group);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "vxscope against tshark, group {}: {} files, {} frames, {} field values compared",
        group.name,
        group.files.len(),
        report.frames,
        report.compared_values
    );
    for s in &group.skipped {
        let _ = writeln!(out, "not compared: {s}");
    }
    for (reason, lines) in &report.explained {
        let _ = writeln!(out, "\nexplained ({} values): {reason}", lines.len());
        for l in lines {
            let _ = writeln!(out, "    {l}");
        }
    }
    let _ = writeln!(
        out,
        "\nunexplained differences: {}",
        report.unexplained.len()
    );
    for l in &report.unexplained {
        let _ = writeln!(out, "    {l}");
    }
    let path = target_dir().join(format!("tshark-diff-{}.txt", group.name));
    std::fs::write(&path, &out).expect("write report");
    let explained: usize = report.explained.values().map(Vec::len).sum();
    eprintln!(
        "{}: {} frames, {} values compared, {} explained differences, {} unexplained (report: {})",
        group.name,
        report.frames,
        report.compared_values,
        explained,
        report.unexplained.len(),
        path.display()
    );
    assert!(
        report.unexplained.is_empty(),
        "{} differences from tshark are not explained:\n{out}",
        report.unexplained.len(),
    );
    assert!(report.frames > 0, "nothing was compared");
}

#[test]
fn repository_captures_agree_with_tshark() {
    let mut captures = captures_under(&root().join("samples"));
    captures.extend(captures_under(&root().join("tests/data/corpus")));
    check(group("repository", captures));
}

#[test]
fn shared_corpus_agrees_with_tshark() {
    let Some(corpus) = shared_corpus() else {
        eprintln!("../shared/corpus is absent: only the repository's captures are compared");
        return;
    };
    check(group("shared-corpus", captures_under(&corpus)));
}
