//! Phase "request": the parsed request (hyper did the strict framing) becomes the
//! [`Canonical`] form, the single source of truth for both the engine and the upstream.
//!
//! - the target is origin-form (`/path?query`) with the path normalised by [`path::normalise`]; an absolute-form or h2 `:authority` authority
//!   becomes the `Host` header;
//! - HTTP/2 `cookie` fields are joined into one `Cookie` (`; `);
//! - hop-by-hop headers (and those named by `Connection`), `Expect` and framing headers are
//!   not forwarded; `Content-Length` is recomputed from the buffered body. The engine sees the
//!   hop-by-hop ones too ([`Canonical::hop`]), as ModSecurity behind nginx would;
//! - ambiguous framing (`Content-Length` with `Transfer-Encoding`, several `Content-Length`s,
//!   several `Host`s) is refused with 400;
//! - limits: the head over `--max-header-bytes` is 431 (the body: [`crate::body`]).

use bytes::Bytes;
use http::header::{CONNECTION, CONTENT_LENGTH, COOKIE, HOST, HeaderMap, HeaderName, HeaderValue, TRANSFER_ENCODING};
use http::request::Parts;
use http::{Method, StatusCode, Version};

use crate::path;

/// Headers that describe one hop, never forwarded (RFC 9110 section 7.6.1, plus common extras).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-authenticate",
    "proxy-authorization",
    "expect",
    "http2-settings",
];

/// The request as inspected and as forwarded.
#[derive(Debug, Clone)]
pub struct Canonical {
    pub method: Method,
    /// Origin-form target: path and query.
    pub target: String,
    /// HTTP version as the engine names it (`1.1`, `2.0`).
    pub version: &'static str,
    /// End-to-end headers, `Host` first, `Content-Length` recomputed.
    pub headers: HeaderMap,
    /// The hop-by-hop fields as received (`Connection`, `Keep-Alive`, `Proxy-Connection`,
    /// `TE`, the fields `Connection` names...), but not `Transfer-Encoding`, whose body the
    /// engine sees with the recomputed `Content-Length`. Inspected (CRS checks some of them,
    /// as ModSecurity behind nginx sees them), never forwarded.
    pub hop: HeaderMap,
    pub body: Bytes,
}

/// Why a request is refused before inspection; the status says whose fault it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("malformed or ambiguous request")]
    BadRequest,
    #[error("request head too large")]
    HeadTooLarge,
    #[error("request body too large")]
    BodyTooLarge,
    #[error("method not supported")]
    Method,
    #[error("expectation not supported")]
    Expectation,
    #[error("request body too slow")]
    Timeout,
    #[error("too many concurrent transactions")]
    Overloaded,
}

impl Rejection {
    /// The status answered.
    pub fn status(self) -> StatusCode {
        match self {
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::HeadTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Method => StatusCode::METHOD_NOT_ALLOWED,
            Self::Expectation => StatusCode::EXPECTATION_FAILED,
            Self::Timeout => StatusCode::REQUEST_TIMEOUT,
            Self::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Whether the connection is closed after the answer: the stream can no longer be
    /// trusted to be in step with the client (framing refused or body left unread).
    pub fn closes(self) -> bool {
        !matches!(self, Self::Overloaded | Self::Method)
    }
}

/// The canonical head (everything but the body) and the declared body length.
pub fn head(parts: &Parts, max_header_bytes: usize) -> Result<(Canonical, Option<u64>), Rejection> {
    let size = parts.method.as_str().len()
        + displayed_len(&parts.uri)
        + parts.headers.iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum::<usize>();
    if size > max_header_bytes {
        return Err(Rejection::HeadTooLarge);
    }
    if parts.method == Method::CONNECT {
        return Err(Rejection::Method);
    }
    let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    if !target.starts_with('/') {
        return Err(Rejection::BadRequest);
    }
    let target = path::normalise(target)?;
    let lengths: Vec<_> = parts.headers.get_all(CONTENT_LENGTH).iter().collect();
    let chunked = parts.headers.contains_key(TRANSFER_ENCODING);
    if lengths.len() > 1 || (chunked && !lengths.is_empty()) {
        return Err(Rejection::BadRequest);
    }
    let declared = match lengths.first() {
        Some(v) => Some(v.to_str().ok().and_then(|s| s.parse::<u64>().ok()).ok_or(Rejection::BadRequest)?),
        None => None,
    };
    let host = host(parts)?;
    let named = connection_named(&parts.headers);
    let mut headers = HeaderMap::with_capacity(parts.headers.len() + 1);
    let mut hop = HeaderMap::new();
    headers.insert(HOST, host);
    for (name, value) in &parts.headers {
        let per_hop = HOP_BY_HOP.contains(&name.as_str()) || named.contains(name);
        let h2_cookie = parts.version == Version::HTTP_2 && name == COOKIE;
        if per_hop && name != TRANSFER_ENCODING {
            hop.append(name.clone(), value.clone());
        } else if !per_hop && name != HOST && name != CONTENT_LENGTH && !h2_cookie {
            headers.append(name.clone(), value.clone());
        }
    }
    if parts.version == Version::HTTP_2 && parts.headers.contains_key(COOKIE) {
        headers.insert(COOKIE, cookies(&parts.headers)?);
    }
    let version = if parts.version == Version::HTTP_2 { "2.0" } else { "1.1" };
    let framed = declared.is_some() || chunked;
    if framed {
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    }
    let canonical = Canonical { method: parts.method.clone(), target, version, headers, hop, body: Bytes::new() };
    Ok((canonical, declared))
}

/// The length of `uri` as displayed, counted without building the string.
fn displayed_len(uri: &http::Uri) -> usize {
    struct Count(usize);
    impl std::fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut count = Count(0);
    // Counting cannot fail.
    let _ = std::fmt::write(&mut count, format_args!("{uri}"));
    count.0
}

/// The `Host`: the URI's authority when there is one (absolute-form, h2), else the one header.
fn host(parts: &Parts) -> Result<HeaderValue, Rejection> {
    let mut hosts = parts.headers.get_all(HOST).iter();
    let header = hosts.next();
    if hosts.next().is_some() {
        return Err(Rejection::BadRequest);
    }
    match (parts.uri.authority(), header) {
        (Some(authority), _) => HeaderValue::from_str(authority.as_str()).map_err(|_| Rejection::BadRequest),
        (None, Some(value)) if !value.is_empty() => Ok(value.clone()),
        _ => Err(Rejection::BadRequest),
    }
}

/// HTTP/2 splits `cookie` into several fields; one HTTP/1.1 line joins them with `; `
/// (RFC 9113 section 8.2.3), so the upstream never sees several `Cookie` lines.
fn cookies(headers: &HeaderMap) -> Result<HeaderValue, Rejection> {
    let parts: Vec<&[u8]> = headers.get_all(COOKIE).iter().map(HeaderValue::as_bytes).collect();
    HeaderValue::from_bytes(&parts.join(&b"; "[..])).map_err(|_| Rejection::BadRequest)
}

/// The headers a `Connection` header names (hop-by-hop too).
pub fn connection_named(headers: &HeaderMap) -> Vec<HeaderName> {
    headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect()
}

/// Whether a header may travel past this hop.
pub fn end_to_end(name: &HeaderName) -> bool {
    !HOP_BY_HOP.contains(&name.as_str())
}

#[cfg(test)]
mod tests;
