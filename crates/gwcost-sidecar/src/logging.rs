//! The logging phase: every request gets a [`PendingLog`] when it arrives, each phase fills in
//! what it learns (route, status, error type, latencies), and [`write`] turns it into exactly
//! one access-log line and its metrics — whichever phase answered: a gateway answer, the
//! upstream's answer when its body ends or is cut off, a refused WebSocket upgrade (CONNECT), or
//! a client that left before any answer (499, see [`Unanswered`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use http::{Request, header};

use crate::access_log::{LogEvent, RequestEvent, WsEvent};
use crate::conn::ConnInfo;
use crate::state::{State, millis, now_ms};

/// The status logged for a request the client abandoned before any answer (as nginx logs it).
pub const CLIENT_CLOSED: u16 = 499;

/// What the request body wrapper tells the response side.
#[derive(Debug, Default)]
pub struct RequestBodyStats {
    pub bytes: AtomicU64,
    /// Set when the body went over the limit (the upstream call then fails: answer 413).
    pub over_limit: AtomicBool,
}

/// Everything the log line needs, gathered while the request was handled. Boxed on the request
/// path ([`begin`]): it passes through half a dozen futures and bodies, and moving a pointer
/// is cheaper than moving the event (a few hundred bytes) each time.
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

/// Starts the line of a request that just arrived (no route yet: `-`, the unmatched slot).
pub fn begin<B>(req: &Request<B>, conn: &ConnInfo, state: &State) -> Box<PendingLog> {
    Box::new(PendingLog {
        start: Instant::now(),
        slot: state.metrics.unmatched_slot(),
        request_body: None,
        connect: false,
        event: RequestEvent {
            time_ms: now_ms(),
            route_key: "-",
            method: req.method().clone(),
            uri: req.uri().clone(),
            version: req.version(),
            status: 0,
            request_length: 0,
            response_length: 0,
            integration_latency: None,
            response_latency: 0,
            integration_status: None,
            error_type: None,
            ip: conn.peer.ip(),
            user_agent: req.headers().get(header::USER_AGENT).cloned(),
            client_connection: conn.id,
            client_connected_at: conn.connected_at,
        },
    })
}

/// Writes the line of a finished request: `sent` response body bytes, `complete` false when the
/// body was cut off.
pub fn write(state: &State, p: Box<PendingLog>, sent: u64, complete: bool) {
    let mut p = *p;
    if !complete {
        state.metrics.response_cut_off();
        tracing::debug!(path = p.event.uri.path(), sent, "response body cut off");
    }
    let e = &mut p.event;
    e.response_length = sent;
    e.request_length = p
        .request_body
        .as_ref()
        .map_or(0, |s| s.bytes.load(Ordering::Relaxed));
    e.response_latency = millis(p.start.elapsed());
    if p.connect {
        let id = state.next_connection.fetch_add(1, Ordering::Relaxed);
        let (time_ms, status) = (e.time_ms, e.status);
        state
            .log
            .submit(LogEvent::Ws(WsEvent::connect(id, time_ms, status, p.event)));
    } else {
        state.metrics.record_request(
            p.slot,
            e.time_ms,
            e.status,
            e.request_length,
            e.response_length,
            e.error_type,
        );
        state.log.submit(LogEvent::Request(p.event));
    }
}

/// Holds the line of a request sent upstream: if the client goes away while the upstream works,
/// the request future is dropped and so is this guard, which still writes the line (499),
/// because API Gateway would bill the request.
pub struct Unanswered<'a> {
    pub state: &'a Arc<State>,
    pub pending: Option<Box<PendingLog>>,
    pub sent: Instant,
}

impl Drop for Unanswered<'_> {
    fn drop(&mut self) {
        if let Some(mut p) = self.pending.take() {
            p.event.status = CLIENT_CLOSED;
            p.event.integration_latency = Some(millis(self.sent.elapsed()));
            write(self.state, p, 0, true);
        }
    }
}
