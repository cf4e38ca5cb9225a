#![no_main]
//! Fuzz target: see `vxscope_fuzz::checks::hex_text`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| vxscope_fuzz::checks::hex_text(data));
