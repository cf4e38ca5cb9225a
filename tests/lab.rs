//! vxscope against the Linux kernel. `scripts/flannel-lab` builds flannel's data path in network namespaces
//! (pods, cni0, flannel.1 as flannel sets it up, an underlay) and captures every hop; what the kernel did there
//! is the oracle:
//! - `strip` of a node NIC capture gives the frames flannel.1 carried;
//! - `encap --nodes nodes.json --node NODE` of the node's cni0 capture gives what the kernel put on the wire;
//! - every VXLAN packet carries the names of its nodes and pods; `topology --node-info` of the nodes' own
//!   iproute2 outputs gives the nodes the lab made;
//! - healthy traffic raises no warning or error at any hop; each fault scenario raises its diagnosis;
//! - the outer checksums the kernel computes by local checksum offload are recognised as such, and are right
//!   once the inner checksums are filled in.
//!
//! Every check runs on the captures of one run of each scenario kept in `samples/lab/` (made by
//! `samples/lab/make_lab_samples.sh`), and on a fresh run of the lab when this machine can run it (root, `ip`,
//! `tcpdump`): in CI (`CI=true`) it must, and a missing piece fails the tests instead of skipping them.
//! `VXSCOPE_BLESS=1 cargo test -p vxscope-tests --test lab` rewrites the expected outputs in `samples/lab/`.

#[path = "rewrite_common.rs"]
mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{Frame, assert_ok, read_capture, scratch, write_pcap};
use serde_json::Value;
use vxscope_tests::{root, stderr, stdout, target_dir, vxscope};

/// The scenarios and the flag of scripts/flannel-lab that makes each.
const SCENARIOS: &[(&str, Option<&str>)] = &[
    ("healthy", None),
    ("vni-mismatch", Some("--vni-mismatch")),
    ("underlay-mtu", Some("--underlay-mtu")),
    ("port-closed", Some("--port-closed")),
    ("port-mismatch", Some("--port-mismatch")),
    ("stale-vtep-mac", Some("--stale-vtep-mac")),
    ("ipv6-underlay", Some("--ipv6-underlay")),
];

/// Whether a scenario's traffic is healthy (the IPv6 underlay is healthy too).
fn healthy(scenario: &str) -> bool {
    matches!(scenario, "healthy" | "ipv6-underlay")
}

/// The diagnoses each scenario must raise on the NIC captures, and the only faults it may raise there.
fn diagnoses(scenario: &str) -> &'static [&'static str] {
    match scenario {
        "healthy" | "ipv6-underlay" => &[],
        "vni-mismatch" => &["flannel.vni_mismatch"],
        "underlay-mtu" => &["flannel.mtu_exceeded"],
        "port-closed" => &["flannel.port_unreachable"],
        "port-mismatch" => &["flannel.port_mismatch", "flannel.port_unreachable"],
        "stale-vtep-mac" => &["flannel.vtep_mac_mismatch"],
        other => panic!("no scenario {other}"),
    }
}

/// One run of the lab: its outputs, laid out as the lab writes them or as `samples/lab/` keeps them.
struct Run {
    scenario: &'static str,
    dir: PathBuf,
    /// `samples/lab/`: `NODE-HOP.pcap`, `NODE-node-info.txt`; a live run: `NODE/HOP.pcap`, `NODE/node-info.txt`.
    sample: bool,
    lab: Value,
}

impl Run {
    fn new(scenario: &'static str, dir: PathBuf, sample: bool) -> Run {
        let text = std::fs::read_to_string(dir.join("lab.json"))
            .unwrap_or_else(|e| panic!("{}/lab.json: {e}", dir.display()));
        let lab = serde_json::from_str(&text).expect("lab.json is JSON");
        Run {
            scenario,
            dir,
            sample,
            lab,
        }
    }

    fn name(&self) -> String {
        format!(
            "{} ({})",
            self.scenario,
            if self.sample {
                "samples/lab"
            } else {
                "a fresh lab run"
            }
        )
    }

    fn file(&self, node: &str, name: &str) -> PathBuf {
        if self.sample {
            self.dir.join(format!("{node}-{name}"))
        } else {
            self.dir.join(node).join(name)
        }
    }

    /// The capture of `hop` on `node`, if it was taken (and kept).
    fn capture(&self, node: &str, hop: &str) -> Option<PathBuf> {
        Some(self.file(node, &format!("{hop}.pcap"))).filter(|p| p.exists())
    }

    /// Every capture of the run.
    fn captures(&self) -> Vec<PathBuf> {
        if self.sample {
            vxscope_tests::captures_under(&self.dir)
        } else {
            self.lab["hops"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| self.dir.join(h["capture"].as_str().unwrap()))
                .filter(|p| p.exists())
                .collect()
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    fn nodes(&self) -> Vec<&Value> {
        self.lab["nodes"].as_array().unwrap().iter().collect()
    }

    fn node_names(&self) -> Vec<String> {
        self.nodes()
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_string())
            .collect()
    }

    fn node(&self, name: &str) -> &Value {
        self.nodes()
            .into_iter()
            .find(|n| n["name"] == name)
            .unwrap_or_else(|| panic!("no node {name}"))
    }

    /// `--nodes nodes.json --pods pods.txt`.
    fn topology_args(&self) -> Vec<String> {
        vec![
            "--nodes".into(),
            self.path("nodes.json"),
            "--pods".into(),
            self.path("pods.txt"),
        ]
    }

    /// `dissect --json` of a capture with the run's nodes and pods: each frame's JSON object.
    fn dissect_json(&self, capture: &Path) -> Vec<Value> {
        let mut args = vec!["dissect".to_string(), "--json".into()];
        args.extend(self.topology_args());
        args.push(capture.display().to_string());
        let out = vxscope(&args);
        assert_ok(
            &out,
            &format!("{}: dissect {}", self.name(), capture.display()),
        );
        stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect()
    }
}

/// The runs kept in samples/lab/.
fn sample_runs() -> Vec<Run> {
    SCENARIOS
        .iter()
        .map(|(s, _)| Run::new(s, root().join("samples/lab").join(s), true))
        .collect()
}

/// Whether this machine can run the lab: root, and the tools it uses. In CI it must.
fn lab_possible() -> bool {
    use std::os::unix::fs::MetadataExt;
    let root_user = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    let path = std::env::var_os("PATH").unwrap_or_default();
    let missing: Vec<&str> = ["ip", "bridge", "tcpdump", "ping"]
        .into_iter()
        .filter(|t| !std::env::split_paths(&path).any(|d| d.join(t).is_file()))
        .collect();
    let why = match (root_user, missing.is_empty()) {
        (true, true) => return true,
        (false, _) => "not root: network namespaces cannot be made".to_string(),
        (true, false) => format!("{} not installed", missing.join(", ")),
    };
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "the flannel lab cannot run in CI: {why} (scripts/test installs the tools; CI runs as root)"
        );
    }
    eprintln!(
        "lab tests on a fresh lab run skipped: {why}; the samples in samples/lab/ are checked"
    );
    false
}

/// A fresh run of the lab for each scenario (three nodes when healthy), made once per test process; none when
/// the lab cannot run here (outside CI).
fn live_runs() -> &'static [Run] {
    static RUNS: OnceLock<Vec<Run>> = OnceLock::new();
    RUNS.get_or_init(|| {
        if !lab_possible() {
            return Vec::new();
        }
        let base = target_dir().join("flannel-lab-tests");
        // The scenarios run side by side: each lab has namespaces of its own (named by its process id).
        let children: Vec<_> = SCENARIOS
            .iter()
            .map(|(scenario, flag)| {
                let dir = base.join(scenario);
                let mut cmd = Command::new(root().join("scripts/flannel-lab"));
                cmd.arg("--out").arg(&dir);
                match flag {
                    Some(flag) => cmd.arg(flag),
                    None => cmd.args(["--nodes", "3"]),
                };
                let child = cmd
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("run scripts/flannel-lab");
                (*scenario, dir, child)
            })
            .collect();
        children
            .into_iter()
            .map(|(scenario, dir, child)| {
                let out = child
                    .wait_with_output()
                    .expect("wait for scripts/flannel-lab");
                assert!(
                    out.status.success(),
                    "scripts/flannel-lab {scenario}: {}{}",
                    stdout(&out),
                    stderr(&out)
                );
                Run::new(scenario, dir, false)
            })
            .collect()
    })
}

/// Every run to check: the samples, then the fresh ones.
fn runs() -> Vec<&'static Run> {
    static SAMPLES: OnceLock<Vec<Run>> = OnceLock::new();
    let samples = SAMPLES.get_or_init(sample_runs);
    samples.iter().chain(live_runs()).collect()
}

// ---------------------------------------------------------------------------------------------------------
// Reading the kernel's packets (independently of vxscope: fixed offsets of the headers the lab makes).

/// A VXLAN packet over IPv4 without options or IPv6 without extension headers, as the lab's nodes send them:
/// its outer fields and inner frame.
#[derive(Debug)]
struct Vxlan<'a> {
    src: &'a [u8],
    dst: &'a [u8],
    /// Where the outer UDP header starts in the frame.
    udp_at: usize,
    dport: u16,
    vni: u32,
    inner: &'a [u8],
}

const ETH: usize = 14;

/// The VXLAN packet an Ethernet frame holds (UDP to one of `ports`), if it does and is not a fragment.
fn vxlan_of<'a>(frame: &'a [u8], ports: &[u16]) -> Option<Vxlan<'a>> {
    let ip = frame.get(ETH..)?;
    let (src, dst, udp_at, udp) = match frame.get(12..14)? {
        [0x08, 0x00] if ip.len() >= 20 && ip[0] == 0x45 && ip[9] == 17 => {
            let frag = u16::from_be_bytes([ip[6], ip[7]]);
            if frag & 0x3fff != 0 {
                return None;
            }
            let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
            (&ip[12..16], &ip[16..20], ETH + 20, ip.get(20..total)?)
        }
        [0x86, 0xdd] if ip.len() >= 40 && ip[6] == 17 => {
            let payload = usize::from(u16::from_be_bytes([ip[4], ip[5]]));
            (&ip[8..24], &ip[24..40], ETH + 40, ip.get(40..40 + payload)?)
        }
        _ => return None,
    };
    let dport = u16::from_be_bytes([udp[2], udp[3]]);
    if !ports.contains(&dport) || udp.len() < 16 {
        return None;
    }
    Some(Vxlan {
        src,
        dst,
        udp_at,
        dport,
        vni: u32::from_be_bytes([0, udp[12], udp[13], udp[14]]),
        inner: &udp[16..],
    })
}

/// The bytes of an IPv4 or IPv6 address.
fn ip_bytes(text: &str) -> Vec<u8> {
    match text.parse::<std::net::IpAddr>().unwrap() {
        std::net::IpAddr::V4(a) => a.octets().to_vec(),
        std::net::IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// The frames of a capture, as the pcap-file crate reads them.
fn frames(path: &Path) -> Vec<Frame> {
    read_capture(path).frames
}

/// The multiset of packet bytes.
fn counted(frames: impl IntoIterator<Item = Vec<u8>>) -> BTreeMap<Vec<u8>, usize> {
    let mut m = BTreeMap::new();
    for f in frames {
        *m.entry(f).or_insert(0) += 1;
    }
    m
}

/// A file for one check's output.
fn scratch_file(run: &Run, what: &str) -> PathBuf {
    let kind = if run.sample { "sample" } else { "live" };
    scratch(&format!("lab-{kind}-{}-{what}", run.scenario)).join("out.pcap")
}

// ---------------------------------------------------------------------------------------------------------
// The checks.

#[test]
fn strip_of_the_nic_capture_is_what_flannel1_carried() {
    for run in runs() {
        for node in run.node_names() {
            let (Some(nic), Some(vtep)) =
                (run.capture(&node, "eth0"), run.capture(&node, "flannel.1"))
            else {
                continue;
            };
            let out = scratch_file(run, &format!("strip-{node}"));
            let o = vxscope([
                "strip",
                nic.to_str().unwrap(),
                out.to_str().unwrap(),
                "--other",
                "drop",
            ]);
            assert_ok(&o, &format!("{}: strip {}", run.name(), nic.display()));
            let stripped = counted(frames(&out).into_iter().map(|f| f.data));
            let carried = counted(frames(&vtep).into_iter().map(|f| f.data));
            let context = format!("{} {node}: strip of eth0 against flannel.1", run.name());
            assert!(!carried.is_empty(), "{context}: flannel.1 carried nothing");
            // (The narrow underlay splits the large datagrams in outer fragments, which strip puts back
            // together: nothing is lost there either.)
            if matches!(run.scenario, "healthy" | "underlay-mtu") {
                assert_eq!(stripped, carried, "{context}");
            } else {
                // In a fault the kernel drops some of what arrives (another VNI, another VTEP MAC): every frame
                // flannel.1 carried is among the stripped ones.
                for (frame, n) in &carried {
                    assert!(
                        stripped.get(frame).is_some_and(|m| m >= n),
                        "{context}: a frame flannel.1 carried is not in the stripped capture: {}",
                        hex::encode(frame)
                    );
                }
            }
        }
    }
}

#[test]
fn encap_of_the_cni0_capture_is_what_the_kernel_sent() {
    // cni0 frames carry the pods' MACs (pod -> cni0 gateway) and the pod's TTL; the kernel routes them to
    // flannel.1, whose frames carry the two VTEP MACs and the TTL less one: `encap --node` does both, so the
    // inner frame it writes must be the kernel's byte for byte. The outer UDP source port (a hash the kernel
    // seeds at boot), the IP identification, the outer MACs (encap writes zeros unless told) and so the outer
    // checksums are not compared; outer addresses, destination port and VNI are.
    for run in runs().into_iter().filter(|r| r.scenario == "healthy") {
        for node in run.node_names() {
            let (Some(cni0), Some(nic)) = (run.capture(&node, "cni0"), run.capture(&node, "eth0"))
            else {
                continue;
            };
            let me = run.node(&node);
            let my_ip = ip_bytes(me["nic_ip"].as_str().unwrap());
            let my_port = me["port"].as_u64().unwrap() as u16;
            let out = scratch_file(run, &format!("encap-{node}"));
            let mut args = vec![
                "encap".to_string(),
                cni0.display().to_string(),
                out.display().to_string(),
                "--node".into(),
                node.clone(),
                "--other".into(),
                "drop".into(),
            ];
            args.extend(run.topology_args());
            let o = vxscope(&args);
            assert_ok(&o, &format!("{}: encap {}", run.name(), cni0.display()));
            let ours = frames(&out);
            // What the node sent, less what the host itself sent (inner source its flannel.1 address X.0: it
            // never crossed cni0).
            let vtep_addr = {
                let cidr = me["pod_cidr"].as_str().unwrap();
                ip_bytes(cidr.split('/').next().unwrap())
            };
            let kernel_frames = frames(&nic);
            let kernel: Vec<Vxlan> = kernel_frames
                .iter()
                .filter_map(|f| vxlan_of(&f.data, &[8472, 4789]))
                .filter(|v| v.src == &my_ip[..] && v.inner.get(26..30) != Some(&vtep_addr[..]))
                .collect();
            let context = format!("{} {node}: encap of cni0 against eth0", run.name());
            assert!(!kernel.is_empty(), "{context}: the node sent nothing");
            assert_eq!(ours.len(), kernel.len(), "{context}: packet counts");
            for (i, (mine, theirs)) in ours.iter().zip(&kernel).enumerate() {
                let mine = vxlan_of(&mine.data, &[my_port])
                    .unwrap_or_else(|| panic!("{context}: packet {} is not VXLAN", i + 1));
                assert_eq!(
                    mine.src,
                    theirs.src,
                    "{context}: packet {}: outer source",
                    i + 1
                );
                assert_eq!(
                    mine.dst,
                    theirs.dst,
                    "{context}: packet {}: outer destination",
                    i + 1
                );
                assert_eq!(
                    mine.dport,
                    theirs.dport,
                    "{context}: packet {}: port",
                    i + 1
                );
                assert_eq!(mine.vni, theirs.vni, "{context}: packet {}: VNI", i + 1);
                assert_eq!(
                    hex::encode(mine.inner),
                    hex::encode(theirs.inner),
                    "{context}: packet {}: the inner frame",
                    i + 1
                );
            }
        }
    }
}

#[test]
fn every_vxlan_packet_names_its_nodes_and_pods() {
    for run in runs() {
        let node_by_ip: HashMap<String, String> = run
            .nodes()
            .iter()
            .map(|n| {
                (
                    n["nic_ip"].as_str().unwrap().to_string(),
                    n["name"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let pod_by_ip: HashMap<String, String> = run.lab["pods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["ip"].as_str().unwrap().to_string(),
                    p["name"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let mut seen = 0;
        for capture in run.captures() {
            for (i, frame) in run.dissect_json(&capture).iter().enumerate() {
                let f = &frame["fields"];
                if f.get("vxlan.vni").is_none() {
                    continue;
                }
                seen += 1;
                let context = format!("{} {} frame {}", run.name(), capture.display(), i + 1);
                for (ip, ip6, name) in [
                    ("ip.src", "ipv6.src", "flannel.src_node"),
                    ("ip.dst", "ipv6.dst", "flannel.dst_node"),
                ] {
                    let addr = f[ip].as_str().or(f[ip6].as_str()).unwrap();
                    assert_eq!(
                        f[name].as_str(),
                        node_by_ip.get(addr).map(String::as_str),
                        "{context}: {name}"
                    );
                }
                for (ip, name) in [
                    ("inner.ip.src", "flannel.src_pod"),
                    ("inner.ip.dst", "flannel.dst_pod"),
                ] {
                    let Some(addr) = f[ip].as_str() else {
                        continue; // an outer fragment: the inner IP header may lie in the next one
                    };
                    assert_eq!(
                        f[name].as_str(),
                        pod_by_ip.get(addr).map(String::as_str),
                        "{context}: {name}"
                    );
                }
            }
        }
        assert!(seen > 0, "{}: no VXLAN packet", run.name());
    }
}

/// The rows of `vxscope topology`'s node table, by node name: the columns.
fn topology_rows(text: &str) -> HashMap<String, Vec<String>> {
    text.lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<String> = l.split_whitespace().map(str::to_string).collect();
            (cols[0].clone(), cols)
        })
        .collect()
}

#[test]
fn topology_of_the_nodes_own_iproute2_outputs() {
    for run in runs() {
        let mut args = vec!["topology".to_string()];
        for node in run.node_names() {
            args.push("--node-info".into());
            args.push(run.file(&node, "node-info.txt").display().to_string());
        }
        let o = vxscope(&args);
        assert_ok(&o, &format!("{}: topology --node-info", run.name()));
        let text = stdout(&o);
        let rows = topology_rows(&text);
        for node in run.nodes() {
            let name = node["name"].as_str().unwrap();
            let row = rows
                .get(name)
                .unwrap_or_else(|| panic!("{}: no row for {name}:\n{text}", run.name()));
            // NODE, NODE IP, VTEP MAC, POD SUBNETS, VNI, PORT
            assert_eq!(
                row[1],
                node["nic_ip"].as_str().unwrap(),
                "{}: {name}:\n{text}",
                run.name()
            );
            if !(run.scenario == "stale-vtep-mac" && name == "lab-node2") {
                assert_eq!(
                    row[2],
                    node["vtep_mac"].as_str().unwrap(),
                    "{}: {name}:\n{text}",
                    run.name()
                );
            }
            assert_eq!(
                row[3],
                node["pod_cidr"].as_str().unwrap(),
                "{}: {name}:\n{text}",
                run.name()
            );
            assert_eq!(
                row[4],
                node["vni"].to_string(),
                "{}: {name}:\n{text}",
                run.name()
            );
            assert_eq!(
                row[5],
                node["port"].to_string(),
                "{}: {name}:\n{text}",
                run.name()
            );
        }
        if run.scenario == "stale-vtep-mac" {
            // lab-node1's fdb and neighbour entries hold lab-node2's old VTEP MAC, lab-node2's flannel.1 the new
            // one: which is kept depends on the order of the sources, the conflict is listed either way.
            let (old, new) = (
                "be:ef:11:00:02:01",
                run.node("lab-node2")["vtep_mac"].as_str().unwrap(),
            );
            assert!(
                text.lines().any(|l| l.contains(old) && l.contains(new)),
                "{}: the stale MAC is not a conflict:\n{text}",
                run.name()
            );
        } else {
            assert!(text.contains("No conflicts."), "{}:\n{text}", run.name());
        }
    }
}

/// Whether a note reports a problem: a warning or an error.
fn is_fault(note: &Value) -> bool {
    matches!(note["severity"].as_str(), Some("warning" | "error"))
}

#[test]
fn healthy_traffic_raises_no_warning_or_error_at_any_hop() {
    for run in runs().into_iter().filter(|r| healthy(r.scenario)) {
        let captures = run.captures();
        assert!(captures.len() >= 4, "{}: {captures:?}", run.name());
        for capture in captures {
            for (i, frame) in run.dissect_json(&capture).iter().enumerate() {
                let faults: Vec<&Value> = frame["notes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|n| is_fault(n))
                    .collect();
                assert!(
                    faults.is_empty(),
                    "{} {} frame {}: {} {faults:?}",
                    run.name(),
                    capture.display(),
                    i + 1,
                    frame["summary"]
                );
            }
        }
    }
}

#[test]
fn each_fault_raises_its_diagnosis() {
    for run in runs() {
        let expected = diagnoses(run.scenario);
        let mut raised: BTreeMap<String, usize> = BTreeMap::new();
        for node in run.node_names() {
            let Some(nic) = run.capture(&node, "eth0") else {
                continue;
            };
            for frame in run.dissect_json(&nic) {
                for note in frame["notes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|n| is_fault(n))
                {
                    *raised
                        .entry(note["code"].as_str().unwrap().to_string())
                        .or_insert(0) += 1;
                }
            }
        }
        for code in expected {
            assert!(
                raised.contains_key(*code),
                "{}: {code} not raised; raised: {raised:?}",
                run.name()
            );
        }
        for code in raised.keys() {
            assert!(
                expected.contains(&code.as_str()),
                "{}: {code} raised, which is not this fault's; raised: {raised:?}",
                run.name()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Local checksum offload, on the kernel's own packets.

/// The Internet checksum of the concatenation of `parts` (RFC 1071, sixteen bits at a time).
fn inet_checksum(parts: &[&[u8]]) -> u16 {
    let bytes: Vec<u8> = parts.concat();
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w.get(1).copied().unwrap_or(0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Where the inner TCP or UDP checksum of a VXLAN frame from the lab lies, and the value that completes it.
fn inner_checksum(frame: &[u8]) -> Option<(usize, u16)> {
    let v = vxlan_of(frame, &[8472, 4789])?;
    let inner_at = frame.len() - v.inner.len();
    let ip = v.inner.get(ETH..)?;
    if v.inner[12..14] != [0x08, 0x00] || ip[0] != 0x45 {
        return None;
    }
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    let proto = ip[9];
    let at = match proto {
        6 => 16,
        17 => 6,
        _ => return None,
    };
    let mut segment = ip.get(20..total)?.to_vec();
    segment[at..at + 2].copy_from_slice(&[0, 0]);
    let mut pseudo = ip[12..20].to_vec();
    pseudo.extend_from_slice(&[0, proto]);
    pseudo.extend_from_slice(&(segment.len() as u16).to_be_bytes());
    let c = inet_checksum(&[&pseudo, &segment]);
    Some((
        inner_at + ETH + 20 + at,
        if c == 0 && proto == 17 { 0xffff } else { c },
    ))
}

#[test]
fn the_kernels_local_checksum_offload_is_told_from_a_wrong_checksum() {
    for run in runs().into_iter().filter(|r| healthy(r.scenario)) {
        let node = &run.node_names()[0];
        let nic = run.capture(node, "eth0").expect("lab-node1's NIC capture");
        let kernel = frames(&nic);
        let json = run.dissect_json(&nic);
        let context = format!("{} {}", run.name(), nic.display());
        // The TCP and UDP exchanges: inner checksums partial (the veth offloads them), the outer one computed
        // by local checksum offload.
        let lco: Vec<usize> = json
            .iter()
            .enumerate()
            .filter(|(_, j)| j["fields"]["udp.checksum.status"] == "lco")
            .map(|(i, _)| i)
            .collect();
        assert!(
            lco.len() >= 4,
            "{context}: {} packets with an LCO outer checksum",
            lco.len()
        );
        for &i in &lco {
            let f = &json[i]["fields"];
            let inner = f["inner.tcp.checksum.status"]
                .as_str()
                .or(f["inner.udp.checksum.status"].as_str());
            assert_eq!(inner, Some("partial"), "{context} frame {}", i + 1);
            let codes: Vec<&str> = json[i]["notes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["code"].as_str().unwrap())
                .collect();
            assert!(
                codes.contains(&"checksum.lco"),
                "{context} frame {}: {codes:?}",
                i + 1
            );
        }
        // Fill in the inner checksums as a NIC would: the kernel's outer checksums are then right as they are.
        // Then change each outer checksum by one: a real fault, with complete inner checksums.
        let mut filled = Vec::new();
        let mut broken = Vec::new();
        for &i in &lco {
            let mut f = kernel[i].data.clone();
            let (at, value) = inner_checksum(&f).expect("an inner TCP or UDP checksum");
            f[at..at + 2].copy_from_slice(&value.to_be_bytes());
            filled.push(f.clone());
            let udp_at = vxlan_of(&f, &[8472]).unwrap().udp_at;
            f[udp_at + 7] ^= 0x01;
            broken.push(f);
        }
        let dir = scratch_file(run, "lco");
        let (filled_path, broken_path) = (
            dir.with_file_name("filled.pcap"),
            dir.with_file_name("broken.pcap"),
        );
        write_pcap(&filled_path, &filled);
        write_pcap(&broken_path, &broken);
        for (i, j) in run.dissect_json(&filled_path).iter().enumerate() {
            assert_eq!(
                j["fields"]["udp.checksum.status"],
                "good",
                "{context}: LCO packet {} filled in",
                i + 1
            );
            let checksum_notes: Vec<&Value> = j["notes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["code"].as_str().unwrap().contains("checksum"))
                .collect();
            assert!(checksum_notes.is_empty(), "{context}: {checksum_notes:?}");
        }
        for (i, j) in run.dissect_json(&broken_path).iter().enumerate() {
            assert_eq!(
                j["fields"]["udp.checksum.status"],
                "bad",
                "{context}: packet {} broken",
                i + 1
            );
            let faults: Vec<&str> = j["notes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| is_fault(n))
                .map(|n| n["code"].as_str().unwrap())
                .collect();
            assert_eq!(
                faults,
                ["flannel.outer_checksum_bad"],
                "{context}: packet {} broken",
                i + 1
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// The expected outputs of the samples.

#[test]
fn lab_samples_print_their_expected_outputs() {
    let update = vxscope_tests::blessing();
    let mut differ = Vec::new();
    for run in sample_runs() {
        let nics: Vec<String> = run
            .node_names()
            .iter()
            .filter_map(|n| run.capture(n, "eth0"))
            .map(|p| p.display().to_string())
            .collect();
        let mut dissect = vec!["dissect".to_string(), "--summary".into()];
        dissect.extend(run.topology_args());
        dissect.extend(nics.iter().cloned());
        let mut topology = vec!["topology".to_string()];
        topology.extend(run.topology_args());
        for node in run.node_names() {
            topology.push("--node-info".into());
            topology.push(run.file(&node, "node-info.txt").display().to_string());
        }
        topology.extend(nics.iter().cloned());
        for (file, args) in [("dissect.txt", dissect), ("topology.txt", topology)] {
            let o = vxscope(&args);
            assert_ok(&o, &format!("{}: {file}", run.name()));
            // Paths relative to the sample's directory, so the file does not depend on where the checkout is.
            let text = stdout(&o).replace(&format!("{}/", run.dir.display()), "");
            let golden = run.dir.join(file);
            if update {
                std::fs::write(&golden, &text).unwrap();
            } else if std::fs::read_to_string(&golden).ok().as_deref() != Some(text.as_str()) {
                differ.push(golden.display().to_string());
            }
        }
    }
    assert!(
        differ.is_empty(),
        "expected outputs differ (after a deliberate change: VXSCOPE_BLESS=1 cargo test -p vxscope-tests --test lab, then review git diff samples/lab/): {differ:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Live capture: `vxscope dissect -i` on a node NIC of the lab while the pods talk.

/// Runs the lab with four live captures on lab-node1's NIC at once, each with other options; returns the
/// lab's output directory. Each capture's standard output, standard error and exit status are in
/// `live-N.out`, `live-N.err`, `live-N.status`; what it read is in `live-N.pcap`.
fn live_capture_run() -> Option<PathBuf> {
    static RUN: OnceLock<Option<PathBuf>> = OnceLock::new();
    RUN.get_or_init(|| {
        if !lab_possible() {
            return None;
        }
        let bin = vxscope_tests::vxscope_bin();
        let bin = bin.display();
        let topology = "--nodes $LAB_OUT/nodes.json --pods $LAB_OUT/pods.txt";
        let captures = [
            // Ended by the lab's SIGINT (Ctrl-C), with the summary.
            format!("--summary --utc {topology}"),
            // Ended by -c.
            format!("--json -c 4 {topology}"),
            // The full tree of one frame.
            format!("-V --frame 3 --utc {topology}"),
            // Through the plugin (the C ABI), JSON.
            format!(
                "--json --plugin {} {topology}",
                target_dir().join("libvxscope.so").display()
            ),
        ];
        let mut script = String::from("cd \"$LAB_OUT\"\n");
        for (i, options) in captures.iter().enumerate() {
            script.push_str(&format!(
                "(ip netns exec \"$LAB_NS_lab_node1\" {bin} dissect -i eth0 -f 'udp port 8472' -w live-{i}.pcap {options} \
                 >live-{i}.out 2>live-{i}.err; echo $? >live-{i}.status) &\n"
            ));
        }
        // The traffic starts once every capture listens.
        script.push_str(&format!(
            "for _ in $(seq 50); do [ \"$(cat live-*.err 2>/dev/null | grep -c 'listening on')\" = {} ] && break; sleep 0.1; done\n\
             echo 'listening on eth0 (all captures)' >&2\nwait\n",
            captures.len()
        ));
        let dir = target_dir().join("flannel-lab-tests").join("live-capture");
        let out = Command::new(root().join("scripts/flannel-lab"))
            .arg("--out")
            .arg(&dir)
            .args(["--during", &script])
            .output()
            .expect("run scripts/flannel-lab");
        assert!(
            out.status.success(),
            "scripts/flannel-lab --during: {}{}",
            stdout(&out),
            stderr(&out)
        );
        Some(dir)
    })
    .clone()
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name))
        .unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display()))
}

#[test]
fn live_capture_on_a_node_nic_prints_what_dissect_of_its_file_prints() {
    let Some(dir) = live_capture_run() else {
        return;
    };
    for i in 0..4 {
        assert_eq!(
            read(&dir, &format!("live-{i}.status")).trim(),
            "0",
            "capture {i}: {}",
            read(&dir, &format!("live-{i}.err"))
        );
        let err = read(&dir, &format!("live-{i}.err"));
        assert!(
            err.contains("listening on eth0, link type EN10MB (1), filter \"udp port 8472\""),
            "{err}"
        );
        assert!(err.contains("packet(s) read on eth0"), "{err}");
        assert!(
            !dir.read_dir().unwrap().any(|e| e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".tmp"))
        );
    }
    let topology = [
        "--nodes",
        &dir.join("nodes.json").display().to_string(),
        "--pods",
        &dir.join("pods.txt").display().to_string(),
    ]
    .map(str::to_string);
    let from_file = |i: usize, options: &[&str]| {
        let mut args: Vec<String> = vec!["dissect".into()];
        args.extend(options.iter().map(|s| s.to_string()));
        args.extend(topology.iter().cloned());
        args.push(dir.join(format!("live-{i}.pcap")).display().to_string());
        let o = vxscope(&args);
        assert_ok(&o, "dissect of the live capture's file");
        stdout(&o)
    };

    // Ended by SIGINT: every packet the lab's tcpdump saw on 8472, printed, then the summary.
    let live = read(&dir, "live-0.out");
    assert_eq!(live, from_file(0, &["--summary", "--utc"]));
    assert!(
        live.contains(
            "lab-node1 > lab-node2 VXLAN vni 1 | 10.244.1.2 > 10.244.2.2 ICMP echo request"
        ),
        "{live}"
    );
    assert!(
        live.contains("\nSummary: ") && live.contains("Diagnoses:\n  none"),
        "{live}"
    );
    let tcpdump: Vec<Vec<u8>> = frames(&dir.join("lab-node1/eth0.pcap"))
        .into_iter()
        .map(|f| f.data)
        .filter(|d| vxlan_of(d, &[8472]).is_some())
        .collect();
    let written: Vec<Vec<u8>> = frames(&dir.join("live-0.pcap"))
        .into_iter()
        .map(|f| f.data)
        .collect();
    assert!(written.len() >= 20, "{} packets", written.len());
    assert_eq!(
        counted(written),
        counted(tcpdump),
        "-w wrote what tcpdump saw on 8472"
    );

    // -c 4 --json: four JSON objects, each a VXLAN packet between the named nodes.
    let json: Vec<Value> = read(&dir, "live-1.out")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(json.len(), 4);
    for (i, j) in json.iter().enumerate() {
        assert_eq!(j["frame"], i as u64 + 1);
        let f = &j["fields"];
        assert!(
            f["flannel.src_node"]
                .as_str()
                .is_some_and(|n| n.starts_with("lab-node")),
            "{j}"
        );
        assert!(
            f["flannel.src_pod"].is_string() || f["inner.ip.src"] == "10.244.1.0",
            "{j}"
        );
    }
    assert_eq!(
        frames(&dir.join("live-1.pcap")).len(),
        4,
        "-c 4 wrote 4 packets"
    );
    assert_eq!(read(&dir, "live-1.out"), from_file(1, &["--json"]));

    // -V --frame 3: the tree of the third packet, as dissect of the file prints it.
    let tree = read(&dir, "live-2.out");
    assert!(tree.starts_with("Frame 3: "), "{tree}");
    assert_eq!(tree, from_file(2, &["-V", "--frame", "3", "--utc"]));

    // Through the plugin: what the built-in dissector prints of the same packets.
    let plugin = read(&dir, "live-3.out");
    assert!(plugin.lines().count() >= 20, "{plugin}");
    assert_eq!(plugin, from_file(3, &["--json"]));
}

#[test]
fn live_capture_errors_say_what_is_wrong() {
    let run = |args: &[&str]| {
        let o = vxscope(args);
        (o.status.code(), stderr(&o))
    };
    let (code, err) = run(&["dissect", "-i", "vx11-nothere0"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("vx11-nothere0: no such interface"), "{err}");
    let seed = root().join("samples/seed.pcap");
    let seed = seed.to_str().unwrap();
    let (code, err) = run(&["dissect", "-f", "udp", seed]);
    assert_eq!(code, Some(2), "-f without -i: {err}");
    assert!(err.contains("give the interface with -i IFACE"), "{err}");
    let (code, err) = run(&["dissect", "-w", "/nonexistent/x.pcap", seed]);
    assert_eq!(code, Some(2), "-w without -i: {err}");
    let (code, err) = run(&["dissect", "-i", "lo", seed]);
    assert_eq!(code, Some(2), "-i and files: {err}");
    // Without the right to capture (not root, or root giving it up): a clear error, status 1.
    use std::os::unix::fs::MetadataExt;
    let root_user = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    let bin = vxscope_tests::vxscope_bin();
    let output = if root_user {
        Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
            ])
            .arg(&bin)
            .args(["dissect", "-i", "lo"])
            .output()
            .expect("run setpriv (util-linux)")
    } else {
        Command::new(&bin)
            .args(["dissect", "-i", "lo"])
            .output()
            .unwrap()
    };
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "lo: permission denied: live capture needs root or the CAP_NET_RAW capability"
        ),
        "{err}"
    );
    if root_user {
        // A filter libpcap cannot compile.
        let (code, err) = run(&["dissect", "-i", "lo", "-f", "udp prot 8472"]);
        assert_eq!(code, Some(1), "{err}");
        assert!(err.contains("bad filter \"udp prot 8472\""), "{err}");
    }
}
