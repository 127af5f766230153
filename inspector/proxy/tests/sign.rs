//! The signed marker header: every forwarded request carries `<request-id>.<hex HMAC>`, the
//! client's own copy is removed before inspection, and `inspector::sign::verify` accepts it.
#![allow(clippy::unwrap_used)]

mod support;

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use support::{CANARY, Upstream, inspector, send};

const KEY: &str = "lab-resilience-key-0123456789";

#[tokio::test]
async fn forwarded_requests_carry_a_valid_marker_and_forged_ones_are_removed() {
    let up = Upstream::start().await;
    let key_file = support::scratch("sign").join("key");
    std::fs::write(&key_file, format!("{KEY}\n")).unwrap();
    // A rule that would block any request still carrying a client's marker when inspected.
    let rules = format!(
        "SecRuleEngine On\n{CANARY}SecRule &REQUEST_HEADERS:X-Chainwall-Inspected \"@gt 0\" \"id:5,phase:1,deny,log\"\n\
         SecRule ARGS \"@detectSQLi\" \"id:1001,phase:2,deny,log\"\n"
    );
    let key_arg = key_file.to_str().unwrap();
    let proxy =
        inspector(up.addr, &rules, &["--sign-header", "X-Chainwall-Inspected", "--sign-key-file", key_arg]).await;

    let forged = "0000.0000000000000000000000000000000000000000000000000000000000000000";
    let req = Request::get(format!("http://{}/orders?page=1", proxy.proxy_addr))
        .header("x-chainwall-inspected", forged)
        .body(Full::<Bytes>::default())
        .unwrap();
    let (status, headers, _) = send(req).await;
    assert_eq!(status, 200, "the client's marker is removed before inspection");
    let id = headers["x-request-id"].to_str().unwrap();
    let got = up.received();
    let markers: Vec<&str> =
        got[0].headers.iter().filter(|(n, _)| n == "x-chainwall-inspected").map(|(_, v)| v.as_str()).collect();
    assert_eq!(markers.len(), 1, "{markers:?}");
    assert_eq!(inspector::sign::verify(KEY.as_bytes(), markers[0]), Some(id), "the marker vouches for this id");
    assert_eq!(inspector::sign::verify(KEY.as_bytes(), forged), None);
    assert_eq!(inspector::sign::verify(b"some-other-key-0123456789", markers[0]), None);

    let (status, _, _) = support::get(format!("http://{}/?id=1%27%20or%20%271%27%3D%271", proxy.proxy_addr)).await;
    assert_eq!((status, up.received().len()), (403, 1), "a blocked request is not forwarded");
}

#[test]
fn both_flags_or_neither() {
    use clap::Parser;
    let base =
        ["inspector", "--upstream", "127.0.0.1:1", "--rules", concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")];
    let only_header = base.iter().copied().chain(["--sign-header", "x-mark"]);
    assert!(inspector::config::Args::try_parse_from(only_header).is_err());
    let only_key = base.iter().copied().chain(["--sign-key-file", "/nonexistent"]);
    assert!(inspector::config::Args::try_parse_from(only_key).is_err());
    let short = support::scratch("sign-short").join("key");
    std::fs::write(&short, "short").unwrap();
    let argv = base.iter().copied().chain(["--sign-header", "x-mark", "--sign-key-file", short.to_str().unwrap()]);
    let err = inspector::config::Args::try_parse_from(argv).unwrap().validate().unwrap_err();
    assert!(err.to_string().contains("at least 16 bytes"), "{err}");
}
