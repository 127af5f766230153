use super::{BodyProcessor, RequestVars, UriParts, parse_args};
use crate::values::Values;

fn vars(target: &str, headers: &[(&str, &str)]) -> RequestVars {
    let headers = headers.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes()));
    RequestVars::new(b"GET", target.as_bytes(), "1.1", headers, b'&')
}

fn pairs(c: &Values) -> Vec<(String, String)> {
    c.iter().map(|(k, v)| (String::from_utf8_lossy(k).into(), String::from_utf8_lossy(v).into())).collect()
}

#[test]
fn uri_parts_follow_modsecurity() {
    // (target, REQUEST_URI, REQUEST_FILENAME, REQUEST_BASENAME, QUERY_STRING)
    #[allow(clippy::type_complexity)] // a table: target, REQUEST_URI, FILENAME, BASENAME, QUERY_STRING
    let cases: &[(&str, &str, &str, Option<&str>, Option<&str>)] = &[
        ("/", "/", "/", None, None),
        ("/a/b.php?x=1", "/a/b.php?x=1", "/a/b.php", Some("b.php"), Some("x=1")),
        ("/a%20b/c%2Fd", "/a b/c/d", "/a b/c/d", Some("d"), None),
        ("/p%3Fq?r", "/p?q?r", "/p", Some("p"), Some("r")),
        ("/a+b?c+d", "/a+b?c+d", "/a+b", Some("a+b"), Some("c+d")),
        ("/x%zz%4", "/x%zz%4", "/x%zz%4", Some("x%zz%4"), None),
        ("http://h:8/p/q?z", "/p/q?z", "http://h:8/p/q", Some("q"), Some("z")),
        ("/dir/", "/dir/", "/dir/", None, None),
        ("/w\\in.exe", "/w\\in.exe", "/w\\in.exe", Some("in.exe"), None),
        ("/?", "/?", "/", None, Some("")),
    ];
    for &(target, uri, filename, basename, query) in cases {
        let p = UriParts::new(target.as_bytes());
        assert_eq!(p.raw, target.as_bytes(), "{target}");
        assert_eq!(String::from_utf8_lossy(&p.uri), uri, "REQUEST_URI of {target}");
        assert_eq!(String::from_utf8_lossy(&p.filename), filename, "REQUEST_FILENAME of {target}");
        assert_eq!(p.basename.as_deref().map(String::from_utf8_lossy).as_deref(), basename, "BASENAME of {target}");
        assert_eq!(p.query.as_deref().map(String::from_utf8_lossy).as_deref(), query, "QUERY_STRING of {target}");
    }
}

#[test]
fn arguments_split_and_decode() {
    #[allow(clippy::type_complexity)] // a table: input, arguments, invalid escape
    let cases: &[(&str, &[(&str, &str)], bool)] = &[
        ("a=1&b=2", &[("a", "1"), ("b", "2")], false),
        ("a=1&a=2", &[("a", "1"), ("a", "2")], false),
        ("x&y=", &[("x", ""), ("y", "")], false),
        ("a&&b", &[("a", ""), ("", ""), ("b", "")], false),
        ("a=1&", &[("a", "1")], false),
        ("k%41=v+w%2b", &[("kA", "v w+")], false),
        ("e=%zz&f=%4", &[("e", "%zz"), ("f", "%4")], true),
        ("a=b=c", &[("a", "b=c")], false),
        ("n%00=%00v", &[("n\0", "\0v")], false),
    ];
    for &(input, want, invalid) in cases {
        let mut c = Values::new();
        assert_eq!(parse_args(input.as_bytes(), b'&', &mut c), invalid, "{input}");
        let want: Vec<(String, String)> = want.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(pairs(&c), want, "{input}");
    }
    let mut c = Values::new();
    parse_args(b"a=1;b=2", b';', &mut c);
    assert_eq!(c.len(), 2);
}

#[test]
fn cookies_host_and_content_type() {
    let v = vars(
        "/?q=%zz",
        &[
            ("Host", "shop.example:8080"),
            ("Cookie", " a=1; b=x=y;;c; =skip; d=4 "),
            ("Content-Type", "Multipart/Form-Data; boundary=x"),
        ],
    );
    let want = [("a", "1"), ("b", "x=y"), ("c", ""), ("d", "4")];
    assert_eq!(pairs(&v.cookies), want.map(|(k, v)| (k.to_string(), v.to_string())));
    assert_eq!(v.server_name.as_deref(), Some(&b"shop.example"[..]));
    assert_eq!(v.body_processor, Some(BodyProcessor::Multipart));
    assert!(v.urlencoded_error);
    assert_eq!(v.line, b"GET /?q=%zz HTTP/1.1");
    assert_eq!(v.protocol, b"HTTP/1.1");
    assert_eq!(v.headers.len(), 3);
    let form = vars("/", &[("content-type", "application/x-www-form-urlencoded; charset=utf-8")]);
    assert_eq!(form.body_processor, Some(BodyProcessor::UrlEncoded));
    assert_eq!(vars("/", &[("Content-Type", "application/json")]).body_processor, None);
}
