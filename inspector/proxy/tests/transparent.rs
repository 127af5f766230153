//! Redirect mode in-process, without root: the original-destination lookup is a stand-in
//! (what `SO_ORIGINAL_DST` would return), injected through `start_with_origin`, so the whole
//! pipeline runs on loopback: the request goes to the original destination, the engine's
//! `SERVER_PORT` and the audit line's destination are that destination, and a destination
//! that is the proxy itself, or none at all, closes the connection and is counted. The real
//! kernel path is `netns_redirect.rs` (root).
#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser;
use inspector::config::Args;
use inspector::origin::OriginalDst;
use support::{CANARY, Upstream, assert_canary, get, metric, raw, scratch};

#[tokio::test]
async fn redirect_mode_forwards_to_the_original_destination() {
    let origin = Upstream::start().await;
    let dir = scratch("transparent");
    let rules = dir.join("rules.conf");
    let server_port = format!(
        "SecRuleEngine On\n{CANARY}SecRule SERVER_PORT \"@eq {}\" \"id:2,phase:1,pass,log,msg:'original port'\"\n",
        origin.addr.port()
    );
    std::fs::write(&rules, server_port).unwrap();
    let audit = dir.join("audit.jsonl");
    let argv = [
        "inspector",
        "--transparent",
        "redirect",
        "--upstream-mark",
        "0",
        "--listen",
        "127.0.0.1:0",
        "--metrics-listen",
        "127.0.0.1:0",
        "--rules",
        rules.to_str().unwrap(),
        "--audit-log",
        audit.to_str().unwrap(),
    ];
    let config = Args::try_parse_from(argv).unwrap().validate().unwrap();
    let loaded = inspector::load_rules(&config).unwrap();
    let destination: Arc<Mutex<Option<SocketAddr>>> = Arc::new(Mutex::new(Some(origin.addr)));
    let seen = destination.clone();
    let lookup = OriginalDst(Arc::new(move |_| {
        seen.lock().unwrap().ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }));
    let running = inspector::start_with_origin(config, loaded, None, lookup).await.unwrap();
    assert_canary(running.proxy_addr).await;

    let (status, _, body) = get(format!("http://{}/shop?q=1", running.proxy_addr)).await;
    assert_eq!(status, 200, "{body}");
    let received = origin.received();
    assert_eq!(received.len(), 1, "the original destination got the request");
    assert_eq!(received[0].uri, "/shop?q=1");
    let audit_text = std::fs::read_to_string(&audit).unwrap();
    let line = audit_text.lines().find(|l| l.contains("original port")).unwrap_or_else(|| panic!("{audit_text}"));
    assert!(line.contains(&origin.addr.to_string()), "audit destination: {line}");

    // The proxy itself as destination: closed, never forwarded.
    *destination.lock().unwrap() = Some(running.proxy_addr);
    let loop_answer = raw(running.proxy_addr, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", Duration::from_secs(2)).await;
    assert_eq!(loop_answer, "", "a loop was served");
    // No original destination: closed too.
    *destination.lock().unwrap() = None;
    let none = raw(running.proxy_addr, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", Duration::from_secs(2)).await;
    assert_eq!(none, "", "a connection without an original destination was served");
    assert_eq!(origin.received().len(), 1);

    let (_, _, metrics) = get(format!("http://{}/metrics", running.admin_addr)).await;
    assert_eq!(metric(&metrics, r#"chainwall_flows_refused_total{reason="loop"}"#), Some(1.0), "{metrics}");
    assert_eq!(metric(&metrics, r#"chainwall_flows_refused_total{reason="no_original_dst"}"#), Some(1.0));
    running.stop().await;
}
