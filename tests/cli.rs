//! `vxscope dissect` and `vxscope fields` end to end: options, the bundled sample, and cross-checks of what
//! the output claims against tcpdump (the OTV line the 8472 note quotes) and scapy (the checksums the notes
//! say a packet should carry).

use std::process::Command;

use vxscope_tests::{captures_under, data, require_tool, root, sample, stderr, stdout, vxscope};

fn lines(args: &[&str]) -> Vec<String> {
    let out = vxscope(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out).lines().map(str::to_string).collect()
}

fn golden(name: &str) -> Vec<String> {
    std::fs::read_to_string(sample("golden").join(name))
        .expect("golden file")
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn frame_selection() {
    let tcp = sample("tcp-vxlan.pcap").display().to_string();
    let all = golden("tcp-vxlan.pcap.txt");
    assert_eq!(lines(&["dissect", "-c", "3", &tcp]), all[..3]);
    assert_eq!(lines(&["dissect", "--frame", "5", &tcp]), all[4..5]);
    assert_eq!(lines(&["dissect", "--frames", "2-4", &tcp]), all[1..4]);
    assert_eq!(lines(&["dissect", "--frames", "8-", &tcp]), all[7..]);
    assert_eq!(
        lines(&["dissect", "--frames", "2-9", "-c", "2", &tcp]),
        all[1..3]
    );
    let json = lines(&["dissect", "--json", "--frame", "9", &tcp]);
    let v: serde_json::Value = serde_json::from_str(&json[0]).unwrap();
    assert_eq!(v["frame"], 9);
    // Bad ranges are refused by the argument parser (status 2), with a reason.
    let out = vxscope(["dissect", "--frames", "5-2", &tcp]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("frames are numbered from 1"));
}

#[test]
fn extra_ports_and_readings() {
    // vxlan.pcap of tcpdump's tests is VXLAN on 4789; with its port moved, --port finds it again.
    let bytes = std::fs::read(data("corpus/vxlan/tcpdump/vxlan.pcap")).unwrap();
    let moved = bytes
        .windows(2)
        .enumerate()
        .filter(|(_, w)| *w == 4789u16.to_be_bytes())
        .map(|(i, _)| i)
        .collect::<Vec<_>>();
    assert_eq!(moved.len(), 10, "one destination port 4789 a packet");
    let mut b = bytes.clone();
    for i in moved {
        b[i..i + 2].copy_from_slice(&6000u16.to_be_bytes());
    }
    let path = vxscope_tests::target_dir().join("vxlan-on-6000.pcap");
    std::fs::write(&path, &b).unwrap();
    let p = path.display().to_string();
    let plain = lines(&["dissect", &p]);
    assert!(
        plain
            .iter()
            .all(|l| l.contains(" UDP ") && !l.contains("VXLAN"))
    );
    let found = lines(&["dissect", "--port", "6000", &p]);
    assert!(
        found.iter().all(|l| l.contains(":6000 VXLAN vni 100 |")),
        "{found:?}"
    );
    // --decode-as otv and --gbp, on the samples.
    let seed = sample("seed.pcap").display().to_string();
    assert!(
        lines(&["dissect", "--decode-as", "otv", &seed])[0].contains("OTV overlay 0 instance 1")
    );
    let gbp = sample("gbp-gpe.pcap").display().to_string();
    assert!(lines(&["dissect", &gbp])[0].ends_with("[vxlan.flags_invalid]"));
    assert!(!lines(&["dissect", "--gbp", &gbp])[0].contains("flags_invalid"));
}

#[test]
fn no_arguments_dissects_the_bundled_sample() {
    let out = vxscope::<[&str; 0], &str>([]);
    assert!(out.status.success());
    let text = stdout(&out);
    // The same tree as `dissect -V` of samples/seed.pcap, after a few words of introduction.
    let tree = std::fs::read_to_string(sample("golden/seed.pcap.tree.txt")).unwrap();
    assert!(text.ends_with(&tree), "{text}");
    assert!(text.starts_with("vxscope: the bundled sample"));
}

#[test]
fn fields_lists_the_registry() {
    let all = lines(&["fields"]);
    for name in [
        "eth.dst",
        "ip.ttl",
        "udp.dstport",
        "vxlan.flags",
        "vxlan.vni",
        "otv.instance",
        "icmp.seq",
        "tcp.options.mss_val",
    ] {
        assert!(
            all.iter()
                .any(|l| l.split_whitespace().next() == Some(name)),
            "{name} missing"
        );
    }
    let vxlan = lines(&["fields", "vxlan"]);
    assert!(
        vxlan
            .iter()
            .filter(|l| !l.starts_with('#'))
            .all(|l| l.starts_with("vxlan"))
    );
}

#[test]
fn the_8472_note_quotes_what_tcpdump_prints() {
    // For every capture with UDP 8472, the OTV line of the note is, word for word, what tcpdump 4.99 prints.
    require_tool("tcpdump");
    let mut captures = captures_under(&root().join("samples"));
    // (tcpdump 4.99 refuses a pcapng file whose interfaces have different link types.)
    captures.retain(|p| !p.ends_with("interfaces.pcapng"));
    captures.push(data("corpus/vxlan/tcpdump/vxlan_port_8472.pcap"));
    let mut checked = 0;
    for path in captures {
        let p = path.display().to_string();
        let json = lines(&["dissect", "--json", &p]);
        let tcpdump = Command::new("tcpdump")
            .args(["-nn", "-r", &p])
            .output()
            .expect("run tcpdump");
        // (Nor any other pcapng whose interfaces differ in link type, such as samples/rewrite/node-nic.pcapng.)
        let mixed = "different from the type of the first interface";
        if !tcpdump.status.success() && String::from_utf8_lossy(&tcpdump.stderr).contains(mixed) {
            continue;
        }
        assert!(tcpdump.status.success(), "tcpdump -r {p} failed");
        let theirs = String::from_utf8_lossy(&tcpdump.stdout).into_owned();
        for line in json {
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            for note in v["notes"].as_array().unwrap() {
                if note["code"] != "vxlan.port_8472" {
                    continue;
                }
                let message = note["message"].as_str().unwrap();
                let quoted = message.split('"').nth(1).expect("quoted OTV line");
                assert!(
                    theirs.contains(quoted),
                    "{p}: tcpdump never prints {quoted:?}:\n{theirs}"
                );
                checked += 1;
            }
        }
    }
    // (The note is given once a capture, on its first packet on UDP 8472.)
    assert!(checked >= 8, "{checked} notes checked");
}

/// The byte offset of a later fragment that tcpdump -v gives on a packet's first line, from its first IP
/// header: IPv4's `offset N` in the header's parentheses, IPv6's `frag (0xID:N|LEN)`; `None` for offset 0 and
/// for a packet of neither.
fn tcpdump_fragment_offset(line: &str) -> Option<u64> {
    let (_, rest) = line.split_once(' ')?;
    let number = |s: &str| -> Option<u64> {
        let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    let offset = if let Some(header) = rest.strip_prefix("IP (") {
        number(header.split(')').next()?.split("offset ").nth(1)?)?
    } else if rest.starts_with("IP6 (") {
        let frag = rest.split(" frag (0x").nth(1)?;
        number(frag.split(':').nth(1)?)?
    } else {
        return None;
    };
    Some(offset).filter(|&o| o > 0)
}

#[test]
fn later_fragments_say_the_offset_tcpdump_gives() {
    // A later IP fragment has no transport header: its line says where its bytes go, and the offset is, frame
    // for frame, the one tcpdump -v prints for the packet's first IP header.
    require_tool("tcpdump");
    let (mut captures, mut fragments) = (0, 0);
    for path in captures_under(&root().join("samples")) {
        let p = path.display().to_string();
        let tcpdump = Command::new("tcpdump")
            .args(["-nn", "-v", "-r", &p])
            .output()
            .expect("run tcpdump");
        if !tcpdump.status.success() {
            // (tcpdump 4.99 refuses a pcapng file whose interfaces differ in link type.)
            continue;
        }
        let packet_start = |l: &&str| l.as_bytes().get(2) == Some(&b':') && !l.starts_with(' ');
        let theirs: Vec<Option<u64>> = String::from_utf8_lossy(&tcpdump.stdout)
            .lines()
            .filter(packet_start)
            .map(tcpdump_fragment_offset)
            .collect();
        let ours: Vec<Option<u64>> = lines(&["dissect", &p])
            .iter()
            .map(|l| {
                let first = l.split(" | ").next().unwrap();
                let (_, after) = first.split_once(" fragment offset ")?;
                after.split(',').next()?.parse().ok()
            })
            .collect();
        assert_eq!(ours.len(), theirs.len(), "{p}: packets");
        if theirs.iter().any(Option::is_some) {
            assert_eq!(ours, theirs, "{p}: later fragments' offsets");
            captures += 1;
            fragments += theirs.iter().flatten().count();
        }
    }
    // samples/flannel/diagnoses/mtu_exceeded.pcap and the two NIC captures of samples/lab/underlay-mtu/.
    assert!(
        captures >= 3 && fragments >= 10,
        "{captures} captures, {fragments} fragments"
    );
}

#[test]
fn checksums_agree_with_scapy() {
    // scapy recomputes the inner IPv4, UDP, TCP and ICMP checksums; where vxscope says "good", scapy's value
    // must be the one on the wire, and where vxscope says "bad", the note's "should be" value must be scapy's.
    require_tool("python3");
    // The samples of whole VXLAN packets whose inner checksums are right, wrong, or left to offload.
    let mut statuses = Vec::new();
    for name in ["bad-checksums.pcap", "tcp-vxlan.pcap"] {
        let p = sample(name).display().to_string();
        let expected = scapy_checksums(&p);
        let json = lines(&["dissect", "--json", &p]);
        for (line, scapy) in json.iter().zip(&expected) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let fields = &v["fields"];
            for (proto, wire, right) in scapy {
                let key = format!("inner.{proto}.checksum");
                let status = fields[format!("{key}.status")].as_str().unwrap_or("");
                let on_wire = u16::from_str_radix(
                    fields[&key]
                        .as_str()
                        .unwrap_or("0x0")
                        .trim_start_matches("0x"),
                    16,
                )
                .unwrap();
                assert_eq!(on_wire, *wire, "{name} frame {}: {key}", v["frame"]);
                statuses.push(status.to_string());
                match status {
                    "good" => assert_eq!(wire, right, "{name} frame {}: {key} good", v["frame"]),
                    "bad" => {
                        assert_ne!(wire, right);
                        let should = format!("should be 0x{right:04x}");
                        assert!(
                            v["notes"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .any(|n| n["message"].as_str().unwrap().contains(&should)),
                            "{name} frame {}: no note says {should}",
                            v["frame"]
                        );
                    }
                    // Offload: the field holds the pseudo-header sum, scapy computes the real checksum.
                    "partial" => assert_ne!(wire, right),
                    other => panic!("{name} frame {}: {key} status {other:?}", v["frame"]),
                }
            }
        }
    }
    for status in ["good", "bad", "partial"] {
        assert!(
            statuses.iter().any(|s| s == status),
            "no {status} checksum compared"
        );
    }
    // The inner IPv4 header and the transport header of each of the 14 frames.
    assert_eq!(statuses.len(), 28, "checksums compared");
}

/// For each frame of a capture of VXLAN packets, scapy's reading of the inner IPv4, UDP, TCP and ICMP
/// checksums: (protocol, value on the wire, value scapy computes).
fn scapy_checksums(path: &str) -> Vec<Vec<(String, u16, u16)>> {
    let script = r#"
import sys, json
from scapy.all import rdpcap, Ether, IP, UDP, TCP, ICMP, raw
for p in rdpcap(sys.argv[1]):
    # scapy does not bind 8472 to VXLAN: read the bytes after the outer UDP header (and the 8-byte VXLAN header)
    # as the inner Ethernet frame.
    outer = p[UDP]
    inner = Ether(raw(outer.payload)[8:])
    result = []
    for cls, name in ((IP, "ip"), (UDP, "udp"), (TCP, "tcp"), (ICMP, "icmp")):
        if cls in inner:
            layer = inner[cls]
            wire = layer.chksum
            copy = inner.copy()
            copy[cls].chksum = None
            right = Ether(raw(copy))[cls].chksum
            result.append([name, wire, right])
    print(json.dumps(result))
"#;
    let out = Command::new("/usr/bin/python3")
        .args(["-c", script, path])
        .output()
        .expect("run scapy");
    assert!(
        out.status.success(),
        "scapy failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("scapy JSON"))
        .collect()
}
