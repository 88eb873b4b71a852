//! Phase 7: the upstream call. Plain `http://` upstreams go over the per-thread pool
//! ([`crate::upstream_pool`]), https over hyper-util's client; the whole exchange up to the
//! response head is bounded by the integration timeout (504). An upstream that fails is 502,
//! one whose connections are all busy with a full wait queue 503; a body cut at the size limit
//! is 413. The response keeps the upstream's status and headers, minus hop-by-hop fields and a
//! `Content-Length` that a `Transfer-Encoding` overrides; its body ends the log line.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::Poll;
use std::time::{Duration, Instant};

use http::{Request, Response, header};

use crate::answer::{self, Refusal};
use crate::body::{CountingBody, MeteredBody, ProxyBody};
use crate::conn::ConnInfo;
use crate::logging::{PendingLog, Unanswered};
use crate::phase::rewrite::remove_hop_by_hop;
use crate::state::{RouteEntry, State, millis};
use crate::upstream_pool::{self, PoolError};

/// Why the upstream call failed, from either client.
#[derive(Debug, thiserror::Error)]
enum UpstreamError {
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error(transparent)]
    Legacy(#[from] hyper_util::client::legacy::Error),
}

/// Sends the request upstream and answers with the upstream's response or a gateway refusal.
pub async fn send(
    upstream_req: Request<CountingBody>,
    entry: &RouteEntry,
    conn: &ConnInfo,
    state: &Arc<State>,
    pending: Box<PendingLog>,
) -> Response<MeteredBody> {
    let stats = pending.request_body.clone();
    let sent = Instant::now();
    let mut guard = Unanswered {
        state,
        pending: Some(pending),
        sent,
    };
    // Pinned where it is made: the upstream call's future is the largest of the request's,
    // and each move of it is a copy.
    let upstream = pin!(async {
        if entry.plain_http {
            upstream_pool::send(&entry.upstream.authority, upstream_req)
                .await
                .map_err(UpstreamError::Pool)
        } else {
            conn.client
                .request(upstream_req)
                .await
                .map_err(UpstreamError::Legacy)
        }
    });
    let result = within(conn, sent, state.limits.integration_timeout, upstream).await;
    let Some(mut pending) = guard.pending.take() else {
        return Response::new(MeteredBody::unlogged(ProxyBody::empty(), state.clone()));
    };
    pending.event.integration_latency = Some(millis(sent.elapsed()));
    match result {
        None => answer::respond(state, pending, Refusal::IntegrationTimeout),
        Some(Err(e)) => {
            let why = if stats
                .as_ref()
                .is_some_and(|s| s.over_limit.load(Ordering::Relaxed))
            {
                Refusal::TooLarge
            } else if matches!(e, UpstreamError::Pool(PoolError::Busy)) {
                state.metrics.upstream_busy();
                Refusal::Unavailable
            } else {
                tracing::debug!(upstream = %entry.upstream, error = %e, "upstream request failed");
                Refusal::IntegrationFailure
            };
            answer::respond(state, pending, why)
        }
        Some(Ok(resp)) => {
            let (mut parts, body) = resp.into_parts();
            pending.event.status = parts.status.as_u16();
            pending.event.integration_status = Some(parts.status.as_u16());
            // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length, which is then stale.
            if parts.headers.contains_key(header::TRANSFER_ENCODING) {
                parts.headers.remove(header::CONTENT_LENGTH);
            }
            remove_hop_by_hop(&mut parts.headers);
            Response::from_parts(
                parts,
                MeteredBody::new(
                    ProxyBody::upstream(body, state.limits.response_idle_timeout),
                    pending,
                    state.clone(),
                ),
            )
        }
    }
}

/// `fut`'s output, or `None` once `limit` has passed since `now` (what `tokio::time::timeout`
/// does: the future is polled first, then the timer), on the connection's reused timer when it
/// is free.
async fn within<T>(
    conn: &ConnInfo,
    now: Instant,
    limit: Duration,
    mut fut: Pin<&mut impl Future<Output = T>>,
) -> Option<T> {
    let now = tokio::time::Instant::from_std(now);
    // As tokio's `timeout`: a limit past what an Instant holds is never reached.
    let deadline = now
        .checked_add(limit)
        .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365 * 30));
    let taken = conn
        .integration_timer
        .lock()
        .ok()
        .and_then(|mut t| t.take());
    let mut timer = match taken {
        Some(mut timer) => {
            timer.as_mut().reset(deadline);
            timer
        }
        None => Box::pin(tokio::time::sleep_until(deadline)),
    };
    let out = std::future::poll_fn(|cx| {
        if let Poll::Ready(v) = fut.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        timer.as_mut().poll(cx).map(|()| None)
    })
    .await;
    if let Ok(mut slot) = conn.integration_timer.lock() {
        *slot = Some(timer);
    }
    out
}
