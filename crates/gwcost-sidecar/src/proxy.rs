//! The request path: route, authorize, forward to the route's upstream over a pooled client,
//! and answer as API Gateway would when the gateway itself has to answer (404, 401, 403, 413,
//! 502, 504 with a JSON `message`). Blame follows Pingora's split: the client's fault is 4xx,
//! the upstream's is 502/504, and `errorResponseType` in the log says which.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::uri::PathAndQuery;
use http::{HeaderMap, Request, Response, StatusCode, Uri, Version};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use tokio::sync::watch;

use crate::access_log::{LogHandle, RequestEvent};
use crate::auth::{Authorizer, Denied};
use crate::body::{CountingBody, MeteredBody, PendingLog, ProxyBody, RequestBodyStats};
use crate::config::{Limits, Upstream};
use crate::metrics::Metrics;
use crate::routes::RouteTable;
use crate::{upstream_pool, ws};

/// The pooled upstream client (http:// and https://, keep-alive).
pub type UpstreamClient = Client<HttpsConnector<HttpConnector>, CountingBody>;

/// One configured route, ready to serve.
#[derive(Debug)]
pub struct RouteEntry {
    /// Lives as long as the process; `&'static` so log events carry it without a copy.
    pub key: &'static str,
    pub upstream: Upstream,
    /// `Host` for the upstream, made once: the per-thread pool sends origin-form requests.
    pub host: HeaderValue,
    /// A plain `http://` upstream: served by [`upstream_pool`] instead of the legacy client.
    pub plain_http: bool,
    pub authorizer: Option<Arc<Authorizer>>,
    pub scopes: Vec<String>,
}

/// Everything a request needs, shared by all connections.
#[derive(Debug)]
pub struct State {
    pub routes: RouteTable,
    pub entries: Vec<RouteEntry>,
    pub log: LogHandle,
    pub metrics: Metrics,
    pub limits: Limits,
    /// Set once SIGTERM/SIGINT arrived: `/ready` answers 503.
    pub draining: AtomicBool,
    /// Turns `true` at shutdown: open WebSocket connections close with 1001.
    pub shutdown: watch::Receiver<bool>,
    pub next_connection: AtomicU64,
}

/// What the proxy knows about the client connection a request came on.
#[derive(Debug)]
pub struct ConnInfo {
    pub peer: SocketAddr,
    /// The peer address as a header value, made once per connection.
    pub peer_header: HeaderValue,
    pub tls: bool,
    /// The legacy client of the thread serving this connection (see `server`): its pooled
    /// connections live on that thread's runtime, so each data thread has its own.
    pub client: UpstreamClient,
}

impl ConnInfo {
    pub fn new(peer: SocketAddr, tls: bool, client: UpstreamClient) -> Self {
        let peer_header = HeaderValue::from_str(&peer.ip().to_string())
            .unwrap_or_else(|_| HeaderValue::from_static("unknown"));
        Self {
            peer,
            peer_header,
            tls,
            client,
        }
    }
}

pub(crate) const NOT_FOUND: &[u8] = br#"{"message":"Not Found"}"#;
pub(crate) const UNAUTHORIZED: &[u8] = br#"{"message":"Unauthorized"}"#;
pub(crate) const FORBIDDEN: &[u8] = br#"{"message":"Forbidden"}"#;
pub(crate) const TOO_LARGE: &[u8] = br#"{"message":"Request Entity Too Large"}"#;
pub(crate) const TIMEOUT: &[u8] = br#"{"message":"Endpoint request timed out"}"#;
pub(crate) const BAD_GATEWAY: &[u8] = br#"{"message":"Bad Gateway"}"#;
pub(crate) const BAD_REQUEST: &[u8] = br#"{"message":"Bad Request"}"#;

static KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
static PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");
static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Removes the hop-by-hop fields of RFC 9110 §7.6.1: `Connection` and every field it lists,
/// `Proxy-Connection`, `Keep-Alive`, `TE`, `Transfer-Encoding` and `Upgrade`.
pub fn remove_hop_by_hop(headers: &mut HeaderMap) {
    if headers.contains_key(header::CONNECTION) {
        // The usual tokens (keep-alive, close, upgrade) are removed below anyway; only other
        // listed names need a lookup, so this allocates only for unusual requests.
        let mut listed: Vec<HeaderName> = Vec::new();
        for v in headers.get_all(header::CONNECTION) {
            let Ok(s) = v.to_str() else { continue };
            for token in s.split(',') {
                let t = token.trim();
                if t.is_empty()
                    || t.eq_ignore_ascii_case("keep-alive")
                    || t.eq_ignore_ascii_case("close")
                    || t.eq_ignore_ascii_case("upgrade")
                {
                    continue;
                }
                if let Ok(n) = HeaderName::from_bytes(t.as_bytes()) {
                    listed.push(n);
                }
            }
        }
        for n in listed {
            headers.remove(n);
        }
        headers.remove(header::CONNECTION);
    }
    headers.remove(&KEEP_ALIVE);
    headers.remove(&PROXY_CONNECTION);
    headers.remove(header::TE);
    headers.remove(header::TRANSFER_ENCODING);
    headers.remove(header::UPGRADE);
}

/// Adds the client to `X-Forwarded-For` (after any earlier proxies) and sets `X-Forwarded-Proto`.
pub fn add_forwarded(headers: &mut HeaderMap, conn: &ConnInfo) {
    let mut prior = headers.get_all(&X_FORWARDED_FOR).iter().peekable();
    if prior.peek().is_some() {
        let mut joined = Vec::with_capacity(64);
        for v in prior {
            joined.extend_from_slice(v.as_bytes());
            joined.extend_from_slice(b", ");
        }
        joined.extend_from_slice(conn.peer_header.as_bytes());
        if let Ok(v) = HeaderValue::from_bytes(&joined) {
            headers.insert(&X_FORWARDED_FOR, v);
        }
    } else {
        headers.insert(&X_FORWARDED_FOR, conn.peer_header.clone());
    }
    headers.insert(
        &X_FORWARDED_PROTO,
        HeaderValue::from_static(if conn.tls { "https" } else { "http" }),
    );
}

/// HTTP/2 may split `Cookie` into several fields; HTTP/1.1 needs one (RFC 9113 §8.2.3).
fn join_cookies(headers: &mut HeaderMap) {
    let mut all = headers.get_all(header::COOKIE).iter();
    if all.next().is_none() || all.next().is_none() {
        return;
    }
    let mut joined = Vec::new();
    for (i, v) in headers.get_all(header::COOKIE).iter().enumerate() {
        if i > 0 {
            joined.extend_from_slice(b"; ");
        }
        joined.extend_from_slice(v.as_bytes());
    }
    if let Ok(v) = HeaderValue::from_bytes(&joined) {
        headers.insert(header::COOKIE, v);
    }
}

/// The upstream URI: the upstream's scheme and authority, its base path, the request's path and query.
pub fn upstream_uri(up: &Upstream, pq: Option<&PathAndQuery>) -> Result<Uri, http::Error> {
    Uri::builder()
        .scheme(up.scheme.clone())
        .authority(up.authority.clone())
        .path_and_query(upstream_path_and_query(up, pq)?)
        .build()
}

/// The upstream's base path followed by the request's path and query (`/` when both are absent).
fn upstream_path_and_query(
    up: &Upstream,
    pq: Option<&PathAndQuery>,
) -> Result<PathAndQuery, http::Error> {
    Ok(match (&up.base_path, pq) {
        (None, Some(pq)) => pq.clone(),
        (None, None) => PathAndQuery::from_static("/"),
        (Some(base), Some(pq)) => PathAndQuery::try_from(format!("{base}{pq}"))?,
        (Some(base), None) => PathAndQuery::try_from(base.as_str())?,
    })
}

/// The origin-form URI for the per-thread pool: the upstream's base path, the request's path
/// and query. An origin-form request URI without a base path is reused as is (no allocation).
pub fn origin_uri(up: &Upstream, uri: Uri) -> Result<Uri, http::Error> {
    if up.base_path.is_none() && uri.scheme().is_none() && uri.authority().is_none() {
        return Ok(uri);
    }
    Ok(Uri::from(upstream_path_and_query(
        up,
        uri.path_and_query(),
    )?))
}

/// An answer written by the gateway itself, logged with its `errorResponseType`.
pub fn gateway_response(
    state: &Arc<State>,
    mut pending: PendingLog,
    status: StatusCode,
    body: &'static [u8],
    error_type: Option<&'static str>,
) -> Response<MeteredBody> {
    pending.event.status = status.as_u16();
    pending.event.error_type = error_type;
    let mut resp = Response::new(MeteredBody::new(
        ProxyBody::Fixed(Some(Bytes::from_static(body))),
        pending,
        state.clone(),
    ));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// The 504 API Gateway answers when the integration did not answer within its timeout.
pub(crate) fn integration_timeout(
    state: &Arc<State>,
    pending: PendingLog,
) -> Response<MeteredBody> {
    gateway_response(
        state,
        pending,
        StatusCode::GATEWAY_TIMEOUT,
        TIMEOUT,
        Some("INTEGRATION_TIMEOUT"),
    )
}

/// The 502 API Gateway answers when the integration cannot be reached, fails, or refuses an
/// upgrade.
pub(crate) fn integration_failure(
    state: &Arc<State>,
    pending: PendingLog,
) -> Response<MeteredBody> {
    gateway_response(
        state,
        pending,
        StatusCode::BAD_GATEWAY,
        BAD_GATEWAY,
        Some("INTEGRATION_FAILURE"),
    )
}

fn is_websocket_upgrade(req: &Request<Incoming>) -> bool {
    req.version() == Version::HTTP_11
        && req
            .headers()
            .get(header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("websocket"))
            })
        && req
            .headers()
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| {
                v.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
            })
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Serves one request. Never fails: every error becomes an API Gateway-style response.
pub async fn handle(
    req: Request<Incoming>,
    conn: &ConnInfo,
    state: &Arc<State>,
) -> Result<Response<MeteredBody>, Infallible> {
    let start = Instant::now();
    let route = state.routes.find(req.method(), req.uri().path());
    let entry = route.and_then(|i| state.entries.get(i));
    let mut pending = PendingLog {
        start,
        slot: route.unwrap_or_else(|| state.metrics.unmatched_slot()),
        request_body: None,
        connect: false,
        event: RequestEvent {
            time_ms: now_ms(),
            route_key: entry.map_or("-", |e| e.key),
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
        },
    };
    let Some(entry) = entry else {
        return Ok(gateway_response(
            state,
            pending,
            StatusCode::NOT_FOUND,
            NOT_FOUND,
            Some("RESOURCE_NOT_FOUND"),
        ));
    };
    let upgrade = is_websocket_upgrade(&req);
    pending.connect = upgrade;
    if let Some(auth) = &entry.authorizer
        && let Err(denied) = auth.check(req.headers(), &entry.scopes).await
    {
        let (status, body, kind) = match denied {
            Denied::Unauthorized => (StatusCode::UNAUTHORIZED, UNAUTHORIZED, "UNAUTHORIZED"),
            Denied::Forbidden => (StatusCode::FORBIDDEN, FORBIDDEN, "ACCESS_DENIED"),
        };
        return Ok(gateway_response(state, pending, status, body, Some(kind)));
    }
    if upgrade {
        return Ok(ws::proxy_upgrade(req, conn, state, entry, pending).await);
    }
    if declared_length(req.headers()).is_some_and(|n| n > state.limits.max_body_bytes) {
        return Ok(gateway_response(
            state,
            pending,
            StatusCode::PAYLOAD_TOO_LARGE,
            TOO_LARGE,
            Some("REQUEST_TOO_LARGE"),
        ));
    }

    let (mut parts, body) = req.into_parts();
    let stats = Arc::new(RequestBodyStats::default());
    pending.request_body = Some(stats.clone());
    let body = CountingBody::new(body, stats.clone(), state.limits.max_body_bytes);
    let uri = if entry.plain_http {
        origin_uri(&entry.upstream, std::mem::take(&mut parts.uri))
    } else {
        upstream_uri(&entry.upstream, parts.uri.path_and_query())
    };
    parts.uri = match uri {
        Ok(u) => u,
        Err(_) => {
            return Ok(gateway_response(
                state,
                pending,
                StatusCode::BAD_REQUEST,
                BAD_REQUEST,
                Some("BAD_REQUEST_PARAMETERS"),
            ));
        }
    };
    if parts.version == Version::HTTP_2 {
        join_cookies(&mut parts.headers);
    }
    parts.version = Version::HTTP_11;
    remove_hop_by_hop(&mut parts.headers);
    // Host is the upstream's, as an HTTP integration sends it (the legacy client sets it from
    // the absolute URI; the per-thread pool sends origin-form, so it is set here).
    if entry.plain_http {
        parts.headers.insert(header::HOST, entry.host.clone());
    } else {
        parts.headers.remove(header::HOST);
    }
    add_forwarded(&mut parts.headers, conn);
    let upstream_req = Request::from_parts(parts, body);

    let sent = Instant::now();
    // If the client goes away while the upstream works, this future is dropped: the guard still
    // writes the request's line (status 499, as nginx logs it), because API Gateway would bill it.
    let mut guard = Unanswered {
        state,
        pending: Some(pending),
        sent,
    };
    let upstream = async {
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
    };
    let result = tokio::time::timeout(state.limits.integration_timeout, upstream).await;
    let Some(mut pending) = guard.pending.take() else {
        return Ok(Response::new(MeteredBody::unlogged(
            ProxyBody::empty(),
            state.clone(),
        )));
    };
    pending.event.integration_latency = Some(millis(sent.elapsed()));
    match result {
        Err(_) => Ok(integration_timeout(state, pending)),
        Ok(Err(e)) => {
            if stats.over_limit.load(Ordering::Relaxed) {
                Ok(gateway_response(
                    state,
                    pending,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    TOO_LARGE,
                    Some("REQUEST_TOO_LARGE"),
                ))
            } else {
                tracing::debug!(upstream = %entry.upstream, error = %e, "upstream request failed");
                Ok(integration_failure(state, pending))
            }
        }
        Ok(Ok(resp)) => {
            let (mut parts, body) = resp.into_parts();
            pending.event.status = parts.status.as_u16();
            pending.event.integration_status = Some(parts.status.as_u16());
            remove_hop_by_hop(&mut parts.headers);
            Ok(Response::from_parts(
                parts,
                MeteredBody::new(ProxyBody::Upstream(body), pending, state.clone()),
            ))
        }
    }
}

/// Why the upstream call failed, from either client.
#[derive(Debug, thiserror::Error)]
enum UpstreamError {
    #[error(transparent)]
    Pool(#[from] upstream_pool::PoolError),
    #[error(transparent)]
    Legacy(#[from] hyper_util::client::legacy::Error),
}

/// Logs a request whose client left before the answer (see [`handle`]).
struct Unanswered<'a> {
    state: &'a Arc<State>,
    pending: Option<PendingLog>,
    sent: Instant,
}

/// The status logged for a request the client abandoned before any answer.
pub const CLIENT_CLOSED: u16 = 499;

impl Drop for Unanswered<'_> {
    fn drop(&mut self) {
        if let Some(mut p) = self.pending.take() {
            p.event.status = CLIENT_CLOSED;
            p.event.integration_latency = Some(millis(self.sent.elapsed()));
            // An empty body ends at once: dropping it writes the line.
            drop(MeteredBody::new(ProxyBody::empty(), p, self.state.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_fields_go_listed_ones_too() {
        let mut h = HeaderMap::new();
        h.insert(header::CONNECTION, "keep-alive, X-Secret".parse().unwrap());
        h.insert("keep-alive", "timeout=5".parse().unwrap());
        h.insert("x-secret", "1".parse().unwrap());
        h.insert(header::TE, "trailers".parse().unwrap());
        h.insert(header::TRANSFER_ENCODING, "chunked".parse().unwrap());
        h.insert(header::UPGRADE, "h2c".parse().unwrap());
        h.insert("proxy-connection", "keep-alive".parse().unwrap());
        h.insert("x-keep", "1".parse().unwrap());
        h.insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        remove_hop_by_hop(&mut h);
        let mut names: Vec<&str> = h.keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["content-type", "x-keep"]);
    }

    #[test]
    fn forwarded_for_appends() {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(crate::tls::client_config(None).unwrap())
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(hyper_util::rt::TokioExecutor::new()).build(https);
        let conn = ConnInfo::new("10.1.2.3:5555".parse().unwrap(), true, client);
        let mut h = HeaderMap::new();
        add_forwarded(&mut h, &conn);
        assert_eq!(h["x-forwarded-for"], "10.1.2.3");
        assert_eq!(h["x-forwarded-proto"], "https");
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", "1.1.1.1".parse().unwrap());
        h.append("x-forwarded-for", "2.2.2.2".parse().unwrap());
        add_forwarded(&mut h, &conn);
        assert_eq!(h["x-forwarded-for"], "1.1.1.1, 2.2.2.2, 10.1.2.3");
    }

    #[test]
    fn upstream_uri_keeps_path_and_query() {
        let up = Upstream::parse("http://127.0.0.1:3000", "k").unwrap();
        let pq = PathAndQuery::from_static("/a/b?x=1");
        assert_eq!(
            upstream_uri(&up, Some(&pq)).unwrap().to_string(),
            "http://127.0.0.1:3000/a/b?x=1"
        );
        let up = Upstream::parse("https://svc.internal/base/", "k").unwrap();
        assert_eq!(
            upstream_uri(&up, Some(&pq)).unwrap().to_string(),
            "https://svc.internal/base/a/b?x=1"
        );
    }

    #[test]
    fn origin_uri_for_the_pool() {
        let up = Upstream::parse("http://127.0.0.1:3000", "k").unwrap();
        let u: Uri = "/a/b?x=1".parse().unwrap();
        assert_eq!(origin_uri(&up, u).unwrap().to_string(), "/a/b?x=1");
        // HTTP/2 requests carry scheme and authority: only the path and query go upstream.
        let u: Uri = "https://client.example/a?y=2".parse().unwrap();
        assert_eq!(origin_uri(&up, u).unwrap().to_string(), "/a?y=2");
        let up = Upstream::parse("http://127.0.0.1:3000/base/", "k").unwrap();
        let u: Uri = "/a/b?x=1".parse().unwrap();
        assert_eq!(origin_uri(&up, u).unwrap().to_string(), "/base/a/b?x=1");
    }

    #[test]
    fn cookies_are_joined() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, "a=1".parse().unwrap());
        h.append(header::COOKIE, "b=2".parse().unwrap());
        join_cookies(&mut h);
        assert_eq!(h.get_all(header::COOKIE).iter().count(), 1);
        assert_eq!(h[header::COOKIE], "a=1; b=2");
    }
}
