//! `vxscope hexdump` end to end: the golden dumps of the seed packet (every byte labelled once, the ICMP
//! identifier, sequence number and payload named as such), hex text read back to the same bytes — our own
//! dumps, tcpdump's `-XX`/`-xx`/`-x`, xxd's and od's (cross-checked with text2pcap) — errors that name the
//! file and the line, and the HTML page in headless Chromium.
//!
//! Golden files live in `samples/golden/hexdump/`; `VXSCOPE_BLESS=1 cargo test -p vxscope-tests
//! --test hexdump` rewrites them (review the diff).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use vxscope_capture::CaptureReader;
use vxscope_dissector::LinkType;
use vxscope_dissector::hextext;
use vxscope_tests::TempDir;
use vxscope_tests::{
    captures_under, console_messages, require_tool, root, sample, shared_corpus, stderr, stdout,
    vxscope,
};

const LANGS: [&str; 2] = ["en", "zh"];
const FORMATS: [(&str, &str); 3] = [("text", "txt"), ("markdown", "md"), ("html", "html")];

fn golden_dir() -> PathBuf {
    root().join("samples").join("golden").join("hexdump")
}

/// Every packet of a capture: link type and captured bytes.
fn packets(path: &Path) -> Vec<(LinkType, Vec<u8>)> {
    capture_packets(path)
        .into_iter()
        .map(|(l, b, _)| (l, b))
        .collect()
}

/// Every packet of a capture: link type, captured bytes, and the snap length of its interface.
fn capture_packets(path: &Path) -> Vec<(LinkType, Vec<u8>, u32)> {
    let file = std::fs::File::open(path).unwrap();
    let mut reader = CaptureReader::new(file).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut packets = Vec::new();
    loop {
        let packet = reader
            .next_packet()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let Some(p) = packet else { break };
        let (link_type, data, interface) = (p.link_type, p.data.to_vec(), p.interface);
        let snaplen = reader
            .interfaces()
            .get(interface as usize)
            .map_or(0, |i| i.snaplen);
        packets.push((link_type, data, snaplen));
    }
    packets
}

/// The bytes of every packet hex text holds.
fn read_back(text: &str, what: &str) -> Vec<Vec<u8>> {
    hextext::parse(text)
        .unwrap_or_else(|e| panic!("{what}: {e}"))
        .into_iter()
        .map(|p| p.bytes)
        .collect()
}

/// The captures whose dumps are read back: the samples, this test's data, and the public corpus when present.
fn captures() -> Vec<PathBuf> {
    let mut files = captures_under(&root().join("samples"));
    files.extend(captures_under(
        &root().join("tests").join("data").join("hexdump"),
    ));
    if let Some(corpus) = shared_corpus() {
        files.extend(captures_under(&corpus.join("vxlan")));
    }
    assert!(files.iter().any(|f| f.ends_with("seed.pcap")));
    files
}

fn ok(output: &Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed: {}\n{}",
        output.status,
        stderr(output)
    );
    stdout(output)
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

// ---------------------------------------------------------------------------------------------------------
// Golden files.

#[test]
fn golden_dumps_of_the_seed_packet() {
    let update = vxscope_tests::blessing();
    let seed = sample("seed.pcap");
    let flannel = root().join("samples").join("flannel");
    let topology = [
        "--nodes".into(),
        flannel.join("nodes.json").into_os_string(),
        "--pods".into(),
        flannel.join("seed-pods.txt").into_os_string(),
    ];
    let mut cases: Vec<(Vec<std::ffi::OsString>, String)> = Vec::new();
    for lang in LANGS {
        for (format, ext) in FORMATS {
            let args = ["--format", format, "--lang", lang]
                .map(Into::into)
                .to_vec();
            cases.push((args, format!("seed.{lang}.{ext}")));
        }
        // The picture of the frame (one frame a picture).
        let svg: Vec<std::ffi::OsString> = ["--format", "svg", "--frame", "1", "--lang", lang]
            .map(Into::into)
            .to_vec();
        cases.push((svg.clone(), format!("seed.{lang}.svg")));
        // With the cluster's topology: the flannel annotations.
        let mut args: Vec<std::ffi::OsString> = ["--lang", lang].map(Into::into).to_vec();
        args.extend(topology.iter().cloned());
        cases.push((args, format!("seed-flannel.{lang}.txt")));
        let mut args = svg;
        args.extend(topology.iter().cloned());
        cases.push((args, format!("seed-flannel.{lang}.svg")));
    }
    for (args, name) in cases {
        let mut all: Vec<std::ffi::OsString> =
            vec!["hexdump".into(), seed.clone().into_os_string()];
        all.extend(args.iter().cloned());
        let got = ok(&vxscope(&all), &format!("hexdump {args:?}"));
        let golden = golden_dir().join(&name);
        if update {
            std::fs::create_dir_all(golden_dir()).unwrap();
            std::fs::write(&golden, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&golden)
            .unwrap_or_else(|e| panic!("{}: {e} (VXSCOPE_BLESS=1 writes it)", golden.display()));
        assert!(
            got == want,
            "{} differs from the output (VXSCOPE_BLESS=1 rewrites it):\n{}",
            golden.display(),
            first_difference(&want, &got)
        );
    }
}

fn first_difference(want: &str, got: &str) -> String {
    for (n, (w, g)) in want.lines().zip(got.lines()).enumerate() {
        if w != g {
            return format!("line {}:\n  want {w:?}\n  got  {g:?}", n + 1);
        }
    }
    format!(
        "lengths differ: {} lines expected, {} written",
        want.lines().count(),
        got.lines().count()
    )
}

/// One row of the Markdown table of fields.
#[derive(Debug)]
struct Row {
    offset: usize,
    len: usize,
    masked: bool,
    nested: bool,
    computed: bool,
    field: String,
    value: String,
    meaning: String,
}

/// Splits a table line at the `|` that are not escaped.
fn cells(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut chars = line.trim().trim_start_matches('|').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cells.last_mut().unwrap().push('|');
                chars.next();
            }
            '|' => cells.push(String::new()),
            _ => cells.last_mut().unwrap().push(c),
        }
    }
    cells.pop();
    cells.into_iter().map(|c| c.trim().to_string()).collect()
}

fn rows(markdown: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    for line in markdown.lines().filter(|l| l.starts_with("| ")) {
        let c = cells(line);
        assert_eq!(c.len(), 5, "{line}");
        let Ok(offset) = c[0].parse::<usize>() else {
            // The header, or a layer's row.
            continue;
        };
        let bytes = &c[1];
        let computed = bytes.starts_with('*');
        let len = if computed {
            0
        } else if let Some(more) = bytes.split(" … (").nth(1) {
            more.split(' ').next().unwrap().parse().unwrap()
        } else {
            bytes
                .split('`')
                .nth(1)
                .unwrap()
                .split(' ')
                .filter(|b| b.len() == 2 && b.bytes().all(|x| x.is_ascii_hexdigit()))
                .count()
        };
        rows.push(Row {
            offset,
            len,
            masked: bytes.contains(" & 0x"),
            nested: c[2].starts_with('↳'),
            computed,
            field: c[2].trim_start_matches("↳ ").trim_matches('`').to_string(),
            value: c[3].trim_matches('`').to_string(),
            meaning: c[4].clone(),
        });
    }
    rows
}

#[test]
fn every_byte_of_the_seed_is_labelled_exactly_once() {
    for lang in LANGS {
        let golden = golden_dir().join(format!("seed.{lang}.md"));
        let markdown = std::fs::read_to_string(&golden).unwrap();
        let rows = rows(&markdown);
        // Top-level fields with bytes; bit fields that share bytes make one label.
        let mut labels: Vec<(std::ops::Range<usize>, bool)> = Vec::new();
        for row in rows.iter().filter(|r| !r.nested && !r.computed) {
            let range = row.offset..row.offset + row.len;
            match labels.last_mut() {
                Some((last, true)) if row.masked && range.start < last.end => {
                    last.end = last.end.max(range.end);
                }
                _ => labels.push((range, row.masked)),
            }
        }
        let mut count = [0u32; 148];
        for (range, _) in &labels {
            for b in range.clone() {
                count[b] += 1;
            }
        }
        let wrong: Vec<_> = (0..148).filter(|&b| count[b] != 1).collect();
        assert!(
            wrong.is_empty(),
            "{}: bytes {wrong:?} are not labelled once",
            golden.display()
        );

        let row = |field: &str| {
            rows.iter()
                .find(|r| r.field == field)
                .unwrap_or_else(|| panic!("{}: no row for {field}", golden.display()))
        };
        let (ident, seq, data) = (
            row("inner.icmp.ident"),
            row("inner.icmp.seq"),
            row("inner.icmp.data"),
        );
        assert_eq!(
            (ident.offset, ident.len, ident.value.as_str()),
            (88, 2, "3143")
        );
        assert_eq!((seq.offset, seq.len, seq.value.as_str()), (90, 2, "1102"));
        assert_eq!((data.offset, data.len), (92, 56));
        let (identifier, sequence, payload) = match lang {
            "en" => ("Echo identifier", "Echo sequence number", "the ping's data"),
            _ => ("回显标识符", "回显序列号", "ping 的数据"),
        };
        assert!(ident.meaning.contains(identifier), "{ident:?}");
        assert!(seq.meaning.contains(sequence), "{seq:?}");
        assert!(data.meaning.contains(payload), "{data:?}");
        // No frame check sequence: tcpdump captures carry none.
        assert!(!rows.iter().any(|r| r.field.contains("fcs")));
        assert_eq!(row("vxlan.vni").value, "1");
        assert_eq!(row("ip.ttl").value, "64");
        assert_eq!(row("inner.ip.ttl").value, "63");
    }
    let text = std::fs::read_to_string(golden_dir().join("seed.en.txt")).unwrap();
    for annotation in [
        "eth.dst 00:50:56:93:63:3b",
        "ip.ttl 64",
        "vxlan.vni 1",
        "inner.icmp.ident 3143",
        "inner.icmp.seq 1102",
        "inner.icmp.data 0d1e55cf00000000… (56 bytes)",
    ] {
        assert!(
            text.contains(annotation),
            "{annotation} missing from the text dump"
        );
    }
    let zh = std::fs::read_to_string(golden_dir().join("seed.zh.txt")).unwrap();
    for annotation in [
        "eth.dst 目的MAC：00:50:56:93:63:3b",
        "ip.ttl 生存周期：64",
        "ip.checksum 首部校验和：0xe3f4",
    ] {
        assert!(
            zh.contains(annotation),
            "{annotation} missing from the Chinese text dump"
        );
    }
}

#[test]
fn labels_cover_every_byte_of_every_capture_once() {
    use vxscope_dissector::render::hexdump::{Category, labels};
    use vxscope_dissector::{Config, Dissection, Dissector};
    let dissector = Dissector::new(Config::default());
    let mut d = Dissection::new();
    for capture in captures() {
        for (n, (link_type, bytes)) in packets(&capture).into_iter().enumerate() {
            dissector.dissect(link_type, &bytes, bytes.len() as u32, &mut d);
            let labels = labels(&d, bytes.len());
            let mut at = 0;
            for label in &labels {
                let what = format!("{} frame {}: {label:?}", capture.display(), n + 1);
                assert_eq!(label.start, at, "{what}");
                assert!(label.end > label.start, "{what}");
                assert_eq!(
                    label.fields.is_empty(),
                    label.category == Category::NotDecoded,
                    "{what}"
                );
                for &i in &label.fields {
                    let f = &d.fields()[i];
                    let range = f.offset as usize..(f.offset + f.len) as usize;
                    assert!(
                        f.len == 0 || (range.start < label.end && label.start < range.end),
                        "{what}: field {i} does not touch its label"
                    );
                }
                at = label.end;
            }
            assert_eq!(at, bytes.len(), "{} frame {}", capture.display(), n + 1);
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Hex text read back.

#[test]
fn our_dumps_read_back_to_the_same_bytes() {
    let dir = TempDir::new("readback");
    let corpus = shared_corpus();
    for capture in captures() {
        let want: Vec<Vec<u8>> = packets(&capture)
            .into_iter()
            .map(|(_, b)| b)
            .filter(|b| !b.is_empty())
            .collect();
        // Every variant for the project's captures; the (much larger) public corpus as English text.
        let in_corpus = corpus.as_ref().is_some_and(|c| capture.starts_with(c));
        let variants: &[(&str, &str)] = if in_corpus {
            &[("text", "en")]
        } else {
            &[
                ("text", "en"),
                ("text", "zh"),
                ("markdown", "en"),
                ("markdown", "zh"),
            ]
        };
        for &(format, lang) in variants {
            let out = vxscope([
                "hexdump".as_ref(),
                capture.as_os_str(),
                "--format".as_ref(),
                format.as_ref(),
                "--lang".as_ref(),
                lang.as_ref(),
            ]);
            let dump = ok(
                &out,
                &format!("hexdump {} --format {format}", capture.display()),
            );
            let what = format!("{} as {format} ({lang})", capture.display());
            assert_eq!(read_back(&dump, &what), want, "{what}");
        }
    }
    // Through the command line: the text dump fed back gives the same dump.
    let seed = sample("seed.pcap");
    for lang in LANGS {
        let dump = ok(
            &vxscope([
                "hexdump".as_ref(),
                seed.as_os_str(),
                "--lang".as_ref(),
                lang.as_ref(),
            ]),
            "hexdump seed.pcap",
        );
        let file = dir.path(&format!("seed.{lang}.txt"));
        std::fs::write(&file, &dump).unwrap();
        let again = ok(
            &vxscope([
                "hexdump".as_ref(),
                "--from-text".as_ref(),
                file.as_os_str(),
                "--lang".as_ref(),
                lang.as_ref(),
            ]),
            "hexdump --from-text",
        );
        assert_eq!(again, dump);
    }
}

/// The hex lines of a dump (tcpdump's `\t0x0000:  ...` lines).
fn hex_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.starts_with("\t0x")).collect()
}

#[test]
fn tcpdump_dumps_read_back_to_the_same_bytes() {
    require_tool("tcpdump");
    for capture in captures() {
        // libpcap hands tcpdump no more of a packet than the file's snap length, even when a record holds more
        // (some fuzzed files of the corpus do).
        let packets = capture_packets(&capture);
        let capped = |(_, b, snap): &(LinkType, Vec<u8>, u32)| {
            b[..b.len().min(if *snap == 0 {
                usize::MAX
            } else {
                *snap as usize
            })]
                .to_vec()
        };
        let want: Vec<Vec<u8>> = packets
            .iter()
            .map(capped)
            .filter(|b| !b.is_empty())
            .collect();
        let whole = packets.iter().all(|p| capped(p) == p.1);
        if packets.iter().any(|p| p.0 != packets[0].0) {
            // libpcap reads no pcapng whose interfaces differ in link type; tshark does, and its hex dump
            // (Wireshark's layout) must read back the same.
            require_tool("tshark");
            // Without reassembly, which would add the reassembled datagram of IP fragments as a data source.
            let out = run(Command::new("tshark")
                .args(["-o", "ip.defragment:FALSE", "-x", "-r"])
                .arg(&capture));
            let tshark = ok(&out, &format!("tshark -x -r {}", capture.display()));
            let want: Vec<Vec<u8>> = packets.into_iter().map(|p| p.1).collect();
            assert_eq!(
                read_back(&tshark, "tshark -x"),
                want,
                "tshark -x of {}",
                capture.display()
            );
            continue;
        }
        let out = run(Command::new("tcpdump").arg("-nXX").arg("-r").arg(&capture));
        let tcpdump = ok(&out, &format!("tcpdump -XX -r {}", capture.display()));
        assert_eq!(
            read_back(&tcpdump, &format!("tcpdump -XX of {}", capture.display())),
            want,
            "tcpdump -XX of {}",
            capture.display()
        );
        let out = run(Command::new("tcpdump").arg("-nxx").arg("-r").arg(&capture));
        let tcpdump_xx = ok(&out, "tcpdump -xx");
        assert_eq!(
            read_back(&tcpdump_xx, "tcpdump -xx"),
            want,
            "tcpdump -xx of {}",
            capture.display()
        );
        // Our hex lines are tcpdump's, byte for byte.
        if whole {
            let ours = ok(
                &vxscope(["hexdump".as_ref(), capture.as_os_str()]),
                "hexdump",
            );
            assert_eq!(
                hex_lines(&ours),
                hex_lines(&tcpdump),
                "hex lines of {}",
                capture.display()
            );
        }
    }

    // tcpdump -x prints from the IP header on: read with --link-type raw.
    let seed = sample("seed.pcap");
    let bytes = &packets(&seed)[0].1;
    let x = ok(
        &run(Command::new("tcpdump").arg("-nx").arg("-r").arg(&seed)),
        "tcpdump -x",
    );
    assert_eq!(read_back(&x, "tcpdump -x"), vec![bytes[14..].to_vec()]);
    let dir = TempDir::new("tcpdump-x");
    let file = dir.path("x.txt");
    std::fs::write(&file, &x).unwrap();
    let raw = vxscope([
        "hexdump".as_ref(),
        "--from-text".as_ref(),
        file.as_os_str(),
        "--link-type".as_ref(),
        "raw".as_ref(),
    ]);
    let dump = ok(&raw, "hexdump --link-type raw");
    assert!(dump.contains("| ip.version 4, ip.hdr_len 20"), "{dump}");
    assert!(dump.contains("inner.icmp.seq 1102"), "{dump}");
    // Without it, the IP header is read as Ethernet, and vxscope says what to do.
    let as_ethernet = vxscope(["hexdump".as_ref(), "--from-text".as_ref(), file.as_os_str()]);
    assert!(
        stderr(&as_ethernet).contains("--link-type raw"),
        "{}",
        stderr(&as_ethernet)
    );

    // tcpdump -XX piped in, with its summary lines: the same dump as from the capture.
    let mut child = Command::new(vxscope_tests::vxscope_bin())
        .args(["hexdump", "--from-text", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let xx = ok(
        &run(Command::new("tcpdump").arg("-nXX").arg("-r").arg(&seed)),
        "tcpdump -XX",
    );
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(xx.as_bytes())
        .unwrap();
    let piped = child.wait_with_output().unwrap();
    let from_capture = ok(&vxscope(["hexdump".as_ref(), seed.as_os_str()]), "hexdump");
    assert_eq!(ok(&piped, "hexdump --from-text -"), from_capture);
}

/// Frames of each capture dumped with xxd and od.
const FRAMES_THROUGH_XXD: usize = 12;

#[test]
fn xxd_and_od_dumps_read_back_to_the_same_bytes() {
    require_tool("xxd");
    require_tool("od");
    require_tool("text2pcap");
    let dir = TempDir::new("xxd-od");
    for capture in captures() {
        // xxd and od run once a frame: the first frames of each capture are enough.
        let want: Vec<Vec<u8>> = packets(&capture)
            .into_iter()
            .map(|(_, b)| b)
            .filter(|b| !b.is_empty())
            .take(FRAMES_THROUGH_XXD)
            .collect();
        let mut od_all = String::new();
        for (n, bytes) in want.iter().enumerate() {
            let file = dir.path("frame.bin");
            std::fs::write(&file, bytes).unwrap();
            let what = format!("{} frame {}", capture.display(), n + 1);
            for args in [&[][..], &["-g1"], &["-g4"], &["-p"], &["-c", "24"]] {
                let out = run(Command::new("xxd").args(args).arg(&file));
                let text = ok(&out, "xxd");
                assert_eq!(
                    read_back(&text, &format!("xxd {args:?} of {what}")),
                    vec![bytes.clone()],
                    "xxd {args:?} of {what}"
                );
            }
            for args in [&["-Ax", "-tx1"][..], &["-Ax", "-tx1", "-v"]] {
                let out = run(Command::new("od").args(args).arg(&file));
                let text = ok(&out, "od");
                assert_eq!(
                    read_back(&text, &format!("od {args:?} of {what}")),
                    vec![bytes.clone()],
                    "od {args:?} of {what}"
                );
                if args.len() == 3 {
                    od_all.push_str(&text);
                }
            }
        }
        // Several od dumps in one text are several packets; text2pcap reads the same text (od -v: text2pcap
        // knows no '*') to the same packets.
        if want.is_empty() {
            continue;
        }
        assert_eq!(
            read_back(&od_all, "od of every frame"),
            want,
            "{}",
            capture.display()
        );
        let text = dir.path("od.txt");
        let pcap = dir.path("od.pcap");
        std::fs::write(&text, &od_all).unwrap();
        let out = run(Command::new("text2pcap").arg("-q").arg(&text).arg(&pcap));
        if !out.status.success() {
            // text2pcap takes only what fits its snap length; the largest corpus frames do not.
            assert!(
                want.iter().any(|b| b.len() > 65535),
                "text2pcap failed: {}",
                stderr(&out)
            );
            continue;
        }
        let theirs: Vec<Vec<u8>> = packets(&pcap).into_iter().map(|(_, b)| b).collect();
        assert_eq!(
            theirs,
            want,
            "text2pcap and vxscope read the od text of {} differently",
            capture.display()
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// Errors.

#[test]
fn bad_input_is_an_error_naming_the_file_and_the_line() {
    let dir = TempDir::new("errors");
    let cases = [
        (
            "odd.txt",
            "tcpdump says:\n\t0x0000:  0050 5693 633b 0050\n\t0x0008:  5693 6a3 0800\n",
            "odd.txt: line 3: odd number of hex digits in \"6a3\"",
        ),
        (
            "gap.txt",
            "0x0000:  0050 5693 633b 0050 5693 6a3a 0800 4500\n0x0020:  6466\n",
            "gap.txt: line 2: offset 0x0020 does not follow on from the line before, which ends at 0x0010 (a gap",
        ),
        (
            "nothing.txt",
            "16:30:47.124500 IP 10.0.0.1 > 10.0.0.2: ICMP echo request\n",
            "nothing.txt: no hex dump found",
        ),
        (
            "late.txt",
            "\t0x0010:  0086 7586\n",
            "late.txt: line 1: the dump starts at offset 0x0010, not 0",
        ),
    ];
    for (name, text, expected) in cases {
        let file = dir.path(name);
        std::fs::write(&file, text).unwrap();
        let out = vxscope(["hexdump".as_ref(), "--from-text".as_ref(), file.as_os_str()]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert!(out.stdout.is_empty(), "{name}: wrote {}", stdout(&out));
        assert!(stderr(&out).contains(expected), "{name}: {}", stderr(&out));
    }

    // A frame that is not there.
    let seed = sample("seed.pcap");
    let out = vxscope([
        "hexdump".as_ref(),
        seed.as_os_str(),
        "--frame".as_ref(),
        "5".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("there is no frame 5: the capture holds 1 frame"),
        "{}",
        stderr(&out)
    );

    // A capture cut short inside its packet: the error names the frame and the byte offset.
    let whole = std::fs::read(&seed).unwrap();
    let cut = dir.path("cut.pcap");
    std::fs::write(&cut, &whole[..whole.len() - 30]).unwrap();
    let out = vxscope(["hexdump".as_ref(), cut.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(
        message.contains("cut.pcap")
            && message.contains("frame 1")
            && message.contains("offset 24"),
        "{message}"
    );

    // A capture given as text.
    let out = vxscope(["hexdump".as_ref(), "--from-text".as_ref(), seed.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not text"), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------------------------
// The HTML page in headless Chromium.

/// Runs headless Chromium on a page with a fresh profile in the test's directory.
fn chromium(dir: &TempDir, profile: &str, args: &[&str], url: &str) -> Output {
    vxscope_tests::chromium(&dir.path(profile), args, url)
}

/// The bytes of the dump in the page, in order: (data-i, text) of every `<span class="b ...">`.
fn page_bytes(dom: &str) -> Vec<(usize, String)> {
    dom.split("<span class=\"b ")
        .skip(1)
        .map(|span| {
            let i = span
                .split("data-i=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let text = span.split('>').nth(1).unwrap().split('<').next().unwrap();
            (i.parse().unwrap(), text.to_string())
        })
        .collect()
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

#[test]
fn html_page_renders_in_headless_chromium() {
    let dir = TempDir::new("chromium");
    let seed = sample("seed.pcap");
    let bytes = &packets(&seed)[0].1;
    let want: Vec<(usize, String)> = bytes
        .iter()
        .enumerate()
        .map(|(i, b)| (i, format!("{b:02x}")))
        .collect();

    // The detection of console errors works: a page with an error is caught.
    let broken = dir.path("broken.html");
    std::fs::write(
        &broken,
        "<!DOCTYPE html><p>x</p><script>no_such_function();</script>",
    )
    .unwrap();
    let out = chromium(&dir, "profile-broken", &["--dump-dom"], &file_url(&broken));
    assert!(
        console_messages(&out)
            .iter()
            .any(|m| m.contains("Uncaught ReferenceError")),
        "a console error went unnoticed: {}",
        stderr(&out)
    );
    // A blank page, to compare screenshot sizes with.
    let blank = dir.path("blank.html");
    std::fs::write(&blank, "<!DOCTYPE html><html><body></body></html>").unwrap();
    let blank_png = dir.path("blank.png");
    let shot = format!("--screenshot={}", blank_png.display());
    chromium(
        &dir,
        "profile-blank",
        &[&shot, "--window-size=1280,1000"],
        &file_url(&blank),
    );
    let blank_size = std::fs::metadata(&blank_png).map(|m| m.len()).unwrap_or(0);
    assert!(blank_size > 0, "no screenshot of the blank page");

    for lang in LANGS {
        let page = dir.path(&format!("seed.{lang}.html"));
        let out = vxscope([
            "hexdump".as_ref(),
            seed.as_os_str(),
            "--format".as_ref(),
            "html".as_ref(),
            "--lang".as_ref(),
            lang.as_ref(),
            "-o".as_ref(),
            page.as_os_str(),
        ]);
        ok(&out, "hexdump --format html");
        let html = std::fs::read_to_string(&page).unwrap();
        assert!(
            !html.contains("src=") && !html.contains("href=") && !html.contains("@import"),
            "the page must not fetch anything"
        );

        // #f1b90 points at byte 90 of frame 1: the page's script fills in its field.
        let out = chromium(
            &dir,
            &format!("profile-dom-{lang}"),
            &["--dump-dom"],
            &format!("{}#f1b90", file_url(&page)),
        );
        let dom = ok(&out, "chromium --dump-dom");
        assert!(
            console_messages(&out).is_empty(),
            "console: {:?}",
            console_messages(&out)
        );
        assert_eq!(
            page_bytes(&dom),
            want,
            "the page must show every byte, in order"
        );
        let info = dom
            .split("class=\"info\"")
            .nth(1)
            .unwrap()
            .split("</div>")
            .next()
            .unwrap();
        assert!(
            info.contains("inner.icmp.seq 1102"),
            "the panel shows {info}"
        );
        let byte_22 = dom.split("data-i=\"22\"").nth(1).unwrap();
        assert!(
            byte_22.split('>').next().unwrap().contains("ip.ttl 64"),
            "byte 22's title: {byte_22:.200}"
        );
        assert!(dom.contains(match lang {
            "en" => "Inner Ethernet",
            _ => "内层以太网",
        }));

        let png = dir.path(&format!("seed.{lang}.png"));
        let shot = format!("--screenshot={}", png.display());
        let out = chromium(
            &dir,
            &format!("profile-shot-{lang}"),
            &[&shot, "--window-size=1280,1000"],
            &file_url(&page),
        );
        assert!(
            console_messages(&out).is_empty(),
            "console: {:?}",
            console_messages(&out)
        );
        let image = std::fs::read(&png)
            .unwrap_or_else(|e| panic!("no screenshot {}: {e}\n{}", png.display(), stderr(&out)));
        assert_eq!(&image[..8], b"\x89PNG\r\n\x1a\n");
        assert!(
            image.len() as u64 > 10 * blank_size,
            "the screenshot ({} bytes) is hardly more than a blank page's ({blank_size} bytes)",
            image.len()
        );

        // It prints.
        let pdf = dir.path(&format!("seed.{lang}.pdf"));
        let print = format!("--print-to-pdf={}", pdf.display());
        let out = chromium(
            &dir,
            &format!("profile-pdf-{lang}"),
            &[&print, "--no-pdf-header-footer"],
            &file_url(&page),
        );
        let document = std::fs::read(&pdf)
            .unwrap_or_else(|e| panic!("no PDF {}: {e}\n{}", pdf.display(), stderr(&out)));
        assert!(
            document.starts_with(b"%PDF") && document.len() > 20_000,
            "PDF of {} bytes",
            document.len()
        );
    }
}
