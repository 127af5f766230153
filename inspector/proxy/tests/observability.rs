//! Metrics, audit log and health endpoints, observed from outside as Prometheus, a SIEM and
//! a kubelet would.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use support::{CANARY, Upstream, get, inspector, metric, raw};

const RULES: &str = "SecRuleEngine On\nSecRequestBodyAccess On\n\
    SecRule ARGS \"@detectSQLi\" \"id:1001,phase:2,deny,log,msg:'SQL injection',logdata:'%{MATCHED_VAR}',severity:CRITICAL,tag:'attack-sqli'\"\n\
    SecRule ARGS:note \"@contains hello\" \"id:1002,phase:2,pass,log,msg:'greeting'\"\n\
    SecRule ARGS:quiet \"@contains x\" \"id:1003,phase:2,pass,nolog\"\n";

fn rules() -> String {
    format!("{CANARY}{RULES}")
}

const SQLI: &str = "/item?id=1%27%20or%20%271%27%3D%271";

#[tokio::test]
async fn metrics_count_verdicts_blocks_and_matches() {
    let up = Upstream::start().await;
    let proxy = inspector(up.addr, &rules(), &[]).await;
    let base = format!("http://{}", proxy.proxy_addr);
    assert_eq!(get(format!("{base}/?a=1")).await.0, 200);
    assert_eq!(get(format!("{base}/?note=hello")).await.0, 200);
    assert_eq!(get(format!("{base}{SQLI}")).await.0, 403);
    assert_eq!(get(format!("{base}{SQLI}")).await.0, 403);

    let (status, headers, text) = get(format!("http://{}/metrics", proxy.admin_addr)).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let value = |series: &str| metric(&text, series).unwrap_or_else(|| panic!("{series} missing in\n{text}"));
    assert_eq!(value(r#"chainwall_requests_total{policy="-",namespace="-",verdict="pass"}"#), 1.0);
    assert_eq!(value(r#"chainwall_requests_total{policy="-",namespace="-",verdict="detect"}"#), 1.0);
    assert_eq!(
        value(r#"chainwall_requests_total{policy="-",namespace="-",verdict="block"}"#),
        3.0,
        "two SQLi and the canary"
    );
    assert_eq!(
        value(
            r#"chainwall_blocked_total{policy="-",namespace="-",rule_id="1001",severity="critical",category="attack-sqli"}"#
        ),
        2.0
    );
    assert_eq!(
        value(r#"chainwall_blocked_total{policy="-",namespace="-",rule_id="1",severity="-",category="-"}"#),
        1.0
    );
    assert_eq!(value(r#"chainwall_rule_matches_total{rule_id="1002"}"#), 1.0);
    assert_eq!(metric(&text, r#"chainwall_rule_matches_total{rule_id="1003"}"#), None, "nolog rules are not counted");
    assert_eq!(value("chainwall_inspection_duration_seconds_count"), 5.0);
    assert_eq!(value("chainwall_upstream_errors_total"), 0.0);
    assert_eq!(value("chainwall_rules_loaded"), 4.0);
    assert!(text.trim_end().ends_with("# EOF"));
}

#[tokio::test]
async fn requests_the_http_parser_refuses_are_counted_as_rejected() {
    let up = Upstream::start().await;
    let proxy = inspector(up.addr, &rules(), &[]).await;
    // A raw `<` is not allowed in a request-target (RFC 3986): hyper answers 400 itself.
    let answer =
        raw(proxy.proxy_addr, b"GET /?q=<script> HTTP/1.1\r\nHost: h\r\n\r\n", Duration::from_millis(300)).await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(up.received().is_empty(), "nothing forwarded");
    let reject = r#"chainwall_requests_total{policy="-",namespace="-",verdict="reject"}"#;
    let mut counted = None;
    // The connection task counts it as it ends, just after the answer was written.
    for _ in 0..50 {
        counted = metric(&proxy.metrics.encode(), reject);
        if counted.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(counted, Some(1.0));
}

#[tokio::test]
async fn audit_lines_carry_the_matched_rules() {
    let up = Upstream::start().await;
    let audit = support::scratch("audit").join("audit.log");
    let proxy = inspector(up.addr, &rules(), &["--audit-log", audit.to_str().unwrap()]).await;
    let base = format!("http://{}", proxy.proxy_addr);
    assert_eq!(get(format!("{base}/clean")).await.0, 200);
    let (status, headers, _) = get(format!("{base}{SQLI}")).await;
    assert_eq!(status, 403);
    let id = headers["x-request-id"].to_str().unwrap();

    let log = std::fs::read_to_string(&audit).unwrap();
    let lines: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "the canary and the SQLi; the clean request has no line:\n{log}");
    let line = &lines[1];
    assert_eq!(line["id"], id);
    assert_eq!(
        (line["method"].as_str(), line["uri"].as_str(), line["verdict"].as_str()),
        (Some("GET"), Some(SQLI), Some("block"))
    );
    assert_eq!(line["destination"], up.addr.to_string());
    assert_eq!(line["policy"], "-", "plain --rules");
    assert_eq!(line["namespace"], "-", "no flow map, no namespace");
    assert!(line["client"].as_str().unwrap().starts_with("127.0.0.1:"));
    let time = line["time"].as_str().unwrap();
    assert!(time.len() == 24 && time.ends_with('Z') && time.as_bytes()[10] == b'T', "{time}");
    let message = &line["messages"][0];
    assert_eq!((message["id"].as_u64(), message["msg"].as_str()), (Some(1001), Some("SQL injection")));
    assert_eq!((message["severity"].as_u64(), message["tags"][0].as_str()), (Some(2), Some("attack-sqli")));
    assert!(message["data"].as_str().unwrap().contains("1' or '1'='1"), "{message}");
}

#[tokio::test]
async fn requests_refused_before_inspection_get_an_audit_line_with_the_reason() {
    let up = Upstream::start().await;
    let audit = support::scratch("audit-reject").join("audit.log");
    let proxy = inspector(up.addr, &rules(), &["--audit-log", audit.to_str().unwrap()]).await;
    let wait = Duration::from_millis(300);
    // Content-Length and Transfer-Encoding together: the smuggling ambiguity, refused.
    let smuggle =
        b"POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    assert!(raw(proxy.proxy_addr, smuggle, wait).await.starts_with("HTTP/1.1 400 "));
    // A raw `<` in the target: hyper refuses it before any request exists.
    assert!(raw(proxy.proxy_addr, b"GET /?q=<x> HTTP/1.1\r\nHost: h\r\n\r\n", wait).await.starts_with("HTTP/1.1 400 "));
    assert!(up.received().is_empty(), "nothing forwarded");
    let mut lines = Vec::new();
    // The connection task writes the unparsable request's line as it ends.
    for _ in 0..50 {
        let log = std::fs::read_to_string(&audit).unwrap_or_default();
        lines = log.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()).collect();
        if lines.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(lines.len(), 3, "the start-up canary, then both refusals: {lines:?}");
    let smuggled = &lines[1];
    assert_eq!(
        (smuggled["method"].as_str(), smuggled["uri"].as_str(), smuggled["verdict"].as_str()),
        (Some("POST"), Some("/upload"), Some("reject"))
    );
    assert_eq!(smuggled["reason"], "malformed or ambiguous request");
    assert_eq!(smuggled["messages"].as_array().map(Vec::len), Some(0), "no rule ran");
    assert_eq!(smuggled["destination"], up.addr.to_string());
    let unparsable = &lines[2];
    assert_eq!((unparsable["method"].as_str(), unparsable["verdict"].as_str()), (Some("-"), Some("reject")));
    assert!(unparsable["reason"].as_str().unwrap().starts_with("unparsable request: "), "{unparsable}");
    assert!(!unparsable["id"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn health_is_liveness_and_ready_follows_the_upstream() {
    let up = Upstream::start().await;
    let proxy = inspector(up.addr, &rules(), &[]).await;
    let admin = format!("http://{}", proxy.admin_addr);
    assert_eq!(get(format!("{admin}/healthz")).await.0, 200);
    assert_eq!(get(format!("{admin}/readyz")).await.0, 200);
    assert_eq!(metric(&get(format!("{admin}/metrics")).await.2, "chainwall_ready"), Some(1.0));
    assert_eq!(get(format!("{admin}/nope")).await.0, 404);
    up.stop();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _, body) = get(format!("{admin}/readyz")).await;
    assert_eq!((status, body.as_str()), (503, "upstream unreachable\n"));
    assert_eq!(metric(&get(format!("{admin}/metrics")).await.2, "chainwall_ready"), Some(0.0), "the gauge follows");
    assert_eq!(get(format!("{admin}/healthz")).await.0, 200, "liveness does not depend on the upstream");
}
