//! Body wrappers that count the bytes of the data frames that actually pass — never
//! `Content-Length`, so chunked HTTP/1.1 and HTTP/2 bodies are measured right — and write the
//! access-log line when the response body ends, fails, or is dropped before its end.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;

use crate::access_log::{LogEvent, RequestEvent, WsEvent};
use crate::proxy::{State, millis};

/// What the request body wrapper tells the response side.
#[derive(Debug, Default)]
pub struct RequestBodyStats {
    pub bytes: AtomicU64,
    /// Set when the body went over the limit (the upstream call then fails: answer 413).
    pub over_limit: AtomicBool,
}

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
    inner: Incoming,
    stats: Arc<RequestBodyStats>,
    seen: u64,
    limit: u64,
}

impl CountingBody {
    pub fn new(inner: Incoming, stats: Arc<RequestBodyStats>, limit: u64) -> Self {
        Self {
            inner,
            stats,
            seen: 0,
            limit,
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
        match Pin::new(&mut this.inner).poll_frame(cx) {
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
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body: the upstream's, or one the gateway wrote itself.
#[derive(Debug)]
pub enum ProxyBody {
    Upstream(Incoming),
    /// A fixed body (gateway errors); `None` once sent.
    Fixed(Option<Bytes>),
}

impl ProxyBody {
    pub fn empty() -> Self {
        Self::Fixed(None)
    }
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.get_mut() {
            Self::Upstream(b) => Pin::new(b).poll_frame(cx),
            Self::Fixed(b) => Poll::Ready(b.take().map(|d| Ok(Frame::data(d)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Upstream(b) => b.is_end_stream(),
            Self::Fixed(b) => b.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Upstream(b) => b.size_hint(),
            Self::Fixed(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Self::Fixed(None) => SizeHint::with_exact(0),
        }
    }
}

/// Everything the log line needs, gathered while the request was handled.
#[derive(Debug)]
pub struct PendingLog {
    pub start: Instant,
    /// Route slot for metrics (the unmatched slot when no route matched).
    pub slot: usize,
    pub request_body: Option<Arc<RequestBodyStats>>,
    /// A WebSocket upgrade the gateway refused: logged as CONNECT, not as REQUEST.
    pub connect: bool,
    pub event: RequestEvent,
}

/// The response body sent to the client: counts data bytes and logs once, at the end.
#[derive(Debug)]
pub struct MeteredBody {
    inner: ProxyBody,
    sent: u64,
    pending: Option<PendingLog>,
    state: Arc<State>,
}

impl MeteredBody {
    pub fn new(inner: ProxyBody, pending: PendingLog, state: Arc<State>) -> Self {
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
        let Some(mut p) = self.pending.take() else {
            return;
        };
        if !complete {
            self.state.metrics.response_cut_off();
            tracing::debug!(
                path = p.event.uri.path(),
                sent = self.sent,
                "response body cut off"
            );
        }
        let e = &mut p.event;
        e.response_length = self.sent;
        e.request_length = p
            .request_body
            .as_ref()
            .map_or(0, |s| s.bytes.load(Ordering::Relaxed));
        e.response_latency = millis(p.start.elapsed());
        if p.connect {
            let id = self.state.next_connection.fetch_add(1, Ordering::Relaxed);
            let (time_ms, status) = (e.time_ms, e.status);
            self.state
                .log
                .submit(LogEvent::Ws(WsEvent::connect(id, time_ms, status, p.event)));
        } else {
            self.state.metrics.record_request(
                p.slot,
                e.time_ms,
                e.status,
                e.request_length,
                e.response_length,
                e.error_type,
            );
            self.state.log.submit(LogEvent::Request(p.event));
        }
    }
}

impl Body for MeteredBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
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
