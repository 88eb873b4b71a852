//! Phase 3: the route's JWT authorizer, if it has one (see [`crate::auth`]).

use http::Request;

use crate::answer::Refusal;
use crate::auth::Denied;
use crate::state::RouteEntry;

pub async fn check<B>(req: &Request<B>, entry: &RouteEntry) -> Result<(), Refusal> {
    let Some(auth) = &entry.authorizer else {
        return Ok(());
    };
    auth.check(req.headers(), &entry.scopes)
        .await
        .map_err(|d| match d {
            Denied::Unauthorized => Refusal::Unauthorized,
            Denied::Forbidden => Refusal::Forbidden,
        })
}
