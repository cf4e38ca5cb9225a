//! `vxscope dissect --plugin PATH`: libvxscope.so loaded with libloading gives the same output as the built-in
//! dissector for every frame of `samples/`, of the captures in `tests/data/ffi/` and, when it is there, of the
//! whole public corpus; a plugin of another ABI version, without the descriptor, with a NULL function or a
//! record of another size is refused with a clear message; a plugin that fails on a frame is reported with the
//! file, the frame number and the byte offset.

use std::path::{Path, PathBuf};
use std::process::Command;

use vxscope_tests::{
    build_workspace, captures_under, data, require_tool, root, sample, shared_corpus, stderr,
    stdout, target_dir, vxscope,
};

fn libvxscope() -> PathBuf {
    build_workspace();
    target_dir().join("libvxscope.so")
}

/// Runs `vxscope dissect ARGS FILE` with the built-in dissector and through the plugin, and requires the same
/// standard output, standard error and exit status.
fn assert_same(args: &[&str], file: &Path) {
    let plugin = libvxscope();
    let mut builtin_args = vec!["dissect"];
    builtin_args.extend_from_slice(args);
    let file_arg = file.to_str().expect("utf-8 path");
    builtin_args.push(file_arg);
    let mut plugin_args = vec!["dissect", "--plugin", plugin.to_str().expect("utf-8 path")];
    plugin_args.extend_from_slice(args);
    plugin_args.push(file_arg);
    let builtin = vxscope(&builtin_args);
    let through = vxscope(&plugin_args);
    if builtin.stdout != through.stdout {
        let (b, p) = (stdout(&builtin), stdout(&through));
        let (line, (want, have)) = b
            .lines()
            .zip(p.lines())
            .enumerate()
            .find(|(_, (x, y))| x != y)
            .map(|(i, pair)| (i + 1, pair))
            .unwrap_or((
                b.lines().count().min(p.lines().count()) + 1,
                ("(end)", "(end)"),
            ));
        panic!(
            "{} {args:?}: the plugin's output differs from the built-in one at line {line}:\n  \
             built-in: {want}\n  plugin:   {have}",
            file.display()
        );
    }
    assert_eq!(
        stderr(&builtin),
        stderr(&through),
        "{} {args:?}: standard error differs",
        file.display()
    );
    assert_eq!(
        builtin.status.code(),
        through.status.code(),
        "{} {args:?}: exit status differs",
        file.display()
    );
}

fn local_captures() -> Vec<PathBuf> {
    let mut files = captures_under(&root().join("samples"));
    files.extend(captures_under(&data("ffi")));
    assert!(
        files.len() >= 20,
        "expected the samples and tests/data/ffi: {files:?}"
    );
    files
}

#[test]
fn samples_and_copied_captures_give_the_same_output_through_the_plugin() {
    for file in local_captures() {
        assert_same(&["--json"], &file);
        assert_same(&["-V"], &file);
        assert_same(&[], &file);
    }
}

#[test]
fn options_reach_the_plugin() {
    // 8472 read as OTV, an extra VXLAN port, GBP: each changes the output, identically on both paths.
    let vxlan = data("ffi").join("tcpdump-vxlan.pcap");
    let gbp = data("ffi").join("pcapplusplus-Vxlan1.pcap");
    let port_8472 = data("ffi").join("tcpdump-vxlan_port_8472.pcap");
    assert_same(&["--json", "--decode-as", "otv"], &port_8472);
    assert_same(&["--json", "--gbp"], &gbp);
    assert_same(&["--json", "--port", "1027", "--gpe-port", "53"], &vxlan);
    let otv = vxscope([
        "dissect",
        "--decode-as",
        "otv",
        "--plugin",
        libvxscope().to_str().unwrap(),
        port_8472.to_str().unwrap(),
    ]);
    assert!(
        stdout(&otv).contains(" OTV overlay 0 instance 100 | "),
        "{}",
        stdout(&otv)
    );
}

#[test]
fn the_flannel_topology_reaches_the_plugin() {
    // The same sources, read by the plugin, name the same nodes and raise the same diagnoses.
    let f = |name: &str| {
        sample(&format!("flannel/{name}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let node_info = [
        "--pods".to_string(),
        f("seed-pods.txt"),
        "--node-info".to_string(),
        format!("k8s-node1={}", f("seed-node1-route.txt")),
        "--node-info".to_string(),
        f("seed-node1-arp.txt"),
        "--node-info".to_string(),
        f("seed-node1-fdb.txt"),
        "--node-name".to_string(),
        "k8s-node1".to_string(),
    ];
    let nodes = ["--nodes".to_string(), f("nodes.json")];
    let conflict = ["--nodes".to_string(), f("nodes-conflict.json")];
    let prefix = [
        "--nodes".to_string(),
        f("nodes.json"),
        "--annotation-prefix".to_string(),
        "example.com/".to_string(),
    ];
    let mut captures = captures_under(&sample("flannel"));
    captures.push(sample("seed.pcap"));
    for file in &captures {
        for topology in [&nodes[..], &conflict[..], &node_info[..], &prefix[..]] {
            for mode in ["--json", "-V"] {
                let mut args: Vec<&str> = vec![mode];
                args.extend(topology.iter().map(String::as_str));
                assert_same(&args, file);
            }
        }
    }
    let named = vxscope([
        "dissect",
        "--plugin",
        libvxscope().to_str().unwrap(),
        "--nodes",
        &f("nodes.json"),
        sample("seed.pcap").to_str().unwrap(),
    ]);
    assert!(
        stdout(&named)
            .contains(" k8s-node1 > k8s-node2 VXLAN vni 1 | 10.244.1.12 > 10.244.2.14 ICMP"),
        "{}",
        stdout(&named)
    );
}

#[test]
fn topology_errors_and_summary_through_the_plugin() {
    let plugin = libvxscope();
    let seed = sample("seed.pcap");
    let out = vxscope([
        "dissect",
        "--plugin",
        plugin.to_str().unwrap(),
        "--nodes",
        sample("flannel/seed-pods.txt").to_str().unwrap(),
        seed.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("options_add_nodes_json failed with status -8: vxscope_options_add_nodes_json: seed-pods.txt"),
        "{}",
        stderr(&out)
    );
    let missing = vxscope([
        "dissect",
        "--plugin",
        plugin.to_str().unwrap(),
        "--pods",
        "/no/such/pods.txt",
        seed.to_str().unwrap(),
    ]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("/no/such/pods.txt"),
        "{}",
        stderr(&missing)
    );
    // The summary counts what the built-in session learns: not available through a plugin.
    let summary = vxscope([
        "dissect",
        "--plugin",
        plugin.to_str().unwrap(),
        "--summary",
        seed.to_str().unwrap(),
    ]);
    assert_eq!(summary.status.code(), Some(2));
    assert!(
        stderr(&summary).contains("cannot be used with"),
        "{}",
        stderr(&summary)
    );
}

#[test]
fn a_damaged_capture_fails_the_same_way_through_the_plugin() {
    // The last record of tcpdump's vxlan.pcap cut short: nine frames, then an error naming frame 10.
    let whole = std::fs::read(data("ffi").join("tcpdump-vxlan.pcap")).expect("read the capture");
    let dir = target_dir().join("ffi-plugin-tests");
    std::fs::create_dir_all(&dir).expect("create the output directory");
    let cut = dir.join("vxlan-cut.pcap");
    std::fs::write(&cut, &whole[..whole.len() - 20]).expect("write the cut capture");
    assert_same(&["--json"], &cut);
    let out = vxscope([
        "dissect",
        "--plugin",
        libvxscope().to_str().unwrap(),
        cut.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out).lines().count(), 9);
    assert!(
        stderr(&out).contains("frame 10, byte offset "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_public_corpus_gives_the_same_json_through_the_plugin() {
    let Some(corpus) = shared_corpus() else {
        eprintln!("../shared/corpus is not here: only samples/ and tests/data/ffi/ were compared");
        return;
    };
    let files = captures_under(&corpus);
    assert!(
        files.len() > 100,
        "{} captures under {}",
        files.len(),
        corpus.display()
    );
    for file in files {
        assert_same(&["--json"], &file);
    }
}

/// Builds a variant of tests/c/fake_plugin.c (linked against libvxscope.so) as a shared library.
fn fake_plugin(name: &str, defines: &[&str]) -> PathBuf {
    let lib_dir = libvxscope().parent().expect("target dir").to_path_buf();
    require_tool("gcc");
    let dir = target_dir().join("ffi-plugin-tests");
    std::fs::create_dir_all(&dir).expect("create the output directory");
    let out = dir.join(format!("lib{name}.so"));
    let status = Command::new("gcc")
        .args([
            "-std=c11", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-I",
        ])
        .arg(root().join("ffi").join("include"))
        .args(defines)
        .arg(root().join("tests").join("c").join("fake_plugin.c"))
        .arg("-o")
        .arg(&out)
        .arg("-L")
        .arg(&lib_dir)
        .arg("-lvxscope")
        .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
        .status()
        .expect("run gcc");
    assert!(
        status.success(),
        "gcc tests/c/fake_plugin.c {defines:?} failed"
    );
    out
}

fn dissect_with(plugin: &Path, file: &Path) -> std::process::Output {
    vxscope([
        "dissect",
        "--plugin",
        plugin.to_str().unwrap(),
        file.to_str().unwrap(),
    ])
}

#[test]
fn a_plugin_of_another_abi_version_is_refused_naming_both_versions() {
    let plugin = fake_plugin("fake_abi99", &["-DFAKE_ABI_VERSION=99"]);
    let out = dissect_with(&plugin, &sample("seed.pcap"));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(
        err.contains(
            "plugin \"fake\" speaks vxscope ABI version 99, but this vxscope speaks ABI version 1"
        ),
        "{err}"
    );
    assert!(err.contains(plugin.to_str().unwrap()), "{err}");
}

#[test]
fn libraries_that_are_not_usable_plugins_are_refused() {
    let seed = sample("seed.pcap");
    let cases = [
        (
            fake_plugin("fake_no_entry", &["-DFAKE_NO_ENTRY"]),
            "not a vxscope plugin: it exports no vxscope_plugin_v1 symbol",
        ),
        (
            fake_plugin("fake_null_member", &["-DFAKE_NULL_MEMBER"]),
            "plugin \"fake\" leaves the descriptor's dissection_notes function NULL",
        ),
        (
            fake_plugin("fake_field_size", &["-DFAKE_FIELD_SIZE=64"]),
            "plugin \"fake\" has a vxscope_field of 64 bytes, where ABI version 1 has",
        ),
        (
            fake_plugin("fake_swapped_members", &["-DFAKE_SWAPPED_MEMBERS"]),
            "plugin \"fake\" has vxscope_plugin.dissection_fields at byte offset",
        ),
        (
            root().join("no-such-plugin.so"),
            "no-such-plugin.so: cannot load the plugin",
        ),
    ];
    for (plugin, message) in cases {
        let out = dissect_with(&plugin, &seed);
        assert_eq!(out.status.code(), Some(1), "{}", plugin.display());
        assert_eq!(stdout(&out), "", "{}", plugin.display());
        assert!(
            stderr(&out).contains(message),
            "{}: {}",
            plugin.display(),
            stderr(&out)
        );
    }
}

#[test]
fn a_plugin_that_fails_on_a_frame_is_reported_with_file_frame_and_offset() {
    let plugin = fake_plugin("fake_fail_at_3", &["-DFAKE_FAIL_AT=3"]);
    let file = data("ffi").join("tcpdump-vxlan.pcap");
    let out = dissect_with(&plugin, &file);
    assert_eq!(out.status.code(), Some(1));
    // Frames 1 and 2 are printed as the built-in dissector prints them, then the error.
    let builtin = vxscope(["dissect", file.to_str().unwrap()]);
    let expected: String = stdout(&builtin)
        .lines()
        .take(2)
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(stdout(&out), expected);
    // The third record starts after the 24-byte file header and the first two records (16-byte header and
    // captured bytes each), as the file says.
    let bytes = std::fs::read(&file).expect("read the capture");
    let mut offset = 24usize;
    for _ in 0..2 {
        let caplen =
            u32::from_le_bytes(bytes[offset + 8..offset + 12].try_into().unwrap()) as usize;
        offset += 16 + caplen;
    }
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{}: frame 3, byte offset {offset}: plugin \"fake\"",
            file.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(
            "session_dissect failed with status -9: fake plugin: refused this frame on purpose"
        ),
        "{err}"
    );
}

/// `vxscope dissect --plugin PLUGIN ARGS FILE` with `VXSCOPE_THREADS` and `VXSCOPE_CHUNK_FRAMES` set.
fn dissect_threads(
    plugin: &Path,
    threads: &str,
    chunk: &str,
    args: &[&str],
    file: &Path,
) -> std::process::Output {
    Command::new(vxscope_tests::vxscope_bin())
        .args(["dissect", "--plugin", plugin.to_str().unwrap()])
        .args(args)
        .arg(file)
        .env("TZ", "UTC")
        .env("VXSCOPE_THREADS", threads)
        .env("VXSCOPE_CHUNK_FRAMES", chunk)
        .output()
        .expect("run vxscope")
}

#[test]
fn the_plugin_on_several_threads_prints_what_it_prints_on_one() {
    // Chunks of one to five frames over two or three threads, so that the session's cross-packet notes (with
    // the flannel nodes: a VNI, a port, a VTEP MAC unlike the rest) cross from one thread's frames to another's.
    let plugin = libvxscope();
    let nodes = sample("flannel/nodes.json");
    let mut runs: Vec<(Vec<&str>, PathBuf)> = Vec::new();
    for file in local_captures() {
        for mode in [&[][..], &["-V"][..], &["--json"][..]] {
            runs.push((mode.to_vec(), file.clone()));
        }
    }
    for file in captures_under(&sample("flannel")) {
        for mode in [&[][..], &["-V"][..]] {
            let mut args = vec!["--nodes", nodes.to_str().unwrap()];
            args.extend_from_slice(mode);
            runs.push((args, file.clone()));
        }
    }
    let mut lines = 0;
    for (i, (args, file)) in runs.iter().enumerate() {
        let threads = if i % 5 == 0 { "3" } else { "2" };
        let chunk = ["1", "2", "3", "5"][i % 4];
        let one = dissect_threads(&plugin, "1", "64", args, file);
        let many = dissect_threads(&plugin, threads, chunk, args, file);
        let what = format!(
            "dissect --plugin {args:?} {} (threads {threads}, chunks of {chunk})",
            file.display()
        );
        assert_eq!(one.status.code(), Some(0), "{what}: {}", stderr(&one));
        assert_eq!(many.status.code(), Some(0), "{what}: {}", stderr(&many));
        assert!(one.stdout == many.stdout, "{what}: standard output differs");
        assert_eq!(
            stderr(&one),
            stderr(&many),
            "{what}: standard error differs"
        );
        lines += one.stdout.iter().filter(|&&b| b == b'\n').count();
    }
    assert!(lines > 5_000, "too little output compared: {lines} lines");
}

#[test]
fn a_frame_the_plugin_fails_on_another_thread_ends_the_output_where_one_thread_ends_it() {
    let file = data("ffi").join("tcpdump-vxlan.pcap");
    // Frame 2 is the first of 92 captured bytes; it starts after the file header and frame 1's record.
    let bytes = std::fs::read(&file).expect("read the capture");
    let caplen =
        |at: usize| u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
    assert_eq!(caplen(24), 148);
    let offset = 24 + 16 + caplen(24);
    assert_eq!(caplen(offset), 92);
    let builtin = vxscope(["dissect", file.to_str().unwrap()]);
    let first_line = format!("{}\n", stdout(&builtin).lines().next().unwrap());
    let refused = "failed with status -9: fake plugin: refused this frame on purpose";
    let learning = fake_plugin(
        "fake_learn_fail_92",
        &["-DFAKE_LEARN", "-DFAKE_FAIL_LEN=92"],
    );
    let older = fake_plugin("fake_fail_92", &["-DFAKE_FAIL_LEN=92"]);
    // On several threads the plugin decodes with `dissect`; on one, and when the plugin cannot let a session
    // learn from frames decoded apart (no session_learn), with `session_dissect`.
    for (plugin, threads, call) in [
        (&learning, "2", "dissect"),
        (&learning, "3", "dissect"),
        (&learning, "1", "session_dissect"),
        (&older, "2", "session_dissect"),
    ] {
        for chunk in ["1", "2", "64"] {
            let out = dissect_threads(plugin, threads, chunk, &[], &file);
            let what = format!("{} threads {threads} chunks {chunk}", plugin.display());
            assert_eq!(out.status.code(), Some(1), "{what}");
            assert_eq!(stdout(&out), first_line, "{what}");
            let err = stderr(&out);
            assert!(
                err.contains(&format!(
                    "{}: frame 2, byte offset {offset}: plugin \"fake\"",
                    file.display()
                )),
                "{what}: {err}"
            );
            assert!(
                err.contains(&format!(": {call} {refused}")),
                "{what}: {err}"
            );
        }
    }
}
