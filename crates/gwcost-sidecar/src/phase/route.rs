//! Phase 1: the path in its canonical spelling (see [`crate::path`]) replaces the one the client
//! sent — the router matches it and the upstream receives it, so they cannot disagree — then the
//! most specific route is found.

use http::Request;
use http::uri::{PathAndQuery, Uri};

use crate::answer::Refusal;
use crate::logging::PendingLog;
use crate::path;
use crate::state::{RouteEntry, State};

/// The request's route; the request's URI is rewritten to the canonical path first.
pub fn route<'s, B>(
    req: &mut Request<B>,
    state: &'s State,
    pending: &mut PendingLog,
) -> Result<&'s RouteEntry, Refusal> {
    match path::canonicalize(req.uri().path()) {
        Ok(None) => {}
        Ok(Some(canonical)) => {
            let pq = match req.uri().query() {
                Some(q) => format!("{canonical}?{q}"),
                None => canonical,
            };
            let mut parts = req.uri().clone().into_parts();
            parts.path_and_query =
                Some(PathAndQuery::try_from(pq).map_err(|_| Refusal::BadRequest)?);
            *req.uri_mut() = Uri::from_parts(parts).map_err(|_| Refusal::BadRequest)?;
            pending.event.uri = req.uri().clone();
        }
        Err(why) => {
            tracing::debug!(path = req.uri().path(), %why, "path refused");
            return Err(Refusal::BadRequest);
        }
    }
    let i = state
        .routes
        .find(req.method(), req.uri().path())
        .ok_or(Refusal::NotFound)?;
    let entry = state.entries.get(i).ok_or(Refusal::NotFound)?;
    pending.slot = i;
    pending.event.route_key = entry.key;
    Ok(entry)
}
