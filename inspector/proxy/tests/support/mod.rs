//! Test support: a mock upstream recording what it received, an in-process inspector started
//! through the same `Args` → `validate` → `rules::load` → `start` path as `main`, and clients.
#![allow(clippy::unwrap_used, dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use clap::Parser;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use inspector::Running;
use inspector::config::Args;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A request as the upstream received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub method: String,
    pub uri: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A tiny HTTP/1.1 upstream: answers `200 upstream ok` (`/leak`: a body with a secret,
/// `/slow`: after 600 ms) and records every request.
pub struct Upstream {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<Received>>>,
    stop: watch::Sender<bool>,
}

impl Upstream {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let (stop, mut stopped) = watch::channel(false);
        let log = received.clone();
        tokio::spawn(async move {
            loop {
                let stream = tokio::select! {
                    s = listener.accept() => s.unwrap().0,
                    _ = stopped.changed() => return,
                };
                let log = log.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| record(log.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, received, stop }
    }

    /// Closes the listener: new connections are refused.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

async fn record(
    log: Arc<Mutex<Vec<Received>>>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
    let headers = parts.headers.iter().map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("?").to_owned())).collect();
    let path = parts.uri.path().to_owned();
    log.lock().unwrap().push(Received { method: parts.method.to_string(), uri: parts.uri.to_string(), headers, body });
    let text = match path.as_str() {
        "/leak" => "here is the secret-token of the admin",
        "/slow" => {
            tokio::time::sleep(Duration::from_millis(600)).await;
            "slow upstream ok"
        }
        _ => "upstream ok",
    };
    let mut resp = Response::new(Full::new(Bytes::from(text)));
    resp.headers_mut().insert("content-type", "text/plain".parse().unwrap());
    resp.headers_mut().insert("x-upstream", "mock".parse().unwrap());
    Ok(resp)
}

/// A scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("inspector-test-{}-{name}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The canary rule every test config starts with: `X-Canary: chainwall` is blocked by rule 1.
pub const CANARY: &str =
    "SecRule REQUEST_HEADERS:X-Canary \"@streq chainwall\" \"id:1,phase:1,deny,log,msg:'canary'\"\n";

/// Starts the inspector with `rules` (a rule file's text, or `@PATH` for an existing file)
/// in front of `upstream`, with extra flags.
pub async fn inspector(upstream: SocketAddr, rules: &str, extra: &[&str]) -> Running {
    inspector_with(upstream, rules, extra, None).await
}

/// [`inspector`], with a hook receiving every inspected request that is forwarded.
pub async fn inspector_with(
    upstream: SocketAddr,
    rules: &str,
    extra: &[&str],
    hook: Option<inspector::proxy::Inspected>,
) -> Running {
    let path = match rules.strip_prefix('@') {
        Some(path) => PathBuf::from(path),
        None => {
            let path = scratch("rules").join("rules.conf");
            std::fs::write(&path, rules).unwrap();
            path
        }
    };
    let upstream = upstream.to_string();
    let mut argv =
        vec!["inspector", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--upstream", &upstream];
    let path = path.to_str().unwrap().to_owned();
    argv.extend(["--rules", &path]);
    argv.extend_from_slice(extra);
    let running = launch(argv, hook).await;
    assert_canary(running.proxy_addr).await;
    running
}

/// Starts the inspector from a command line (`main`'s path), without the canary check
/// (for listeners a plain HTTP client cannot talk to).
pub async fn launch(argv: Vec<&str>, hook: Option<inspector::proxy::Inspected>) -> Running {
    let config = Args::try_parse_from(argv).unwrap().validate().unwrap();
    let loaded = inspector::load_rules(&config).unwrap_or_else(|e| panic!("{e}"));
    inspector::start_with(config, loaded, hook).await.unwrap()
}

/// Proves that the inspector under test is the one answering: the canary is blocked by it.
pub async fn assert_canary(addr: SocketAddr) {
    let req = Request::get(format!("http://{addr}/")).header("x-canary", "chainwall").body(Full::default()).unwrap();
    let (status, headers, body) = send(req).await;
    assert!(
        status >= 400 && body.contains(r#""blocked":true"#),
        "canary: the inspector under test did not answer: {status} {body}"
    );
    assert!(headers.contains_key("x-request-id"), "canary: no x-request-id");
}

pub type TestClient = Client<HttpConnector, Full<Bytes>>;

pub fn client() -> TestClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// Sends a request; returns status, headers and body text.
pub async fn send(req: Request<Full<Bytes>>) -> (u16, http::HeaderMap, String) {
    let resp = client().request(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (parts.status.as_u16(), parts.headers, String::from_utf8_lossy(&body).into_owned())
}

pub async fn get(url: String) -> (u16, http::HeaderMap, String) {
    send(Request::get(url).body(Full::default()).unwrap()).await
}

/// Writes raw bytes on a new connection and reads until the server closes it or `wait` passes.
pub async fn raw(addr: SocketAddr, bytes: &[u8], wait: Duration) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of a metric line (`name{labels}`) in an OpenMetrics exposition.
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')).and_then(|v| v.trim().parse().ok())
    })
}

/// A stand-in CRS: a setup file and one rule file (so the rendered Includes resolve).
pub fn standin_crs(dir: &std::path::Path) -> (String, String) {
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::write(dir.join("crs-setup.conf"), "# stand-in crs-setup.conf\n").unwrap();
    std::fs::write(
        dir.join("rules/REQUEST-900-STANDIN.conf"),
        "SecRule ARGS \"@contains standin-attack\" \"id:900001,phase:2,deny,log,msg:'stand-in CRS'\"\n",
    )
    .unwrap();
    let rules = dir.join("rules/*.conf");
    (dir.join("crs-setup.conf").display().to_string(), rules.display().to_string())
}
