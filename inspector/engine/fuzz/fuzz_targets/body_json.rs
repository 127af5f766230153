//! Arbitrary bytes → the JSON body processor (depth limit as CRS's default 10000 and a small
//! one): an error text or ARGS, never a panic.
#![no_main]

use inspector_engine::body::json;
use inspector_engine::values::Values;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for depth in [3, 10_000] {
        let mut args = Values::new();
        let _ = json::parse(data, depth, &mut args);
    }
});
