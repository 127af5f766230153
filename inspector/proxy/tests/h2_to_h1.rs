//! Catalogue row 44 (h2 request → h1 upstream), with raw HTTP/2 frames (h2c prior knowledge,
//! HPACK literals) since a well-behaved client cannot send them: malformed requests are
//! reset or refused and never forwarded (never downgraded); split `cookie` fields reach the
//! HTTP/1.1 upstream as one `Cookie` line, the form the engine inspected.
#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use inspector::proxy::Inspected;
use inspector::request::Canonical;
use support::{CANARY, Upstream, inspector_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const HEADERS: u8 = 0x1;
const DATA: u8 = 0x0;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const GOAWAY: u8 = 0x7;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap().to_be_bytes();
    let mut out = vec![len[1], len[2], len[3], kind, flags];
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// HPACK "literal header field without indexing, new name", no Huffman (lengths < 127).
fn literal(name: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = vec![0x00, u8::try_from(name.len()).unwrap()];
    out.extend_from_slice(name);
    out.push(u8::try_from(value.len()).unwrap());
    out.extend_from_slice(value);
    out
}

/// A GET/POST header block with `extra` fields.
fn block(method: &str, extra: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (n, v) in
        [(&b":method"[..], method.as_bytes()), (b":scheme", b"http"), (b":path", b"/h2"), (b":authority", b"a")]
            .into_iter()
            .chain(extra.iter().copied())
    {
        out.extend(literal(n, v));
    }
    out
}

#[derive(Debug, PartialEq, Eq)]
enum Answer {
    /// RST_STREAM or GOAWAY (or the connection closed) before any response.
    Reset,
    /// A response; the first byte of its header block (0x88: `:status 200` from the static table).
    Status(u8),
}

/// Sends the preface, SETTINGS and `frames` (stream 1); returns how stream 1 ended.
async fn exchange(addr: SocketAddr, frames: &[Vec<u8>]) -> Answer {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut out = PREFACE.to_vec();
    out.extend(frame(SETTINGS, 0, 0, &[]));
    frames.iter().for_each(|f| out.extend_from_slice(f));
    stream.write_all(&out).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16384];
    loop {
        while buf.len() >= 9 {
            let len = usize::from(buf[0]) << 16 | usize::from(buf[1]) << 8 | usize::from(buf[2]);
            if buf.len() < 9 + len {
                break;
            }
            let (kind, flags) = (buf[3], buf[4]);
            let id = u32::from_be_bytes([buf[5], buf[6], buf[7], buf[8]]) & 0x7fff_ffff;
            let payload: Vec<u8> = buf[9..9 + len].to_vec();
            buf.drain(..9 + len);
            match kind {
                SETTINGS if flags & 1 == 0 => stream.write_all(&frame(SETTINGS, 1, 0, &[])).await.unwrap(),
                HEADERS if id == 1 => return Answer::Status(payload.first().copied().unwrap_or_default()),
                RST_STREAM if id == 1 => return Answer::Reset,
                GOAWAY => return Answer::Reset,
                _ => {}
            }
        }
        match tokio::time::timeout(Duration::from_secs(3), stream.read(&mut chunk)).await {
            Ok(Ok(0) | Err(_)) => return Answer::Reset,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => panic!("no answer on stream 1"),
        }
    }
}

#[tokio::test]
async fn malformed_h2_requests_are_never_forwarded() {
    let up = Upstream::start().await;
    let seen = Arc::new(Mutex::new(Vec::<Canonical>::new()));
    let sink = seen.clone();
    let hook = Inspected(Arc::new(move |c: &Canonical| sink.lock().unwrap().push(c.clone())));
    let rules = format!("SecRuleEngine On\nSecRequestBodyAccess On\n{CANARY}");
    let proxy = inspector_with(up.addr, &rules, &[], Some(hook)).await;
    let headers_only =
        |extra: &[(&[u8], &[u8])]| vec![frame(HEADERS, END_HEADERS | END_STREAM, 1, &block("GET", extra))];
    let cases: Vec<(&str, Vec<Vec<u8>>)> = vec![
        ("transfer-encoding", headers_only(&[(b"transfer-encoding", b"chunked")])),
        ("connection", headers_only(&[(b"connection", b"keep-alive")])),
        ("keep-alive", headers_only(&[(b"keep-alive", b"timeout=5")])),
        ("upgrade", headers_only(&[(b"upgrade", b"h2c")])),
        ("te other than trailers", headers_only(&[(b"te", b"gzip")])),
        ("upper-case name", headers_only(&[(b"X-Upper", b"1")])),
        ("empty name", headers_only(&[(b"", b"1")])),
        ("CR LF in a value", headers_only(&[(b"x-a", b"1\r\nx-b: 2")])),
        ("NUL in a value", headers_only(&[(b"x-a", b"1\x002")])),
        ("space in a name", headers_only(&[(b"x a", b"1")])),
        ("no :path", vec![frame(HEADERS, END_HEADERS | END_STREAM, 1, &literal(b":method", b"GET"))]),
        (
            "content-length larger than DATA (H2.CL)",
            vec![
                frame(HEADERS, END_HEADERS, 1, &block("POST", &[(b"content-length", b"10")])),
                frame(DATA, END_STREAM, 1, b"hello"),
            ],
        ),
        (
            "content-length smaller than DATA",
            vec![
                frame(HEADERS, END_HEADERS, 1, &block("POST", &[(b"content-length", b"1")])),
                frame(DATA, END_STREAM, 1, b"hello"),
            ],
        ),
    ];
    for (name, frames) in &cases {
        let answer = exchange(proxy.proxy_addr, frames).await;
        assert!(answer == Answer::Reset || answer == Answer::Status(0x8c), "{name}: {answer:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(up.received().is_empty(), "{name}: forwarded {:?}", up.received());
        assert!(seen.lock().unwrap().is_empty(), "{name}: inspected");
    }

    // A well-formed request with split cookies: one Cookie line, as inspected.
    let frames = headers_only(&[(b"cookie", b"a=1"), (b"cookie", b"b=2"), (b"x-ok", b"1")]);
    assert_eq!(exchange(proxy.proxy_addr, &frames).await, Answer::Status(0x88));
    let got = up.received();
    assert_eq!(got.len(), 1);
    let cookies: Vec<_> = got[0].headers.iter().filter(|(n, _)| n == "cookie").map(|(_, v)| v.as_str()).collect();
    assert_eq!(cookies, ["a=1; b=2"]);
    let inspected = seen.lock().unwrap()[0].headers.get("cookie").unwrap().to_str().unwrap().to_owned();
    assert_eq!(inspected, "a=1; b=2", "the engine saw the same joined Cookie");
}
