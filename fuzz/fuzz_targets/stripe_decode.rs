#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| inkline_fuzz::stripe_decode(data));
