//! `@rx` specifics: PCRE translation, engine tiers, captures, and the Latin-1 mapping that
//! lets fancy-regex match arbitrary bytes.

mod operator_support;

use inspector_engine::operator::{Rx, Tier, translate_pcre};
use operator_support::{compile, eval};

#[test]
fn translation_table() {
    for (pcre, rust) in [
        (r"\/etc\/passwd", "/etc/passwd"),
        (r#"[\"'`]"#, r#"["'`]"#),
        (r"[a[]", r"[a\[]"),
        (r"[]a]", r"[\]a]"),
        (r"[^]a]", r"[^\]a]"),
        (r"[\w-.]", r"[[:word:]\-.]"),
        (r"[a-z-]", r"[a-z\-]"),
        (r"[&&~~]", r"[\&\&\~\~]"),
        (r"[[:alpha:]_]", r"[[:alpha:]_]"),
        (r"\d+\S", r"[[:digit:]]+[[:^space:]]"),
        (r"[\s\v]", r"[[:space:]\n\x0B\x0C\r\x85]"),
        (r"\<a\>", r"<a>"),
        (r"x{", r"x\{"),
        (r"x{2,}y{,3}", r"x{2,}y\{,3\}"),
        (r"\x5c\x5", r"\x5C\x05"),
        (r"\0", r"\x00"),
        (r"\e\cA", r"\x1B\x01"),
        ("é", r"\xC3\xA9"),
        ("[é]", r"[\xC3\xA9]"),
        (r"a\Z", r"a(?:\n?\z)"),
        (r"a(?#comment)b", "ab"),
        (r"[\b]", r"[\x08]"),
        (r"(?i)a(?=b)", r"(?i)a(?=b)"),
        (r"(\w)\1", r"([[:word:]])\1"),
    ] {
        assert_eq!(translate_pcre(pcre), rust, "translating {pcre:?}");
    }
}

#[test]
fn tiers() {
    for (pattern, tier) in [
        ("^(?:GET|HEAD)$", Tier::Regex),
        (r"[a[]\/", Tier::Regex),
        ("", Tier::Regex),
        ("a(?=b)", Tier::Fancy),
        ("(?<!a)b", Tier::Fancy),
        (r"(a)\1", Tier::Fancy),
        ("(?>ab|a)c", Tier::Fancy),
        ("a++b", Tier::Fancy),
        ("^%{tx.x}$", Tier::Dynamic),
    ] {
        let rx = Rx::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        assert_eq!(rx.engine_tier(), tier, "{pattern}");
    }
}

#[test]
fn atomic_and_possessive_keep_pcre_semantics() {
    assert!(!Rx::new("(?>a|ab)c").expect("atomic").is_match(b"abc"), "an atomic group does not retry ab");
    assert!(Rx::new("(?:a|ab)c").expect("plain").is_match(b"abc"));
    assert!(!Rx::new("^a++a").expect("possessive").is_match(b"aaa"), "a++ gives nothing back");
    assert!(Rx::new("^a+a").expect("greedy").is_match(b"aaa"));
}

#[test]
fn captures_follow_modsecurity() {
    let op = compile("rx", "(a)(x)?(b)").expect("compile");
    let (matched, caps) = eval(op.as_ref(), b"zab");
    assert!(matched);
    assert_eq!(caps, vec![b"ab".to_vec(), b"a".to_vec(), Vec::new(), b"b".to_vec()], "unset group 2 is empty");

    let op = compile("rx", "(a)(x)?").expect("compile");
    assert_eq!(eval(op.as_ref(), b"a").1, vec![b"a".to_vec(), b"a".to_vec()], "trailing unset groups dropped");

    let op = compile("rx", "(1)(2)(3)(4)(5)(6)(7)(8)(9)(10)(11)").expect("compile");
    assert_eq!(eval(op.as_ref(), b"1234567891011").1.len(), 10, "TX:0..TX:9 only");

    let op = compile("rx", "abc").expect("compile");
    let (matched, caps) = eval(op.as_ref(), b"xyz");
    assert!(!matched);
    assert!(caps.is_empty());
}

#[test]
fn fancy_tier_matches_non_utf8_bytes_exactly() {
    let op = compile("rx", r"(?<=\xff)(.)\1").expect("compile");
    assert_eq!(op.tier(), Some(Tier::Fancy));
    let (matched, caps) = eval(op.as_ref(), b"a\xff\xfe\xfez");
    assert!(matched);
    assert_eq!(caps[0], b"\xfe\xfe".to_vec(), "captures map back to the original bytes");
    assert!(!eval(op.as_ref(), b"\xc3\xbf\xfe\xfe").0, "one byte is one character: \\xff is not U+00FF's UTF-8");
}

#[test]
fn fancy_tier_gives_up_on_catastrophic_backtracking() {
    let op = compile("rx", "^(a+)+(?=b)$").expect("compile");
    let input = vec![b'a'; 64];
    assert!(!eval(op.as_ref(), &input).0, "backtrack limit counts as no match");
}

#[test]
fn regex_tier_is_bytes_and_ascii() {
    let op = compile("rx", r"(?i)^\w+$").expect("compile");
    assert!(eval(op.as_ref(), b"Select_1").0);
    assert!(!eval(op.as_ref(), "sélect".as_bytes()).0, "\\w is ASCII, as PCRE without UCP");
    let op = compile("rx", "(?i)É").expect("compile");
    assert!(!eval(op.as_ref(), "é".as_bytes()).0, "no case folding beyond ASCII");
}

#[test]
fn dynamic_pattern_follows_the_expansion() {
    use inspector_engine::operator::{OpContext, Operator};
    let rx = Rx::new("^%{tx.p}$").expect("compile");
    let run = |value: &str, input: &[u8]| {
        let expand = |s: &str| s.replace("%{tx.p}", value);
        rx.evaluate(input, &mut OpContext { expand: &expand, captures: None })
    };
    assert!(run("a+", b"aaa"));
    assert!(run("a+", b"aa"), "cached engine reused");
    assert!(!run("b+", b"aa"), "a new expansion recompiles");
    assert!(run("b+", b"bb"));
    assert!(!run("(", b"("), "an expansion that does not compile does not match");
}
