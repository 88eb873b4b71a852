//! The price book: AWS's prices, increments, limits and free-tier amounts as data.
//!
//! Prices change and differ by region, and third-party calculators publish wrong ones, so they
//! live in a TOML file with its source and as-of date (`price-books/aws-us-east-1.toml`, embedded
//! as the default) rather than in code. Reading goes through a raw serde layer that mirrors the
//! file (unknown keys rejected), then a validation step that converts per-million and per-GB
//! prices to exact per-unit prices and names the exact key of anything wrong.

use std::str::FromStr;
use std::sync::OnceLock;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::tiers::per_gb_price;
use crate::{MeteringBasis, Tier};

/// Bytes in a KB (KB = 1024 bytes, as AWS meters API Gateway payloads).
pub const KB: u64 = 1024;
/// Bytes in a MB.
pub const MB: u64 = 1024 * KB;
/// Bytes in a GB (2^30): data transfer is priced per GB of this size.
pub const GB: u64 = 1024 * MB;
/// Units in the "million" that request, message and minute prices are quoted per.
pub const MILLION: u64 = 1_000_000;

/// The embedded default price book's TOML text (AWS us-east-1 list prices).
pub const AWS_US_EAST_1_TOML: &str = include_str!("../price-books/aws-us-east-1.toml");

/// The price books compiled into gwcost, by AWS region code. Only books built from a primary
/// source belong here (see `gwcost prices import` to build one from AWS's Price List data).
///
/// Every book but us-east-1's is the output of one repeatable step, run from the repository's root
/// (see `price-books/README.md`):
/// `gwcost prices import crates/gwcost-pricing/data/apigateway-pricing-page.json --tiers-from
/// crates/gwcost-pricing/data/AmazonApiGateway-eu-west-2.csv --all -o
/// crates/gwcost-pricing/price-books/regions`. us-east-1 keeps its commented, hand-checked book;
/// a test holds its prices equal to that import's `aws-us-east-1.toml`.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "af-south-1",
        include_str!("../price-books/regions/aws-af-south-1.toml"),
    ),
    (
        "ap-east-1",
        include_str!("../price-books/regions/aws-ap-east-1.toml"),
    ),
    (
        "ap-northeast-1",
        include_str!("../price-books/regions/aws-ap-northeast-1.toml"),
    ),
    (
        "ap-northeast-2",
        include_str!("../price-books/regions/aws-ap-northeast-2.toml"),
    ),
    (
        "ap-northeast-3",
        include_str!("../price-books/regions/aws-ap-northeast-3.toml"),
    ),
    (
        "ap-south-1",
        include_str!("../price-books/regions/aws-ap-south-1.toml"),
    ),
    (
        "ap-south-2",
        include_str!("../price-books/regions/aws-ap-south-2.toml"),
    ),
    (
        "ap-southeast-1",
        include_str!("../price-books/regions/aws-ap-southeast-1.toml"),
    ),
    (
        "ap-southeast-2",
        include_str!("../price-books/regions/aws-ap-southeast-2.toml"),
    ),
    (
        "ap-southeast-3",
        include_str!("../price-books/regions/aws-ap-southeast-3.toml"),
    ),
    (
        "ap-southeast-4",
        include_str!("../price-books/regions/aws-ap-southeast-4.toml"),
    ),
    (
        "ap-southeast-7",
        include_str!("../price-books/regions/aws-ap-southeast-7.toml"),
    ),
    (
        "ca-central-1",
        include_str!("../price-books/regions/aws-ca-central-1.toml"),
    ),
    (
        "ca-west-1",
        include_str!("../price-books/regions/aws-ca-west-1.toml"),
    ),
    (
        "eu-central-1",
        include_str!("../price-books/regions/aws-eu-central-1.toml"),
    ),
    (
        "eu-central-2",
        include_str!("../price-books/regions/aws-eu-central-2.toml"),
    ),
    (
        "eu-north-1",
        include_str!("../price-books/regions/aws-eu-north-1.toml"),
    ),
    (
        "eu-south-1",
        include_str!("../price-books/regions/aws-eu-south-1.toml"),
    ),
    (
        "eu-south-2",
        include_str!("../price-books/regions/aws-eu-south-2.toml"),
    ),
    (
        "eu-west-1",
        include_str!("../price-books/regions/aws-eu-west-1.toml"),
    ),
    (
        "eu-west-2",
        include_str!("../price-books/regions/aws-eu-west-2.toml"),
    ),
    (
        "eu-west-3",
        include_str!("../price-books/regions/aws-eu-west-3.toml"),
    ),
    (
        "il-central-1",
        include_str!("../price-books/regions/aws-il-central-1.toml"),
    ),
    (
        "me-central-1",
        include_str!("../price-books/regions/aws-me-central-1.toml"),
    ),
    (
        "me-south-1",
        include_str!("../price-books/regions/aws-me-south-1.toml"),
    ),
    (
        "sa-east-1",
        include_str!("../price-books/regions/aws-sa-east-1.toml"),
    ),
    ("us-east-1", AWS_US_EAST_1_TOML),
    (
        "us-east-2",
        include_str!("../price-books/regions/aws-us-east-2.toml"),
    ),
    (
        "us-gov-east-1",
        include_str!("../price-books/regions/aws-us-gov-east-1.toml"),
    ),
    (
        "us-gov-west-1",
        include_str!("../price-books/regions/aws-us-gov-west-1.toml"),
    ),
    (
        "us-west-1",
        include_str!("../price-books/regions/aws-us-west-1.toml"),
    ),
    (
        "us-west-2",
        include_str!("../price-books/regions/aws-us-west-2.toml"),
    ),
];

/// Regions in AWS's pricing-page data with no complete book, and why (the import skips them).
pub const NOT_EMBEDDED: &[(&str, &str)] = &[
    (
        "ap-east-2",
        "AWS's data has no HTTP API and no WebSocket prices for it",
    ),
    (
        "ap-southeast-5",
        "AWS's data has no WebSocket prices for it",
    ),
    (
        "ap-southeast-6",
        "AWS's data has no HTTP API and no WebSocket message prices for it",
    ),
    ("mx-central-1", "AWS's data has no HTTP API prices for it"),
];

/// A region with no embedded price book.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no embedded price book for region {region:?} (embedded: {embedded}); build one from AWS's \
     Price List with `gwcost prices import` and pass it with --price-book FILE"
)]
pub struct UnknownRegion {
    pub region: String,
    /// The embedded regions, comma-separated.
    pub embedded: String,
}

/// A complete, validated price book. All tier prices are per unit (request, message, minute or
/// byte) so one tier walk prices every line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceBook {
    pub meta: PriceBookMeta,
    pub http_api: HttpApiPrices,
    pub rest_api: RestApiPrices,
    pub websocket: WebSocketPrices,
    pub data_transfer_out: DataTransferPrices,
    /// `errorResponseType` values of requests the gateway rejects itself and does not bill.
    pub unbilled_error_types: Vec<String>,
    /// The Application Load Balancer's prices (`[alb]`), the other front door gwcost compares
    /// with; `None` when the book has none (AWS's API Gateway data carries no ALB prices).
    pub alb: Option<crate::alb::AlbPrices>,
}

/// Where the prices come from, so every report can say which prices it used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceBookMeta {
    pub name: String,
    pub region: String,
    /// Always "USD": every cost field is `cost_usd`.
    pub currency: String,
    pub source_url: String,
    /// The date the prices were read from the source, "YYYY-MM-DD".
    pub as_of: String,
    /// Where this book was read from: compiled in, or a file (set by whoever read it). Not in the
    /// TOML: a copy of a book is the same book wherever it lies.
    #[serde(skip)]
    pub origin: BookOrigin,
}

/// Where a price book was read from, so every output can say exactly which prices it used: an
/// edited or imported copy of a book keeps its `meta.name`, so the name alone does not say.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BookOrigin {
    /// One of gwcost's embedded books ([`EMBEDDED`]).
    Embedded,
    /// A TOML file: its path as given and the SHA-256 of its bytes (lowercase hex).
    File { path: String, sha256: String },
    /// Text handed to [`PriceBook::from_toml_str`] by a library caller.
    #[default]
    Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpApiPrices {
    /// Per-request tiers.
    pub tiers: Vec<Tier>,
    /// Size of one metered increment (524288: 512 KB).
    pub increment_bytes: u64,
    /// Which payload the increments are counted from (TOML `metering.basis`).
    pub metering_basis: MeteringBasis,
    pub free_tier_requests: u64,
    /// Largest request payload the gateway accepts (10 MB).
    pub max_payload_bytes: u64,
    pub integration_timeout_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestApiPrices {
    /// Per-request tiers.
    pub tiers: Vec<Tier>,
    pub free_tier_requests: u64,
    /// Cache sizes on offer and their hourly prices.
    pub cache: Vec<CacheSize>,
    /// `None` (the default): one unit per request. `Some(10485760)`: responses of
    /// streaming-enabled REST APIs are metered in 10 MB increments.
    pub streaming_increment_bytes: Option<u64>,
    /// Largest request payload the gateway accepts (10 MB).
    pub max_payload_bytes: u64,
    pub integration_timeout_secs: u64,
}

/// One REST API cache size and what it costs per hour while provisioned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CacheSize {
    pub size_gb: Decimal,
    pub per_hour: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebSocketPrices {
    /// Per-message-unit tiers.
    pub message_tiers: Vec<Tier>,
    /// Per-connection-minute tiers.
    pub connection_minute_tiers: Vec<Tier>,
    /// Size of one metered message increment (32768: 32 KB).
    pub message_increment_bytes: u64,
    /// Whether connect and disconnect each count as a message (default false).
    pub count_connect_disconnect: bool,
    pub free_tier_messages: u64,
    pub free_tier_connection_minutes: u64,
    /// Largest message (131072: 128 KB).
    pub max_message_bytes: u64,
    /// Largest frame (32768: 32 KB); a larger frame closes the connection with 1009.
    pub max_frame_bytes: u64,
    pub idle_timeout_secs: u64,
    pub max_connection_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataTransferPrices {
    /// Per-byte tiers (written per GB in TOML). Per-byte prices are the per-GB price divided by
    /// 2^30, which needs up to 30 decimal places; `Decimal` keeps 28, so each is rounded by less
    /// than 5e-29 USD per byte (under a billionth of a dollar even for 2^64 bytes).
    pub tiers: Vec<Tier>,
    /// AWS's 100 GB a month of free data transfer out. It is shared by the whole AWS account, so
    /// gwcost applies it only with the free tier turned on (see [`crate::bill_month`]).
    pub free_bytes_per_month: u64,
    /// Where these rates come from when they are not the region's own (TOML `source`): AWS's
    /// API Gateway price data has no data-transfer rates, so a book built from it keeps another
    /// region's and says so here, and every output that prices data transfer repeats it.
    pub source: Option<String>,
}

/// A price book that could not be read. `Display` names the key and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceBookError {
    /// The text is not TOML, or does not have the price book's shape (a missing key, a value of
    /// the wrong type, an unknown key); the message is toml's, with line and column.
    #[error("price book is not valid: {message}")]
    Toml { message: String },
    /// A value has the right type but is not acceptable.
    #[error("{key}: {problem}")]
    Invalid { key: String, problem: String },
}

impl PriceBookError {
    /// The dotted key path of the offending value, when the error is about one value.
    pub fn key(&self) -> Option<&str> {
        match self {
            PriceBookError::Toml { .. } => None,
            PriceBookError::Invalid { key, .. } => Some(key),
        }
    }
}

fn invalid(key: impl Into<String>, problem: impl Into<String>) -> PriceBookError {
    PriceBookError::Invalid {
        key: key.into(),
        problem: problem.into(),
    }
}

impl PriceBook {
    /// AWS's us-east-1 list prices, from the embedded `price-books/aws-us-east-1.toml`.
    pub fn aws_us_east_1() -> PriceBook {
        static BOOK: OnceLock<PriceBook> = OnceLock::new();
        BOOK.get_or_init(|| match PriceBook::from_toml_str(AWS_US_EAST_1_TOML) {
            Ok(mut book) => {
                book.meta.origin = BookOrigin::Embedded;
                book
            }
            // The text is compiled in and a test parses it: this is a build defect, not input.
            Err(e) => panic!("the embedded aws-us-east-1 price book is invalid: {e}"),
        })
        .clone()
    }

    /// The embedded price book of `region` (an AWS region code such as `us-east-1`).
    pub fn embedded(region: &str) -> Result<PriceBook, UnknownRegion> {
        let region = region.trim();
        let unknown = || UnknownRegion {
            region: region.to_owned(),
            embedded: EMBEDDED
                .iter()
                .map(|(r, _)| *r)
                .collect::<Vec<_>>()
                .join(", "),
        };
        let (_, text) = EMBEDDED
            .iter()
            .find(|(r, _)| r.eq_ignore_ascii_case(region))
            .ok_or_else(unknown)?;
        if *text == AWS_US_EAST_1_TOML {
            return Ok(PriceBook::aws_us_east_1());
        }
        // Embedded texts are parsed by a test; an error here is a build defect.
        let mut book = PriceBook::from_toml_str(text).map_err(|_| unknown())?;
        book.meta.origin = BookOrigin::Embedded;
        Ok(book)
    }

    /// Reads and validates a price book.
    pub fn from_toml_str(s: &str) -> Result<PriceBook, PriceBookError> {
        let raw: RawBook = toml::from_str(s).map_err(|e| PriceBookError::Toml {
            message: e.to_string().trim_end().to_owned(),
        })?;
        raw.validate()
    }

    /// The book in force, as TOML in the layout of `price-books/aws-us-east-1.toml` (without its
    /// explanatory comments). `from_toml_str` reads it back to an equal book.
    pub fn to_toml_string(&self) -> String {
        write_toml(self)
    }

    /// Whether the gateway bills a request whose `errorResponseType` is `error_response_type`.
    ///
    /// Compared case-insensitively and ignoring surrounding spaces; no error type, an empty one
    /// or `-` (API Gateway's empty value) is billed.
    pub fn is_billable(&self, error_response_type: Option<&str>) -> bool {
        match error_response_type.map(str::trim) {
            None | Some("") | Some("-") => true,
            Some(t) => !self
                .unbilled_error_types
                .iter()
                .any(|u| u.trim().eq_ignore_ascii_case(t)),
        }
    }

    /// The hourly price of a REST API cache of `size_gb` (0.5 and 0.50 are the same size), or
    /// `None` when AWS offers no such size.
    pub fn cache_price_per_hour(&self, size_gb: Decimal) -> Option<Decimal> {
        self.rest_api
            .cache
            .iter()
            .find(|c| c.size_gb == size_gb)
            .map(|c| c.per_hour)
    }
}

// ---------------------------------------------------------------------------------------------
// Raw layer: mirrors the TOML file exactly.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBook {
    unbilled_error_types: Vec<String>,
    meta: RawMeta,
    metering: RawMetering,
    http_api: RawHttp,
    rest_api: RawRest,
    websocket: RawWebSocket,
    data_transfer_out: RawTransfer,
    alb: Option<RawAlb>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlb {
    source: String,
    price_per_alb_hour: toml::Value,
    price_per_lcu_hour: toml::Value,
    new_connections_per_lcu_per_second: u64,
    active_connections_per_lcu_per_minute: u64,
    processed_gb_per_lcu_hour: toml::Value,
    processed_gb_per_lcu_hour_lambda: toml::Value,
    rule_evaluations_per_lcu_per_second: u64,
    free_rules_per_request: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    name: String,
    region: String,
    currency: String,
    source_url: String,
    as_of: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetering {
    basis: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    increment_kb: Option<u64>,
    increment_bytes: Option<u64>,
    free_tier_requests: u64,
    max_payload_mb: Option<u64>,
    max_payload_bytes: Option<u64>,
    integration_timeout_secs: u64,
    tiers: Vec<RawCountTier>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRest {
    free_tier_requests: u64,
    streaming: bool,
    streaming_increment_mb: Option<u64>,
    streaming_increment_bytes: Option<u64>,
    max_payload_mb: Option<u64>,
    max_payload_bytes: Option<u64>,
    integration_timeout_secs: u64,
    tiers: Vec<RawCountTier>,
    /// A region where AWS offers no REST cache (the Price List lists none) has none.
    #[serde(default)]
    cache: Vec<RawCache>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCache {
    size_gb: toml::Value,
    price_per_hour: toml::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebSocket {
    message_increment_kb: Option<u64>,
    message_increment_bytes: Option<u64>,
    max_message_kb: Option<u64>,
    max_message_bytes: Option<u64>,
    max_frame_kb: Option<u64>,
    max_frame_bytes: Option<u64>,
    count_connect_disconnect: bool,
    free_tier_messages: u64,
    free_tier_connection_minutes: u64,
    idle_timeout_secs: u64,
    max_connection_secs: u64,
    message_tiers: Vec<RawCountTier>,
    connection_minute_tiers: Vec<RawCountTier>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransfer {
    source: Option<String>,
    free_gb_per_month: Option<u64>,
    free_bytes_per_month: Option<u64>,
    tiers: Vec<RawByteTier>,
}

/// A tier of requests, messages or minutes, priced per million.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCountTier {
    up_to_millions: Option<u64>,
    up_to: Option<u64>,
    price_per_million: toml::Value,
}

/// A data-transfer tier, priced per GB.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawByteTier {
    up_to_gb: Option<u64>,
    up_to_bytes: Option<u64>,
    price_per_gb: toml::Value,
}

// ---------------------------------------------------------------------------------------------
// Validation: raw -> PriceBook, naming the key of the first problem.

/// A size written either in `unit_key` (KB, MB or GB) or in `bytes_key`, exactly one of them.
struct SizeKeys<'a> {
    section: &'a str,
    unit_key: &'a str,
    bytes_key: &'a str,
    unit: u64,
}

impl SizeKeys<'_> {
    fn read(&self, in_unit: Option<u64>, in_bytes: Option<u64>) -> Result<u64, PriceBookError> {
        let (section, unit_key, bytes_key) = (self.section, self.unit_key, self.bytes_key);
        match (in_unit, in_bytes) {
            (Some(_), Some(_)) => Err(invalid(
                format!("{section}.{unit_key}"),
                format!("give either {unit_key} or {bytes_key}, not both"),
            )),
            (None, None) => Err(invalid(
                format!("{section}.{unit_key}"),
                format!("missing (or give {bytes_key})"),
            )),
            (Some(n), None) => n.checked_mul(self.unit).ok_or_else(|| {
                invalid(format!("{section}.{unit_key}"), format!("{n} is too large"))
            }),
            (None, Some(b)) => Ok(b),
        }
    }

    /// Like `read`, and the size must be above zero.
    fn read_positive(
        &self,
        in_unit: Option<u64>,
        in_bytes: Option<u64>,
    ) -> Result<u64, PriceBookError> {
        let bytes = self.read(in_unit, in_bytes)?;
        if bytes == 0 {
            let key = if in_unit.is_some() {
                self.unit_key
            } else {
                self.bytes_key
            };
            return Err(invalid(format!("{}.{key}", self.section), "must be > 0"));
        }
        Ok(bytes)
    }
}

impl RawAlb {
    fn validate(self) -> Result<crate::alb::AlbPrices, PriceBookError> {
        let gb = |key: &str, v: &toml::Value| -> Result<Decimal, PriceBookError> {
            let d = price(key, v)?;
            if d.is_zero() {
                return Err(invalid(key, "must be > 0"));
            }
            Ok(d)
        };
        Ok(crate::alb::AlbPrices {
            per_alb_hour: price("alb.price_per_alb_hour", &self.price_per_alb_hour)?,
            per_lcu_hour: price("alb.price_per_lcu_hour", &self.price_per_lcu_hour)?,
            new_connections_per_second: positive(
                "alb.new_connections_per_lcu_per_second",
                self.new_connections_per_lcu_per_second,
            )?,
            active_connections_per_minute: positive(
                "alb.active_connections_per_lcu_per_minute",
                self.active_connections_per_lcu_per_minute,
            )?,
            processed_gb_per_hour: gb(
                "alb.processed_gb_per_lcu_hour",
                &self.processed_gb_per_lcu_hour,
            )?,
            processed_gb_per_hour_lambda: gb(
                "alb.processed_gb_per_lcu_hour_lambda",
                &self.processed_gb_per_lcu_hour_lambda,
            )?,
            rule_evaluations_per_second: positive(
                "alb.rule_evaluations_per_lcu_per_second",
                self.rule_evaluations_per_lcu_per_second,
            )?,
            free_rules: self.free_rules_per_request,
            source: non_empty("alb.source", self.source)?,
        })
    }
}

fn positive(key: &str, value: u64) -> Result<u64, PriceBookError> {
    if value == 0 {
        return Err(invalid(key, "must be > 0"));
    }
    Ok(value)
}

fn non_empty(key: &str, value: String) -> Result<String, PriceBookError> {
    if value.trim().is_empty() {
        return Err(invalid(key, "must not be empty"));
    }
    Ok(value)
}

/// A decimal written as a TOML string ("3.50") or integer; floats are refused because they are
/// not exact.
fn decimal(key: &str, value: &toml::Value) -> Result<Decimal, PriceBookError> {
    match value {
        toml::Value::String(s) => Decimal::from_str_exact(s.trim())
            .map_err(|_| invalid(key, format!("{s:?} is not a decimal"))),
        toml::Value::Integer(i) => Ok(Decimal::from(*i)),
        toml::Value::Float(f) => Err(invalid(
            key,
            format!(
                "{f} is a floating-point number; write it as a string (\"{f}\") so it is read as an exact decimal"
            ),
        )),
        other => Err(invalid(
            key,
            format!(
                "expected a decimal string such as \"3.50\", found a {}",
                other.type_str()
            ),
        )),
    }
}

fn price(key: &str, value: &toml::Value) -> Result<Decimal, PriceBookError> {
    let p = decimal(key, value)?;
    if p < Decimal::ZERO {
        return Err(invalid(key, format!("{p} is negative")));
    }
    Ok(p)
}

fn as_of_date(key: &str, value: String) -> Result<String, PriceBookError> {
    let b = value.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let shaped = b.len() == 10 && b[4] == b'-' && b[7] == b'-' && digits(0..4);
    let shaped = shaped && digits(5..7) && digits(8..10);
    let number = |r: std::ops::Range<usize>| value[r].parse::<u32>().unwrap_or(0);
    if !shaped || !(1..=12).contains(&number(5..7)) || !(1..=31).contains(&number(8..10)) {
        return Err(invalid(key, format!("{value:?} is not a date YYYY-MM-DD")));
    }
    Ok(value)
}

/// Checks the bounds of a tier table: at least one tier, ascending bounds above zero, and only
/// the last tier without a bound (so every unit has a price). `bound_keys[i]` is the key tier
/// `i` wrote its bound with (or would have).
fn check_bounds(
    key: &str,
    bounds: &[(Option<u64>, &str)],
    bound_key: &str,
) -> Result<(), PriceBookError> {
    if bounds.is_empty() {
        return Err(invalid(
            key,
            format!("at least one tier is required (the last one without {bound_key})"),
        ));
    }
    let last = bounds.len() - 1;
    let mut previous = 0u64;
    for (i, &(bound, written_as)) in bounds.iter().enumerate() {
        match bound {
            Some(_) if i == last => {
                return Err(invalid(
                    format!("{key}[{i}].{written_as}"),
                    "the last tier must have no upper bound, so every unit has a price",
                ));
            }
            None if i < last => {
                return Err(invalid(
                    format!("{key}[{i}]"),
                    format!("only the last tier may have no {bound_key}"),
                ));
            }
            Some(b) if i == 0 && b == 0 => {
                return Err(invalid(format!("{key}[{i}].{written_as}"), "must be > 0"));
            }
            Some(b) if b <= previous => {
                return Err(invalid(
                    format!("{key}[{i}].{written_as}"),
                    format!(
                        "must be above the previous tier's bound ({key}[{}]); tiers ascend",
                        i - 1
                    ),
                ));
            }
            Some(b) => previous = b,
            None => {}
        }
    }
    Ok(())
}

/// Tiers of requests, messages or minutes: per-million prices become exact per-unit prices.
fn count_tiers(key: &str, raw: &[RawCountTier]) -> Result<Vec<Tier>, PriceBookError> {
    let million = Decimal::from(MILLION);
    let mut tiers = Vec::with_capacity(raw.len());
    let mut bounds = Vec::with_capacity(raw.len());
    for (i, t) in raw.iter().enumerate() {
        let price_key = format!("{key}[{i}].price_per_million");
        let per_million = price(&price_key, &t.price_per_million)?;
        let unit_price = per_million / million;
        if unit_price * million != per_million {
            return Err(invalid(
                price_key,
                format!("{per_million} has too many decimal places to divide exactly by a million"),
            ));
        }
        let (up_to, written_as) = match (t.up_to_millions, t.up_to) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    format!("{key}[{i}].up_to_millions"),
                    "give either up_to_millions or up_to, not both",
                ));
            }
            (Some(m), None) => {
                let units = m.checked_mul(MILLION).ok_or_else(|| {
                    invalid(
                        format!("{key}[{i}].up_to_millions"),
                        format!("{m} is too large"),
                    )
                })?;
                (Some(units), "up_to_millions")
            }
            (None, Some(u)) => (Some(u), "up_to"),
            (None, None) => (None, "up_to_millions"),
        };
        bounds.push((up_to, written_as));
        tiers.push(Tier { up_to, unit_price });
    }
    check_bounds(key, &bounds, "up_to_millions")?;
    Ok(tiers)
}

/// Data-transfer tiers: per-GB prices and bounds become per-byte ones.
fn byte_tiers(key: &str, raw: &[RawByteTier]) -> Result<Vec<Tier>, PriceBookError> {
    let gb = Decimal::from(GB);
    let mut tiers = Vec::with_capacity(raw.len());
    let mut bounds = Vec::with_capacity(raw.len());
    for (i, t) in raw.iter().enumerate() {
        let per_gb = price(&format!("{key}[{i}].price_per_gb"), &t.price_per_gb)?;
        let (up_to, written_as) = match (t.up_to_gb, t.up_to_bytes) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    format!("{key}[{i}].up_to_gb"),
                    "give either up_to_gb or up_to_bytes, not both",
                ));
            }
            (Some(g), None) => {
                let bytes = g.checked_mul(GB).ok_or_else(|| {
                    invalid(format!("{key}[{i}].up_to_gb"), format!("{g} is too large"))
                })?;
                (Some(bytes), "up_to_gb")
            }
            (None, Some(b)) => (Some(b), "up_to_bytes"),
            (None, None) => (None, "up_to_gb"),
        };
        bounds.push((up_to, written_as));
        tiers.push(Tier {
            up_to,
            unit_price: per_gb / gb,
        });
    }
    check_bounds(key, &bounds, "up_to_gb")?;
    Ok(tiers)
}

fn cache_sizes(raw: &[RawCache]) -> Result<Vec<CacheSize>, PriceBookError> {
    let mut sizes: Vec<CacheSize> = Vec::with_capacity(raw.len());
    for (i, c) in raw.iter().enumerate() {
        let key = format!("rest_api.cache[{i}]");
        let size_gb = decimal(&format!("{key}.size_gb"), &c.size_gb)?;
        if size_gb <= Decimal::ZERO {
            return Err(invalid(format!("{key}.size_gb"), "must be > 0"));
        }
        if let Some(j) = sizes.iter().position(|s| s.size_gb == size_gb) {
            return Err(invalid(
                format!("{key}.size_gb"),
                format!("{size_gb} GB is already listed as rest_api.cache[{j}]"),
            ));
        }
        let per_hour = price(&format!("{key}.price_per_hour"), &c.price_per_hour)?;
        sizes.push(CacheSize { size_gb, per_hour });
    }
    Ok(sizes)
}

impl RawBook {
    fn validate(self) -> Result<PriceBook, PriceBookError> {
        let RawBook {
            unbilled_error_types,
            meta,
            metering,
            http_api,
            rest_api,
            websocket,
            data_transfer_out,
            alb,
        } = self;

        let currency = non_empty("meta.currency", meta.currency)?;
        if currency != "USD" {
            return Err(invalid(
                "meta.currency",
                format!(
                    "{currency:?} is not supported: gwcost prices in USD (every cost is cost_usd)"
                ),
            ));
        }
        let meta = PriceBookMeta {
            name: non_empty("meta.name", meta.name)?,
            region: non_empty("meta.region", meta.region)?,
            currency,
            source_url: non_empty("meta.source_url", meta.source_url)?,
            as_of: as_of_date("meta.as_of", meta.as_of)?,
            origin: BookOrigin::Text,
        };

        let metering_basis = MeteringBasis::from_str(metering.basis.trim()).map_err(|_| {
            invalid(
                "metering.basis",
                format!(
                    "{:?} is not one of \"sum\", \"max\", \"request\", \"response\"",
                    metering.basis
                ),
            )
        })?;

        let payload = |section| SizeKeys {
            section,
            unit_key: "max_payload_mb",
            bytes_key: "max_payload_bytes",
            unit: MB,
        };

        let http = HttpApiPrices {
            tiers: count_tiers("http_api.tiers", &http_api.tiers)?,
            increment_bytes: SizeKeys {
                section: "http_api",
                unit_key: "increment_kb",
                bytes_key: "increment_bytes",
                unit: KB,
            }
            .read_positive(http_api.increment_kb, http_api.increment_bytes)?,
            metering_basis,
            free_tier_requests: http_api.free_tier_requests,
            max_payload_bytes: payload("http_api")
                .read_positive(http_api.max_payload_mb, http_api.max_payload_bytes)?,
            integration_timeout_secs: positive(
                "http_api.integration_timeout_secs",
                http_api.integration_timeout_secs,
            )?,
        };

        let streaming = SizeKeys {
            section: "rest_api",
            unit_key: "streaming_increment_mb",
            bytes_key: "streaming_increment_bytes",
            unit: MB,
        };
        let streaming_increment_bytes = match (
            rest_api.streaming,
            rest_api.streaming_increment_mb,
            rest_api.streaming_increment_bytes,
        ) {
            (true, mb, bytes) => Some(streaming.read_positive(mb, bytes)?),
            // Off, and no increment written: nothing to check.
            (false, None, None) => None,
            // Off, but the increment is still checked so that turning it on cannot surprise.
            (false, mb, bytes) => {
                streaming.read_positive(mb, bytes)?;
                None
            }
        };
        let rest = RestApiPrices {
            tiers: count_tiers("rest_api.tiers", &rest_api.tiers)?,
            free_tier_requests: rest_api.free_tier_requests,
            cache: cache_sizes(&rest_api.cache)?,
            streaming_increment_bytes,
            max_payload_bytes: payload("rest_api")
                .read_positive(rest_api.max_payload_mb, rest_api.max_payload_bytes)?,
            integration_timeout_secs: positive(
                "rest_api.integration_timeout_secs",
                rest_api.integration_timeout_secs,
            )?,
        };

        let ws_kb = |unit_key, bytes_key| SizeKeys {
            section: "websocket",
            unit_key,
            bytes_key,
            unit: KB,
        };
        let ws = WebSocketPrices {
            message_tiers: count_tiers("websocket.message_tiers", &websocket.message_tiers)?,
            connection_minute_tiers: count_tiers(
                "websocket.connection_minute_tiers",
                &websocket.connection_minute_tiers,
            )?,
            message_increment_bytes: ws_kb("message_increment_kb", "message_increment_bytes")
                .read_positive(
                    websocket.message_increment_kb,
                    websocket.message_increment_bytes,
                )?,
            count_connect_disconnect: websocket.count_connect_disconnect,
            free_tier_messages: websocket.free_tier_messages,
            free_tier_connection_minutes: websocket.free_tier_connection_minutes,
            max_message_bytes: ws_kb("max_message_kb", "max_message_bytes")
                .read_positive(websocket.max_message_kb, websocket.max_message_bytes)?,
            max_frame_bytes: ws_kb("max_frame_kb", "max_frame_bytes")
                .read_positive(websocket.max_frame_kb, websocket.max_frame_bytes)?,
            idle_timeout_secs: positive(
                "websocket.idle_timeout_secs",
                websocket.idle_timeout_secs,
            )?,
            max_connection_secs: positive(
                "websocket.max_connection_secs",
                websocket.max_connection_secs,
            )?,
        };

        let transfer = DataTransferPrices {
            tiers: byte_tiers("data_transfer_out.tiers", &data_transfer_out.tiers)?,
            free_bytes_per_month: SizeKeys {
                section: "data_transfer_out",
                unit_key: "free_gb_per_month",
                bytes_key: "free_bytes_per_month",
                unit: GB,
            }
            .read(
                data_transfer_out.free_gb_per_month,
                data_transfer_out.free_bytes_per_month,
            )?,
            source: data_transfer_out
                .source
                .map(|s| non_empty("data_transfer_out.source", s))
                .transpose()?,
        };

        let unbilled_error_types = unbilled_error_types
            .into_iter()
            .enumerate()
            .map(|(i, t)| non_empty(&format!("unbilled_error_types[{i}]"), t))
            .collect::<Result<Vec<_>, _>>()?;

        Ok(PriceBook {
            meta,
            http_api: http,
            rest_api: rest,
            websocket: ws,
            data_transfer_out: transfer,
            unbilled_error_types,
            alb: alb.map(RawAlb::validate).transpose()?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Writing: PriceBook -> TOML in the file's layout.

/// A TOML basic string.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A price as a TOML string, with at least two decimal places ("1.00", "0.085").
fn price_string(p: Decimal) -> String {
    let mut p = p.normalize();
    if p.scale() < 2 {
        p.rescale(2);
    }
    quoted(&p.to_string())
}

/// `key = value` in the larger unit when the size is a whole number of them, else in bytes.
fn size_line(out: &mut String, unit_key: &str, bytes_key: &str, unit: u64, bytes: u64) {
    if bytes.is_multiple_of(unit) {
        out.push_str(&format!("{unit_key} = {}\n", bytes / unit));
    } else {
        out.push_str(&format!("{bytes_key} = {bytes}\n"));
    }
}

fn count_tier_tables(out: &mut String, table: &str, tiers: &[Tier]) {
    let million = Decimal::from(MILLION);
    for t in tiers {
        out.push_str(&format!("\n[[{table}]]\n"));
        if let Some(u) = t.up_to {
            size_line(out, "up_to_millions", "up_to", MILLION, u);
        }
        let per_million = t.unit_price.saturating_mul(million);
        out.push_str(&format!(
            "price_per_million = {}\n",
            price_string(per_million)
        ));
    }
}

fn byte_tier_tables(out: &mut String, table: &str, tiers: &[Tier]) {
    for t in tiers {
        out.push_str(&format!("\n[[{table}]]\n"));
        if let Some(u) = t.up_to {
            size_line(out, "up_to_gb", "up_to_bytes", GB, u);
        }
        out.push_str(&format!(
            "price_per_gb = {}\n",
            price_string(per_gb_price(t.unit_price))
        ));
    }
}

fn write_toml(book: &PriceBook) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# gwcost price book {} (prices are exact decimal strings; KB = 1024 bytes, GB = 2^30 bytes)\n\n",
        quoted(&book.meta.name)
    ));

    out.push_str("unbilled_error_types = [\n");
    for t in &book.unbilled_error_types {
        out.push_str(&format!("    {},\n", quoted(t)));
    }
    out.push_str("]\n");

    let m = &book.meta;
    out.push_str("\n[meta]\n");
    out.push_str(&format!("name = {}\n", quoted(&m.name)));
    out.push_str(&format!("region = {}\n", quoted(&m.region)));
    out.push_str(&format!("currency = {}\n", quoted(&m.currency)));
    out.push_str(&format!("source_url = {}\n", quoted(&m.source_url)));
    out.push_str(&format!("as_of = {}\n", quoted(&m.as_of)));

    out.push_str("\n[metering]\n");
    out.push_str(&format!(
        "basis = {}\n",
        quoted(&book.http_api.metering_basis.to_string())
    ));

    let h = &book.http_api;
    out.push_str("\n[http_api]\n");
    size_line(
        &mut out,
        "increment_kb",
        "increment_bytes",
        KB,
        h.increment_bytes,
    );
    out.push_str(&format!("free_tier_requests = {}\n", h.free_tier_requests));
    size_line(
        &mut out,
        "max_payload_mb",
        "max_payload_bytes",
        MB,
        h.max_payload_bytes,
    );
    out.push_str(&format!(
        "integration_timeout_secs = {}\n",
        h.integration_timeout_secs
    ));
    count_tier_tables(&mut out, "http_api.tiers", &h.tiers);

    let r = &book.rest_api;
    out.push_str("\n[rest_api]\n");
    out.push_str(&format!("free_tier_requests = {}\n", r.free_tier_requests));
    out.push_str(&format!(
        "streaming = {}\n",
        r.streaming_increment_bytes.is_some()
    ));
    // Off still writes AWS's 10 MB increment, so turning streaming on is a one-word edit.
    let streaming_increment = r.streaming_increment_bytes.unwrap_or(10 * MB);
    size_line(
        &mut out,
        "streaming_increment_mb",
        "streaming_increment_bytes",
        MB,
        streaming_increment,
    );
    size_line(
        &mut out,
        "max_payload_mb",
        "max_payload_bytes",
        MB,
        r.max_payload_bytes,
    );
    out.push_str(&format!(
        "integration_timeout_secs = {}\n",
        r.integration_timeout_secs
    ));
    count_tier_tables(&mut out, "rest_api.tiers", &r.tiers);
    for c in &r.cache {
        out.push_str("\n[[rest_api.cache]]\n");
        out.push_str(&format!("size_gb = {}\n", quoted(&c.size_gb.to_string())));
        out.push_str(&format!(
            "price_per_hour = {}\n",
            quoted(&c.per_hour.to_string())
        ));
    }

    let w = &book.websocket;
    out.push_str("\n[websocket]\n");
    size_line(
        &mut out,
        "message_increment_kb",
        "message_increment_bytes",
        KB,
        w.message_increment_bytes,
    );
    size_line(
        &mut out,
        "max_message_kb",
        "max_message_bytes",
        KB,
        w.max_message_bytes,
    );
    size_line(
        &mut out,
        "max_frame_kb",
        "max_frame_bytes",
        KB,
        w.max_frame_bytes,
    );
    out.push_str(&format!(
        "count_connect_disconnect = {}\n",
        w.count_connect_disconnect
    ));
    out.push_str(&format!("free_tier_messages = {}\n", w.free_tier_messages));
    out.push_str(&format!(
        "free_tier_connection_minutes = {}\n",
        w.free_tier_connection_minutes
    ));
    out.push_str(&format!("idle_timeout_secs = {}\n", w.idle_timeout_secs));
    out.push_str(&format!(
        "max_connection_secs = {}\n",
        w.max_connection_secs
    ));
    count_tier_tables(&mut out, "websocket.message_tiers", &w.message_tiers);
    count_tier_tables(
        &mut out,
        "websocket.connection_minute_tiers",
        &w.connection_minute_tiers,
    );

    let d = &book.data_transfer_out;
    out.push_str("\n[data_transfer_out]\n");
    if let Some(src) = &d.source {
        out.push_str(&format!("source = {}\n", quoted(src)));
    }
    size_line(
        &mut out,
        "free_gb_per_month",
        "free_bytes_per_month",
        GB,
        d.free_bytes_per_month,
    );
    byte_tier_tables(&mut out, "data_transfer_out.tiers", &d.tiers);
    if let Some(a) = &book.alb {
        out.push_str("\n[alb]\n");
        out.push_str(&format!("source = {}\n", quoted(&a.source)));
        out.push_str(&format!("price_per_alb_hour = \"{}\"\n", a.per_alb_hour));
        out.push_str(&format!("price_per_lcu_hour = \"{}\"\n", a.per_lcu_hour));
        out.push_str(&format!(
            "new_connections_per_lcu_per_second = {}\n",
            a.new_connections_per_second
        ));
        out.push_str(&format!(
            "active_connections_per_lcu_per_minute = {}\n",
            a.active_connections_per_minute
        ));
        out.push_str(&format!(
            "processed_gb_per_lcu_hour = \"{}\"\n",
            a.processed_gb_per_hour
        ));
        out.push_str(&format!(
            "processed_gb_per_lcu_hour_lambda = \"{}\"\n",
            a.processed_gb_per_hour_lambda
        ));
        out.push_str(&format!(
            "rule_evaluations_per_lcu_per_second = {}\n",
            a.rule_evaluations_per_second
        ));
        out.push_str(&format!("free_rules_per_request = {}\n", a.free_rules));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// The default book's TOML with `from` replaced by `to` (which must occur exactly once, so a
    /// test cannot pass by editing nothing).
    fn edited(from: &str, to: &str) -> String {
        assert_eq!(
            AWS_US_EAST_1_TOML.matches(from).count(),
            1,
            "{from:?} must occur exactly once in the default book"
        );
        AWS_US_EAST_1_TOML.replacen(from, to, 1)
    }

    fn error_of(toml: &str) -> String {
        PriceBook::from_toml_str(toml).unwrap_err().to_string()
    }

    #[test]
    fn default_book_has_its_source_and_date() {
        let book = PriceBook::aws_us_east_1();
        assert_eq!(book.meta.name, "aws-us-east-1");
        assert_eq!(book.meta.region, "us-east-1");
        assert_eq!(book.meta.currency, "USD");
        assert_eq!(
            book.meta.source_url,
            "https://aws.amazon.com/api-gateway/pricing/"
        );
        assert_eq!(book.meta.as_of, "2026-11-01");
    }

    #[test]
    fn default_http_prices_match_aws() {
        let h = PriceBook::aws_us_east_1().http_api;
        assert_eq!(
            h.tiers,
            vec![
                Tier {
                    up_to: Some(300_000_000),
                    unit_price: d("0.000001")
                },
                Tier {
                    up_to: None,
                    unit_price: d("0.0000009")
                },
            ]
        );
        assert_eq!(h.increment_bytes, 524_288);
        assert_eq!(h.metering_basis, MeteringBasis::Sum);
        assert_eq!(h.free_tier_requests, 1_000_000);
        assert_eq!(h.max_payload_bytes, 10_485_760);
        assert_eq!(h.integration_timeout_secs, 30);
    }

    #[test]
    fn default_rest_prices_match_aws() {
        let r = PriceBook::aws_us_east_1().rest_api;
        let tiers: Vec<(Option<u64>, Decimal)> =
            r.tiers.iter().map(|t| (t.up_to, t.unit_price)).collect();
        assert_eq!(
            tiers,
            vec![
                (Some(333_000_000), d("0.0000035")),
                (Some(1_000_000_000), d("0.0000028")),
                (Some(20_000_000_000), d("0.00000238")),
                (None, d("0.00000151")),
            ]
        );
        assert_eq!(r.free_tier_requests, 1_000_000);
        assert_eq!(r.streaming_increment_bytes, None);
        assert_eq!(r.max_payload_bytes, 10_485_760);
        assert_eq!(r.integration_timeout_secs, 29);
        let cache: Vec<(Decimal, Decimal)> =
            r.cache.iter().map(|c| (c.size_gb, c.per_hour)).collect();
        let expected = [
            ("0.5", "0.020"),
            ("1.6", "0.038"),
            ("6.1", "0.200"),
            ("13.5", "0.250"),
            ("28.4", "0.500"),
            ("58.2", "1.000"),
            ("118", "1.900"),
            ("237", "3.800"),
        ]
        .map(|(s, p)| (d(s), d(p)));
        assert_eq!(cache, expected);
    }

    #[test]
    fn default_websocket_prices_match_aws() {
        let w = PriceBook::aws_us_east_1().websocket;
        assert_eq!(
            w.message_tiers,
            vec![
                Tier {
                    up_to: Some(1_000_000_000),
                    unit_price: d("0.000001")
                },
                Tier {
                    up_to: None,
                    unit_price: d("0.0000008")
                },
            ]
        );
        assert_eq!(
            w.connection_minute_tiers,
            vec![Tier {
                up_to: None,
                unit_price: d("0.00000025")
            }]
        );
        assert_eq!(w.message_increment_bytes, 32_768);
        assert_eq!(w.max_message_bytes, 131_072);
        assert_eq!(w.max_frame_bytes, 32_768);
        assert!(!w.count_connect_disconnect);
        assert_eq!(w.free_tier_messages, 1_000_000);
        assert_eq!(w.free_tier_connection_minutes, 750_000);
        assert_eq!(w.idle_timeout_secs, 600);
        assert_eq!(w.max_connection_secs, 7_200);
    }

    #[test]
    fn default_data_transfer_prices_match_aws() {
        let t = PriceBook::aws_us_east_1().data_transfer_out;
        const TB: u64 = 1 << 40;
        let tiers: Vec<(Option<u64>, Decimal)> = t
            .tiers
            .iter()
            .map(|t| (t.up_to, per_gb_price(t.unit_price)))
            .collect();
        assert_eq!(
            tiers,
            vec![
                (Some(10 * TB), d("0.09")),
                (Some(50 * TB), d("0.085")),
                (Some(150 * TB), d("0.07")),
                (None, d("0.05")),
            ]
        );
        // Per byte: the per-GB price over 2^30, within Decimal's 28 places.
        let per_byte = t.tiers[0].unit_price;
        assert!((per_byte - d("0.09") / Decimal::from(GB)).abs() <= d("1e-28"));
        assert_eq!(t.free_bytes_per_month, 100 * 1_073_741_824);
    }

    #[test]
    fn default_unbilled_error_types_are_auth_and_throttling() {
        let book = PriceBook::aws_us_east_1();
        assert_eq!(
            book.unbilled_error_types,
            [
                "UNAUTHORIZED",
                "ACCESS_DENIED",
                "MISSING_AUTHENTICATION_TOKEN",
                "INVALID_API_KEY",
                "EXPIRED_TOKEN",
                "INVALID_SIGNATURE",
                "THROTTLED",
                "QUOTA_EXCEEDED",
            ]
        );
    }

    #[test]
    fn gateway_rejections_for_auth_and_throttling_are_not_billed() {
        let book = PriceBook::aws_us_east_1();
        for t in [
            "UNAUTHORIZED",
            "ACCESS_DENIED",
            "MISSING_AUTHENTICATION_TOKEN",
            "INVALID_API_KEY",
            "EXPIRED_TOKEN",
            "INVALID_SIGNATURE",
            "THROTTLED",
            "QUOTA_EXCEEDED",
            "throttled",
            " QUOTA_EXCEEDED ",
        ] {
            assert!(!book.is_billable(Some(t)), "{t} must not be billed");
        }
    }

    #[test]
    fn everything_else_that_reaches_the_gateway_is_billed() {
        let book = PriceBook::aws_us_east_1();
        for t in [
            None,
            Some(""),
            Some("-"),
            Some("INTEGRATION_TIMEOUT"),
            Some("INTEGRATION_FAILURE"),
            Some("DEFAULT_5XX"),
            Some("RESOURCE_NOT_FOUND"),
            Some("BAD_REQUEST_BODY"),
        ] {
            assert!(book.is_billable(t), "{t:?} must be billed");
        }
    }

    #[test]
    fn a_book_can_change_which_error_types_are_unbilled() {
        let toml = edited("    \"QUOTA_EXCEEDED\",\n", "    \"WAF_FILTERED\",\n");
        let book = PriceBook::from_toml_str(&toml).unwrap();
        assert!(book.is_billable(Some("QUOTA_EXCEEDED")));
        assert!(!book.is_billable(Some("WAF_FILTERED")));
    }

    #[test]
    fn cache_price_lookup_ignores_the_scale_of_the_size() {
        let book = PriceBook::aws_us_east_1();
        assert_eq!(book.cache_price_per_hour(d("0.50")), Some(d("0.020")));
        assert_eq!(book.cache_price_per_hour(d("237")), Some(d("3.8")));
        assert_eq!(book.cache_price_per_hour(d("1")), None);
    }

    #[test]
    fn default_book_round_trips_through_toml() {
        let mut book = PriceBook::aws_us_east_1();
        assert_eq!(book.meta.origin, BookOrigin::Embedded);
        // Read back from text, the same prices are no longer the embedded book.
        book.meta.origin = BookOrigin::Text;
        let text = book.to_toml_string();
        assert_eq!(PriceBook::from_toml_str(&text).unwrap(), book);
        // Written in the file's units and exact decimals, not per unit.
        assert!(
            text.contains(
                "[[rest_api.tiers]]\nup_to_millions = 333\nprice_per_million = \"3.50\"\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "[[data_transfer_out.tiers]]\nup_to_gb = 10240\nprice_per_gb = \"0.09\"\n"
            ),
            "{text}"
        );
        assert!(text.contains("increment_kb = 512\n"), "{text}");
        assert!(text.contains("free_gb_per_month = 100\n"), "{text}");
        assert!(text.contains("streaming = false\n"), "{text}");
        assert!(text.contains("basis = \"sum\"\n"), "{text}");
    }

    #[test]
    fn odd_sizes_and_bounds_round_trip_in_bytes() {
        let mut book = PriceBook::aws_us_east_1();
        book.meta.name = "custom \"quoted\" \\ name".into();
        book.http_api.increment_bytes = 500_000;
        book.http_api.metering_basis = MeteringBasis::Max;
        book.http_api.tiers[0].up_to = Some(1_234_567);
        book.http_api.tiers[1].unit_price = d("0.0000001234567");
        book.rest_api.streaming_increment_bytes = Some(7);
        book.websocket.count_connect_disconnect = true;
        book.data_transfer_out.free_bytes_per_month = 12_345;
        book.data_transfer_out.tiers[0].up_to = Some(999);
        book.data_transfer_out.tiers[1].unit_price = d("0.0000000001234567890123456789");
        let text = book.to_toml_string();
        assert!(text.contains("increment_bytes = 500000\n"), "{text}");
        assert!(text.contains("up_to = 1234567\n"), "{text}");
        assert!(
            text.contains("streaming = true\nstreaming_increment_bytes = 7\n"),
            "{text}"
        );
        assert!(text.contains("up_to_bytes = 999\n"), "{text}");
        book.meta.origin = BookOrigin::Text;
        assert_eq!(PriceBook::from_toml_str(&text).unwrap(), book);
    }

    #[test]
    fn integer_prices_are_accepted_as_exact() {
        let toml = edited("price_per_million = \"0.90\"", "price_per_million = 1");
        let book = PriceBook::from_toml_str(&toml).unwrap();
        assert_eq!(book.http_api.tiers[1].unit_price, d("0.000001"));
    }

    #[test]
    fn bytes_may_replace_a_kb_key() {
        let toml = edited("increment_kb = 512", "increment_bytes = 500000");
        let book = PriceBook::from_toml_str(&toml).unwrap();
        assert_eq!(book.http_api.increment_bytes, 500_000);
    }

    #[test]
    fn streaming_on_meters_rest_in_10_mb_increments() {
        let toml = edited("streaming = false", "streaming = true");
        let book = PriceBook::from_toml_str(&toml).unwrap();
        assert_eq!(book.rest_api.streaming_increment_bytes, Some(10_485_760));
    }

    #[test]
    fn a_price_that_is_not_a_decimal_names_its_tier() {
        let toml = edited(
            "price_per_million = \"2.38\"",
            "price_per_million = \"abc\"",
        );
        assert_eq!(
            error_of(&toml),
            "rest_api.tiers[2].price_per_million: \"abc\" is not a decimal"
        );
    }

    #[test]
    fn a_float_price_is_refused_as_inexact() {
        let toml = edited("price_per_gb = \"0.085\"", "price_per_gb = 0.085");
        let msg = error_of(&toml);
        assert!(
            msg.starts_with(
                "data_transfer_out.tiers[1].price_per_gb: 0.085 is a floating-point number"
            ),
            "{msg}"
        );
    }

    #[test]
    fn a_negative_price_names_its_key() {
        let toml = edited(
            "price_per_million = \"0.25\"",
            "price_per_million = \"-0.25\"",
        );
        assert_eq!(
            error_of(&toml),
            "websocket.connection_minute_tiers[0].price_per_million: -0.25 is negative"
        );
    }

    #[test]
    fn a_zero_increment_names_its_key() {
        let toml = edited("increment_kb = 512", "increment_kb = 0");
        assert_eq!(error_of(&toml), "http_api.increment_kb: must be > 0");
        let toml = edited("message_increment_kb = 32", "message_increment_bytes = 0");
        assert_eq!(
            error_of(&toml),
            "websocket.message_increment_bytes: must be > 0"
        );
    }

    #[test]
    fn a_size_given_twice_names_both_keys() {
        let toml = edited(
            "max_frame_kb = 32",
            "max_frame_kb = 32\nmax_frame_bytes = 32768",
        );
        assert_eq!(
            error_of(&toml),
            "websocket.max_frame_kb: give either max_frame_kb or max_frame_bytes, not both"
        );
    }

    #[test]
    fn a_missing_size_names_its_key() {
        let toml = edited("max_message_kb = 128\n", "");
        assert_eq!(
            error_of(&toml),
            "websocket.max_message_kb: missing (or give max_message_bytes)"
        );
    }

    #[test]
    fn descending_tiers_name_the_tier_that_goes_down() {
        let toml = edited("up_to_millions = 20_000", "up_to_millions = 900");
        assert_eq!(
            error_of(&toml),
            "rest_api.tiers[2].up_to_millions: must be above the previous tier's bound (rest_api.tiers[1]); tiers ascend"
        );
    }

    #[test]
    fn equal_tier_bounds_are_refused() {
        let toml = edited("up_to_gb = 51_200", "up_to_gb = 10_240");
        assert_eq!(
            error_of(&toml),
            "data_transfer_out.tiers[1].up_to_gb: must be above the previous tier's bound (data_transfer_out.tiers[0]); tiers ascend"
        );
    }

    #[test]
    fn an_unbounded_tier_before_the_last_is_refused() {
        let toml = edited("up_to_millions = 300\n", "");
        assert_eq!(
            error_of(&toml),
            "http_api.tiers[0]: only the last tier may have no up_to_millions"
        );
    }

    #[test]
    fn a_bounded_last_tier_is_refused() {
        let toml = edited(
            "price_per_million = \"0.80\"",
            "up_to_millions = 5_000\nprice_per_million = \"0.80\"",
        );
        assert_eq!(
            error_of(&toml),
            "websocket.message_tiers[1].up_to_millions: the last tier must have no upper bound, so every unit has a price"
        );
    }

    #[test]
    fn a_zero_first_bound_is_refused() {
        let toml = edited("up_to_millions = 300", "up_to_millions = 0");
        assert_eq!(
            error_of(&toml),
            "http_api.tiers[0].up_to_millions: must be > 0"
        );
    }

    #[test]
    fn an_empty_tier_table_is_refused() {
        let toml = edited(
            "[[websocket.connection_minute_tiers]]\nprice_per_million = \"0.25\"\n",
            "",
        )
        .replacen(
            "[websocket]\n",
            "[websocket]\nconnection_minute_tiers = []\n",
            1,
        );
        assert_eq!(
            error_of(&toml),
            "websocket.connection_minute_tiers: at least one tier is required (the last one without up_to_millions)"
        );
    }

    #[test]
    fn an_unknown_key_is_named() {
        let toml = edited(
            "free_tier_messages = 1_000_000",
            "free_tier_mesages = 1_000_000",
        );
        let msg = error_of(&toml);
        assert!(msg.contains("unknown field `free_tier_mesages`"), "{msg}");
        assert!(msg.contains("line "), "{msg}");
    }

    #[test]
    fn an_unknown_section_is_named() {
        let toml = format!("{AWS_US_EAST_1_TOML}\n[lambda]\nprice = \"1\"\n");
        let msg = error_of(&toml);
        assert!(msg.contains("unknown field `lambda`"), "{msg}");
    }

    #[test]
    fn a_missing_key_is_named() {
        let toml = edited("integration_timeout_secs = 29\n", "");
        let msg = error_of(&toml);
        assert!(
            msg.contains("missing field `integration_timeout_secs`"),
            "{msg}"
        );
    }

    #[test]
    fn a_toml_syntax_error_shows_the_line() {
        let toml = edited("idle_timeout_secs = 600", "idle_timeout_secs = = 600");
        let line = AWS_US_EAST_1_TOML
            .lines()
            .position(|l| l.starts_with("idle_timeout_secs"))
            .unwrap()
            + 1;
        let msg = error_of(&toml);
        assert!(msg.contains(&format!("line {line}")), "{msg}");
        assert!(PriceBook::from_toml_str(&toml).unwrap_err().key().is_none());
    }

    #[test]
    fn a_wrong_type_is_reported_by_toml() {
        let toml = edited(
            "count_connect_disconnect = false",
            "count_connect_disconnect = \"no\"",
        );
        let msg = error_of(&toml);
        assert!(msg.contains("expected a boolean"), "{msg}");
        assert!(msg.contains("line "), "{msg}");
    }

    #[test]
    fn an_unknown_metering_basis_is_named() {
        let toml = edited("basis = \"sum\"", "basis = \"average\"");
        assert_eq!(
            error_of(&toml),
            "metering.basis: \"average\" is not one of \"sum\", \"max\", \"request\", \"response\""
        );
    }

    #[test]
    fn every_metering_basis_reads() {
        for basis in MeteringBasis::ALL {
            let toml = edited("basis = \"sum\"", &format!("basis = \"{basis}\""));
            assert_eq!(
                PriceBook::from_toml_str(&toml)
                    .unwrap()
                    .http_api
                    .metering_basis,
                basis
            );
        }
    }

    #[test]
    fn a_currency_other_than_usd_is_refused() {
        let toml = edited("currency = \"USD\"", "currency = \"EUR\"");
        let msg = error_of(&toml);
        assert!(
            msg.starts_with("meta.currency: \"EUR\" is not supported"),
            "{msg}"
        );
    }

    #[test]
    fn a_malformed_as_of_date_is_refused() {
        for bad in ["2026-13-01", "2026-11-1", "Nov 2026", "2026-11-00", ""] {
            let toml = edited("as_of = \"2026-11-01\"", &format!("as_of = \"{bad}\""));
            assert_eq!(
                error_of(&toml),
                format!("meta.as_of: {bad:?} is not a date YYYY-MM-DD")
            );
        }
    }

    #[test]
    fn an_empty_name_is_refused() {
        let toml = edited("name = \"aws-us-east-1\"", "name = \"  \"");
        assert_eq!(error_of(&toml), "meta.name: must not be empty");
    }

    #[test]
    fn a_duplicate_cache_size_names_both_entries() {
        let toml = edited("size_gb = \"1.6\"", "size_gb = \"0.50\"");
        assert_eq!(
            error_of(&toml),
            "rest_api.cache[1].size_gb: 0.50 GB is already listed as rest_api.cache[0]"
        );
    }

    #[test]
    fn a_zero_cache_size_is_refused() {
        let toml = edited("size_gb = \"237\"", "size_gb = \"0\"");
        assert_eq!(error_of(&toml), "rest_api.cache[7].size_gb: must be > 0");
    }

    #[test]
    fn a_zero_timeout_is_refused() {
        let toml = edited("idle_timeout_secs = 600", "idle_timeout_secs = 0");
        assert_eq!(error_of(&toml), "websocket.idle_timeout_secs: must be > 0");
    }

    #[test]
    fn an_empty_unbilled_error_type_is_refused() {
        let toml = edited("    \"THROTTLED\",\n", "    \"\",\n");
        assert_eq!(
            error_of(&toml),
            "unbilled_error_types[6]: must not be empty"
        );
    }

    #[test]
    fn a_streaming_increment_of_zero_is_refused_even_when_off() {
        let toml = edited("streaming_increment_mb = 10", "streaming_increment_mb = 0");
        assert_eq!(
            error_of(&toml),
            "rest_api.streaming_increment_mb: must be > 0"
        );
    }

    #[test]
    fn too_many_decimals_to_divide_by_a_million_are_refused() {
        let toml = edited(
            "price_per_million = \"1.51\"",
            "price_per_million = \"1.0000000000000000000000001\"",
        );
        let msg = error_of(&toml);
        assert!(
            msg.starts_with("rest_api.tiers[3].price_per_million: 1.0000000000000000000000001 has too many decimal places"),
            "{msg}"
        );
    }

    #[test]
    fn a_bound_too_large_for_u64_is_refused() {
        let toml = edited("up_to_gb = 153_600", "up_to_gb = 17_179_869_184");
        assert_eq!(
            error_of(&toml),
            "data_transfer_out.tiers[2].up_to_gb: 17179869184 is too large"
        );
    }
}
