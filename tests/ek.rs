//! `vxscope dissect -T ek`: Elasticsearch bulk-API lines. On every sample and every capture of
//! `tests/data/corpus`: every line is JSON, an index line then a document a frame, and each document holds the
//! values `--json` writes (field for field, named with `_` for `.`, the frame's number, time and lengths, the
//! summary and the notes). On every sample, the shape against `tshark -T ek` of the same capture: the same
//! index line and the same `timestamp` a frame, a `layers` object with a `frame` object and an object a
//! protocol where tshark has one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use vxscope_tests::{captures_under, require_tool, root, stderr, stdout, vxscope};

fn lines(o: &std::process::Output, what: &str) -> Vec<Value> {
    stdout(o)
        .lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{what}: line {}: {e}: {l}", i + 1))
        })
        .collect()
}

fn captures() -> Vec<PathBuf> {
    let mut files = captures_under(&root().join("samples"));
    files.extend(captures_under(&root().join("tests/data/corpus")));
    assert!(files.len() > 90, "{} captures", files.len());
    files
}

/// Our document's values against the frame's `--json` object.
fn same_values(what: &str, doc: &Value, frame: &Value) {
    let layers = doc["layers"].as_object().expect("a layers object");
    let f = &layers["frame"];
    assert_eq!(f["frame_number"], frame["frame"], "{what}");
    assert_eq!(f["frame_time_epoch"], frame["ts"], "{what}");
    assert_eq!(f["frame_len"], frame["len"], "{what}");
    assert_eq!(f["frame_cap_len"], frame["caplen"], "{what}");
    assert_eq!(doc["summary"], frame["summary"], "{what}");
    assert_eq!(doc["notes"], frame["notes"], "{what}");
    let mut values = BTreeMap::new();
    for (layer, fields) in layers {
        if layer == "frame" {
            continue;
        }
        for (name, value) in fields.as_object().expect("a layer is an object") {
            assert!(
                values.insert(name.clone(), value.clone()).is_none(),
                "{what}: {name} in two layers"
            );
        }
    }
    let expected: BTreeMap<String, Value> = frame["fields"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.replace('.', "_"), v.clone()))
        .collect();
    assert_eq!(values, expected, "{what}");
}

#[test]
fn every_capture_pairs_index_lines_and_documents_of_its_json_values() {
    let mut frames_seen = 0;
    for capture in captures() {
        let what = capture.display().to_string();
        let ek = vxscope(["dissect", "-T", "ek", &what]);
        let json = vxscope(["dissect", "--json", &what]);
        assert_eq!(
            ek.status.code(),
            json.status.code(),
            "{what}: {}",
            stderr(&ek)
        );
        let ek_lines = lines(&ek, &what);
        let frames = lines(&json, &what);
        assert_eq!(ek_lines.len(), 2 * frames.len(), "{what}");
        for (pair, frame) in ek_lines.chunks(2).zip(&frames) {
            let (index, doc) = (&pair[0], &pair[1]);
            let here = format!("{what}: frame {}", frame["frame"]);
            let index = index["index"].as_object().expect("an index line");
            assert_eq!(index.len(), 2, "{here}");
            assert_eq!(index["_type"], "doc", "{here}");
            let name = index["_index"].as_str().unwrap();
            assert!(
                name.len() == "packets-YYYY-MM-DD".len() && name.starts_with("packets-"),
                "{here}: {name}"
            );
            // Milliseconds since the epoch, from the frame's time.
            let ts = frame["ts"].as_str().unwrap();
            let (sec, frac) = ts.split_once('.').unwrap();
            let ms = format!("{}{}", sec, &frac[..3]);
            let ms = ms.trim_start_matches('0');
            assert_eq!(
                doc["timestamp"].as_str().unwrap(),
                if ms.is_empty() { "0" } else { ms },
                "{here}"
            );
            same_values(&here, doc, frame);
            frames_seen += 1;
        }
    }
    assert!(frames_seen > 800, "{frames_seen} frames");
}

fn tshark_ek(capture: &Path) -> Vec<Value> {
    let o = Command::new(require_tool("tshark"))
        .args(["-n", "-T", "ek", "-d", "udp.port==8472,vxlan", "-r"])
        .arg(capture)
        .output()
        .expect("run tshark");
    assert!(o.status.success(), "{}", stderr(&o));
    lines(&o, "tshark")
}

#[test]
fn the_shape_of_tshark_ek() {
    let mut protocols_in_both = 0;
    let mut only_ours = Vec::new();
    let mut files = captures_under(&root().join("samples"));
    files.retain(|p| !p.starts_with(root().join("samples/rewrite")));
    assert!(files.len() > 20);
    for capture in files {
        let what = capture.display().to_string();
        let ours = vxscope(["dissect", "-T", "ek", &what]);
        if !ours.status.success() {
            // A damaged sample: tshark reads it otherwise.
            continue;
        }
        let ours = lines(&ours, &what);
        let theirs = tshark_ek(&capture);
        assert_eq!(ours.len(), theirs.len(), "{what}: lines");
        for (n, (a, b)) in ours.chunks(2).zip(theirs.chunks(2)).enumerate() {
            let here = format!("{what}: frame {}", n + 1);
            // The index line, character for character.
            assert_eq!(a[0], b[0], "{here}: index line");
            assert_eq!(a[1]["timestamp"], b[1]["timestamp"], "{here}: timestamp");
            let (la, lb) = (
                a[1]["layers"].as_object().unwrap(),
                b[1]["layers"].as_object().unwrap(),
            );
            assert!(
                la.contains_key("frame") && lb.contains_key("frame"),
                "{here}"
            );
            assert_eq!(
                la["frame"]["frame_number"].to_string(),
                lb["frame"]["frame_frame_number"].as_str().unwrap(),
                "{here}"
            );
            // tshark names its protocol objects as vxscope names the outer layers (eth, ip, udp, vxlan).
            // A first fragment (more fragments follow): tshark reassembles, and shows UDP and what it carries
            // only on the last fragment; vxscope decodes the first fragment's UDP header where it is.
            let first_fragment = la.get("ip").is_some_and(|ip| ip["ip_flags_mf"] == true)
                || la
                    .get("ipv6")
                    .is_some_and(|ip| ip["ipv6_fragment_more"] == true);
            for proto in ["eth", "ip", "ipv6", "udp", "tcp", "vxlan", "arp"] {
                if first_fragment && ["udp", "tcp", "vxlan"].contains(&proto) {
                    continue;
                }
                if la.contains_key(proto) {
                    if lb.contains_key(proto) {
                        protocols_in_both += 1;
                    } else {
                        only_ours.push(format!("{here}: {proto}"));
                    }
                }
            }
        }
    }
    assert!(protocols_in_both > 100, "{protocols_in_both}");
    assert!(only_ours.is_empty(), "{only_ours:#?}");
}
