//! The proxy in-process on 127.0.0.1:0, between a test client and a recording mock upstream:
//! pass (the upstream receives exactly the canonical request), block, detect-only, limits,
//! response inspection, upstream failure, h2c. Each run starts with the canary (support).
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use support::{CANARY, Upstream, get, inspector, raw, send};

fn rules(engine: &str) -> String {
    format!(
        "SecRuleEngine {engine}\nSecRequestBodyAccess On\n{CANARY}\
         SecRule ARGS \"@detectSQLi\" \"id:1001,phase:2,deny,log,msg:'SQL injection',logdata:'%{{MATCHED_VAR}}',severity:CRITICAL,tag:'attack-sqli'\"\n"
    )
}

fn headers(r: &support::Received) -> Vec<(&str, &str)> {
    r.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
}

#[tokio::test]
async fn benign_requests_reach_the_upstream_in_canonical_form() {
    let up = Upstream::start().await;
    let proxy = inspector(up.addr, &rules("On"), &[]).await;
    let request = "GET /products?page=2&sort=price HTTP/1.1\r\nHost: shop.example\r\nX-Custom: 1\r\n\
                   Connection: keep-alive, X-Hop\r\nX-Hop: secret\r\nKeep-Alive: timeout=5\r\n\r\n";
    let answer = raw(proxy.proxy_addr, request.as_bytes(), Duration::from_millis(500)).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(
        answer.contains("x-request-id: ") && answer.contains("x-upstream: mock") && answer.ends_with("upstream ok"),
        "{answer}"
    );
    let got = up.received();
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].method.as_str(), got[0].uri.as_str()), ("GET", "/products?page=2&sort=price"));
    assert_eq!(headers(&got[0]), [("host", "shop.example"), ("x-custom", "1")], "hop-by-hop headers dropped");

    // A chunked body is forwarded with its length, as one canonical body.
    let chunked = "POST /api/orders HTTP/1.1\r\nHost: shop.example\r\nContent-Type: application/json\r\n\
                   Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n3\r\n 1}\r\n0\r\n\r\n";
    let answer = raw(proxy.proxy_addr, chunked.as_bytes(), Duration::from_millis(500)).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    let got = &up.received()[1];
    assert_eq!((got.method.as_str(), got.body.as_slice()), ("POST", &b"{\"a\": 1}"[..]));
    assert_eq!(headers(got), [("host", "shop.example"), ("content-type", "application/json"), ("content-length", "8")]);
}

#[tokio::test]
async fn hop_by_hop_fields_are_inspected_though_never_forwarded() {
    let up = Upstream::start().await;
    // CRS 920210's check: conflicting Connection tokens.
    let conflict = "SecRule REQUEST_HEADERS:Connection \"@rx \\b(?:keep-alive|close),\\s?(?:keep-alive|close)\\b\" \
                    \"id:920210,phase:1,deny,log\"\n";
    let proxy = inspector(up.addr, &format!("{}{conflict}", rules("On")), &[]).await;
    let send_with = |connection: &str| {
        format!("GET / HTTP/1.1\r\nHost: shop.example\r\nConnection: {connection}\r\n\r\n").into_bytes()
    };
    let answer = raw(proxy.proxy_addr, &send_with("keep-alive, close"), Duration::from_millis(500)).await;
    assert!(answer.starts_with("HTTP/1.1 403 "), "{answer}");
    assert!(up.received().is_empty());
    let answer = raw(proxy.proxy_addr, &send_with("keep-alive"), Duration::from_millis(500)).await;
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert_eq!(headers(&up.received()[0]), [("host", "shop.example")], "and still not forwarded");
}

#[tokio::test]
async fn sqli_is_blocked_with_a_request_id_and_nothing_forwarded() {
    let up = Upstream::start().await;
    let proxy = inspector(up.addr, &rules("On"), &[]).await;
    let (status, headers, body) = get(format!("http://{}/item?id=1%27%20or%20%271%27%3D%271", proxy.proxy_addr)).await;
    assert_eq!(status, 403);
    let id = headers["x-request-id"].to_str().unwrap();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json, serde_json::json!({"blocked": true, "request_id": id}), "no rule text, no internals");
    assert!(up.received().is_empty(), "the upstream received nothing");

    // A POST form body is inspected before anything is forwarded.
    let req = Request::post(format!("http://{}/login", proxy.proxy_addr))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from_static(b"user=admin%27%20or%201%3D1--&pass=x")))
        .unwrap();
    assert_eq!(send(req).await.0, 403);
    assert!(up.received().is_empty());
}

#[tokio::test]
async fn custom_block_status() {
    let up = Upstream::start().await;
    let proxy = inspector(up.addr, &rules("On"), &["--block-status", "418"]).await;
    let (status, _, _) = get(format!("http://{}/?q=1%27%20or%20%271%27%3D%271", proxy.proxy_addr)).await;
    assert_eq!(status, 418);
}

#[tokio::test]
async fn detection_only_forwards_and_logs() {
    let up = Upstream::start().await;
    let audit = support::scratch("detect").join("audit.log");
    let audit_arg = audit.to_str().unwrap();
    let config = rules("DetectionOnly").replace("deny,log,msg:'canary'", "deny,log,msg:'canary',ctl:ruleEngine=On");
    let proxy = inspector(up.addr, &config, &["--audit-log", audit_arg]).await;
    let (status, headers, body) = get(format!("http://{}/item?id=1%27%20or%20%271%27%3D%271", proxy.proxy_addr)).await;
    assert_eq!((status, body.as_str()), (200, "upstream ok"));
    assert_eq!(up.received().len(), 1);
    let id = headers["x-request-id"].to_str().unwrap();
    let log = std::fs::read_to_string(&audit).unwrap();
    let line: serde_json::Value =
        log.lines().map(|l| serde_json::from_str(l).unwrap()).find(|v: &serde_json::Value| v["id"] == id).unwrap();
    assert_eq!((line["verdict"].as_str(), line["engine"].as_str()), (Some("detect"), Some("DetectionOnly")));
    assert_eq!(line["messages"][0]["id"], 1001);
}

#[tokio::test]
async fn oversize_bodies_are_413_and_never_forwarded() {
    let up = Upstream::start().await;
    let proxy = inspector(up.addr, &rules("On"), &["--max-body", "16"]).await;
    let req = Request::post(format!("http://{}/upload", proxy.proxy_addr))
        .body(Full::new(Bytes::from(vec![b'a'; 100])))
        .unwrap();
    assert_eq!(send(req).await.0, 413);
    let chunked = "POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n10\r\naaaaaaaaaaaaaaaa\r\n1\r\nb\r\n0\r\n\r\n";
    let answer = raw(proxy.proxy_addr, chunked.as_bytes(), Duration::from_millis(300)).await;
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    let big_head = format!("GET / HTTP/1.1\r\nHost: h\r\nX-Big: {}\r\n\r\n", "a".repeat(40_000));
    let answer = raw(proxy.proxy_addr, big_head.as_bytes(), Duration::from_millis(300)).await;
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
    let ambiguous = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd";
    let answer = raw(proxy.proxy_addr, ambiguous.as_bytes(), Duration::from_millis(300)).await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(up.received().is_empty());
}

#[tokio::test]
async fn response_phases_run_when_the_rules_read_response_bodies() {
    let up = Upstream::start().await;
    let config = format!(
        "{}SecResponseBodyAccess On\nSecResponseBodyMimeType text/plain\n\
         SecRule RESPONSE_BODY \"@contains secret-token\" \"id:2001,phase:4,deny,log,msg:'leak'\"\n",
        rules("On")
    );
    let proxy = inspector(up.addr, &config, &[]).await;
    let (status, _, body) = get(format!("http://{}/leak", proxy.proxy_addr)).await;
    assert_eq!(status, 403);
    assert!(!body.contains("secret"), "{body}");
    let (status, _, body) = get(format!("http://{}/fine", proxy.proxy_addr)).await;
    assert_eq!((status, body.as_str()), (200, "upstream ok"));
}

#[tokio::test]
async fn upstream_down_is_502_without_internals() {
    let up = Upstream::start().await;
    let proxy = inspector(up.addr, &rules("On"), &[]).await;
    up.stop();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (status, headers, body) = get(format!("http://{}/", proxy.proxy_addr)).await;
    assert_eq!(status, 502);
    let id = headers["x-request-id"].to_str().unwrap();
    assert_eq!(body, format!(r#"{{"error":"bad gateway","request_id":"{id}"}}"#));
}

#[tokio::test]
async fn over_max_concurrent_is_503() {
    let up = Upstream::start().await;
    let proxy = inspector(up.addr, &rules("On"), &["--max-concurrent", "1"]).await;
    let url = format!("http://{}/slow", proxy.proxy_addr);
    let slow = tokio::spawn(get(url.clone()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(get(url).await.0, 503);
    assert_eq!(slow.await.unwrap().0, 200);
}

#[tokio::test]
async fn h2c_prior_knowledge_is_inspected_and_forwarded_as_http11() {
    let up = Upstream::start().await;
    let proxy = inspector(up.addr, &rules("On"), &[]).await;
    let h2 =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).http2_only(true).build_http();
    let req =
        |q: &str| Request::get(format!("http://{}/h2?{q}", proxy.proxy_addr)).body(Full::<Bytes>::default()).unwrap();
    let resp = h2.request(req("a=1")).await.unwrap();
    assert_eq!((resp.status().as_u16(), resp.version()), (200, http::Version::HTTP_2));
    let blocked = h2.request(req("id=1%27%20or%20%271%27%3D%271")).await.unwrap();
    assert_eq!(blocked.status(), 403);
    let got = up.received();
    assert_eq!(got.len(), 1);
    assert_eq!(headers(&got[0]), [("host", proxy.proxy_addr.to_string().as_str())]);
}

#[tokio::test]
async fn one_h2c_connection_s_streams_are_spread_over_the_lanes() {
    let up = Upstream::start().await;
    let lanes = std::sync::Arc::new(std::sync::Mutex::new(std::collections::BTreeSet::new()));
    let seen = lanes.clone();
    let hook = inspector::proxy::Inspected(std::sync::Arc::new(move |_: &inspector::request::Canonical| {
        let name = std::thread::current().name().unwrap_or("?").to_owned();
        seen.lock().unwrap().insert(name);
    }));
    let proxy = support::inspector_with(up.addr, &rules("On"), &["--workers", "2"], Some(hook)).await;
    lanes.lock().unwrap().clear();
    let h2 =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).http2_only(true).build_http();
    // One connection (the client multiplexes), eight streams at once.
    let first = h2.request(Request::get(format!("http://{}/warm", proxy.proxy_addr)).body(Full::default()).unwrap());
    assert_eq!(first.await.unwrap().status(), 200);
    let burst: Vec<_> = (0..8)
        .map(|i| {
            let uri = format!("http://{}/s{i}", proxy.proxy_addr);
            tokio::spawn(h2.request(Request::get(uri).body(Full::<Bytes>::default()).unwrap()))
        })
        .collect();
    for stream in burst {
        assert_eq!(stream.await.unwrap().unwrap().status(), 200);
    }
    let lanes = lanes.lock().unwrap().clone();
    assert_eq!(
        lanes.into_iter().collect::<Vec<_>>(),
        ["inspector-lane-0", "inspector-lane-1"],
        "the streams of one HTTP/2 connection ran on both lanes"
    );
}

#[tokio::test]
async fn a_slow_body_is_408_and_never_forwarded() {
    let up = Upstream::start().await;
    let proxy = inspector(up.addr, &rules("On"), &["--body-timeout", "200ms"]).await;
    let partial = "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc";
    let answer = raw(proxy.proxy_addr, partial.as_bytes(), Duration::from_millis(800)).await;
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(up.received().is_empty());
}
