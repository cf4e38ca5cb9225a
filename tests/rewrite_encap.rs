//! `vxscope encap` end to end: as flannel.1 of a node (checked against the article's frame and by tshark), and
//! with fixed outer addresses over IPv4 and IPv6.

#[path = "rewrite_common.rs"]
mod common;

use std::ffi::OsStr;
use std::path::Path;

use common::*;
use vxscope_tests as support;

fn encap(input: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<&OsStr> = vec!["encap".as_ref(), input.as_os_str(), out.as_os_str()];
    args.extend(extra.iter().map(|a| OsStr::new(*a)));
    vxscope(&args)
}

/// tshark's fields with every occurrence (comma-separated), VXLAN on 8472 and 4789, every checksum verified.
fn tshark_all(path: &Path, fields: &[&str]) -> Vec<Vec<String>> {
    tshark_fields(
        path,
        fields,
        &[
            "-E",
            "occurrence=a",
            "-d",
            "udp.port==8472,vxlan",
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
            "-o",
            "tcp.check_checksum:TRUE",
        ],
    )
}

#[test]
fn as_flannel_the_cni0_ping_becomes_the_articles_frame() {
    let dir = scratch("encap-article");
    let out = dir.join("nic.pcap");
    let nodes = support::sample("flannel/nodes.json");
    let o = encap(
        &support::sample("rewrite/cni0.pcap"),
        &out,
        &[
            "--nodes",
            nodes.to_str().unwrap(),
            "--node",
            "k8s-node1",
            // The article's flannel.1 has `noudpcsum`, and the kernel picked source port 40592.
            "--udp-checksum",
            "zero",
            "--src-port",
            "40592",
            "--outer-src-mac",
            "00:50:56:93:6a:3a",
            "--outer-dst-mac",
            "00:50:56:93:63:3b",
        ],
    );
    assert_ok(&o, "encap");
    let ours = read_capture(&out).frames;
    let article = &read_capture(&support::sample("seed.pcap")).frames[0].data;
    let ping = &ours[2];
    assert_eq!(ping.data.len(), article.len());
    // Every byte is the article's but the outer IP identification (a kernel counter) and so the outer
    // header checksum.
    let differ: Vec<usize> = (0..article.len())
        .filter(|&i| ping.data[i] != article[i])
        .collect();
    assert!(
        differ.iter().all(|i| [18, 19, 24, 25].contains(i)),
        "bytes {differ:?} differ"
    );
    assert_eq!(
        ping.ts_ns,
        read_capture(&support::sample("rewrite/cni0.pcap")).frames[2].ts_ns
    );
}

#[test]
fn as_flannel_tshark_sees_the_nodes_vteps_ttl_and_valid_checksums() {
    let dir = scratch("encap-flannel");
    let out = dir.join("nic.pcap");
    let input = support::sample("rewrite/cni0.pcap");
    let nodes = support::sample("flannel/nodes.json");
    let o = encap(
        &input,
        &out,
        &["--nodes", nodes.to_str().unwrap(), "--node", "k8s-node1"],
    );
    assert_ok(&o, "encap");
    let err = support::stderr(&o);
    assert!(err.contains("8 packets read from"), "{err}");
    assert!(
        err.contains("3 encapsulated, 5 kept, 0 dropped, 0 damaged"),
        "{err}"
    );
    assert!(
        err.contains("2 frames flannel.1 of k8s-node1 would not carry: not IP"),
        "{err}"
    );
    assert!(
        err.contains(
            "2 frames flannel.1 of k8s-node1 would not carry: bound to the node's own pod subnet"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "1 frames flannel.1 of k8s-node1 would not carry: bound to no other node's pod subnet"
        ),
        "{err}"
    );

    let rows = tshark_all(
        &out,
        &[
            "frame.protocols",
            "ip.src",
            "ip.dst",
            "ip.ttl",
            "ip.flags.df",
            "ip.dsfield.ecn",
            "ip.checksum.status",
            "udp.srcport",
            "udp.dstport",
            "udp.checksum.status",
            "vxlan.vni",
            "eth.src",
            "eth.dst",
            "tcp.checksum.status",
            "icmp.checksum.status",
        ],
    );
    // Frame 3: the ping to k8s-node2; 5: the ping to k8s-master; 8: the TCP SYN to k8s-node2 (ECN CE).
    let expect = [
        (
            2,
            "172.16.100.102",
            "fe:90:c4:18:69:a7",
            "b6:72:ae:36:7b:6c",
        ),
        (
            4,
            "172.16.100.100",
            "fe:90:c4:18:69:a7",
            "6e:f8:85:d7:09:17",
        ),
        (
            7,
            "172.16.100.102",
            "fe:90:c4:18:69:a7",
            "b6:72:ae:36:7b:6c",
        ),
    ];
    for (i, node, src_vtep, dst_vtep) in expect {
        let r = &rows[i];
        let frame = i + 1;
        assert!(
            r[0].starts_with("eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:"),
            "frame {frame}: {}",
            r[0]
        );
        let ips: Vec<&str> = r[1].split(',').collect();
        let dsts: Vec<&str> = r[2].split(',').collect();
        assert_eq!(
            (ips[0], dsts[0]),
            ("172.16.100.101", node),
            "frame {frame}: outer addresses"
        );
        assert_eq!(ips[1], "10.244.1.12");
        assert_eq!(
            r[3], "64,63",
            "frame {frame}: outer TTL 64, inner TTL one less than on cni0"
        );
        assert_eq!(r[4].split(',').next(), Some("0"), "frame {frame}: DF clear");
        assert_eq!(
            r[6], "1,1",
            "frame {frame}: both IPv4 header checksums good"
        );
        let sport: u16 = r[7].split(',').next().unwrap().parse().unwrap();
        assert!(
            (32768..=60999).contains(&sport),
            "frame {frame}: source port {sport}"
        );
        assert_eq!(r[8].split(',').next(), Some("8472"));
        assert_eq!(
            r[9].split(',').next(),
            Some("1"),
            "frame {frame}: outer UDP checksum good"
        );
        assert_eq!(r[10], "1", "frame {frame}: VNI");
        let macs: Vec<&str> = r[11].split(',').collect();
        let dmacs: Vec<&str> = r[12].split(',').collect();
        assert_eq!(
            (macs[1], dmacs[1]),
            (src_vtep, dst_vtep),
            "frame {frame}: inner MACs are the VTEPs"
        );
        let inner_checksum = if r[13].is_empty() { &r[14] } else { &r[13] };
        assert_eq!(
            inner_checksum, "1",
            "frame {frame}: inner checksum still good"
        );
    }
    // ECN: congestion experienced inside becomes ECT(0) outside, as Linux does.
    assert_eq!(rows[7][5], "2,3");
    // The frames flannel.1 would not carry are kept as they were.
    let before = read_capture(&input).frames;
    let after = read_capture(&out).frames;
    for i in [0, 1, 3, 5, 6] {
        assert_eq!(after[i], before[i], "frame {}", i + 1);
    }
    // The same inner flow always gets the same source port.
    let again = dir.join("again.pcap");
    assert_ok(
        &encap(
            &input,
            &again,
            &["--nodes", nodes.to_str().unwrap(), "--node", "k8s-node1"],
        ),
        "encap",
    );
    assert_eq!(std::fs::read(&again).unwrap(), std::fs::read(&out).unwrap());
}

#[test]
fn as_flannel_other_frames_can_be_dropped() {
    let dir = scratch("encap-drop");
    let out = dir.join("nic.pcap");
    let nodes = support::sample("flannel/nodes.json");
    let o = encap(
        &support::sample("rewrite/cni0.pcap"),
        &out,
        &[
            "--nodes",
            nodes.to_str().unwrap(),
            "--node",
            "k8s-node1",
            "--other",
            "drop",
        ],
    );
    assert_ok(&o, "encap");
    assert!(support::stderr(&o).contains("3 encapsulated, 0 kept, 5 dropped"));
    assert_eq!(read_capture(&out).frames.len(), 3);
}

#[test]
fn as_flannel_an_unknown_node_is_refused() {
    let dir = scratch("encap-unknown");
    let out = dir.join("nic.pcap");
    let nodes = support::sample("flannel/nodes.json");
    let o = encap(
        &support::sample("rewrite/cni0.pcap"),
        &out,
        &["--nodes", nodes.to_str().unwrap(), "--node", "k8s-node9"],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = support::stderr(&o);
    assert!(
        err.contains("no node \"k8s-node9\"") && err.contains("k8s-node1"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn fixed_outer_addresses_over_ipv6() {
    let dir = scratch("encap-v6");
    let out = dir.join("v6.pcapng");
    let input = support::sample("rewrite/cni0.pcap");
    let o = encap(
        &input,
        &out,
        &[
            "--outer-src-ip",
            "2001:db8::1",
            "--outer-dst-ip",
            "2001:db8::2",
            "--vni",
            "4096",
            "--port",
            "4789",
            "--src-port",
            "50000",
            "--format",
            "pcapng",
            "--annotate",
        ],
    );
    assert_ok(&o, "encap");
    assert!(support::stderr(&o).contains("8 encapsulated, 0 kept"));
    let rows = tshark_all(
        &out,
        &[
            "ipv6.src",
            "ipv6.dst",
            "ipv6.hlim",
            "udp.srcport",
            "udp.dstport",
            "udp.checksum.status",
            "vxlan.vni",
            "frame.comment",
        ],
    );
    assert_eq!(rows.len(), 8);
    for r in &rows {
        assert_eq!(
            (r[0].as_str(), r[1].as_str(), r[2].as_str()),
            ("2001:db8::1", "2001:db8::2", "64")
        );
        assert_eq!(r[3].split(',').next(), Some("50000"));
        assert_eq!(r[4].split(',').next(), Some("4789"));
        assert_eq!(
            r[5].split(',').next(),
            Some("1"),
            "UDP checksum over IPv6 good"
        );
        assert_eq!(r[6], "4096");
        assert_eq!(r[7], "[2001:db8::1]:50000 > [2001:db8::2]:4789 vni 4096");
    }
    // The frames inside are the input's, untouched (no --node: no forwarding step).
    let before = read_capture(&input).frames;
    let after = read_capture(&out).frames;
    for (a, b) in after.iter().zip(&before) {
        assert_eq!(a.data[70..], b.data[..]);
        assert_eq!(a.orig_len, b.orig_len + 70);
        assert_eq!(a.ts_ns, b.ts_ns);
    }
}

#[test]
fn strip_undoes_encap() {
    let dir = scratch("encap-strip");
    let input = support::sample("rewrite/cni0.pcap");
    let wrapped = dir.join("wrapped.pcap");
    let o = encap(
        &input,
        &wrapped,
        &["--outer-src-ip", "192.0.2.1", "--outer-dst-ip", "192.0.2.2"],
    );
    assert_ok(&o, "encap");
    let back = dir.join("back.pcap");
    assert_ok(
        &vxscope(&["strip".as_ref(), wrapped.as_os_str(), back.as_os_str()]),
        "strip",
    );
    assert_eq!(read_capture(&back).frames, read_capture(&input).frames);
}

#[test]
fn bad_arguments() {
    let dir = scratch("encap-args");
    let out = dir.join("out.pcap");
    let input = support::sample("rewrite/cni0.pcap");
    let o = encap(
        &input,
        &out,
        &[
            "--outer-src-ip",
            "192.0.2.1",
            "--outer-dst-ip",
            "2001:db8::2",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(support::stderr(&o).contains("not of one family"));
    let o = encap(
        &input,
        &out,
        &[
            "--outer-src-ip",
            "192.0.2.1",
            "--outer-dst-ip",
            "192.0.2.2",
            "--vni",
            "16777216",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(support::stderr(&o).contains("24 bits"));
    let o = encap(&input, &out, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!out.exists());
}
