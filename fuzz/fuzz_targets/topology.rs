#![no_main]
//! Fuzz target: see `vxscope_fuzz::checks::topology`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| vxscope_fuzz::checks::topology(data));
