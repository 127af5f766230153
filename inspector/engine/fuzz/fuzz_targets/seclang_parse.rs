//! Arbitrary text → `seclang::parse_str`, then `ruleset::compile` of whatever parsed:
//! either may return an error, neither may panic.
#![no_main]

use inspector_engine::{ruleset, seclang};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(config) = seclang::parse_str("fuzz.conf", &text) {
        let _ = ruleset::compile(&config, &|p| Err(format!("no file {}", p.display())));
    }
});
