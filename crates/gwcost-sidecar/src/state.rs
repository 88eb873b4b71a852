//! What every request shares: the route table and its entries, the access log, the metrics, the
//! limits, the throttles and the shutdown signals. No request logic lives here, so every phase
//! can depend on it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderValue;
use tokio::sync::watch;

use crate::access_log::LogHandle;
use crate::auth::Authorizer;
use crate::config::{Limits, TrustedProxies, Upstream};
use crate::metrics::Metrics;
use crate::routes::RouteTable;
use crate::throttle::TokenBucket;

/// One configured route, ready to serve.
#[derive(Debug)]
pub struct RouteEntry {
    /// Lives as long as the process; `&'static` so log events carry it without a copy.
    pub key: &'static str,
    pub upstream: Upstream,
    /// `Host` for the upstream, made once: the per-thread pool sends origin-form requests.
    pub host: HeaderValue,
    /// A plain `http://` upstream: served by the per-thread pool instead of the legacy client.
    pub plain_http: bool,
    pub authorizer: Option<Arc<Authorizer>>,
    pub scopes: Vec<String>,
    /// The route's own throttle (`rate_limit` / `burst` on the route), if it has one.
    pub throttle: Option<TokenBucket>,
}

/// Everything a request needs, shared by all connections.
#[derive(Debug)]
pub struct State {
    pub routes: RouteTable,
    pub entries: Vec<RouteEntry>,
    pub log: LogHandle,
    pub metrics: Metrics,
    pub limits: Limits,
    /// The stage's throttle (API Gateway's account default unless configured).
    pub stage_throttle: Option<TokenBucket>,
    /// Peers whose `X-Forwarded-For` is kept (appended to) instead of replaced.
    pub trusted_proxies: TrustedProxies,
    /// Set once SIGTERM/SIGINT arrived: `/ready` answers 503.
    pub draining: AtomicBool,
    /// Turns `true` at shutdown: open WebSocket connections close with 1001.
    pub shutdown: watch::Receiver<bool>,
    /// The next WebSocket connection's number.
    pub next_connection: AtomicU64,
    /// The next client TCP/TLS connection's number (see [`crate::conn::ConnInfo`]).
    pub next_client_connection: AtomicU64,
}

/// Milliseconds since the Unix epoch (0 before it, saturating far after it).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A duration in whole milliseconds, saturating.
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
