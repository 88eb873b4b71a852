//! gwcost-pricing: how AWS API Gateway bills, as pure arithmetic over exact decimals.
//!
//! Owns the price book (TOML data with its source and as-of date, embedded default for
//! us-east-1), the metering rules (512 KB HTTP increments, 32 KB WebSocket increments, connection
//! minutes, which gateway rejections are not billed) and the tier arithmetic (monthly volume tiers,
//! the free tier). Pure: no I/O, no polars, no clock. Money is `rust_decimal::Decimal`, never `f64`.
//!
//! CONTRACT STUB — the signatures below are the API other crates build against; bodies are being
//! written.

use rust_decimal::Decimal;
use serde::Serialize;

/// Which payload a request's 512 KB increments are counted from (`metering.basis`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MeteringBasis {
    /// Request body + response body (HTTP API's `$context.dataProcessed`). The default.
    #[default]
    Sum,
    /// The larger of the two bodies.
    Max,
    /// The request body only.
    Request,
    /// The response body only.
    Response,
}

/// One month's (or any period's) metered usage: plain counters, summed event by event.
/// Adding two `Usage`s gives the usage of both periods' events (tiers are applied by `bill`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Every REQUEST event seen, billable or not.
    pub requests: u64,
    /// REQUEST events the gateway would bill (not rejected for auth or throttling).
    pub billable_requests: u64,
    /// HTTP API metered units of the billable requests (512 KB increments).
    pub http_units: u64,
    /// REST API metered units of the billable requests: one each, unless the price book turns on
    /// streaming's 10 MB response increments.
    pub rest_units: u64,
    /// Billable requests whose HTTP units exceed 1 (over one increment).
    pub oversize_requests: u64,
    /// Response body bytes of every request (data transfer out), billable or not.
    pub response_bytes: u64,
    /// WebSocket connections (counted in the month they end).
    pub ws_connections: u64,
    /// WebSocket data messages, both directions.
    pub ws_messages: u64,
    /// WebSocket metered message units (32 KB increments).
    pub ws_message_units: u64,
    /// WebSocket messages whose size was unknown (real API Gateway logs): billed as one unit each.
    pub ws_messages_unsized: u64,
    /// WebSocket connection minutes (per connection rounded up, at least 1).
    pub ws_connection_minutes: u64,
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, o: Self) {
        self.requests += o.requests;
        self.billable_requests += o.billable_requests;
        self.http_units += o.http_units;
        self.rest_units += o.rest_units;
        self.oversize_requests += o.oversize_requests;
        self.response_bytes += o.response_bytes;
        self.ws_connections += o.ws_connections;
        self.ws_messages += o.ws_messages;
        self.ws_message_units += o.ws_message_units;
        self.ws_messages_unsized += o.ws_messages_unsized;
        self.ws_connection_minutes += o.ws_connection_minutes;
    }
}
