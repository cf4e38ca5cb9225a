//! Builds the C shim (`shim/flannel.c`) against the installed Wireshark's headers, found with pkg-config, and
//! records the Wireshark major.minor the plugin is for: Wireshark loads a plugin only when both equal its own.

use std::env;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, exit};

fn pkg_config(args: &[&str]) -> Option<String> {
    let out = Command::new("pkg-config")
        .args(args)
        .arg("wireshark")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn refuse(why: &str) -> ! {
    eprintln!(
        "error: vxscope-wireshark needs the Wireshark development files: {why}.\n\
         Install them (Debian and Ubuntu: apt-get install libwireshark-dev wireshark-dev pkg-config), or set\n\
         PKG_CONFIG_PATH to the directory holding wireshark.pc, then build again."
    );
    exit(1);
}

fn main() {
    println!("cargo:rerun-if-changed=shim");
    println!("cargo:rerun-if-changed=../ffi/include/vxscope.h");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");

    let Some(version) = pkg_config(&["--modversion"]) else {
        refuse("`pkg-config --modversion wireshark` found no wireshark.pc")
    };
    let mut parts = version.split('.').map(|p| p.parse::<u32>());
    let (Some(Ok(major)), Some(Ok(minor))) = (parts.next(), parts.next()) else {
        refuse(&format!(
            "pkg-config reports Wireshark version {version:?}, not MAJOR.MINOR[.MICRO]"
        ))
    };
    if (major, minor) != (4, 0) {
        println!(
            "cargo:warning=building the Wireshark plugin for Wireshark {major}.{minor}: only 4.0 is tested (see README.md)"
        );
    }
    let cflags = pkg_config(&["--cflags"])
        .unwrap_or_else(|| refuse("`pkg-config --cflags wireshark` failed"));
    let libs =
        pkg_config(&["--libs"]).unwrap_or_else(|| refuse("`pkg-config --libs wireshark` failed"));

    let mut shim = cc::Build::new();
    shim.file("shim/flannel.c")
        .include("../ffi/include")
        .flag("-std=gnu11")
        .flag("-fvisibility=hidden")
        .warnings(true)
        .extra_warnings(true)
        // On the tested version a warning is a mistake; on others it may be a deprecation to look at.
        .warnings_into_errors((major, minor) == (4, 0))
        // The shim checks with _Static_assert that the headers are those of this major.minor.
        .define("VXWS_WANT_MAJOR", major.to_string().as_str())
        .define("VXWS_WANT_MINOR", minor.to_string().as_str());
    for flag in cflags.split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-I") {
            shim.include(dir);
        } else {
            shim.flag(flag);
        }
    }
    if !PathBuf::from("/usr/include/wireshark/epan/packet.h").exists()
        && !cflags.split_whitespace().any(|f| {
            f.strip_prefix("-I")
                .is_some_and(|d| PathBuf::from(d).join("epan/packet.h").exists())
        })
    {
        refuse(
            "no include directory of `pkg-config --cflags wireshark` holds epan/packet.h (Debian: wireshark-dev)",
        );
    }
    shim.compile("vxscope_wireshark_shim");

    for flag in libs.split_whitespace() {
        if let Some(lib) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib=dylib={lib}");
        } else if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
        }
    }

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(
        out.join("wireshark_version.rs"),
        format!(
            "/// The Wireshark version whose headers the plugin was built with.\n\
             pub const WIRESHARK_VERSION: &str = {version:?};\n\
             pub const WANT_MAJOR: core::ffi::c_int = {major};\n\
             pub const WANT_MINOR: core::ffi::c_int = {minor};\n\
             /// Found in the library's bytes by `vxscope wireshark install`, which checks it against tshark.\n\
             pub const BUILT_FOR: &[u8] = b\"vxscope wireshark plugin for Wireshark {major}.{minor}\\0\";\n"
        ),
    )
    .expect("write wireshark_version.rs");
}
