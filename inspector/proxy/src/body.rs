//! Phase "request body": the body is buffered for inspection up to the policy's limit, the
//! smaller of `--max-body` and the rules' `SecRequestBodyLimit` (a SecurityPolicy's
//! `limits.requestBodyBytes`). Above it, the rules' `SecRequestBodyLimitAction`
//! (`limits.overLimitAction`) decides:
//!
//! - `Reject`: 413, nothing forwarded (a declared length over the limit is refused unread);
//! - `ProcessPartial`: the buffered prefix (the limit, or a little more: the frame crossing
//!   it) is inspected; if allowed, the prefix then the rest of the body, streamed and never
//!   inspected, are forwarded with the client's declared length (or chunked). The proxy
//!   counts it as a bypass (`chainwall_bypass_total{reason="body_prefix"}`).

use bytes::Bytes;
use http::HeaderValue;
use http::header::CONTENT_LENGTH;
use http_body_util::BodyExt;
use inspector_engine::seclang::LimitAction;

use crate::request::{Canonical, Rejection};

/// How much of a body is inspected and what happens above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimit {
    pub bytes: u64,
    pub action: LimitAction,
}

impl BodyLimit {
    /// The limit of a rule set under `--max-body`.
    pub fn new(max_body: u64, settings: &inspector_engine::ruleset::Settings) -> Self {
        Self { bytes: max_body.min(settings.request_body_limit), action: settings.request_body_limit_action }
    }
}

/// How much of the body was read.
#[derive(Debug)]
pub enum Read<B> {
    /// All of it: `canonical.body` is the body, with its `Content-Length`.
    Whole,
    /// Over the limit with `ProcessPartial`: `canonical.body` is the inspected prefix, `rest`
    /// the unread remainder.
    Partial { rest: B },
}

/// Buffers the body within `limit` into `canonical`.
pub async fn read<B>(
    canonical: &mut Canonical,
    declared: Option<u64>,
    mut body: B,
    limit: BodyLimit,
) -> Result<Read<B>, Rejection>
where
    B: http_body::Body<Data = Bytes> + Unpin,
{
    let reject = limit.action == LimitAction::Reject;
    if reject && declared.is_some_and(|n| n > limit.bytes) {
        return Err(Rejection::BodyTooLarge);
    }
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| Rejection::BadRequest)?;
        let Ok(data) = frame.into_data() else { continue };
        buf.extend_from_slice(&data);
        if buf.len() as u64 > limit.bytes {
            if reject {
                return Err(Rejection::BodyTooLarge);
            }
            match declared {
                Some(n) => canonical.headers.insert(CONTENT_LENGTH, HeaderValue::from(n)),
                None => canonical.headers.remove(CONTENT_LENGTH),
            };
            canonical.body = Bytes::from(buf);
            return Ok(Read::Partial { rest: body });
        }
    }
    if !buf.is_empty() || canonical.headers.contains_key(CONTENT_LENGTH) {
        canonical.headers.insert(CONTENT_LENGTH, HeaderValue::from(buf.len()));
    }
    canonical.body = Bytes::from(buf);
    Ok(Read::Whole)
}

#[cfg(test)]
mod tests;
