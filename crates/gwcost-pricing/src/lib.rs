//! gwcost-pricing: how AWS API Gateway bills, as pure arithmetic over exact decimals.
//!
//! Owns the price book (TOML data with its source and as-of date, embedded default for
//! us-east-1), the metering rules (512 KB HTTP increments, 32 KB WebSocket increments, connection
//! minutes, which gateway rejections are not billed) and the tier arithmetic (monthly volume tiers,
//! the free tier). Pure: no I/O, no polars, no clock. Money is `rust_decimal::Decimal`, never `f64`.
//!
//! It sits at the bottom of the workspace and must not depend on any other gwcost crate (nor on
//! the log schema: callers turn log records into the plain numbers these functions take).
//!
//! The flow: [`metering`] turns each event into units, the caller sums them into a [`Usage`] per
//! calendar month, and [`bill_month`] prices that month with a [`PriceBook`].

pub mod alb;
pub mod bill;
pub mod metering;
pub mod offer;
pub mod price_book;
pub mod projection;
pub mod tiers;

pub use alb::{AlbBill, AlbHour, AlbPrices, AlbTarget, HourLcu, LcuDimension, alb_bill, hour_lcu};
pub use bill::{
    ApiCost, BillOptions, MonthBill, PricingError, TransferCost, WebSocketCost, bill_month,
    rest_cache_cost,
};
pub use metering::{
    RequestUnits, connection_minutes, http_units, increments, metered_bytes, rest_units,
    ws_message_units,
};
pub use offer::{ImportError, ImportedBook, LOCATIONS, Offer, UsageKind};
pub use price_book::{
    AWS_US_EAST_1_TOML, BookOrigin, CacheSize, DataTransferPrices, EMBEDDED, GB, HttpApiPrices, KB,
    MB, MILLION, NOT_EMBEDDED, PriceBook, PriceBookError, PriceBookMeta, RestApiPrices,
    UnknownRegion, WebSocketPrices,
};
pub use projection::{Factor, ProjectionError};
pub use rust_decimal::Decimal;
pub use tiers::{
    Tier, TierUse, per_gb_price, tier_breakdown, tiered_cost, tiered_cost_after_free,
    transfer_breakdown, transfer_cost_after_free,
};

use serde::{Deserialize, Serialize};

/// Which payload a request's 512 KB increments are counted from (`metering.basis`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
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

impl MeteringBasis {
    /// Every basis, in the order the price book documents them.
    pub const ALL: [MeteringBasis; 4] = [
        MeteringBasis::Sum,
        MeteringBasis::Max,
        MeteringBasis::Request,
        MeteringBasis::Response,
    ];

    /// The price book's (and serde's) name of this basis.
    pub fn as_str(self) -> &'static str {
        match self {
            MeteringBasis::Sum => "sum",
            MeteringBasis::Max => "max",
            MeteringBasis::Request => "request",
            MeteringBasis::Response => "response",
        }
    }
}

impl std::fmt::Display for MeteringBasis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A metering basis name that is not one of `sum`, `max`, `request`, `response`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown metering basis {0:?}: expected one of sum, max, request, response")]
pub struct UnknownMeteringBasis(pub String);

impl std::str::FromStr for MeteringBasis {
    type Err = UnknownMeteringBasis;

    /// Exact, lowercase names, as in the price book and in serde.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MeteringBasis::ALL
            .into_iter()
            .find(|b| b.as_str() == s)
            .ok_or_else(|| UnknownMeteringBasis(s.to_owned()))
    }
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
