//! `vxscope strip` end to end, checked against tshark's view of the same captures and against editcap.

#[path = "rewrite_common.rs"]
mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use vxscope_tests as support;

/// Files tshark cannot decode at all (BIG TCP: IPv4 total length 0), checked by their own test.
fn tshark_cannot_decode(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().contains("bigtcp"))
}

/// Strips `input` (VXLAN packets only) into pcap and pcapng, and compares both with tshark's inner frames:
/// same frames, byte for byte, same timestamps to the nanosecond, original lengths from the UDP length.
fn check_against_tshark(input: &Path, dir: &Path) -> usize {
    let expected = tshark_inner_frames(input);
    for format in ["pcap", "pcapng"] {
        let out = dir.join(format!("stripped.{format}"));
        let o = vxscope(&[
            "strip".as_ref(),
            input.as_os_str(),
            out.as_os_str(),
            "--other".as_ref(),
            "drop".as_ref(),
            "--format".as_ref(),
            format.as_ref(),
        ]);
        assert_ok(&o, &format!("strip {}", input.display()));
        let ours = read_capture(&out).frames;
        let name = input.display();
        assert_eq!(
            ours.len(),
            expected.len(),
            "{name} ({format}): {} inner frames, tshark finds {}\n{}",
            ours.len(),
            expected.len(),
            support::stderr(&o)
        );
        for (o, e) in ours.iter().zip(&expected) {
            assert_eq!(
                o.data, e.inner,
                "{name} ({format}), frame {}: bytes",
                e.frame
            );
            assert_eq!(
                o.ts_ns, e.ts_ns,
                "{name} ({format}), frame {}: timestamp",
                e.frame
            );
            assert_eq!(o.link, 1, "{name}: stripped frames are Ethernet");
            if let Some(wire) = e.inner_wire_len {
                assert_eq!(
                    o.orig_len, wire,
                    "{name} ({format}), frame {}: original length",
                    e.frame
                );
            }
        }
    }
    expected.len()
}

#[test]
fn strip_matches_tshark_on_every_vxlan_capture_of_the_project() {
    let dir = scratch("strip-tshark");
    let mut total = 0;
    let mut files = 0;
    for input in project_captures() {
        if tshark_cannot_decode(&input) {
            continue;
        }
        total += check_against_tshark(&input, &dir);
        files += 1;
    }
    // The project's own samples and the public copies hold this many VXLAN packets: the test checked them.
    assert!(files >= 15, "only {files} captures found");
    assert!(total >= 150, "only {total} inner frames compared");
}

#[test]
fn strip_matches_tshark_on_the_shared_corpus() {
    let Some(corpus) = support::shared_corpus() else {
        eprintln!("no shared corpus next to the repository: covered by the project's copies only");
        return;
    };
    let dir = scratch("strip-tshark-corpus");
    let mut total = 0;
    for input in support::captures_under(&corpus.join("vxlan")) {
        if tshark_cannot_decode(&input) {
            continue;
        }
        total += check_against_tshark(&input, &dir);
    }
    assert!(total > 10_000, "{total} inner frames compared");
}

#[test]
fn big_tcp_packets_strip_to_the_end_of_the_capture() {
    // IPv4 total length 0 and UDP length 0 (the lengths do not fit 16 bits): tshark stops at the outer IPv4
    // header. Its header length and the UDP ports still show where the VXLAN header is.
    let input = support::data("rewrite/tcpdump-bigtcp-ipv4-vxlan-ipv4.pcap");
    let rows = tshark_fields(&input, &["ip.hdr_len", "ip.proto"], &[]);
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0][0].as_str(), rows[0][1].as_str()), ("20", "17"));
    let frame = &read_capture(&input).frames[0];
    assert_eq!(&frame.data[16..18], &[0, 0], "IPv4 total length 0");
    let udp = 14 + 20;
    assert_eq!(&frame.data[udp + 2..udp + 4], &4789u16.to_be_bytes());
    assert_eq!(&frame.data[udp + 4..udp + 6], &[0, 0], "UDP length 0");
    let inner = udp + 16;

    let dir = scratch("strip-bigtcp");
    let out = dir.join("out.pcap");
    let o = vxscope(&["strip".as_ref(), input.as_os_str(), out.as_os_str()]);
    assert_ok(&o, "strip");
    let ours = read_capture(&out).frames;
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].data, frame.data[inner..]);
    assert_eq!(ours[0].orig_len, frame.orig_len - inner as u32);
    assert_eq!(ours[0].ts_ns, frame.ts_ns);
}

/// Compares with `editcap -C 50 -L -F pcap`, which cuts 50 bytes blindly: right for untagged IPv4 VXLAN
/// without IP options.
fn check_against_editcap(input: &Path, dir: &Path) {
    support::require_tool("editcap");
    let ours = dir.join("ours.pcap");
    let theirs = dir.join("editcap.pcap");
    let o = vxscope(&["strip".as_ref(), input.as_os_str(), ours.as_os_str()]);
    assert_ok(&o, "strip");
    let e = Command::new("editcap")
        .args(["-C", "50", "-L", "-F", "pcap"])
        .arg(input)
        .arg(&theirs)
        .output()
        .expect("run editcap");
    assert!(e.status.success(), "editcap: {}", support::stderr(&e));
    let (a, b) = (read_capture(&ours), read_capture(&theirs));
    assert!(!a.frames.is_empty());
    assert_eq!(a.frames, b.frames, "{}", input.display());
    assert_eq!(a.nanos, b.nanos);
    // Frame for frame, and here the files are the same to the byte.
    assert_eq!(
        std::fs::read(&ours).unwrap(),
        std::fs::read(&theirs).unwrap()
    );
}

#[test]
fn strip_equals_editcap_on_plain_ipv4_vxlan() {
    let dir = scratch("strip-editcap");
    for name in ["tcpdump-vxlan.pcap", "tcpdump-vxlan_port_8472.pcap"] {
        check_against_editcap(&support::data(&format!("rewrite/{name}")), &dir);
    }
    check_against_editcap(&support::sample("seed.pcap"), &dir);
}

#[test]
fn other_packets_keep_their_bytes_time_and_comments_in_order() {
    let input = support::sample("rewrite/node-nic.pcapng");
    let dir = scratch("strip-other");
    let out = dir.join("out.pcapng");
    let o = vxscope(&[
        "strip".as_ref(),
        input.as_os_str(),
        out.as_os_str(),
        "--annotate".as_ref(),
    ]);
    assert_ok(&o, "strip");
    let err = support::stderr(&o);
    // Frames 8 and 9 are the two outer IPv4 fragments of one VXLAN datagram: stripped as one, at frame 9.
    assert!(
        err.contains("11 packets read") && err.contains("7 stripped, 3 kept, 0 dropped, 0 damaged"),
        "{err}"
    );
    assert!(
        err.contains("reassembled: 2 outer IP fragments (first: frame 8) into 1 datagram, each stripped at the place and time of its last fragment"),
        "{err}"
    );

    let before = read_capture(&input);
    let after = read_capture(&out);
    assert_eq!(after.frames.len(), before.frames.len() - 1);
    // The input's frame of each output frame: every one but frame 8, whose datagram is written at frame 9.
    let from: Vec<usize> = (0..before.frames.len()).filter(|&i| i != 7).collect();
    // Frames 3 (ARP), 6 (TCP 6443), 11 (DNS, cooked v2) are not VXLAN.
    for (i, b) in [2usize, 5, 10].map(|i| (from.iter().position(|&f| f == i).unwrap(), i)) {
        let (b, a) = (&before.frames[b], &after.frames[i]);
        assert_eq!(a.data, b.data, "frame {}", i + 1);
        assert_eq!(
            (a.ts_ns, a.orig_len, a.link),
            (b.ts_ns, b.orig_len, b.link),
            "frame {}",
            i + 1
        );
        assert_eq!(a.comments, b.comments, "frame {}", i + 1);
    }
    // Every timestamp is the input's, to the nanosecond, in the input's order.
    let times: Vec<u128> = from.iter().map(|&i| before.frames[i].ts_ns).collect();
    assert_eq!(
        after.frames.iter().map(|f| f.ts_ns).collect::<Vec<_>>(),
        times
    );
    assert_eq!(after.frames[0].ts_ns % 1000, 123, "nanoseconds kept");

    // Stripped packets keep their comments, and --annotate adds the outer headers.
    assert_eq!(
        after.frames[0].comments,
        [
            "the article's packet (tcpdump -XX on ens192)",
            "172.16.100.101:40592 > 172.16.100.102:8472 vni 1"
        ]
    );
    assert_eq!(
        after.frames[3].comments,
        [
            "outer 802.1Q tag",
            "172.16.100.101:40592 > 172.16.100.102:8472 vni 1 vlan 100"
        ]
    );
    assert_eq!(
        after.frames[4].comments,
        ["[fd00:172:16:100::101]:33000 > [fd00:172:16:100::102]:4789 vni 1"]
    );
    // The datagram of the two fragments, put back together, carried the frame make_rewrite_samples.py split
    // with scapy: Ethernet, IPv4 and UDP from pod A to pod B around 1280 bytes, 0 to 255 five times.
    let joined = &after.frames[7];
    let payload: Vec<u8> = (0..=255u8).cycle().take(1280).collect();
    assert_eq!(joined.data.len(), 14 + 20 + 8 + 1280);
    assert!(joined.data.ends_with(&payload));
    assert_eq!(joined.ts_ns, before.frames[8].ts_ns);
    // The cooked-v2 interface keeps its link type for the DNS packet; its stripped packet is Ethernet.
    assert_eq!((after.frames[8].link, after.frames[9].link), (1, 276));
    let names: Vec<_> = after
        .interfaces
        .iter()
        .map(|(l, n)| (*l, n.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        names,
        [
            (1, "ens192".to_string()),
            (1, "any".to_string()),
            (276, "any".to_string())
        ]
    );

    // The packet the snap length cut keeps what was captured; its length on the wire is the inner frame's.
    let cut = &after.frames[6];
    assert_eq!((cut.data.len(), cut.orig_len), (80 - 50, 98));
    assert_eq!(cut.data[..], before.frames[6].data[50..80]);

    // tshark reads the comments back too.
    let rows = tshark_fields(&out, &["frame.comment"], &[]);
    assert!(
        rows[1][0].contains("172.16.100.102:51234 > 172.16.100.101:8472 vni 1"),
        "{:?}",
        rows[1]
    );
}

#[test]
fn other_drop_leaves_only_the_inner_frames() {
    let input = support::sample("rewrite/node-nic.pcapng");
    let dir = scratch("strip-drop");
    let out = dir.join("out.pcapng");
    let o = vxscope(&[
        "strip".as_ref(),
        input.as_os_str(),
        out.as_os_str(),
        "--other".as_ref(),
        "drop".as_ref(),
    ]);
    assert_ok(&o, "strip");
    let err = support::stderr(&o);
    assert!(
        err.contains("7 stripped, 0 kept, 3 dropped, 0 damaged"),
        "{err}"
    );
    let after = read_capture(&out);
    assert_eq!(after.frames.len(), 7);
    assert!(after.frames.iter().all(|f| f.link == 1));
}

#[test]
fn cooked_captures_into_pcap_become_ethernet() {
    let input = support::sample("rewrite/any-sll.pcap");
    let dir = scratch("strip-sll");
    let out = dir.join("out.pcap");
    let o = vxscope(&["strip".as_ref(), input.as_os_str(), out.as_os_str()]);
    assert_ok(&o, "strip");
    let err = support::stderr(&o);
    assert!(err.contains("1 stripped, 3 kept"), "{err}");
    assert!(
        err.contains("3 packets of other link types written as Ethernet frames"),
        "{err}"
    );
    let before = read_capture(&input).frames;
    let after = read_capture(&out);
    assert!(!after.nanos);
    assert_eq!(after.frames.len(), 4);
    assert!(after.frames.iter().all(|f| f.link == 1));
    let mac = |f: &Frame, r: std::ops::Range<usize>| hex::encode(&f.data[r]);
    // The ARP broadcast from 00:50:56:93:63:3b: broadcast destination, the cooked address as source.
    let arp = &after.frames[1];
    assert_eq!(
        (mac(arp, 0..6), mac(arp, 6..12), mac(arp, 12..14)),
        ("ffffffffffff".into(), "00505693633b".into(), "0806".into())
    );
    assert_eq!(arp.data[14..], before[1].data[16..]);
    assert_eq!(arp.orig_len, before[1].orig_len - 2);
    // A unicast packet: the destination is not in the cooked header.
    let tcp = &after.frames[2];
    assert_eq!(
        (mac(tcp, 0..6), mac(tcp, 6..12)),
        ("000000000000".into(), "005056931122".into())
    );
    // The loopback datagram has no link-layer address at all.
    assert_eq!(mac(&after.frames[3], 0..12), "0".repeat(24));
    // tshark decodes the converted frames as what they were.
    let rows = tshark_fields(&out, &["frame.protocols"], &[]);
    assert_eq!(rows[1][0], "eth:ethertype:arp");
    assert_eq!(rows[2][0], "eth:ethertype:ip:tcp");

    // pcapng keeps each link type on an interface of its own instead.
    let out = dir.join("out.pcapng");
    let o = vxscope(&[
        "strip".as_ref(),
        input.as_os_str(),
        out.as_os_str(),
        "--format".as_ref(),
        "pcapng".as_ref(),
    ]);
    assert_ok(&o, "strip");
    let after = read_capture(&out).frames;
    assert_eq!(
        after.iter().map(|f| f.link).collect::<Vec<_>>(),
        [1, 113, 113, 113]
    );
    for i in 1..4 {
        assert_eq!(after[i].data, before[i].data);
    }
}

#[test]
fn annotate_needs_pcapng() {
    let input = support::data("rewrite/tcpdump-vxlan.pcap");
    let dir = scratch("strip-annotate");
    let out = dir.join("out.pcap");
    let o = vxscope(&[
        "strip".as_ref(),
        input.as_os_str(),
        out.as_os_str(),
        "--annotate".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        support::stderr(&o).contains("add --format pcapng"),
        "{}",
        support::stderr(&o)
    );
    assert!(!out.exists());
}

#[test]
fn extra_ports_are_stripped_too() {
    // The article's packet moved to port 9999 by remap, then stripped with --port 9999.
    let dir = scratch("strip-port");
    let moved = dir.join("moved.pcap");
    let seed = support::sample("seed.pcap");
    assert_ok(
        &vxscope(&[
            "remap".as_ref(),
            seed.as_os_str(),
            moved.as_os_str(),
            "--port".as_ref(),
            "8472:9999".as_ref(),
        ]),
        "remap",
    );
    let out = dir.join("out.pcap");
    let o = vxscope(&["strip".as_ref(), moved.as_os_str(), out.as_os_str()]);
    assert_ok(&o, "strip");
    assert!(
        support::stderr(&o).contains("0 stripped, 1 kept"),
        "{}",
        support::stderr(&o)
    );
    let o = vxscope(&[
        "strip".as_ref(),
        moved.as_os_str(),
        out.as_os_str(),
        "--port".as_ref(),
        "9999".as_ref(),
    ]);
    assert_ok(&o, "strip");
    assert!(
        support::stderr(&o).contains("1 stripped"),
        "{}",
        support::stderr(&o)
    );
    assert_eq!(
        read_capture(&out).frames[0].data,
        read_capture(&seed).frames[0].data[50..]
    );
}

#[test]
fn standard_input_and_output() {
    let input = support::data("rewrite/tcpdump-vxlan.pcap");
    let o = Command::new(support::vxscope_bin())
        .args(["strip", "-", "-"])
        .stdin(std::fs::File::open(&input).unwrap())
        .output()
        .unwrap();
    assert_ok(&o, "strip - -");
    let dir = scratch("strip-stdio");
    let file = dir.join("out.pcap");
    std::fs::write(&file, &o.stdout).unwrap();
    assert_eq!(read_capture(&file).frames.len(), 10);
    assert!(support::stderr(&o).contains("wrote standard output"));
}

#[test]
fn raw_ip_captures() {
    // The article's packet without its Ethernet header, as a capture on a tunnel or `any` device without
    // link-layer headers holds it (editcap -T rawip).
    support::require_tool("editcap");
    let dir = scratch("strip-raw");
    let raw = dir.join("raw.pcap");
    let seed = support::sample("seed.pcap");
    let e = Command::new("editcap")
        .args(["-C", "14", "-L", "-T", "rawip", "-F", "pcap"])
        .arg(&seed)
        .arg(&raw)
        .output()
        .unwrap();
    assert!(e.status.success(), "{}", support::stderr(&e));
    assert_eq!(read_capture(&raw).frames[0].link, 101);
    let out = dir.join("out.pcap");
    assert_ok(
        &vxscope(&["strip".as_ref(), raw.as_os_str(), out.as_os_str()]),
        "strip",
    );
    let inner = &read_capture(&out).frames[0];
    let frame = &read_capture(&seed).frames[0];
    assert_eq!((inner.link, inner.orig_len), (1, 98));
    assert_eq!(inner.data, frame.data[50..]);
    assert_eq!(inner.ts_ns, frame.ts_ns);
}

#[test]
fn an_existing_output_is_replaced_whole_and_nothing_is_left_beside_it() {
    let input = support::sample("seed.pcap");
    let dir = scratch("strip-replace");
    let fresh = dir.join("fresh.pcap");
    assert_ok(
        &vxscope(&["strip".as_ref(), input.as_os_str(), fresh.as_os_str()]),
        "strip to a new file",
    );
    // An older, longer output in the way: the new one takes its place, none of the old bytes remain.
    let out = dir.join("out.pcap");
    std::fs::write(&out, vec![0xa5; 100_000]).unwrap();
    for run in ["over a longer file", "over its own output"] {
        assert_ok(
            &vxscope(&["strip".as_ref(), input.as_os_str(), out.as_os_str()]),
            run,
        );
        assert_eq!(
            std::fs::read(&out).unwrap(),
            std::fs::read(&fresh).unwrap(),
            "{run}"
        );
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["fresh.pcap", "out.pcap"]);
}
