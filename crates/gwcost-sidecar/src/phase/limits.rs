//! Phase 4: API Gateway's payload limit on the declared length (a body without one is cut at
//! the limit as it streams, see [`crate::body::CountingBody`]).

use http::{HeaderMap, Request, header};

use crate::answer::Refusal;
use crate::state::State;

pub fn check<B>(req: &Request<B>, state: &State) -> Result<(), Refusal> {
    if declared_length(req.headers()).is_some_and(|n| n > state.limits.max_body_bytes) {
        return Err(Refusal::TooLarge);
    }
    Ok(())
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
