//! Nothing panics, whatever the input: random SecLang-flavoured text and mutations of a real
//! rule file go through the lexer, every sub-parser and the whole parser (with includes).
#![allow(clippy::unwrap_used)]

use std::path::Path;

use inspector_engine::seclang::{
    MemSource, lex, parse, parse_actions, parse_operator, parse_str, parse_variables, wildcard_match,
};
use proptest::prelude::*;

const SAMPLE: &str = r#"# sample
SecRuleEngine On
SecRule REQUEST_HEADERS:Content-Type "^application/json" \
    "id:'200001',phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule REQUEST_COOKIES|!REQUEST_COOKIES:/__utm/|ARGS_NAMES|ARGS|XML:/* "@detectSQLi" \
    "id:942100,\
    phase:2,\
    block,\
    msg:'SQL Injection, \'quoted\'',\
    setvar:'tx.anomaly_score_pl1=+%{tx.critical_anomaly_score}',\
    chain"
    SecRule &TX:x "!@eq 0" "t:none"
SecAction "id:900990,phase:1,nolog,pass,t:none,setvar:tx.crs_setup_version=334"
SecRuleUpdateTargetById 942100 "!ARGS:foo|ARGS:'/a|b/'"
SecRuleRemoveById 1 2-3
Include rules/*.conf
SecMarker "END"
"#;

/// Fragments that steer random text toward interesting syntax.
const PIECES: &[&str] = &[
    "SecRule ",
    "SecAction ",
    "SecMarker ",
    "Include ",
    "SecRuleRemoveById ",
    "SecDefaultAction ",
    "ARGS",
    "TX:",
    "!",
    "&",
    "|",
    ":",
    "/",
    "'",
    "\"",
    "\\",
    "\\\n",
    "\n",
    "\r\n",
    " ",
    "\t",
    "#",
    "@rx ",
    "!@eq ",
    "id:",
    "phase:",
    ",",
    "chain",
    "t:none",
    "msg:'",
    "*",
    "?",
    "..",
    "1-",
    "é",
    "\u{feff}",
];

fn seclangish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop_oneof![prop::sample::select(PIECES).prop_map(String::from), ".{0,4}"], 0..60)
        .prop_map(|parts| parts.concat())
}

fn check_all(text: &str) {
    let _ = lex(text);
    let _ = parse_variables(text);
    let _ = parse_actions(text);
    let _ = parse_operator(text);
    let _ = wildcard_match(text, text);
    if let Err(e) = parse_str("f.conf", text) {
        assert!(e.to_string().starts_with("f.conf:"), "{e}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_text_never_panics(text in seclangish()) {
        check_all(&text);
    }

    #[test]
    fn arbitrary_unicode_never_panics(text in any::<String>()) {
        check_all(&text);
    }

    #[test]
    fn mutated_rules_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..4, prop::sample::select(PIECES)), 1..8)
    ) {
        let mut text: Vec<char> = SAMPLE.chars().collect();
        for (at, delete, insert) in edits {
            let at = at.index(text.len() + 1);
            let end = (at + delete).min(text.len());
            text.splice(at..end, insert.chars());
        }
        let text: String = text.into_iter().collect();
        check_all(&text);
        let source = MemSource::new()
            .with("/w/main.conf", text.clone())
            .with("/w/rules/a.conf", text.clone())
            .with("/w/rules/b.conf", "Include ../main.conf");
        let _ = parse(Path::new("/w/main.conf"), &source);
    }
}

#[test]
fn the_sample_itself_parses() {
    let source = MemSource::new().with("/w/main.conf", SAMPLE).with("/w/rules/a.conf", "SecMarker A");
    let config = parse(Path::new("/w/main.conf"), &source).unwrap();
    assert_eq!(config.rules().count(), 4);
}
