//! The hot path's upstream pool for plain `http://` HTTP/1.1 upstreams: hyper's low-level
//! client connections (`http1::handshake` → `SendRequest`), kept per thread and per upstream
//! authority. Each data thread runs a current-thread runtime and never hands a request to
//! another thread, so the pool needs no lock, no dispatch task and no per-request allocation
//! beyond hyper's own: a request takes a connection that is ready, sends, and puts it back as
//! soon as the response head arrived (the connection turns ready again once the response body
//! has been read). https upstreams keep hyper-util's legacy client (TLS, ALPN).
//!
//! Bounded like a gateway's integration: at most `max_connections` per upstream and thread;
//! beyond them a request waits for one to come back, at most `max_waiting` requests wait, and
//! the next is refused ([`PoolError::Busy`], answered 503). A connection idle for
//! `idle_timeout` (4 s by default, under Node's 5 s keep-alive) is closed instead of reused, so
//! the sidecar never sends on a connection the service is closing; and a GET/HEAD/OPTIONS
//! without a body that still fails on a reused connection before any byte of an answer is
//! retried once on a new connection.
//!
//! Why not hyper-util's legacy client here: profiling the benchmark showed its per-request
//! pool bookkeeping (a mutex, `Arc`s, a spawned readiness task and boxed futures) as the
//! largest share of the sidecar's CPU per request once syscalls were minimal.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use http::uri::Authority;
use http::{Method, Request, Response};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::Notify;

use crate::body::CountingBody;
use crate::config::PoolConfig;

type Conn = SendRequest<CountingBody>;

/// One upstream's connections on this thread.
struct Upstream {
    authority: Authority,
    /// Ready or busy reading a response body; with the time each was last handed back.
    idle: Vec<(Conn, Instant)>,
    /// Connections open (in `idle` or out with a request). Atomics only because tokio's
    /// `spawn` wants `Send`: every access is from this thread.
    open: Arc<AtomicUsize>,
    waiting: Arc<AtomicUsize>,
    /// Wakes one waiter when a connection comes back or closes.
    returned: Arc<Notify>,
}

thread_local! {
    /// A handful of upstreams: a linear search beats hashing.
    static POOL: RefCell<Vec<Upstream>> = const { RefCell::new(Vec::new()) };
}

static SETTINGS: OnceLock<PoolConfig> = OnceLock::new();

/// Sets the pool's limits (once, at start-up; the defaults apply otherwise).
pub fn configure(cfg: PoolConfig) {
    let _ = SETTINGS.set(cfg);
}

fn settings() -> PoolConfig {
    SETTINGS.get().copied().unwrap_or_default()
}

/// Why an upstream request failed.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("connect to {0}: {1}")]
    Connect(Authority, std::io::Error),
    #[error(transparent)]
    Http(#[from] hyper::Error),
    #[error("every upstream connection is busy and the wait queue is full")]
    Busy,
}

/// Counts a connection as open until dropped (the connection's task holds it).
struct OpenGuard {
    open: Arc<AtomicUsize>,
    returned: Arc<Notify>,
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Relaxed);
        self.returned.notify_one();
    }
}

fn with_upstream<R>(authority: &Authority, f: impl FnOnce(&mut Upstream) -> R) -> R {
    POOL.with_borrow_mut(|pool| {
        let i = match pool
            .iter()
            .position(|u| same_authority(&u.authority, authority))
        {
            Some(i) => i,
            None => {
                pool.push(Upstream {
                    authority: authority.clone(),
                    idle: Vec::with_capacity(64),
                    open: Arc::new(AtomicUsize::new(0)),
                    waiting: Arc::new(AtomicUsize::new(0)),
                    returned: Arc::new(Notify::new()),
                });
                pool.len() - 1
            }
        };
        f(&mut pool[i])
    })
}

/// The pool's copy of an authority shares the route's bytes (cloned from it): the pointers
/// answer at once where `==` compares case-insensitively byte by byte on every checkout and
/// checkin.
fn same_authority(a: &Authority, b: &Authority) -> bool {
    std::ptr::eq(a.as_str(), b.as_str()) || a == b
}

/// What checkout found.
enum Checkout {
    Reused(Conn),
    /// Room for a new connection (counted as open already).
    Open(OpenGuard),
    /// At the cap: wait for `returned`, if the queue has room.
    Wait(Arc<Notify>, Arc<AtomicUsize>),
    Busy,
}

/// Takes a ready connection to `authority` off this thread's list, dropping closed and
/// idle-too-long ones; or makes room for a new one; or says to wait.
fn checkout(authority: &Authority, cfg: &PoolConfig) -> Checkout {
    with_upstream(authority, |u| {
        let mut i = u.idle.len();
        while i > 0 {
            i -= 1;
            let (c, at) = &u.idle[i];
            if c.is_closed() || at.elapsed() >= cfg.idle_timeout {
                // Dropping the sender ends the connection's task (which uncounts it).
                u.idle.swap_remove(i);
            } else if c.is_ready() {
                return Checkout::Reused(u.idle.swap_remove(i).0);
            }
        }
        if u.open.load(Relaxed) < cfg.max_connections {
            u.open.fetch_add(1, Relaxed);
            return Checkout::Open(OpenGuard {
                open: u.open.clone(),
                returned: u.returned.clone(),
            });
        }
        if u.waiting.load(Relaxed) >= cfg.max_waiting {
            return Checkout::Busy;
        }
        Checkout::Wait(u.returned.clone(), u.waiting.clone())
    })
}

/// Puts a connection back (ready or not: readiness is checked at checkout).
fn checkin(authority: &Authority, conn: Conn) {
    with_upstream(authority, |u| {
        u.idle.push((conn, Instant::now()));
        u.returned.notify_one();
    });
}

/// Opens a new connection (TCP_NODELAY) and spawns its task on the current runtime.
async fn connect(authority: &Authority, guard: OpenGuard) -> Result<Conn, PoolError> {
    let host = authority.host();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let port = authority.port_u16().unwrap_or(80);
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(|e| PoolError::Connect(authority.clone(), e))?;
    let _ = stream.set_nodelay(true);
    let (send, conn) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _guard = guard;
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "upstream connection ended with an error");
        }
    });
    Ok(send)
}

/// A request that can be sent again: idempotent and without a body.
fn replayable(req: &Request<CountingBody>) -> Option<Request<CountingBody>> {
    use http_body::Body as _;
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || !req.body().is_end_stream()
    {
        return None;
    }
    let mut again = Request::new(CountingBody::empty());
    *again.method_mut() = req.method().clone();
    *again.uri_mut() = req.uri().clone();
    *again.version_mut() = req.version();
    *again.headers_mut() = req.headers().clone();
    Some(again)
}

/// Sends `req` (origin-form URI, `Host` set) to `authority` over a pooled connection.
pub async fn send(
    authority: &Authority,
    req: Request<CountingBody>,
) -> Result<Response<Incoming>, PoolError> {
    let cfg = settings();
    let guard = loop {
        match checkout(authority, &cfg) {
            Checkout::Reused(mut conn) => {
                let again = replayable(&req);
                return match conn.try_send_request(req).await {
                    Ok(resp) => {
                        checkin(authority, conn);
                        Ok(resp)
                    }
                    Err(mut e) => {
                        // Closed just as it was taken: the request comes back unsent. Or it
                        // failed before any answer on a connection the upstream was closing:
                        // an idempotent request without a body is sent once more.
                        let retry = match e.take_message() {
                            Some(req) => Some(req),
                            None => again.filter(|_| {
                                e.error().is_incomplete_message()
                                    || e.error().is_canceled()
                                    || e.error().is_closed()
                            }),
                        };
                        match retry {
                            Some(req) => Box::pin(send_fresh(authority, req, &cfg)).await,
                            None => Err(e.into_error().into()),
                        }
                    }
                };
            }
            Checkout::Open(guard) => break guard,
            Checkout::Busy => return Err(PoolError::Busy),
            Checkout::Wait(returned, waiting) => {
                // The integration timeout around the whole call bounds the waiting; the short
                // timeout here only re-checks in case a wake-up went to another request.
                waiting.fetch_add(1, Relaxed);
                let _ = tokio::time::timeout(Duration::from_millis(100), returned.notified()).await;
                waiting.fetch_sub(1, Relaxed);
            }
        }
    };
    let mut conn = connect(authority, guard).await?;
    let resp = conn.send_request(req).await?;
    checkin(authority, conn);
    Ok(resp)
}

/// Sends on a new connection when there is room for one (the retry of [`send`]).
async fn send_fresh(
    authority: &Authority,
    req: Request<CountingBody>,
    cfg: &PoolConfig,
) -> Result<Response<Incoming>, PoolError> {
    let guard = match checkout(authority, cfg) {
        Checkout::Open(g) => g,
        Checkout::Reused(mut conn) => {
            let resp = conn.send_request(req).await?;
            checkin(authority, conn);
            return Ok(resp);
        }
        Checkout::Wait(..) | Checkout::Busy => return Err(PoolError::Busy),
    };
    let mut conn = connect(authority, guard).await?;
    let resp = conn.send_request(req).await?;
    checkin(authority, conn);
    Ok(resp)
}
