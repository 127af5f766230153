//! Arbitrary bytes → the XML body processor: a verdict (text / malformed), never a panic.
#![no_main]

use inspector_engine::body::xml;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = xml::parse(data);
});
