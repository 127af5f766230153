//! WebSocket upgrades (RFC 6455 over HTTP/1.1). A handshake (`GET`, `Connection: upgrade`,
//! `Upgrade: websocket`, `Sec-WebSocket-Key`, `Sec-WebSocket-Version`) is inspected like any
//! request (phases 1-2, with `Connection: upgrade` and `Upgrade: websocket` kept in the
//! canonical form so the engine and the upstream see the same head). If it is allowed and
//! the upstream answers `101`, the client gets the `101` and, once both sides have switched,
//! the bytes are copied both ways ([`tunnel`]) until either side closes or nothing moves for
//! `--idle-timeout`. Frames after the handshake are not inspected. Any other `Upgrade`
//! (h2c, …) is dropped as hop-by-hop and the request forwarded as a plain one.

use std::time::Duration;

use http::header::{CONNECTION, HeaderValue, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE};
use http::request::Parts;
use http::{HeaderMap, Method, Response, StatusCode, Version};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;

use crate::idle::{Activity, Idle};
use crate::pool::Pooled;
use crate::request::Canonical;
use crate::respond::{self, ProxyBody};

/// Whether `headers` has the token `token` in a comma-separated `name` header.
fn has_token(headers: &HeaderMap, name: http::HeaderName, token: &str) -> bool {
    let values = headers.get_all(name).into_iter().filter_map(|v| v.to_str().ok());
    values.flat_map(|v| v.split(',')).any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Whether the request is a WebSocket handshake.
pub fn is_websocket(parts: &Parts) -> bool {
    let h = &parts.headers;
    parts.method == Method::GET
        && parts.version == Version::HTTP_11
        && has_token(h, CONNECTION, "upgrade")
        && has_token(h, UPGRADE, "websocket")
        && h.contains_key(SEC_WEBSOCKET_KEY)
        && h.contains_key(SEC_WEBSOCKET_VERSION)
}

/// Puts the upgrade request headers back into the forwarded form (they are hop-by-hop:
/// [`crate::request::head`] keeps them for inspection only).
pub fn keep_upgrade(canon: &mut Canonical) {
    // Forwarded now: the engine sees them once, as forwarded.
    canon.hop.remove(CONNECTION);
    canon.hop.remove(UPGRADE);
    canon.headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
    canon.headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
}

/// The client's answer to an upstream response of a handshake: a `101` starts the tunnel
/// (once the client side has switched too), anything else is the upstream's response.
pub fn relay(mut resp: Response<Pooled>, client: OnUpgrade, id: &str, idle: Duration) -> Response<ProxyBody> {
    if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
        return respond::upstream(resp, id);
    }
    if !has_token(resp.headers(), UPGRADE, "websocket") {
        tracing::warn!(request_id = id, "the upstream switched to another protocol than websocket");
        return respond::refused(StatusCode::BAD_GATEWAY, id);
    }
    let upstream = hyper::upgrade::on(&mut resp);
    tokio::spawn(tunnel(client, upstream, id.to_owned(), idle));
    let mut answer = respond::upstream(resp, id);
    answer.headers_mut().insert(CONNECTION, HeaderValue::from_static("upgrade"));
    answer.headers_mut().insert(UPGRADE, HeaderValue::from_static("websocket"));
    answer
}

/// Copies bytes both ways between the switched connections.
async fn tunnel(client: OnUpgrade, upstream: OnUpgrade, id: String, idle: Duration) {
    let (client, upstream) = match tokio::join!(client, upstream) {
        (Ok(client), Ok(upstream)) => (client, upstream),
        (Err(e), _) | (_, Err(e)) => {
            tracing::debug!(request_id = id, error = %e, "upgrade abandoned");
            return;
        }
    };
    let activity = Activity::default();
    let mut client = Idle::new(TokioIo::new(client), activity.clone());
    let mut upstream = TokioIo::new(upstream);
    tokio::select! {
        copied = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {
            tracing::debug!(request_id = id, ?copied, "websocket closed");
        }
        () = activity.expired(idle) => tracing::debug!(request_id = id, "idle websocket closed"),
    }
}
