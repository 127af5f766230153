//! The raw side of an HTTP/1.x connection: [`Tap`] wraps the accepted stream and keeps the
//! bytes hyper reads that belong to request heads, so [`Heads::next`] can hold each head to
//! [`strict::check`] before the proxy trusts hyper's parsed form. Body bytes are skipped by
//! their declared length; after a chunked body (whose raw length is not tracked) or any
//! refusal the tap stops and the proxy closes the connection after answering.
//! An h2c connection (its preface) stops the tap at once: HTTP/2 requests never consult it.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::request::Rejection;
use crate::strict::{self, Framing};

#[derive(Debug, Default)]
struct State {
    buf: Vec<u8>,
    /// Body bytes still to come that are not head bytes.
    skip: u64,
    cap: usize,
    /// The tap no longer follows the stream (overflow, chunked body, refusal).
    stopped: bool,
}

/// The head bytes of one connection, shared between its [`Tap`] and its requests.
#[derive(Debug, Clone, Default)]
pub struct Heads(Arc<Mutex<State>>);

impl Heads {
    /// A tap that holds at most `cap` unconsumed bytes (more means we lost track: refuse).
    pub fn new(cap: usize) -> Self {
        Self(Arc::new(Mutex::new(State { cap, ..State::default() })))
    }

    fn record(&self, bytes: &[u8]) {
        let mut s = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let skipped = usize::try_from(s.skip).unwrap_or(usize::MAX).min(bytes.len());
        s.skip -= skipped as u64;
        let rest = &bytes[skipped..];
        if s.stopped || rest.is_empty() {
            return;
        }
        if s.buf.is_empty() && rest.starts_with(b"PRI * HTTP/2.0") {
            // The h2c preface: an HTTP/2 connection never consults its tap.
            s.stopped = true;
            return;
        }
        if s.buf.len() + rest.len() > s.cap {
            s.stopped = true;
            s.buf = Vec::new();
            return;
        }
        s.buf.extend_from_slice(rest);
    }

    /// Checks the next request's head (hyper has just parsed it, so its bytes are here) and
    /// moves past it and its declared body. `Chunked` means: close after answering.
    pub fn next(&self) -> Result<Framing, Rejection> {
        let mut s = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if s.stopped {
            return Err(Rejection::BadRequest);
        }
        let head = match strict::check(&s.buf) {
            Ok(head) => head,
            Err(rejection) => {
                s.stopped = true;
                return Err(rejection);
            }
        };
        s.buf.drain(..head.len);
        match head.framing {
            Framing::Length(n) => {
                let here = usize::try_from(n).unwrap_or(usize::MAX).min(s.buf.len());
                s.buf.drain(..here);
                s.skip = n - here as u64;
            }
            Framing::Chunked => s.stopped = true,
            Framing::None => {}
        }
        Ok(head.framing)
    }
}

impl Heads {
    /// Stops following the stream (it switched protocols: what follows are not HTTP heads).
    pub fn stop(&self) {
        let mut s = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        s.stopped = true;
        s.buf = Vec::new();
    }
}

/// A stream whose reads are also recorded in [`Heads`].
#[derive(Debug)]
pub struct Tap<S> {
    inner: S,
    heads: Heads,
}

impl<S> Tap<S> {
    pub fn new(inner: S, heads: Heads) -> Self {
        Self { inner, heads }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tap<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            self.heads.record(&buf.filled()[before..]);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tap<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
