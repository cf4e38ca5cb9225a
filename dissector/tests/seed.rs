//! The seed packet: k8s-node1's pod 10.244.1.12 pings 10.244.2.14 on k8s-node2 through flannel; the 148-byte
//! frame on k8s-node1's NIC, as `tcpdump -XX` printed it. Every field, with its offset and length.

mod common;

use common::{decode, decode_with, flannel, hex, inner_ping, summary};
use vxscope_dissector::notes::NoteCode;
use vxscope_dissector::{Config, LinkType};

const SEED: &str = "
    0050 5693 633b 0050 5693 6a3a 0800 4500
    0086 7586 0000 4011 e3f4 ac10 6465 ac10
    6466 9e90 2118 0072 0000 0800 0000 0000
    0100 b672 ae36 7b6c fe90 c418 69a7 0800
    4500 0054 2305 4000 3f01 ffa2 0af4 010c
    0af4 020e 0800 847d 0c47 044e 0d1e 55cf
    0000 0000 0000 0000 0000 0000 0000 0000
    0000 0000 0000 0000 0000 0000 0000 0000
    0000 0000 0000 0000 0000 0000 0000 0000
    0000 0000";

#[test]
fn every_field_of_the_seed_packet() {
    let frame = hex(SEED);
    assert_eq!(frame.len(), 148);
    let d = decode(LinkType::ETHERNET, &frame);

    // Outer Ethernet: k8s-node1's NIC to k8s-node2's.
    d.expect("eth.dst", 0, 6, "00:50:56:93:63:3b");
    d.expect("eth.src", 6, 6, "00:50:56:93:6a:3a");
    d.expect("eth.type", 12, 2, "0x0800");

    // Outer IPv4: node to node.
    d.expect("ip.version", 14, 1, "4");
    d.expect("ip.hdr_len", 14, 1, "20");
    d.expect("ip.len", 16, 2, "134");
    d.expect("ip.id", 18, 2, "0x7586");
    d.expect("ip.flags.df", 20, 1, "false");
    d.expect("ip.frag_offset", 20, 2, "0");
    d.expect("ip.ttl", 22, 1, "64");
    d.expect("ip.proto", 23, 1, "17");
    d.expect("ip.checksum", 24, 2, "0xe3f4");
    d.expect("ip.checksum.status", 24, 0, "good");
    d.expect("ip.src", 26, 4, "172.16.100.101");
    d.expect("ip.dst", 30, 4, "172.16.100.102");

    // Outer UDP: 40592 -> 8472, no checksum (Linux's VXLAN default over IPv4).
    d.expect("udp.srcport", 34, 2, "40592");
    d.expect("udp.dstport", 36, 2, "8472");
    d.expect("udp.length", 38, 2, "114");
    d.expect("udp.checksum", 40, 2, "0x0000");
    d.expect("udp.checksum.status", 40, 0, "absent");

    // VXLAN: flags 0x08 (I), VNI 1, reserved bits zero.
    d.expect("vxlan.flags", 42, 1, "0x08");
    d.expect("vxlan.flag_i", 42, 1, "true");
    d.expect("vxlan.flag_g", 42, 1, "false");
    d.expect("vxlan.flags_reserved", 42, 1, "0x00");
    d.expect("vxlan.reserved", 43, 3, "0x000000");
    d.expect("vxlan.vni", 46, 3, "1");
    d.expect("vxlan.reserved8", 49, 1, "0x00");

    // Inner Ethernet: flannel.1 of k8s-node1 to flannel.1 of k8s-node2.
    d.expect("inner.eth.dst", 50, 6, "b6:72:ae:36:7b:6c");
    d.expect("inner.eth.src", 56, 6, "fe:90:c4:18:69:a7");
    d.expect("inner.eth.type", 62, 2, "0x0800");

    // Inner IPv4: pod to pod, TTL decremented once, DF set.
    d.expect("inner.ip.len", 66, 2, "84");
    d.expect("inner.ip.id", 68, 2, "0x2305");
    d.expect("inner.ip.flags", 70, 1, "0x2");
    d.expect("inner.ip.flags.df", 70, 1, "true");
    d.expect("inner.ip.flags.mf", 70, 1, "false");
    d.expect("inner.ip.ttl", 72, 1, "63");
    d.expect("inner.ip.proto", 73, 1, "1");
    d.expect("inner.ip.checksum", 74, 2, "0xffa2");
    d.expect("inner.ip.checksum.status", 74, 0, "good");
    d.expect("inner.ip.src", 76, 4, "10.244.1.12");
    d.expect("inner.ip.dst", 80, 4, "10.244.2.14");

    // Inner ICMP echo request: id 3143, seq 1102, checksum right. The bytes the article calls the inner
    // "FCS" are the identifier and sequence number; there is no FCS in a tcpdump capture.
    d.expect("inner.icmp.type", 84, 1, "8");
    d.expect("inner.icmp.code", 85, 1, "0");
    d.expect("inner.icmp.checksum", 86, 2, "0x847d");
    d.expect("inner.icmp.checksum.status", 86, 0, "good");
    d.expect("inner.icmp.ident", 88, 2, "3143");
    d.expect("inner.icmp.seq", 90, 2, "1102");
    let payload = format!("0d1e55cf{}", "00".repeat(52));
    d.expect("inner.icmp.data", 92, 56, &payload);
    assert!(!d.has("eth.fcs") && !d.has("inner.eth.fcs") && !d.has("eth.padding"));

    // Layers: where each header starts and ends.
    let layers: Vec<(&str, u32, u32)> = d
        .layers
        .iter()
        .map(|(n, o, l)| (n.as_str(), *o, *l))
        .collect();
    assert_eq!(
        layers,
        [
            ("eth", 0, 14),
            ("ip", 14, 20),
            ("udp", 34, 8),
            ("vxlan", 42, 8),
            ("inner.eth", 50, 14),
            ("inner.ip", 64, 20),
            ("inner.icmp", 84, 64),
            // The flannel annotations: computed, no bytes of their own.
            ("flannel", 42, 0),
        ]
    );

    // Only the note about port 8472, which maps tcpdump's reading to VXLAN.
    assert_eq!(d.codes(), ["vxlan.port_8472"]);
    let (offset, len, message) = d.note(NoteCode::Port8472).unwrap();
    assert_eq!((offset, len), (42, 8));
    assert!(
        message.contains("\"OTV, flags [I] (0x08), overlay 0, instance 1\", which is VXLAN VNI 1"),
        "{message}"
    );

    assert_eq!(
        summary(LinkType::ETHERNET, &frame),
        "172.16.100.101:40592 > 172.16.100.102:8472 VXLAN vni 1 | 10.244.1.12 > 10.244.2.14 ICMP echo request id 3143 seq 1102, ttl 63"
    );
}

#[test]
fn the_test_builders_rebuild_the_seed_byte_for_byte() {
    // The builders the other tests use, checked against the bytes tcpdump printed.
    assert_eq!(flannel(40592, 8472, &inner_ping(1102)), hex(SEED));
}

#[test]
fn the_seed_read_as_otv() {
    // `--decode-as otv`: the same 8 bytes as tcpdump 4.99 reads them.
    let frame = hex(SEED);
    let config = Config {
        decode_8472_as_otv: true,
        ..Config::default()
    };
    let d = decode_with(config.clone(), LinkType::ETHERNET, &frame, 148);
    d.expect("otv.flags", 42, 1, "0x08");
    d.expect("otv.overlay", 43, 3, "0");
    d.expect("otv.instance", 46, 3, "1");
    d.expect("otv.reserved", 49, 1, "0x00");
    assert!(!d.has_layer("vxlan") && !d.has("vxlan.vni"));
    assert!(!d.noted(NoteCode::Port8472));
    // The frame inside is decoded all the same.
    d.expect("inner.icmp.seq", 90, 2, "1102");
    assert_eq!(
        common::summary_with(config, LinkType::ETHERNET, &frame),
        "172.16.100.101:40592 > 172.16.100.102:8472 OTV overlay 0 instance 1 | 10.244.1.12 > 10.244.2.14 ICMP echo request id 3143 seq 1102, ttl 63"
    );
}

#[test]
fn every_cut_of_the_seed_keeps_what_came_before() {
    // Cut the frame at every length: the layers before the cut stand, the cut layer gets a
    // malformed.truncated note at its offset (Ethernet padding aside), nothing panics.
    let frame = hex(SEED);
    let headers = [
        ("eth", 0, 14),
        ("ip", 14, 20),
        ("udp", 34, 8),
        ("vxlan", 42, 8),
        ("inner.eth", 50, 14),
        ("inner.ip", 64, 20),
        ("inner.icmp", 84, 8),
    ];
    for cut in 0..frame.len() {
        let d = decode_with(Config::default(), LinkType::ETHERNET, &frame[..cut], 148);
        for (name, offset, len) in headers {
            let whole = offset + len <= cut as u32;
            assert_eq!(
                d.has_layer(name),
                whole,
                "cut at {cut}: layer {name} present = {}, expected {whole}",
                d.has_layer(name)
            );
            if !whole && offset < cut as u32 {
                let (at, n, _) = d
                    .note(NoteCode::Truncated)
                    .unwrap_or_else(|| panic!("cut at {cut}: no truncated note"));
                assert_eq!((at, n), (offset, cut as u32 - offset), "cut at {cut}");
            }
        }
        if cut >= 34 {
            d.expect("ip.src", 26, 4, "172.16.100.101");
        }
        if cut >= 50 {
            d.expect("vxlan.vni", 46, 3, "1");
        }
    }
}
