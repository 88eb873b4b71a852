//! Phase 6: the request the upstream gets — its URI (the upstream's base path, then the
//! canonical path and the query), HTTP/1.1, no hop-by-hop fields, `Host` of the upstream, and
//! forwarding headers the client cannot forge: `X-Forwarded-For` is rebuilt from the peer
//! address unless the peer is a trusted proxy (then the peer is appended to what it sent),
//! `X-Forwarded-Proto` is set, and `Forwarded`, `X-Real-IP`, `X-Forwarded-Host` and
//! `X-Forwarded-Port` from the client are removed.

use std::sync::Arc;

use http::header::{self, HeaderName, HeaderValue};
use http::uri::PathAndQuery;
use http::{HeaderMap, Request, Uri, Version};
use hyper::body::Incoming;

use crate::answer::Refusal;
use crate::body::CountingBody;
use crate::config::Upstream;
use crate::conn::ConnInfo;
use crate::logging::{PendingLog, RequestBodyStats};
use crate::state::{RouteEntry, State};

static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
/// Forwarding fields a client could forge: removed, never passed on.
static CLIENT_FORWARDING: [HeaderName; 4] = [
    header::FORWARDED,
    HeaderName::from_static("x-real-ip"),
    HeaderName::from_static("x-forwarded-host"),
    HeaderName::from_static("x-forwarded-port"),
];

/// The upstream request of an ordinary (not upgrade) request; its body is counted and cut at
/// the size limit as it streams.
pub fn upstream_request(
    req: Request<Incoming>,
    entry: &RouteEntry,
    conn: &ConnInfo,
    state: &Arc<State>,
    pending: &mut PendingLog,
) -> Result<Request<CountingBody>, Refusal> {
    let (mut parts, body) = req.into_parts();
    let stats = Arc::new(RequestBodyStats::default());
    pending.request_body = Some(stats.clone());
    let body = CountingBody::new(body, stats, state.limits.max_body_bytes);
    let uri = if entry.plain_http {
        origin_uri(&entry.upstream, std::mem::take(&mut parts.uri))
    } else {
        upstream_uri(&entry.upstream, parts.uri.path_and_query())
    };
    parts.uri = uri.map_err(|_| Refusal::BadRequest)?;
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
    set_forwarded(&mut parts.headers, conn, state);
    Ok(Request::from_parts(parts, body))
}

/// Removes the hop-by-hop fields of RFC 9110 §7.6.1: `Connection` and every field it lists,
/// `Proxy-Connection`, `Keep-Alive`, `TE`, `Transfer-Encoding` and `Upgrade`.
pub fn remove_hop_by_hop(headers: &mut HeaderMap) {
    // One pass over the names (comparisons, no hashing) finds which are there: a message has
    // one at most as a rule (`Connection`), and each of the map's removes hashes its name.
    let (mut connection, mut others) = (false, [false; 5]);
    for name in headers.keys() {
        if *name == header::CONNECTION {
            connection = true;
        } else if let Some(i) = HOP_BY_HOP.iter().position(|h| h == name) {
            others[i] = true;
        }
    }
    if connection {
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
    for (name, present) in HOP_BY_HOP.iter().zip(others) {
        if present {
            headers.remove(name);
        }
    }
}

/// The hop-by-hop fields besides `Connection` (and those it lists).
static HOP_BY_HOP: [HeaderName; 5] = [
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::TE,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// The forwarding headers the upstream can trust (see the module doc).
pub fn set_forwarded(headers: &mut HeaderMap, conn: &ConnInfo, state: &State) {
    // As in `remove_hop_by_hop`: look the names over once, hash only for those present.
    let (mut prior_xff, mut spoofable) = (false, [false; 4]);
    for name in headers.keys() {
        if *name == X_FORWARDED_FOR {
            prior_xff = true;
        } else if let Some(i) = CLIENT_FORWARDING.iter().position(|h| h == name) {
            spoofable[i] = true;
        }
    }
    for (name, present) in CLIENT_FORWARDING.iter().zip(spoofable) {
        if present {
            headers.remove(name);
        }
    }
    let trusted = prior_xff && state.trusted_proxies.contains(conn.peer.ip());
    if trusted {
        let prior = headers.get_all(&X_FORWARDED_FOR).iter();
        let mut joined = Vec::with_capacity(64);
        for v in prior {
            joined.extend_from_slice(v.as_bytes());
            joined.extend_from_slice(b", ");
        }
        joined.extend_from_slice(conn.peer_header.as_bytes());
        match HeaderValue::from_bytes(&joined) {
            Ok(v) => {
                headers.insert(&X_FORWARDED_FOR, v);
            }
            Err(_) => {
                headers.insert(&X_FORWARDED_FOR, conn.peer_header.clone());
            }
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

/// The upstream's base path followed by the request's path and query (`/` when both are
/// absent). The path is canonical (see [`crate::path`]): no dot segment can climb out of the
/// base path.
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
