//! Name resolution: every `t:NAME` CRS 3.3.4 uses is known, names match case-insensitively
//! (as libmodsecurity's scanner does), and `none` is left to the compiler.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;

use inspector_engine::transform::{REGISTRY, lookup};

const CRS_RULES: &str = "/usr/share/modsecurity-crs/rules";

/// Every `t:NAME` in the CRS rule files (comments included: they can only add names).
fn crs_transformation_names() -> BTreeSet<String> {
    let dir = Path::new(CRS_RULES);
    assert!(dir.is_dir(), "{CRS_RULES} is missing: the CRS 3.3.4 rules are needed (apt-get install modsecurity-crs)");
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "conf") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (at, _) in text.match_indices("t:") {
            let boundary = at == 0 || !text.as_bytes()[at - 1].is_ascii_alphanumeric();
            let name: String = text[at + 2..].chars().take_while(char::is_ascii_alphanumeric).collect();
            if boundary && !name.is_empty() {
                names.insert(name);
            }
        }
    }
    names
}

#[test]
fn knows_every_transformation_crs_uses() {
    let names = crs_transformation_names();
    assert!(names.contains("urlDecodeUni"), "no t:urlDecodeUni found: is {CRS_RULES} really CRS?");
    // `t:none` is the compiler's; `t:alert` is prose in a rule comment ("javascript:alert").
    let missing: Vec<_> =
        names.iter().filter(|n| !matches!(n.as_str(), "none" | "alert")).filter(|n| lookup(n).is_none()).collect();
    assert!(missing.is_empty(), "CRS uses transformations lookup() does not know: {missing:?}");
}

#[test]
fn names_are_case_insensitive() {
    for name in
        ["urlDecodeUni", "URLDECODEUNI", "urldecodeuni", "base64decode", "CmdLine", "normalisePath", "normalizePath"]
    {
        assert!(lookup(name).is_some(), "{name}");
    }
    // Aliases behave alike (compared by output: function addresses are not meaningful).
    let probe: &[u8] = b"QUJD\\a\\..\\b";
    assert_eq!(lookup("base64decode").unwrap()(probe), lookup("base64Decode").unwrap()(probe));
    assert_eq!(lookup("normalisePathWin").unwrap()(probe), lookup("normalizePathWin").unwrap()(probe));
    assert_eq!(lookup("normalisePath").unwrap()(probe), lookup("normalizePath").unwrap()(probe));
}

#[test]
fn none_and_unknown_names_are_not_transformations() {
    for name in ["none", "None", "", "t:lowercase", "lowercase ", "urlDecodeUnix", "cmd_line", "utf8ToUnicodeX"] {
        assert!(lookup(name).is_none(), "{name:?}");
    }
}

#[test]
fn every_libmodsecurity_3_0_9_name_is_registered() {
    // The transformation tokens of libmodsecurity 3.0.9's seclang-scanner.ll, less `none`.
    let expected = [
        "base64Decode",
        "base64DecodeExt",
        "base64Encode",
        "cmdLine",
        "compressWhitespace",
        "cssDecode",
        "escapeSeqDecode",
        "hexDecode",
        "hexEncode",
        "htmlEntityDecode",
        "jsDecode",
        "length",
        "lowercase",
        "md5",
        "normalisePath",
        "normalizePath",
        "normalisePathWin",
        "normalizePathWin",
        "parityEven7bit",
        "parityOdd7bit",
        "parityZero7bit",
        "removeComments",
        "removeCommentsChar",
        "removeNulls",
        "removeWhitespace",
        "replaceComments",
        "replaceNulls",
        "sha1",
        "sqlHexDecode",
        "trim",
        "trimLeft",
        "trimRight",
        "uppercase",
        "urlDecode",
        "urlDecodeUni",
        "urlEncode",
        "utf8toUnicode",
    ];
    let registered: BTreeSet<&str> = REGISTRY.iter().map(|(n, _)| *n).collect();
    assert_eq!(registered, expected.into_iter().collect::<BTreeSet<_>>());
}
