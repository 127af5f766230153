//! Every error kind, with the exact `file:line` it reports.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use inspector_engine::seclang::{ErrorKind as E, MemSource, parse, parse_str};

const RULE: &str = "SecRule ARGS \"@rx a\"";

/// (name, text, expected line, expected kind).
fn cases() -> Vec<(&'static str, String, usize, E)> {
    vec![
        ("unknown directive", "SecRuleEngine On\nSecFoo bar".into(), 2, E::UnknownDirective("SecFoo".into())),
        (
            "unsupported directive",
            "SecRemoteRules k https://x".into(),
            1,
            E::UnsupportedDirective("SecRemoteRules".into()),
        ),
        (
            "bad engine mode",
            "\n\nSecRuleEngine Maybe".into(),
            3,
            E::BadArgument { directive: "SecRuleEngine".into(), message: "expected On, Off or DetectionOnly".into() },
        ),
        (
            "missing argument",
            "SecRequestBodyLimit".into(),
            1,
            E::BadArgument { directive: "SecRequestBodyLimit".into(), message: "expected 1 argument, found 0".into() },
        ),
        (
            "not a number",
            "SecRequestBodyLimit 1k".into(),
            1,
            E::BadArgument {
                directive: "SecRequestBodyLimit".into(),
                message: "expected a non-negative integer".into(),
            },
        ),
        (
            "too many rule arguments",
            format!("{RULE} \"id:1\" extra"),
            1,
            E::BadArgument { directive: "SecRule".into(), message: "expected VARIABLES OPERATOR [ACTIONS]".into() },
        ),
        (
            "unterminated quote",
            "SecMarker A\nSecMarker \"B".into(),
            2,
            E::Syntax("unterminated double-quoted argument".into()),
        ),
        ("unknown variable", "SecRule ARGZ \"@rx a\" \"id:1\"".into(), 1, E::UnknownVariable("ARGZ".into())),
        ("unknown action", format!("{RULE} \\\n  \"id:1,\\\n  blocc\""), 1, E::UnknownAction("blocc".into())),
        (
            "id not a number",
            format!("\n{RULE} \"id:abc\""),
            2,
            E::BadAction { action: "id".into(), message: "expected a positive integer".into() },
        ),
        ("bad phase", format!("{RULE} \"id:1,phase:6\""), 1, E::BadPhase("6".into())),
        ("bad phase name", "SecAction \"id:1,phase:'headers'\"".into(), 1, E::BadPhase("headers".into())),
        ("missing id", format!("SecMarker M\n{RULE} \"phase:1,pass\""), 2, E::MissingId),
        ("missing id on SecAction", "SecAction \"pass,nolog\"".into(), 1, E::MissingId),
        ("rule without actions", RULE.into(), 1, E::MissingId),
        (
            "duplicate id",
            format!("{RULE} \"id:5\"\n\n{RULE} \\\n  \"id:5\""),
            3,
            E::DuplicateId { id: 5, first: "t.conf:1".into() },
        ),
        ("id in chained rule", format!("{RULE} \"id:1,chain\"\n{RULE} \"id:2\""), 2, E::IdInChainedRule),
        (
            "chain at end of file",
            format!("{RULE} \"id:1\"\n{RULE} \"id:2,chain\"\n"),
            2,
            E::DanglingChain("the file ends".into()),
        ),
        (
            "chain followed by a marker",
            format!("{RULE} \"id:1,chain\"\nSecMarker X"),
            1,
            E::DanglingChain("is followed by a non-rule directive at line 2".into()),
        ),
        (
            "include of a missing file",
            "SecMarker A\nInclude other.conf".into(),
            2,
            E::Io { path: "other.conf".into(), message: "no such file".into() },
        ),
        ("include glob without match", "Include rules/*.conf".into(), 1, E::IncludeNoMatch("rules/*.conf".into())),
    ]
}

#[test]
fn each_error_kind_with_its_line() {
    for (name, text, line, kind) in cases() {
        let err = parse_str("t.conf", &text).expect_err(name);
        assert_eq!((&*err.file, err.line, &err.kind), (Path::new("t.conf"), line, &kind), "{name}");
        assert!(err.to_string().starts_with(&format!("t.conf:{line}: ")), "{name}: {err}");
    }
}

#[test]
fn display_is_file_line_message() {
    let err = parse_str("rules/x.conf", "\nSecRule ARGS \"@rx a\" \"id:1,phase:9\"").unwrap_err();
    assert_eq!(err.to_string(), "rules/x.conf:2: bad phase `9`: expected 1-5, request, response or logging");
    let err = parse_str("x.conf", "SecFoo").unwrap_err();
    assert_eq!(err.to_string(), "x.conf:1: unknown directive `SecFoo`");
}

#[test]
fn errors_in_included_files_name_that_file() {
    let source = MemSource::new()
        .with("/etc/waf/main.conf", "SecRuleEngine On\nInclude rules/*.conf\n")
        .with("/etc/waf/rules/a.conf", "SecRule ARGS \"@rx a\" \"id:1\"\n")
        .with("/etc/waf/rules/b.conf", "# b\n\nSecRule ARGS \"@rx a\" \"id:1\"\n");
    let err = parse(Path::new("/etc/waf/main.conf"), &source).unwrap_err();
    assert_eq!(
        err.to_string(),
        "/etc/waf/rules/b.conf:3: duplicate rule id 1 (first defined at /etc/waf/rules/a.conf:1)"
    );

    let err = parse(Path::new("/etc/waf/missing.conf"), &source).unwrap_err();
    assert_eq!((err.line, err.file.to_str()), (0, Some("/etc/waf/missing.conf")));
    assert!(matches!(err.kind, E::Io { .. }), "{err}");
}

#[test]
fn chains_that_are_fine() {
    let text =
        format!("{RULE} \"id:1,chain\"\n{RULE} \"chain\"\n{RULE}\nSecAction \"id:2,chain\"\nSecAction \"pass\"\n");
    let config = parse_str("t.conf", &text).unwrap();
    assert_eq!(config.rules().count(), 5);
}
