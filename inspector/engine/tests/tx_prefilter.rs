//! The literal prefilter skips only rules that cannot match: literals are looked for in the
//! transformed values (a trailing `t:lowercase` aside), per target collection, and negated,
//! `multiMatch` and counting rules always run.
#![allow(clippy::unwrap_used)]

use inspector_engine::ruleset::{self, RuleSet};
use inspector_engine::seclang::parse_str;
use inspector_engine::tx::Connection;

fn rules(text: &str) -> RuleSet {
    let config = parse_str("test.conf", text).unwrap_or_else(|e| panic!("{e}"));
    ruleset::compile(&config, &|p| Err(format!("no file {}", p.display()))).unwrap_or_else(|e| panic!("{e}"))
}

fn matched(set: &RuleSet, target: &str) -> Vec<u64> {
    let conn = Connection { client: "10.1.1.1:5000".parse().unwrap(), server: "10.1.1.2:80".parse().unwrap() };
    let mut tx = set.transaction(conn, "t".into());
    let headers: [(&[u8], &[u8]); 2] = [(b"Host", b"h"), (b"User-Agent", b"Mozilla/5.0 SELECT")];
    tx.request_headers(b"GET", target.as_bytes(), "1.1", headers);
    tx.request_body(b"");
    tx.finish();
    tx.matched_rules().iter().map(|m| m.id).collect()
}

const RULES: &str = "SecRuleEngine DetectionOnly\n\
    SecRule ARGS \"@rx union\\s+select\" \"id:1,phase:2,pass,t:none,t:urlDecodeUni,t:lowercase\"\n\
    SecRule ARGS:q \"@rx union\\s+select\" \"id:2,phase:2,pass,t:none\"\n\
    SecRule ARGS|REQUEST_HEADERS \"@pm select\" \"id:3,phase:2,pass,t:none,t:lowercase\"\n\
    SecRule ARGS \"!@rx union\" \"id:4,phase:2,pass,t:none\"\n\
    SecRule ARGS \"@rx (?i)union\" \"id:5,phase:2,pass,t:none,t:urlDecodeUni,multiMatch\"\n\
    SecRule &ARGS \"@rx 1\" \"id:6,phase:2,pass,t:none\"\n\
    SecRule ARGS:other \"@rx union\" \"id:7,phase:2,pass,t:none\"\n";

#[test]
fn literals_are_found_after_the_transformations() {
    let set = rules(RULES);
    // The parser decodes once ("un%69on%20select"); only t:urlDecodeUni brings "union" out.
    assert_eq!(matched(&set, "/?q=un%2569on%2520select"), vec![1, 3, 4, 5, 6]);
    assert_eq!(matched(&set, "/?q=union+select"), vec![1, 2, 3, 5, 6]);
    // Rule 1 lowercases, rule 2 does not: the scan ignores case, the regex decides.
    assert_eq!(matched(&set, "/?q=UNION+SELECT"), vec![1, 3, 4, 5, 6]);
}

#[test]
fn rules_without_usable_literals_always_run() {
    let set = rules(RULES);
    // Nothing in ARGS: the negated and the counting rule still match; the header's
    // "SELECT" still reaches the REQUEST_HEADERS target of rule 3.
    assert_eq!(matched(&set, "/?q=hello"), vec![3, 4, 6]);
}

#[test]
fn selectors_narrow_the_collection_the_scan_covered() {
    let set = rules(RULES);
    // "union" is in ARGS, but in ARGS:q, not in ARGS:other, the only key rule 7's scan
    // covers; two arguments, so rule 6 (`&ARGS` "2") does not match either.
    assert_eq!(matched(&set, "/?q=union+all&other=x"), vec![3, 4, 5]);
    // Keys compare case-insensitively, in the scan as in the rule.
    assert_eq!(matched(&set, "/?Other=union"), vec![3, 5, 6, 7]);
}

#[test]
fn only_eligible_rules_get_a_slot() {
    let set = rules(RULES);
    let slotted: Vec<(u64, bool)> = set.phases[1]
        .iter()
        .filter_map(|item| match item {
            ruleset::Item::Rule(rule) => Some((rule.id, rule.prefilter.is_some())),
            ruleset::Item::Marker(_) => None,
        })
        .collect();
    let expected = [(1, true), (2, true), (3, true), (4, false), (5, false), (6, false), (7, true)];
    assert_eq!(slotted, expected);
    // Rules 1 (`urlDecodeUni,lowercase`) and 2 (none) use two chains; 3 (`lowercase`) shares 2's.
    assert_eq!(set.prefilters.chains.len(), 2);
}
