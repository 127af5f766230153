//! Phase "respond": what goes back to the client. Every response carries `x-request-id`;
//! responses the proxy writes itself (blocks, limits, upstream failures) have a tiny JSON
//! body with no rule text and no internals.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue, LOCATION};
use http::{Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};

use crate::request::{connection_named, end_to_end};

/// The body type of every response.
pub type ProxyBody = UnsyncBoxBody<Bytes, hyper::Error>;

/// The response header carrying the transaction id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn json(status: StatusCode, id: &str, body: serde_json::Value) -> Response<ProxyBody> {
    let bytes = Bytes::from(body.to_string());
    let mut resp = Response::new(Full::new(bytes).map_err(|never| match never {}).boxed_unsync());
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    set_id(&mut resp, id);
    resp
}

fn set_id<B>(resp: &mut Response<B>, id: &str) {
    if let Ok(value) = HeaderValue::from_str(id) {
        resp.headers_mut().insert(REQUEST_ID, value);
    }
}

/// A blocked transaction: `{"blocked":true,"request_id":"..."}`.
pub fn blocked(status: StatusCode, id: &str) -> Response<ProxyBody> {
    json(status, id, serde_json::json!({"blocked": true, "request_id": id}))
}

/// A redirect decided by a rule (`redirect:URL`).
pub fn redirect(url: &str, id: &str) -> Response<ProxyBody> {
    let mut resp = json(StatusCode::FOUND, id, serde_json::json!({"blocked": true, "request_id": id}));
    if let Ok(location) = HeaderValue::from_str(url) {
        resp.headers_mut().insert(LOCATION, location);
    }
    resp
}

/// A refusal by the proxy itself (limits, overload, upstream failure): the status's reason only.
pub fn refused(status: StatusCode, id: &str) -> Response<ProxyBody> {
    let reason = status.canonical_reason().unwrap_or("error").to_ascii_lowercase();
    json(status, id, serde_json::json!({"error": reason, "request_id": id}))
}

/// `resp` with `Connection: close`: the connection ends after it.
pub fn closing<B>(mut resp: Response<B>) -> Response<B> {
    resp.headers_mut().insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// The upstream's response, hop-by-hop headers removed, with our id.
pub fn upstream<B>(resp: Response<B>, id: &str) -> Response<ProxyBody>
where
    B: http_body::Body<Data = Bytes, Error = hyper::Error> + Send + 'static,
{
    let (mut parts, body) = resp.into_parts();
    let named = connection_named(&parts.headers);
    let dropped: Vec<HeaderName> =
        parts.headers.keys().filter(|n| !end_to_end(n) || named.contains(n)).cloned().collect();
    for name in dropped {
        parts.headers.remove(name);
    }
    let mut resp = Response::from_parts(parts, body.boxed_unsync());
    set_id(&mut resp, id);
    resp
}
