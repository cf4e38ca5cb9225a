//! `tests/Cargo.toml` names its tests one by one (`autotests = false`: the files sit beside the manifest, not in
//! a `tests/` directory cargo would search), so a file left out of it would never run. This test fails when a
//! `.rs` file in `tests/` is neither a registered test, nor the support library, nor a module another test
//! includes (`#[path = "..."] mod ...;`), and when a registered path names no file. It also keeps the one
//! environment switch for rewriting expected outputs the only one (`vxscope_tests::BLESS`).

use std::collections::BTreeSet;

use vxscope_tests::{BLESS, root};

/// The `path = "..."` of each `[[test]]` and of `[lib]` in the manifest.
fn manifest_paths(manifest: &str) -> (BTreeSet<String>, Option<String>) {
    let (mut tests, mut lib, mut section) = (BTreeSet::new(), None, "");
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
            continue;
        }
        let Some(value) = line.strip_prefix("path").map(str::trim_start) else {
            continue;
        };
        let Some(value) = value.strip_prefix('=') else {
            continue;
        };
        let path = value.trim().trim_matches('"').to_string();
        match section {
            "[[test]]" => {
                tests.insert(path);
            }
            "[lib]" => lib = Some(path),
            _ => {}
        }
    }
    (tests, lib)
}

/// The files a test source includes as modules: `#[path = "x.rs"]`.
fn included_modules(source: &str) -> Vec<String> {
    source
        .lines()
        .filter_map(|l| l.trim().strip_prefix("#[path = \""))
        .filter_map(|rest| rest.split_once('"').map(|(p, _)| p.to_string()))
        .collect()
}

#[test]
fn every_test_file_is_registered() {
    let dir = root().join("tests");
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let (registered, lib) = manifest_paths(&manifest);
    assert!(registered.len() > 20, "{registered:?}");
    assert!(
        registered.contains("registration.rs"),
        "this test must be registered too"
    );
    let mut files = BTreeSet::new();
    let mut modules = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            modules.extend(included_modules(&std::fs::read_to_string(&path).unwrap()));
            files.insert(name);
        }
    }
    let unregistered: Vec<&String> = files
        .iter()
        .filter(|f| !registered.contains(*f) && lib.as_ref() != Some(*f) && !modules.contains(*f))
        .collect();
    assert!(
        unregistered.is_empty(),
        "test files that never run: add a [[test]] entry for each to tests/Cargo.toml: {unregistered:?}"
    );
    let missing: Vec<&String> = registered.iter().filter(|p| !files.contains(*p)).collect();
    assert!(
        missing.is_empty(),
        "tests/Cargo.toml registers files that do not exist: {missing:?}"
    );
}

#[test]
fn one_switch_rewrites_expected_outputs() {
    // Built from parts so that this file does not hold the names it looks for.
    let retired = [
        ["UPDATE", "GOLDEN"].join("_"),
        ["VXSCOPE", "UPDATE", "GOLDEN"].join("_"),
    ];
    let mut found = Vec::new();
    for dir in ["tests", "samples", "scripts", "bench"] {
        let mut stack = vec![root().join(dir)];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue; // A capture.
                };
                for name in &retired {
                    // Each old name alone: the shorter one inside the longer is reported once, as the longer.
                    let alone = text
                        .match_indices(name.as_str())
                        .any(|(i, _)| !(name == &retired[0] && text[..i].ends_with("VXSCOPE_")));
                    if alone {
                        found.push(format!("{}: {name}", path.display()));
                    }
                }
            }
        }
    }
    for doc in ["README.md", "ARCHITECTURE.md"] {
        let text = std::fs::read_to_string(root().join(doc)).unwrap();
        for name in &retired {
            if text.contains(name.as_str()) {
                found.push(format!("{doc}: {name}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "expected outputs are rewritten with {BLESS}=1 only: {found:?}"
    );
    assert!(
        std::fs::read_to_string(root().join("README.md"))
            .unwrap()
            .contains(&format!("{BLESS}=1 cargo test -p vxscope-tests")),
        "README.md documents {BLESS}"
    );
}
