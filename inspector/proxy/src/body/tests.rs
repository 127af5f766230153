//! The body limit: whole bodies, refusals and inspected prefixes.
#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::Request;
use http_body::Frame;
use http_body_util::BodyExt;
use inspector_engine::seclang::LimitAction;

use super::{BodyLimit, Read, read};
use crate::request::{Canonical, Rejection, head};

/// A body arriving in several frames.
struct Frames(VecDeque<&'static [u8]>);

impl http_body::Body for Frames {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.pop_front().map(|p| Ok(Frame::data(Bytes::from_static(p)))))
    }
}

fn frames(parts: &[&'static [u8]]) -> Frames {
    Frames(parts.iter().copied().collect())
}

fn canon(length: Option<u64>) -> Canonical {
    let mut req = Request::post("/").header("host", "h");
    if let Some(n) = length {
        req = req.header("content-length", n);
    }
    head(&req.body(()).unwrap().into_parts().0, 8192).unwrap().0
}

const REJECT: BodyLimit = BodyLimit { bytes: 10, action: LimitAction::Reject };
const PARTIAL: BodyLimit = BodyLimit { bytes: 10, action: LimitAction::ProcessPartial };

#[tokio::test]
async fn whole_bodies_get_their_length() {
    let mut c = canon(Some(5));
    assert!(matches!(read(&mut c, Some(5), frames(&[b"hel", b"lo"]), REJECT).await, Ok(Read::Whole)));
    assert_eq!((c.body.as_ref(), c.headers["content-length"].to_str().unwrap()), (&b"hello"[..], "5"));
    let mut c = canon(None);
    assert!(matches!(read(&mut c, None, frames(&[b"0123456789"]), PARTIAL).await, Ok(Read::Whole)), "at the limit");
    assert_eq!(c.headers["content-length"], "10");
}

#[tokio::test]
async fn reject_refuses_over_the_limit() {
    let err = read(&mut canon(Some(50)), Some(50), frames(&[b"never read"]), REJECT).await;
    assert!(matches!(err, Err(Rejection::BodyTooLarge)), "a declared length over the limit is refused unread");
    let err = read(&mut canon(None), None, frames(&[b"0123456", b"789a"]), REJECT).await;
    assert!(matches!(err, Err(Rejection::BodyTooLarge)));
}

#[tokio::test]
async fn process_partial_inspects_the_prefix_and_keeps_the_rest() {
    let mut c = canon(Some(22));
    let read = read(&mut c, Some(22), frames(&[b"012345", b"6789ab", b"cdefghijkl"]), PARTIAL).await;
    let Ok(Read::Partial { rest }) = read else { panic!("expected a partial read") };
    assert_eq!(c.body.as_ref(), b"0123456789ab", "the prefix: up to the frame crossing the limit");
    assert_eq!(c.headers["content-length"], "22", "the declared length is forwarded");
    assert_eq!(rest.collect().await.unwrap().to_bytes().as_ref(), b"cdefghijkl");
    let mut c = canon(None);
    let read = super::read(&mut c, None, frames(&[b"0123456789ab", b"c"]), PARTIAL).await;
    assert!(matches!(read, Ok(Read::Partial { .. })));
    assert!(!c.headers.contains_key("content-length"), "no declared length: forwarded chunked");
}
