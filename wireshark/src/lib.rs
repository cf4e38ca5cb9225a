//! The Wireshark plugin: the four symbols Wireshark's plugin loader looks up, and nothing else of Wireshark.
//!
//! Everything that touches epan is the C shim (`shim/flannel.c`): registration of the protocol, its fields,
//! expert infos and preferences, the post-dissector that builds the flannel tree. The shim decodes through
//! libvxscope's C ABI (`ffi/include/vxscope.h`), which this library links in, and calls it only with no epan
//! call on the stack, so no Wireshark exception (a `longjmp`) ever crosses a Rust frame.
//!
//! The symbols are defined here, not in C, because rustc exports only Rust's `#[no_mangle]` items from a
//! cdylib: C symbols linked in from a static library stay hidden, and Wireshark would refuse the plugin.

#![allow(non_upper_case_globals)] // The symbols' names are Wireshark's.

use std::ffi::{c_char, c_int};

include!(concat!(env!("OUT_DIR"), "/wireshark_version.rs"));

const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

const fn c_string<const N: usize>(s: &str) -> [c_char; N] {
    let bytes = s.as_bytes();
    assert!(bytes.len() == N && bytes[N - 1] == 0);
    let mut out = [0; N];
    let mut i = 0;
    while i < N {
        out[i] = bytes[i] as c_char;
        i += 1;
    }
    out
}

/// The plugin's version, as `tshark -G plugins` lists it.
#[unsafe(no_mangle)]
#[used]
pub static plugin_version: [c_char; VERSION.len()] = c_string(VERSION);

/// The Wireshark major version the plugin was built for: Wireshark loads it only if this is its own.
#[unsafe(no_mangle)]
#[used]
pub static plugin_want_major: c_int = WANT_MAJOR;

/// The Wireshark minor version the plugin was built for.
#[unsafe(no_mangle)]
#[used]
pub static plugin_want_minor: c_int = WANT_MINOR;

/// The Wireshark major.minor the plugin is for, as text in the library (`vxscope wireshark install` and
/// `status` read it without loading the library).
#[unsafe(no_mangle)]
#[used]
pub static vxscope_wireshark_built_for: [u8; BUILT_FOR.len()] = {
    let mut out = [0; BUILT_FOR.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = BUILT_FOR[i];
        i += 1;
    }
    out
};

unsafe extern "C" {
    /// `shim/flannel.c`: hands Wireshark the protocol's registration and handoff functions. It only records
    /// two function pointers (`proto_register_plugin`), and cannot throw.
    fn vxws_plugin_register();
}

/// Called by Wireshark once, when it loads the plugin.
#[unsafe(no_mangle)]
pub extern "C" fn plugin_register() {
    // SAFETY: the shim's function takes nothing and only registers static callbacks.
    unsafe { vxws_plugin_register() }
}

/// Keeps libvxscope's C ABI linked in: the shim calls it, and the linker must not drop it before it does.
#[used]
static LINK_VXSCOPE: extern "C" fn() -> u32 = vxscope::vxscope_abi_version;
