//! `vxscope remap` end to end: against tcprewrite, and checked by tshark.

#[path = "rewrite_common.rs"]
mod common;

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use common::*;
use vxscope_tests as support;

fn remap(input: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<&OsStr> = vec!["remap".as_ref(), input.as_os_str(), out.as_os_str()];
    args.extend(extra.iter().map(|a| OsStr::new(*a)));
    vxscope(&args)
}

fn checksums(path: &Path) -> Vec<Vec<String>> {
    tshark_fields(
        path,
        &[
            "udp.srcport",
            "udp.dstport",
            "vxlan.vni",
            "udp.checksum",
            "udp.checksum.status",
        ],
        &[
            "-d",
            "udp.port==8472,vxlan",
            "-o",
            "udp.check_checksum:TRUE",
        ],
    )
}

#[test]
fn remap_agrees_with_tcprewrite_portmap() {
    support::require_tool("tcprewrite");
    let dir = scratch("remap-tcprewrite");
    for input in [
        support::sample("flannel/cluster.pcap"),
        support::data("rewrite/tcpdump-vxlan_port_8472.pcap"),
        support::sample("seed.pcap"),
    ] {
        let ours = dir.join("ours.pcap");
        let theirs = dir.join("tcprewrite.pcap");
        assert_ok(&remap(&input, &ours, &["--port", "8472:4789"]), "remap");
        let t = Command::new("tcprewrite")
            .arg("--portmap=8472:4789")
            .arg("-i")
            .arg(&input)
            .arg("-o")
            .arg(&theirs)
            .output()
            .expect("run tcprewrite");
        assert!(t.status.success(), "tcprewrite: {}", support::stderr(&t));
        let (a, b) = (read_capture(&ours).frames, read_capture(&theirs).frames);
        assert!(!a.is_empty());
        assert_eq!(a, b, "{}", input.display());
    }
}

#[test]
fn only_ports_vni_and_checksum_change() {
    let dir = scratch("remap-bytes");
    let input = support::sample("rewrite/node-nic.pcapng");
    let out = dir.join("out.pcapng");
    let o = remap(&input, &out, &["--port", "8472:4789", "--vni", "1:4096"]);
    assert_ok(&o, "remap");
    let err = support::stderr(&o);
    assert!(
        err.contains("7 remapped, 0 unchanged, 4 kept, 0 dropped, 0 damaged"),
        "{err}"
    );
    assert!(
        err.contains("4 updated incrementally, 3 left as they were"),
        "{err}"
    );

    let before = read_capture(&input);
    let after = read_capture(&out);
    assert_eq!(after.frames.len(), before.frames.len());
    // Where the UDP header of each VXLAN packet is: untagged IPv4, 802.1Q, IPv6, cooked v2.
    let udp_at = [
        Some(34),
        Some(34),
        None,
        Some(38),
        Some(54),
        None,
        Some(34),
        Some(34),
        None,
        Some(40),
        None,
    ];
    for (i, (a, b)) in after.frames.iter().zip(&before.frames).enumerate() {
        assert_eq!(
            (a.ts_ns, a.orig_len, a.link, &a.comments),
            (b.ts_ns, b.orig_len, b.link, &b.comments)
        );
        assert_eq!(a.data.len(), b.data.len());
        let differ: Vec<usize> = (0..a.data.len())
            .filter(|&j| a.data[j] != b.data[j])
            .collect();
        match udp_at[i] {
            None => assert!(
                differ.is_empty(),
                "frame {}: not VXLAN, changed at {differ:?}",
                i + 1
            ),
            Some(u) => {
                let allowed = [u, u + 1, u + 2, u + 3, u + 6, u + 7, u + 12, u + 13, u + 14];
                assert!(
                    differ.iter().all(|j| allowed.contains(j)),
                    "frame {}: changed at {differ:?}",
                    i + 1
                );
                assert!(!differ.is_empty(), "frame {}", i + 1);
            }
        }
    }
    // tshark: port 4789, VNI 4096; a checksum that was right still is (frame 9's after reassembly of the two
    // fragments), one that was zero still is.
    let rows = checksums(&out);
    // tshark shows the fragmented datagram (frames 8 and 9) reassembled, on frame 9.
    for i in [0, 1, 3, 4, 6, 8, 9] {
        let r = &rows[i];
        assert_eq!(
            (r[1].as_str(), r[2].as_str()),
            ("4789", "4096"),
            "frame {}",
            i + 1
        );
    }
    let status: Vec<&str> = rows.iter().map(|r| r[4].as_str()).collect();
    assert_eq!(status, ["3", "1", "", "1", "1", "", "3", "", "1", "3", "1"]);
    // The source port was not 8472: left alone.
    assert_eq!(rows[0][0], "40592");
}

#[test]
fn checksum_modes() {
    let dir = scratch("remap-checksums");
    let input = support::sample("rewrite/node-nic.pcapng");
    let out = dir.join("compute.pcapng");
    let o = remap(&input, &out, &["--vni", "1:7", "--udp-checksum", "compute"]);
    assert_ok(&o, "remap");
    let err = support::stderr(&o);
    assert!(
        err.contains("5 computed") && err.contains("2 not computable (datagram cut or fragmented)"),
        "{err}"
    );
    let status: Vec<String> = checksums(&out).into_iter().map(|r| r[4].clone()).collect();
    // Frame 7 was cut by the snap length and had no checksum: it cannot be summed and stays without one. The
    // fragmented datagram's checksum was updated incrementally, and tshark finds it right once frames 8 and 9
    // are reassembled.
    assert_eq!(status, ["1", "1", "", "1", "1", "", "3", "", "1", "1", "1"]);

    let out = dir.join("zero.pcapng");
    assert_ok(
        &remap(&input, &out, &["--vni", "1:7", "--udp-checksum", "zero"]),
        "remap",
    );
    let rows = checksums(&out);
    for i in [0, 1, 3, 4, 6, 9] {
        assert_eq!(rows[i][3], "0x0000", "frame {}", i + 1);
    }

    // A wrong checksum stays wrong with keep: the receiver would still drop the packet.
    let bad = support::sample("flannel/diagnoses/outer_checksum_bad.pcap");
    let out = dir.join("bad.pcap");
    assert_ok(&remap(&bad, &out, &["--port", "8472:4789"]), "remap");
    let rows = checksums(&out);
    assert!(
        rows.iter().all(|r| r[4] == "0"),
        "tshark: bad checksum: {rows:?}"
    );
}

/// The first frame where two captures differ.
fn first_difference(a: &[Frame], b: &[Frame]) -> Option<usize> {
    if a.len() != b.len() {
        return Some(a.len().min(b.len()));
    }
    a.iter().zip(b).position(|(x, y)| x != y)
}

#[test]
fn inverse_maps_restore_the_capture() {
    // Inverse maps undo each other on packets that were not already on a map's target port or VNI (the
    // IPv6 packet of node-nic.pcapng is on 4789 from the start: only its VNI is mapped there and back).
    let dir = scratch("remap-inverse");
    for (input, there, back) in [
        (
            support::sample("rewrite/node-nic.pcapng"),
            &["--vni", "1:4096"][..],
            &["--vni", "4096:1"][..],
        ),
        (
            support::sample("flannel/cluster.pcap"),
            &["--port", "8472:4789", "--vni", "1:4096"][..],
            &["--port", "4789:8472", "--vni", "4096:1"][..],
        ),
    ] {
        let mid = dir.join("there");
        let end = dir.join("back");
        assert_ok(&remap(&input, &mid, there), "remap");
        assert_ok(&remap(&mid, &end, back), "remap back");
        let original = read_capture(&input).frames;
        let restored = read_capture(&end).frames;
        assert_eq!(
            first_difference(&restored, &original),
            None,
            "{}",
            input.display()
        );
        assert!(first_difference(&read_capture(&mid).frames, &original).is_some());
    }
}

#[test]
fn packets_no_map_names_are_unchanged() {
    let dir = scratch("remap-unchanged");
    let out = dir.join("out.pcap");
    let o = remap(
        &support::sample("seed.pcap"),
        &out,
        &["--vni", "7:8", "--other", "drop"],
    );
    assert_ok(&o, "remap");
    assert!(
        support::stderr(&o).contains("0 remapped, 1 unchanged, 0 kept, 0 dropped"),
        "{}",
        support::stderr(&o)
    );
    assert_eq!(
        read_capture(&out).frames,
        read_capture(&support::sample("seed.pcap")).frames
    );
}

#[test]
fn bad_maps_are_refused() {
    let dir = scratch("remap-args");
    let out = dir.join("out.pcap");
    let input = support::sample("seed.pcap");
    for (args, message) in [
        (
            &["--port", "8472:4789", "--port", "8472:9999"][..],
            "mapped twice",
        ),
        (&["--vni", "1:16777216"][..], "24 bits"),
        (&[][..], "nothing to remap"),
        (&["--port", "8472"][..], "expected A:B"),
    ] {
        let o = remap(&input, &out, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            support::stderr(&o).contains(message),
            "{args:?}: {}",
            support::stderr(&o)
        );
        assert!(!out.exists());
    }
}
