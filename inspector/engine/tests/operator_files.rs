//! Data-file operators (`@pmFromFile`, `@pmf`, `@ipMatchFromFile`, `@ipMatchF`) with an
//! in-memory `read_file`: comments and blank lines as libmodsecurity reads them, relative
//! paths resolved against the rule's directory, missing files reported at load.

mod operator_support;

use std::path::Path;

use inspector_engine::operator::{LoadContext, Operator, compile};
use operator_support::eval;

fn files(path: &Path) -> Result<String, String> {
    match path.to_str() {
        Some("/rules/words.data") => Ok("# comment\n\n   # indented comment\nevil\nBad Phrase\nwith # hash\n".into()),
        Some("/rules/sub/more.data") => Ok("crlf\r\nlast-no-newline".into()),
        Some("/rules/blank.data") => Ok("  \n".into()),
        Some("/rules/ips.txt") => Ok("# office\n10.1.0.0/16\n\n192.168.0.1 # gateway\n2001:db8::/48\n".into()),
        Some("/rules/bad-ips.txt") => Ok("10.1.0.0/16\nnot-an-ip\n".into()),
        _ => Err("no such file".into()),
    }
}

fn load(name: &str, param: &str) -> Result<Box<dyn Operator>, String> {
    compile(name, param, &LoadContext { rule_dir: Path::new("/rules"), read_file: &files })
}

fn matches(op: &dyn Operator, input: &str) -> bool {
    eval(op, input.as_bytes()).0
}

#[test]
fn pm_from_file_reads_phrases_like_libmodsecurity() {
    let op = load("pmFromFile", "words.data").expect("load");
    assert!(matches(op.as_ref(), "an EVIL thing"));
    assert!(matches(op.as_ref(), "a bad phrase here"), "a line is one phrase, spaces included");
    assert!(!matches(op.as_ref(), "bad"), "phrases are not split on spaces");
    assert!(matches(op.as_ref(), "x with # hash"), "a # after text is part of the phrase");
    assert!(!matches(op.as_ref(), "comment"), "comment lines are not phrases");
    assert!(!matches(op.as_ref(), ""));
    assert_eq!(eval(op.as_ref(), b"EVIL").1, vec![b"evil".to_vec()], "TX:0 is the phrase as written");
}

#[test]
fn pmf_alias_takes_several_files_and_keeps_cr() {
    let op = load("pmf", "words.data sub/more.data").expect("load");
    assert!(matches(op.as_ref(), "evil"));
    assert!(matches(op.as_ref(), "last-no-newline"));
    assert!(!matches(op.as_ref(), "crlf"), "libmodsecurity keeps the \\r of CRLF lines");
    assert!(matches(op.as_ref(), "crlf\r"));
}

#[test]
fn blank_only_lines_are_phrases_as_in_libmodsecurity() {
    let op = load("pmFromFile", "blank.data").expect("load");
    assert!(matches(op.as_ref(), "a  b"));
    assert!(!matches(op.as_ref(), "a b"));
}

#[test]
fn ip_match_from_file() {
    let op = load("ipMatchFromFile", "ips.txt").expect("load");
    for (ip, want) in [("10.1.2.3", true), ("10.2.0.1", false), ("192.168.0.1", true), ("2001:db8:0:1::1", true)] {
        assert_eq!(matches(op.as_ref(), ip), want, "{ip}");
    }
    assert!(load("ipMatchF", "ips.txt").is_ok());
    let err = load("ipMatchFromFile", "bad-ips.txt").expect_err("invalid entry");
    assert!(err.contains("not-an-ip"), "{err}");
}

#[test]
fn missing_and_remote_files_are_load_errors() {
    let err = load("pmFromFile", "missing.data").expect_err("missing");
    assert!(err.contains("/rules/missing.data"), "{err}");
    let err = load("pmFromFile", "https://example.com/list.data").expect_err("remote");
    assert!(err.contains("needs network"), "{err}");
    assert!(load("pmFromFile", "").is_err());
}
