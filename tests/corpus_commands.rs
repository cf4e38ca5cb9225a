//! Every capture of the repository and of `../shared/corpus` (tcpdump's 830 test files, many of them inputs
//! that once crashed tcpdump, and the public VXLAN captures) through every command — `dissect`, `-V`, `--json`,
//! `hexdump`, `topology`, `strip`, `remap`, `encap` — through the binary: status 0, or 1 with a clear error;
//! never a panic (status 101), a signal or a hang (a minute); each rewrite's output a valid capture; peak
//! resident memory under 64 MiB. In CI (`CI=true`) the shared corpus must be present.

use vxscope_tests::{captures_under, every_command, root, shared_corpus};

#[test]
fn every_capture_through_every_command() {
    let mut files = captures_under(&root().join("samples"));
    files.extend(captures_under(&root().join("tests/data")));
    match shared_corpus() {
        Some(dir) => files.extend(captures_under(&dir)),
        None if std::env::var_os("CI").is_some_and(|v| v == "true") => {
            panic!("../shared/corpus is missing: CI must run this test over it")
        }
        None => eprintln!("../shared/corpus is missing: only the repository's captures are run"),
    }
    let dir = std::env::temp_dir().join(format!("vxscope-corpus-commands-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let started = std::time::Instant::now();
    let mut peak = (0, String::new());
    for f in &files {
        let p = every_command(f, &dir, &f.display().to_string());
        if p > peak.0 {
            peak = (p, f.display().to_string());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "{} captures through every command in {:.0} s; peak resident memory {} KiB ({})",
        files.len(),
        started.elapsed().as_secs_f64(),
        peak.0,
        peak.1
    );
    assert!(
        peak.0 < 64 * 1024,
        "peak resident memory {} KiB, over 64 MiB, with {}",
        peak.0,
        peak.1
    );
}
