//! Every input the fuzzers found a fault with (`tests/data/fuzz/<target>/`, see ROBUSTNESS.md), and the seed
//! corpora's inputs (`fuzz/seeds/<target>/`), through the same checks the fuzz targets run
//! (`fuzz/src/checks.rs`): a fault fixed stays fixed, without nightly or libFuzzer.

#[path = "../fuzz/src/checks.rs"]
#[allow(dead_code)]
mod checks;

use std::path::Path;

use vxscope_tests::root;

/// Runs `check` on every file under `dir` (none is fine for a target that never failed); returns how many.
fn each_input(dir: &Path, check: fn(&[u8])) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        if let Err(e) = std::panic::catch_unwind(|| check(&bytes)) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{}: {msg}", f.display());
        }
    }
    files.len()
}

/// A whole capture through every command in-process, under every reading and `--other` policy.
fn whole_capture(data: &[u8]) {
    for variant in [0, 1, 2, 3, 4, 8, 16, 17] {
        checks::whole_capture(data, variant, usize::MAX);
    }
}

/// A fuzz target's check of one input.
type Check = fn(&[u8]);

const TARGETS: [(&str, Check); 8] = [
    ("dissect", checks::dissect),
    ("hex_text", checks::hex_text),
    ("capture", checks::capture),
    ("topology", checks::topology),
    ("ffi", checks::ffi),
    ("rewrite", checks::rewrite_frame),
    ("filter", checks::filter),
    ("whole_capture", whole_capture),
];

#[test]
fn inputs_the_fuzzers_found_faults_with_pass() {
    for (target, check) in TARGETS {
        each_input(&root().join("tests/data/fuzz").join(target), check);
    }
}

#[test]
fn the_seed_corpora_pass_the_fuzz_checks() {
    for (target, check) in &TARGETS[..7] {
        let n = each_input(&root().join("fuzz/seeds").join(target), *check);
        assert!(n > 0, "no seeds for {target}: run scripts/fuzz-seeds");
    }
}
