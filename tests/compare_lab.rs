//! `vxscope compare` on the flannel lab (`scripts/flannel-lab`: flannel's data path in network namespaces, the
//! kernel's own veth, bridge and VXLAN devices, tcpdump at every hop): the eleven captures of a healthy run in
//! path order, every packet between the pods matched at every hop both ways (counted independently with
//! tshark); then frames removed from one capture (with editcap) reported missing exactly at the hops around it;
//! and a run whose node NICs have a smaller MTU than flannel.1 expects, where the kernel splits the tunnel's
//! datagrams in outer IP fragments on the way out and joins them again on the way in: nothing lost, the later
//! fragments counted with their first (found independently with tshark), and the split and the join reported.
//!
//! Needs root (network namespaces) and tshark and editcap: it fails, never skips, where they are missing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use vxscope_tests::{require_tool, root, stderr, stdout, target_dir, vxscope};

/// The captures of the path from pod1 on lab-node1 to pod2 on lab-node2, in path order (as `lab.json` names
/// them).
const PATH: [&str; 11] = [
    "lab-node1/pod1-eth0.pcap",
    "lab-node1/veth-pod1.pcap",
    "lab-node1/cni0.pcap",
    "lab-node1/flannel.1.pcap",
    "lab-node1/eth0.pcap",
    "underlay/ul0.pcap",
    "lab-node2/eth0.pcap",
    "lab-node2/flannel.1.pcap",
    "lab-node2/cni0.pcap",
    "lab-node2/veth-pod2.pcap",
    "lab-node2/pod2-eth0.pcap",
];

fn run_lab(out: &Path, prefix: &str, fault: &[&str]) {
    let id = Command::new("id").arg("-u").output().expect("run id -u");
    assert_eq!(
        String::from_utf8_lossy(&id.stdout).trim(),
        "0",
        "the flannel lab needs root (network namespaces)"
    );
    let status = Command::new(root().join("scripts").join("flannel-lab"))
        .args(["--out", out.to_str().unwrap(), "--prefix", prefix])
        .args(fault)
        .output()
        .expect("run scripts/flannel-lab");
    assert!(
        status.status.success(),
        "flannel-lab: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let left = Command::new("ip").args(["netns", "list"]).output().unwrap();
    assert!(
        !String::from_utf8_lossy(&left.stdout).contains(&format!("{prefix}-")),
        "namespaces left behind"
    );
}

/// Runs the lab (`fault`: its flags) into `target/NAME`, with namespaces named `prefix-...`; gives its
/// directory and the captures of the whole path.
fn lab(name: &str, prefix: &str, fault: &[&str]) -> (PathBuf, Vec<PathBuf>) {
    let dir = target_dir().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    run_lab(&dir, prefix, fault);
    let files = PATH.iter().map(|p| dir.join(p)).collect();
    (dir, files)
}

/// The JSON report of `vxscope compare --json` with `options`.
fn report(dir: &Path, files: &[PathBuf], options: &[&str]) -> Value {
    let mut args = vec!["--json"];
    args.extend_from_slice(options);
    serde_json::from_str(&compare_with(dir, files, &args)).unwrap()
}

/// Nothing missing at any hop but those of `lost` (a hop's index, and the frames of its first capture lost
/// there), and nothing extra anywhere.
fn assert_lost_only_at(hops: &[Value], lost: &[(usize, &BTreeSet<u64>)]) {
    for (i, h) in hops.iter().enumerate() {
        let expected = lost
            .iter()
            .find(|(hop, _)| *hop == i)
            .map_or_else(BTreeSet::new, |(_, frames)| (*frames).clone());
        assert_eq!(list(&h["only_in_from"]), expected, "{h}");
        assert_eq!(list(&h["only_in_to"]), BTreeSet::new(), "{h}");
    }
}

fn compare(dir: &Path, files: &[PathBuf], format: &str) -> String {
    compare_with(dir, files, &[format])
}

fn compare_with(dir: &Path, files: &[PathBuf], options: &[&str]) -> String {
    let mut args: Vec<String> = vec!["compare".into()];
    args.extend(options.iter().map(|o| o.to_string()));
    args.extend(files.iter().map(|f| f.display().to_string()));
    args.extend([
        "--nodes".to_string(),
        dir.join("nodes.json").display().to_string(),
        "--pods".into(),
        dir.join("pods.txt").display().to_string(),
    ]);
    let out = vxscope(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

/// Frames of a capture between the two pods (IPv4, VXLAN on 8472 looked into), counted by tshark.
fn pod_to_pod_frames(capture: &Path) -> usize {
    tshark_frames(capture, "ip.addr == 10.244.1.2 && ip.addr == 10.244.2.2").len()
}

fn list(v: &Value) -> BTreeSet<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_u64().unwrap())
        .collect()
}

/// A matched row of the CSV: (from capture, from frame, to capture, to frame).
fn rows(csv: &str) -> Vec<(String, u64, String, u64)> {
    csv.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (
                c[1].to_string(),
                c[2].parse().unwrap(),
                c[4].to_string(),
                c[5].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_lab_path_matched_at_every_hop_and_removed_frames_missing_where_they_were_removed() {
    require_tool("tshark");
    require_tool("editcap");
    let (dir, files) = lab("compare-lab", "vx13", &[]);

    // Healthy: nothing missing anywhere, both directions, every pod-to-pod packet matched at every hop.
    let v = report(&dir, &files, &[]);
    let hops = v["hops"].as_array().unwrap();
    assert_eq!(hops.len(), 20);
    assert_lost_only_at(hops, &[]);
    for h in hops {
        assert_eq!(h["not_compared"], 0, "{h}");
        // One host, one clock, but each hop's tcpdump has its own packet socket, and the kernel stamps a
        // packet when that socket's tap sees it: across a veth into another namespace the stamps of two
        // taps can come out of order by some microseconds. A packet or two of a hop may so seem to arrive
        // before it left (and the hop's clock is then suspected); more, or by more than 100 µs, is wrong.
        let negative = h["latency_us"]["negative"].as_u64().unwrap();
        assert!(negative <= 2, "{h}");
        assert!(h["latency_us"]["min"].as_f64().unwrap() > -100.0, "{h}");
        assert!(h["latency_us"]["median"].as_f64().unwrap() >= 0.0, "{h}");
        assert!(h["matched"].as_u64().unwrap() > 0, "{h}");
    }
    for (i, file) in files.iter().enumerate().take(PATH.len() - 1) {
        let forward = &hops[i];
        let reverse = &hops[hops.len() - 1 - i];
        assert_eq!(forward["from"], file.display().to_string());
        assert_eq!(reverse["to"], file.display().to_string());
        // Every pod-to-pod frame at this hop is matched at the next, one way or the other: the pings both
        // ways (8 frames), the TCP exchange (10 segments) and the UDP exchange (2). Nothing being missing
        // anywhere (above), each of them is matched.
        let pods = pod_to_pod_frames(file);
        assert!(pods >= 20, "{}: {pods}", file.display());
        let matched = forward["matched"].as_u64().unwrap() + reverse["matched"].as_u64().unwrap();
        // The rest matched is ARP on the bridges and the host's ping (10.244.1.0 to pod2) where it passes.
        assert!(
            matched as usize >= pods,
            "{}: {matched} < {pods}",
            file.display()
        );
        // What was not forwarded is ARP, traffic of a node's own flannel.1 (X.0) or cni0 (X.1) address, or
        // what the kernel sends to addresses no router forwards (an IGMP or MLD report when an interface
        // comes up: 0.0.0.0 > 224.0.0.22, fe80:: > ff02::16).
        for h in [forward, reverse] {
            for p in ["from_packets", "to_packets"] {
                for packet in h["local"][p].as_array().unwrap() {
                    let summary = packet["summary"].as_str().unwrap();
                    let node_address = summary.split_whitespace().any(|word| {
                        let ip = word.split(':').next().unwrap_or("");
                        ip.starts_with("10.244.") && (ip.ends_with(".0") || ip.ends_with(".1"))
                    });
                    let link_only = summary.split_whitespace().any(|word| {
                        ["0.0.0.0", "224.0.0.", "169.254.", "fe80:", "ff02:"]
                            .iter()
                            .any(|prefix| word.starts_with(prefix))
                    });
                    assert!(
                        summary.starts_with("ARP ") || node_address || link_only,
                        "{summary}"
                    );
                }
            }
        }
    }
    // What flannel.1 of lab-node1 does to the pods' packets, forward.
    let changes: Vec<&str> = hops[3]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert!(
        changes.contains(&"encapsulated: VXLAN vni 1 172.20.11.11 (lab-node1) > 172.20.11.12 (lab-node2) port 8472"),
        "{changes:?}"
    );

    pictures(&dir, &files, &v);

    // Two frames removed from lab-node2's flannel.1 capture: the packets they were go missing exactly at the
    // two hops around it, at the frames the healthy run had matched them with.
    let healthy = rows(&compare(&dir, &files, "--csv"));
    let victim = dir.join(PATH[7]);
    let removed = [3u64, 8];
    let cut = dir.join("lab-node2/flannel.1-cut.pcap");
    let out = Command::new("editcap")
        .arg(&victim)
        .arg(&cut)
        .args(removed.iter().map(|f| f.to_string()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut cut_files = files.clone();
    cut_files[7] = cut.clone();
    let v = report(&dir, &cut_files, &[]);
    let victim_name = victim.display().to_string();
    let cut_name = cut.display().to_string();
    let mut expected_missing = BTreeSet::new();
    for (from, from_frame, to, to_frame) in &healthy {
        if *to == victim_name && removed.contains(to_frame) {
            // Seen at `from`, then not at the victim: missing at `from` in the hop from → victim.
            expected_missing.insert((from.clone(), cut_name.clone(), "only_in_from", *from_frame));
        }
        if *from == victim_name && removed.contains(from_frame) {
            expected_missing.insert((cut_name.clone(), to.clone(), "only_in_to", *to_frame));
        }
    }
    assert_eq!(expected_missing.len(), 4, "{expected_missing:?}");
    let mut found = BTreeSet::new();
    for h in v["hops"].as_array().unwrap() {
        for side in ["only_in_from", "only_in_to"] {
            for f in list(&h[side]) {
                found.insert((
                    h["from"].as_str().unwrap().to_string(),
                    h["to"].as_str().unwrap().to_string(),
                    side,
                    f,
                ));
            }
        }
    }
    assert_eq!(found, expected_missing);
}

/// Frame numbers of a capture that tshark finds with `filter`, each frame on its own (IPv4 fragments not
/// reassembled), UDP 8472 read as VXLAN.
fn tshark_frames(capture: &Path, filter: &str) -> BTreeSet<u64> {
    let out = Command::new("tshark")
        .args(["-o", "ip.defragment:FALSE", "-d", "udp.port==8472,vxlan"])
        .args(["-r", capture.to_str().unwrap(), "-Y", filter])
        .args(["-T", "fields", "-e", "frame.number"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect()
}

fn count_of(hop: &Value, change: &str) -> u64 {
    hop["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"] == change)
        .map(|c| c["count"].as_u64().unwrap())
        .sum()
}

#[test]
fn outer_ip_fragments_of_a_too_small_underlay_mtu_are_neither_lost_nor_extra() {
    require_tool("tshark");
    // The node NICs have MTU 1400, flannel.1 keeps 1450: the pods' 1428-byte pings leave in two fragments.
    let (dir, files) = lab("compare-lab-mtu", "vx13m", &["--underlay-mtu"]);
    let v = report(&dir, &files, &[]);
    let hops = v["hops"].as_array().unwrap();
    assert_eq!(hops.len(), 20);
    assert_lost_only_at(hops, &[]);
    // Each node NIC's capture: the later fragments, and the first fragments, by the outer source (lab-node1
    // sends forward, lab-node2 reverse), as tshark reads the IPv4 headers.
    let later = |capture: &Path, src: &str| {
        tshark_frames(capture, &format!("ip.src == {src} && ip.frag_offset > 0"))
    };
    let first = |capture: &Path, src: &str| {
        tshark_frames(
            capture,
            &format!("ip.src == {src} && ip.flags.mf == 1 && ip.frag_offset == 0"),
        )
    };
    let (node1, node2) = ("172.20.11.11", "172.20.11.12");
    // Hops, by index: 3 is lab-node1's flannel.1 → eth0 forward, 16 its reverse (eth0 → flannel.1); 6 is
    // lab-node2's eth0 → flannel.1 forward, 13 its reverse (flannel.1 → eth0).
    let nic1 = &files[4];
    let nic2 = &files[6];
    for (hop, capture, side, src, change) in [
        (3, nic1, "to", node1, "fragmented"),
        (16, nic1, "from", node2, "reassembled"),
        (6, nic2, "from", node1, "reassembled"),
        (13, nic2, "to", node2, "fragmented"),
    ] {
        let h = &hops[hop];
        let expected = later(capture, src);
        assert!(
            !expected.is_empty(),
            "no fragments in {}",
            capture.display()
        );
        assert_eq!(list(&h["fragments"][side]), expected, "{h}");
        let other = if side == "to" { "from" } else { "to" };
        assert_eq!(list(&h["fragments"][other]), BTreeSet::new(), "{h}");
        assert_eq!(count_of(h, change), first(capture, src).len() as u64, "{h}");
    }
    // Between the NICs the fragments travel as they are: each is matched, none set apart.
    for h in [4, 5, 14, 15].map(|i| &hops[i]) {
        assert!(h["matched"].as_u64().unwrap() > 0, "{h}");
        assert_eq!(list(&h["fragments"]["from"]), BTreeSet::new(), "{h}");
        assert_eq!(list(&h["fragments"]["to"]), BTreeSet::new(), "{h}");
        assert_eq!(
            count_of(h, "fragmented") + count_of(h, "reassembled"),
            0,
            "{h}"
        );
    }
    // The table says so too.
    let table = compare(&dir, &files, "--format=table");
    assert!(
        table.contains("fragmented: the tunnel's datagram left in outer IP fragments"),
        "{table}"
    );
    assert!(
        table.contains("later outer IP fragments of packets matched whole"),
        "{table}"
    );
}

#[test]
fn over_an_ipv6_underlay_nothing_is_lost_and_neighbour_discovery_is_beside_the_path() {
    require_tool("tshark");
    let (dir, files) = lab("compare-lab-ipv6", "vx13v", &["--ipv6-underlay"]);
    let v = report(&dir, &files, &[]);
    let hops = v["hops"].as_array().unwrap();
    assert_lost_only_at(hops, &[]);
    for h in hops {
        assert!(h["matched"].as_u64().unwrap() > 0, "{h}");
    }
    // The tunnel runs over IPv6 between the NICs.
    let changes = v["hops"][3]["changes"].to_string();
    assert!(
        changes.contains("fd11:20::11 (lab-node1) > fd11:20::12 (lab-node2)"),
        "{changes}"
    );
}

#[test]
fn a_vni_mismatch_loses_the_packets_exactly_where_the_receiving_node_drops_them() {
    require_tool("tshark");
    // lab-node2's flannel.1 has VNI 2, lab-node1's VNI 1: each node drops what the other sends.
    let (dir, files) = lab("compare-lab-vni", "vx13n", &["--vni-mismatch"]);
    let (nic1, nic2) = (&files[4], &files[6]);
    // What each NIC received from the other node's pod, as tshark reads it.
    let to_pod2 = tshark_frames(
        nic2,
        "vxlan.vni == 1 && ip.src == 10.244.1.2 && ip.dst == 10.244.2.2",
    );
    let to_pod1 = tshark_frames(
        nic1,
        "vxlan.vni == 2 && ip.src == 10.244.2.2 && ip.dst == 10.244.1.2",
    );
    assert!(
        to_pod2.len() >= 4 && to_pod1.len() >= 2,
        "{to_pod2:?} {to_pod1:?}"
    );
    let v = report(&dir, &files, &["--captured-together"]);
    let hops = v["hops"].as_array().unwrap();
    // Hop 6: lab-node2's eth0 → flannel.1, forward; hop 16: lab-node1's eth0 → flannel.1, reverse.
    assert_lost_only_at(hops, &[(6, &to_pod2), (16, &to_pod1)]);
    for h in hops {
        assert_eq!(h["not_compared"], 0, "{h}");
    }
    for packet in hops[6]["only_in_from_packets"].as_array().unwrap() {
        let summary = packet["summary"].as_str().unwrap();
        assert!(summary.contains("[flannel.vni_mismatch]"), "{summary}");
    }
    // Without --captured-together, lab-node2's flannel.1 capture saw nothing before its first packet (pod2's
    // own pings, later): what it missed before is not compared, and the table says how to count it.
    let v = report(&dir, &files, &[]);
    let hop = &v["hops"][6];
    assert_eq!(list(&hop["only_in_from"]), BTreeSet::new(), "{hop}");
    assert_eq!(hop["not_compared"], to_pod2.len(), "{hop}");
    let table = compare(&dir, &files, "--format=table");
    assert!(
        table.contains("--captured-together counts them lost"),
        "{table}"
    );
}

#[test]
fn icmp_errors_between_the_nodes_are_matched_on_the_underlay_and_end_beside_the_path_at_the_node() {
    require_tool("tshark");
    // lab-node2's flannel.1 is down: it answers lab-node1's VXLAN with ICMP port unreachable (and has no
    // flannel.1 capture). The path from lab-node1's flannel.1 to lab-node2's NIC.
    let (dir, files) = lab("compare-lab-port", "vx13p", &["--port-closed"]);
    let files = &files[3..7];
    let errors = tshark_frames(&files[1], "icmp.type == 3 && ip.src == 172.20.11.12");
    assert!(
        !errors.is_empty(),
        "no ICMP errors at {}",
        files[1].display()
    );
    let v = report(&dir, files, &[]);
    let hops = v["hops"].as_array().unwrap();
    assert_eq!(hops.len(), 6);
    assert_lost_only_at(hops, &[]);
    // Hop 5: lab-node1's eth0 → flannel.1, reverse. The errors end at lab-node1: beside the path there.
    let beside = list(&hops[5]["local"]["from"]);
    assert!(errors.is_subset(&beside), "{errors:?} {beside:?}");
    // Hop 4: the wire → lab-node1's eth0. On the underlay they are matched like any packet.
    let beside = list(&hops[4]["local"]["to"]);
    assert!(errors.is_disjoint(&beside), "{errors:?} {beside:?}");
    assert!(hops[4]["matched"].as_u64().unwrap() >= errors.len() as u64);
}

#[test]
fn a_stale_vtep_mac_loses_the_packets_where_the_receiving_bridge_drops_them() {
    require_tool("tshark");
    // lab-node1's fdb and neighbour entries hold lab-node2's old VTEP MAC: lab-node2's flannel.1 takes the
    // frames in, and its bridge does not pass them on.
    let (dir, files) = lab("compare-lab-stale", "vx13s", &["--stale-vtep-mac"]);
    let to_pod2 = tshark_frames(&files[7], "ip.src == 10.244.1.2 && ip.dst == 10.244.2.2");
    assert!(to_pod2.len() >= 4, "{to_pod2:?}");
    let v = report(&dir, &files, &["--captured-together"]);
    // Hop 7: lab-node2's flannel.1 → cni0, forward.
    assert_lost_only_at(v["hops"].as_array().unwrap(), &[(7, &to_pod2)]);
}

/// The picture of the healthy path (`--format svg`) is valid XML, names every capture, and shows each hop's
/// counts as the JSON gives them; it and the page (`--format html`) render in headless Chromium without a
/// console message.
fn pictures(dir: &Path, files: &[PathBuf], report: &Value) {
    require_tool("xmllint");
    let svg_path = dir.join("path.svg");
    std::fs::write(&svg_path, compare(dir, files, "--format=svg")).unwrap();
    let html_path = dir.join("path.html");
    std::fs::write(&html_path, compare(dir, files, "--format=html")).unwrap();
    let lint = Command::new("xmllint")
        .arg("--noout")
        .arg(&svg_path)
        .output()
        .unwrap();
    assert!(
        lint.status.success(),
        "{}",
        String::from_utf8_lossy(&lint.stderr)
    );
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let texts: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .filter_map(|t| {
            t.split_once('>')
                .and_then(|(_, rest)| rest.split_once("</text>"))
                .map(|(text, _)| text)
        })
        .collect();
    for (i, file) in files.iter().enumerate() {
        let name = format!("{}. {}", i + 1, file.display());
        assert!(texts.contains(&name.as_str()), "{name} not in {texts:?}");
    }
    // Each hop's group: its direction and captures as attributes, its counts as text.
    let mut seen = 0;
    for group in svg.split("<g class=\"hop\"").skip(1) {
        let attr = |name: &str| {
            let start = group.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            group[start..].split('"').next().unwrap().to_string()
        };
        let (from, to, direction) = (attr("data-from"), attr("data-to"), attr("data-direction"));
        let hop = report["hops"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["from"] == from.as_str() && h["to"] == to.as_str())
            .unwrap_or_else(|| panic!("{from} → {to}"));
        assert_eq!(hop["direction"], direction.as_str());
        let body = group.split("</g>").next().unwrap();
        for (label, key) in [
            ("matched", "matched"),
            ("lost", "only_in_from"),
            ("extra", "only_in_to"),
        ] {
            let value = match &hop[key] {
                Value::Array(a) => a.len() as u64,
                v => v.as_u64().unwrap(),
            };
            let text = format!(">{label} {value}</text>");
            assert!(body.contains(&text), "{from} → {to}: no {text:?} in {body}");
        }
        seen += 1;
    }
    assert_eq!(seen, 20);
    for (path, what) in [(&svg_path, "svg"), (&html_path, "html")] {
        let url = format!("file://{}", path.display());
        let png = dir.join(format!("path-{what}.png"));
        let shot = format!("--screenshot={}", png.display());
        let out = vxscope_tests::chromium(
            &dir.join(format!("profile-{what}")),
            &[&shot, "--window-size=1200,1800"],
            &url,
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(vxscope_tests::console_messages(&out), Vec::<String>::new());
        let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
        assert!(size > 20_000, "{what}: a screenshot of {size} bytes");
    }
}
