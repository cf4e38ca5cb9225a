//! Every decoding option (`--port`, `--gpe-port`, `--decode-as`, `--gbp`) through every command that decodes
//! (`dissect`, `hexdump`, `topology`, `strip`, `encap`, `remap`): each command accepts it and reads the
//! packets as `dissect` does with it, on captures where the option changes what the packets are.

use std::path::{Path, PathBuf};
use std::process::Output;

use vxscope_capture::{CaptureReader, CaptureWriter, FileFormat};
use vxscope_tests::{sample, stderr, stdout, target_dir, vxscope};

/// A fresh scratch directory for this test file.
fn scratch() -> PathBuf {
    let dir = target_dir().join("decode-options-tests");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copies the pcap `from` to `to`, the UDP destination port `old` of each IPv4 packet (Ethernet, IPv4 without
/// options, UDP checksum 0 as in the samples used) changed to `new`.
fn move_udp_port(from: &Path, to: &Path, old: u16, new: u16) {
    let bytes = std::fs::read(from).unwrap();
    let mut reader = CaptureReader::new(&bytes[..]).unwrap();
    let iface = reader.interfaces()[0].clone();
    let mut out = Vec::new();
    let nanos = reader.format() == FileFormat::Pcap { nanos: true };
    let mut writer = CaptureWriter::pcap(&mut out, iface.link_type, iface.snaplen, nanos).unwrap();
    let mut moved = 0;
    while let Some(p) = reader.next_packet().unwrap() {
        let mut data = p.data.to_vec();
        // Ethernet 14 + IPv4 20: the UDP header; its destination port at 2..4, its checksum at 6..8.
        if data.len() >= 42 && data[12..14] == [8, 0] && data[23] == 17 {
            assert_eq!(data[40..42], [0, 0], "a UDP checksum to keep right");
            if data[36..38] == old.to_be_bytes() {
                data[36..38].copy_from_slice(&new.to_be_bytes());
                moved += 1;
            }
        }
        writer
            .write_packet(0, p.ts, p.orig_len, &data, &[])
            .unwrap();
    }
    writer.flush().unwrap();
    drop(writer);
    assert!(moved > 0, "no packet to UDP {old} in {}", from.display());
    std::fs::write(to, out).unwrap();
}

fn run(args: &[&str]) -> Output {
    let out = vxscope(args);
    assert!(
        out.status.success(),
        "vxscope {}: {}",
        args.join(" "),
        stderr(&out)
    );
    out
}

/// What a run printed on standard output.
fn text(args: &[&str]) -> String {
    stdout(&run(args))
}

/// The report of a rewrite on standard error, and the capture it wrote.
fn rewrite(command: &str, input: &Path, output: &Path, args: &[&str]) -> (String, Vec<u8>) {
    let (i, o) = (input.display().to_string(), output.display().to_string());
    let mut all = vec![command, &i, &o];
    all.extend_from_slice(args);
    let out = run(&all);
    (stderr(&out), std::fs::read(output).unwrap())
}

/// The count a rewrite's report gives before `what` ("stripped", "remapped").
fn count(report: &str, what: &str) -> u64 {
    let at = report
        .find(&format!(" {what}"))
        .unwrap_or_else(|| panic!("no {what:?} in {report}"));
    report[..at]
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("no count before {what:?} in {report}"))
}

/// Whether a line of `table` holds the words of `row`, however they are spaced.
fn has_row(table: &str, row: &str) -> bool {
    let row: Vec<&str> = row.split_whitespace().collect();
    table
        .lines()
        .any(|l| l.split_whitespace().collect::<Vec<_>>() == row)
}

/// One option and a capture on which it changes what the packets are: `marker` is in `dissect`'s one-line
/// view with the option and not without.
struct Case {
    name: &'static str,
    capture: PathBuf,
    option: Vec<&'static str>,
    marker: &'static str,
    /// The option's spelling in `encap` and `remap`, where `--port` names the port written.
    rewrite_option: Vec<&'static str>,
}

fn cases(dir: &Path) -> Vec<Case> {
    let seed = sample("seed.pcap");
    let port = dir.join("seed-on-9999.pcap");
    move_udp_port(&seed, &port, 8472, 9999);
    let gpe = dir.join("gpe-on-4791.pcap");
    move_udp_port(&sample("gbp-gpe.pcap"), &gpe, 4790, 4791);
    vec![
        Case {
            name: "--port",
            capture: port,
            option: vec!["--port", "9999"],
            marker: "172.16.100.102:9999 VXLAN vni 1 | 10.244.1.12 > 10.244.2.14 ICMP echo request",
            rewrite_option: vec!["--vxlan-port", "9999"],
        },
        Case {
            name: "--gpe-port",
            capture: gpe,
            option: vec!["--gpe-port", "4791"],
            marker: "192.0.2.2:4791 VXLAN-GPE vni 1000 | 2001:db8:1::1 > 2001:db8:1::2 ICMPv6",
            rewrite_option: vec!["--gpe-port", "4791"],
        },
        Case {
            name: "--decode-as",
            capture: seed,
            option: vec!["--decode-as", "otv"],
            marker: "OTV overlay 0 instance 1",
            rewrite_option: vec!["--decode-as", "otv"],
        },
        Case {
            name: "--gbp",
            capture: sample("gbp-gpe.pcap"),
            option: vec!["--gbp"],
            marker: "VXLAN gbp 100 vni 3000001 | 10.1.1.1 > 10.1.1.2 ICMP echo request id 77 seq 1, ttl 64\n",
            rewrite_option: vec!["--gbp"],
        },
    ]
}

#[test]
fn every_decoding_option_through_every_decoding_command() {
    let dir = scratch();
    for case in cases(&dir) {
        let name = case.name;
        let capture = case.capture.display().to_string();
        let with = |command: &[&'static str], file: &str| -> String {
            let mut args = command.to_vec();
            args.push(file);
            args.extend_from_slice(&case.option);
            text(&args)
        };

        // dissect: the option changes the one-line view, the tree and the JSON alike.
        let plain = text(&["dissect", &capture]);
        let dissected = with(&["dissect"], &capture);
        assert!(
            dissected.contains(case.marker) && !plain.contains(case.marker),
            "{name}: dissect\n{plain}\nbecomes\n{dissected}"
        );
        let json = with(&["dissect", "--json"], &capture);

        // hexdump: each frame's header line is the one-line summary dissect prints; its labels are the
        // fields of dissect -V.
        let dump = with(&["hexdump"], &capture);
        let plain_dump = text(&["hexdump", &capture]);
        let summaries: Vec<&str> = dissected
            .lines()
            .map(|l| l.split_once(' ').unwrap().1)
            .collect();
        let headers: Vec<&str> = dump
            .lines()
            .filter(|l| l.starts_with("Frame "))
            .map(|l| l.split_once("): ").unwrap().1)
            .collect();
        assert_eq!(headers, summaries, "{name}: hexdump's frames");
        assert_ne!(dump, plain_dump, "{name}: hexdump ignores the option");
        for frame in json.lines() {
            let frame: serde_json::Value = serde_json::from_str(frame).unwrap();
            for field in frame["fields"].as_object().unwrap().keys() {
                assert!(
                    dump.contains(&format!("{field} ")),
                    "{name}: {field} of frame {} (dissect --json) not in hexdump",
                    frame["frame"]
                );
            }
        }

        // topology: the VXLAN packets the option reveals are counted, as dissect --summary counts them.
        let table = with(&["topology"], &capture);
        let plain_table = text(&["topology", &capture]);
        let summary = with(&["dissect", "--summary"], &capture);
        match name {
            "--port" => {
                assert!(
                    table.contains("9999  1/0") && !plain_table.contains("9999"),
                    "{name}: topology\n{plain_table}\nbecomes\n{table}"
                );
                assert!(
                    has_row(&summary, "172.16.100.101 > 172.16.100.102 1"),
                    "{summary}"
                );
            }
            "--gpe-port" => {
                assert!(
                    table.contains("5/0") && plain_table.contains("1/0"),
                    "{name}: topology\n{plain_table}\nbecomes\n{table}"
                );
                assert!(has_row(&summary, "192.0.2.1 > 192.0.2.2 5"), "{summary}");
            }
            "--decode-as" => {
                // Read as OTV, no packet is flannel's VXLAN: the table has no node.
                assert!(
                    !table.contains("capture") && plain_table.contains("8472  1/0"),
                    "{name}: topology\n{plain_table}\nbecomes\n{table}"
                );
            }
            // GBP changes whether a set G flag is a fault, not who sends to whom.
            _ => assert_eq!(table, plain_table, "{name}: topology"),
        }

        // strip and remap: they rewrite the VXLAN packets dissect sees with the option, and only those.
        let vxlan_packets = |summaries: &str| {
            summaries
                .lines()
                .filter(|l| l.contains(" VXLAN vni ") || l.contains(" VXLAN gbp "))
                .count() as u64
        };
        let out = dir.join("out.pcap");
        let strip_args: Vec<&str> = match name {
            // Without --gpe-port, --port 4791 strips the VXLAN-GPE packets as if they were VXLAN.
            "--gpe-port" => vec!["--port", "4791"],
            _ => vec![],
        };
        let (plain_report, plain_strip) = rewrite("strip", &case.capture, &out, &strip_args);
        let mut both = strip_args.clone();
        both.extend_from_slice(&case.option);
        let (report, stripped) = rewrite("strip", &case.capture, &out, &both);
        let mut dissect_both = vec!["dissect", capture.as_str()];
        dissect_both.extend_from_slice(&both);
        assert_eq!(
            count(&report, "stripped"),
            vxlan_packets(&text(&dissect_both)),
            "{name}: strip {report}"
        );
        if name == "--gbp" {
            assert_eq!(stripped, plain_strip, "{name}: strip");
        } else {
            assert_ne!(
                count(&report, "stripped"),
                count(&plain_report, "stripped"),
                "{name}: strip {plain_report} {report}"
            );
        }

        let remap_ports: Vec<&str> = match name {
            "--gpe-port" => vec!["--vni", "1000:7", "--vxlan-port", "4791"],
            "--gbp" => vec!["--vni", "3000001:7"],
            _ => vec!["--vni", "1:7"],
        };
        let (plain_report, plain_remap) = rewrite("remap", &case.capture, &out, &remap_ports);
        let mut both = remap_ports.clone();
        both.extend_from_slice(&case.rewrite_option);
        let (report, remapped) = rewrite("remap", &case.capture, &out, &both);
        let expected = match name {
            "--port" => 1,
            "--gpe-port" | "--decode-as" => 0,
            _ => 1,
        };
        assert_eq!(
            count(&report, "remapped"),
            expected,
            "{name}: remap {report}"
        );
        if name == "--gbp" {
            assert_eq!(remapped, plain_remap, "{name}: remap");
        } else {
            assert_ne!(
                remapped, plain_remap,
                "{name}: remap {plain_report} {report}"
            );
        }

        // encap wraps each frame whole, whatever it carries: the option is accepted and changes nothing.
        let encap = [
            "--outer-src-ip",
            "192.0.2.10",
            "--outer-dst-ip",
            "192.0.2.20",
            "--port",
            "4789",
        ];
        let (_, plain_encap) = rewrite("encap", &case.capture, &out, &encap);
        let mut both = encap.to_vec();
        both.extend_from_slice(&case.rewrite_option);
        let (_, encapsulated) = rewrite("encap", &case.capture, &out, &both);
        assert_eq!(encapsulated, plain_encap, "{name}: encap");
    }
}
