//! The canonical form: what the engine inspects is what the upstream receives.
#![allow(clippy::unwrap_used)]

use http::Request;
use http::request::Parts;

use super::{Rejection, head};

fn parts(builder: http::request::Builder) -> Parts {
    builder.body(()).unwrap().into_parts().0
}

#[test]
fn hop_by_hop_headers_are_dropped_and_host_comes_first() {
    let req = parts(
        Request::get("/a?b=1")
            .header("host", "shop.example")
            .header("connection", "keep-alive, x-secret")
            .header("x-secret", "1")
            .header("keep-alive", "timeout=5")
            .header("expect", "100-continue")
            .header("accept", "*/*"),
    );
    let (canon, declared) = head(&req, 8192).unwrap();
    assert_eq!(declared, None);
    assert_eq!(canon.target, "/a?b=1");
    let names: Vec<_> = canon.headers.keys().map(|n| n.as_str()).collect();
    assert_eq!(names, ["host", "accept"]);
    let hop: Vec<_> = canon.hop.iter().map(|(n, v)| (n.as_str(), v.to_str().unwrap())).collect();
    assert_eq!(
        hop,
        [
            ("connection", "keep-alive, x-secret"),
            ("x-secret", "1"),
            ("keep-alive", "timeout=5"),
            ("expect", "100-continue")
        ],
        "the engine still sees the hop-by-hop fields"
    );
}

#[test]
fn a_chunked_body_is_inspected_with_its_recomputed_length_only() {
    let req = parts(Request::post("/").header("host", "h").header("transfer-encoding", "chunked"));
    let (canon, _) = head(&req, 8192).unwrap();
    assert_eq!(canon.headers["content-length"], "0", "recomputed once the body is read");
    assert!(canon.hop.is_empty(), "no Transfer-Encoding beside it (CRS 920181 would see both)");
}

#[test]
fn absolute_form_authority_wins_over_host() {
    let req = parts(Request::get("http://real.example/x").header("host", "other.example"));
    let (canon, _) = head(&req, 8192).unwrap();
    assert_eq!((canon.target.as_str(), canon.headers["host"].to_str().unwrap()), ("/x", "real.example"));
}

#[test]
fn ambiguous_framing_is_refused() {
    let cl_te = parts(
        Request::post("/").header("host", "h").header("content-length", "3").header("transfer-encoding", "chunked"),
    );
    assert_eq!(head(&cl_te, 8192).unwrap_err(), Rejection::BadRequest);
    let two_cl =
        parts(Request::post("/").header("host", "h").header("content-length", "3").header("content-length", "4"));
    assert_eq!(head(&two_cl, 8192).unwrap_err(), Rejection::BadRequest);
    let two_hosts = parts(Request::get("/").header("host", "a").header("host", "b"));
    assert_eq!(head(&two_hosts, 8192).unwrap_err(), Rejection::BadRequest);
    assert_eq!(head(&parts(Request::get("/")), 8192).unwrap_err(), Rejection::BadRequest, "no Host");
    let connect = parts(Request::connect("h:443").header("host", "h:443"));
    assert_eq!(head(&connect, 8192).unwrap_err(), Rejection::Method);
}

#[test]
fn head_limit() {
    let req = parts(Request::get("/").header("host", "h").header("x-big", "a".repeat(2000)));
    assert_eq!(head(&req, 1024).unwrap_err(), Rejection::HeadTooLarge);
    assert!(head(&req, 4096).is_ok());
}

#[test]
fn the_head_size_counts_the_uri_as_displayed() {
    for uri in ["/", "/a/b?x=1&y=2", "http://example.com:8080/p?q", "*"] {
        let parsed: http::Uri = uri.parse().unwrap();
        assert_eq!(super::displayed_len(&parsed), parsed.to_string().len(), "{uri}");
    }
}
