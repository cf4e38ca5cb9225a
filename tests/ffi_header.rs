//! The header and the library agree: `ffi/include/vxscope.h` is exactly what cbindgen generates from
//! `ffi/src`, every symbol `libvxscope.so` exports is declared in it, and every function it declares is
//! exported.
//!
//! After changing the ABI: `VXSCOPE_BLESS=1 cargo test -p vxscope-tests --test ffi_header` rewrites the header.

use std::collections::BTreeSet;
use std::process::Command;

use vxscope_tests::{build_workspace, require_tool, root, target_dir};

fn header_path() -> std::path::PathBuf {
    root().join("ffi").join("include").join("vxscope.h")
}

fn generate_header() -> String {
    let ffi = root().join("ffi");
    let config =
        cbindgen::Config::from_file(ffi.join("cbindgen.toml")).expect("read ffi/cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_src(root().join("abi").join("src").join("lib.rs"))
        .with_crate(&ffi)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("utf-8 header")
}

#[test]
fn header_is_generated_from_the_code() {
    let generated = generate_header();
    let path = header_path();
    if vxscope_tests::blessing() {
        std::fs::write(&path, &generated).expect("write the header");
        return;
    }
    let committed = std::fs::read_to_string(&path).expect("read ffi/include/vxscope.h");
    if committed != generated {
        let (line, (want, have)) = generated
            .lines()
            .zip(committed.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .map(|(i, pair)| (i + 1, pair))
            .unwrap_or((
                generated.lines().count().min(committed.lines().count()) + 1,
                ("", ""),
            ));
        panic!(
            "ffi/include/vxscope.h is not what cbindgen generates from ffi/src (first difference at line {line}):\n  \
             code says:   {want}\n  header says: {have}\n\
             Regenerate it with VXSCOPE_BLESS=1 cargo test -p vxscope-tests --test ffi_header"
        );
    }
}

/// The functions the header declares: every `vxscope_*(` that starts a declaration.
fn declared_functions(header: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut statement = String::new();
    for line in header.lines() {
        let line = line.trim();
        if line.starts_with('#')
            || line.starts_with("/*")
            || line.starts_with('*')
            || line.starts_with("//")
        {
            continue;
        }
        statement.push(' ');
        statement.push_str(line);
        if !line.ends_with(';') && !line.ends_with('{') && !line.ends_with('}') {
            continue;
        }
        let s = std::mem::take(&mut statement);
        // A declaration at file level: `type name(args);`, not a member `type (*name)(args);` nor a typedef.
        if s.contains("typedef") || s.contains("(*") || !s.trim_end().ends_with(");") {
            continue;
        }
        if let Some(open) = s.find('(') {
            let name: String = s[..open]
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if name.starts_with("vxscope_") {
                names.insert(name);
            }
        }
    }
    names
}

/// The functions `libvxscope.so` exports.
fn exported_functions() -> BTreeSet<String> {
    build_workspace();
    require_tool("nm");
    let lib = target_dir().join("libvxscope.so");
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&lib)
        .output()
        .expect("run nm");
    assert!(
        out.status.success(),
        "nm {}: {}",
        lib.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let (_, kind, name) = (parts.next()?, parts.next()?, parts.next()?);
            (kind == "T").then(|| name.to_string())
        })
        .collect()
}

#[test]
fn every_exported_function_is_declared_and_every_declared_one_exported() {
    let header = std::fs::read_to_string(header_path()).expect("read ffi/include/vxscope.h");
    let declared = declared_functions(&header);
    let exported = exported_functions();
    assert!(
        declared.len() >= 25,
        "too few declarations found: {declared:?}"
    );
    let undeclared: Vec<_> = exported.difference(&declared).collect();
    let missing: Vec<_> = declared.difference(&exported).collect();
    assert!(
        undeclared.is_empty(),
        "exported by libvxscope.so but not declared in vxscope.h: {undeclared:?}"
    );
    assert!(
        missing.is_empty(),
        "declared in vxscope.h but not exported by libvxscope.so: {missing:?}"
    );
    for name in &exported {
        assert!(
            name.starts_with("vxscope_"),
            "libvxscope.so exports {name}, outside the vxscope_ namespace"
        );
    }
}

#[test]
fn the_header_names_no_rust_type() {
    let header = std::fs::read_to_string(header_path()).expect("read ffi/include/vxscope.h");
    for rust_name in [
        "Options",
        "Context",
        "DissectionHandle",
        "Counts",
        "LayerRecord",
        "FieldRecord",
        "NoteRecord",
        "FieldDefRecord",
        "NoteDefRecord",
        "Plugin",
        "Status",
        "Option<",
        "Vec<",
        "&",
    ] {
        let found = header
            .lines()
            .filter(|l| !l.trim_start().starts_with('*') && !l.trim_start().starts_with("/*"))
            .find(|l| {
                l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '<' || c == '&'))
                    .any(|word| {
                        word == rust_name
                            || (rust_name.ends_with('<') && word.starts_with(rust_name))
                    })
            });
        assert!(
            found.is_none(),
            "vxscope.h names the Rust type {rust_name}: {found:?}"
        );
    }
}
