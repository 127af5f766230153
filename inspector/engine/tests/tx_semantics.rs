//! Rule-evaluation semantics on small configs: defaults and `block`, chains, skips,
//! `setvar` arithmetic, captures, `ctl`, removals and target updates, engine modes.
#![allow(clippy::unwrap_used)]

use inspector_engine::ruleset::{self, RuleSet};
use inspector_engine::seclang::parse_str;
use inspector_engine::tx::{Connection, Transaction};

fn rules(text: &str) -> RuleSet {
    let config = parse_str("test.conf", text).unwrap_or_else(|e| panic!("{e}"));
    ruleset::compile(&config, &|p| Err(format!("no file {}", p.display()))).unwrap_or_else(|e| panic!("{e}"))
}

fn get<'r>(set: &'r RuleSet, target: &str) -> (Transaction<'r>, Option<u16>) {
    let conn = Connection { client: "10.1.1.1:5000".parse().unwrap(), server: "10.1.1.2:80".parse().unwrap() };
    let mut tx = set.transaction(conn, "t".into());
    let headers: [(&[u8], &[u8]); 1] = [(b"Host", b"h")];
    let mut stop = tx.request_headers(b"GET", target.as_bytes(), "1.1", headers);
    if stop.is_none() {
        stop = tx.request_body(b"");
    }
    tx.finish();
    (tx, stop.map(|i| i.status))
}

fn ids(tx: &Transaction<'_>) -> Vec<u64> {
    tx.matched_rules().iter().map(|m| m.id).collect()
}

#[test]
fn block_follows_the_phase_default_action() {
    let deny = rules(
        "SecRuleEngine On\nSecDefaultAction \"phase:2,log,deny,status:418\"\n\
         SecRule ARGS:a \"@streq x\" \"id:1,phase:2,block\"\n",
    );
    assert_eq!(get(&deny, "/?a=x").1, Some(418));
    let pass = rules(
        "SecRuleEngine On\nSecDefaultAction \"phase:2,log,pass\"\nSecRule ARGS:a \"@streq x\" \"id:1,phase:2,block\"\n",
    );
    let (tx, stop) = get(&pass, "/?a=x");
    assert_eq!((stop, ids(&tx)), (None, vec![1]));
}

#[test]
fn chains_need_every_link_and_setvar_runs_per_matched_value() {
    let set = rules(
        "SecRuleEngine On\n\
         SecRule ARGS \"@rx ^a\" \"id:1,phase:1,pass,setvar:tx.hits=+1,chain\"\n\
         SecRule MATCHED_VAR \"@endsWith z\" \"setvar:tx.chained=+10\"\n",
    );
    let (tx, _) = get(&set, "/?p=ab&q=az&r=b");
    assert_eq!(tx.tx("hits").as_deref(), Some("2"), "one increment per matched value");
    assert_eq!(tx.tx("chained").as_deref(), Some("10"));
    assert_eq!(ids(&tx), vec![1]);
    let (tx, _) = get(&set, "/?p=ab");
    assert_eq!(tx.tx("chained"), None);
    assert!(ids(&tx).is_empty(), "a broken chain logs nothing");
}

#[test]
fn skip_and_skip_after_jump_over_rules() {
    let set = rules(
        "SecRuleEngine On\n\
         SecAction \"id:1,phase:1,pass,nolog,skip:1\"\n\
         SecAction \"id:2,phase:1,pass,setvar:tx.two=1\"\n\
         SecAction \"id:3,phase:1,pass,skipAfter:END\"\n\
         SecAction \"id:4,phase:1,pass,setvar:tx.four=1\"\n\
         SecMarker END\n\
         SecAction \"id:5,phase:1,pass,setvar:tx.five=1\"\n",
    );
    let (tx, _) = get(&set, "/");
    assert_eq!((tx.tx("two"), tx.tx("four"), tx.tx("five").as_deref()), (None, None, Some("1")));
}

#[test]
fn setvar_arithmetic_macros_and_captures() {
    let set = rules(
        "SecRuleEngine On\n\
         SecAction \"id:1,phase:1,pass,nolog,setvar:tx.score=5,setvar:tx.limit=7\"\n\
         SecRule ARGS:n \"@rx ^(\\d+)-(\\w+)$\" \"id:2,phase:1,pass,capture,setvar:tx.score=+%{tx.1},setvar:'tx.word=%{TX.2}'\"\n\
         SecRule TX:score \"@ge %{tx.limit}\" \"id:3,phase:1,deny,status:403,msg:'score %{tx.score}'\"\n\
         SecAction \"id:4,phase:1,pass,setvar:!tx.limit\"\n",
    );
    let (tx, stop) = get(&set, "/?n=3-abc");
    assert_eq!(tx.tx("score").as_deref(), Some("8"));
    assert_eq!(tx.tx("word").as_deref(), Some("abc"));
    assert_eq!(stop, Some(403));
    assert_eq!(tx.matched_rules().iter().find(|m| m.id == 3).map(|m| m.msg.as_str()), Some("score 8"));
    let (tx, stop) = get(&set, "/?n=1-x");
    assert_eq!((stop, tx.tx("limit")), (None, None), "6 < 7 passes, then rule 4 deletes tx.limit");
}

#[test]
fn removals_target_updates_and_ctl() {
    let set = rules(
        "SecRuleEngine On\n\
         SecRule ARGS \"@contains evil\" \"id:10,phase:2,deny,tag:'attack-x'\"\n\
         SecRule ARGS \"@contains bad\" \"id:11,phase:2,deny,tag:'attack-y'\"\n\
         SecRule ARGS \"@contains worse\" \"id:12,phase:2,deny\"\n\
         SecRule REQUEST_FILENAME \"@streq /admin\" \"id:5,phase:1,pass,nolog,ctl:ruleRemoveById=12\"\n\
         SecRule REQUEST_FILENAME \"@streq /upload\" \"id:6,phase:1,pass,nolog,ctl:ruleRemoveTargetById=10;ARGS:file\"\n\
         SecRuleRemoveByTag attack-y\n\
         SecRuleUpdateTargetById 10 \"!ARGS:comment\"\n",
    );
    assert_eq!(get(&set, "/?x=evil").1, Some(403));
    assert_eq!(get(&set, "/?comment=evil").1, None, "SecRuleUpdateTargetById excludes ARGS:comment");
    assert_eq!(get(&set, "/?x=bad").1, None, "SecRuleRemoveByTag, wherever it appears");
    assert_eq!(get(&set, "/?x=worse").1, Some(403));
    assert_eq!(get(&set, "/admin?x=worse").1, None, "ctl:ruleRemoveById");
    assert_eq!(get(&set, "/upload?file=evil").1, None, "ctl:ruleRemoveTargetById");
    assert_eq!(get(&set, "/upload?other=evil").1, Some(403));
}

#[test]
fn detection_only_logs_without_stopping_and_allow_stops_evaluation() {
    let detect = rules("SecRuleEngine DetectionOnly\nSecRule ARGS \"@contains x\" \"id:1,phase:1,deny\"\n");
    let (tx, stop) = get(&detect, "/?a=x");
    assert_eq!((stop, ids(&tx)), (None, vec![1]));
    let allow = rules(
        "SecRuleEngine On\n\
         SecRule REMOTE_ADDR \"@ipMatch 10.1.1.0/24\" \"id:1,phase:1,allow,nolog\"\n\
         SecRule ARGS \"@contains x\" \"id:2,phase:2,deny\"\n",
    );
    assert_eq!(get(&allow, "/?a=x").1, None);
    let off = rules("SecRuleEngine Off\nSecRule ARGS \"@contains x\" \"id:1,phase:1,deny\"\n");
    let (tx, stop) = get(&off, "/?a=x");
    assert_eq!((stop, ids(&tx)), (None, vec![]));
}

#[test]
fn multi_match_and_counting() {
    let set = rules(
        "SecRuleEngine On\n\
         SecRule ARGS \"@streq <x>\" \"id:1,phase:1,pass,t:none,t:urlDecode,t:lowercase,multiMatch,setvar:tx.m=+1\"\n\
         SecRule &ARGS \"@gt 2\" \"id:2,phase:1,pass,setvar:tx.many=1\"\n\
         SecRule &ARGS:nope \"@eq 0\" \"id:3,phase:1,pass,setvar:tx.none=1\"\n",
    );
    let (tx, _) = get(&set, "/?a=%3Cx%3E&b=1&c=2");
    assert_eq!(tx.tx("m").as_deref(), Some("1"), "matched once, after urlDecode");
    assert_eq!((tx.tx("many").as_deref(), tx.tx("none").as_deref()), (Some("1"), Some("1")));
}

#[test]
fn unset_request_scalars_are_one_empty_value_as_in_libmodsecurity() {
    // libmodsecurity's anchored variables always yield one value: "" when never set.
    let set = rules(
        "SecRuleEngine On\n\
         SecRule REQUEST_BASENAME \"!@endsWith .pdf\" \"id:1,phase:1,pass,log\"\n\
         SecRule &QUERY_STRING \"@eq 1\" \"id:2,phase:1,pass,log\"\n\
         SecRule REQBODY_PROCESSOR \"!@rx (?:URLENCODED|MULTIPART|XML|JSON)\" \"id:3,phase:1,pass,log\"\n\
         SecRule REQUEST_BODY \"@rx ^$\" \"id:4,phase:2,pass,log\"\n",
    );
    assert_eq!(ids(&get(&set, "/").0), vec![1, 2, 3, 4]);
    assert_eq!(ids(&get(&set, "/docs/").0), vec![1, 2, 3, 4]);
    assert_eq!(ids(&get(&set, "/a.pdf?x=1").0), vec![2, 3, 4]);
}

#[test]
fn the_body_processor_is_known_from_the_headers_in_phase_1() {
    let set = rules(
        "SecRuleEngine On\n\
         SecRule REQBODY_PROCESSOR \"@streq URLENCODED\" \"id:1,phase:1,pass,log\"\n",
    );
    let conn = Connection { client: "10.1.1.1:5000".parse().unwrap(), server: "10.1.1.2:80".parse().unwrap() };
    let mut tx = set.transaction(conn, "t".into());
    let headers: [(&[u8], &[u8]); 2] = [(b"Host", b"h"), (b"Content-Type", b"application/x-www-form-urlencoded")];
    assert_eq!(tx.request_headers(b"POST", b"/", "1.1", headers), None);
    assert_eq!(ids(&tx), vec![1], "set by Content-Type before the body arrives");
}

#[test]
fn a_transformation_that_returns_a_part_of_its_input_changes_the_value() {
    // `t:trim` borrows the middle of its input: still a changed value.
    let set = rules("SecRuleEngine On\nSecRule ARGS:a \"@rx ^x$\" \"id:1,phase:1,pass,t:trim\"\n");
    assert_eq!(ids(&get(&set, "/?a=%20x%20").0), vec![1]);
    let set = rules("SecRuleEngine On\nSecRule ARGS:a \"@rx ^ x$\" \"id:1,phase:1,pass,t:urlDecode,t:trimRight\"\n");
    assert_eq!(ids(&get(&set, "/?a=+x+").0), vec![1], "after a changed step too");
}

#[test]
fn matched_vars_hold_the_chain_so_far_and_matched_var_the_last_match() {
    // The chain's second rule reads MATCHED_VARS_NAMES: the head's two matches.
    let set = rules(
        "SecRuleEngine On\n\
         SecRule ARGS \"@rx ^evil\" \"id:1,phase:2,pass,log,chain\"\n\
         SecRule MATCHED_VARS_NAMES \"@streq ARGS:b\" \"setvar:tx.seen=%{MATCHED_VAR}\"\n\
         SecRule MATCHED_VARS \"@rx .\" \"id:2,phase:2,pass,log\"\n\
         SecRule MATCHED_VAR \"@streq ARGS:b\" \"id:3,phase:2,pass,log\"\n",
    );
    let (tx, _) = get(&set, "/?a=evil-a&b=evil-b&c=fine");
    assert_eq!(tx.tx("seen").as_deref(), Some("ARGS:b"));
    // MATCHED_VARS starts empty for each rule; MATCHED_VAR stays the last match.
    assert_eq!(ids(&tx), [1, 3]);
}
