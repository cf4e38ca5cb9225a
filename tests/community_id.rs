//! The Community ID fields against tshark's (`--enable-protocol communityid`) on every frame of every sample.
//! tshark computes one ID a frame, of the innermost flow it decoded; vxscope one a scope (`community_id`,
//! `inner.community_id`, ...), so the deepest vxscope gives is compared. The spec's own test vectors are
//! checked in `dissector/src/community_id.rs`.

use std::process::Command;

use vxscope_tests::{captures_under, require_tool, root, stderr, stdout, target_dir, vxscope};

const TSHARK_OPTIONS: &[&str] = &[
    "-n",
    "-d",
    "udp.port==8472,vxlan",
    "-o",
    "ip.defragment:FALSE",
    "-o",
    "ipv6.defragment:FALSE",
    "-o",
    "tcp.desegment_tcp_streams:FALSE",
    "-o",
    "udp.try_heuristic_first:FALSE",
    "--enable-protocol",
    "communityid",
];

#[test]
fn the_innermost_flow_has_tsharks_community_id() {
    require_tool("mergecap");
    require_tool("tshark");
    let mut files = captures_under(&root().join("samples"));
    files.retain(|p| !p.starts_with(root().join("samples/rewrite")));
    let capture = target_dir().join("community-id-samples.pcapng");
    let status = Command::new("mergecap")
        .args(["-a", "-I", "none", "-F", "pcapng", "-w"])
        .arg(&capture)
        .args(&files)
        .status()
        .expect("run mergecap");
    assert!(status.success());
    let columns = [
        "frame.number",
        "community_id",
        "inner.community_id",
        "inner.inner.community_id",
        "ip.frag_offset",
        "inner.ip.frag_offset",
        "ipv6.fragment.more",
    ];
    let mut args = vec![
        "dissect",
        "-T",
        "fields",
        "-E",
        "separator=,",
        "-E",
        "occurrence=f",
    ];
    for c in columns {
        args.extend(["-e", c]);
    }
    let path = capture.to_str().unwrap();
    args.push(path);
    let o = vxscope(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let ours = stdout(&o);
    let o = Command::new("tshark")
        .arg("-r")
        .arg(&capture)
        .args(TSHARK_OPTIONS)
        .args([
            "-T",
            "fields",
            "-E",
            "separator=,",
            "-e",
            "frame.number",
            "-e",
            "communityid",
        ])
        .output()
        .expect("run tshark");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let theirs = String::from_utf8(o.stdout).unwrap();
    let (ours, theirs): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), theirs.lines().collect());
    assert_eq!(ours.len(), theirs.len());
    let (mut equal, mut fragments, mut failures) = (0, 0, Vec::new());
    for (a, b) in ours.iter().zip(&theirs) {
        let a: Vec<&str> = a.split(',').collect();
        let (frame, theirs) = b.split_once(',').unwrap();
        assert_eq!(a[0], frame);
        let deepest = a[1..4]
            .iter()
            .rev()
            .find(|v| !v.is_empty())
            .copied()
            .unwrap_or("");
        if deepest == theirs {
            equal += usize::from(!theirs.is_empty());
            continue;
        }
        // A later fragment holds no transport header: its flow's ports are elsewhere, so vxscope gives no ID;
        // tshark hashes its addresses and protocol alone (an ID no monitor that reassembles would give).
        let later_fragment = a[4..6]
            .iter()
            .any(|o| o.parse::<u64>().is_ok_and(|o| o > 0));
        if deepest.is_empty() && later_fragment {
            fragments += 1;
            continue;
        }
        // The first fragment of an IPv6 packet: tshark (without reassembly) stops at the fragment header and
        // hashes addresses and protocol alone; vxscope decodes the UDP header the first fragment holds.
        if a[6] == "1" && !deepest.is_empty() && !theirs.is_empty() {
            fragments += 1;
            continue;
        }
        failures.push(format!(
            "frame {frame}: vxscope {:?}, tshark {theirs:?}",
            &a[1..4]
        ));
    }
    eprintln!("{equal} IDs equal, {fragments} fragments explained");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(equal > 300, "{equal}");
}
