//! libvxscope: vxscope's dissector behind a stable C ABI, and the plugin descriptor through which a host that
//! loads dissectors by path uses it.
//!
//! The header `ffi/include/vxscope.h` is generated from this crate by cbindgen (`ffi/cbindgen.toml`); a test
//! regenerates it and fails when it differs, so the header and the code cannot drift apart. The rules of the
//! ABI (ownership, threads, errors) are written at the top of the header.
//!
//! Layout: [`abi`] holds the plain C records and constants, [`handles`] the four handles (options, context,
//! session, dissection), [`api`] the exported functions, [`plugin`] the descriptor, [`status`] the error codes and the
//! guard that keeps panics inside.

#![allow(clippy::missing_safety_doc)] // The safety contract of each function is in its C documentation.

pub mod abi;
pub mod api;
pub mod handles;
pub mod plugin;
pub mod status;
mod strings;

use std::ffi::CStr;

/// The crate version, NUL-terminated for C.
const VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => panic!("the crate version contains a NUL byte"),
    };

pub use abi::*;
pub use api::*;
pub use plugin::{Plugin, vxscope_plugin_v1};
pub use status::*;
