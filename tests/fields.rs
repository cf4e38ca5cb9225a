//! `dissect -T fields` against `tshark -T fields` on the same fields of every frame of every sample (merged
//! into one file, as tests/filter.rs does): equal lines, but for the differences named in [`explained`], each
//! with its reason.

use std::path::{Path, PathBuf};
use std::process::Command;

use vxscope_tests::{captures_under, require_tool, root, stderr, stdout, target_dir, vxscope};

/// Compared by name: tshark's and vxscope's are the same. Checksum statuses are not here: tshark writes a
/// number, vxscope a word (tests/tshark.rs compares them).
const FIELDS: &[&str] = &[
    "frame.number",
    "frame.time_epoch",
    "frame.len",
    "frame.cap_len",
    "eth.src",
    "eth.dst",
    "eth.type",
    "vlan.id",
    "ip.src",
    "ip.dst",
    "ip.ttl",
    "ip.id",
    "ip.len",
    "ip.proto",
    "ip.flags",
    "ip.flags.df",
    "ip.dsfield",
    "ipv6.src",
    "ipv6.dst",
    "ipv6.hlim",
    "udp.srcport",
    "udp.dstport",
    "udp.length",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.flags.syn",
    "tcp.window_size_value",
    "vxlan.vni",
    "icmp.type",
    "icmp.code",
    "icmp.ident",
    "icmp.seq",
    "icmpv6.type",
    "arp.opcode",
];

/// The scopes below the outer one, where tshark's first occurrence of a field may lie.
const OTHER_SCOPES: &[&str] = &[
    "inner.",
    "quoted.",
    "inner.quoted.",
    "quoted.inner.",
    "inner.inner.",
];

const TSHARK_OPTIONS: &[&str] = &[
    "-n",
    "-d",
    "udp.port==8472,vxlan",
    "-o",
    "ip.defragment:FALSE",
    "-o",
    "ipv6.defragment:FALSE",
    "-o",
    "tcp.desegment_tcp_streams:FALSE",
    "-o",
    "udp.try_heuristic_first:FALSE",
];

const FORMAT: &[&str] = &[
    "-E",
    "header=y",
    "-E",
    "separator=,",
    "-E",
    "quote=d",
    "-E",
    "occurrence=f",
];

fn merged() -> PathBuf {
    require_tool("mergecap");
    let mut files = captures_under(&root().join("samples"));
    files.retain(|p| !p.starts_with(root().join("samples/rewrite")));
    assert!(files.len() > 20, "{files:?}");
    let out = target_dir().join("fields-samples.pcapng");
    let status = Command::new("mergecap")
        .args(["-a", "-I", "none", "-F", "pcapng", "-w"])
        .arg(&out)
        .args(&files)
        .status()
        .expect("run mergecap");
    assert!(status.success(), "mergecap failed");
    out
}

fn ours(capture: &Path, fields: &[String], extra: &[&str]) -> String {
    let mut args: Vec<String> = vec!["dissect".into(), "-T".into(), "fields".into()];
    for f in fields {
        args.extend(["-e".to_string(), f.clone()]);
    }
    args.extend(FORMAT.iter().map(|s| s.to_string()));
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(capture.display().to_string());
    let o = vxscope(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

fn theirs(capture: &Path) -> String {
    require_tool("tshark");
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(capture)
        .args(TSHARK_OPTIONS)
        .args(["-T", "fields"]);
    for f in FIELDS {
        cmd.args(["-e", f]);
    }
    let o = cmd.args(FORMAT).output().expect("run tshark");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// The cells of a line written with separator `,` and quote `"` (no value here holds either).
fn cells(line: &str) -> Vec<String> {
    line.split(',')
        .map(|c| c.trim_matches('"').to_string())
        .collect()
}

/// Why vxscope's cell may differ from tshark's, if it may. `deeper` are vxscope's values of the same field in
/// the other scopes, `truncated` whether vxscope raised malformed.truncated on the frame, `qinq` whether its
/// Ethernet type is 802.1ad's.
fn explained(
    field: &str,
    ours: &str,
    theirs: &str,
    deeper: &[String],
    truncated: bool,
    qinq: bool,
) -> Option<&'static str> {
    if ours.is_empty()
        && deeper
            .iter()
            .find(|v| !v.is_empty())
            .is_some_and(|v| v == theirs)
    {
        return Some(
            "tshark has no scopes: its first occurrence is in an encapsulated or quoted header, vxscope's field is the outer one",
        );
    }
    if field == "vlan.id" && qinq {
        return Some(
            "an 802.1ad (0x88a8) S-tag: tshark names its ID ieee8021ad.id and its first vlan.id is the C-tag's",
        );
    }
    if truncated {
        return Some(
            "a header cut short: tshark shows the fields present, vxscope labels the header as data (tests/tshark.rs)",
        );
    }
    None
}

#[test]
fn lines_equal_tsharks() {
    let capture = merged();
    let fields: Vec<String> = FIELDS.iter().map(|s| s.to_string()).collect();
    let (a, b) = (ours(&capture, &fields, &[]), theirs(&capture));
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    assert_eq!(a.len(), b.len(), "line counts");
    assert!(a.len() > 100, "{}", a.len());
    assert_eq!(a[0], b[0], "header");
    // The same fields in the other scopes, and the truncated frames.
    let deeper_fields: Vec<String> = OTHER_SCOPES
        .iter()
        .flat_map(|p| FIELDS.iter().map(move |f| format!("{p}{f}")))
        .filter(|f| !f.contains(".frame."))
        .collect();
    let deeper = ours(&capture, &deeper_fields, &[]);
    let deeper: Vec<Vec<String>> = deeper.lines().skip(1).map(cells).collect();
    let truncated = ours(
        &capture,
        &["frame.number".to_string()],
        &["-Y", "malformed.truncated"],
    );
    let truncated: Vec<&str> = truncated
        .lines()
        .skip(1)
        .map(|l| l.trim_matches('"'))
        .collect();
    let mut equal_lines = 0;
    let mut reasons = std::collections::BTreeMap::new();
    let mut failures = Vec::new();
    for (n, (x, y)) in a.iter().zip(&b).enumerate().skip(1) {
        if x == y {
            equal_lines += 1;
            continue;
        }
        let (xs, ys) = (cells(x), cells(y));
        let frame = &xs[0];
        for (i, field) in FIELDS.iter().enumerate() {
            if xs[i] == ys[i] {
                continue;
            }
            let in_scopes: Vec<String> = (0..OTHER_SCOPES.len())
                .filter_map(|s| {
                    let name = format!("{}{field}", OTHER_SCOPES[s]);
                    let col = deeper_fields.iter().position(|f| *f == name)?;
                    Some(deeper[n - 1][col].clone())
                })
                .collect();
            let qinq = xs[FIELDS.iter().position(|f| *f == "eth.type").unwrap()] == "0x88a8";
            let cut = truncated.contains(&frame.as_str());
            match explained(field, &xs[i], &ys[i], &in_scopes, cut, qinq) {
                Some(reason) => *reasons.entry(reason).or_insert(0) += 1,
                None => failures.push(format!(
                    "frame {frame} {field}: vxscope {:?}, tshark {:?}",
                    xs[i], ys[i]
                )),
            }
        }
    }
    eprintln!(
        "{equal_lines} of {} lines equal; differences explained: {reasons:#?}",
        a.len() - 1
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Frames whose compared fields all lie in their outer headers are written byte for byte as tshark writes
    // them.
    assert!(equal_lines > 100, "{equal_lines}");
}
