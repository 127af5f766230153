//! Tokenization: continuations, comments, quotes and escapes, line numbers.
#![allow(clippy::unwrap_used)]

use inspector_engine::seclang::{ErrorKind, lex};

/// (name, input, expected directives as (line, words)).
type Case = (&'static str, &'static str, &'static [(usize, &'static [&'static str])]);

const CASES: &[Case] = &[
    ("plain words", "SecRuleEngine On\n", &[(1, &["SecRuleEngine", "On"])]),
    ("blank lines and indentation", "\n\n   SecMarker  FOO  \n", &[(3, &["SecMarker", "FOO"])]),
    ("comment line", "# SecRuleEngine Off\nSecRuleEngine On", &[(2, &["SecRuleEngine", "On"])]),
    ("indented comment", "   \t# note\nSecMarker A", &[(2, &["SecMarker", "A"])]),
    ("hash inside an argument is not a comment", "SecMarker a#b", &[(1, &["SecMarker", "a#b"])]),
    (
        "continuation keeps the directive's first line",
        "\nSecRule ARGS \"@rx a\" \\\n    \"id:1,\\\n    phase:2\"\nSecMarker B",
        &[(2, &["SecRule", "ARGS", "@rx a", "id:1,    phase:2"]), (5, &["SecMarker", "B"])],
    ),
    (
        "a commented-out rule swallows its continuation lines",
        "#SecRule ARGS \"@rx a\" \\\n  \"id:1\"\nSecMarker C",
        &[(3, &["SecMarker", "C"])],
    ),
    ("CRLF line ends", "SecMarker A\r\nSecMarker B\r\n", &[(1, &["SecMarker", "A"]), (2, &["SecMarker", "B"])]),
    ("CRLF continuation", "SecMarker \\\r\n A", &[(1, &["SecMarker", "A"])]),
    ("byte order mark", "\u{feff}SecMarker A", &[(1, &["SecMarker", "A"])]),
    ("quoted argument with blanks", "SecRule ARGS \"@pm a b\"", &[(1, &["SecRule", "ARGS", "@pm a b"])]),
    ("empty quoted argument", "SecRule ARGS \"\"", &[(1, &["SecRule", "ARGS", ""])]),
    (r#"escaped quote kept verbatim"#, r#"SecRule ARGS "@rx a\"b""#, &[(1, &["SecRule", "ARGS", r#"@rx a\"b"#])]),
    (
        r"escaped backslash before the closing quote",
        r#"SecRule ARGS "a\\" x"#,
        &[(1, &["SecRule", "ARGS", r"a\\", "x"])],
    ),
    ("quote inside an unquoted word", "SecMarker a\"b", &[(1, &["SecMarker", "a\"b"])]),
    ("single quotes are ordinary at top level", "SecMarker 'a b'", &[(1, &["SecMarker", "'a", "b'"])]),
    ("tabs separate words", "SecMarker\tA", &[(1, &["SecMarker", "A"])]),
    ("trailing backslash at end of file", "SecMarker A\\", &[(1, &["SecMarker", "A"])]),
    ("only comments", "# a\n#b\n", &[]),
];

#[test]
fn tokenization() {
    for (name, input, expected) in CASES {
        let got = lex(input).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let got: Vec<(usize, Vec<&str>)> =
            got.iter().map(|d| (d.line, d.words.iter().map(String::as_str).collect())).collect();
        let expected: Vec<(usize, Vec<&str>)> = expected.iter().map(|(l, w)| (*l, w.to_vec())).collect();
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn unterminated_quote_reports_the_directive_line() {
    let cases = [
        ("SecMarker \"abc", 1),
        ("SecMarker A\n\nSecRule ARGS \"@rx a\" \\\n  \"id:1", 3),
        ("SecMarker \"ends with escape\\\"", 1),
    ];
    for (input, line) in cases {
        match lex(input) {
            Err((got, ErrorKind::Syntax(msg))) => {
                assert_eq!(got, line, "{input:?}");
                assert!(msg.contains("unterminated"), "{msg}");
            }
            other => panic!("{input:?}: {other:?}"),
        }
    }
}
