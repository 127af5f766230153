//! Slowloris and stuck upstreams: the header, body and idle timeouts on the client side, the
//! connect and response timeouts on the upstream side (in-process, 127.0.0.1:0).
#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use support::{CANARY, Upstream, get, inspector};

fn rules() -> String {
    format!("SecRuleEngine On\n{CANARY}")
}
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads what is there within `wait`; `true` when the peer closed the connection.
async fn read_some(stream: &mut TcpStream, wait: Duration) -> (String, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&out).into_owned(), true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
        }
    }
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let up = Upstream::start().await;
    let proxy = inspector(up.addr, &rules(), &["--idle-timeout", "400ms"]).await;
    let mut conn = TcpStream::connect(proxy.proxy_addr).await.unwrap();
    let started = Instant::now();
    for _ in 0..3 {
        // Activity within the timeout keeps the connection open.
        conn.write_all(b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n").await.unwrap();
        let (answer, closed) = read_some(&mut conn, Duration::from_millis(250)).await;
        assert!(answer.starts_with("HTTP/1.1 200 ") && !closed, "{answer}");
    }
    let (rest, closed) = read_some(&mut conn, Duration::from_secs(3)).await;
    assert!(closed && rest.is_empty(), "closed without a response: {rest:?}");
    // The last request was sent at about 500 ms; the close comes 400 ms after its response.
    let closed_at = started.elapsed();
    assert!(closed_at >= Duration::from_millis(880), "not before the idle time: {closed_at:?}");
    assert_eq!(up.received().len(), 3);
}

#[tokio::test]
async fn a_head_trickled_byte_by_byte_is_cut_by_the_header_timeout() {
    let up = Upstream::start().await;
    let proxy = inspector(up.addr, &rules(), &["--header-timeout", "500ms"]).await;
    let mut conn = TcpStream::connect(proxy.proxy_addr).await.unwrap();
    let started = Instant::now();
    let head = b"GET / HTTP/1.1\r\nHost: h\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let mut closed_at = None;
    for byte in head {
        // The idle timeout (60 s) never runs out: a byte arrives every 50 ms.
        if conn.write_all(&[*byte]).await.is_err() {
            closed_at = Some(started.elapsed());
            break;
        }
        let (answer, closed) = read_some(&mut conn, Duration::from_millis(50)).await;
        if closed {
            assert!(answer.is_empty(), "hyper closes without a response: {answer}");
            closed_at = Some(started.elapsed());
            break;
        }
    }
    let closed_at = closed_at.expect("the trickled head was never cut");
    assert!(closed_at >= Duration::from_millis(450) && closed_at < Duration::from_secs(3), "{closed_at:?}");
    assert!(up.received().is_empty());
}

#[tokio::test]
async fn a_slow_upstream_response_is_504() {
    let up = Upstream::start().await;
    let proxy = inspector(up.addr, &rules(), &["--upstream-timeout", "200ms"]).await;
    let (status, headers, body) = get(format!("http://{}/slow", proxy.proxy_addr)).await;
    assert_eq!(status, 504);
    let id = headers["x-request-id"].to_str().unwrap();
    assert_eq!(body, format!(r#"{{"error":"gateway timeout","request_id":"{id}"}}"#));
    let (status, _, _) = get(format!("http://{}/fast", proxy.proxy_addr)).await;
    assert_eq!(status, 200, "a prompt upstream still passes");
    let metrics = support::get(format!("http://{}/metrics", proxy.admin_addr)).await.2;
    assert_eq!(support::metric(&metrics, "chainwall_upstream_errors_total"), Some(1.0));
}

#[tokio::test]
async fn an_upstream_that_never_accepts_is_504_after_the_connect_timeout() {
    // A listener that never accepts, its backlog filled: the kernel drops further SYNs, so a
    // connect hangs (as with a blackholed destination).
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.bind(&"127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap().into()).unwrap();
    socket.listen(0).unwrap();
    let stuck = socket.local_addr().unwrap().as_socket().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..4 {
        if let Ok(Ok(s)) = tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(stuck)).await {
            fillers.push(s);
        }
    }
    let proxy = inspector(stuck, &rules(), &["--upstream-connect-timeout", "300ms", "--upstream-timeout", "10s"]).await;
    let started = Instant::now();
    let (status, _, _) = get(format!("http://{}/", proxy.proxy_addr)).await;
    assert_eq!(status, 504);
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}
