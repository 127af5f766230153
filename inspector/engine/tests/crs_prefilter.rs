//! The literal prefilter changes no verdict: on Debian's CRS 3.3.4, random requests built
//! from attack and benign fragments (in the query, the cookies, a header and a form body)
//! match exactly the same rules, with the same messages and data, as with every rule's
//! prefilter removed.
#![allow(clippy::unwrap_used)]

mod crs_support;

use std::path::Path;

use inspector_engine::ruleset::{self, Item, RuleSet};
use inspector_engine::seclang::{FsSource, parse};
use inspector_engine::tx::{Connection, MatchedRule};
use proptest::prelude::*;

/// CRS compiled once more, with no rule prefiltered.
fn unfiltered() -> &'static RuleSet {
    static SET: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        crs_support::crs();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/base.conf");
        let config = parse(&root, &FsSource).unwrap();
        let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
        let mut set = ruleset::compile(&config, &read).unwrap();
        for item in set.phases.iter_mut().flatten() {
            let Item::Rule(rule) = item else { continue };
            let mut link = Some(&mut **rule);
            while let Some(rule) = link {
                rule.prefilter = None;
                link = rule.chain.as_deref_mut();
            }
        }
        set
    })
}

/// A request: its query, cookie, `Referer` and form body.
#[derive(Clone, Debug)]
struct Request {
    query: String,
    cookie: String,
    referer: String,
    form: String,
}

fn run(set: &RuleSet, r: &Request) -> (Vec<MatchedRule>, Option<String>) {
    let conn = Connection { client: "10.0.0.7:40000".parse().unwrap(), server: "10.0.0.8:8080".parse().unwrap() };
    let mut tx = set.transaction(conn, "prefilter-1".into());
    let target = format!("/shop/list?{}", r.query);
    let length = r.form.len().to_string();
    let headers: [(&str, &str); 7] = [
        ("Host", "shop.example"),
        ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
        ("Accept", "text/html,*/*;q=0.8"),
        ("Cookie", &r.cookie),
        ("Referer", &r.referer),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Content-Length", &length),
    ];
    let headers = headers.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes()));
    if tx.request_headers(b"POST", target.as_bytes(), "1.1", headers).is_none() {
        tx.request_body(r.form.as_bytes());
    }
    tx.finish();
    (tx.matched_rules().to_vec(), tx.tx("anomaly_score"))
}

/// Pieces of attacks (in several encodings) and of ordinary text.
const FRAGMENTS: [&str; 40] = [
    "red",
    "shoes",
    "2",
    "Page",
    "a b",
    "+",
    " ",
    "%20",
    "%2B",
    "&",
    "=",
    ";",
    "|",
    "`",
    "$(",
    "'",
    "\"",
    "--",
    "/*",
    "*/",
    "union",
    "SELECT",
    " from ",
    "or 1=1",
    "<script>",
    "%3Cscript%3E",
    "&#x3C;",
    "\\u003c",
    "javascript:",
    "onerror=",
    "../",
    "%2e%2e/",
    "/etc/passwd",
    "cat ",
    "eval(",
    "PHNjcmlwdD4=",
    "%00",
    "\t",
    "${jndi:",
    "http://x/",
];

fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(prop::sample::select(&FRAGMENTS[..]), 0..max).prop_map(|f| f.concat())
}

/// `name=value` pairs with generated values (and sometimes generated names).
fn pairs(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec((prop::sample::select(&["q", "id", "sort", "x"][..]), text(5)), 1..max)
        .prop_map(|pairs| pairs.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("&"))
}

fn request() -> impl Strategy<Value = Request> {
    (pairs(4), text(4), text(3), pairs(5)).prop_map(|(query, cookie, referer, form)| Request {
        query,
        cookie: format!("session=4f9a2c1e; pref={cookie}"),
        referer: format!("https://shop.example/{referer}"),
        form,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn prefiltered_crs_matches_what_unfiltered_crs_matches(r in request()) {
        let filtered = run(crs_support::crs(), &r);
        let unfiltered = run(unfiltered(), &r);
        prop_assert_eq!(filtered, unfiltered);
    }
}

#[test]
fn the_generated_requests_reach_detection_rules() {
    // The property above means something only if requests like these match rules.
    let r = Request {
        query: "q=1' or 1=1 --&id=../../etc/passwd".into(),
        cookie: "pref=<script>".into(),
        referer: "https://shop.example/".into(),
        form: "x=;cat /etc/passwd".into(),
    };
    let (matched, _) = run(crs_support::crs(), &r);
    let ids: Vec<u64> = matched.iter().filter(|m| m.logged).map(|m| m.id).collect();
    for id in [942100, 930100, 941100, 932160] {
        assert!(ids.contains(&id), "{id} not in {ids:?}");
    }
    assert_eq!(run(unfiltered(), &r).0, matched);
}
