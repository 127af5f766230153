//! The flow of an accepted connection: who the client is, the original destination it was
//! going to (per mode), and the loop guard.
//!
//! - upstream mode: the destination is `--upstream`; the engine's server is the listener;
//! - redirect: `SO_ORIGINAL_DST` (the nat redirect's conntrack entry);
//! - tproxy: the accepted socket's local address (an `IP_TRANSPARENT` listener accepts any).
//!
//! A destination that is the proxy's own listener (a client connecting to it directly, or
//! a redirect rule that does not exempt the proxy) is refused: forwarding it would loop.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use socket2::SockRef;
use tokio::net::{TcpListener, TcpStream};

use crate::config::Mode;

/// One accepted connection's endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow {
    pub client: SocketAddr,
    /// What the engine sees as `SERVER_ADDR` / `SERVER_PORT`: the original destination in
    /// the transparent modes, the listener in upstream mode.
    pub server: SocketAddr,
    /// Where the request is forwarded (and the audit log's destination).
    pub destination: SocketAddr,
}

/// Why a connection is closed without being served.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("no original destination: {0}")]
    NoOriginalDst(io::Error),
    #[error("the original destination {0} is the proxy itself (loop)")]
    Loop(SocketAddr),
}

impl Refused {
    /// The bounded `reason` label of `chainwall_flows_refused_total`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::NoOriginalDst(_) => "no_original_dst",
            Self::Loop(_) => "loop",
        }
    }
}

/// How redirect mode learns a connection's original destination: the kernel's
/// `SO_ORIGINAL_DST` ([`OriginalDst::kernel`]), or a stand-in chosen by the caller (in-process
/// tests run the whole redirect pipeline on loopback with one).
#[derive(Clone)]
pub struct OriginalDst(pub Arc<Lookup>);

/// A lookup of the original destination of an accepted connection.
pub type Lookup = dyn Fn(&TcpStream) -> io::Result<SocketAddr> + Send + Sync;

impl OriginalDst {
    /// `SO_ORIGINAL_DST`.
    pub fn kernel() -> Self {
        Self(Arc::new(original_dst))
    }
}

impl std::fmt::Debug for OriginalDst {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OriginalDst")
    }
}

/// The flow of `stream`, accepted on `listen` in `mode`.
pub fn flow(
    (mode, listen, lookup): (Mode, SocketAddr, &OriginalDst),
    stream: &TcpStream,
    client: SocketAddr,
) -> Result<Flow, Refused> {
    let local = stream.local_addr().map_err(Refused::NoOriginalDst)?;
    let destination = match mode {
        Mode::Upstream(upstream) => return Ok(Flow { client, server: local, destination: upstream }),
        Mode::Redirect => (lookup.0)(stream).map_err(Refused::NoOriginalDst)?,
        Mode::Tproxy { .. } => local,
    };
    if is_loop(destination, listen) {
        return Err(Refused::Loop(destination));
    }
    Ok(Flow { client, server: destination, destination })
}

/// Whether `destination` is the proxy's listener `listen` (any local address when `listen`
/// is unspecified).
pub fn is_loop(destination: SocketAddr, listen: SocketAddr) -> bool {
    destination.port() == listen.port() && (listen.ip().is_unspecified() || listen.ip() == destination.ip())
}

/// `SO_ORIGINAL_DST` of a redirected IPv4 connection.
fn original_dst(stream: &TcpStream) -> io::Result<SocketAddr> {
    let addr = SockRef::from(stream).original_dst_v4()?;
    addr.as_socket_ipv4()
        .map(SocketAddr::V4)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not an IPv4 original destination"))
}

/// A listener on `addr`; `transparent`: `IP_TRANSPARENT` (tproxy mode, needs CAP_NET_ADMIN).
pub fn listen(addr: SocketAddr, transparent: bool) -> io::Result<TcpListener> {
    let socket = socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    if transparent {
        socket.set_ip_transparent_v4(true)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    socket.set_nonblocking(true)?;
    TcpListener::from_std(socket.into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::is_loop;

    #[test]
    fn the_proxys_own_listener_is_a_loop() {
        let at = |a: &str, b: &str| is_loop(a.parse().unwrap(), b.parse().unwrap());
        assert!(at("10.0.0.2:15006", "0.0.0.0:15006"));
        assert!(at("127.0.0.1:15006", "127.0.0.1:15006"));
        assert!(!at("10.0.0.2:15006", "127.0.0.1:15006"));
        assert!(!at("10.0.0.2:8080", "0.0.0.0:15006"));
    }
}
