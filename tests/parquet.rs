//! `vxscope dissect -T parquet`: every sample and every capture of `tests/data/corpus` written as Parquet,
//! read back with pyarrow (`tests/parquet_check.py`) and compared with `--json`, value by value, for every
//! column and row: each field the JSON of the capture holds (every occurrence, as lists), the default columns,
//! the first and last occurrences. A batch run into a directory queried with DuckDB, as the README shows. A
//! 1,000,000-packet capture converted in bounded memory (`/usr/bin/time -v`). The refusals.
//!
//! pyarrow and duckdb are Python packages of the `python3` on PATH; `scripts/test` installs them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use vxscope_tests::{TempDir, captures_under, require_tool, root, stderr, stdout, vxscope};

/// The `python3` on PATH, with pyarrow and duckdb importable (a failure, never a skip, without them).
fn python() -> PathBuf {
    let python = require_tool("python3");
    let o = Command::new(&python)
        .args(["-c", "import pyarrow, duckdb"])
        .output()
        .expect("run python3");
    assert!(
        o.status.success(),
        "pyarrow and duckdb are not installed for {}: run scripts/test, which installs them ({})",
        python.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    python
}

/// Every sample and every capture copied from public corpora.
fn captures() -> Vec<PathBuf> {
    let mut files = captures_under(&root().join("samples"));
    files.extend(captures_under(&root().join("tests/data/corpus")));
    assert!(files.len() > 90, "{} captures", files.len());
    files
}

/// The JSON lines of `--json` (with `extra` options), written to `out`; the exit status.
fn json(capture: &Path, extra: &[&str], out: &Path) -> (i32, Vec<serde_json::Value>) {
    let mut args = vec!["dissect", "--json"];
    args.extend(extra);
    let o = vxscope(
        args.iter()
            .map(|s| s.to_string())
            .chain([capture.display().to_string()]),
    );
    std::fs::write(out, &o.stdout).unwrap();
    let frames = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (o.status.code().unwrap_or(-1), frames)
}

/// Note codes used as columns (`-e CODE`: whether the frame has that note).
const NOTE_COLUMNS: [&str; 2] = ["malformed.truncated", "vxlan.port_8472"];

fn check(manifest: &str, dir: &TempDir) {
    let path = dir.path("manifest.tsv");
    std::fs::write(&path, manifest).unwrap();
    let o = Command::new(python())
        .arg(root().join("tests/parquet_check.py"))
        .arg(&path)
        .args(NOTE_COLUMNS)
        .output()
        .expect("run tests/parquet_check.py");
    let report = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "Parquet differs from --json:\n{report}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    eprintln!("{}", report.trim_end());
}

#[test]
fn every_capture_reads_back_as_its_json() {
    let dir = TempDir::new("parquet-json");
    let mut manifest = String::new();
    let mut with_topology = 0;
    for (n, capture) in captures().iter().enumerate() {
        // The flannel samples with their nodes, so that node names are in the columns.
        let nodes = root()
            .join("samples/flannel/nodes.json")
            .display()
            .to_string();
        let topology: Vec<&str> = if capture.starts_with(root().join("samples/flannel")) {
            with_topology += 1;
            vec!["--nodes", &nodes]
        } else {
            Vec::new()
        };
        let json_path = dir.path(&format!("{n}.jsonl"));
        let (status, frames) = json(capture, &topology, &json_path);
        // Every name the JSON of this capture holds, with the frame's own columns and the notes.
        let names: BTreeSet<String> = frames
            .iter()
            .flat_map(|f| f["fields"].as_object().unwrap().keys().cloned())
            .collect();
        let mut every: Vec<String> = [
            "frame.number",
            "frame.time_epoch",
            "frame.len",
            "frame.cap_len",
            "notes",
        ]
        .iter()
        .chain(NOTE_COLUMNS.iter())
        .map(|s| s.to_string())
        .collect();
        every.extend(names);
        let runs: [(&str, Vec<String>); 4] = [
            ("a", every.clone()),
            ("f", every.clone()),
            ("l", every),
            // The default columns.
            ("f", Vec::new()),
        ];
        for (i, (occurrence, columns)) in runs.iter().enumerate() {
            let out = dir.path(&format!("{n}-{i}.parquet"));
            let mut args: Vec<String> = ["dissect", "-T", "parquet", "-E"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            args.push(format!("occurrence={occurrence}"));
            args.extend(topology.iter().map(|s| s.to_string()));
            for c in columns {
                args.extend(["-e".to_string(), c.clone()]);
            }
            args.extend(["-o".to_string(), out.display().to_string()]);
            args.push(capture.display().to_string());
            let o = Command::new(vxscope_tests::vxscope_bin())
                .args(&args)
                .current_dir(root())
                .output()
                .unwrap();
            assert_eq!(
                o.status.code().unwrap_or(-1),
                status,
                "{}: parquet and --json end differently: {}",
                capture.display(),
                stderr(&o)
            );
            assert!(out.is_file(), "{}: no output", capture.display());
            manifest.push_str(&format!(
                "{}\t{}\t{occurrence}\n",
                json_path.display(),
                out.display()
            ));
        }
    }
    assert!(with_topology > 5);
    check(&manifest, &dir);
}

/// The README's query: a batch run over a directory of captures, then DuckDB over the directory of Parquet
/// files; its counts against those of the captures' `--json`.
#[test]
fn a_batch_run_is_one_table_for_duckdb() {
    let dir = TempDir::new("parquet-batch");
    let captures_dir = dir.path("captures");
    type Key = (Option<String>, Option<String>, i64);
    let mut expected: BTreeMap<Key, i64> = BTreeMap::new();
    let flannel: Vec<PathBuf> = captures_under(&root().join("samples/flannel"))
        .into_iter()
        .chain(captures_under(&root().join("samples/lab")))
        .collect();
    assert!(flannel.len() > 10);
    for (n, capture) in flannel.iter().enumerate() {
        // Two "nodes'" directories, as captures collected from a cluster would be.
        let node = if n % 2 == 0 { "node1" } else { "node2" };
        let copy = captures_dir.join(node).join(format!(
            "{n}-{}",
            capture.file_name().unwrap().to_string_lossy()
        ));
        std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
        std::fs::copy(capture, &copy).unwrap();
        let nodes = root().join("samples/flannel/nodes.json");
        let (_, frames) = json(
            &copy,
            &["--nodes", nodes.to_str().unwrap()],
            &dir.path("x.jsonl"),
        );
        for f in frames {
            let fields = &f["fields"];
            let Some(vni) = fields["vxlan.vni"].as_i64() else {
                continue;
            };
            let name = |k: &str| fields[k].as_str().map(str::to_string);
            *expected
                .entry((name("flannel.src_node"), name("flannel.dst_node"), vni))
                .or_default() += 1;
        }
    }
    assert!(!expected.is_empty());
    let out = dir.path("out");
    let o = Command::new(vxscope_tests::vxscope_bin())
        .args([
            "dissect",
            "-T",
            "parquet",
            "--nodes",
            "samples/flannel/nodes.json",
            "-q",
            "-o",
        ])
        .arg(&out)
        .arg(&captures_dir)
        .current_dir(root())
        .output()
        .unwrap();
    // Some of the diagnosis captures are damaged on purpose: status 1, their frames before the damage kept.
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let written = captures_under(&out);
    assert!(written.is_empty(), "no capture is written: {written:?}");
    let parquet_files: Vec<_> = walk(&out)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    assert_eq!(parquet_files.len(), flannel.len(), "{parquet_files:?}");
    assert!(
        parquet_files
            .iter()
            .all(|p| p.starts_with(out.join("captures/node1"))
                || p.starts_with(out.join("captures/node2"))),
        "{parquet_files:?}"
    );
    // The README's query, as it is there.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = &readme[readme.find("### Parquet for query engines").unwrap()..];
    let start = section.find("```sql\n").unwrap() + "```sql\n".len();
    let query = &section[start..start + section[start..].find("```").unwrap()];
    assert!(query.contains("FROM 'out/**/*.parquet'"), "{query}");
    let script = format!(
        "import duckdb\nfor row in duckdb.sql({query:?}).fetchall():\n    print(*row, sep='\\t')\n"
    );
    let o = Command::new(python())
        .args(["-c", &script])
        .current_dir(dir.path(""))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = |c: &str| (c != "None").then(|| c.to_string());
    let got: BTreeMap<Key, i64> = stdout(&o)
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (
                (text(c[0]), text(c[1]), c[2].parse().unwrap()),
                c[3].parse().unwrap(),
            )
        })
        .collect();
    eprintln!("{}", stdout(&o));
    assert_eq!(got, expected);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                found.push(p);
            }
        }
    }
    found.sort();
    found
}

/// A pcap file of `packets` copies of the seed's frame, a microsecond apart.
fn repeated_seed(path: &Path, packets: u64) {
    use std::io::Write;
    let seed = std::fs::read(root().join("samples/seed.pcap")).unwrap();
    // The seed: a little-endian microsecond pcap of one record.
    assert_eq!(&seed[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
    let frame = &seed[24 + 16..];
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    out.write_all(&seed[..24]).unwrap();
    let start = 1_630_859_447u64 * 1_000_000;
    for i in 0..packets {
        let us = start + i;
        out.write_all(&((us / 1_000_000) as u32).to_le_bytes())
            .unwrap();
        out.write_all(&((us % 1_000_000) as u32).to_le_bytes())
            .unwrap();
        out.write_all(&(frame.len() as u32).to_le_bytes()).unwrap();
        out.write_all(&(frame.len() as u32).to_le_bytes()).unwrap();
        out.write_all(frame).unwrap();
    }
    out.flush().unwrap();
}

/// Peak resident memory (KiB) and the output of `vxscope ARGS` under `/usr/bin/time -v`.
fn peak_kib(args: &[&str]) -> u64 {
    let o = Command::new(require_tool("time"))
        .arg("-v")
        .arg(vxscope_tests::vxscope_bin())
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    err.lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no peak memory in {err}"))
}

#[test]
fn a_million_packets_in_bounded_memory() {
    let dir = TempDir::new("parquet-million");
    let capture = dir.path("million.pcap");
    repeated_seed(&capture, 1_000_000);
    let small = dir.path("small.pcap");
    repeated_seed(&small, 100_000);
    let out = dir.path("million.parquet");
    let million = peak_kib(&[
        "dissect",
        "-T",
        "parquet",
        "-o",
        out.to_str().unwrap(),
        capture.to_str().unwrap(),
    ]);
    let small_out = dir.path("small.parquet");
    let hundred_thousand = peak_kib(&[
        "dissect",
        "-T",
        "parquet",
        "-o",
        small_out.to_str().unwrap(),
        small.to_str().unwrap(),
    ]);
    eprintln!(
        "peak memory: {million} KiB for 1,000,000 packets, {hundred_thousand} KiB for 100,000"
    );
    // Row groups of 64 Ki frames: memory is that of one group, whatever the length of the capture.
    assert!(million < 96 * 1024, "{million} KiB");
    assert!(
        million < hundred_thousand + 16 * 1024,
        "{million} KiB for 1,000,000 packets, {hundred_thousand} KiB for 100,000"
    );
    // Every row is there, in row groups, and the last frame's time is the capture's.
    let script = format!(
        "import pyarrow.parquet as pq\nf = pq.ParquetFile({:?})\nt = f.read(columns=['frame.number', 'frame.time_epoch'])\n\
         print(f.metadata.num_rows, f.metadata.num_row_groups, t.column(0)[-1].as_py(), t.column(1).cast('int64')[-1].as_py())",
        out.display()
    );
    let o = Command::new(python())
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let last_ns = (1_630_859_447u64 * 1_000_000 + 999_999) * 1000;
    assert_eq!(stdout(&o).trim(), format!("1000000 16 1000000 {last_ns}"));
}

#[test]
fn refusals() {
    let dir = TempDir::new("parquet-refusals");
    let seed = root().join("samples/seed.pcap");
    // Parquet is a file: never standard output.
    let o = vxscope(["dissect", "-T", "parquet", seed.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("give -o FILE.parquet"),
        "{}",
        stderr(&o)
    );
    assert!(o.stdout.is_empty());
    // A file name takes one input.
    let out = dir.path("two.parquet");
    let o = vxscope([
        "dissect",
        "-T",
        "parquet",
        "-o",
        out.to_str().unwrap(),
        seed.to_str().unwrap(),
        root().join("samples/tcp-vxlan.pcap").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!out.exists());
    // Never the input: a capture named .parquet is not overwritten.
    let input = dir.path("capture.parquet");
    std::fs::copy(&seed, &input).unwrap();
    let o = vxscope([
        "dissect",
        "-T",
        "parquet",
        "-o",
        input.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("it is the input"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(&input).unwrap(),
        std::fs::read(&seed).unwrap()
    );
    // Names and options.
    let o = vxscope([
        "dissect",
        "-T",
        "parquet",
        "-e",
        "inner.ip.sr",
        "-o",
        "x.parquet",
        seed.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean inner.ip.src?"),
        "{}",
        stderr(&o)
    );
    let o = vxscope([
        "dissect",
        "-T",
        "parquet",
        "-E",
        "separator=,",
        "-o",
        "x.parquet",
        seed.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("only -E occurrence"), "{}", stderr(&o));
    // A damaged capture: the frames before the damage, the file in place, status 1, nothing else left.
    let damaged = dir.path("damaged.pcap");
    let tcp = std::fs::read(root().join("samples/tcp-vxlan.pcap")).unwrap();
    std::fs::write(&damaged, &tcp[..tcp.len() - 10]).unwrap();
    let out = dir.path("damaged.parquet");
    let o = vxscope([
        "dissect",
        "-T",
        "parquet",
        "-o",
        out.to_str().unwrap(),
        damaged.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("byte offset"), "{}", stderr(&o));
    let frames = stdout(&vxscope(["dissect", "--json", damaged.to_str().unwrap()]))
        .lines()
        .count();
    let script = format!(
        "import pyarrow.parquet as pq\nprint(pq.ParquetFile({:?}).metadata.num_rows)",
        out.display()
    );
    let o = Command::new(python())
        .args(["-c", &script])
        .output()
        .unwrap();
    assert_eq!(stdout(&o).trim(), frames.to_string(), "{}", stderr(&o));
    let left: Vec<_> = walk(&dir.path(""))
        .into_iter()
        .filter(|p| p.extension().is_none_or(|e| e != "pcap" && e != "parquet"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}
