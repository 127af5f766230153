//! gRPC through the inspector: an HTTP/2 client (h2c) calls a unary method on an HTTP/2-only
//! upstream; the call is inspected (a rule on the message bytes blocks it), forwarded over
//! HTTP/2 with `te: trailers`, and the response's trailers (`grpc-status`) come back. The
//! upstream is a hyper HTTP/2 server speaking gRPC's wire format (length-prefixed messages,
//! status in trailers), not a generated gRPC service.
#![allow(clippy::unwrap_used)]

mod support;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, Version};
use http_body_util::{BodyExt, Full};
use hyper::body::Frame;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use support::{CANARY, inspector};
use tokio::net::TcpListener;

/// What the upstream saw: version, path, headers.
type Seen = Arc<Mutex<Vec<(Version, String, HeaderMap)>>>;

/// A gRPC-shaped HTTP/2-only upstream: echoes the request message, `grpc-status: 0` in trailers.
async fn grpc_upstream() -> (SocketAddr, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Seen = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let log = log.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let log = log.clone();
                    async move {
                        log.lock().unwrap().push((req.version(), req.uri().path().to_owned(), req.headers().clone()));
                        let message = req.into_body().collect().await.unwrap().to_bytes();
                        let mut trailers = HeaderMap::new();
                        trailers.insert("grpc-status", "0".parse().unwrap());
                        let body = Reply { data: Some(message), trailers: Some(trailers) };
                        let resp = Response::builder().header("content-type", "application/grpc").body(body).unwrap();
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, seen)
}

/// A response body: one data frame, then trailers.
struct Reply {
    data: Option<Bytes>,
    trailers: Option<HeaderMap>,
}

impl http_body::Body for Reply {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let frame = match self.data.take() {
            Some(data) => Some(Frame::data(data)),
            None => self.trailers.take().map(Frame::trailers),
        };
        std::task::Poll::Ready(frame.map(Ok))
    }
}

/// One length-prefixed, uncompressed gRPC message.
fn message(payload: &[u8]) -> Bytes {
    let mut framed = vec![0u8];
    framed.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
    framed.extend_from_slice(payload);
    Bytes::from(framed)
}

fn call(addr: SocketAddr, payload: &[u8]) -> Request<Full<Bytes>> {
    Request::post(format!("http://{addr}/shop.Orders/Get"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(Full::new(message(payload)))
        .unwrap()
}

#[tokio::test]
async fn a_unary_call_is_inspected_and_passes_over_http2_with_trailers() {
    let (up, seen) = grpc_upstream().await;
    let rules = format!(
        "SecRuleEngine On\nSecRequestBodyAccess On\n{CANARY}SecRule REQUEST_BODY \"@contains DROP TABLE\" \"id:1001,phase:2,deny,log\"\n"
    );
    let proxy = inspector(up, &rules, &[]).await;
    let h2 = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).http2_only(true).build_http();

    let resp = h2.request(call(proxy.proxy_addr, b"order-42")).await.unwrap();
    assert_eq!((resp.status().as_u16(), resp.version()), (200, Version::HTTP_2));
    assert_eq!(resp.headers()["content-type"], "application/grpc");
    let body = resp.into_body().collect().await.unwrap();
    assert_eq!(body.trailers().unwrap()["grpc-status"], "0", "trailers pass through");
    assert_eq!(body.to_bytes(), message(b"order-42"));
    let got = seen.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let (version, path, headers) = &got[0];
    assert_eq!((*version, path.as_str()), (Version::HTTP_2, "/shop.Orders/Get"), "forwarded over HTTP/2");
    assert_eq!(headers["te"], "trailers");

    let blocked = h2.request(call(proxy.proxy_addr, b"x'; DROP TABLE orders; --")).await.unwrap();
    assert_eq!(blocked.status(), 403);
    assert_eq!(seen.lock().unwrap().len(), 1, "the blocked call never reached the upstream");
}
