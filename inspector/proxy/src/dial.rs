//! Upstream sockets: how the proxy connects to an original destination.
//!
//! [`Dial`] is the pooled client's connector. In the transparent modes every upstream socket
//! carries `--upstream-mark` (`SO_MARK`) so that the redirect rules exempt it and the proxy
//! never captures its own connections. In tproxy mode with `--spoof-client on`, the socket
//! also gets `IP_TRANSPARENT` and binds to the client's address (port 0) before connecting:
//! the server sees the real client, and its replies must route back through the inspector
//! (see the README, "Return path").
//!
//! [`Pools`]: hyper-util pools connections by authority, so each client keeps one pool per
//! original destination; spoofing adds one client per source address (bounded).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::{TcpSocket, TcpStream};

use crate::pool::{H1Pool, IDLE_TIMEOUT};

/// Most spoofing clients kept at once (one per client address); beyond, the idle ones are dropped.
const MAX_SOURCES: usize = 4096;

/// The pooled upstream client.
pub type Upstream = Client<Dial, crate::forward::Outgoing>;

/// How upstream sockets are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dial {
    /// Time allowed to connect (`--upstream-connect-timeout`).
    pub timeout: Duration,
    /// `SO_MARK` of the socket.
    pub mark: Option<u32>,
    /// Bind to this (non-local) address with `IP_TRANSPARENT` before connecting.
    pub source: Option<IpAddr>,
}

impl Dial {
    /// Connects to `destination`.
    pub async fn connect(self, destination: SocketAddr) -> io::Result<TcpStream> {
        let socket = Socket::new(Domain::for_address(destination), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_nonblocking(true)?;
        if let Some(mark) = self.mark {
            socket.set_mark(mark)?;
        }
        if let Some(source) = self.source {
            socket.set_ip_transparent_v4(true)?;
            socket.bind(&SocketAddr::new(source, 0).into())?;
        }
        let socket = TcpSocket::from_std_stream(std::net::TcpStream::from(socket));
        let stream = tokio::time::timeout(self.timeout, socket.connect(destination))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "upstream connect timed out"))??;
        stream.set_nodelay(true)?;
        Ok(stream)
    }
}

impl tower_service::Service<Uri> for Dial {
    type Response = TokioIo<TcpStream>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<TokioIo<TcpStream>>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let dial = *self;
        Box::pin(async move {
            let destination = uri
                .authority()
                .and_then(|a| a.as_str().parse::<SocketAddr>().ok())
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "upstream is not ip:port"))?;
            dial.connect(destination).await.map(TokioIo::new)
        })
    }
}

/// The pooled clients of one source address: HTTP/1.1 for every request ([`crate::pool`]),
/// HTTP/2 with prior knowledge for gRPC ([`crate::grpc`]).
#[derive(Debug, Clone)]
pub struct Upstreams {
    pub h1: Arc<H1Pool>,
    pub h2: Upstream,
}

/// The pooled clients for `dial`.
pub fn clients(dial: Dial) -> Upstreams {
    let h1 = Arc::new(H1Pool::new(dial));
    let h2 = Client::builder(TokioExecutor::new()).pool_idle_timeout(IDLE_TIMEOUT).http2_only(true).build(dial);
    Upstreams { h1, h2 }
}

/// The upstream clients: one (keyed by destination inside), or one per client address when
/// spoofing.
#[derive(Debug)]
pub struct Pools {
    mark: Option<u32>,
    timeout: Duration,
    spoof: bool,
    shared: Upstreams,
    by_source: Mutex<HashMap<IpAddr, Upstreams>>,
}

impl Pools {
    /// `spoof`: upstream sockets bind to the client's address.
    pub fn new(mark: Option<u32>, spoof: bool, timeout: Duration) -> Self {
        let shared = clients(Dial { timeout, mark, source: None });
        Self { mark, timeout, spoof, shared, by_source: Mutex::new(HashMap::new()) }
    }

    /// The client to use for a request of `client`.
    pub fn for_client(&self, client_ip: IpAddr) -> Upstreams {
        if !self.spoof {
            return self.shared.clone();
        }
        let mut map = self.by_source.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= MAX_SOURCES && !map.contains_key(&client_ip) {
            map.clear();
        }
        map.entry(client_ip)
            .or_insert_with(|| clients(Dial { timeout: self.timeout, mark: self.mark, source: Some(client_ip) }))
            .clone()
    }
}
