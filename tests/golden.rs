//! Golden files: `vxscope dissect` must print exactly `samples/golden/<capture>.<view>` for every capture in
//! `samples/`, in each of its three views (`txt`: one line a packet, `tree.txt`: `-V`, `jsonl`: `--json`), and
//! for the extra option sets below.
//!
//! After a deliberate change of output, rewrite them and review the difference:
//!
//! ```sh
//! VXSCOPE_BLESS=1 cargo test -p vxscope-tests --test golden && git diff samples/golden/
//! ```

use std::path::{Path, PathBuf};

use vxscope_tests::{root, stderr, stdout, vxscope};

/// The views of a capture, with the options that select them and the file suffix of their golden file.
const VIEWS: &[(&[&str], &str)] = &[(&[], "txt"), (&["-V"], "tree.txt"), (&["--json"], "jsonl")];

/// Option sets checked besides the defaults: (capture, options, name of the variant).
const VARIANTS: &[(&str, &[&str], &str)] = &[
    // UDP 8472 read as tcpdump 4.99 reads it.
    ("seed.pcap", &["--decode-as", "otv"], "otv"),
    // The group policy extension in use: no note about the G flag.
    ("gbp-gpe.pcap", &["--gbp"], "gbp"),
];

fn golden_dir() -> PathBuf {
    root().join("samples").join("golden")
}

/// The captures directly under `samples/` (the flannel samples have their own golden files).
fn samples() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(root().join("samples"))
        .expect("samples/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    found.sort();
    found
}

/// Runs `vxscope dissect` and returns what it printed; it must succeed without a word on stderr.
fn dissect(capture: &Path, options: &[&str]) -> String {
    let mut args = vec!["dissect".to_string()];
    args.extend(options.iter().map(|s| s.to_string()));
    args.push(capture.display().to_string());
    let out = vxscope(&args);
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "vxscope {}: exit {:?}, stderr {}",
        args.join(" "),
        out.status.code(),
        stderr(&out)
    );
    stdout(&out)
}

/// Compares `actual` with the golden file `name` (or rewrites it under VXSCOPE_BLESS); returns a description of
/// the difference, if any.
fn check(name: &str, actual: &str) -> Option<String> {
    let path = golden_dir().join(name);
    if vxscope_tests::blessing() {
        std::fs::create_dir_all(golden_dir()).expect("create samples/golden");
        std::fs::write(&path, actual).expect("write golden file");
        return None;
    }
    let expected = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => return Some(format!("{name}: cannot read the golden file ({e})")),
    };
    if expected == actual {
        return None;
    }
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let line = e
        .iter()
        .zip(&a)
        .position(|(x, y)| x != y)
        .unwrap_or(e.len().min(a.len()));
    Some(format!(
        "{name}: differs from line {}:\n  expected: {}\n  actual:   {}",
        line + 1,
        e.get(line).unwrap_or(&"(end of file)"),
        a.get(line).unwrap_or(&"(end of file)")
    ))
}

#[test]
fn outputs_match_the_golden_files() {
    let mut problems = Vec::new();
    let mut expected_files = Vec::new();
    let captures = samples();
    assert!(
        captures.len() >= 10,
        "samples/ holds {} captures",
        captures.len()
    );
    let mut jobs: Vec<(PathBuf, &[&str], String)> = Vec::new();
    for capture in &captures {
        let stem = capture.file_name().unwrap().to_string_lossy().into_owned();
        jobs.push((capture.clone(), &[], stem));
    }
    for (file, options, variant) in VARIANTS {
        jobs.push((
            root().join("samples").join(file),
            options,
            format!("{file}.{variant}"),
        ));
    }
    for (capture, options, stem) in &jobs {
        for (view, suffix) in VIEWS {
            let mut all: Vec<&str> = options.to_vec();
            all.extend_from_slice(view);
            let out = dissect(capture, &all);
            if *suffix == "jsonl" {
                for (i, line) in out.lines().enumerate() {
                    if let Err(e) = serde_json::from_str::<serde_json::Value>(line) {
                        problems.push(format!("{stem} --json line {}: not JSON ({e})", i + 1));
                    }
                }
            }
            let name = format!("{stem}.{suffix}");
            problems.extend(check(&name, &out));
            expected_files.push(name);
        }
    }
    // A golden file no capture produces is a leftover.
    if !vxscope_tests::blessing() {
        for e in std::fs::read_dir(golden_dir())
            .expect("samples/golden")
            .flatten()
        {
            if !e.path().is_file() {
                continue;
            }
            let name = e.file_name().to_string_lossy().into_owned();
            if name != "README.md" && !expected_files.contains(&name) {
                problems.push(format!("{name}: no capture produces this golden file"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} golden files differ (after a deliberate change: VXSCOPE_BLESS=1 cargo test -p vxscope-tests --test golden, then review git diff samples/golden/):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn one_liner_lines_are_the_json_summaries() {
    // The one-liner and the JSON summary are one rendering: the same text after the timestamp.
    for capture in samples() {
        let lines = dissect(&capture, &[]);
        let json = dissect(&capture, &["--json"]);
        for (line, object) in lines.lines().zip(json.lines()) {
            let v: serde_json::Value = serde_json::from_str(object).expect("JSON line");
            let summary = v["summary"].as_str().expect("summary");
            let (_, after_time) = line.split_once(' ').expect("timestamp, then summary");
            assert_eq!(after_time, summary, "{}", capture.display());
        }
        assert_eq!(lines.lines().count(), json.lines().count());
    }
}

/// The one-line view records only the fields the summary and the flannel annotations read
/// (`Dissection::recording`): on every capture of the repository and of the shared corpus, with flannel's
/// defaults and with the topology of `samples/flannel/nodes.json` (which the diagnoses need), each line equals
/// the line of a dissection that records every field, notes included: a field a diagnosis reads but
/// `flannel::FIELDS_READ` forgets drops the diagnosis from the recorded line. (Debug builds also check each
/// lookup is of a recorded field; this test holds in release builds too.)
#[test]
fn one_line_view_of_recorded_fields_equals_the_full_one() {
    use vxscope_capture::CaptureReader;
    use vxscope_dissector::flannel::{self, Session, TopologyBuilder, TopologySource};
    use vxscope_dissector::render::summary;
    use vxscope_dissector::{Config, Dissection, Dissector};

    let mut captures = vxscope_tests::captures_under(&root().join("samples"));
    captures.extend(vxscope_tests::captures_under(&root().join("tests/data")));
    if let Some(shared) = vxscope_tests::shared_corpus() {
        captures.extend(vxscope_tests::captures_under(&shared));
    }
    let recorded = [summary::FIELDS_READ, flannel::FIELDS_READ].concat();
    let mut nodes = TopologyBuilder::new();
    nodes
        .add(&TopologySource::Nodes {
            text: std::fs::read_to_string(root().join("samples/flannel/nodes.json")).unwrap(),
            label: "nodes.json".into(),
        })
        .unwrap();
    let dissectors = [
        ("defaults", Dissector::new(Config::default())),
        (
            "nodes.json",
            Dissector::with_topology(Config::default(), nodes.build()),
        ),
    ];
    let (mut frames, mut fewer, mut diagnosed) = (0, 0, 0);
    for (capture, (topology, dissector)) in captures
        .iter()
        .flat_map(|c| dissectors.iter().map(move |d| (c, d)))
    {
        let file = std::fs::File::open(capture).unwrap();
        let Ok(mut reader) = CaptureReader::from_file(file) else {
            continue;
        };
        let (mut full, mut few) = (Dissection::new(), Dissection::recording(&recorded));
        let (mut full_session, mut few_session) = (Session::new(), Session::new());
        let (mut full_line, mut few_line) = (Vec::new(), Vec::new());
        while let Ok(Some(p)) = reader.next_packet() {
            full_session.dissect(dissector, p.link_type, p.data, p.orig_len, &mut full);
            few_session.dissect(dissector, p.link_type, p.data, p.orig_len, &mut few);
            full_line.clear();
            few_line.clear();
            summary::write(&mut full_line, &full, p.data);
            summary::write(&mut few_line, &few, p.data);
            assert_eq!(
                String::from_utf8_lossy(&few_line),
                String::from_utf8_lossy(&full_line),
                "{} frame {} ({topology})",
                capture.display(),
                p.number
            );
            fewer += full.fields().len() - few.fields().len();
            diagnosed += full
                .notes()
                .iter()
                .filter(|n| n.code.def().code.starts_with("flannel."))
                .count();
            frames += 1;
        }
    }
    // The repository alone holds some 600 frames (twice: two topologies); the shared corpus, when present,
    // thousands more.
    assert!(frames > 1000, "only {frames} frames compared");
    assert!(diagnosed > 10, "only {diagnosed} flannel notes compared");
    assert!(
        fewer > 10 * frames,
        "{fewer} fields fewer over {frames} frames"
    );
}
