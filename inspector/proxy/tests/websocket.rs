//! WebSocket: the handshake is inspected (phases 1-2) and, when allowed and the upstream
//! answers 101, both connections switch and bytes flow both ways; a blocked handshake never
//! reaches the upstream. The upstream is a small hyper server that answers the handshake
//! (RFC 6455 `Sec-WebSocket-Accept`) and echoes what it receives after the switch.
#![allow(clippy::unwrap_used)]

mod support;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use support::{CANARY, inspector};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
/// RFC 6455 section 1.3's example answer to `KEY`.
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

fn accept(key: &str) -> String {
    let digest = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        format!("{key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11").as_bytes(),
    );
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in digest.as_ref().chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            let c = if i <= chunk.len() { ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' };
            out.push(c);
        }
    }
    out
}

/// The WebSocket upstream: handshakes on `/chat` are answered 101 and echoed; the rest 200.
async fn ws_upstream() -> (SocketAddr, Arc<Mutex<Vec<Vec<(String, String)>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let log = log.clone();
            tokio::spawn(async move {
                let service = service_fn(move |mut req: Request<hyper::body::Incoming>| {
                    let headers = req.headers().iter().map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()));
                    log.lock().unwrap().push(headers.collect());
                    let key = req.headers().get("sec-websocket-key").map(|k| k.to_str().unwrap().to_owned());
                    let resp = match key.filter(|_| req.uri().path() == "/chat") {
                        Some(key) => {
                            let switched = hyper::upgrade::on(&mut req);
                            tokio::spawn(async move {
                                let mut io = TokioIo::new(switched.await.unwrap());
                                let mut buf = [0u8; 1024];
                                while let Ok(n @ 1..) = io.read(&mut buf).await {
                                    io.write_all(&buf[..n]).await.unwrap();
                                }
                            });
                            Response::builder()
                                .status(StatusCode::SWITCHING_PROTOCOLS)
                                .header("connection", "upgrade")
                                .header("upgrade", "websocket")
                                .header("sec-websocket-accept", accept(&key))
                                .body(Full::<Bytes>::default())
                                .unwrap()
                        }
                        None => Response::new(Full::new(Bytes::from_static(b"plain"))),
                    };
                    async move { Ok::<_, Infallible>(resp) }
                });
                let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                let _ = conn.with_upgrades().await;
            });
        }
    });
    (addr, seen)
}

fn handshake(path: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: chat.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
}

/// Reads until the end of a response head.
async fn read_head(conn: &mut TcpStream) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8];
        let read = tokio::time::timeout(Duration::from_secs(3), conn.read(&mut byte)).await.unwrap().unwrap();
        assert_eq!(read, 1, "closed after {:?}", String::from_utf8_lossy(&head));
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

fn rules() -> String {
    format!("SecRuleEngine On\n{CANARY}SecRule ARGS \"@detectSQLi\" \"id:1001,phase:2,deny,log\"\n")
}

#[tokio::test]
async fn an_allowed_handshake_switches_and_bytes_flow_both_ways() {
    assert_eq!(accept(KEY), ACCEPT, "the test upstream computes RFC 6455's answer");
    let (up, seen) = ws_upstream().await;
    let proxy = inspector(up, &rules(), &[]).await;
    let mut conn = TcpStream::connect(proxy.proxy_addr).await.unwrap();
    conn.write_all(handshake("/chat?room=1").as_bytes()).await.unwrap();
    let head = read_head(&mut conn).await.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101 "), "{head}");
    assert!(head.contains(&format!("sec-websocket-accept: {}", ACCEPT.to_ascii_lowercase())), "{head}");
    assert!(head.contains("upgrade: websocket") && head.contains("x-request-id: "), "{head}");
    let seen = seen.lock().unwrap().clone();
    let upstream_head: Vec<(&str, &str)> = seen[0].iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    assert!(upstream_head.contains(&("upgrade", "websocket")) && upstream_head.contains(&("connection", "upgrade")));
    assert!(upstream_head.contains(&("sec-websocket-key", KEY)), "{upstream_head:?}");
    // A masked text frame "hello" (RFC 6455 section 5.7), echoed back byte for byte.
    let frame = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
    for _ in 0..3 {
        conn.write_all(&frame).await.unwrap();
        let mut echo = [0u8; 11];
        tokio::time::timeout(Duration::from_secs(3), conn.read_exact(&mut echo)).await.unwrap().unwrap();
        assert_eq!(echo, frame);
    }
}

#[tokio::test]
async fn a_blocked_handshake_never_reaches_the_upstream() {
    let (up, seen) = ws_upstream().await;
    let proxy = inspector(up, &rules(), &[]).await;
    let mut conn = TcpStream::connect(proxy.proxy_addr).await.unwrap();
    conn.write_all(handshake("/chat?id=1%27%20or%20%271%27%3D%271").as_bytes()).await.unwrap();
    let head = read_head(&mut conn).await;
    assert!(head.starts_with("HTTP/1.1 403 "), "{head}");
    assert!(seen.lock().unwrap().is_empty(), "nothing forwarded");
}

#[tokio::test]
async fn an_upstream_that_does_not_switch_answers_as_http() {
    let (up, _) = ws_upstream().await;
    let proxy = inspector(up, &rules(), &["--idle-timeout", "1s"]).await;
    let mut conn = TcpStream::connect(proxy.proxy_addr).await.unwrap();
    conn.write_all(handshake("/plain").as_bytes()).await.unwrap();
    let head = read_head(&mut conn).await;
    assert!(head.starts_with("HTTP/1.1 200 ") && !head.to_ascii_lowercase().contains("upgrade"), "{head}");
    let mut body = [0u8; 5];
    conn.read_exact(&mut body).await.unwrap();
    assert_eq!(&body, b"plain");
}
