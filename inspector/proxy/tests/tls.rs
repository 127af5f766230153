//! TLS termination with rustls (ring): a certificate generated here (rcgen), clients on
//! rustls offering ALPN `h2` (HTTP/2 over TLS) or `http/1.1`; requests are inspected the same
//! way and forwarded as HTTP/1.1. Each run starts with the canary over TLS.
#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Version};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, ServerName};
use support::{CANARY, Upstream};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

struct Pki {
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
    der: CertificateDer<'static>,
}

fn pki() -> Pki {
    let generated = rcgen::generate_simple_self_signed(vec!["inspector.test".to_owned()]).unwrap();
    let dir = support::scratch("tls");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
    Pki { cert, key, der: generated.cert.der().clone() }
}

async fn connect(addr: SocketAddr, root: &CertificateDer<'static>, alpn: &[&[u8]]) -> TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("inspector.test").unwrap();
    tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.unwrap()
}

/// A request for HTTP/2 (`:authority` from the absolute URI).
fn get(path: &str, canary: bool) -> Request<Full<Bytes>> {
    let mut req = Request::get(format!("https://inspector.test{path}"));
    if canary {
        req = req.header("x-canary", "chainwall");
    }
    req.body(Full::default()).unwrap()
}

/// A request for HTTP/1.1 (origin-form and `Host`).
fn get1(path: &str, canary: bool) -> Request<Full<Bytes>> {
    let mut req = get(path, canary);
    *req.uri_mut() = path.parse().unwrap();
    req.headers_mut().insert("host", "inspector.test".parse().unwrap());
    req
}

async fn start(up: SocketAddr, pki: &Pki) -> inspector::Running {
    start_with(up, pki, &[]).await
}

async fn start_with(up: SocketAddr, pki: &Pki, extra: &[&str]) -> inspector::Running {
    let rules = support::scratch("tls-rules").join("rules.conf");
    std::fs::write(
        &rules,
        format!("SecRuleEngine On\n{CANARY}SecRule ARGS \"@detectSQLi\" \"id:1001,phase:2,deny,log\"\n"),
    )
    .unwrap();
    let up = up.to_string();
    let mut argv = vec![
        "inspector",
        "--listen",
        "127.0.0.1:0",
        "--metrics-listen",
        "127.0.0.1:0",
        "--upstream",
        &up,
        "--rules",
        rules.to_str().unwrap(),
        "--tls-cert",
        pki.cert.to_str().unwrap(),
        "--tls-key",
        pki.key.to_str().unwrap(),
    ];
    argv.extend_from_slice(extra);
    support::launch(argv, None).await
}

#[tokio::test]
async fn h2_over_tls_is_negotiated_by_alpn_and_inspected() {
    let (up, pki) = (Upstream::start().await, pki());
    let proxy = start(up.addr, &pki).await;
    let tls = connect(proxy.proxy_addr, &pki.der, &[b"h2", b"http/1.1"]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
    let canary = send.send_request(get("/", true)).await.unwrap();
    assert_eq!(canary.status(), 403, "canary: the inspector under test answers over TLS");
    let resp = send.send_request(get("/shop?page=1", false)).await.unwrap();
    assert_eq!((resp.status().as_u16(), resp.version()), (200, Version::HTTP_2));
    assert_eq!(resp.into_body().collect().await.unwrap().to_bytes(), "upstream ok");
    let attack = send.send_request(get("/shop?id=1%27%20or%20%271%27%3D%271", false)).await.unwrap();
    assert_eq!(attack.status(), 403);
    let got = up.received();
    assert_eq!(got.len(), 1, "only the benign request was forwarded");
    assert_eq!(got[0].uri, "/shop?page=1");
    assert!(got[0].headers.contains(&("host".to_owned(), "inspector.test".to_owned())), "{:?}", got[0].headers);
}

#[tokio::test]
async fn http11_over_tls() {
    let (up, pki) = (Upstream::start().await, pki());
    let proxy = start(up.addr, &pki).await;
    let tls = connect(proxy.proxy_addr, &pki.der, &[b"http/1.1"]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
    assert_eq!(send.send_request(get1("/", true)).await.unwrap().status(), 403, "canary");
    let resp = send.send_request(get1("/a", false)).await.unwrap();
    assert_eq!((resp.status().as_u16(), resp.version()), (200, Version::HTTP_11));
    // No ALPN at all is HTTP/1.1 as well.
    let plain = connect(proxy.proxy_addr, &pki.der, &[]).await;
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(plain)).await.unwrap();
    tokio::spawn(conn);
    assert_eq!(send.send_request(get1("/b", false)).await.unwrap().status(), 200);
    assert_eq!(up.received().len(), 2);
}

#[tokio::test]
async fn a_stalled_tls_handshake_is_cut_by_the_header_timeout() {
    use tokio::io::AsyncReadExt;
    let (up, pki) = (Upstream::start().await, pki());
    let proxy = start_with(up.addr, &pki, &["--header-timeout", "300ms"]).await;
    let mut stalled = TcpStream::connect(proxy.proxy_addr).await.unwrap();
    let started = std::time::Instant::now();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(std::time::Duration::from_secs(3), stalled.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "closed, not answered: {read:?}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(250), "{:?}", started.elapsed());
    let tls = connect(proxy.proxy_addr, &pki.der, &[b"http/1.1"]).await;
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
    assert_eq!(send.send_request(get1("/", true)).await.unwrap().status(), 403, "canary: other clients are served");
}

#[test]
fn bad_certificates_are_refused_before_binding() {
    use clap::Parser;
    let pki = pki();
    let junk = support::scratch("tls-junk").join("junk.pem");
    std::fs::write(&junk, "not a pem file\n").unwrap();
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let validate = |cert: &std::path::Path, key: &std::path::Path| {
        let argv = ["inspector", "--upstream", "127.0.0.1:1", "--rules", rules, "--tls-cert"];
        let argv = argv.iter().copied().chain([cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()]);
        inspector::config::Args::try_parse_from(argv).unwrap().validate().map(|_| ()).unwrap_err().to_string()
    };
    assert!(validate(&junk, &pki.key).starts_with("--tls-cert "), "{}", validate(&junk, &pki.key));
    assert!(validate(&pki.cert, &junk).starts_with("--tls-key "), "{}", validate(&pki.cert, &junk));
    let only_cert = ["inspector", "--upstream", "127.0.0.1:1", "--rules", rules, "--tls-cert", "x.pem"];
    assert!(inspector::config::Args::try_parse_from(only_cert).is_err(), "both or neither");
}
