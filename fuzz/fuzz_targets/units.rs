//! Raw bytes as a receipt handle, a Query form and XML text.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| queue::server::fuzzing::units(data));
