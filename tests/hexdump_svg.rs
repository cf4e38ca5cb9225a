//! The picture of a frame (`vxscope hexdump --format svg`, and at the top of `--format html`): valid XML by
//! xmllint, every layer and key value of the seed packet as text in wire order, the VXLAN header's bits as the
//! frame's bytes hold them, flannel's names with a topology, text from a topology escaped, the samples with an
//! 802.1Q tag, an IPv6 outer header and TCP, and the picture in headless Chromium (a screenshot, no console
//! error). The golden pictures are compared in `tests/hexdump.rs` with the other golden dumps.

use std::path::Path;
use std::process::Command;

use vxscope_capture::CaptureReader;
use vxscope_dissector::i18n::{self, Lang};
use vxscope_dissector::{Config, Dissection, Dissector};
use vxscope_tests::TempDir;
use vxscope_tests::{
    captures_under, chromium, console_messages, require_tool, root, sample, shared_corpus, stderr,
    stdout, vxscope,
};

/// `vxscope hexdump CAPTURE --format svg ARGS...`, which must succeed.
fn picture(capture: &Path, args: &[&str]) -> String {
    let mut all: Vec<std::ffi::OsString> = vec![
        "hexdump".into(),
        capture.into(),
        "--format".into(),
        "svg".into(),
    ];
    all.extend(args.iter().map(Into::into));
    let out = vxscope(&all);
    assert!(out.status.success(), "hexdump {args:?}: {}", stderr(&out));
    stdout(&out)
}

/// xmllint accepts the document as well-formed XML; returns the number of `<text>` elements it counts.
fn xmllint(dir: &TempDir, name: &str, doc: &str) -> usize {
    let file = dir.path(name);
    std::fs::write(&file, doc).unwrap();
    let xmllint = require_tool("xmllint");
    let out = Command::new(&xmllint)
        .arg("--noout")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "xmllint rejects {name}: {}",
        stderr(&out)
    );
    let out = Command::new(&xmllint)
        .args(["--xpath", "count(//*[local-name()='text'])"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).trim().parse().unwrap()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#10;", "\n")
        .replace("&amp;", "&")
}

/// The contents of every `<NAME ...>` element, in document order, with the element's class (the picture
/// writes no element inside text).
fn elements(doc: &str, name: &str) -> Vec<(String, String)> {
    let open = format!("<{name}");
    let close = format!("</{name}>");
    let mut found = Vec::new();
    for part in doc.split(&open).skip(1) {
        if !part.starts_with([' ', '>']) {
            continue;
        }
        let Some(end_of_tag) = part.find('>') else {
            continue;
        };
        let tag = &part[..end_of_tag];
        let class = tag
            .split("class=\"")
            .nth(1)
            .and_then(|c| c.split('"').next())
            .unwrap_or("")
            .to_string();
        let content = part[end_of_tag + 1..].split(&close).next().unwrap();
        found.push((class, unescape(content)));
    }
    found
}

fn texts_of(doc: &str, class: &str) -> Vec<String> {
    elements(doc, "text")
        .into_iter()
        .filter(|(c, _)| c == class)
        .map(|(_, t)| t)
        .collect()
}

fn first_packet(path: &Path, number: usize) -> (vxscope_dissector::LinkType, Vec<u8>) {
    let mut reader = CaptureReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut n = 0;
    loop {
        let p = reader.next_packet().unwrap().expect("the frame is there");
        n += 1;
        if n == number {
            return (p.link_type, p.data.to_vec());
        }
    }
}

#[test]
fn the_seed_picture_names_every_layer_and_key_value() {
    let dir = TempDir::new("seed");
    let seed = sample("seed.pcap");
    let (link_type, bytes) = first_packet(&seed, 1);
    let dissector = Dissector::new(Config::default());
    let mut d = Dissection::new();
    dissector.dissect(link_type, &bytes, bytes.len() as u32, &mut d);

    for (lang, tag) in [(Lang::En, "en"), (Lang::Zh, "zh")] {
        let doc = picture(&seed, &["--frame", "1", "--lang", tag]);
        let counted = xmllint(&dir, &format!("seed.{tag}.svg"), &doc);
        assert_eq!(counted, elements(&doc, "text").len(), "every text is read");
        assert!(
            !doc.contains("<script") && !doc.contains("href") && !doc.contains("@import"),
            "the picture fetches and runs nothing"
        );

        // The boxes in wire order, their byte ranges.
        let layers = texts_of(&doc, "layer");
        let want: &[&str] = match lang {
            Lang::En => &[
                "Outer Ethernet",
                "Outer IPv4",
                "Outer UDP",
                "VXLAN",
                "Inner Ethernet",
                "Inner IPv4",
                "Inner ICMP",
                "Payload",
            ],
            Lang::Zh => &[
                "外层以太网",
                "外层 IPv4",
                "外层 UDP",
                "VXLAN",
                "内层以太网",
                "内层 IPv4",
                "内层 ICMP",
                "载荷",
            ],
        };
        assert_eq!(layers, want);
        let bytes_word = match lang {
            Lang::En => "bytes",
            Lang::Zh => "字节",
        };
        let ranges: Vec<String> = [
            (0, 13),
            (14, 33),
            (34, 41),
            (42, 49),
            (50, 63),
            (64, 83),
            (84, 91),
            (92, 147),
        ]
        .iter()
        .map(|(a, b)| format!("{bytes_word} {a}-{b} ({})", b - a + 1))
        .collect();
        assert_eq!(texts_of(&doc, "range"), ranges);

        // Every layer of the dissection by its full name (the boxes' tooltips) and abbreviation.
        let titles: Vec<String> = elements(&doc, "title")
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        for layer in d.layers().iter().filter(|l| l.len > 0) {
            let name = i18n::field_name(layer.proto, lang);
            let abbrev = vxscope_dissector::fields::scoped_abbrev(layer.proto, layer.scope);
            assert!(
                titles
                    .iter()
                    .any(|t| t.starts_with(&format!("{name} ({abbrev})"))),
                "{tag}: no box titled {name} ({abbrev}): {titles:?}"
            );
        }

        // The key values, in the boxes' order.
        let values = texts_of(&doc, "value");
        let echo_request = i18n::text("Echo (ping) request", lang);
        let want = [
            "00:50:56:93:63:3b".to_string(),
            "00:50:56:93:6a:3a".into(),
            "64".into(),
            "172.16.100.101".into(),
            "172.16.100.102".into(),
            "40592".into(),
            "8472".into(),
            "1".into(),
            "b6:72:ae:36:7b:6c".into(),
            "fe:90:c4:18:69:a7".into(),
            "63".into(),
            "10.244.1.12".into(),
            "10.244.2.14".into(),
            format!("8 ({echo_request})"),
            "3143".into(),
            "1102".into(),
            "0d1e55cf00000000…".into(),
        ];
        assert_eq!(values, want, "{tag}");
        let names = texts_of(&doc, "name");
        for field in [
            "eth.dst",
            "ip.ttl",
            "udp.srcport",
            "vxlan.vni",
            "icmp.ident",
            "icmp.seq",
        ] {
            let id = vxscope_dissector::fields::FieldId::from_abbrev(field).unwrap();
            let name = i18n::field_name(id, lang).to_string();
            assert!(names.contains(&name), "{tag}: {name} missing: {names:?}");
        }

        // The VXLAN header bit by bit: the 64 bits of bytes 42-49, the flags by their letters, the VNI.
        let bits: String = texts_of(&doc, "bit").concat();
        let want: String = bytes[42..50].iter().map(|b| format!("{b:08b}")).collect();
        assert_eq!(bits, want, "{tag}: the bits drawn are not the header's");
        let cells = texts_of(&doc, "cell");
        assert_eq!(
            cells[..8],
            ["G", "R", "R", "R", "I", "R", "R", "R"],
            "{tag}: {cells:?}"
        );
        assert!(cells.contains(&"VNI 1".to_string()), "{tag}: {cells:?}");
        let all = elements(&doc, "text")
            .into_iter()
            .map(|(_, t)| t)
            .collect::<Vec<_>>();
        assert!(
            all.iter().any(|t| t.contains("RFC 7348")),
            "{tag}: the zoomed row says what it is"
        );
    }
}

#[test]
fn flannel_names_and_topology_text_are_drawn_escaped() {
    let dir = TempDir::new("flannel");
    let seed = sample("seed.pcap");
    let flannel = root().join("samples").join("flannel");
    let nodes = flannel.join("nodes.json");
    let pods = std::fs::read_to_string(flannel.join("seed-pods.txt")).unwrap();
    // A pod whose name holds markup and a control character: the picture must stay well-formed XML.
    let strange = "x<y&z\"'\u{1b}w";
    let pods_file = dir.path("pods.txt");
    std::fs::write(
        &pods_file,
        pods.replace("busybox-deployment-6576988595-l5w7r", strange),
    )
    .unwrap();
    let doc = picture(
        &seed,
        &[
            "--frame",
            "1",
            "--nodes",
            nodes.to_str().unwrap(),
            "--pods",
            pods_file.to_str().unwrap(),
        ],
    );
    xmllint(&dir, "flannel.svg", &doc);
    let values = texts_of(&doc, "value");
    for name in ["k8s-node1", "k8s-node2"] {
        assert!(
            values.iter().filter(|v| *v == name).count() >= 2,
            "{name}: node by address and by VTEP MAC: {values:?}"
        );
    }
    assert!(
        values.contains(&"busybox-deployment-6576988595-dbpq7".to_string()),
        "{values:?}"
    );
    assert!(
        values.contains(&"x<y&z\"'\u{fffd}w".to_string()),
        "the strange pod name, escaped and read back: {values:?}"
    );
    assert!(!doc.contains("x<y"), "markup from a topology written raw");
}

/// The titles and key values of one frame of a sample.
fn layers_and_values(capture: &str, frame: &str) -> (Vec<String>, Vec<String>, String) {
    let dir = TempDir::new("sample");
    let doc = picture(&sample(capture), &["--frame", frame]);
    xmllint(&dir, "sample.svg", &doc);
    (texts_of(&doc, "layer"), texts_of(&doc, "value"), doc)
}

#[test]
fn vlan_ipv6_tcp_and_icmp_error_samples_are_drawn_layer_by_layer() {
    let (layers, values, doc) = layers_and_values("vlan-vxlan.pcap", "2");
    assert_eq!(
        layers,
        [
            "Outer Ethernet",
            "Outer 802.1Q",
            "Outer IPv4",
            "Outer UDP",
            "VXLAN",
            "Inner Ethernet",
            "Inner IPv4",
            "Inner UDP",
            "Payload"
        ]
    );
    assert!(values.contains(&"100".to_string()), "VLAN ID: {values:?}");
    assert!(values.contains(&"5001".to_string()), "VNI: {values:?}");
    assert!(texts_of(&doc, "name").contains(&"VLAN ID".to_string()));
    assert!(texts_of(&doc, "cell").contains(&"VNI 5001".to_string()));

    let (layers, values, _) = layers_and_values("ipv6-outer-vxlan.pcap", "1");
    assert_eq!(
        layers,
        [
            "Outer Ethernet",
            "Outer IPv6",
            "Outer UDP",
            "VXLAN",
            "Inner Ethernet",
            "Inner IPv6",
            "Inner ICMPv6",
            "Payload"
        ]
    );
    for v in [
        "fd00:172:16:100::101",
        "fd00:172:16:100::102",
        "fd00:10:244:1::c",
        "3144",
        "7",
    ] {
        assert!(values.contains(&v.to_string()), "{v}: {values:?}");
    }

    // The segment with data: TCP's header and its payload are boxes of their own.
    let (layers, values, doc) = layers_and_values("tcp-vxlan.pcap", "4");
    assert_eq!(layers[6..], ["Inner TCP", "Payload"], "{layers:?}");
    for v in ["43210", "8080", "1000000001", "2048601150"] {
        assert!(values.contains(&v.to_string()), "{v}: {values:?}");
    }
    assert!(texts_of(&doc, "range").contains(&"bytes 116-164 (49)".to_string()));

    // An ICMP error quoting a VXLAN packet: the quoted headers and the frame their tunnel carries.
    let (layers, values, _) = layers_and_values("icmp-errors-vxlan.pcap", "1");
    assert_eq!(
        layers,
        [
            "Outer Ethernet",
            "Outer IPv4",
            "Outer ICMP",
            "Quoted IPv4",
            "Quoted UDP",
            "Quoted VXLAN",
            "Quoted inner Ethernet",
            "Quoted inner IPv4",
            "Quoted inner ICMP",
            "Payload"
        ]
    );
    assert!(
        values.contains(&"3 (Destination unreachable)".to_string()),
        "{values:?}"
    );
}

#[test]
fn every_frame_of_every_capture_draws_valid_xml() {
    use vxscope_dissector::render::hexdump::{Format, write};
    let dir = TempDir::new("all");
    let mut files = captures_under(&root().join("samples"));
    files.extend(captures_under(&root().join("tests").join("data")));
    if let Some(corpus) = shared_corpus() {
        files.extend(captures_under(&corpus.join("vxlan")));
    }
    let dissector = Dissector::new(Config::default());
    let mut d = Dissection::new();
    let mut written = Vec::new();
    let mut tunnels = 0;
    for (n, capture) in files.iter().enumerate() {
        let Ok(mut reader) = CaptureReader::new(std::fs::File::open(capture).unwrap()) else {
            continue; // Not a capture the reader takes (damaged on purpose): tests/bad_input.rs.
        };
        let mut frame = 0;
        while let Ok(Some(p)) = reader.next_packet() {
            frame += 1;
            // The first frames of each capture (the corpus holds large ones), every frame of small ones.
            if frame > 40 {
                break;
            }
            dissector.dissect(p.link_type, p.data, p.orig_len, &mut d);
            let mut out = Vec::new();
            let lang = if frame % 2 == 0 { Lang::Zh } else { Lang::En };
            write(&mut out, &d, p.data, Format::Svg, lang);
            let doc = String::from_utf8(out).expect("UTF-8");
            tunnels += usize::from(doc.contains("class=\"bit\""));
            let file = dir.path(&format!("c{n}-f{frame}.svg"));
            std::fs::write(&file, doc).unwrap();
            written.push(file);
        }
    }
    assert!(
        written.len() > 100 && tunnels > 50,
        "{} pictures, {tunnels} with a tunnel header",
        written.len()
    );
    for chunk in written.chunks(500) {
        let out = Command::new(require_tool("xmllint"))
            .arg("--noout")
            .args(chunk)
            .output()
            .unwrap();
        assert!(out.status.success(), "xmllint: {}", stderr(&out));
    }
}

#[test]
fn warnings_and_errors_are_numbered_on_their_boxes_and_listed() {
    let dir = TempDir::new("notes");
    // The flannel.1 checksum offload bug: the inner TCP checksum (bytes 100-101) is wrong.
    let doc = picture(&sample("bad-checksums.pcap"), &["--frame", "1"]);
    xmllint(&dir, "notes.svg", &doc);
    assert_eq!(
        texts_of(&doc, "note"),
        [
            "[error] flannel.inner_checksum_bad (bytes 100-101): TCP checksum 0xdead of the encapsulated packet is wrong: it should be 0xb5b6; the receiving pod's kernel drops it"
        ]
    );
    // Its number on the box, and before its text.
    assert_eq!(texts_of(&doc, "marker"), ["1", "1"]);
    let zh = picture(
        &sample("bad-checksums.pcap"),
        &["--frame", "1", "--lang", "zh"],
    );
    let notes = texts_of(&zh, "note");
    assert!(
        notes.len() == 1
            && notes[0].starts_with("[错误] flannel.inner_checksum_bad (字节 100-101)："),
        "{notes:?}"
    );
    // The seed's only note is chat (UDP 8472 is VXLAN): nothing to list.
    let seed = picture(&sample("seed.pcap"), &["--frame", "1"]);
    assert!(texts_of(&seed, "note").is_empty() && texts_of(&seed, "marker").is_empty());
}

#[test]
fn a_picture_is_of_one_frame() {
    let out = vxscope([
        "hexdump".as_ref(),
        sample("tcp-vxlan.pcap").as_os_str(),
        "--format".as_ref(),
        "svg".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("give --frame N"), "{}", stderr(&out));
}

#[test]
fn the_html_page_starts_each_frame_with_its_picture() {
    let out = vxscope([
        "hexdump".as_ref(),
        sample("tcp-vxlan.pcap").as_os_str(),
        "--format".as_ref(),
        "html".as_ref(),
    ]);
    let page = stdout(&out);
    assert!(out.status.success());
    let frames: Vec<&str> = page.split("<section class=\"frame\"").skip(1).collect();
    assert_eq!(frames.len(), 9);
    for (n, frame) in frames.iter().enumerate() {
        let picture = frame
            .split("<figure class=\"picture\">")
            .nth(1)
            .unwrap_or_else(|| panic!("frame {} has no picture", n + 1));
        // The picture comes before the dump; its patterns are the frame's own.
        assert!(frame.find("<figure").unwrap() < frame.find("class=\"dump\"").unwrap());
        assert!(picture.contains(&format!("id=\"f{}-hatch-tu\"", n + 1)));
        assert!(picture.contains(&format!("url(#f{}-hatch-tu)", n + 1)));
    }
}

#[test]
fn the_picture_renders_in_headless_chromium() {
    let dir = TempDir::new("chromium");
    // A blank page, to compare screenshot sizes with.
    let blank = dir.path("blank.svg");
    std::fs::write(
        &blank,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1300\" height=\"700\"/>",
    )
    .unwrap();
    let blank_png = dir.path("blank.png");
    let shot = format!("--screenshot={}", blank_png.display());
    chromium(
        &dir.path("profile-blank"),
        &[&shot, "--window-size=1300,700"],
        &format!("file://{}", blank.display()),
    );
    let blank_size = std::fs::metadata(&blank_png).map(|m| m.len()).unwrap_or(0);
    assert!(blank_size > 0, "no screenshot of the blank picture");

    let seed = sample("seed.pcap");
    for lang in ["en", "zh"] {
        let file = dir.path(&format!("seed.{lang}.svg"));
        std::fs::write(&file, picture(&seed, &["--frame", "1", "--lang", lang])).unwrap();
        let url = format!("file://{}", file.display());
        let out = chromium(
            &dir.path(&format!("profile-dom-{lang}")),
            &["--dump-dom"],
            &url,
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            console_messages(&out).is_empty(),
            "console: {:?}",
            console_messages(&out)
        );
        assert!(stdout(&out).contains("VXLAN"), "{}", stdout(&out));

        let png = dir.path(&format!("seed.{lang}.png"));
        let shot = format!("--screenshot={}", png.display());
        let out = chromium(
            &dir.path(&format!("profile-shot-{lang}")),
            &[&shot, "--window-size=1300,700"],
            &url,
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
            "the screenshot ({} bytes) is hardly more than a blank picture's ({blank_size} bytes)",
            image.len()
        );
    }
}

#[test]
fn chinese_labels_have_a_font() {
    // Without a CJK font the Chinese picture renders as boxes; scripts/test installs one.
    let out = Command::new(require_tool("fc-list"))
        .arg(":lang=zh")
        .output()
        .unwrap();
    assert!(
        !stdout(&out).trim().is_empty(),
        "no font with Chinese glyphs: run scripts/test, which installs fonts-wqy-microhei"
    );
}
