//! Property tests for the body processors: no input panics, and time stays linear
//! (pathological nesting, long lines and many parts finish quickly).
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use inspector_engine::body::{json, multipart, xml};
use inspector_engine::values::Values;
use proptest::prelude::*;

fn tokens() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"a\"",
        "\"\\u00e9\"",
        "1",
        "-2.5e3",
        "true",
        "null",
        " ",
        "\"",
        "\\",
        "--XX",
        "\r\n",
        "\n",
        "Content-Disposition: form-data; name=\"a\"",
        "; filename=\"f\"",
        "\t",
        "<r>",
        "</r>",
        "<a x='1'>",
        "&amp;",
        "&#65;",
        "<![CDATA[",
        "]]>",
        "<!--",
        "-->",
        "<!DOCTYPE r [<!ENTITY e \"v\">]>",
        "&e;",
    ]);
    prop::collection::vec(pieces, 0..64).prop_map(|p| p.concat().into_bytes())
}

proptest! {
    #[test]
    fn json_never_panics(body in prop::collection::vec(any::<u8>(), 0..256), depth in 0usize..8) {
        let _ = json::parse(&body, depth, &mut Values::new());
    }

    #[test]
    fn structured_inputs_never_panic(body in tokens()) {
        let _ = json::parse(&body, json::DEFAULT_DEPTH_LIMIT, &mut Values::new());
        let _ = multipart::parse(b"multipart/form-data; boundary=XX", &body);
        let _ = xml::parse(&body);
    }

    #[test]
    fn multipart_never_panics(ct in prop::collection::vec(any::<u8>(), 0..64), body in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = multipart::parse(&ct, &body);
        let mut typed = b"multipart/form-data; boundary=".to_vec();
        typed.extend_from_slice(&ct);
        let _ = multipart::parse(&typed, &body);
    }

    #[test]
    fn xml_never_panics(body in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = xml::parse(&body);
    }
}

fn quick(what: &str, f: impl FnOnce()) {
    let start = Instant::now();
    f();
    let took = start.elapsed();
    assert!(took < Duration::from_secs(2), "{what} took {took:?}");
}

#[test]
fn pathological_inputs_finish_quickly() {
    let deep = [vec![b'['; 500_000], vec![b']'; 500_000]].concat();
    quick("deep JSON", || {
        let err = json::parse(&deep, json::DEFAULT_DEPTH_LIMIT, &mut Values::new()).unwrap_err();
        assert!(err.ends_with("Parsing depth limit exceeded"), "{err}");
    });
    let amplified = [vec![b'['; 10_000], b"1,".repeat(2_000_000), b"1".to_vec(), vec![b']'; 10_000]].concat();
    quick("deep paths times many scalars", || {
        let err = json::parse(&amplified, json::DEFAULT_DEPTH_LIMIT, &mut Values::new()).unwrap_err();
        assert!(err.contains("size limit"), "{err}");
    });
    let wide = format!("[{}1]", "1,".repeat(200_000));
    quick("wide JSON", || json::parse(wide.as_bytes(), 10, &mut Values::new()).unwrap());
    let parts = "--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n".repeat(20_000) + "--XX--\r\n";
    quick("many parts", || {
        assert_eq!(multipart::parse(b"multipart/form-data; boundary=XX", parts.as_bytes()).fields.len(), 20_000)
    });
    let long_line =
        format!("--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n{}\r\n--XX--\r\n", "-".repeat(1_000_000));
    quick("long data line", || {
        multipart::parse(b"multipart/form-data; boundary=XX", long_line.as_bytes());
    });
    let nested = format!("{}{}", "<a>".repeat(200_000), "</a>".repeat(200_000));
    quick("deep XML", || assert!(!xml::parse(nested.as_bytes()).malformed));
    let entities = format!("<!DOCTYPE r [<!ENTITY e \"{}\">]><r>{}</r>", "x".repeat(1000), "&e;".repeat(100_000));
    let declarations: String = (0..50_000).map(|i| format!("<!ENTITY e{i} \"v\">")).collect();
    let refs: String = (0..50_000).map(|i| format!("&e{i};")).collect();
    let many = format!("<!DOCTYPE r [{declarations}]><r>{refs}</r>");
    quick("many entities", || assert!(!xml::parse(many.as_bytes()).malformed));
    quick("entity budget", || assert!(xml::parse(entities.as_bytes()).malformed));
}
