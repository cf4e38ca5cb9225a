//! `vxscope compare` end to end: a pod-side capture and the node NIC's capture of the same traffic made by
//! scapy and `vxscope encap` (delays and drops known), a NAT pair, zeek's capture of one HTTP GET plain and
//! under two VNIs split into three hops, damaged and foreign inputs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use vxscope_tests::{data, require_tool, root, sample, stderr, stdout, target_dir, vxscope};

fn scratch(name: &str) -> PathBuf {
    let dir = target_dir().join("compare-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn generate(args: &[&str]) {
    let script = root().join("tests").join("compare_gen.py");
    let out = Command::new("/usr/bin/python3")
        .arg(&script)
        .args(args)
        .output()
        .expect("run /usr/bin/python3 (scripts/test installs python3-scapy)");
    assert!(
        out.status.success(),
        "compare_gen.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn json_of(args: &[&str]) -> Value {
    let out = vxscope(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn frames(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_u64().unwrap())
        .collect()
}

/// The pod side (TTL 64, pod MACs), then the NIC side: the same frames encapsulated by flannel.1 of k8s-node1,
/// each 40–60 µs later, 1 % dropped. Returns the directory, and the generator's facts (dropped frames, delays).
fn generated_pair(name: &str, count: usize) -> (PathBuf, Value) {
    let dir = scratch(name);
    let (pod, wrapped, nic, facts) = (
        dir.join("pod.pcap"),
        dir.join("wrapped.pcap"),
        dir.join("nic.pcap"),
        dir.join("facts.json"),
    );
    generate(&["pod", s(&pod), "13", &count.to_string()]);
    let nodes = sample("flannel/nodes.json");
    let out = vxscope([
        "encap",
        s(&pod),
        s(&wrapped),
        "--nodes",
        s(&nodes),
        "--node",
        "k8s-node1",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    generate(&["nic", s(&wrapped), s(&nic), "13", s(&facts)]);
    let facts = serde_json::from_str(&std::fs::read_to_string(&facts).unwrap()).unwrap();
    (dir, facts)
}

#[test]
fn generated_pair_every_packet_found_the_dropped_ones_missing_latencies_as_generated() {
    require_tool("tshark");
    let (dir, facts) = generated_pair("generated", 3000);
    let (pod, nic) = (dir.join("pod.pcap"), dir.join("nic.pcap"));
    let dropped = frames(&facts["dropped"]);
    assert!(
        (20..=40).contains(&dropped.len()),
        "about 1 % of 3000 dropped: {}",
        dropped.len()
    );
    let nodes = sample("flannel/nodes.json");
    let v = json_of(&["compare", "--json", s(&pod), s(&nic), "--nodes", s(&nodes)]);
    let fwd = &v["hops"][0];
    assert_eq!(fwd["direction"], "forward");
    assert_eq!(fwd["from"], s(&pod));
    assert_eq!(fwd["to"], s(&nic));
    assert_eq!(fwd["matched"], 3000 - dropped.len() as u64);
    assert_eq!(frames(&fwd["only_in_from"]), dropped);
    assert_eq!(frames(&fwd["only_in_to"]), Vec::<u64>::new());
    let l = &fwd["latency_us"];
    for q in ["min", "median", "p99", "max"] {
        let x = l[q].as_f64().unwrap();
        assert!((40.0..=60.0).contains(&x), "{q} {x}");
    }
    // The exact bounds of the delays drawn.
    let delays: BTreeMap<u64, i64> = facts["delays"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, d)| (k.parse().unwrap(), d.as_i64().unwrap()))
        .collect();
    let least = *delays.values().min().unwrap() as f64 / 1e3;
    let most = *delays.values().max().unwrap() as f64 / 1e3;
    assert_eq!(
        (l["min"].as_f64().unwrap(), l["max"].as_f64().unwrap()),
        (least, most)
    );
    let changes: Vec<(&str, u64)> = fwd["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["text"].as_str().unwrap(), c["count"].as_u64().unwrap()))
        .collect();
    let n = 3000 - dropped.len() as u64;
    assert_eq!(
        changes,
        [
            (
                "encapsulated: VXLAN vni 1 172.16.100.101 (k8s-node1) > 172.16.100.102 (k8s-node2) port 8472",
                n
            ),
            (
                "MACs 0a:58:0a:f4:01:0c > 0a:58:0a:f4:01:01 → fe:90:c4:18:69:a7 > b6:72:ae:36:7b:6c (the VTEP MACs of k8s-node1 > k8s-node2)",
                n
            ),
            ("TTL 64 → 63 (−1)", n),
        ]
    );
    assert_eq!(fwd["clock_skew_suspected"], false);
    let rev = &v["hops"][1];
    assert_eq!(
        (rev["direction"].as_str(), rev["matched"].as_u64()),
        (Some("reverse"), Some(0))
    );
    // The summaries of the missing packets are dissect's lines: checked against tshark's view of the frames.
    let first = &fwd["only_in_from_packets"][0];
    let frame = first["frame"].as_u64().unwrap();
    let tshark = Command::new("tshark")
        .args([
            "-r",
            s(&pod),
            "-Y",
            &format!("frame.number == {frame}"),
            "-T",
            "fields",
            "-e",
            "ip.id",
            "-e",
            "ip.ttl",
        ])
        .output()
        .unwrap();
    let tshark = String::from_utf8_lossy(&tshark.stdout);
    assert!(tshark.trim().ends_with("\t64"), "{tshark}");
    assert!(
        first["summary"]
            .as_str()
            .unwrap()
            .starts_with("10.244.1.12"),
        "{first}"
    );

    // The CSV: one row a matched packet, each with the delay the generator drew for it.
    let out = vxscope(["compare", "--csv", s(&pod), s(&nic)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("direction,from,from_frame,from_ts,to,to_frame,to_ts,latency_us,changes")
    );
    let mut rows = 0;
    let mut to_frames = Vec::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[0], "forward");
        let from: u64 = cells[2].parse().unwrap();
        let latency: f64 = cells[7].parse().unwrap();
        assert_eq!(latency, delays[&from] as f64 / 1e3, "frame {from}");
        assert_eq!(
            cells[8],
            "TTL 64 → 63 (−1); MACs 0a:58:0a:f4:01:0c > 0a:58:0a:f4:01:01 → fe:90:c4:18:69:a7 > b6:72:ae:36:7b:6c; encapsulated: VXLAN vni 1 172.16.100.101 > 172.16.100.102 port 8472"
        );
        to_frames.push(cells[5].parse::<u64>().unwrap());
        rows += 1;
    }
    assert_eq!(rows, n);
    to_frames.sort();
    assert_eq!(to_frames, (1..=n).collect::<Vec<_>>());
}

#[test]
fn a_service_address_on_one_side_and_the_pod_on_the_other_is_matched_and_the_rewrite_reported() {
    let dir = scratch("nat");
    let (a, b) = (dir.join("pod-side.pcap"), dir.join("node-side.pcap"));
    generate(&["nat", s(&a), s(&b), "7"]);
    let pods = sample("flannel/seed-pods.txt");
    let v = json_of(&["compare", "--json", s(&a), s(&b), "--pods", s(&pods)]);
    let [fwd, rev] = &v["hops"].as_array().unwrap()[..] else {
        panic!("{v}")
    };
    for (hop, text) in [
        (
            fwd,
            "DNAT 10.96.0.10:80 → 10.244.2.14:8080 (busybox-deployment-6576988595-l5w7r)",
        ),
        (
            rev,
            "SNAT 10.244.2.14:8080 (busybox-deployment-6576988595-l5w7r) → 10.96.0.10:80",
        ),
    ] {
        assert_eq!(hop["matched"], 15, "{hop}");
        assert_eq!(hop["translated"], 15);
        assert_eq!(frames(&hop["only_in_from"]), Vec::<u64>::new());
        assert_eq!(frames(&hop["only_in_to"]), Vec::<u64>::new());
        let changes: Vec<&str> = hop["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["text"].as_str().unwrap())
            .collect();
        assert_eq!(changes, [text]);
        let min = hop["latency_us"]["min"].as_f64().unwrap();
        let max = hop["latency_us"]["max"].as_f64().unwrap();
        assert!(20.0 <= min && max <= 30.0, "{min} {max}");
    }
    assert_eq!(rev["from"], s(&b));
}

#[test]
fn zeeks_http_get_plain_and_under_two_vnis_matched_as_three_hops() {
    require_tool("tshark");
    let dir = scratch("zeek");
    let original = data("compare/vxlan-overlapping-http-get.pcap");
    let mut hops = Vec::new();
    for (name, filter) in [
        ("plain.pcap", "not vxlan"),
        ("vni4711.pcap", "vxlan.vni == 4711"),
        ("vni4242.pcap", "vxlan.vni == 4242"),
    ] {
        let path = dir.join(name);
        let out = Command::new("tshark")
            .args([
                "-r",
                s(&original),
                "-Y",
                filter,
                "-F",
                "pcap",
                "-w",
                s(&path),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        hops.push(path);
    }
    let v = json_of(&["compare", "--json", s(&hops[0]), s(&hops[1]), s(&hops[2])]);
    for c in v["captures"].as_array().unwrap() {
        assert_eq!(c["frames"], 14, "{c}");
    }
    let hops = v["hops"].as_array().unwrap();
    assert_eq!(hops.len(), 4);
    // Each of the two pairs: the client's packets one way, the server's the other, all 14 matched.
    for pair in [(0, 3), (1, 2)] {
        let (f, r) = (&hops[pair.0], &hops[pair.1]);
        assert_eq!(f["direction"], "forward");
        assert_eq!(r["direction"], "reverse");
        assert_eq!(
            f["matched"].as_u64().unwrap() + r["matched"].as_u64().unwrap(),
            14
        );
        for h in [f, r] {
            assert_eq!(frames(&h["only_in_from"]), Vec::<u64>::new(), "{h}");
            assert_eq!(frames(&h["only_in_to"]), Vec::<u64>::new(), "{h}");
        }
    }
    let kinds = |h: &Value| -> Vec<String> {
        h["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["change"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(kinds(&hops[0]), ["encapsulated"]);
    assert_eq!(hops[0]["changes"][0]["tunnel"]["vni"], 4711);
    assert_eq!(kinds(&hops[1]), ["tunnel"]);
    assert_eq!(hops[1]["changes"][0]["from"]["vni"], 4711);
    assert_eq!(hops[1]["changes"][0]["to"]["vni"], 4242);
    assert_eq!(kinds(&hops[3]), ["decapsulated"]);
}

#[test]
fn a_damaged_capture_is_named_with_its_frame_and_what_was_read_is_compared() {
    let (dir, facts) = generated_pair("damaged", 600);
    let (pod, nic) = (dir.join("pod.pcap"), dir.join("nic.pcap"));
    // Cut the NIC capture in the middle of a record, about half-way.
    let bytes = std::fs::read(&nic).unwrap();
    let offsets = vxscope_tests::pcap_record_offsets(&bytes);
    let cut = dir.join("nic-cut.pcap");
    std::fs::write(&cut, &bytes[..offsets[300] + 10]).unwrap();
    let out = vxscope(["compare", "--json", s(&pod), s(&cut)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&format!("{}: frame 301", s(&cut))), "{err}");
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["complete"], false);
    assert_eq!(v["captures"][1]["frames"], 300);
    assert!(
        v["captures"][1]["error"]
            .as_str()
            .unwrap()
            .contains("frame 301")
    );
    let fwd = &v["hops"][0];
    // Every frame of the NIC capture before the damage is matched; the pod's drops before it are missing,
    // the frames after it are not compared.
    assert_eq!(fwd["matched"], 300);
    let dropped: Vec<u64> = frames(&facts["dropped"]);
    let missing = frames(&fwd["only_in_from"]);
    assert!(
        missing.iter().all(|f| dropped.contains(f)),
        "{missing:?} {dropped:?}"
    );
    assert_eq!(
        fwd["not_compared"].as_u64().unwrap() + 300 + missing.len() as u64,
        600
    );

    // Not a capture at all: named, the other capture still read, status 1.
    let text = root().join("README.md");
    let out = vxscope(["compare", s(&pod), s(&text)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(s(&text)), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("pod.pcap: 600 frames"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn the_table_names_the_hops_and_lists_the_missing_packets() {
    let (dir, facts) = generated_pair("table", 900);
    let (pod, nic) = (dir.join("pod.pcap"), dir.join("nic.pcap"));
    let out = vxscope(["compare", s(&pod), s(&nic), "--window", "10ms"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("window 10 ms"), "{text}");
    for f in frames(&facts["dropped"]) {
        assert!(
            text.contains(&format!("    frame {f:<7} ")),
            "frame {f}: {text}"
        );
    }
    let forward = text.lines().find(|l| l.starts_with("forward ")).unwrap();
    let cells: Vec<&str> = forward.split_whitespace().collect();
    assert_eq!(
        cells[4],
        (900 - facts["dropped"].as_array().unwrap().len()).to_string()
    );
    // --direction reverse keeps the reverse hop alone.
    let v = json_of(&[
        "compare",
        "--json",
        "--direction",
        "reverse",
        s(&pod),
        s(&nic),
    ]);
    assert_eq!(v["hops"].as_array().unwrap().len(), 1);
    assert_eq!(v["hops"][0]["direction"], "reverse");
}

/// The captures of `samples/lab/` (the kernel's own, from `scripts/flannel-lab`): lab-node1's cni0, flannel.1
/// and NIC, then lab-node2's NIC, in path order.
fn lab_sample(scenario: &str) -> (PathBuf, Vec<String>) {
    let dir = sample("lab").join(scenario);
    let files = [
        "lab-node1-cni0.pcap",
        "lab-node1-flannel.1.pcap",
        "lab-node1-eth0.pcap",
        "lab-node2-eth0.pcap",
    ]
    .iter()
    .map(|f| dir.join(f).display().to_string())
    .collect();
    (dir, files)
}

fn compare_lab_sample(scenario: &str) -> (Vec<String>, Value) {
    let (dir, files) = lab_sample(scenario);
    let nodes = dir.join("nodes.json");
    let pods = dir.join("pods.txt");
    let mut args = vec![
        "compare",
        "--json",
        "--nodes",
        s(&nodes),
        "--pods",
        s(&pods),
    ];
    args.extend(files.iter().map(String::as_str));
    (files.clone(), json_of(&args))
}

#[test]
fn the_kernels_healthy_captures_match_at_every_hop() {
    let (_, v) = compare_lab_sample("healthy");
    for h in v["hops"].as_array().unwrap() {
        assert_eq!(frames(&h["only_in_from"]), Vec::<u64>::new(), "{h}");
        assert_eq!(frames(&h["only_in_to"]), Vec::<u64>::new(), "{h}");
        assert!(h["matched"].as_u64().unwrap() > 0, "{h}");
        assert_eq!(h["clock_skew_suspected"], false, "{h}");
    }
}

#[test]
fn with_mismatched_vnis_what_lab_node1_drops_is_missing_after_its_nic_and_nowhere_else() {
    require_tool("tshark");
    let (files, v) = compare_lab_sample("vni-mismatch");
    // lab-node2 sends VNI 2; lab-node1's flannel.1 (VNI 1) drops it: seen on lab-node1's NIC, never on its
    // flannel.1. tshark names those frames.
    let out = Command::new("tshark")
        .args([
            "-r",
            &files[2],
            "-d",
            "udp.port==8472,vxlan",
            "-Y",
            "vxlan.vni == 2",
        ])
        .args(["-T", "fields", "-e", "frame.number"])
        .output()
        .unwrap();
    let vni2: Vec<u64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert!(!vni2.is_empty());
    for h in v["hops"].as_array().unwrap() {
        let at_the_drop = h["direction"] == "reverse" && h["from"] == files[2].as_str();
        let expected = if at_the_drop { vni2.clone() } else { vec![] };
        assert_eq!(frames(&h["only_in_from"]), expected, "{h}");
        assert_eq!(frames(&h["only_in_to"]), Vec::<u64>::new(), "{h}");
    }
}

#[test]
fn the_decoding_options_are_dissects_a_vxlan_port_given_with_port() {
    // The NIC copy of the generated pair moved to UDP 9999 by remap: without --port 9999 its packets are
    // plain UDP between the nodes and nothing matches; with it, every packet does.
    let (dir, facts) = generated_pair("port", 300);
    let (pod, nic, moved) = (
        dir.join("pod.pcap"),
        dir.join("nic.pcap"),
        dir.join("nic-9999.pcap"),
    );
    let out = vxscope(["remap", s(&nic), s(&moved), "--port", "8472:9999"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let kept = 300 - facts["dropped"].as_array().unwrap().len() as u64;
    let without = json_of(&["compare", "--json", s(&pod), s(&moved)]);
    assert_eq!(without["hops"][0]["matched"], 0);
    let with = json_of(&["compare", "--json", "--port", "9999", s(&pod), s(&moved)]);
    assert_eq!(with["hops"][0]["matched"], kept);
    assert_eq!(with["hops"][0]["changes"][0]["tunnel"]["port"], 9999);
}
