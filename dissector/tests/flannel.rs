//! The flannel topology sources and the per-packet annotations, on the seed article's own outputs and on the
//! three-node sample cluster.

use vxscope_dissector::fields::{FieldId as F, Scope};
use vxscope_dissector::flannel::{ConflictKind, Role, Topology, TopologyBuilder};
use vxscope_dissector::notes::Severity;
use vxscope_dissector::value::{IpBytes, Value};
use vxscope_dissector::{Config, Dissection, Dissector, LinkType};

const SEED_PCAP: &[u8] = include_bytes!("../../samples/seed.pcap");
const PODS: &str = include_str!("../../samples/flannel/seed-pods.txt");
const ROUTE: &str = include_str!("../../samples/flannel/seed-node1-route.txt");
const ARP: &str = include_str!("../../samples/flannel/seed-node1-arp.txt");
const FDB: &str = include_str!("../../samples/flannel/seed-node1-fdb.txt");
const LINK: &str = include_str!("../../samples/flannel/seed-node1-link.txt");
const NODES: &str = include_str!("../../samples/flannel/nodes.json");

/// The frames of a classic little-endian pcap file (enough for the samples, which scapy writes).
fn frames(pcap: &[u8]) -> Vec<&[u8]> {
    assert_eq!(&pcap[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= pcap.len() {
        let caplen = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().unwrap()) as usize;
        out.push(&pcap[at + 16..at + 16 + caplen]);
        at += 16 + caplen;
    }
    out
}

fn seed_topology() -> Topology {
    let mut b = TopologyBuilder::new();
    b.add_node_info(ROUTE, "route -n", Some("k8s-node1"))
        .unwrap();
    b.add_node_info(ARP, "arp -n", Some("k8s-node1")).unwrap();
    b.add_node_info(FDB, "bridge fdb", Some("k8s-node1"))
        .unwrap();
    b.add_node_info(LINK, "ip -d link show flannel.1", Some("k8s-node1"))
        .unwrap();
    b.add_pods(PODS, "kubectl get pod -o wide").unwrap();
    b.build()
}

fn text<'d>(d: &Dissection<'d>, id: F) -> Option<&'d str> {
    match d.value(id, Scope::OUTER) {
        Some(Value::Text(t)) => Some(t),
        _ => None,
    }
}

fn ip(s: &str) -> IpBytes {
    IpBytes::from_ip(s.parse().unwrap())
}

#[test]
fn seed_outputs_parse_into_the_article_cluster() {
    let t = seed_topology();
    let node1 = t
        .node_by_ip(&ip("172.16.100.101"))
        .expect("k8s-node1 from ip -d link (local 172.16.100.101)");
    assert_eq!(node1.name.as_deref(), Some("k8s-node1"));
    assert_eq!(node1.vtep_mac, Some([0xfe, 0x90, 0xc4, 0x18, 0x69, 0xa7]));
    assert_eq!(
        (node1.vni, node1.port, node1.mtu),
        (Some(1), Some(8472), Some(1450))
    );
    assert_eq!(
        node1
            .subnets
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        ["10.244.1.0/24"]
    );

    // k8s-node2: route 10.244.2.0/24 via 10.244.2.0, arp 10.244.2.0 -> b6:72:Ae:.., fdb -> 172.16.100.102, and
    // the pod list names the node of 10.244.2.14.
    let node2 = t
        .node_by_ip(&ip("172.16.100.102"))
        .expect("k8s-node2 from bridge fdb");
    assert_eq!(node2.name.as_deref(), Some("k8s-node2"));
    assert_eq!(node2.vtep_mac, Some([0xb6, 0x72, 0xae, 0x36, 0x7b, 0x6c]));
    assert_eq!(
        node2
            .subnets
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        ["10.244.2.0/24"]
    );
    assert_eq!(
        t.node_by_vtep_mac(&[0xb6, 0x72, 0xae, 0x36, 0x7b, 0x6c])
            .and_then(|n| n.name.as_deref()),
        Some("k8s-node2")
    );

    // The third node (the master, no pod of it listed) stays unnamed but known.
    let master = t
        .node_by_ip(&ip("172.16.100.100"))
        .expect("the node behind 10.244.0.0/24");
    assert_eq!(master.name, None);
    assert_eq!(master.vtep_mac, Some([0x6e, 0xf8, 0x85, 0xd7, 0x09, 0x17]));

    // The fdb entry e2:3f:07:99:cf:6f for 172.16.100.102 is not the neighbour table's: stale.
    let stale: Vec<_> = t
        .conflicts
        .iter()
        .filter(|c| c.kind == ConflictKind::StaleFdb)
        .collect();
    assert_eq!(stale.len(), 1, "{:?}", t.conflicts);
    assert!(
        stale[0].message.contains("e2:3f:07:99:cf:6f")
            && stale[0].message.contains("b6:72:ae:36:7b:6c")
    );
    assert!(
        t.node_by_vtep_mac(&[0xe2, 0x3f, 0x07, 0x99, 0xcf, 0x6f])
            .is_none()
    );
}

#[test]
fn seed_packet_annotated_from_the_seed_outputs_alone() {
    let dissector = Dissector::with_topology(Config::default(), seed_topology());
    let frame = frames(SEED_PCAP)[0];
    let mut d = Dissection::new();
    dissector.dissect(LinkType::ETHERNET, frame, frame.len() as u32, &mut d);
    assert_eq!(text(&d, F::FlannelSrcNode), Some("k8s-node1"));
    assert_eq!(text(&d, F::FlannelDstNode), Some("k8s-node2"));
    assert_eq!(text(&d, F::FlannelSrcVtepNode), Some("k8s-node1"));
    assert_eq!(text(&d, F::FlannelDstVtepNode), Some("k8s-node2"));
    assert_eq!(
        text(&d, F::FlannelSrcPod),
        Some("busybox-deployment-6576988595-dbpq7")
    );
    assert_eq!(
        text(&d, F::FlannelDstPod),
        Some("busybox-deployment-6576988595-l5w7r")
    );
    assert_eq!(text(&d, F::FlannelSrcPodNode), Some("k8s-node1"));
    assert_eq!(text(&d, F::FlannelDstPodNode), Some("k8s-node2"));
    assert_eq!(text(&d, F::FlannelDstSubnetNode), Some("k8s-node2"));
    assert_eq!(text(&d, F::FlannelSrcRole), Some("pod"));
    assert_eq!(text(&d, F::FlannelDstRole), Some("pod"));
    match d.value(F::FlannelDstPodSubnet, Scope::OUTER) {
        Some(Value::Net(n)) => assert_eq!(n.to_string(), "10.244.2.0/24"),
        other => panic!("flannel.dst_pod_subnet: {other:?}"),
    }
    // Each annotation sits at the bytes it was derived from, with no bytes of its own.
    let dst_node = d.find(F::FlannelDstNode, Scope::OUTER).unwrap();
    assert_eq!(
        (dst_node.offset, dst_node.len),
        (30, 0),
        "at the outer ip.dst"
    );
    let dst_vtep = d.find(F::FlannelDstVtepNode, Scope::OUTER).unwrap();
    assert_eq!(dst_vtep.offset, 50, "at the inner eth.dst");
    // A clean packet: nothing above a chat.
    assert!(
        d.notes().iter().all(|n| n.severity() == Severity::Chat),
        "{:?}",
        d.notes()
    );

    let mut summary = Vec::new();
    vxscope_dissector::render::summary::write(&mut summary, &d, frame);
    assert_eq!(
        String::from_utf8(summary).unwrap(),
        "k8s-node1 > k8s-node2 VXLAN vni 1 | 10.244.1.12 > 10.244.2.14 ICMP echo request id 3143 seq 1102, ttl 63"
    );
}

#[test]
fn defaults_without_any_source() {
    let dissector = Dissector::new(Config::default());
    let frame = frames(SEED_PCAP)[0];
    let mut d = Dissection::new();
    dissector.dissect(LinkType::ETHERNET, frame, frame.len() as u32, &mut d);
    assert_eq!(text(&d, F::FlannelSrcNode), None);
    assert_eq!(text(&d, F::FlannelDstRole), Some("pod"));
    assert!(
        matches!(d.value(F::FlannelSrcPodSubnet, Scope::OUTER), Some(Value::Net(n)) if n.to_string() == "10.244.1.0/24")
    );
    assert_eq!(
        d.value(F::FlannelDstSubnetNode, Scope::OUTER),
        None,
        "no source names the owner"
    );
}

#[test]
fn kubectl_nodes_json() {
    let mut b = TopologyBuilder::new();
    b.add_nodes_json(NODES, "nodes.json").unwrap();
    let t = b.build();
    assert_eq!(t.nodes.len(), 3);
    let names: Vec<_> = t.nodes.iter().map(|n| n.name.clone().unwrap()).collect();
    assert_eq!(names, ["k8s-master", "k8s-node1", "k8s-node2"]);
    let n2 = &t.nodes[2];
    assert_eq!(n2.ips, vec![ip("172.16.100.102")]);
    assert_eq!(n2.vtep_mac, Some([0xb6, 0x72, 0xae, 0x36, 0x7b, 0x6c]));
    assert_eq!(n2.vni, Some(1));
    assert_eq!(n2.backend.as_deref(), Some("vxlan"));
    assert!(t.conflicts.is_empty(), "{:?}", t.conflicts);
    assert_eq!(t.role_of(&ip("10.244.0.1")), Role::Gateway);
}

#[test]
fn one_node_another_prefix_and_defaults_of_backend_data() {
    let node = r#"{"kind":"Node","metadata":{"name":"w1","annotations":{
        "example.com/flannel/backend-data":"{\"VtepMAC\":\"00:15:5D:01:02:03\"}",
        "example.com/flannel/public-ip":"192.168.1.7",
        "example.com/flannel/public-ip-overwrite":"203.0.113.7"}},
        "spec":{"podCIDR":"10.244.9.0/24"},
        "status":{"addresses":[{"type":"InternalIP","address":"192.168.1.7"},{"type":"Hostname","address":"w1"}]}}"#;
    let mut b = TopologyBuilder::new();
    b.annotation_prefix("example.com/flannel");
    b.add_nodes_json(node, "w1.json").unwrap();
    let t = b.build();
    let n = &t.nodes[0];
    assert_eq!(n.vni, Some(1), "backend data without a VNI means VNI 1");
    assert_eq!(n.vtep_mac, Some([0x00, 0x15, 0x5d, 1, 2, 3]));
    assert_eq!(
        n.ips,
        vec![ip("203.0.113.7"), ip("192.168.1.7")],
        "the overwrite first: peers send there"
    );
}

#[test]
fn bad_sources_are_clear_errors() {
    let e = TopologyBuilder::new()
        .add_nodes_json("{not json", "nodes.json")
        .unwrap_err();
    assert_eq!(e.source, "nodes.json");
    assert!(
        e.to_string().starts_with("nodes.json: line 1: not JSON"),
        "{e}"
    );
    let e = TopologyBuilder::new()
        .add_nodes_json(r#"{"kind":"Pod"}"#, "pods.json")
        .unwrap_err();
    assert!(e.message.contains("found kind Pod"), "{e}");
    let e = TopologyBuilder::new()
        .add_nodes_json(
            r#"{"kind":"Node","metadata":{"name":"x"},"spec":{"podCIDR":"10.244.1.0/40"}}"#,
            "n.json",
        )
        .unwrap_err();
    assert!(
        e.message.contains("podCIDR \"10.244.1.0/40\" is not valid"),
        "{e}"
    );
    let e = TopologyBuilder::new()
        .add_node_info("hello world\n", "notes.txt", None)
        .unwrap_err();
    assert!(e.message.contains("no flannel facts found"), "{e}");
    let e = TopologyBuilder::new()
        .add_node_info(
            "10.244.2.0 ether zz:72:ae:36:7b:6c CM flannel.1\n",
            "arp.txt",
            None,
        )
        .unwrap_err();
    assert_eq!(e.line, Some(1));
    let e = TopologyBuilder::new()
        .add_pods("NAME READY\nx 1/1\n", "pods.txt")
        .unwrap_err();
    assert!(e.message.contains("NAME, IP and NODE"), "{e}");
}

#[test]
fn iproute2_outputs_and_subnet_env() {
    let text = "\
root@k8s-node2:~# ip route
default via 172.16.100.254 dev ens192 proto static metric 100
10.244.0.0/24 via 10.244.0.0 dev flannel.1 onlink
10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink
10.244.2.0/24 dev cni0 proto kernel scope link src 10.244.2.1
root@k8s-node2:~# ip neigh show dev flannel.1
10.244.1.0 dev flannel.1 lladdr fe:90:c4:18:69:a7 PERMANENT
10.244.0.0 dev flannel.1 lladdr 6e:f8:85:d7:09:17 PERMANENT
root@k8s-node2:~# bridge fdb show dev flannel.1
fe:90:c4:18:69:a7 dst 172.16.100.101 self permanent
6e:f8:85:d7:09:17 dst 172.16.100.100 self permanent
root@k8s-node2:~# cat /run/flannel/subnet.env
FLANNEL_NETWORK=10.244.0.0/16
FLANNEL_SUBNET=10.244.2.1/24
FLANNEL_MTU=1450
FLANNEL_IPMASQ=true
";
    let mut b = TopologyBuilder::new();
    b.add_node_info(text, "node2.txt", None).unwrap();
    let t = b.build();
    let me = t
        .nodes
        .iter()
        .find(|n| n.name.as_deref() == Some("k8s-node2"))
        .expect("named by the prompt");
    assert_eq!(
        me.subnets.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        ["10.244.2.0/24"]
    );
    assert_eq!(me.mtu, Some(1450));
    let node1 = t.node_by_ip(&ip("172.16.100.101")).unwrap();
    assert_eq!(node1.vtep_mac, Some([0xfe, 0x90, 0xc4, 0x18, 0x69, 0xa7]));
    assert_eq!(
        node1
            .subnets
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        ["10.244.1.0/24"]
    );
    assert!(t.conflicts.is_empty(), "{:?}", t.conflicts);
}

#[test]
fn pods_json_and_wide_text_with_namespaces() {
    let json = r#"{"apiVersion":"v1","kind":"List","items":[
      {"kind":"Pod","metadata":{"name":"coredns-558bd4d5db-x2x8k","namespace":"kube-system"},
       "spec":{"nodeName":"k8s-master"},"status":{"hostIP":"172.16.100.100","podIP":"10.244.0.5","podIPs":[{"ip":"10.244.0.5"}]}},
      {"kind":"Pod","metadata":{"name":"kube-proxy-abcde","namespace":"kube-system"},
       "spec":{"nodeName":"k8s-master","hostNetwork":true},"status":{"hostIP":"172.16.100.100","podIP":"172.16.100.100"}}]}"#;
    let mut b = TopologyBuilder::new();
    b.add_pods(json, "pods.json").unwrap();
    let t = b.build();
    let dns = t.pod_by_ip(&ip("10.244.0.5")).unwrap();
    assert_eq!(
        (
            dns.name.as_str(),
            dns.namespace.as_deref(),
            dns.node.as_deref()
        ),
        (
            "coredns-558bd4d5db-x2x8k",
            Some("kube-system"),
            Some("k8s-master")
        )
    );
    assert!(
        t.pod_by_ip(&ip("172.16.100.100")).is_none(),
        "host-network pods are the node, not a pod"
    );
    let master = t.node_by_ip(&ip("172.16.100.100")).unwrap();
    assert_eq!(master.name.as_deref(), Some("k8s-master"));
    assert_eq!(
        master
            .subnets
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        ["10.244.0.0/24"]
    );

    let wide = "\
NAMESPACE     NAME                        READY   STATUS    RESTARTS        AGE   IP            NODE         NOMINATED NODE   READINESS GATES
default       web-7d4b9c6f5d-abcde        1/1     Running   2 (3h12m ago)   2d    10.244.1.20   k8s-node1    <none>           <none>
default       pending-pod                 0/1     Pending   0               1m    <none>        <none>       <none>           <none>
";
    let mut b = TopologyBuilder::new();
    b.add_pods(wide, "pods.txt").unwrap();
    let t = b.build();
    let web = t.pod_by_ip(&ip("10.244.1.20")).unwrap();
    assert_eq!(
        (
            web.name.as_str(),
            web.namespace.as_deref(),
            web.node.as_deref()
        ),
        ("web-7d4b9c6f5d-abcde", Some("default"), Some("k8s-node1"))
    );
    assert_eq!(t.pods.len(), 1);
}

#[test]
fn later_sources_never_silently_override_earlier_ones() {
    let mut b = TopologyBuilder::new();
    b.add_nodes_json(NODES, "nodes.json").unwrap();
    // Pasted from k8s-node2 after it was re-created: another VTEP MAC than its annotation says.
    b.add_node_info(
        "4: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN\n    link/ether e2:3f:07:99:cf:6f brd ff:ff:ff:ff:ff:ff\n    vxlan id 1 local 172.16.100.102 dev ens192 srcport 0 0 dstport 8472 nolearning\n",
        "node2-link.txt",
        Some("k8s-node2"),
    )
    .unwrap();
    let t = b.build();
    let n2 = t.node_by_ip(&ip("172.16.100.102")).unwrap();
    assert_eq!(
        n2.vtep_mac,
        Some([0xb6, 0x72, 0xae, 0x36, 0x7b, 0x6c]),
        "the earlier source is kept"
    );
    let c: Vec<_> = t
        .conflicts
        .iter()
        .filter(|c| c.kind == ConflictKind::NodeFact)
        .collect();
    assert_eq!(c.len(), 1, "{:?}", t.conflicts);
    assert!(
        c[0].message.contains("b6:72:ae:36:7b:6c (kept)")
            && c[0].message.contains("e2:3f:07:99:cf:6f"),
        "{}",
        c[0].message
    );
}

#[test]
fn subnet_claimed_twice_is_a_conflict() {
    let mut b = TopologyBuilder::new();
    b.add_nodes_json(
        include_str!("../../samples/flannel/nodes-conflict.json"),
        "nodes-conflict.json",
    )
    .unwrap();
    let t = b.build();
    let c: Vec<_> = t
        .conflicts
        .iter()
        .filter(|c| c.kind == ConflictKind::Subnet)
        .collect();
    assert_eq!(c.len(), 1, "{:?}", t.conflicts);
    assert_eq!(
        c[0].message,
        "pod subnet 10.244.2.0/24 is claimed by k8s-node2 and k8s-node3"
    );
}

mod hostile_sources {
    use proptest::prelude::*;
    use vxscope_dissector::flannel::TopologyBuilder;

    /// Feeds a text to every source parser: each returns a value or an error, never panics.
    fn all_parsers(text: &str) {
        let mut b = TopologyBuilder::new();
        let _ = b.add_nodes_json(text, "n");
        let _ = b.add_pods(text, "p");
        let _ = b.add_node_info(text, "i", None);
        let _ = b.add_node_info(text, "j", Some("x"));
        let t = b.build();
        let _ = t.conflicts.len();
    }

    proptest! {
        #[test]
        fn arbitrary_text(text in "\\PC{0,400}") {
            all_parsers(&text);
        }

        #[test]
        fn mutated_real_outputs(cut in 0usize..2000, insert in "\\PC{0,8}", which in 0usize..6) {
            let inputs = [super::PODS, super::ROUTE, super::ARP, super::FDB, super::LINK, super::NODES];
            let base = inputs[which];
            let mut at = cut.min(base.len());
            while !base.is_char_boundary(at) {
                at -= 1;
            }
            all_parsers(&format!("{}{}{}", &base[..at], insert, &base[at..]));
            all_parsers(&base[..at]);
        }
    }
}
