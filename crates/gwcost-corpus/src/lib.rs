//! gwcost-corpus: a deterministic generator of schema-v1 access logs.
//!
//! It owns the synthetic traffic gwcost is tested and benchmarked on — `sample-logs/`, the
//! benchmark corpus of `benches/`, and `gwcost generate` — shaped like a small production API:
//! two stages, five routes, heavy-tailed bodies up to API Gateway's 10 MB, gateway rejections
//! (401/403/429) and 5xx, about 10 % WebSocket traffic with messages over 32 KB, spread over
//! whole UTC months in time order. The same [`CorpusSpec`] gives the same bytes on every
//! machine and every version (see [`rng`] for why the generator is hand-written).
//!
//! It depends only on `gwcost-log` (the record type it writes) and `serde_json`; it must not
//! depend on pricing, analytics or polars, so the numbers it reports about its own output
//! ([`MonthStats`]) stay an independent answer for the readers' tests.

pub mod api_gateway;
mod generate;
pub mod rng;

pub use generate::{
    CorpusSpec, CorpusStats, MAX_CONNECTION_MS, MAX_MESSAGE_BYTES, MAX_PAYLOAD_BYTES, MonthStats,
    generate,
};
