//! The gwcost access-log schema, version 1 (`shared/log-schema.md`).
//!
//! This crate owns the contract between the sidecar that writes access logs and the readers that
//! bill them: field names (API Gateway's `$context` names), their types, and the leniency real API
//! Gateway logs need (numbers as strings, `-` for empty, `requestTime` in CLF form). It does no I/O
//! beyond formatting one line and must not depend on pricing, polars or any network crate, so the
//! sidecar can link it cheaply.

mod field;
mod lenient;
mod record;
mod time;

pub use field::{Field, KNOWN_FIELDS};
pub use record::{Direction, EventType, LogRecord, SCHEMA_VERSION};
pub use time::{
    TimeError, epoch_ms_of_date, format_request_time, parse_request_time, utc_date, utc_month,
};
