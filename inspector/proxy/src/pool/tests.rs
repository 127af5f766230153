//! The pool against a raw upstream that counts its connections.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::H1Pool;
use crate::dial::Dial;
use crate::forward::outgoing;

/// An upstream answering every request with `ok`, closing after each answer when `close`.
async fn upstream(close: bool) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let (addr, count) = (listener.local_addr().unwrap(), accepted.clone());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                while let Ok(n) = stream.read(&mut buf).await {
                    if n == 0 {
                        return;
                    }
                    let connection = if close { "close" } else { "keep-alive" };
                    let answer = format!("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: {connection}\r\n\r\nok");
                    if stream.write_all(answer.as_bytes()).await.is_err() || close {
                        return;
                    }
                }
            });
        }
    });
    (addr, accepted)
}

async fn get(pool: &Arc<H1Pool>, to: SocketAddr) -> Bytes {
    let req = Request::get("/").header("host", "app").body(outgoing::<Full<Bytes>>(Bytes::new(), None)).unwrap();
    let resp = pool.send(to, req).await.unwrap();
    resp.into_body().collect().await.unwrap().to_bytes()
}

fn pool() -> Arc<H1Pool> {
    Arc::new(H1Pool::new(Dial { timeout: Duration::from_secs(2), mark: None, source: None }))
}

#[tokio::test]
async fn sequential_requests_reuse_one_connection() {
    let (to, accepted) = upstream(false).await;
    let pool = pool();
    for _ in 0..20 {
        assert_eq!(get(&pool, to).await, "ok");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_connection_the_upstream_closes_is_not_reused() {
    let (to, accepted) = upstream(true).await;
    let pool = pool();
    for _ in 0..5 {
        assert_eq!(get(&pool, to).await, "ok");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 5);
}
