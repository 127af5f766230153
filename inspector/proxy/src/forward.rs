//! Phase "forward": the [`Canonical`] request, rebuilt as a new HTTP/1.1 request (never the
//! client's raw bytes), sent over a pooled hyper-util client (see [`crate::dial`]) to the
//! upstream or original destination; and the
//! response body, optionally buffered up to a limit for phase 4.

use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::pool::Pooled;
use bytes::{Bytes, BytesMut};
use http::{HeaderName, HeaderValue, Request, Response, StatusCode, Version};
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Either, Full};

pub use crate::dial::{Upstream, Upstreams};
use crate::request::Canonical;

/// Why the upstream could not answer (the upstream's fault: 502, or 504 when it was too slow).
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("bad upstream request: {0}")]
    Build(#[from] http::Error),
    #[error("upstream: {0}")]
    Client(#[from] hyper_util::client::legacy::Error),
    #[error("upstream connect: {0}")]
    Connect(std::io::Error),
    #[error("upstream body: {0}")]
    Body(#[from] hyper::Error),
    #[error("upstream response head not received within {0:?}")]
    Timeout(Duration),
}

impl UpstreamError {
    /// The status answered: 504 when the upstream was too slow (to connect or to answer),
    /// else 502.
    pub fn status(&self) -> StatusCode {
        let connect_timed_out = || {
            let mut source = std::error::Error::source(self);
            while let Some(e) = source {
                if e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut) {
                    return true;
                }
                source = e.source();
            }
            false
        };
        match self {
            Self::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Self::Client(_) if connect_timed_out() => StatusCode::GATEWAY_TIMEOUT,
            Self::Connect(e) if e.kind() == std::io::ErrorKind::TimedOut => StatusCode::GATEWAY_TIMEOUT,
            _ => StatusCode::BAD_GATEWAY,
        }
    }
}

/// A header the inspector adds to the forwarded request (the signed marker).
pub type Marker = Option<(HeaderName, HeaderValue)>;

/// Errors of a streamed request body.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body sent upstream: the canonical body, or (over the limit with `ProcessPartial`, see
/// [`crate::body`]) the inspected prefix then the uninspected rest.
pub type Outgoing = Either<Full<Bytes>, UnsyncBoxBody<Bytes, BoxError>>;

/// The outgoing body: `canonical` alone, or followed by `rest`.
pub fn outgoing<B>(canonical: Bytes, rest: Option<B>) -> Outgoing
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<BoxError>,
{
    match rest {
        None => Either::Left(Full::new(canonical)),
        Some(rest) => {
            let body = Prefixed { prefix: Some(canonical), rest: Some(rest), trailers: None };
            Either::Right(body.map_err(Into::into).boxed_unsync())
        }
    }
}

/// Builds the upstream request from the canonical head, `body`, and the `marker`: origin-form
/// for HTTP/1.1 (the pool is keyed by destination), absolute for gRPC's pooled HTTP/2 client.
/// The canonical headers move into it (in their order), leaving `req.headers` empty.
pub fn upstream_request(
    req: &mut Canonical,
    (upstream, marker): (SocketAddr, &Marker),
    body: Outgoing,
) -> Result<Request<Outgoing>, http::Error> {
    let grpc = crate::grpc::is_grpc(req);
    let mut request = Request::new(body);
    *request.method_mut() = req.method.clone();
    if grpc {
        *request.uri_mut() = format!("http://{upstream}{}", req.target).parse()?;
        *request.version_mut() = Version::HTTP_2;
    } else {
        *request.uri_mut() = req.target.parse()?;
    }
    *request.headers_mut() = std::mem::take(&mut req.headers);
    if let Some((name, value)) = marker {
        request.headers_mut().insert(name.clone(), value.clone());
    }
    Ok(request)
}

/// Sends the canonical request (gRPC over HTTP/2, the rest over HTTP/1.1); the response head
/// must arrive within `timeout` (the connect has its own, shorter one in [`crate::dial`]).
pub async fn send(
    clients: &Upstreams,
    req: &mut Canonical,
    to: (SocketAddr, &Marker),
    (body, timeout): (Outgoing, Duration),
) -> Result<Response<Pooled>, UpstreamError> {
    let grpc = crate::grpc::is_grpc(req);
    let request = upstream_request(req, to, body)?;
    let answered = async {
        if grpc {
            Ok(clients.h2.request(request).await?.map(Pooled::unpooled))
        } else {
            clients.h1.send(to.0, request).await
        }
    };
    tokio::time::timeout(timeout, answered).await.map_err(|_| UpstreamError::Timeout(timeout))?
}

/// Reads up to `limit` bytes of `body` (more when a frame crosses it): the prefix phase 4
/// inspects, and the body to send downstream (the prefix, then the rest, unchanged).
pub async fn buffer_prefix(mut body: Pooled, limit: usize) -> Result<(Bytes, Prefixed<Pooled>), UpstreamError> {
    let mut prefix = BytesMut::new();
    let mut trailers = None;
    let mut done = false;
    while prefix.len() < limit {
        match body.frame().await {
            None => {
                done = true;
                break;
            }
            Some(frame) => match frame?.into_data() {
                Ok(data) => prefix.extend_from_slice(&data),
                Err(frame) => trailers = frame.into_trailers().ok(),
            },
        }
    }
    let prefix = prefix.freeze();
    let rest = if done { None } else { Some(body) };
    Ok((prefix.clone(), Prefixed { prefix: Some(prefix), rest, trailers }))
}

/// A body that was partly read: the buffered prefix, then the rest.
#[derive(Debug)]
pub struct Prefixed<B> {
    prefix: Option<Bytes>,
    rest: Option<B>,
    trailers: Option<http::HeaderMap>,
}

impl<B: Body<Data = Bytes> + Unpin> Body for Prefixed<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        if let Some(prefix) = self.prefix.take().filter(|p| !p.is_empty()) {
            return Poll::Ready(Some(Ok(Frame::data(prefix))));
        }
        if let Some(rest) = self.rest.as_mut() {
            return Pin::new(rest).poll_frame(cx);
        }
        Poll::Ready(self.trailers.take().map(|t| Ok(Frame::trailers(t))))
    }

    fn is_end_stream(&self) -> bool {
        self.prefix.as_ref().is_none_or(Bytes::is_empty)
            && self.rest.as_ref().is_none_or(Body::is_end_stream)
            && self.trailers.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        let prefix = self.prefix.as_ref().map_or(0, |p| p.len() as u64);
        let rest = self.rest.as_ref().map_or_else(|| SizeHint::with_exact(0), Body::size_hint);
        let mut hint = SizeHint::new();
        if let Some(upper) = rest.upper() {
            hint.set_upper(upper + prefix);
        }
        hint.set_lower(rest.lower() + prefix);
        hint
    }
}
