//! The request path as a sequence of phases, each in its own module, in the spirit of Pingora's
//! filters and linkerd2-proxy's layers:
//!
//! 1. [`route`]: canonicalize the path, find the route (404, 400);
//! 2. [`throttle`]: the stage's and the route's token buckets (429);
//! 3. [`authorize`]: the route's JWT authorizer (401, 403);
//! 4. [`limits`]: the declared body size (413);
//! 5. [`websocket`] takes upgrades from here;
//! 6. [`rewrite`]: the upstream request — URI, hop-by-hop and forwarding headers;
//! 7. [`forward`]: send it over the pool, bounded by the integration timeout (502, 503, 504).
//!
//! A phase returns `Ok` to go on or `Err(Refusal)` to answer in the gateway's name; adding a
//! check is adding a phase to [`handle`]. Logging is not a phase that can be skipped: every
//! request gets its [`PendingLog`] before the first phase and exactly one line when its answer
//! (whichever phase wrote it) ends — see [`crate::logging`].

pub mod authorize;
pub mod forward;
pub mod limits;
pub mod rewrite;
pub mod route;
pub mod throttle;
pub mod websocket;

use std::convert::Infallible;
use std::sync::Arc;

use http::{Request, Response};
use hyper::body::Incoming;

use crate::answer::{self, Refusal};
use crate::body::MeteredBody;
use crate::conn::ConnInfo;
use crate::logging::{self, PendingLog};
use crate::state::{RouteEntry, State};

/// Serves one request. Never fails: every refusal becomes an API Gateway-style answer.
pub async fn handle(
    mut req: Request<Incoming>,
    conn: &Arc<ConnInfo>,
    state: &Arc<State>,
) -> Result<Response<MeteredBody>, Infallible> {
    let mut pending = logging::begin(&req, conn, state);
    let entry = match request_filter(&mut req, state, &mut pending).await {
        Ok(e) => e,
        Err(why) => return Ok(answer::respond(state, pending, why)),
    };
    if pending.connect {
        // Boxed: once per WebSocket, where its state inline would make every request's
        // future (copied whole at each move) as large as the upgrade's.
        return Ok(Box::pin(websocket::proxy_upgrade(req, conn, state, entry, pending)).await);
    }
    let upstream_req = match rewrite::upstream_request(req, entry, conn, state, &mut pending) {
        Ok(r) => r,
        Err(why) => return Ok(answer::respond(state, pending, why)),
    };
    Ok(forward::send(upstream_req, entry, conn, state, pending).await)
}

/// The phases that may refuse a request before anything goes upstream.
async fn request_filter<'s>(
    req: &mut Request<Incoming>,
    state: &'s State,
    pending: &mut PendingLog,
) -> Result<&'s RouteEntry, Refusal> {
    let entry = route::route(req, state, pending)?;
    pending.connect = websocket::is_upgrade(req);
    throttle::check(state, entry)?;
    authorize::check(req, entry).await?;
    if !pending.connect {
        limits::check(req, state)?;
    }
    Ok(entry)
}
