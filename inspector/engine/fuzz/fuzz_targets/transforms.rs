//! The first byte picks a transformation from `transform::REGISTRY`, the rest is its input.
//! Beyond "no panic", checks invariants that hold for every input:
//! - `length` is the decimal input length; `md5`/`sha1` give 16/20 bytes;
//! - `hexEncode`/`base64Encode` have their exact output lengths and round-trip through
//!   `hexDecode`/`base64Decode`;
//! - `lowercase`/`uppercase`/`replaceNulls` keep the length; `removeNulls`/`replaceNulls` leave
//!   no NUL;
//! - the decoders libmodsecurity runs in place never grow their input;
//! - `lookup` finds every registered name, in any ASCII case.
#![no_main]

use inspector_engine::transform::{self, REGISTRY};
use libfuzzer_sys::fuzz_target;

/// Transformations libmodsecurity applies in place: the output is never longer.
const IN_PLACE: &[&str] = &[
    "base64Decode",
    "base64DecodeExt",
    "cmdLine",
    "compressWhitespace",
    "cssDecode",
    "escapeSeqDecode",
    "hexDecode",
    "htmlEntityDecode",
    "jsDecode",
    "normalisePath",
    "normalizePath",
    "normalisePathWin",
    "normalizePathWin",
    "removeComments",
    "removeCommentsChar",
    "removeNulls",
    "removeWhitespace",
    "sqlHexDecode",
    "trim",
    "trimLeft",
    "trimRight",
    "urlDecode",
    "urlDecodeUni",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, input)) = data.split_first() else { return };
    let (name, f) = REGISTRY[usize::from(pick) % REGISTRY.len()];
    assert!(transform::lookup(&name.to_ascii_uppercase()).is_some(), "lookup({name})");
    let out = f(input);
    let out: &[u8] = &out;
    match name {
        "length" => assert_eq!(out, input.len().to_string().as_bytes()),
        "md5" => assert_eq!(out.len(), 16),
        "sha1" => assert_eq!(out.len(), 20),
        "hexEncode" => {
            assert_eq!(out.len(), input.len() * 2);
            assert_eq!(&*transform::hex_decode(out), input, "hexDecode(hexEncode(x)) == x");
        }
        "base64Encode" => {
            assert_eq!(out.len(), input.len().div_ceil(3) * 4);
            assert_eq!(&*transform::base64_decode(out), input, "base64Decode(base64Encode(x)) == x");
        }
        "lowercase" => {
            assert_eq!(out.len(), input.len());
            assert!(!out.iter().any(u8::is_ascii_uppercase));
        }
        "uppercase" => {
            assert_eq!(out.len(), input.len());
            assert!(!out.iter().any(u8::is_ascii_lowercase));
        }
        "replaceNulls" => {
            assert_eq!(out.len(), input.len());
            assert!(!out.contains(&0));
        }
        "removeNulls" => assert!(!out.contains(&0)),
        _ => {}
    }
    if IN_PLACE.contains(&name) {
        assert!(out.len() <= input.len(), "{name} grew {} -> {} bytes", input.len(), out.len());
    }
});
