//! Phase "accept": the listeners. Each accepted connection goes to a serving lane
//! ([`Lanes`]) and is served there by hyper-util's auto
//! builder (HTTP/1.1 with keep-alive, or HTTP/2: h2c with prior knowledge, or `h2` by ALPN
//! when TLS is terminated, see [`crate::tls`]) with the head limits and
//! the header-read timeout, reading through a [`Tap`] so each raw head is checked
//! strictly, and through an [`Idle`] stamp for the idle timeout; each request goes to
//! [`Proxy::handle`]. The admin listener
//! serves [`health::handle`].

use std::sync::Arc;
use std::time::Duration;

use std::net::SocketAddr;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Mode;
use crate::health::{self, Admin};
use crate::idle::{Activity, Idle};
use crate::lanes::{LaneExecutor, Lanes};
use crate::origin::{self, Flow, OriginalDst};
use crate::proxy::Proxy;
use crate::tap::{Heads, Tap};

/// The HTTP server settings of the proxy listener; HTTP/2 streams run on `lanes`.
pub fn builder(header_timeout: Duration, max_header_bytes: usize, lanes: Arc<Lanes>) -> auto::Builder<LaneExecutor> {
    let mut builder = auto::Builder::new(LaneExecutor(lanes));
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(max_header_bytes.max(8192))
        .keep_alive(true);
    builder.http2().timer(TokioTimer::new()).max_header_list_size(u32::try_from(max_header_bytes).unwrap_or(u32::MAX));
    builder
}

/// Accepts proxy connections until `shutdown` changes; each one's flow (original
/// destination) comes from [`origin::flow`], a refused one is closed and counted, the others
/// are served on `lanes`.
pub async fn proxy(
    (listener, mode, listen, lookup): (TcpListener, Mode, SocketAddr, OriginalDst),
    (proxy, lanes): (Arc<Proxy>, Arc<Lanes>),
    builder: auto::Builder<LaneExecutor>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let (stream, client) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let flow = match origin::flow((mode, listen, &lookup), &stream, client) {
            Ok(flow) => flow,
            Err(refused) => {
                tracing::warn!(%client, error = %refused, "connection refused");
                proxy.metrics.flow_refused(refused.label());
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        // Out of this runtime's reactor, into the lane's (`connection` registers it there).
        match stream.into_std() {
            Ok(stream) => lanes.run(connection(stream, flow, proxy.clone(), builder.clone())),
            Err(e) => tracing::warn!(%client, error = %e, "cannot hand the connection to a lane"),
        }
    }
}

/// One accepted connection, on its lane: the TLS handshake when terminating TLS, then HTTP.
async fn connection(stream: std::net::TcpStream, flow: Flow, proxy: Arc<Proxy>, builder: auto::Builder<LaneExecutor>) {
    let stream = match tokio::net::TcpStream::from_std(stream) {
        Ok(stream) => stream,
        Err(e) => return tracing::warn!(client = %flow.client, error = %e, "cannot register the connection"),
    };
    let Some(tls) = proxy.tls.clone() else { return serve(stream, flow, proxy, builder).await };
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    match tokio::time::timeout(proxy.timeouts.header, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => serve(tls, flow, proxy, builder).await,
        Ok(Err(e)) => tracing::debug!(client = %flow.client, error = %e, "TLS handshake failed"),
        Err(_) => tracing::debug!(client = %flow.client, "TLS handshake timed out"),
    }
}

/// Serves one client connection until it ends, or until it has been idle for
/// `--idle-timeout` (then gracefully: the response in flight is finished first).
async fn serve<S>(stream: S, flow: Flow, proxy: Arc<Proxy>, builder: auto::Builder<LaneExecutor>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Activity::default();
    let heads = Heads::new(proxy.max_header_bytes.max(8192) * 4 + 65536);
    let stream = Tap::new(Idle::new(stream, activity.clone()), heads.clone());
    let idle = proxy.timeouts.idle;
    let counter = proxy.clone();
    let service = service_fn(move |req| proxy.clone().handle(flow, heads.clone(), req));
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let ended = tokio::select! {
        ended = conn.as_mut() => ended,
        () = activity.expired(idle) => {
            tracing::debug!(client = %flow.client, "idle connection closed");
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = ended {
        if e.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_parse) {
            // hyper answered 400/431 itself, before any request reached the service.
            counter.unparsable(flow, &e);
        } else {
            tracing::debug!(client = %flow.client, error = %e, "connection ended with an error");
        }
    }
}

/// Serves the admin endpoints until `shutdown` changes.
pub async fn admin(listener: TcpListener, admin: Arc<Admin>, mut shutdown: watch::Receiver<bool>) {
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
            _ = shutdown.changed() => return,
        };
        let (admin, builder) = (admin.clone(), builder.clone());
        tokio::spawn(async move {
            let service = service_fn(move |req| health::handle(admin.clone(), req));
            let _ = builder.serve_connection(TokioIo::new(stream), service).await;
        });
    }
}
