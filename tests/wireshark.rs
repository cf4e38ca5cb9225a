//! The Wireshark plugin (`wireshark/`, `libvxscope_wireshark.so`) inside the installed tshark.
//!
//! Each test installs the plugin into the personal plugin folder of a temporary HOME and runs tshark as that
//! user. tshark ignores the personal folder when run as root, so as root the tests run it as uid 65534 (nobody)
//! with `setpriv`; the global plugin folder is never touched. Captures are given on standard input, so nobody
//! needs no access to the repository; files named in preferences are copied into the temporary HOME.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use vxscope_tests::{
    build_workspace, captures_under, require_tool, root, sample, shared_corpus, target_dir, vxscope,
};

/// The plugin's file name in a plugin folder, as `vxscope wireshark install` names it.
const PLUGIN_NAME: &str = "vxscope.so";

/// The uid tshark runs as when the tests run as root: nobody.
const NOBODY: &str = "65534";

fn running_as_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("run id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// A temporary HOME for tshark, with or without the plugin in its personal plugin folder; removed on drop.
struct Tshark {
    home: PathBuf,
    as_nobody: bool,
}

impl Tshark {
    fn new(with_plugin: bool) -> Tshark {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        require_tool("tshark");
        let home = std::env::temp_dir().join(format!(
            "vxscope-wireshark-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).expect("create the temporary HOME");
        let t = Tshark {
            home,
            as_nobody: running_as_root(),
        };
        if t.as_nobody {
            require_tool("setpriv");
        }
        if with_plugin {
            let dir = t.personal_plugin_folder().join("epan");
            std::fs::create_dir_all(&dir).expect("create the personal plugin folder");
            std::fs::copy(plugin_library(), dir.join(PLUGIN_NAME)).expect("copy the plugin");
        }
        t.hand_over();
        t
    }

    /// Gives the temporary HOME to the user tshark runs as.
    fn hand_over(&self) {
        if self.as_nobody {
            let status = Command::new("chown")
                .args(["-R", &format!("{NOBODY}:{NOBODY}")])
                .arg(&self.home)
                .status()
                .expect("run chown");
            assert!(status.success(), "chown of {} failed", self.home.display());
        }
    }

    /// tshark as the test's user, in the temporary HOME.
    fn command(&self) -> Command {
        let mut cmd = if self.as_nobody {
            let mut c = Command::new("setpriv");
            c.args([
                &format!("--reuid={NOBODY}"),
                &format!("--regid={NOBODY}"),
                "--clear-groups",
                "tshark",
            ]);
            c
        } else {
            Command::new("tshark")
        };
        cmd.env("HOME", &self.home)
            .env_remove("WIRESHARK_PLUGIN_DIR")
            .env("TZ", "UTC")
            .current_dir(&self.home);
        cmd
    }

    /// The personal plugin folder of this HOME for the installed Wireshark (`.../plugins/4.0`).
    fn personal_plugin_folder(&self) -> PathBuf {
        let out = self
            .command()
            .args(["-G", "folders"])
            .output()
            .expect("run tshark -G folders");
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find(|l| l.starts_with("Personal Plugins:"))
            .unwrap_or_else(|| {
                panic!("tshark -G folders names no personal plugin folder:\n{text}")
            });
        PathBuf::from(line["Personal Plugins:".len()..].trim())
    }

    /// Copies a file into the temporary HOME, for a preference naming it; returns its path there.
    fn give(&self, file: &Path) -> PathBuf {
        let to = self.home.join(file.file_name().unwrap());
        std::fs::copy(file, &to).expect("copy a file into the temporary HOME");
        self.hand_over();
        to
    }

    /// Runs tshark with `args` on a copy of the capture `file` in the temporary HOME (`-2` needs a file it can
    /// seek in), within a minute.
    fn read(&self, file: &Path, args: &[&str]) -> Output {
        let copy = self.give(file);
        let mut cmd = self.command();
        cmd.arg("-r").arg(&copy).args(args);
        run_bounded(cmd, Path::new("/dev/null"), Duration::from_secs(60))
    }

    fn read_ok(&self, file: &Path, args: &[&str]) -> String {
        let out = self.read(file, args);
        assert!(
            out.status.success(),
            "tshark {args:?} < {}: {}\n{}",
            file.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("tshark prints UTF-8")
    }

    fn stdout_of(&self, args: &[&str]) -> String {
        let out = self.command().args(args).output().expect("run tshark");
        assert!(out.status.success(), "tshark {args:?}: {}", out.status);
        String::from_utf8(out.stdout).expect("tshark prints UTF-8")
    }
}

impl Drop for Tshark {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// Runs `cmd` with `input` on standard input; kills it and fails if it takes longer than `limit`.
fn run_bounded(mut cmd: Command, input: &Path, limit: Duration) -> Output {
    let file = std::fs::File::open(input).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
    let mut child = cmd
        .stdin(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tshark");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        stdout.read_to_end(&mut v).map(|_| v)
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        stderr.read_to_end(&mut v).map(|_| v)
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for tshark") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "tshark hung on {} (killed after {limit:?})",
                input.display()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out_reader.join().unwrap().expect("read tshark's output"),
        stderr: err_reader.join().unwrap().expect("read tshark's errors"),
    }
}

/// The plugin as the workspace builds it.
fn plugin_library() -> PathBuf {
    build_workspace();
    let lib = target_dir().join("libvxscope_wireshark.so");
    assert!(lib.is_file(), "{} was not built", lib.display());
    lib
}

/// Every capture of `samples/`.
fn sample_captures() -> Vec<PathBuf> {
    let all = captures_under(&root().join("samples"));
    assert!(all.len() > 20, "samples/ holds {} captures", all.len());
    all
}

/// `vxscope dissect --json` of a capture, one object a frame.
fn vxscope_json(file: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["dissect", "--json", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = vxscope(&args);
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// The values of a flannel field in a frame of `vxscope dissect --json`, in every scope (`flannel.src_node`,
/// `inner.flannel.src_node`, ...), sorted.
fn json_values(frame: &Value, field: &str) -> Vec<String> {
    let mut values = Vec::new();
    for (key, value) in frame["fields"].as_object().expect("fields") {
        if key == field || key.strip_suffix(field).is_some_and(|p| p.ends_with('.')) {
            match value {
                Value::Array(a) => values.extend(a.iter().map(|v| v.as_str().unwrap().to_string())),
                v => values.push(v.as_str().expect("a text field").to_string()),
            }
        }
    }
    values.sort();
    values
}

fn json_note_codes(frame: &Value) -> Vec<String> {
    frame["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .map(|n| n["code"].as_str().unwrap().to_string())
        .collect()
}

/// tshark's `-T fields` values of one column: comma-separated when the field occurs more than once.
fn tshark_values(column: &str) -> Vec<String> {
    let mut v: Vec<String> = column
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

/// The expert field of a note code: the code itself for flannel's, `flannel.<code>` for the others.
fn expert_field(code: &str) -> String {
    if code.starts_with("flannel.") {
        code.to_string()
    } else {
        format!("flannel.{code}")
    }
}

#[test]
fn tshark_lists_the_plugin_and_its_fields() {
    let with = Tshark::new(true);
    let plugins = with.stdout_of(&["-G", "plugins"]);
    let line = plugins
        .lines()
        .find(|l| l.starts_with("vxscope.so"))
        .unwrap_or_else(|| panic!("tshark -G plugins does not list vxscope.so:\n{plugins}"));
    let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
    assert_eq!(cols[1], env!("CARGO_PKG_VERSION"), "{line}");
    assert_eq!(cols[2], "dissector", "{line}");

    let fields = with.stdout_of(&["-G", "fields"]);
    let row = |abbrev: &str| {
        fields
            .lines()
            .map(|l| l.split('\t').collect::<Vec<_>>())
            .find(|c| c.len() >= 3 && c[2] == abbrev)
            .unwrap_or_else(|| panic!("tshark -G fields has no {abbrev}"))
    };
    assert_eq!(row("flannel")[0], "P");
    let dst = row("flannel.dst_node");
    assert_eq!(
        (dst[0], dst[1], dst[3], dst[4]),
        ("F", "Destination node", "FT_STRING", "flannel")
    );
    // Every flannel field of vxscope's registry, every note code as an expert field.
    let registry = vxscope(["fields"]);
    let registry = String::from_utf8(registry.stdout).unwrap();
    let flannel_fields: Vec<&str> = registry
        .split_whitespace()
        .filter(|w| w.starts_with("flannel."))
        .collect();
    assert!(flannel_fields.len() >= 16, "{flannel_fields:?}");
    for f in flannel_fields {
        row(f);
    }
    for code in [
        "flannel.vtep_mac_mismatch",
        "flannel.inner_checksum_bad",
        "flannel.malformed.truncated",
        "flannel.vxlan.flags_invalid",
    ] {
        row(code);
    }

    // Without the plugin none of it is there.
    let without = Tshark::new(false);
    assert!(!without.stdout_of(&["-G", "plugins"]).contains("vxscope"));
    assert!(!without.stdout_of(&["-G", "fields"]).contains("\tflannel."));
}

#[test]
fn seed_packet_has_vxlan_flannel_and_the_inner_frame() {
    let t = Tshark::new(true);
    let tree = t.read_ok(&sample("seed.pcap"), &["-V"]);
    for line in [
        "Virtual eXtensible Local Area Network",
        "    VXLAN Network Identifier (VNI): 1",
        "Ethernet II, Src: fe:90:c4:18:69:a7 (fe:90:c4:18:69:a7), Dst: b6:72:ae:36:7b:6c (b6:72:ae:36:7b:6c)",
        "Internet Protocol Version 4, Src: 10.244.1.12, Dst: 10.244.2.14",
        "Internet Control Message Protocol",
        "    Checksum: 0x847d [correct]",
        "Flannel (vxscope)",
        "    Source pod subnet: 10.244.1.0/24",
        "    Destination pod subnet: 10.244.2.0/24",
        "    Source address role: pod",
    ] {
        assert!(
            tree.lines().any(|l| l == line || l.starts_with(line)),
            "no line {line:?} in:\n{tree}"
        );
    }
    assert!(
        !tree.contains("Malformed") && !tree.contains("Dissector bug"),
        "{tree}"
    );
    let protocols = t.read_ok(
        &sample("seed.pcap"),
        &["-T", "fields", "-e", "frame.protocols"],
    );
    assert_eq!(
        protocols.trim(),
        "eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:icmp:data"
    );
    // Wireshark's own field selects the 8472 frame as it does a 4789 one.
    let vni = t.read_ok(
        &sample("seed.pcap"),
        &["-Y", "vxlan.vni == 1 && icmp.type == 8"],
    );
    assert_eq!(vni.lines().count(), 1, "{vni}");
    // Named from the article's node outputs and pod list, the seed's ends appear in the info column.
    let info = t.give(&sample("flannel/seed-node1-route.txt"));
    let pods = t.give(&sample("flannel/seed-pods.txt"));
    let arp = t.give(&sample("flannel/seed-node1-arp.txt"));
    let fdb = t.give(&sample("flannel/seed-node1-fdb.txt"));
    let node_info = format!(
        "flannel.node_info:k8s-node1={},k8s-node1={},k8s-node1={}",
        info.display(),
        arp.display(),
        fdb.display()
    );
    let pods = format!("flannel.pods:{}", pods.display());
    let named = t.read_ok(&sample("seed.pcap"), &["-o", &node_info, "-o", &pods, "-V"]);
    let expected = vxscope_json(
        &sample("seed.pcap"),
        &[
            "--node-info",
            &format!(
                "k8s-node1={}",
                sample("flannel/seed-node1-route.txt").display()
            ),
            "--node-info",
            &format!(
                "k8s-node1={}",
                sample("flannel/seed-node1-arp.txt").display()
            ),
            "--node-info",
            &format!(
                "k8s-node1={}",
                sample("flannel/seed-node1-fdb.txt").display()
            ),
            "--pods",
            sample("flannel/seed-pods.txt").to_str().unwrap(),
        ],
    );
    let dst_pod = json_values(&expected[0], "flannel.dst_pod");
    assert_eq!(dst_pod.len(), 1, "{expected:?}");
    assert!(
        named.contains(&format!("    Destination pod: {}\n", dst_pod[0])),
        "{named}"
    );
}

/// The inner protocols vxscope finds in a frame, as Wireshark names them in `frame.protocols`: `eth`,
/// `ethertype`, then the IP version and the protocol above it.
fn inner_path(frame: &Value) -> Vec<&'static str> {
    let fields = frame["fields"].as_object().unwrap();
    let mut path = vec!["eth", "ethertype"];
    let has = |prefix: &str| fields.keys().any(|k| k.starts_with(prefix));
    for (prefix, name) in [
        ("inner.ip.", "ip"),
        ("inner.ipv6.", "ipv6"),
        ("inner.arp.", "arp"),
        ("inner.icmp.", "icmp"),
        ("inner.icmpv6.", "icmpv6"),
        ("inner.tcp.", "tcp"),
        ("inner.udp.", "udp"),
    ] {
        if has(prefix) {
            path.push(name);
        }
    }
    path
}

/// Whether `path` appears in order (not necessarily adjacent: a VLAN tag may sit between) in `protocols`.
fn in_order(protocols: &[&str], path: &[&str]) -> bool {
    let mut rest = protocols.iter();
    path.iter().all(|p| rest.any(|q| q == p))
}

#[test]
fn every_vxlan_frame_of_the_samples_reaches_the_inner_protocols() {
    let t = Tshark::new(true);
    let mut checked = 0;
    for file in sample_captures() {
        let frames = vxscope_json(&file, &[]);
        let out = t.read_ok(&file, &["-T", "fields", "-e", "frame.protocols"]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), frames.len(), "{}: frame count", file.display());
        for (frame, protocols) in frames.iter().zip(&lines) {
            let fields = frame["fields"].as_object().unwrap();
            // VXLAN on 8472 or 4789 with a whole inner IPv4 ICMP, TCP, UDP or ARP packet.
            let port = fields.get("udp.dstport").and_then(Value::as_u64);
            let whole = json_note_codes(frame)
                .iter()
                .all(|c| !c.starts_with("malformed."));
            if !fields.contains_key("vxlan.vni")
                || !matches!(port, Some(8472) | Some(4789))
                || fields.contains_key("vxlan.next_proto")
                || !whole
                || fields.get("ip.flags.mf") == Some(&Value::Bool(true))
                || fields.get("ip.frag_offset").is_some_and(|v| v != 0)
            {
                continue;
            }
            let path = inner_path(frame);
            let after_vxlan: Vec<&str> =
                protocols.split(':').skip_while(|p| *p != "vxlan").collect();
            assert!(
                after_vxlan.len() > 1 && after_vxlan[1] == "eth" && in_order(&after_vxlan, &path),
                "{} frame {}: frame.protocols {protocols} lacks vxlan:{}",
                file.display(),
                frame["frame"],
                path.join(":")
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} VXLAN frames checked");
}

#[test]
fn node_names_are_those_of_vxscope_dissect_on_every_sample() {
    let t = Tshark::new(true);
    let nodes = t.give(&sample("flannel/nodes.json"));
    let nodes_pref = format!("flannel.nodes:{}", nodes.display());
    let nodes_arg = sample("flannel/nodes.json");
    let mut named = 0;
    for file in sample_captures() {
        for with_nodes in [false, true] {
            let (prefs, args): (Vec<&str>, Vec<&str>) = if with_nodes {
                (
                    vec!["-o", &nodes_pref],
                    vec!["--nodes", nodes_arg.to_str().unwrap()],
                )
            } else {
                (vec![], vec![])
            };
            let frames = vxscope_json(&file, &args);
            let mut tshark_args = prefs.clone();
            tshark_args.extend([
                "-T",
                "fields",
                "-E",
                "separator=/t",
                "-e",
                "flannel.src_node",
                "-e",
                "flannel.dst_node",
            ]);
            let out = t.read_ok(&file, &tshark_args);
            let lines: Vec<&str> = out.lines().collect();
            assert_eq!(lines.len(), frames.len(), "{}: frame count", file.display());
            for (frame, line) in frames.iter().zip(&lines) {
                let cols: Vec<&str> = line.split('\t').collect();
                assert_eq!(cols.len(), 2, "{line:?}");
                let want = (
                    json_values(frame, "flannel.src_node"),
                    json_values(frame, "flannel.dst_node"),
                );
                let got = (tshark_values(cols[0]), tshark_values(cols[1]));
                assert_eq!(
                    got,
                    want,
                    "{} frame {} (nodes.json: {with_nodes})",
                    file.display(),
                    frame["frame"]
                );
                named += usize::from(!want.0.is_empty());
            }
        }
    }
    assert!(named > 30, "only {named} frames carried node names");
}

#[test]
fn dst_node_filter_selects_the_frames_to_node2() {
    let t = Tshark::new(true);
    let nodes = t.give(&sample("flannel/nodes.json"));
    let out = t.read_ok(
        &sample("flannel/cluster.pcap"),
        &[
            "-o",
            &format!("flannel.nodes:{}", nodes.display()),
            "-Y",
            "flannel.dst_node == \"k8s-node2\"",
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "ip.dst",
            "-E",
            "occurrence=f",
        ],
    );
    let selected: Vec<&str> = out.lines().collect();
    // cluster.pcap: node1's pings (1, 3, 5), the master's SYN-ACK to the pod on node2 (8), and node1's probe
    // from its flannel.1 address (10).
    let expected: Vec<u64> = vxscope_json(
        &sample("flannel/cluster.pcap"),
        &["--nodes", sample("flannel/nodes.json").to_str().unwrap()],
    )
    .iter()
    .filter(|f| json_values(f, "flannel.dst_node") == ["k8s-node2"])
    .map(|f| f["frame"].as_u64().unwrap())
    .collect();
    assert_eq!(expected, [1, 3, 5, 8, 10], "the sample changed");
    let got: Vec<u64> = selected
        .iter()
        .map(|l| l.split('\t').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(got, expected, "{out}");
    // The info column ends with the two nodes, in tshark's one line a packet (no tree built).
    let lines = t.read_ok(
        &sample("flannel/cluster.pcap"),
        &["-o", &format!("flannel.nodes:{}", nodes.display())],
    );
    let frames = vxscope_json(
        &sample("flannel/cluster.pcap"),
        &["--nodes", sample("flannel/nodes.json").to_str().unwrap()],
    );
    assert_eq!(lines.lines().count(), frames.len());
    for (line, frame) in lines.lines().zip(&frames) {
        let (src, dst) = (
            json_values(frame, "flannel.src_node"),
            json_values(frame, "flannel.dst_node"),
        );
        assert!(
            line.ends_with(&format!(" [{} > {}]", src[0], dst[0])),
            "{line}"
        );
    }
    // Every selected frame goes to node2's public address.
    assert!(
        selected.iter().all(|l| l.ends_with("\t172.16.100.102")),
        "{out}"
    );
}

/// The note each diagnosis sample is made for, and the nodes document it is made with.
const DIAGNOSES: &[(&str, &str, &str)] = &[
    (
        "inner_checksum_bad",
        "flannel.inner_checksum_bad",
        "nodes.json",
    ),
    (
        "outer_checksum_bad",
        "flannel.outer_checksum_bad",
        "nodes.json",
    ),
    ("mtu_exceeded", "flannel.mtu_exceeded", "nodes.json"),
    ("port_unreachable", "flannel.port_unreachable", "nodes.json"),
    (
        "vtep_mac_mismatch",
        "flannel.vtep_mac_mismatch",
        "nodes.json",
    ),
    ("vni_mismatch", "flannel.vni_mismatch", "nodes.json"),
    ("port_mismatch", "flannel.port_mismatch", "nodes.json"),
    ("flags_invalid", "vxlan.flags_invalid", "nodes.json"),
    ("inner_ttl", "flannel.inner_ttl", "nodes.json"),
    (
        "subnet_conflict",
        "flannel.subnet_conflict",
        "nodes-conflict.json",
    ),
    ("truncated", "malformed.truncated", "nodes.json"),
    ("offload", "flannel.offload_artefact", "nodes.json"),
];

#[test]
fn each_diagnosis_is_an_expert_info_and_a_filter() {
    let t = Tshark::new(true);
    for &(name, code, nodes) in DIAGNOSES {
        let file = sample(&format!("flannel/diagnoses/{name}.pcap"));
        let nodes_file = t.give(&sample(&format!("flannel/{nodes}")));
        let pref = format!("flannel.nodes:{}", nodes_file.display());
        let frames = vxscope_json(
            &file,
            &[
                "--nodes",
                sample(&format!("flannel/{nodes}")).to_str().unwrap(),
            ],
        );
        let expected: Vec<u64> = frames
            .iter()
            .filter(|f| json_note_codes(f).iter().any(|c| c == code))
            .map(|f| f["frame"].as_u64().unwrap())
            .collect();
        assert!(!expected.is_empty(), "{name}: vxscope raises no {code}");
        let field = expert_field(code);
        let out = t.read_ok(
            &file,
            &[
                "-o",
                &pref,
                "-Y",
                &field,
                "-T",
                "fields",
                "-e",
                "frame.number",
            ],
        );
        let got: Vec<u64> = out.lines().map(|l| l.trim().parse().unwrap()).collect();
        assert_eq!(got, expected, "{name}: -Y {field}");

        // The expert infos, with the message vxscope writes.
        let expert = t.read_ok(&file, &["-o", &pref, "-q", "-z", "expert"]);
        let message = frames
            .iter()
            .flat_map(|f| f["notes"].as_array().unwrap())
            .find(|n| n["code"] == code)
            .map(|n| n["message"].as_str().unwrap().to_string())
            .unwrap();
        assert!(
            expert
                .lines()
                .any(|l| l.contains(" Flannel  ") && l.contains(&message)),
            "{name}: -z expert lacks {message:?}:\n{expert}"
        );
    }
}

/// The flannel subtrees of `tshark -V` output, frame by frame.
fn flannel_trees(text: &str) -> Vec<String> {
    let mut trees: Vec<String> = Vec::new();
    let mut in_flannel = false;
    for line in text.lines() {
        if line.starts_with("Frame ") {
            trees.push(String::new());
        }
        if !line.starts_with(' ') {
            in_flannel = line.starts_with("Flannel (vxscope)");
        }
        if let (true, Some(tree)) = (in_flannel, trees.last_mut()) {
            tree.push_str(line);
            tree.push('\n');
        }
    }
    trees
}

#[test]
fn two_passes_give_the_trees_of_one() {
    // The session's diagnoses (a VTEP MAC that changed, a VNI that differs) are found on the first pass and
    // kept: the second pass, which dissects each frame again, shows the same flannel trees.
    let t = Tshark::new(true);
    let nodes = t.give(&sample("flannel/nodes.json"));
    let pref = format!("flannel.nodes:{}", nodes.display());
    for name in [
        "vtep_mac_mismatch",
        "vni_mismatch",
        "port_mismatch",
        "mtu_exceeded",
    ] {
        let file = sample(&format!("flannel/diagnoses/{name}.pcap"));
        let one = flannel_trees(&t.read_ok(&file, &["-o", &pref, "-V"]));
        let two = flannel_trees(&t.read_ok(&file, &["-o", &pref, "-V", "-2"]));
        assert!(
            one.iter().any(|t| t.contains("Expert Info")),
            "{name}: {one:?}"
        );
        assert_eq!(one, two, "{name}");
    }
    // A session diagnosis selected on the second pass, by a filter applied there only.
    let file = sample("flannel/diagnoses/vtep_mac_mismatch.pcap");
    let once = t.read_ok(&file, &["-o", &pref, "-Y", "flannel.vtep_mac_mismatch"]);
    let twice = t.read_ok(
        &file,
        &["-o", &pref, "-2", "-Y", "flannel.vtep_mac_mismatch"],
    );
    assert!(!once.is_empty());
    assert_eq!(
        once.lines().count(),
        twice.lines().count(),
        "{once}\n{twice}"
    );
}

#[test]
fn a_bad_preference_file_is_an_expert_info_not_a_crash() {
    let t = Tshark::new(true);
    let missing = t.home.join("no-such-nodes.json");
    let garbage = t.home.join("garbage.json");
    std::fs::write(&garbage, "{ this is not JSON").unwrap();
    t.hand_over();
    for bad in [&missing, &garbage] {
        let out = t.read(
            &sample("seed.pcap"),
            &["-o", &format!("flannel.nodes:{}", bad.display()), "-V"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let item = format!("    flannel.nodes ({}): ", bad.display());
        let expert = text
            .lines()
            .find(|l| l.starts_with(&item))
            .unwrap_or_else(|| panic!("no expert info naming flannel.nodes:\n{text}"));
        let name = bad.file_name().unwrap().to_str().unwrap();
        assert!(expert.contains(&format!("{name}: ")), "{expert}");
        // The frame is still decoded, with flannel's defaults.
        assert!(
            text.contains("    Source pod subnet: 10.244.1.0/24"),
            "{text}"
        );
        // A warning expert info of its own, which a filter finds.
        let pref = format!("flannel.nodes:{}", bad.display());
        let found = t.read_ok(
            &sample("seed.pcap"),
            &["-o", &pref, "-Y", "flannel.preference_error"],
        );
        assert_eq!(found.lines().count(), 1, "{found}");
        let expert = t.read_ok(
            &sample("seed.pcap"),
            &["-o", &pref, "-q", "-z", "expert,warn"],
        );
        assert!(expert.contains("Warns (1)"), "{expert}");
    }
    // The other file preferences likewise.
    for (pref, value) in [
        ("pods", missing.display().to_string()),
        ("node_info", format!("k8s-node1={}", missing.display())),
    ] {
        let text = t.read_ok(
            &sample("seed.pcap"),
            &["-o", &format!("flannel.{pref}:{value}"), "-V"],
        );
        let item = format!("    flannel.{pref} ({}): ", missing.display());
        assert!(
            text.lines().any(|l| l.starts_with(&item)),
            "no {item:?} in:\n{text}"
        );
    }
}

/// Whether tshark's output or errors show a fault of a dissector.
fn dissector_bugs(out: &Output) -> usize {
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    text.matches("Dissector bug").count() + err.matches("Dissector bug").count()
}

#[test]
fn every_capture_goes_through_tshark_with_the_plugin() {
    let mut files = sample_captures();
    files.extend(captures_under(&root().join("tests/data")));
    match shared_corpus() {
        Some(dir) => files.extend(captures_under(&dir)),
        None => assert!(
            std::env::var_os("CI").is_none(),
            "CI runs beside ../shared/corpus, which is missing"
        ),
    }
    let with = Tshark::new(true);
    let without = Tshark::new(false);
    let next = AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(BTreeMap::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(file) = files.get(i) else { break };
                    let mut cmd = with.command();
                    cmd.args(["-r", "-", "-V"]);
                    let out = run_bounded(cmd, file, Duration::from_secs(120));
                    let mut fault = None;
                    // 0, or 2 for a file tshark cannot read to its end; never a signal.
                    if out.status.code().is_none_or(|c| c != 0 && c != 2) {
                        fault = Some(format!("{}", out.status));
                    } else if String::from_utf8_lossy(&out.stdout).contains("flannel.library_error")
                    {
                        fault = Some("libvxscope failed".into());
                    } else if dissector_bugs(&out) > 0 {
                        // Only a fault of the plugin if tshark alone does not say so too.
                        let mut cmd = without.command();
                        cmd.args(["-r", "-", "-V"]);
                        let stock = run_bounded(cmd, file, Duration::from_secs(120));
                        if dissector_bugs(&stock) != dissector_bugs(&out) {
                            fault = Some("Dissector bug".into());
                        }
                    }
                    if let Some(f) = fault {
                        failures.lock().unwrap().insert(file.clone(), f);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(files.len() > 25, "{} captures", files.len());
}

/// `vxscope wireshark ARGS` with HOME set to the temporary one (and the toolchain's own homes kept, since the
/// command may run cargo to bring the plugin up to date).
fn vxscope_wireshark(t: &Tshark, args: &[&str]) -> Output {
    let real_home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let keep = |var: &str, default: &str| {
        std::env::var_os(var).unwrap_or_else(|| real_home.join(default).into_os_string())
    };
    let out = Command::new(vxscope_tests::vxscope_bin())
        .arg("wireshark")
        .args(args)
        .env("RUSTUP_HOME", keep("RUSTUP_HOME", ".rustup"))
        .env("CARGO_HOME", keep("CARGO_HOME", ".cargo"))
        .env("HOME", &t.home)
        .output()
        .expect("run vxscope wireshark");
    t.hand_over();
    out
}

#[test]
fn install_and_uninstall_leave_tshark_as_it_was() {
    let t = Tshark::new(false);
    // -G fields lists some protocols' fields in an order that changes from run to run (smil's): compared sorted.
    let snapshot = || {
        let mut fields: Vec<String> = t
            .stdout_of(&["-G", "fields"])
            .lines()
            .map(str::to_string)
            .collect();
        fields.sort();
        (t.stdout_of(&["-G", "plugins"]), fields.join("\n"))
    };
    let before = snapshot();
    assert!(!before.0.contains(PLUGIN_NAME) && !before.1.contains("\tflannel.dst_node\t"));
    let folder = t.personal_plugin_folder().join("epan");

    let out = vxscope_wireshark(&t, &["install", "--user"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let installed = folder.join(PLUGIN_NAME);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .starts_with(&format!("installed {} ", installed.display())),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let plugins = t.stdout_of(&["-G", "plugins"]);
    assert!(
        plugins
            .lines()
            .any(|l| l.starts_with(PLUGIN_NAME) && l.ends_with(installed.to_str().unwrap())),
        "{plugins}"
    );
    assert!(
        t.stdout_of(&["-G", "fields"])
            .contains("\tflannel.dst_node\t")
    );
    let status = vxscope_wireshark(&t, &["status"]);
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.contains(&format!(
            "personal folder: {}: installed, for Wireshark ",
            installed.display()
        )),
        "{status}"
    );
    assert!(
        status.starts_with("Wireshark: TShark (Wireshark) "),
        "{status}"
    );

    let out = vxscope_wireshark(&t, &["uninstall", "--user"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!installed.exists());
    let after = snapshot();
    assert_eq!(
        before.0, after.0,
        "tshark -G plugins changed after uninstall"
    );
    assert!(
        before.1 == after.1,
        "tshark -G fields changed after uninstall"
    );

    // A library that is not the plugin is refused, and nothing is installed.
    let out = vxscope_wireshark(&t, &["install", "--user", "--plugin", "/bin/sh"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not vxscope's Wireshark plugin"));
    assert!(!installed.exists());
}

#[test]
fn flannel_fields_highlight_the_bytes_they_derive_from() {
    let t = Tshark::new(true);
    let nodes = t.give(&sample("flannel/nodes.json"));
    let out = t.read_ok(
        &sample("flannel/cluster.pcap"),
        &[
            "-o",
            &format!("flannel.nodes:{}", nodes.display()),
            "-c",
            "1",
            "-T",
            "json",
            "-x",
        ],
    );
    let frames: Value = serde_json::from_str(&out).expect("tshark -T json");
    let flannel = &frames[0]["_source"]["layers"]["flannel"];
    let raw = |field: &str| {
        let r = &flannel[format!("{field}_raw")];
        (
            r[0].as_str()
                .unwrap_or_else(|| panic!("no {field}_raw in {flannel}"))
                .to_string(),
            r[1].as_u64().unwrap(),
            r[2].as_u64().unwrap(),
        )
    };
    // Frame 1: k8s-node1 (172.16.100.101, outer source at 26) to k8s-node2, inner source MAC fe:90:c4:18:69:a7
    // (node1's VTEP, at 56), inner destination 10.244.2.14 (at 80) in node2's pod subnet.
    assert_eq!(raw("flannel.src_node"), ("ac106465".into(), 26, 4));
    assert_eq!(raw("flannel.dst_node"), ("ac106466".into(), 30, 4));
    assert_eq!(raw("flannel.src_vtep_node"), ("fe90c41869a7".into(), 56, 6));
    assert_eq!(raw("flannel.dst_vtep_node"), ("b672ae367b6c".into(), 50, 6));
    assert_eq!(raw("flannel.dst_pod_subnet"), ("0af4020e".into(), 80, 4));
    assert_eq!(flannel["flannel.src_node"], "k8s-node1");
    assert_eq!(flannel["flannel.dst_subnet_node"], "k8s-node2");
}
