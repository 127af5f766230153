use super::{Framing, Head, check};
use crate::request::Rejection;

fn ok(raw: &str) -> Head {
    check(raw.as_bytes()).unwrap_or_else(|e| panic!("{raw:?}: {e}"))
}

fn refused(raw: &[u8]) -> Rejection {
    match check(raw) {
        Ok(head) => panic!("{:?} accepted: {head:?}", String::from_utf8_lossy(raw)),
        Err(e) => e,
    }
}

#[test]
fn ordinary_heads_and_their_framing() {
    let get = "GET /a?b=1 HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n";
    assert_eq!(ok(get), Head { len: get.len(), framing: Framing::None });
    let post = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 010\r\n\r\n0123456789";
    assert_eq!(ok(post).framing, Framing::Length(10), "leading zeros are decimal");
    let chunked = "\r\nPOST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n";
    assert_eq!(ok(chunked), Head { len: chunked.len() - 5, framing: Framing::Chunked });
    assert_eq!(ok("GET / HTTP/1.0\r\n\r\n").framing, Framing::None, "HTTP/1.0 needs no Host");
}

#[test]
fn ambiguous_heads_are_refused() {
    for raw in [
        &b"GET / HTTP/1.1\nHost: a\n\n"[..],
        b"GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nX : a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nX_Y: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
        b"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close, Host\r\n\r\n",
        b"get / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.2\r\nHost: a\r\n\r\n",
        b"GET /\r\n\r\n",
    ] {
        assert_eq!(refused(raw), Rejection::BadRequest, "{:?}", String::from_utf8_lossy(raw));
    }
    assert_eq!(refused(b"GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n"), Rejection::Expectation);
}
