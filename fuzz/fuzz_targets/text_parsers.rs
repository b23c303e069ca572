#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| inkline_fuzz::text_parsers(data));
