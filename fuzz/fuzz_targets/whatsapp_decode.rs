#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| inkline_fuzz::whatsapp_decode(data));
