//! Display filters (`-Y`) through the binary: a table of expressions over every sample, each selecting the
//! same frames as tshark's `-Y` with the same expression (`-d udp.port==8472,vxlan`), and errors that point at
//! their column.
//!
//! tshark has no scopes: its `ip.src` is any IPv4 source in the frame, outer, encapsulated or quoted by an ICMP
//! error, where vxscope's is the outer one and `inner.ip.src`, `quoted.ip.src`, ... are the others. A row
//! whose tshark expression reads such a field gives vxscope the same test in every scope ([`any`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use vxscope_tests::{captures_under, require_tool, root, stderr, stdout, target_dir, vxscope};

/// The scopes the samples have fields in.
const SCOPES: &[&str] = &[
    "",
    "inner.",
    "quoted.",
    "inner.quoted.",
    "quoted.inner.",
    "inner.inner.",
];

/// `template` with `@` replaced by each scope's prefix, or-ed: what tshark's scope-free names mean.
fn any(template: &str) -> String {
    let each: Vec<String> = SCOPES
        .iter()
        .map(|p| format!("({})", template.replace('@', p)))
        .collect();
    format!("({})", each.join(" || "))
}

/// Every sample, flannel's included, in one pcapng file (tshark and vxscope read the same bytes).
fn merged() -> PathBuf {
    require_tool("mergecap");
    let mut files = captures_under(&root().join("samples"));
    files.retain(|p| !p.starts_with(root().join("samples/rewrite")));
    assert!(files.len() > 20, "{files:?}");
    let out = target_dir().join("filter-samples.pcapng");
    let status = Command::new("mergecap")
        .args(["-a", "-I", "none", "-F", "pcapng", "-w"])
        .arg(&out)
        .args(&files)
        .status()
        .expect("run mergecap");
    assert!(status.success(), "mergecap failed");
    out
}

/// The numbers of the frames an expression selects.
fn vxscope_frames(capture: &Path, expr: &str) -> Vec<u64> {
    let nodes = root().join("samples/flannel/nodes.json");
    let o = vxscope([
        "dissect".as_ref(),
        "-V".as_ref(),
        "--nodes".as_ref(),
        nodes.as_os_str(),
        "-Y".as_ref(),
        expr.as_ref(),
        capture.as_os_str(),
    ]);
    assert!(o.status.success(), "{expr}: {}", stderr(&o));
    stdout(&o)
        .lines()
        .filter_map(|l| l.strip_prefix("Frame ")?.split(':').next()?.parse().ok())
        .collect()
}

/// As tests/tshark.rs reads: VXLAN on 8472, checksums verified, no reassembly (vxscope decodes each fragment).
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

fn tshark_frames(capture: &Path, expr: &str) -> Vec<u64> {
    require_tool("tshark");
    let o = Command::new("tshark")
        .arg("-r")
        .arg(capture)
        .args(TSHARK_OPTIONS)
        .args(["-Y", expr, "-T", "fields", "-e", "frame.number"])
        .output()
        .expect("run tshark");
    assert!(
        o.status.success(),
        "tshark -Y {expr}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect()
}

#[test]
fn expressions_select_what_tshark_selects() {
    let capture = merged();
    // (vxscope's expression, tshark's)
    let rows: Vec<(String, &str)> = vec![
        // tshark decodes VXLAN-GPE as its "vxlan" protocol; vxscope names it vxlan_gpe.
        (any("@vxlan || @vxlan_gpe"), "vxlan"),
        (any("@vxlan.vni == 1"), "vxlan.vni == 1"),
        (any("@vxlan.vni != 1"), "vxlan.vni != 1"),
        (any("@vxlan.vni in {2..5000}"), "vxlan.vni in {2..5000}"),
        (
            any("@udp.dstport in {8472 4789}"),
            "udp.dstport in {8472, 4789}",
        ),
        (any("@udp.port == 4789"), "udp.port == 4789"),
        (any("@ip.src == 10.244.1.12"), "ip.src == 10.244.1.12"),
        (any("@ip.dst in 10.244.2.0/24"), "ip.dst in {10.244.2.0/24}"),
        (
            any("@ip.addr == 172.16.100.102"),
            "ip.addr == 172.16.100.102",
        ),
        (any("@ip.ttl <= 1"), "ip.ttl <= 1"),
        (
            any("@ip.ttl > 63 && @ip.ttl < 65"),
            "ip.ttl > 63 && ip.ttl < 65",
        ),
        (any("@icmp"), "icmp"),
        (any("@icmp.type == 8"), "icmp.type == 8"),
        (any("@icmp.seq >= 3"), "icmp.seq >= 3"),
        (any("@icmpv6"), "icmpv6"),
        (any("@arp"), "arp"),
        (any("@tcp.flags.syn == 1"), "tcp.flags.syn == 1"),
        (any("@tcp"), "tcp"),
        (any("@ipv6.src == fd00::1"), "ipv6.src == fd00::1"),
        // A UDP checksum holding only the pseudo-header sum (left for the NIC), and an outer one right once those
        // inside are filled in (local checksum offload): tshark says bad, vxscope partial and lco.
        (
            any("@udp.checksum.status in {bad partial lco}"),
            "udp.checksum.status == 0",
        ),
        (
            any("@eth.src == 00:50:56:93:6a:3a"),
            "eth.src == 00:50:56:93:6a:3a",
        ),
        (any("@vlan.id == 100"), "vlan.id == 100"),
        (format!("!{}", any("@vxlan || @vxlan_gpe")), "!vxlan"),
        (
            format!("{} || {}", any("@icmp"), any("@arp")),
            "icmp || arp",
        ),
        (
            format!("not ({} or {})", any("@tcp"), any("@udp")),
            "not (tcp or udp)",
        ),
        ("frame.len > 1400".into(), "frame.len > 1400"),
        ("frame.len < 100".into(), "frame.len < 100"),
        (
            "frame.cap_len != frame.len".replace("frame.len", "148"),
            "frame.cap_len != 148",
        ),
        (
            "frame.number in {1 5 9..12}".into(),
            "frame.number in {1, 5, 9..12}",
        ),
        // flannel's names for the outer addresses (samples/flannel/nodes.json: k8s-node1 is 172.16.100.101,
        // k8s-node2 172.16.100.102), against tshark's first (outer) IP header, `#1`, carrying UDP (not an ICMP error quoting VXLAN).
        (
            "flannel.dst_node == \"k8s-node2\"".into(),
            "vxlan && ip.proto#1 == 17 && ip.dst#1 == 172.16.100.102",
        ),
        (
            "flannel.src_node matches \"^K8S-NODE[12]$\"".into(),
            "vxlan && ip.proto#1 == 17 && ip.src#1 in {172.16.100.101, 172.16.100.102}",
        ),
        (
            "flannel.src_node != \"k8s-node1\" && inner.icmp".into(),
            "vxlan && ip.proto#1 == 17 && ip.src#1 != 172.16.100.101 && ip.src#1 in {172.16.100.100..172.16.100.102} && icmp",
        ),
    ];
    // The one deliberate difference (tests/tshark.rs's rule "a header cut short"): of a header cut short, tshark
    // shows the fields present, vxscope labels the header as data with a malformed.truncated note. Frames with
    // that note may differ, and no other.
    let truncated = vxscope_frames(&capture, "malformed.truncated");
    assert!(!truncated.is_empty());
    let mut failures = Vec::new();
    let mut selected = 0;
    for (ours, theirs) in &rows {
        let (a, b) = (
            vxscope_frames(&capture, ours),
            tshark_frames(&capture, theirs),
        );
        selected += a.len();
        let differ: Vec<u64> = a
            .iter()
            .filter(|n| !b.contains(n))
            .chain(b.iter().filter(|n| !a.contains(n)))
            .copied()
            .filter(|n| !truncated.contains(n))
            .collect();
        if !differ.is_empty() {
            failures.push(format!(
                "{theirs}: frames {differ:?} differ\n    vxscope {a:?}\n    tshark {b:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The table means something: its rows select frames, and not all of them.
    assert!(selected > 100, "{selected}");
}

#[test]
fn errors_name_the_column_before_reading() {
    // The capture does not exist: the filter is checked first.
    let cases: &[(&str, &str)] = &[
        (
            "inner.ip.sr == 10.0.0.1",
            "column 1: unknown field \"inner.ip.sr\" (did you mean inner.ip.src?)",
        ),
        (
            "vxlan.vni == 1 && flanel.dst_node",
            "column 19: unknown field \"flanel.dst_node\" (did you mean flannel.dst_node?)",
        ),
        (
            "inner.ip.src == 10.244.1",
            "column 17: \"10.244.1\" is not an IPv4 address or network",
        ),
        (
            "vxlan.vni >",
            "column 12: expected a value for vxlan.vni at the end",
        ),
        (
            "flannel.vtep_mac_mismatch == 1",
            "column 27: flannel.vtep_mac_mismatch is a note",
        ),
    ];
    // A filter that does not parse is a bad argument: status 2, as tshark's, before any file is opened.
    for (expr, want) in cases {
        for command in ["dissect", "hexdump", "topology", "compare"] {
            let o = vxscope([
                command,
                "-Y",
                expr,
                "no-such-file.pcap",
                "no-such-file.pcap",
            ]);
            assert_eq!(
                o.status.code(),
                Some(2),
                "{command} -Y {expr}: {}",
                stderr(&o)
            );
            let err = stderr(&o);
            assert!(err.contains(want), "{command} -Y {expr}: {err}");
            assert!(!err.contains("no-such-file"), "{command}: {err}");
        }
    }
    let o = vxscope(["strip", "-Y", "ip.src ==", "no-such-file.pcap", "/dev/null"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("column 10: expected a value"),
        "{}",
        stderr(&o)
    );
}

/// The one-line view of a capture.
fn one_lines(capture: &std::path::Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<&std::ffi::OsStr> = vec!["dissect".as_ref(), capture.as_os_str()];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    let o = vxscope(args);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o).lines().map(str::to_string).collect()
}

#[test]
fn rewrites_change_only_the_packets_the_filter_selects() {
    let input = root().join("samples/ping-nanos-be.pcap");
    let before = one_lines(&input, &[]);
    assert_eq!(before.len(), 4);
    let dir = target_dir().join("filter-rewrites");
    std::fs::create_dir_all(&dir).unwrap();
    let input_arg = input.to_str().unwrap();
    let (stripped, remapped, dropped) = (
        dir.join("strip.pcap"),
        dir.join("remap.pcap"),
        dir.join("drop.pcap"),
    );
    for (args, out) in [
        (vec!["strip", "-Y", "inner.icmp.seq == 1103"], &stripped),
        (
            vec!["remap", "--vni", "1:7", "-Y", "inner.icmp.type == 0"],
            &remapped,
        ),
        (
            vec!["strip", "--other", "drop", "-Y", "inner.icmp.seq == 1103"],
            &dropped,
        ),
    ] {
        let mut all: Vec<&str> = args.clone();
        all.extend([input_arg, out.to_str().unwrap()]);
        let o = vxscope(&all);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    // strip: the two packets of seq 1103 lose their outer headers, the two of 1102 are as they were.
    let after = one_lines(&stripped, &[]);
    assert_eq!(after.len(), 4);
    assert_eq!(after[..2], before[..2]);
    for (a, b) in after[2..].iter().zip(&before[2..]) {
        assert!(
            !a.contains("VXLAN") && b.ends_with(a.split_once(' ').unwrap().1),
            "{a} / {b}"
        );
    }
    assert_eq!(one_lines(&dropped, &[]), after[2..]);
    // remap: the replies (frames 2 and 4) carry VNI 7, the requests VNI 1; every other byte is the same.
    let after = one_lines(&remapped, &[]);
    for (i, (a, b)) in after.iter().zip(&before).enumerate() {
        if i % 2 == 1 {
            assert_eq!(a, &b.replace("vni 1 ", "vni 7 "));
        } else {
            assert_eq!(a, b);
        }
    }
}

#[test]
fn hexdump_and_topology_read_only_the_frames_selected() {
    let input = root().join("samples/ping-nanos-be.pcap");
    let o = vxscope([
        "hexdump".as_ref(),
        "-Y".as_ref(),
        "inner.icmp.type == 0".as_ref(),
        input.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let headers: Vec<String> = stdout(&o)
        .lines()
        .filter(|l| l.starts_with("Frame "))
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert_eq!(headers, ["Frame 2", "Frame 4"]);
    let o = vxscope([
        "hexdump".as_ref(),
        "--frame".as_ref(),
        "1".as_ref(),
        "-Y".as_ref(),
        "inner.icmp.type == 0".as_ref(),
        input.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("frame 1 does not pass the display filter"),
        "{}",
        stderr(&o)
    );
    // The replies only: node2 sent two, node1 received two, and nothing else is counted.
    let o = vxscope([
        "topology".as_ref(),
        "-Y".as_ref(),
        "inner.icmp.type == 0".as_ref(),
        input.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    let row = |ip: &str| {
        table
            .lines()
            .find(|l| l.contains(ip))
            .unwrap()
            .split_whitespace()
            .nth(6)
            .unwrap()
            .to_string()
    };
    assert_eq!(
        (row("172.16.100.101"), row("172.16.100.102")),
        ("0/2".to_string(), "2/0".to_string()),
        "{table}"
    );
}

#[test]
fn compare_matches_only_the_frames_selected() {
    let input = root().join("samples/ping-nanos-be.pcap");
    let o = vxscope([
        "compare".as_ref(),
        "-Y".as_ref(),
        "inner.icmp.type == 0".as_ref(),
        input.as_os_str(),
        input.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    // The two replies of each capture, all one way (node2 to node1).
    assert_eq!(
        out.matches("ping-nanos-be.pcap: 2 frames").count(),
        2,
        "{out}"
    );
    let matched = |direction: &str| {
        let line = out.lines().find(|l| l.starts_with(direction)).unwrap();
        line.split_whitespace().nth(4).unwrap().to_string()
    };
    assert_eq!(
        (matched("forward"), matched("reverse")),
        ("2".into(), "0".into()),
        "{out}"
    );
}

/// The one-line view records only the fields it prints, and -T fields only those named; a filter selects the
/// same frames there as in the tree, which records every field (the flannel layer, for one, exists whatever
/// the fields recorded).
#[test]
fn every_view_selects_the_frames_the_tree_selects() {
    let nodes = root().join("samples/flannel/nodes.json");
    // Frames with and without flannel annotations: VXLAN between nodes, ICMP errors, plain UDP.
    let capture = root().join("samples/icmp-errors-vxlan.pcap");
    for expr in [
        "flannel",
        "!flannel",
        "flannel && inner.icmp",
        "vxlan && !flannel.src_node",
        "flannel.src_pod_subnet",
    ] {
        let tree = vxscope_frames(&capture, expr);
        let run = |view: &[&str]| {
            let mut args: Vec<&std::ffi::OsStr> = vec!["dissect".as_ref()];
            args.extend(view.iter().map(|a| std::ffi::OsStr::new(*a)));
            args.extend([
                "--nodes".as_ref(),
                nodes.as_os_str(),
                "-Y".as_ref(),
                expr.as_ref(),
                capture.as_os_str(),
            ]);
            let o = vxscope(args);
            assert!(o.status.success(), "{expr}: {}", stderr(&o));
            stdout(&o)
        };
        let one_line = run(&[]);
        assert_eq!(
            one_line.lines().count(),
            tree.len(),
            "{expr}: one line a frame"
        );
        let numbers: Vec<u64> = run(&["-T", "fields", "-e", "frame.number"])
            .lines()
            .map(|l| l.trim().parse().unwrap())
            .collect();
        assert_eq!(numbers, tree, "{expr}: -T fields");
    }
    assert_eq!(vxscope_frames(&capture, "flannel").len(), 1);
    assert_eq!(vxscope_frames(&capture, "!flannel").len(), 5);
}
