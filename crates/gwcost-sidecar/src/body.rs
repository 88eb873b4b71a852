//! Body wrappers that count the bytes of the data frames that actually pass — never
//! `Content-Length`, so chunked HTTP/1.1 and HTTP/2 bodies are measured right — and write the
//! access-log line when the response body ends, fails, or is dropped before its end.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use tokio::time::Sleep;

use crate::logging::{self, PendingLog, RequestBodyStats};
use crate::state::State;

/// Why the request body stopped.
#[derive(Debug, thiserror::Error)]
pub enum RequestBodyError {
    #[error("client body: {0}")]
    Client(#[from] hyper::Error),
    #[error("request body over {0} bytes")]
    TooLarge(u64),
}

/// The client's request body on its way upstream: counted, and cut at the size limit without
/// ever being buffered whole.
#[derive(Debug)]
pub struct CountingBody {
    /// `None`: no body (a request sent again, see `upstream_pool`).
    inner: Option<Incoming>,
    stats: Arc<RequestBodyStats>,
    seen: u64,
    limit: u64,
}

impl CountingBody {
    pub fn new(inner: Incoming, stats: Arc<RequestBodyStats>, limit: u64) -> Self {
        Self {
            inner: Some(inner),
            stats,
            seen: 0,
            limit,
        }
    }
}

impl CountingBody {
    /// A body with nothing in it.
    pub fn empty() -> Self {
        Self {
            inner: None,
            stats: Arc::default(),
            seen: 0,
            limit: 0,
        }
    }
}

impl Body for CountingBody {
    type Data = Bytes;
    type Error = RequestBodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, RequestBodyError>>> {
        let this = &mut *self;
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(d) = frame.data_ref() {
                    let n = d.len() as u64;
                    this.seen += n;
                    if this.seen > this.limit {
                        this.stats.over_limit.store(true, Ordering::Relaxed);
                        return Poll::Ready(Some(Err(RequestBodyError::TooLarge(this.limit))));
                    }
                    this.stats.bytes.fetch_add(n, Ordering::Relaxed);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(Incoming::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Incoming::size_hint)
    }
}

/// Why a response body stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum ResponseBodyError {
    #[error("upstream body: {0}")]
    Upstream(#[from] hyper::Error),
    #[error("upstream body idle for {0:?}")]
    Idle(Duration),
}

/// A response body: the upstream's, or one the gateway wrote itself.
#[derive(Debug)]
pub enum ProxyBody {
    /// The upstream's body, cut when no piece of it comes for `timeout`. The timer is made only
    /// when the body first has to wait: most small bodies arrive with their head and never do.
    Upstream {
        body: Incoming,
        timeout: Duration,
        idle: Option<Pin<Box<Sleep>>>,
    },
    /// A fixed body (gateway errors); `None` once sent.
    Fixed(Option<Bytes>),
}

impl ProxyBody {
    pub fn empty() -> Self {
        Self::Fixed(None)
    }

    pub fn upstream(body: Incoming, timeout: Duration) -> Self {
        Self::Upstream {
            body,
            timeout,
            idle: None,
        }
    }
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = ResponseBodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, ResponseBodyError>>> {
        match self.get_mut() {
            Self::Upstream {
                body,
                timeout,
                idle,
            } => match Pin::new(body).poll_frame(cx) {
                Poll::Pending => {
                    let timer = idle.get_or_insert_with(|| Box::pin(tokio::time::sleep(*timeout)));
                    if timer.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(Some(Err(ResponseBodyError::Idle(*timeout))));
                    }
                    Poll::Pending
                }
                Poll::Ready(r) => {
                    if let Some(t) = idle {
                        t.as_mut().reset(tokio::time::Instant::now() + *timeout);
                    }
                    Poll::Ready(r.map(|f| f.map_err(ResponseBodyError::from)))
                }
            },
            Self::Fixed(b) => Poll::Ready(b.take().map(|d| Ok(Frame::data(d)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Upstream { body, .. } => body.is_end_stream(),
            Self::Fixed(b) => b.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Upstream { body, .. } => body.size_hint(),
            Self::Fixed(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Self::Fixed(None) => SizeHint::with_exact(0),
        }
    }
}

/// The response body sent to the client: counts data bytes and logs once, at the end.
#[derive(Debug)]
pub struct MeteredBody {
    inner: ProxyBody,
    sent: u64,
    pending: Option<Box<PendingLog>>,
    state: Arc<State>,
}

impl MeteredBody {
    pub fn new(inner: ProxyBody, pending: Box<PendingLog>, state: Arc<State>) -> Self {
        Self {
            inner,
            sent: 0,
            pending: Some(pending),
            state,
        }
    }

    /// A body that writes no log line (the 101 of an accepted upgrade: CONNECT is logged apart).
    pub fn unlogged(inner: ProxyBody, state: Arc<State>) -> Self {
        Self {
            inner,
            sent: 0,
            pending: None,
            state,
        }
    }

    /// Writes the log line (once). `complete` is false when the body was cut off.
    fn finish(&mut self, complete: bool) {
        if let Some(p) = self.pending.take() {
            logging::write(&self.state, p, self.sent, complete);
        }
    }
}

impl Body for MeteredBody {
    type Data = Bytes;
    type Error = ResponseBodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, ResponseBodyError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(d) = frame.data_ref() {
                    this.sent += d.len() as u64;
                }
                if this.inner.is_end_stream() {
                    this.finish(true);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.finish(false);
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                this.finish(true);
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for MeteredBody {
    fn drop(&mut self) {
        // A body never polled because it was empty (HEAD, 204, 304) ended; otherwise it was cut.
        let complete = self.inner.is_end_stream();
        self.finish(complete);
    }
}
