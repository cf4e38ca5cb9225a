//! Flannel annotations end to end through `vxscope`: every diagnosis on the crafted packet made for it and on
//! no clean packet, the node table of `vxscope topology`, and `dissect --summary`.

use serde_json::Value;
use vxscope_tests::{sample, stderr, stdout, vxscope};

/// Every diagnosis vxscope can raise, and the sample made to raise it (with the topology it needs).
const DIAGNOSES: &[(&str, &str, &str)] = &[
    (
        "flannel.inner_checksum_bad",
        "inner_checksum_bad.pcap",
        "nodes.json",
    ),
    (
        "flannel.outer_checksum_bad",
        "outer_checksum_bad.pcap",
        "nodes.json",
    ),
    ("flannel.mtu_exceeded", "mtu_exceeded.pcap", "nodes.json"),
    (
        "flannel.port_unreachable",
        "port_unreachable.pcap",
        "nodes.json",
    ),
    (
        "flannel.vtep_mac_mismatch",
        "vtep_mac_mismatch.pcap",
        "nodes.json",
    ),
    ("flannel.vni_mismatch", "vni_mismatch.pcap", "nodes.json"),
    ("flannel.port_mismatch", "port_mismatch.pcap", "nodes.json"),
    ("vxlan.flags_invalid", "flags_invalid.pcap", "nodes.json"),
    ("flannel.inner_ttl", "inner_ttl.pcap", "nodes.json"),
    (
        "flannel.subnet_conflict",
        "subnet_conflict.pcap",
        "nodes-conflict.json",
    ),
    ("malformed.truncated", "truncated.pcap", "nodes.json"),
];

/// The diagnosis that is no fault, and the sample that raises it: what a capture on the sending host shows.
const NOT_FAULT_DIAGNOSES: &[(&str, &str, &str)] =
    &[("flannel.offload_artefact", "offload.pcap", "nodes.json")];

/// Notes that are no fault: what a capture on the sending host shows, and the explanation of port 8472.
const NOT_FAULTS: &[&str] = &[
    "flannel.offload_artefact",
    "checksum.partial",
    "vxlan.port_8472",
];

/// Whether a note of this code and severity reports a problem.
fn is_fault(code: &str, severity: &str) -> bool {
    !NOT_FAULTS.contains(&code) && matches!(severity, "warning" | "error")
}

/// The notes (code, severity) of each frame of a capture, dissected with a nodes JSON.
fn notes_per_frame(capture: &str, nodes: &str) -> Vec<Vec<(String, String)>> {
    let nodes = sample(&format!("flannel/{nodes}"));
    notes_of(capture, &["--nodes", nodes.to_str().unwrap()])
}

/// The notes (code, severity) of each frame of `dissect --json` of a sample, with more arguments.
fn notes_of(capture: &str, args: &[&str]) -> Vec<Vec<(String, String)>> {
    let path = sample(capture);
    let mut all = vec!["dissect", "--json", path.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = vxscope(all);
    assert!(out.status.success(), "{capture}: {}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["notes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| {
                    (
                        n["code"].as_str().unwrap().to_string(),
                        n["severity"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .collect()
}

#[test]
fn every_diagnosis_is_raised_on_its_packets() {
    for (code, file, nodes) in DIAGNOSES {
        let frames = notes_per_frame(&format!("flannel/diagnoses/{file}"), nodes);
        assert!(!frames.is_empty(), "{file}: no frames");
        for (i, notes) in frames.iter().enumerate() {
            assert!(
                notes.iter().any(|(n, _)| n == code),
                "{file} frame {}: {code} not raised, got {notes:?}",
                i + 1
            );
            // Nothing else is wrong with these packets.
            for (n, severity) in notes {
                assert!(
                    n == code || !is_fault(n, severity),
                    "{file} frame {}: unexpected {n} besides {code}",
                    i + 1
                );
            }
        }
    }
}

#[test]
fn offload_artefacts_are_not_faults() {
    let frames = notes_per_frame("flannel/diagnoses/offload.pcap", "nodes.json");
    assert_eq!(frames.len(), 2);
    assert!(
        frames[0]
            .iter()
            .any(|(n, s)| n == "flannel.offload_artefact" && s == "chat"),
        "{:?}",
        frames[0]
    );
    assert!(
        frames[1]
            .iter()
            .any(|(n, s)| n == "checksum.partial" && s == "chat"),
        "{:?}",
        frames[1]
    );
    for notes in &frames {
        assert!(notes.iter().all(|(n, s)| !is_fault(n, s)), "{notes:?}");
    }
}

/// The samples of healthy traffic (the others show faults on purpose: bad checksums, truncation, ICMP errors, a
/// capture mixing ports or reusing one pod's frame from another address).
const CLEAN_SAMPLES: &[&str] = &[
    "seed.pcap",
    "ping-nanos-be.pcap",
    "tcp-vxlan.pcap",
    "vlan-vxlan.pcap",
    "ipv6-outer-vxlan.pcap",
    "sll2-vxlan.pcap",
    "flannel/cluster.pcap",
];

/// The notes of each frame of a capture, dissected with flannel's defaults.
fn notes_without_topology(capture: &str) -> Vec<Vec<(String, String)>> {
    notes_of(capture, &[])
}

#[test]
fn clean_samples_raise_no_diagnosis() {
    let with_topology =
        ["seed.pcap", "flannel/cluster.pcap"].map(|c| (c, notes_per_frame(c, "nodes.json")));
    let without = CLEAN_SAMPLES
        .iter()
        .map(|c| (*c, notes_without_topology(c)));
    for (capture, frames) in with_topology.into_iter().chain(without) {
        for (i, notes) in frames.iter().enumerate() {
            for (n, severity) in notes {
                assert!(
                    !is_fault(n, severity) && severity != "note",
                    "{capture} frame {}: {n}",
                    i + 1
                );
            }
        }
    }
}

#[test]
fn cluster_sample_annotated_with_node_and_pod_subnet_names() {
    let out = vxscope([
        "dissect",
        sample("flannel/cluster.pcap").to_str().unwrap(),
        "--nodes",
        sample("flannel/nodes.json").to_str().unwrap(),
        "-c",
        "2",
    ]);
    assert_eq!(
        stdout(&out),
        "16:30:47.000000 k8s-node1 > k8s-node2 VXLAN vni 1 | 10.244.1.12 > 10.244.2.14 ICMP echo request id 3143 seq 1, ttl 63\n\
         16:30:47.001000 k8s-node2 > k8s-node1 VXLAN vni 1 | 10.244.2.14 > 10.244.1.12 ICMP echo reply id 3143 seq 1, ttl 63\n"
    );
}

#[test]
fn seed_with_the_articles_own_outputs() {
    let f = |n: &str| {
        sample(&format!("flannel/{n}"))
            .to_str()
            .unwrap()
            .to_string()
    };
    let out = vxscope([
        "dissect".to_string(),
        "--json".to_string(),
        sample("seed.pcap").to_str().unwrap().to_string(),
        "--pods".to_string(),
        f("seed-pods.txt"),
        "--node-name".to_string(),
        "k8s-node1".to_string(),
        "--node-info".to_string(),
        f("seed-node1-route.txt"),
        "--node-info".to_string(),
        f("seed-node1-arp.txt"),
        "--node-info".to_string(),
        f("seed-node1-fdb.txt"),
        "--node-info".to_string(),
        f("seed-node1-link.txt"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let fields = &v["fields"];
    assert_eq!(
        fields["flannel.src_pod"],
        "busybox-deployment-6576988595-dbpq7"
    );
    assert_eq!(fields["flannel.src_node"], "k8s-node1");
    assert_eq!(fields["ip.src"], "172.16.100.101");
    assert_eq!(
        fields["flannel.dst_pod"],
        "busybox-deployment-6576988595-l5w7r"
    );
    assert_eq!(fields["flannel.dst_node"], "k8s-node2");
    assert_eq!(fields["ip.dst"], "172.16.100.102");
    assert_eq!(fields["inner.eth.dst"], "b6:72:ae:36:7b:6c");
    assert_eq!(fields["flannel.dst_vtep_node"], "k8s-node2");
    assert_eq!(fields["flannel.dst_pod_subnet"], "10.244.2.0/24");
    assert_eq!(fields["flannel.dst_subnet_node"], "k8s-node2");
    assert_eq!(
        v["summary"],
        "k8s-node1 > k8s-node2 VXLAN vni 1 | 10.244.1.12 > 10.244.2.14 ICMP echo request id 3143 seq 1102, ttl 63"
    );
}

#[test]
fn topology_table_of_the_cluster() {
    let out = vxscope([
        "topology",
        sample("flannel/cluster.pcap").to_str().unwrap(),
        sample("flannel/diagnoses/vtep_mac_mismatch.pcap")
            .to_str()
            .unwrap(),
        "--nodes",
        sample("flannel/nodes.json").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "\
NODE        NODE IP         VTEP MAC           POD SUBNETS    VNI  PORT  SENT/RECEIVED  SOURCES
k8s-master  172.16.100.100  6e:f8:85:d7:09:17  10.244.0.0/24  1    8472  1/2            nodes.json, capture
k8s-node1   172.16.100.101  fe:90:c4:18:69:a7  10.244.1.0/24  1    8472  5/3            nodes.json, capture
k8s-node2   172.16.100.102  b6:72:ae:36:7b:6c  10.244.2.0/24  1    8472  5/6            nodes.json, capture

Conflicts:
  - k8s-node2: peers sent 1 packet(s) to VTEP MAC e2:3f:07:99:cf:6f, but its own packets carry b6:72:ae:36:7b:6c
"
    );
}

#[test]
fn topology_learned_from_the_capture_alone() {
    let out = vxscope(["topology", sample("flannel/cluster.pcap").to_str().unwrap()]);
    assert_eq!(
        stdout(&out),
        "\
NODE  NODE IP         VTEP MAC           POD SUBNETS    VNI  PORT  SENT/RECEIVED  SOURCES
-     172.16.100.100  6e:f8:85:d7:09:17  10.244.0.0/24  1    8472  1/2            capture
-     172.16.100.101  fe:90:c4:18:69:a7  10.244.1.0/24  1    8472  4/3            capture
-     172.16.100.102  b6:72:ae:36:7b:6c  10.244.2.0/24  1    8472  5/5            capture

No conflicts.
"
    );
}

#[test]
fn summary_counts_node_pairs_and_diagnoses() {
    let out = vxscope([
        "dissect",
        "--summary",
        sample("flannel/diagnoses/vni_mismatch.pcap")
            .to_str()
            .unwrap(),
        sample("flannel/diagnoses/inner_ttl.pcap").to_str().unwrap(),
        "--nodes",
        sample("flannel/nodes.json").to_str().unwrap(),
    ]);
    let text = stdout(&out);
    let summary = &text[text.find("Summary:").expect("a summary")..];
    assert_eq!(
        summary,
        "\
Summary: 2 frame(s), 2 with VXLAN

VXLAN packets by node pair:
  k8s-node1 (172.16.100.101) > k8s-node2 (172.16.100.102)         2

Diagnoses:
  flannel.inner_ttl                warning         1
  flannel.vni_mismatch             error           1
"
    );
}

#[test]
fn bad_topology_sources_fail_clearly() {
    let out = vxscope([
        "dissect",
        sample("seed.pcap").to_str().unwrap(),
        "--nodes",
        sample("seed.pcap").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("seed.pcap: not UTF-8 (at byte") || stderr(&out).contains("not JSON"),
        "{}",
        stderr(&out)
    );
    let out = vxscope([
        "dissect",
        sample("seed.pcap").to_str().unwrap(),
        "--node-info",
        "/nonexistent/route.txt",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/nonexistent/route.txt"),
        "{}",
        stderr(&out)
    );
}

/// Every diagnosis of the note registry (every `flannel.*` code, and the codes of the table) has a row in
/// [`DIAGNOSES`] or [`NOT_FAULT_DIAGNOSES`], its sample raises every registry row of that code (one code may
/// have several: an MTU exceeded three ways), and every sample in `samples/flannel/diagnoses/` is in a row.
#[test]
fn every_diagnosis_has_a_sample_raising_it_and_a_row_here() {
    use std::collections::{BTreeSet, HashSet};
    use std::fs::File;
    use vxscope_capture::CaptureReader;
    use vxscope_dissector::flannel::{Session, TopologyBuilder, TopologySource};
    use vxscope_dissector::notes::NoteCode;
    use vxscope_dissector::{Config, Dissection, Dissector};

    let rows: Vec<&(&str, &str, &str)> = DIAGNOSES.iter().chain(NOT_FAULT_DIAGNOSES).collect();
    let diagnoses: BTreeSet<&str> = NoteCode::ALL
        .iter()
        .map(|c| c.def().code)
        .filter(|code| code.starts_with("flannel.") || rows.iter().any(|r| r.0 == *code))
        .collect();
    let missing: Vec<&&str> = diagnoses
        .iter()
        .filter(|code| !rows.iter().any(|r| r.0 == **code))
        .collect();
    assert!(
        missing.is_empty(),
        "diagnoses without a row in DIAGNOSES: {missing:?}"
    );

    for (code, file, nodes) in &rows {
        assert!(
            NoteCode::from_code(code).is_some(),
            "{code}: not in the note registry"
        );
        let nodes = sample(&format!("flannel/{nodes}"));
        let mut topology = TopologyBuilder::new();
        topology
            .add(&TopologySource::Nodes {
                text: std::fs::read_to_string(&nodes).unwrap(),
                label: "nodes".into(),
            })
            .unwrap();
        let dissector = Dissector::with_topology(Config::default(), topology.build());
        let path = sample(&format!("flannel/diagnoses/{file}"));
        let mut reader = CaptureReader::from_file(File::open(&path).unwrap()).unwrap();
        let (mut session, mut d, mut raised) = (Session::new(), Dissection::new(), HashSet::new());
        while let Some(p) = reader.next_packet().unwrap() {
            session.dissect(&dissector, p.link_type, p.data, p.orig_len, &mut d);
            raised.extend(d.notes().iter().map(|n| n.code));
        }
        for row in NoteCode::ALL.iter().filter(|c| c.def().code == *code) {
            assert!(
                raised.contains(row),
                "{file}: raises no {code} of the registry row {row:?} (\"{}\"): give it a packet that does",
                row.def().template
            );
        }
    }

    let dir = sample("flannel/diagnoses");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".pcap") || name.ends_with(".pcapng") {
            assert!(
                rows.iter().any(|r| r.1 == name),
                "samples/flannel/diagnoses/{name} is in no row of DIAGNOSES"
            );
        }
    }
}
