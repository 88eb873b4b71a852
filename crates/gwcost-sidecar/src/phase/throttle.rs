//! Phase 2: API Gateway's throttling — the stage's bucket, then the route's (see
//! [`crate::throttle`]). Refused requests are 429 `THROTTLED`, logged and not billed.

use crate::answer::Refusal;
use crate::state::{RouteEntry, State};

pub fn check(state: &State, entry: &RouteEntry) -> Result<(), Refusal> {
    let stage_ok = state.stage_throttle.as_ref().is_none_or(|b| b.try_take());
    if stage_ok && entry.throttle.as_ref().is_none_or(|b| b.try_take()) {
        return Ok(());
    }
    state.metrics.throttled();
    Err(Refusal::Throttled)
}
