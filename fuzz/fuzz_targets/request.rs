//! Raw bytes as a JSON body, a Query form or a query string, through the server's router.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| queue::server::fuzzing::request(data));
