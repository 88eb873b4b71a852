//! The hot path's upstream pool for plain `http://` HTTP/1.1 upstreams: hyper's low-level
//! client connections (`http1::handshake` → `SendRequest`), kept per thread and per upstream
//! authority. Each data thread runs a current-thread runtime and never hands a request to
//! another thread, so the pool needs no lock, no dispatch task and no per-request allocation
//! beyond hyper's own: a request takes a connection that is ready, sends, and puts it back as
//! soon as the response head arrived (the connection turns ready again once the response body
//! has been read). https upstreams keep hyper-util's legacy client (TLS, ALPN).
//!
//! Why not hyper-util's legacy client here: profiling the benchmark showed its per-request
//! pool bookkeeping (a mutex, `Arc`s, a spawned readiness task and boxed futures) as the
//! largest share of the sidecar's CPU per request once syscalls were minimal.

use std::cell::RefCell;

use http::uri::Authority;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::body::CountingBody;

/// At most this many connections per upstream and thread are kept; more are closed after use.
const MAX_PER_UPSTREAM: usize = 512;

type Conn = SendRequest<CountingBody>;

thread_local! {
    /// (authority, connections): connections in use are absent, ready or busy reading a
    /// response body are present. A handful of upstreams: a linear search beats hashing.
    static POOL: RefCell<Vec<(Authority, Vec<Conn>)>> = const { RefCell::new(Vec::new()) };
}

/// Why an upstream request failed.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("connect to {0}: {1}")]
    Connect(Authority, std::io::Error),
    #[error(transparent)]
    Http(#[from] hyper::Error),
}

/// Takes a ready connection to `authority` off this thread's list, dropping closed ones.
fn checkout(authority: &Authority) -> Option<Conn> {
    POOL.with_borrow_mut(|pool| {
        let list = &mut pool.iter_mut().find(|(a, _)| a == authority)?.1;
        let mut i = list.len();
        while i > 0 {
            i -= 1;
            if list[i].is_closed() {
                list.swap_remove(i);
            } else if list[i].is_ready() {
                return Some(list.swap_remove(i));
            }
        }
        None
    })
}

/// Puts a connection back (ready or not: readiness is checked at checkout).
fn checkin(authority: &Authority, conn: Conn) {
    POOL.with_borrow_mut(|pool| {
        let list = match pool.iter().position(|(a, _)| a == authority) {
            Some(i) => &mut pool[i].1,
            None => {
                pool.push((authority.clone(), Vec::with_capacity(64)));
                let last = pool.len() - 1;
                &mut pool[last].1
            }
        };
        if list.len() < MAX_PER_UPSTREAM {
            list.push(conn);
        }
    });
}

/// Opens a new connection (TCP_NODELAY) and spawns its task on the current runtime.
async fn connect(authority: &Authority) -> Result<Conn, PoolError> {
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
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "upstream connection ended with an error");
        }
    });
    Ok(send)
}

/// Sends `req` (origin-form URI, `Host` set) to `authority` over a pooled connection.
///
/// A pooled connection the upstream closed just as it was taken gives the request back
/// unsent; it is then retried once on a fresh connection (what the legacy client does for
/// requests canceled before they were sent).
pub async fn send(
    authority: &Authority,
    req: Request<CountingBody>,
) -> Result<Response<Incoming>, PoolError> {
    let req = match checkout(authority) {
        Some(mut conn) => match conn.try_send_request(req).await {
            Ok(resp) => {
                checkin(authority, conn);
                return Ok(resp);
            }
            Err(mut e) => match e.take_message() {
                Some(req) => req,
                None => return Err(e.into_error().into()),
            },
        },
        None => req,
    };
    let mut conn = connect(authority).await?;
    let resp = conn.send_request(req).await?;
    checkin(authority, conn);
    Ok(resp)
}
