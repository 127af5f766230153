//! gRPC: an HTTP/2 request with `content-type: application/grpc…` is inspected like any
//! request (headers, and the buffered body of length-prefixed messages as `REQUEST_BODY`) and
//! forwarded over HTTP/2 with prior knowledge (gRPC needs HTTP/2 to the server), with
//! `te: trailers` kept in the canonical form; the response, trailers (`grpc-status`) included,
//! streams back unchanged. The request body is buffered before inspection, so client- and
//! bidirectional-streaming calls only proceed once the client ends its stream.

use http::HeaderValue;
use http::header::{CONTENT_TYPE, TE};
use http::request::Parts;

use crate::request::Canonical;

/// Whether the canonical request is a gRPC call (HTTP/2, `application/grpc`, `+proto`, …).
pub fn is_grpc(canon: &Canonical) -> bool {
    let content_type = canon.headers.get(CONTENT_TYPE).map_or(&b""[..], HeaderValue::as_bytes);
    let grpc = content_type.len() >= 16 && content_type[..16].eq_ignore_ascii_case(b"application/grpc");
    canon.version == "2.0" && grpc
}

/// Keeps `te: trailers` (the one `te` HTTP/2 allows, which gRPC servers expect) in the
/// canonical form of a gRPC call; `te` is otherwise dropped as hop-by-hop.
pub fn keep_te(parts: &Parts, canon: &mut Canonical) {
    let trailers = parts.headers.get_all(TE).iter().any(|v| v.as_bytes().eq_ignore_ascii_case(b"trailers"));
    if trailers && is_grpc(canon) {
        canon.hop.remove(TE);
        canon.headers.insert(TE, HeaderValue::from_static("trailers"));
    }
}
