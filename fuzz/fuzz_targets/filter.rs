#![no_main]
//! Fuzz target: see `vxscope_fuzz::checks::filter`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| vxscope_fuzz::checks::filter(data));
