//! Literal packets for each link type and layer: the fields they must give, at their offsets.

mod common;

use common::*;
use vxscope_dissector::notes::NoteCode;
use vxscope_dissector::{Config, LinkType};

/// The inner ping wrapped in VXLAN on 8472, as an IPv4 packet (no link-layer header).
fn vxlan_ip_packet() -> Vec<u8> {
    flannel(40592, 8472, &inner_ping(1102))[14..].to_vec()
}

// ---------------------------------------------------------------------------------------------------------
// Link types.

#[test]
fn ethernet_with_an_802_1q_tag() {
    let packet = vxlan_ip_packet();
    let mut tagged = Vec::new();
    tagged.extend_from_slice(&[0x60, 0x64, 0x08, 0x00]); // priority 3, DEI 0, VLAN 100; then IPv4
    tagged.extend_from_slice(&packet);
    let frame = ethernet(MAC_B, MAC_A, 0x8100, &tagged);
    let d = decode(LinkType::ETHERNET, &frame);
    d.expect("eth.type", 12, 2, "0x8100");
    d.expect("vlan.priority", 14, 2, "3");
    d.expect("vlan.dei", 14, 2, "false");
    d.expect("vlan.id", 14, 2, "100");
    d.expect("vlan.etype", 16, 2, "0x0800");
    assert_eq!(d.layer("vlan"), Some((14, 4)));
    d.expect("ip.src", 30, 4, "172.16.100.101");
    d.expect("vxlan.vni", 50, 3, "1");
    d.expect("inner.icmp.seq", 94, 2, "1102");
}

#[test]
fn ethernet_with_qinq_tags() {
    let packet = vxlan_ip_packet();
    let mut tagged = Vec::new();
    tagged.extend_from_slice(&[0x00, 0xc8, 0x81, 0x00]); // 802.1ad S-tag 200, then an 802.1Q tag
    tagged.extend_from_slice(&[0x10, 0x64, 0x08, 0x00]); // DEI set, VLAN 100, then IPv4
    tagged.extend_from_slice(&packet);
    let frame = ethernet(MAC_B, MAC_A, 0x88a8, &tagged);
    let d = decode(LinkType::ETHERNET, &frame);
    d.expect("eth.type", 12, 2, "0x88a8");
    assert_eq!(d.values("vlan.id"), ["200", "100"]);
    assert_eq!(d.values("vlan.etype"), ["0x8100", "0x0800"]);
    assert_eq!(d.values("vlan.dei"), ["false", "true"]);
    d.expect("ip.dst", 38, 4, "172.16.100.102");
    d.expect("udp.dstport", 44, 2, "8472");
    d.expect("vxlan.vni", 54, 3, "1");
}

#[test]
fn inner_frame_with_its_own_vlan_tag() {
    let ping = inner_ping(7);
    let mut inner = ping[..12].to_vec();
    inner.extend_from_slice(&[0x81, 0x00, 0x00, 0x2a]); // VLAN 42
    inner.extend_from_slice(&ping[12..]);
    let frame = flannel(40592, 8472, &inner);
    let d = decode(LinkType::ETHERNET, &frame);
    d.expect("inner.eth.type", 62, 2, "0x8100");
    d.expect("inner.vlan.id", 64, 2, "42");
    d.expect("inner.vlan.etype", 66, 2, "0x0800");
    d.expect("inner.ip.ttl", 76, 1, "63");
    d.expect("inner.icmp.seq", 94, 2, "7");
}

#[test]
fn linux_cooked_v1() {
    let mut frame = hex("0004 0001 0006 005056936a3a 0000 0800"); // outgoing, Ethernet, 6-byte address
    frame.extend_from_slice(&vxlan_ip_packet());
    let d = decode(LinkType::LINUX_SLL, &frame);
    d.expect("sll.pkttype", 0, 2, "4");
    d.expect("sll.hatype", 2, 2, "1");
    d.expect("sll.halen", 4, 2, "6");
    d.expect("sll.src.eth", 6, 6, "00:50:56:93:6a:3a");
    d.expect("sll.unused", 12, 2, "0000");
    d.expect("sll.etype", 14, 2, "0x0800");
    assert_eq!(d.layer("sll"), Some((0, 16)));
    d.expect("ip.src", 28, 4, "172.16.100.101");
    d.expect("vxlan.vni", 48, 3, "1");
    d.expect("inner.ip.ttl", 74, 1, "63");
}

#[test]
fn linux_cooked_v2() {
    // protocol IPv4, reserved, interface 2, Ethernet, incoming to us, 6-byte address, padding
    let mut frame = hex("0800 0000 00000002 0001 00 06 005056936a3a 0000");
    frame.extend_from_slice(&vxlan_ip_packet());
    let d = decode(LinkType::LINUX_SLL2, &frame);
    d.expect("sll.etype", 0, 2, "0x0800");
    d.expect("sll.reserved", 2, 2, "0x0000");
    d.expect("sll.ifindex", 4, 4, "2");
    d.expect("sll.hatype", 8, 2, "1");
    d.expect("sll.pkttype", 10, 1, "0");
    d.expect("sll.halen", 11, 1, "6");
    d.expect("sll.src.eth", 12, 6, "00:50:56:93:6a:3a");
    assert_eq!(d.layer("sll2"), Some((0, 20)));
    d.expect("ip.dst", 36, 4, "172.16.100.102");
    d.expect("udp.srcport", 40, 2, "40592");
    d.expect("inner.icmp.ident", 94, 2, "3143");
}

#[test]
fn raw_ip_link_types() {
    let v4 = vxlan_ip_packet();
    let src6 = ip6("fd00::101");
    let dst6 = ip6("fd00::102");
    let mut payload = vxlan(1);
    payload.extend_from_slice(&inner_ping(3));
    let datagram = udp(
        33000,
        4789,
        &payload,
        Some(&pseudo6(&src6, &dst6, 17, 8 + payload.len())),
    );
    let v6 = ipv6(&src6, &dst6, 17, 64, &datagram);
    // 101 and its BSD aliases tell the versions apart by the first nibble; 228 and 229 name them.
    for link in [
        LinkType::RAW,
        LinkType::RAW_OPENBSD,
        LinkType::RAW_BSDOS,
        LinkType::IPV4,
    ] {
        let d = decode(link, &v4);
        d.expect("ip.src", 12, 4, "172.16.100.101");
        d.expect("vxlan.vni", 32, 3, "1");
        assert_eq!(d.layers[0], ("ip".to_string(), 0, 20), "{link}");
    }
    for link in [LinkType::RAW, LinkType::IPV6] {
        let d = decode(link, &v6);
        d.expect("ipv6.src", 8, 16, "fd00::101");
        d.expect("ipv6.dst", 24, 16, "fd00::102");
        d.expect("udp.dstport", 42, 2, "4789");
        d.expect("udp.checksum.status", 46, 0, "good");
        d.expect("vxlan.vni", 52, 3, "1");
        d.expect("inner.icmp.seq", 96, 2, "3");
    }
    // A version the link type does not promise.
    let d = decode(LinkType::IPV4, &v6);
    assert!(d.noted(NoteCode::BadVersion) && !d.has_layer("ipv6"));
    let d = decode(LinkType::IPV6, &v4);
    assert!(d.noted(NoteCode::BadVersion) && !d.has_layer("ip"));
}

#[test]
fn bsd_loopback() {
    let v4 = vxlan_ip_packet();
    // NULL (0): the family in the capturing host's byte order, little-endian here...
    let mut frame = vec![2, 0, 0, 0];
    frame.extend_from_slice(&v4);
    let d = decode(LinkType::NULL, &frame);
    d.expect("null.family", 0, 4, "2");
    d.expect("ip.src", 16, 4, "172.16.100.101");
    // ...or big-endian; LOOP (108) is always big-endian.
    let mut frame = vec![0, 0, 0, 2];
    frame.extend_from_slice(&v4);
    for link in [LinkType::NULL, LinkType::LOOP] {
        let d = decode(link, &frame);
        d.expect("null.family", 0, 4, "2");
        d.expect("vxlan.vni", 36, 3, "1");
    }
    // IPv6 families: 24, 28, 30.
    let v6 = ipv6(&ip6("::1"), &ip6("::1"), 59, 64, &[]);
    for family in [24u32, 28, 30] {
        let mut frame = family.to_le_bytes().to_vec();
        frame.extend_from_slice(&v6);
        let d = decode(LinkType::NULL, &frame);
        d.expect("null.family", 0, 4, &family.to_string());
        d.expect("ipv6.src", 12, 16, "::1");
    }
    // An unknown family is data, with a note.
    let mut frame = 99u32.to_le_bytes().to_vec();
    frame.extend_from_slice(&v4);
    let d = decode(LinkType::NULL, &frame);
    assert!(d.noted(NoteCode::LinkUnsupported) && d.has_layer("data"));
}

#[test]
fn unsupported_link_type_is_data_with_a_note() {
    let d = decode(LinkType(147), &[1, 2, 3, 4]);
    assert!(d.noted(NoteCode::LinkUnsupported));
    d.expect("data.data", 0, 4, "01020304");
}

// ---------------------------------------------------------------------------------------------------------
// IPv4.

#[test]
fn ipv4_options() {
    // Router Alert (RFC 2113), a No-Operation, End of List and padding.
    let options = hex("94040000 01000000");
    let ip = Ip4::new([10, 0, 0, 1], [10, 0, 0, 2], 17);
    let packet = ip.packet_with_options(&options, &udp(1000, 2000, b"hi", None));
    let d = decode(LinkType::IPV4, &packet);
    d.expect("ip.hdr_len", 0, 1, "28");
    d.expect("ip.options", 20, 8, "9404000001000000");
    assert_eq!(d.values("ip.opt.type"), ["148", "1", "0"]);
    d.expect("ip.opt.type", 20, 1, "148");
    d.expect("ip.opt.len", 21, 1, "4");
    d.expect("ip.opt.data", 22, 2, "0000");
    d.expect("ip.checksum.status", 10, 0, "good");
    d.expect("udp.srcport", 28, 2, "1000");
    // An option whose length runs past the header.
    let bad = ip.packet_with_options(&hex("8920 0000"), &udp(1000, 2000, b"", None));
    let d = decode(LinkType::IPV4, &bad);
    let (at, _, _) = d.note(NoteCode::BadOption).expect("bad option note");
    assert_eq!(at, 20);
    d.expect("udp.dstport", 26, 2, "2000");
}

#[test]
fn ipv4_fragments() {
    let payload = udp(40592, 8472, &[vxlan(1), inner_ping(1)].concat(), None);
    let ip = Ip4 {
        id: 0xbeef,
        flags_frag: 0x2000, // more fragments, offset 0
        ..Ip4::new([172, 16, 100, 101], [172, 16, 100, 102], 17)
    };
    // The first fragment holds the UDP header and the start of the VXLAN packet.
    let first = ip.packet(&payload[..64]);
    let d = decode(LinkType::IPV4, &first);
    d.expect("ip.flags.mf", 6, 1, "true");
    d.expect("ip.frag_offset", 6, 2, "0");
    let (at, len, message) = d.note(NoteCode::Fragment).expect("fragment note");
    assert_eq!((at, len), (6, 2));
    assert!(message.contains("byte offset 0"), "{message}");
    d.expect("udp.dstport", 22, 2, "8472");
    d.expect("vxlan.vni", 32, 3, "1");
    // A fragment's datagram goes on in the next: no length overrun, no checksum to verify.
    assert!(!d.noted(NoteCode::LengthOverrun), "{:?}", d.codes());
    // A later fragment is data, with its offset.
    let later = Ip4 {
        flags_frag: 8, // offset 8 units = 64 bytes, last fragment
        ..ip
    }
    .packet(&payload[64..]);
    let d = decode(LinkType::IPV4, &later);
    d.expect("ip.frag_offset", 6, 2, "64");
    d.expect("ip.flags.mf", 6, 1, "false");
    assert!(d.has_layer("data") && !d.has_layer("udp"));
    assert!(
        d.note(NoteCode::Fragment)
            .unwrap()
            .2
            .contains("byte offset 64")
    );
    // The line says where a later fragment's bytes go; the first one's line is its datagram's.
    assert_eq!(
        summary(LinkType::IPV4, &later),
        "172.16.100.101 > 172.16.100.102 UDP fragment offset 64, ttl 64"
    );
    assert!(!summary(LinkType::IPV4, &first).contains("fragment"));
}

#[test]
fn ipv4_length_anomalies() {
    let ip = Ip4::new([10, 0, 0, 1], [10, 0, 0, 2], 17);
    let good = ip.packet(&udp(1, 2, b"abcd", None));
    // Total length 0 (GSO or BIG TCP on the sender): the length comes from the capture.
    let mut zero = good.clone();
    zero[2..4].copy_from_slice(&[0, 0]);
    let c = inet_checksum(&[&{
        let mut h = zero[..20].to_vec();
        h[10..12].copy_from_slice(&[0, 0]);
        h
    }]);
    zero[10..12].copy_from_slice(&c.to_be_bytes());
    let d = decode(LinkType::IPV4, &zero);
    assert!(d.noted(NoteCode::LengthZero));
    d.expect("udp.length", 24, 2, "12");
    // Total length past the end of the frame (not a snap length cut): an error.
    let d = decode(LinkType::IPV4, &good[..good.len() - 2]);
    let (at, _, message) = d.note(NoteCode::LengthOverrun).expect("overrun");
    assert_eq!(at, 2);
    assert!(message.contains("32 bytes"), "{message}");
    // The same bytes cut by a snap length are no error.
    let d = decode_with(
        Config::default(),
        LinkType::IPV4,
        &good[..good.len() - 2],
        good.len() as u32,
    );
    assert!(!d.noted(NoteCode::LengthOverrun));
    // A header length below 20.
    let mut short = good.clone();
    short[0] = 0x44;
    let d = decode(LinkType::IPV4, &short);
    assert!(d.noted(NoteCode::LengthShort));
    d.expect("ip.hdr_len", 0, 1, "16");
}

// ---------------------------------------------------------------------------------------------------------
// IPv6 and its extension headers.

#[test]
fn ipv6_extension_headers() {
    let (src, dst) = (ip6("2001:db8::1"), ip6("2001:db8::2"));
    let final_dst = ip6("2001:db8::99");
    let mut payload = vxlan(1);
    payload.extend_from_slice(&inner_ping(9));
    // The UDP checksum covers the final destination, which the routing header names.
    let datagram = udp(
        40000,
        4789,
        &payload,
        Some(&pseudo6(&src, &final_dst, 17, 8 + payload.len())),
    );
    let mut ext = Vec::new();
    // Hop-by-hop: next = routing (43), length 0; Router Alert (type 5, 2 bytes), PadN of 0 bytes.
    ext.extend_from_slice(&hex("2b00 0502 0000 0100"));
    // Segment routing header (type 4), next = fragment (44), one segment, segments left 1.
    ext.extend_from_slice(&hex("2c02 0401 0000 0000"));
    ext.extend_from_slice(&final_dst);
    // Fragment header: next = destination options (60), offset 0, last fragment, id 0x12345678.
    ext.extend_from_slice(&hex("3c00 0000 12345678"));
    // Destination options: next = UDP, length 0, PadN of 4 bytes.
    ext.extend_from_slice(&hex("1100 0104 00000000"));
    let packet_body = [ext.clone(), datagram].concat();
    let packet = ipv6(&src, &dst, 0, 64, &packet_body);
    let d = decode(LinkType::IPV6, &packet);
    d.expect("ipv6.nxt", 6, 1, "0");
    d.expect("ipv6.hopopts", 40, 8, "2b00050200000100");
    d.expect("ipv6.routing", 48, 24, &common_hex(&packet[48..72]));
    d.expect("ipv6.routing.type", 50, 1, "4");
    d.expect("ipv6.routing.segleft", 51, 1, "1");
    d.expect("ipv6.fragment", 72, 8, "3c00000012345678");
    d.expect("ipv6.fragment.offset", 74, 2, "0");
    d.expect("ipv6.fragment.more", 74, 2, "false");
    d.expect("ipv6.fragment.id", 76, 4, "0x12345678");
    d.expect("ipv6.dstopts", 80, 8, "1100010400000000");
    assert_eq!(d.values("ipv6.ext.nxt"), ["43", "44", "60", "17"]);
    assert_eq!(d.values("ipv6.opt.type"), ["0x05", "0x01", "0x01"]);
    assert_eq!(d.layer("ipv6"), Some((0, 88)));
    d.expect("udp.srcport", 88, 2, "40000");
    // An atomic fragment (offset 0, no more) is a whole packet: its UDP checksum is verified.
    d.expect("udp.checksum.status", 94, 0, "good");
    d.expect("vxlan.vni", 100, 3, "1");
    d.expect("inner.icmp.seq", 144, 2, "9");
}

fn common_hex(b: &[u8]) -> String {
    hex::encode(b)
}

#[test]
fn ipv6_fragment_with_more_to_come() {
    let (src, dst) = (ip6("fd00::1"), ip6("fd00::2"));
    let mut payload = vxlan(1);
    payload.extend_from_slice(&inner_ping(10));
    let datagram = udp(40000, 8472, &payload, None);
    let mut body = hex("1100 0001 0000abcd"); // next UDP, offset 0, more fragments
    body.extend_from_slice(&datagram[..48]);
    let d = decode(LinkType::IPV6, &ipv6(&src, &dst, 44, 64, &body));
    d.expect("ipv6.fragment.more", 42, 2, "true");
    assert!(d.noted(NoteCode::Fragment));
    d.expect("udp.checksum.status", 54, 0, "absent");
    assert!(!d.noted(NoteCode::LengthOverrun), "{:?}", d.codes());
    d.expect("vxlan.vni", 60, 3, "1");
    // A later fragment is data.
    let mut later = hex("1100 0030 0000abcd"); // offset 48, last
    later.extend_from_slice(&datagram[48..]);
    let d = decode(LinkType::IPV6, &ipv6(&src, &dst, 44, 64, &later));
    d.expect("ipv6.fragment.offset", 42, 2, "48");
    assert!(!d.has_layer("udp") && d.has_layer("data"));
    assert_eq!(
        summary(LinkType::IPV6, &ipv6(&src, &dst, 44, 64, &later)),
        "fd00::1 > fd00::2 UDP fragment offset 48, hlim 64"
    );
}

#[test]
fn ipv6_jumbo_and_zero_length() {
    let (src, dst) = (ip6("fd00::1"), ip6("fd00::2"));
    let datagram = udp(1, 2, b"jumbo", None);
    // Hop-by-hop with the jumbo payload option (RFC 2675), payload length 0.
    let mut body = hex("1100 c204");
    body.extend_from_slice(&((8 + datagram.len()) as u32).to_be_bytes());
    body.extend_from_slice(&datagram);
    let mut packet = ipv6(&src, &dst, 0, 64, &body);
    packet[4..6].copy_from_slice(&[0, 0]);
    let d = decode(LinkType::IPV6, &packet);
    d.expect("ipv6.opt.jumbo", 44, 4, "21");
    d.expect("udp.length", 52, 2, "13");
    assert!(!d.noted(NoteCode::LengthZero));
    // Payload length 0 without the option: BIG TCP or GSO on the sender.
    let mut packet = ipv6(&src, &dst, 17, 64, &datagram);
    packet[4..6].copy_from_slice(&[0, 0]);
    let d = decode(LinkType::IPV6, &packet);
    assert!(d.noted(NoteCode::LengthZero));
    d.expect("udp.dstport", 42, 2, "2");
}

// ---------------------------------------------------------------------------------------------------------
// TCP.

#[test]
fn tcp_with_options() {
    let ip = Ip4 {
        ttl: 63,
        flags_frag: 0x4000,
        ..Ip4::new([10, 244, 1, 12], [10, 244, 2, 14], 6)
    };
    // MSS 1410, SACK permitted, timestamps 1000/0, NOP, window scale 7.
    let options = hex("02040582 0402 080a000003e800000000 01 030307");
    let mut seg = Vec::new();
    seg.extend_from_slice(&43210u16.to_be_bytes());
    seg.extend_from_slice(&8080u16.to_be_bytes());
    seg.extend_from_slice(&0x3b9aca00u32.to_be_bytes());
    seg.extend_from_slice(&0u32.to_be_bytes());
    seg.extend_from_slice(&[0xa0, 0x02]); // data offset 10 words, SYN
    seg.extend_from_slice(&64860u16.to_be_bytes());
    seg.extend_from_slice(&[0, 0, 0, 0]);
    seg.extend_from_slice(&options);
    let c = inet_checksum(&[&ip.pseudo(seg.len()), &seg]);
    seg[16..18].copy_from_slice(&c.to_be_bytes());
    let frame = flannel(
        51234,
        8472,
        &ethernet(VTEP_B, VTEP_A, 0x0800, &ip.packet(&seg)),
    );
    let d = decode(LinkType::ETHERNET, &frame);
    let t = 84; // the inner TCP header starts here
    d.expect("inner.tcp.srcport", t, 2, "43210");
    d.expect("inner.tcp.dstport", t + 2, 2, "8080");
    d.expect("inner.tcp.seq", t + 4, 4, "1000000000");
    d.expect("inner.tcp.ack", t + 8, 4, "0");
    d.expect("inner.tcp.hdr_len", t + 12, 1, "40");
    d.expect("inner.tcp.flags", t + 12, 2, "0x002");
    d.expect("inner.tcp.flags.syn", t + 12, 2, "true");
    d.expect("inner.tcp.flags.ack", t + 12, 2, "false");
    d.expect("inner.tcp.window_size_value", t + 14, 2, "64860");
    d.expect("inner.tcp.checksum.status", t + 16, 0, "good");
    d.expect("inner.tcp.options", t + 20, 20, &hex::encode(&options));
    assert_eq!(d.values("inner.tcp.option_kind"), ["2", "4", "8", "1", "3"]);
    d.expect("inner.tcp.options.mss_val", t + 22, 2, "1410");
    d.expect("inner.tcp.options.timestamp.tsval", t + 28, 4, "1000");
    d.expect("inner.tcp.options.timestamp.tsecr", t + 32, 4, "0");
    d.expect("inner.tcp.options.wscale.shift", t + 39, 1, "7");
    d.expect("inner.tcp.len", t, 0, "0");
    assert_eq!(d.codes(), ["vxlan.port_8472"]);
    assert!(summary(LinkType::ETHERNET, &frame).ends_with(
        "| 10.244.1.12:43210 > 10.244.2.14:8080 TCP [S] seq 1000000000 win 64860 len 0, ttl 63"
    ));
    // A wrong inner checksum: flannel's tx-checksum-offload bug.
    let mut bad = frame.clone();
    bad[t as usize + 16] ^= 0xff;
    let d = decode(LinkType::ETHERNET, &bad);
    d.expect("inner.tcp.checksum.status", t + 16, 0, "bad");
    let (at, len, message) = d
        .note(NoteCode::InnerChecksumBad)
        .expect("inner checksum note");
    assert_eq!((at, len), (t + 16, 2));
    assert!(
        message.contains(&format!("should be 0x{c:04x}")),
        "{message}"
    );
}

#[test]
fn tcp_header_cut_short_keeps_its_whole_fields() {
    let ip = Ip4::new([10, 0, 0, 1], [10, 0, 0, 2], 6);
    let seg = hex("a8ca 1f90 00000005 00000000 5002 faf0 0000 0000");
    let packet = ip.packet(&seg[..12]);
    let d = decode(LinkType::IPV4, &packet);
    d.expect("tcp.srcport", 20, 2, "43210");
    d.expect("tcp.dstport", 22, 2, "8080");
    d.expect("tcp.seq", 24, 4, "5");
    d.expect("tcp.ack", 28, 4, "0");
    assert!(!d.has("tcp.flags") && !d.has("tcp.checksum"));
    let (at, len, _) = d.note(NoteCode::Truncated).expect("truncated");
    assert_eq!((at, len), (20, 12));
}

// ---------------------------------------------------------------------------------------------------------
// ICMP and ICMPv6.

#[test]
fn icmp_echo_request_and_reply() {
    let ip = Ip4::new([10, 0, 0, 1], [10, 0, 0, 2], 1);
    for (kind, word) in [(8, "echo request"), (0, "echo reply")] {
        let packet = ip.packet(&icmp(kind, 0, [0x12, 0x34, 0x00, 0x07], b"payload", None));
        let d = decode(LinkType::IPV4, &packet);
        d.expect("icmp.type", 20, 1, &kind.to_string());
        d.expect("icmp.ident", 24, 2, "4660");
        d.expect("icmp.seq", 26, 2, "7");
        d.expect("icmp.checksum.status", 22, 0, "good");
        d.expect("icmp.data", 28, 7, &hex::encode(b"payload"));
        assert_eq!(
            summary(LinkType::IPV4, &packet),
            format!("10.0.0.1 > 10.0.0.2 ICMP {word} id 4660 seq 7, ttl 64")
        );
    }
}

#[test]
fn icmpv6_echo() {
    let (src, dst) = (ip6("fd00:10:244:1::c"), ip6("fd00:10:244:2::e"));
    let body = b"ping6";
    let pseudo = pseudo6(&src, &dst, 58, 8 + body.len());
    let packet = ipv6(
        &src,
        &dst,
        58,
        63,
        &icmp(128, 0, [0x0c, 0x48, 0, 7], body, Some(&pseudo)),
    );
    let d = decode(LinkType::IPV6, &packet);
    d.expect("icmpv6.type", 40, 1, "128");
    d.expect("icmpv6.checksum.status", 42, 0, "good");
    d.expect("icmpv6.echo.identifier", 44, 2, "3144");
    d.expect("icmpv6.echo.sequence_number", 46, 2, "7");
    assert_eq!(
        summary(LinkType::IPV6, &packet),
        "fd00:10:244:1::c > fd00:10:244:2::e ICMPv6 echo request id 3144 seq 7, hlim 63"
    );
}

#[test]
fn icmp_port_unreachable_quoting_a_vxlan_packet() {
    // k8s-node2 has nothing on UDP 8472 (flannel.1 missing): it refuses the VXLAN packet and quotes it whole.
    let refused = vxlan_ip_packet();
    let ip = Ip4::new([172, 16, 100, 102], [172, 16, 100, 101], 1);
    let frame = ethernet(
        MAC_A,
        MAC_B,
        0x0800,
        &ip.packet(&icmp(3, 3, [0; 4], &refused, None)),
    );
    let d = decode(LinkType::ETHERNET, &frame);
    d.expect("icmp.type", 34, 1, "3");
    d.expect("icmp.code", 35, 1, "3");
    d.expect("icmp.checksum.status", 36, 0, "good");
    let q = 42; // the quoted packet starts here
    d.expect("quoted.ip.src", q + 12, 4, "172.16.100.101");
    d.expect("quoted.ip.dst", q + 16, 4, "172.16.100.102");
    d.expect("quoted.ip.checksum.status", q + 10, 0, "good");
    d.expect("quoted.udp.srcport", q + 20, 2, "40592");
    d.expect("quoted.udp.dstport", q + 22, 2, "8472");
    d.expect("quoted.vxlan.vni", q + 32, 3, "1");
    d.expect("quoted.inner.ip.src", q + 62, 4, "10.244.1.12");
    d.expect("quoted.inner.icmp.seq", q + 76, 2, "1102");
    // ICMP inside a quote is left unverified; nothing in a quote raises a note (tcpdump prints no OTV line
    // there, so the 8472 note has nothing to explain); the refusal is a flannel diagnosis.
    d.expect("quoted.inner.icmp.checksum.status", q + 72, 0, "unverified");
    assert_eq!(d.codes(), ["flannel.port_unreachable"]);
    assert_eq!(
        summary(LinkType::ETHERNET, &frame),
        "172.16.100.102 > 172.16.100.101 ICMP port unreachable for 172.16.100.101:40592 > 172.16.100.102:8472 UDP VXLAN vni 1, ttl 64 [flannel.port_unreachable]"
    );
}

#[test]
fn icmp_fragmentation_needed_with_mtu() {
    // A router quotes the IP header and 8 bytes: the UDP header of the VXLAN packet.
    let quoted = &vxlan_ip_packet()[..28];
    let ip = Ip4::new([172, 16, 100, 1], [172, 16, 100, 101], 1);
    let packet = ip.packet(&icmp(3, 4, [0, 0, 0x05, 0x78], quoted, None));
    let d = decode(LinkType::IPV4, &packet);
    d.expect("icmp.code", 21, 1, "4");
    d.expect("icmp.unused", 24, 2, "0000");
    d.expect("icmp.mtu", 26, 2, "1400");
    d.expect("quoted.udp.dstport", 50, 2, "8472");
    // The quoted UDP length says more than the quote holds: no note, no checksum verified. The path MTU is a
    // flannel diagnosis.
    d.expect("quoted.udp.checksum.status", 54, 0, "absent");
    assert_eq!(d.codes(), ["flannel.mtu_exceeded"]);
    assert_eq!(
        summary(LinkType::IPV4, &packet),
        "172.16.100.1 > 172.16.100.101 ICMP fragmentation needed, mtu 1400 for 172.16.100.101:40592 > 172.16.100.102:8472 UDP, ttl 64 [flannel.mtu_exceeded]"
    );
}

#[test]
fn icmp_time_exceeded_quoting_tcp() {
    let inner = Ip4::new([10, 0, 0, 1], [10, 0, 0, 2], 6);
    let tcp = hex("a8ca 0050 01020304 00000000 5002 faf0 0000 0000");
    let quoted = &inner.packet(&tcp)[..28]; // IP header and the first 8 bytes of TCP
    let ip = Ip4::new([192, 0, 2, 1], [10, 0, 0, 1], 1);
    let packet = ip.packet(&icmp(11, 0, [0; 4], quoted, None));
    let d = decode(LinkType::IPV4, &packet);
    d.expect("icmp.type", 20, 1, "11");
    d.expect("quoted.tcp.srcport", 48, 2, "43210");
    d.expect("quoted.tcp.dstport", 50, 2, "80");
    d.expect("quoted.tcp.seq", 52, 4, "16909060");
    assert!(d.codes().is_empty(), "{:?}", d.codes());
    assert_eq!(
        summary(LinkType::IPV4, &packet),
        "192.0.2.1 > 10.0.0.1 ICMP time exceeded in transit for 10.0.0.1:43210 > 10.0.0.2:80 TCP, ttl 64"
    );
}

#[test]
fn icmpv6_packet_too_big_and_unreachable_quoting_vxlan() {
    let (node1, node2, router) = (ip6("fd00::101"), ip6("fd00::102"), ip6("fd00::1"));
    let mut payload = vxlan(1);
    payload.extend_from_slice(&inner_ping(5));
    let datagram = udp(
        44321,
        8472,
        &payload,
        Some(&pseudo6(&node1, &node2, 17, 8 + payload.len())),
    );
    let refused = ipv6(&node1, &node2, 17, 64, &datagram);
    for (kind, code, rest, word) in [
        (2u8, 0u8, 1280u32.to_be_bytes(), "packet too big, mtu 1280"),
        (1, 4, [0; 4], "port unreachable"),
    ] {
        let from = if kind == 2 { router } else { node2 };
        let body_len = 8 + refused.len();
        let message = icmp(
            kind,
            code,
            rest,
            &refused,
            Some(&pseudo6(&from, &node1, 58, body_len)),
        );
        let packet = ipv6(&from, &node1, 58, 64, &message);
        let d = decode(LinkType::IPV6, &packet);
        d.expect("icmpv6.type", 40, 1, &kind.to_string());
        d.expect("icmpv6.checksum.status", 42, 0, "good");
        if kind == 2 {
            d.expect("icmpv6.mtu", 44, 4, "1280");
        }
        d.expect("quoted.ipv6.src", 56, 16, "fd00::101");
        d.expect("quoted.udp.dstport", 90, 2, "8472");
        // The whole datagram is quoted: its checksum is verified.
        d.expect("quoted.udp.checksum.status", 94, 0, "good");
        d.expect("quoted.vxlan.vni", 100, 3, "1");
        d.expect("quoted.inner.icmp.seq", 144, 2, "5");
        assert!(
            summary(LinkType::IPV6, &packet).contains(&format!(
                "ICMPv6 {word} for [fd00::101]:44321 > [fd00::102]:8472 UDP VXLAN vni 1"
            )),
            "{}",
            summary(LinkType::IPV6, &packet)
        );
    }
}

#[test]
fn icmp_error_between_pods_inside_vxlan() {
    let dns = Ip4::new([10, 244, 1, 12], [10, 244, 2, 14], 17).packet(&udp(41000, 53, b"q", None));
    let ip = Ip4 {
        ttl: 63,
        ..Ip4::new([10, 244, 2, 14], [10, 244, 1, 12], 1)
    };
    let inner = ethernet(
        VTEP_A,
        VTEP_B,
        0x0800,
        &ip.packet(&icmp(3, 3, [0; 4], &dns, None)),
    );
    let d = decode(LinkType::ETHERNET, &flannel(57011, 8472, &inner));
    d.expect("inner.icmp.type", 84, 1, "3");
    d.expect("inner.quoted.udp.dstport", 114, 2, "53");
    d.expect("inner.quoted.udp.checksum.status", 118, 0, "absent");
}

// ---------------------------------------------------------------------------------------------------------
// VXLAN and its variants.

fn outer_udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let ip = Ip4::new([192, 0, 2, 1], [192, 0, 2, 2], 17);
    ethernet(
        MAC_B,
        MAC_A,
        0x0800,
        &ip.packet(&udp(sport, dport, payload, None)),
    )
}

#[test]
fn vxlan_group_based_policy() {
    // G and I flags; don't learn and policy applied; group 100; VNI 3000001.
    let mut payload = hex("88 48 0064 2dc6c1 00");
    payload.extend_from_slice(&inner_ping(1));
    let frame = outer_udp(50000, 4789, &payload);
    for gbp in [false, true] {
        let config = Config {
            gbp,
            ..Config::default()
        };
        let d = decode_with(config, LinkType::ETHERNET, &frame, frame.len() as u32);
        d.expect("vxlan.flags", 42, 1, "0x88");
        d.expect("vxlan.flag_g", 42, 1, "true");
        d.expect("vxlan.gbp_flags", 43, 1, "0x48");
        d.expect("vxlan.flag_d", 43, 1, "true");
        d.expect("vxlan.flag_a", 43, 1, "true");
        d.expect("vxlan.gbp", 44, 2, "100");
        d.expect("vxlan.vni", 46, 3, "3000001");
        assert!(!d.has("vxlan.reserved"));
        d.expect("inner.icmp.seq", 90, 2, "1");
        // Without GBP configured, Linux drops it: a warning.
        assert_eq!(d.noted(NoteCode::VxlanFlagsInvalid), !gbp);
        assert!(!d.noted(NoteCode::Port8472));
    }
}

#[test]
fn vxlan_reserved_bits_and_missing_i_flag() {
    for (header, problem) in [
        ("08 087f7f 00012c 00", "reserved bits are set"),
        ("00 000000 000001 00", "the I flag is clear"),
        ("0c 000003 000001 00", "reserved bits are set"),
    ] {
        let mut payload = hex(header);
        payload.extend_from_slice(&inner_ping(1));
        let d = decode(LinkType::ETHERNET, &outer_udp(50000, 4789, &payload));
        let (at, len, message) = d.note(NoteCode::VxlanFlagsInvalid).expect("flags note");
        assert_eq!((at, len), (42, 8));
        assert!(message.starts_with(problem), "{message}");
        assert!(
            d.has_layer("inner.eth"),
            "the frame inside is still decoded"
        );
    }
}

#[test]
fn vxlan_gpe_on_4790() {
    let frame = inner_ping(2);
    for (next, inner_layer) in [(1u8, "inner.ip"), (3, "inner.eth")] {
        let mut payload = vec![0x0c, 0, 0, next, 0, 0x03, 0xe8, 0];
        payload.extend_from_slice(if next == 1 { &frame[14..] } else { &frame });
        let d = decode(LinkType::ETHERNET, &outer_udp(50000, 4790, &payload));
        assert!(d.has_layer("vxlan_gpe") && !d.has_layer("vxlan"));
        d.expect("vxlan.flag_p", 42, 1, "true");
        d.expect("vxlan.next_proto", 45, 1, &next.to_string());
        d.expect("vxlan.vni", 46, 3, "1000");
        assert_eq!(d.layer(inner_layer).map(|(o, _)| o), Some(50));
        assert_eq!(d.value("inner.icmp.seq"), "2");
    }
    // NSH (4) is not decoded: data and a note.
    let mut payload = vec![0x0c, 0, 0, 4, 0, 0x03, 0xe8, 0];
    payload.extend_from_slice(b"nsh");
    let d = decode(LinkType::ETHERNET, &outer_udp(50000, 4790, &payload));
    assert!(d.noted(NoteCode::GpeNextProtocol));
    d.expect("data.data", 50, 3, "6e7368");
}

#[test]
fn the_8472_note_and_other_ports() {
    let frame = flannel(40592, 8472, &inner_ping(1));
    assert!(decode(LinkType::ETHERNET, &frame).noted(NoteCode::Port8472));
    // On 4789 there is nothing to explain.
    let frame = flannel(40592, 4789, &inner_ping(1));
    let d = decode(LinkType::ETHERNET, &frame);
    assert!(d.has_layer("vxlan") && !d.noted(NoteCode::Port8472));
    // Source port 8472 alone also makes VXLAN (replies of some implementations).
    let frame = flannel(8472, 33000, &inner_ping(1));
    assert!(decode(LinkType::ETHERNET, &frame).has_layer("vxlan"));
    // Another port is plain UDP, until configured (`--port`).
    let frame = flannel(40592, 9999, &inner_ping(1));
    assert!(!decode(LinkType::ETHERNET, &frame).has_layer("vxlan"));
    let mut config = Config::default();
    config.vxlan_ports.push(9999);
    let d = decode_with(config, LinkType::ETHERNET, &frame, frame.len() as u32);
    d.expect("vxlan.vni", 46, 3, "1");
    // UDP 4500 is IPsec NAT-T, even towards 8472.
    let frame = flannel(4500, 8472, &inner_ping(1));
    let d = decode(LinkType::ETHERNET, &frame);
    assert!(!d.has_layer("vxlan") && d.has_layer("data"));
}

#[test]
fn nested_vxlan_and_the_depth_limit() {
    // VXLAN in VXLAN in VXLAN: inner.inner.inner; a fourth level is data with a note.
    let mut frame = inner_ping(1);
    for _ in 0..4 {
        frame = flannel(40000, 4789, &frame);
    }
    let d = decode(LinkType::ETHERNET, &frame);
    assert!(d.has_layer("inner.vxlan") && d.has_layer("inner.inner.vxlan"));
    assert!(d.has_layer("inner.inner.inner.eth"));
    // The fourth VXLAN header is decoded; the frame it carries is data, with a note.
    assert!(d.has("inner.inner.inner.vxlan.vni"));
    assert!(d.has_layer("inner.inner.inner.data"));
    let (at, _, _) = d.note(NoteCode::TooDeep).expect("too deep");
    assert_eq!(at, 4 * 50);
    d.expect("inner.inner.vxlan.vni", 46 + 2 * 50, 3, "1");
}

#[test]
fn arp_inside_vxlan() {
    let arp = hex("0001 0800 06 04 0001 02420a000005 0a000005 000000000000 0a000002");
    let inner = ethernet([0xff; 6], [0x02, 0x42, 0x0a, 0, 0, 5], 0x0806, &arp);
    let frame = flannel(49152, 4789, &inner);
    let d = decode(LinkType::ETHERNET, &frame);
    d.expect("inner.arp.opcode", 70, 2, "1");
    d.expect("inner.arp.src.hw_mac", 72, 6, "02:42:0a:00:00:05");
    d.expect("inner.arp.src.proto_ipv4", 78, 4, "10.0.0.5");
    d.expect("inner.arp.dst.proto_ipv4", 88, 4, "10.0.0.2");
    assert!(summary(LinkType::ETHERNET, &frame).ends_with("| ARP who-has 10.0.0.2 tell 10.0.0.5"));
}

// ---------------------------------------------------------------------------------------------------------
// Checksums.

#[test]
fn bad_and_partial_checksums() {
    let good = flannel(40592, 8472, &inner_ping(1102));
    // Outer IPv4 header checksum wrong.
    let mut f = good.clone();
    f[24] ^= 0x01;
    let d = decode(LinkType::ETHERNET, &f);
    d.expect("ip.checksum.status", 24, 0, "bad");
    let (at, _, message) = d.note(NoteCode::ChecksumBad).expect("checksum note");
    assert_eq!(at, 24);
    assert!(message.ends_with("it should be 0xe3f4"), "{message}");
    // Outer UDP checksum of a VXLAN packet wrong: the receiver drops it.
    let ip = Ip4::new([172, 16, 100, 101], [172, 16, 100, 102], 17);
    let payload = [vxlan(1), inner_ping(1)].concat();
    let datagram = udp(40592, 8472, &payload, Some(&ip.pseudo(8 + payload.len())));
    let right = u16::from_be_bytes([datagram[6], datagram[7]]);
    let mut f = ethernet(MAC_B, MAC_A, 0x0800, &ip.packet(&datagram));
    let d = decode(LinkType::ETHERNET, &f);
    d.expect("udp.checksum.status", 40, 0, "good");
    f[41] ^= 0x10;
    let d = decode(LinkType::ETHERNET, &f);
    d.expect("udp.checksum.status", 40, 0, "bad");
    let (_, _, message) = d
        .note(NoteCode::OuterChecksumBad)
        .expect("outer checksum note");
    assert!(
        message.contains(&format!("should be 0x{right:04x}")),
        "{message}"
    );
    // Inner ICMP checksum wrong.
    let mut f = good.clone();
    f[87] ^= 0x01;
    let d = decode(LinkType::ETHERNET, &f);
    d.expect("inner.icmp.checksum.status", 86, 0, "bad");
    assert!(
        d.note(NoteCode::InnerChecksumBad)
            .unwrap()
            .2
            .contains("should be 0x847d")
    );
    // A UDP checksum holding only the pseudo-header sum: offload on the sender, not a fault.
    let inner_ip = Ip4::new([10, 244, 1, 12], [10, 244, 2, 14], 17);
    let mut datagram = udp(41001, 53, b"query", None);
    let pseudo_sum = !inet_checksum(&[&inner_ip.pseudo(datagram.len())]);
    datagram[6..8].copy_from_slice(&pseudo_sum.to_be_bytes());
    let inner = ethernet(VTEP_B, VTEP_A, 0x0800, &inner_ip.packet(&datagram));
    let d = decode(LinkType::ETHERNET, &flannel(40000, 8472, &inner));
    d.expect("inner.udp.checksum.status", 90, 0, "partial");
    assert!(d.noted(NoteCode::ChecksumPartial) && !d.noted(NoteCode::InnerChecksumBad));
}

/// A TCP segment (20-byte header, ACK and PSH) with its checksum over `pseudo`.
fn tcp_segment(sport: u16, dport: u16, payload: &[u8], pseudo: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&0x1000_0001u32.to_be_bytes());
    t.extend_from_slice(&0x2000_0001u32.to_be_bytes());
    t.extend_from_slice(&[0x50, 0x18, 0xfd, 0x20, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    let c = inet_checksum(&[pseudo, &t]);
    t[16..18].copy_from_slice(&c.to_be_bytes());
    t
}

/// A VXLAN packet as the kernel sends it with checksum offload: the outer UDP checksum computed with the inner
/// transport checksum (at `inner_checksum_at`, an offset in `inner`) complete — local checksum offload — and the
/// inner checksum then put back to its partial value, the pseudo-header sum the NIC would complete.
fn lco_packet(
    outer_v6: bool,
    inner: &[u8],
    inner_checksum_at: usize,
    inner_pseudo: &[u8],
) -> Vec<u8> {
    let payload = [vxlan(1), inner.to_vec()].concat();
    let mut frame = if outer_v6 {
        let (src, dst) = (ip6("fd00:11::11"), ip6("fd00:11::12"));
        let pseudo = pseudo6(&src, &dst, 17, 8 + payload.len());
        let datagram = udp(40592, 8472, &payload, Some(&pseudo));
        ethernet(MAC_B, MAC_A, 0x86dd, &ipv6(&src, &dst, 17, 64, &datagram))
    } else {
        let ip = Ip4::new([172, 16, 100, 101], [172, 16, 100, 102], 17);
        let datagram = udp(40592, 8472, &payload, Some(&ip.pseudo(8 + payload.len())));
        ethernet(MAC_B, MAC_A, 0x0800, &ip.packet(&datagram))
    };
    let partial = !inet_checksum(&[inner_pseudo]);
    let at = frame.len() - inner.len() + inner_checksum_at;
    frame[at..at + 2].copy_from_slice(&partial.to_be_bytes());
    frame
}

#[test]
fn local_checksum_offload_of_the_outer_checksum_is_not_a_fault() {
    let inner_ip = Ip4::new([10, 244, 1, 12], [10, 244, 2, 14], 6);
    let request = b"GET / HTTP/1.0\r\n\r\n";
    let segment = tcp_segment(41000, 8080, request, &inner_ip.pseudo(20 + request.len()));
    let tcp_pseudo = inner_ip.pseudo(segment.len());
    let tcp_inner = ethernet(VTEP_B, VTEP_A, 0x0800, &inner_ip.packet(&segment));
    let udp_ip = Ip4::new([10, 244, 1, 12], [10, 244, 2, 14], 17);
    let udp_pseudo = udp_ip.pseudo(8 + 5);
    let udp_inner = ethernet(
        VTEP_B,
        VTEP_A,
        0x0800,
        &udp_ip.packet(&udp(41001, 53, b"query", Some(&udp_pseudo))),
    );
    // Where the inner transport checksum lies in the inner frame: Ethernet 14, IPv4 20, then TCP 16 or UDP 6.
    for (outer_v6, inner, at, pseudo, what) in [
        (false, &tcp_inner, 14 + 20 + 16, &tcp_pseudo, "TCP"),
        (false, &udp_inner, 14 + 20 + 6, &udp_pseudo, "UDP"),
        (true, &tcp_inner, 14 + 20 + 16, &tcp_pseudo, "TCP"),
        (true, &udp_inner, 14 + 20 + 6, &udp_pseudo, "UDP"),
    ] {
        let case = format!("{what} inside IPv{}", if outer_v6 { 6 } else { 4 });
        let outer_udp = if outer_v6 { 14 + 40 } else { 14 + 20 };
        let frame = lco_packet(outer_v6, inner, at, pseudo);
        let d = decode(LinkType::ETHERNET, &frame);
        d.expect("udp.checksum.status", outer_udp as u32 + 6, 0, "lco");
        let inner_status = format!("inner.{}.checksum.status", what.to_lowercase());
        let inner_at = (frame.len() - inner.len() + at) as u32;
        d.expect(&inner_status, inner_at, 0, "partial");
        let (note_at, _, message) = d.note(NoteCode::OuterChecksumLco).expect(&case);
        assert_eq!(note_at, outer_udp as u32 + 6, "{case}");
        assert!(
            message.contains(&format!("inner {what} checksum is still partial")),
            "{case}: {message}"
        );
        assert!(
            !d.noted(NoteCode::OuterChecksumBad),
            "{case}: {:?}",
            d.codes()
        );
        assert_eq!(
            NoteCode::OuterChecksumLco.def().severity,
            vxscope_dissector::notes::Severity::Chat
        );

        // Off by one in the outer checksum: not what LCO computes, a real fault.
        let mut wrong = frame.clone();
        wrong[outer_udp + 7] ^= 0x01;
        let d = decode(LinkType::ETHERNET, &wrong);
        d.expect("udp.checksum.status", outer_udp as u32 + 6, 0, "bad");
        assert!(
            d.noted(NoteCode::OuterChecksumBad) && !d.noted(NoteCode::OuterChecksumLco),
            "{case}"
        );

        // The inner checksum complete (filled in by the NIC) and the outer one then right: good, no note.
        let mut filled = frame.clone();
        let inner_start = frame.len() - inner.len();
        filled[inner_start + at..inner_start + at + 2].copy_from_slice(&inner[at..at + 2]);
        let d = decode(LinkType::ETHERNET, &filled);
        d.expect("udp.checksum.status", outer_udp as u32 + 6, 0, "good");
        d.expect(&inner_status, inner_at, 0, "good");
        assert!(
            d.codes().iter().all(|c| !c.contains("checksum")),
            "{case}: {:?}",
            d.codes()
        );

        // A wrong outer checksum over a complete inner segment is an error still, whatever LCO could explain.
        filled[outer_udp + 7] ^= 0x01;
        let d = decode(LinkType::ETHERNET, &filled);
        d.expect("udp.checksum.status", outer_udp as u32 + 6, 0, "bad");
        assert!(
            d.noted(NoteCode::OuterChecksumBad) && !d.noted(NoteCode::OuterChecksumLco),
            "{case}"
        );
    }
}

#[test]
fn ethernet_padding_is_labelled() {
    // A 60-byte minimum frame: 14 + 20 + 8 bytes of UDP, 18 bytes of padding.
    let ip = Ip4::new([10, 0, 0, 1], [10, 0, 0, 2], 17);
    let mut frame = ethernet(MAC_B, MAC_A, 0x0800, &ip.packet(&udp(1, 2, &[], None)));
    frame.resize(60, 0);
    let d = decode(LinkType::ETHERNET, &frame);
    d.expect("eth.padding", 42, 18, &"00".repeat(18));
    assert!(d.codes().is_empty(), "{:?}", d.codes());
}
