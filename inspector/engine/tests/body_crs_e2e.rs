//! Request bodies through the whole engine on Debian's CRS 3.3.4 with tests/data/base.conf,
//! each expectation checked against libmodsecurity 3.0.9 on the same config: JSON, multipart
//! and XML attacks are blocked by 949110 with their detection rules, ordinary bodies pass
//! without a logged rule, and a body the processor rejects is denied by 200002 with 400.
#![allow(clippy::unwrap_used)]

mod crs_support;

use std::net::SocketAddr;

use crs_support::crs;
use inspector_engine::tx::Connection;

struct Outcome {
    verdict: Option<(u64, u16)>,
    logged: Vec<u64>,
}

fn post(content_type: &str, body: &str) -> Outcome {
    let conn = Connection {
        client: "10.0.0.7:40000".parse::<SocketAddr>().unwrap(),
        server: "10.0.0.8:8080".parse::<SocketAddr>().unwrap(),
    };
    let mut tx = crs().transaction(conn, "body-1".into());
    let length = body.len().to_string();
    let headers: Vec<(&[u8], &[u8])> = [
        ("Host", "shop.example"),
        ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64)"),
        ("Accept", "*/*"),
        ("Content-Type", content_type),
        ("Content-Length", length.as_str()),
    ]
    .iter()
    .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
    .collect();
    let mut verdict = tx.request_headers(b"POST", b"/api/upload", "1.1", headers);
    if verdict.is_none() {
        verdict = tx.request_body(body.as_bytes());
    }
    tx.finish();
    Outcome {
        verdict: verdict.map(|i| (i.rule_id, i.status)),
        logged: tx.matched_rules().iter().filter(|m| m.logged).map(|m| m.id).collect(),
    }
}

const JSON: &str = "application/json";
const XML: &str = "application/xml";
const FORM: &str = "multipart/form-data; boundary=XX";

#[test]
fn attacks_in_bodies_are_blocked_with_their_detection_rules() {
    let cases: &[(&str, &str, &[u64])] = &[
        (JSON, r#"{"q": "1' or '1'='1"}"#, &[942100]),
        (
            FORM,
            "--XX\r\nContent-Disposition: form-data; name=\"cmd\"\r\n\r\n;cat /etc/passwd\r\n--XX--\r\n",
            &[930120, 932100, 932160],
        ),
        (XML, "<q>1' or '1'='1</q>", &[942100]),
    ];
    for &(content_type, body, detections) in cases {
        let out = post(content_type, body);
        assert_eq!(out.verdict, Some((949110, 403)), "{content_type} {body:?}: logged {:?}", out.logged);
        for id in detections {
            assert!(out.logged.contains(id), "{content_type} {body:?}: expected {id} in {:?}", out.logged);
        }
    }
}

#[test]
fn ordinary_bodies_pass_without_logged_rules() {
    let cases: &[(&str, &str)] = &[
        (JSON, r#"{"item": 42, "note": "leave at the door", "tags": ["red", "blue"], "gift": false}"#),
        (
            FORM,
            "--XX\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHoliday photo\r\n--XX\r\n\
             Content-Disposition: form-data; name=\"photo\"; filename=\"beach.jpg\"\r\n\
             Content-Type: image/jpeg\r\n\r\nJFIFdata\r\n--XX--\r\n",
        ),
        // LF line endings and a quoted boundary only raise MULTIPART_STRICT_ERROR, which
        // neither base.conf nor CRS 3.3.4 acts on; libmodsecurity lets them through too.
        (FORM, "--XX\nContent-Disposition: form-data; name=\"title\"\n\nHoliday photo\n--XX--\n"),
        (
            "multipart/form-data; boundary=\"XX\"",
            "--XX\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHoliday photo\r\n--XX--\r\n",
        ),
        (XML, "<order><item>chair</item><qty>10</qty></order>"),
    ];
    for &(content_type, body) in cases {
        let out = post(content_type, body);
        assert_eq!(out.verdict, None, "{content_type} {body:?}: logged {:?}", out.logged);
        assert!(out.logged.is_empty(), "{content_type} {body:?}: logged {:?}", out.logged);
    }
}

#[test]
fn bodies_the_processor_rejects_are_denied_by_200002() {
    let cases: &[(&str, &str)] = &[
        (FORM, "--XX\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHoliday photo\r\n"),
        (FORM, "no boundary at all"),
        (JSON, r#"{"a":"#),
        (XML, "<a><b></a>"),
    ];
    for &(content_type, body) in cases {
        let out = post(content_type, body);
        assert_eq!(out.verdict, Some((200002, 400)), "{content_type} {body:?}: logged {:?}", out.logged);
        assert!(out.logged.contains(&200002), "{content_type} {body:?}: logged {:?}", out.logged);
    }
}
