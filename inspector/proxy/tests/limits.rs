//! Body limits per rule set (a SecurityPolicy's `limits` render to `SecRequestBodyLimit` and
//! `SecRequestBodyLimitAction`): `Reject` answers 413 and forwards nothing; `ProcessPartial`
//! inspects the prefix, forwards the whole body and counts a bypass.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use support::{CANARY, Upstream, inspector, metric, raw, send};

fn rules(action: &str) -> String {
    format!(
        "SecRuleEngine On\nSecRequestBodyAccess On\nSecRequestBodyLimit 32\nSecRequestBodyLimitAction {action}\n{CANARY}\
         SecRule ARGS \"@detectSQLi\" \"id:1001,phase:2,deny,log,severity:CRITICAL,tag:'attack-sqli'\"\n"
    )
}

fn form(addr: std::net::SocketAddr, body: String) -> Request<Full<Bytes>> {
    Request::post(format!("http://{addr}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

const ATTACK: &str = "user=admin%27%20or%201%3D1--";

#[tokio::test]
async fn reject_answers_413_above_the_policy_limit() {
    let up = Upstream::start().await;
    let proxy = inspector(up.addr, &rules("Reject"), &[]).await;
    assert_eq!(send(form(proxy.proxy_addr, "a=1".into())).await.0, 200, "under the limit");
    assert_eq!(send(form(proxy.proxy_addr, format!("a={}", "x".repeat(64)))).await.0, 413);
    let chunked = "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n20\r\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n1\r\nb\r\n0\r\n\r\n";
    let answer = raw(proxy.proxy_addr, chunked.as_bytes(), Duration::from_millis(300)).await;
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert_eq!(up.received().len(), 1, "only the small body was forwarded");
    let text = proxy.metrics.encode();
    assert_eq!(metric(&text, r#"chainwall_body_over_limit_total{policy="-",action="reject"}"#), Some(2.0), "{text}");
    assert_eq!(metric(&text, r#"chainwall_bypass_total{policy="-",reason="body_prefix"}"#), None);
}

#[tokio::test]
async fn process_partial_inspects_the_prefix_and_forwards_the_whole_body() {
    let up = Upstream::start().await;
    let proxy = inspector(up.addr, &rules("ProcessPartial"), &[]).await;
    // An attack inside the inspected prefix is blocked.
    let early = format!("{ATTACK}&pad={}", "x".repeat(64));
    assert_eq!(send(form(proxy.proxy_addr, early)).await.0, 403);
    assert!(up.received().is_empty());
    // Beyond the prefix nothing is inspected: forwarded whole, and counted as a bypass.
    let late = format!("pad={}&{ATTACK}", "x".repeat(64));
    assert_eq!(send(form(proxy.proxy_addr, late.clone())).await.0, 200);
    assert_eq!(up.received()[0].body, late.as_bytes(), "the upstream gets the whole body");
    // A chunked body larger than the prefix, in several chunks, streams through as well.
    let chunked = "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n20\r\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n1\r\nb\r\n0\r\n\r\n";
    let answer = raw(proxy.proxy_addr, chunked.as_bytes(), Duration::from_millis(500)).await;
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert_eq!(up.received()[1].body, [&[b'a'; 32][..], b"b"].concat());
    let text = proxy.metrics.encode();
    let over = r#"chainwall_body_over_limit_total{policy="-",action="process_partial"}"#;
    assert_eq!(metric(&text, over), Some(3.0), "{text}");
    assert_eq!(
        metric(&text, r#"chainwall_bypass_total{policy="-",reason="body_prefix"}"#),
        Some(2.0),
        "the block is no bypass"
    );
}
