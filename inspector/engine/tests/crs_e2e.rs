//! The whole engine on Debian's CRS 3.3.4 at paranoia level 1: real attacks are blocked by
//! the anomaly-scoring rule 949110 with the expected detection rules among the matches, and
//! ordinary requests pass with no rule matched.
#![allow(clippy::unwrap_used)]

mod crs_support;

use std::net::SocketAddr;

use crs_support::crs;
use inspector_engine::tx::Connection;

/// Extra request headers of a case.
type Headers = &'static [(&'static str, &'static str)];

struct Outcome {
    blocked_by: Option<u64>,
    logged: Vec<u64>,
    score: Option<String>,
}

fn run(method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Outcome {
    let conn = Connection {
        client: "10.0.0.7:40000".parse::<SocketAddr>().unwrap(),
        server: "10.0.0.8:8080".parse::<SocketAddr>().unwrap(),
    };
    let mut tx = crs().transaction(conn, "test-1".into());
    let length = body.len().to_string();
    let mut base = vec![("Host", "shop.example"), ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64)"), ("Accept", "*/*")];
    if !body.is_empty() {
        base.push(("Content-Length", length.as_str()));
    }
    let all: Vec<(&[u8], &[u8])> = base.iter().chain(headers).map(|(n, v)| (n.as_bytes(), v.as_bytes())).collect();
    let mut verdict = tx.request_headers(method.as_bytes(), target.as_bytes(), "1.1", all);
    if verdict.is_none() {
        verdict = tx.request_body(body.as_bytes());
    }
    tx.finish();
    Outcome {
        blocked_by: verdict.map(|i| i.rule_id),
        logged: tx.matched_rules().iter().filter(|m| m.logged).map(|m| m.id).collect(),
        score: tx.tx("anomaly_score"),
    }
}

#[test]
fn the_canary_attacks_are_blocked_with_their_detection_rules() {
    const FORM: Headers = &[("Content-Type", "application/x-www-form-urlencoded")];
    let cases: &[(&str, &str, Headers, &str, u64)] = &[
        ("GET", "/item?id=1%27%20or%20%271%27%3D%271", &[], "", 942100),
        ("GET", "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", &[], "", 941100),
        ("GET", "/download?file=../../../../etc/passwd", &[], "", 930100),
        ("GET", "/ping?host=127.0.0.1%3Bcat%20%2Fetc%2Fpasswd", &[], "", 932100),
        ("POST", "/login", FORM, "user=admin%27--&pass=x", 942100),
        ("GET", "/", &[("User-Agent", "sqlmap/1.7.2#stable (https://sqlmap.org)")], "", 913100),
    ];
    for &(method, target, headers, body, detection) in cases {
        let out = run(method, target, headers, body);
        assert_eq!(out.blocked_by, Some(949110), "{method} {target}: logged {:?}", out.logged);
        assert!(out.logged.contains(&detection), "{method} {target}: expected {detection} in {:?}", out.logged);
    }
}

#[test]
fn ordinary_requests_pass_without_matches() {
    const JSON: Headers = &[("Content-Type", "application/json")];
    const FORM: Headers = &[("Content-Type", "application/x-www-form-urlencoded")];
    let cases: &[(&str, &str, Headers, &str)] = &[
        ("GET", "/", &[], ""),
        ("GET", "/products?page=2&sort=price&q=red+shoes", &[], ""),
        ("POST", "/api/orders", JSON, r#"{"item": 42, "note": "leave at the door"}"#),
        ("POST", "/contact", FORM, "name=Ana+Lopez&message=Hello%2C+I+would+like+a+quote+for+10+chairs."),
        ("GET", "/static/app.js", &[("Cookie", "session=abc123; theme=dark")], ""),
    ];
    for &(method, target, headers, body) in cases {
        let out = run(method, target, headers, body);
        assert_eq!(out.blocked_by, None, "{method} {target}: logged {:?}", out.logged);
        assert!(out.logged.is_empty(), "{method} {target}: logged {:?}", out.logged);
        assert_eq!(out.score.as_deref().unwrap_or("0"), "0", "{method} {target}");
    }
}
