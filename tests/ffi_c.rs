//! The C ABI from C: the programs in `tests/c/` and the example in `ffi/examples/`, compiled with gcc against
//! `ffi/include/vxscope.h` and linked against the built `libvxscope.so` (and `libvxscope.a`), check field
//! values of the seed packet and every kind of hostile call; under valgrind they must leak nothing and read
//! nothing they should not.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use vxscope_tests::{build_workspace, require_tool, root, sample, target_dir};

/// How a program is linked against libvxscope.
#[derive(Clone, Copy)]
enum Link {
    Shared,
    Static,
}

/// Compiles `source` (relative to the workspace) into an executable named `name`.
fn compile(source: &str, name: &str, link: Link) -> PathBuf {
    build_workspace();
    require_tool("gcc");
    let lib_dir = target_dir();
    let out_dir = lib_dir.join("ffi-c-tests");
    std::fs::create_dir_all(&out_dir).expect("create the output directory");
    let exe = out_dir.join(name);
    let mut cmd = Command::new("gcc");
    cmd.args([
        "-std=c11",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-pedantic",
        "-g",
        "-O1",
    ])
    .arg("-I")
    .arg(root().join("ffi").join("include"))
    .arg(root().join(source))
    .arg("-o")
    .arg(&exe);
    match link {
        Link::Shared => {
            cmd.arg("-L").arg(&lib_dir).arg("-lvxscope");
            cmd.arg(format!("-Wl,-rpath,{}", lib_dir.display()));
        }
        Link::Static => {
            cmd.arg(lib_dir.join("libvxscope.a")).args(["-ldl", "-lm"]);
        }
    }
    cmd.arg("-lpthread");
    let out = cmd.output().expect("run gcc");
    assert!(
        out.status.success(),
        "gcc {source} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// The arguments each program takes: the seed program reads a nodes JSON file.
fn args_of(exe: &Path) -> Vec<PathBuf> {
    let name = exe.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.starts_with("ffi_seed") {
        vec![sample("flannel/nodes.json")]
    } else {
        Vec::new()
    }
}

fn run(exe: &Path) -> Output {
    Command::new(exe)
        .args(args_of(exe))
        .output()
        .expect("run the compiled program")
}

fn assert_passed(out: &Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs `exe` under valgrind's memcheck: any invalid read or write, use of uninitialised memory, or leak
/// (definite, indirect or possible) fails the test.
fn valgrind(exe: &Path) {
    require_tool("valgrind");
    let out = Command::new("valgrind")
        .args([
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect,possible",
            "--show-leak-kinds=definite,indirect,possible",
        ])
        .arg(exe)
        .args(args_of(exe))
        .output()
        .expect("run valgrind");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "valgrind {} failed ({}):\n{stderr}",
        exe.display(),
        out.status
    );
    assert!(
        stderr.contains("ERROR SUMMARY: 0 errors"),
        "valgrind reported errors:\n{stderr}"
    );
    assert!(
        stderr.contains("definitely lost: 0 bytes")
            || stderr.contains("All heap blocks were freed"),
        "valgrind reported a leak:\n{stderr}"
    );
}

#[test]
fn seed_packet_fields_from_c_with_the_shared_library() {
    let exe = compile("tests/c/ffi_seed.c", "ffi_seed", Link::Shared);
    let stdout = assert_passed(&run(&exe), "tests/c/ffi_seed.c");
    assert_eq!(stdout, "ffi_seed: all checks passed\n");
}

#[test]
fn seed_packet_fields_from_c_with_the_static_library() {
    let exe = compile("tests/c/ffi_seed.c", "ffi_seed_static", Link::Static);
    let stdout = assert_passed(&run(&exe), "tests/c/ffi_seed.c (static)");
    assert_eq!(stdout, "ffi_seed: all checks passed\n");
}

#[test]
fn hostile_calls_from_c_return_error_codes() {
    let exe = compile("tests/c/ffi_hostile.c", "ffi_hostile", Link::Shared);
    let stdout = assert_passed(&run(&exe), "tests/c/ffi_hostile.c");
    assert_eq!(stdout, "ffi_hostile: all checks passed\n");
}

#[test]
fn the_example_prints_the_fields_of_its_packet() {
    let exe = compile("ffi/examples/dissect.c", "ffi_example", Link::Shared);
    let stdout = assert_passed(&run(&exe), "ffi/examples/dissect.c");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "172.16.100.101:40592 > 172.16.100.102:8472 VXLAN vni 1 | 10.244.1.12 > 10.244.2.14 ICMP echo \
         request id 3143 seq 1102, ttl 63"
    );
    let line = |abbrev: &str| {
        lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(abbrev))
            .unwrap_or_else(|| panic!("no line for {abbrev} in:\n{stdout}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(line("udp.dstport"), "udp.dstport 8472 @36+2");
    assert_eq!(line("vxlan.vni"), "vxlan.vni 1 @46+3");
    assert_eq!(line("eth.type"), "eth.type 0x0800 (IPv4) @12+2");
    assert_eq!(line("inner.ip.src"), "inner.ip.src 10.244.1.12 @76+4");
    assert_eq!(
        line("inner.icmp.type"),
        "inner.icmp.type 8 (Echo (ping) request) @84+1"
    );
    assert!(
        stdout.contains("note vxlan.port_8472 @42+8: UDP 8472 is the Linux and flannel VXLAN port"),
        "{stdout}"
    );
}

#[test]
fn c_programs_run_clean_under_valgrind() {
    for (source, name) in [
        ("tests/c/ffi_seed.c", "ffi_seed_vg"),
        ("tests/c/ffi_hostile.c", "ffi_hostile_vg"),
        ("ffi/examples/dissect.c", "ffi_example_vg"),
    ] {
        valgrind(&compile(source, name, Link::Shared));
    }
}

#[test]
fn the_header_compiles_as_cpp() {
    require_tool("g++");
    let out_dir = target_dir().join("ffi-c-tests");
    std::fs::create_dir_all(&out_dir).expect("create the output directory");
    let source = out_dir.join("header_as_cpp.cpp");
    std::fs::write(
        &source,
        "#include \"vxscope.h\"\nint main() { vxscope_field f{}; return static_cast<int>(f.length + vxscope_abi_version()); }\n",
    )
    .expect("write the C++ file");
    let out = Command::new("g++")
        .args([
            "-std=c++17",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-fsyntax-only",
            "-I",
        ])
        .arg(root().join("ffi").join("include"))
        .arg(&source)
        .output()
        .expect("run g++");
    assert!(
        out.status.success(),
        "vxscope.h does not compile as C++:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_readme_example_compiles_and_prints_fields() {
    // The C block of README.md's "C ABI" section, with a main around it that passes the seed frame.
    let readme = std::fs::read_to_string(root().join("README.md")).expect("read README.md");
    let start = readme.find("```c\n").expect("a C block in README.md") + 5;
    let end = start + readme[start..].find("```").expect("the end of the C block");
    let seed = std::fs::read(sample("seed.pcap")).expect("read samples/seed.pcap");
    let bytes: Vec<String> = seed[40..].iter().map(|b| format!("0x{b:02x}")).collect();
    let program = format!(
        "{}\nstatic const uint8_t FRAME[] = {{{}}};\nint main(void) {{ return print_fields(FRAME, sizeof FRAME); }}\n",
        &readme[start..end],
        bytes.join(",")
    );
    let dir = target_dir().join("ffi-c-tests");
    std::fs::create_dir_all(&dir).expect("create the output directory");
    std::fs::write(dir.join("readme_example.c"), program).expect("write the program");
    let exe = compile(
        dir.join("readme_example.c").to_str().expect("utf-8 path"),
        "readme_example",
        Link::Shared,
    );
    let stdout = assert_passed(&run(&exe), "the README example");
    assert!(stdout.contains("vxlan.vni 1 @46+3\n"), "{stdout}");
    assert!(
        stdout.contains("inner.ip.src 10.244.1.12 @76+4\n"),
        "{stdout}"
    );
}
