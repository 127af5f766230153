//! The admin server on `--metrics-listen`: `/metrics` (OpenMetrics text, with
//! `chainwall_ready` set to the readiness at each scrape), `/healthz`
//! (liveness: the process answers) and `/readyz` (rules compiled and, in upstream mode, the
//! upstream accepts TCP connections; the probe result is cached for a second). The
//! transparent modes have no single upstream: ready means the rules are compiled.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use tokio::net::TcpStream;
use tokio::sync::Mutex;

use crate::metrics::{CONTENT_TYPE as OPENMETRICS, Metrics};

/// How long a probe result is reused.
const PROBE_TTL: Duration = Duration::from_secs(1);

/// The cached upstream reachability probe.
#[derive(Debug)]
pub struct Probe {
    upstream: Option<SocketAddr>,
    last: Mutex<Option<(Instant, bool)>>,
}

impl Probe {
    pub fn new(upstream: Option<SocketAddr>) -> Self {
        Self { upstream, last: Mutex::new(None) }
    }

    /// Whether the upstream accepted a TCP connection (within the last second).
    pub async fn upstream_up(&self) -> bool {
        let Some(upstream) = self.upstream else { return true };
        let mut last = self.last.lock().await;
        if let Some((at, up)) = *last
            && at.elapsed() < PROBE_TTL
        {
            return up;
        }
        let connect = tokio::time::timeout(Duration::from_millis(500), TcpStream::connect(upstream));
        let up = matches!(connect.await, Ok(Ok(_)));
        *last = Some((Instant::now(), up));
        up
    }
}

/// What the admin server needs.
#[derive(Debug)]
pub struct Admin {
    pub metrics: Arc<Metrics>,
    pub probe: Probe,
    /// The rules compiled (always true while rules are loaded before serving; reload will
    /// clear it on a failed first load).
    pub rules_compiled: bool,
}

impl Admin {
    /// Ready, or why not (also `chainwall_ready`, set at each scrape).
    pub async fn readiness(&self) -> Result<(), &'static str> {
        match (self.rules_compiled, self.probe.upstream_up().await) {
            (true, true) => Ok(()),
            (false, _) => Err("rules not compiled\n"),
            (true, false) => Err("upstream unreachable\n"),
        }
    }
}

/// Answers one admin request.
pub async fn handle<B>(admin: Arc<Admin>, req: Request<B>) -> Result<Response<Full<Bytes>>, Infallible> {
    let text = |status: StatusCode, body: &'static str| (status, "text/plain; charset=utf-8", body.to_owned());
    let (status, content_type, body) = match req.uri().path() {
        "/metrics" => {
            admin.metrics.set_ready(admin.readiness().await.is_ok());
            (StatusCode::OK, OPENMETRICS, admin.metrics.encode())
        }
        "/healthz" => text(StatusCode::OK, "ok\n"),
        "/readyz" => match admin.readiness().await {
            Ok(()) => text(StatusCode::OK, "ready\n"),
            Err(why) => text(StatusCode::SERVICE_UNAVAILABLE, why),
        },
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    };
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, http::HeaderValue::from_static(content_type));
    Ok(resp)
}
