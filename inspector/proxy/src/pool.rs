//! The HTTP/1.1 upstream pool: keep-alive connections by destination, the most recently used
//! first, idle ones dropped after [`IDLE_TIMEOUT`]. Each thread (serving lane, see
//! [`crate::lanes`]) has its own: a connection is driven by the runtime that opened it, and a
//! request sent over another lane's connection would wake that lane's thread. The idle map is
//! sharded by thread too, so lanes never wait for each other's lock nor bounce its cache line.
//!
//! A response's body ([`Pooled`]) puts its connection back itself once it has ended; the next
//! request waits until hyper's connection is ready for it (`SendRequest::ready`), and a
//! request a closing connection refused unsent is retried on another one. hyper-util's
//! pooled client did the same with an extra task per request (and an absolute URI hashed as
//! the pool key): this is the proxy's hottest path. gRPC keeps hyper-util's HTTP/2 client.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;

use crate::dial::Dial;
use crate::forward::{Outgoing, UpstreamError};

/// How long an unused connection is kept.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Most idle connections kept per destination.
const MAX_IDLE: usize = 256;
/// Every this many returns to a shard, it is swept of expired and closed connections.
const SWEEP_EVERY: u64 = 1024;
/// Shards of the idle map; a thread always uses the same one ([`thread_shard`]).
const SHARDS: usize = 16;

struct Parked {
    sender: SendRequest<Outgoing>,
    since: Instant,
}

impl Parked {
    fn usable(&self) -> bool {
        !self.sender.is_closed() && self.since.elapsed() < IDLE_TIMEOUT
    }
}

/// Idle HTTP/1.1 connections by thread and destination, and how new ones are made.
pub struct H1Pool {
    dial: Dial,
    shards: [Padded; SHARDS],
}

/// One shard on cache lines of its own.
#[repr(align(128))]
#[derive(Default)]
struct Padded(Mutex<Shard>);

/// The idle connections of the threads that use this shard.
#[derive(Default)]
struct Shard {
    idle: HashMap<(ThreadId, SocketAddr), Vec<Parked>>,
    returns: u64,
}

/// This thread's shard: threads take them in turn, the first time they use a pool.
fn thread_shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    SHARD.with(|s| *s)
}

impl std::fmt::Debug for H1Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H1Pool").field("dial", &self.dial).finish_non_exhaustive()
    }
}

impl H1Pool {
    pub fn new(dial: Dial) -> Self {
        Self { dial, shards: Default::default() }
    }

    fn shard(&self) -> MutexGuard<'_, Shard> {
        self.shards[thread_shard()].0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends `req` (origin-form) to `destination` over an idle connection, else a new one.
    pub async fn send(
        self: &Arc<Self>,
        destination: SocketAddr,
        mut req: Request<Outgoing>,
    ) -> Result<Response<Pooled>, UpstreamError> {
        while let Some(mut sender) = self.checkout(destination) {
            if sender.ready().await.is_err() {
                continue;
            }
            match sender.try_send_request(req).await {
                Ok(resp) => return Ok(self.wrap(destination, sender, resp)),
                Err(mut refused) => match refused.take_message() {
                    Some(unsent) => req = unsent,
                    None => return Err(UpstreamError::Body(refused.into_error())),
                },
            }
        }
        let stream = self.dial.connect(destination).await.map_err(UpstreamError::Connect)?;
        let (mut sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        // hyper ends the connection once its last sender is gone (its errors end it too).
        drop(tokio::spawn(conn.with_upgrades()));
        let resp = sender.send_request(req).await?;
        Ok(self.wrap(destination, sender, resp))
    }

    fn wrap(
        self: &Arc<Self>,
        destination: SocketAddr,
        sender: SendRequest<Outgoing>,
        resp: Response<Incoming>,
    ) -> Response<Pooled> {
        // A switched connection belongs to the tunnel now.
        let home = (resp.status() != StatusCode::SWITCHING_PROTOCOLS).then(|| (self.clone(), destination, sender));
        resp.map(|body| Pooled { body, home })
    }

    fn checkout(&self, destination: SocketAddr) -> Option<SendRequest<Outgoing>> {
        let mut shard = self.shard();
        let parked = shard.idle.get_mut(&(std::thread::current().id(), destination))?;
        while let Some(p) = parked.pop() {
            if p.usable() {
                return Some(p.sender);
            }
        }
        None
    }

    fn park(&self, destination: SocketAddr, sender: SendRequest<Outgoing>) {
        if sender.is_closed() {
            return;
        }
        let mut shard = self.shard();
        shard.returns += 1;
        if shard.returns.is_multiple_of(SWEEP_EVERY) {
            shard.idle.retain(|_, parked| {
                parked.retain(Parked::usable);
                !parked.is_empty()
            });
        }
        let parked = shard.idle.entry((std::thread::current().id(), destination)).or_default();
        if parked.len() < MAX_IDLE {
            parked.push(Parked { sender, since: Instant::now() });
        }
    }
}

/// An upstream response body that returns its connection to the pool once it has ended
/// (a body dropped before its end closes the connection instead).
#[derive(Debug)]
pub struct Pooled {
    body: Incoming,
    home: Option<(Arc<H1Pool>, SocketAddr, SendRequest<Outgoing>)>,
}

impl Pooled {
    /// A body with no connection to return (HTTP/2).
    pub fn unpooled(body: Incoming) -> Self {
        Self { body, home: None }
    }

    fn release(&mut self) {
        if let Some((pool, destination, sender)) = self.home.take() {
            pool.park(destination, sender);
        }
    }
}

impl Body for Pooled {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => self.release(),
            Poll::Ready(Some(Ok(_))) if self.body.is_end_stream() => self.release(),
            Poll::Ready(Some(Err(_))) => self.home = None,
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if self.body.is_end_stream() {
            self.release();
        }
    }
}

#[cfg(test)]
mod tests;
