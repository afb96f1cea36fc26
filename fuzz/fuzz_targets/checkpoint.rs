#![no_main]
#[path = "../checkpoint_target.rs"]
mod checkpoint_target;
libfuzzer_sys::fuzz_target!(|data: &[u8]| checkpoint_target::checkpoint(data));
