//! The `gwcost compare` report: the same traffic priced as an HTTP API and as a REST API (with or
//! without a REST cache), month by month, with the money the 512 KB (HTTP) and 32 KB (WebSocket)
//! increments cost and the routes that cause it.
//!
//! [`CompareReport`] is computed once from an [`Analysis`], a [`PriceBook`] and
//! [`CompareOptions`]; every format (table, Markdown, JSON, CSV, infracost usage, HTML) is
//! rendered from that one value. Its `Serialize` form is the JSON contract of
//! `gwcost compare --format json` (schema_version 1): fields are only ever added.
//!
//! Every amount is exact (`Decimal`) except where a share has to be divided out, which is said
//! where it happens ([`RouteLine`], `savings_pct`).

use std::collections::BTreeMap;

use gwcost_analytics::{Analysis, Breakdown, SizeHistogram};
use gwcost_pricing::{
    BillOptions, MeteringBasis, PriceBook, PricingError, Tier, Usage, bill_month, rest_cache_cost,
    tiered_cost_after_free,
};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::analyze::{COMPARE_SCHEMA_VERSION as SCHEMA_VERSION, PriceBookLine};
use crate::projection::{MonthProjection, days_in_month};

/// Decimal places kept when a cost is divided out (per-route allocation). Far below a cent.
pub const ALLOCATION_DP: u32 = 12;

/// How to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompareOptions {
    pub free_tier: bool,
    /// A REST API cache of this size (GB, one of the price book's sizes) added to the REST side.
    pub rest_cache_gb: Option<Decimal>,
    /// Hours the cache is provisioned each month; `None` = every hour of each calendar month.
    pub cache_hours: Option<u64>,
    /// How many routes to name where oversize payloads cost money.
    pub top_routes: usize,
    /// How to price the same traffic on an ALB.
    pub alb: crate::front_door::AlbOptions,
    /// `--by`: the breakdowns to show beside the per-route lines (which JSON always has); the
    /// analysis must carry them.
    pub by: gwcost_analytics::Breakdowns,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            free_tier: false,
            rest_cache_gb: None,
            cache_hours: None,
            top_routes: 5,
            alb: crate::front_door::AlbOptions::default(),
            by: gwcost_analytics::Breakdowns::default(),
        }
    }
}

/// Why a comparison cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("--rest-cache: {0}")]
    Pricing(#[from] PricingError),
    /// More cache hours than the month has: a cache is billed per hour it exists, at most every
    /// hour of the month.
    #[error("--cache-hours {hours} is more than the {month_hours} hours of {month}")]
    CacheHoursPastMonth {
        hours: u64,
        month: String,
        month_hours: u64,
    },
}

/// What was read, and the time span it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompareInputs {
    pub files: u64,
    pub lines: u64,
    pub malformed_lines: u64,
    #[serde(flatten)]
    pub accounting: crate::Accounting,
    /// Bytes read, after decompression.
    pub bytes: u64,
    /// UTC date of the first and last event, `YYYY-MM-DD`.
    pub first_event: Option<String>,
    pub last_event: Option<String>,
}

/// The REST API cache priced on the REST side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CacheLine {
    pub size_gb: Decimal,
    pub per_hour_usd: Decimal,
    /// Hours billed each month when fixed by `--cache-hours`; `None`: every hour of the month.
    pub hours_per_month: Option<u64>,
}

/// The requests priced as an HTTP API.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct HttpSide {
    /// Every REQUEST event, billable or not (as in `gwcost analyze`).
    pub requests: u64,
    /// Metered 512 KB units of the billable requests.
    pub billed_units: u64,
    /// Exactly `gwcost analyze`'s `http_api.cost_usd`.
    pub cost_usd: Decimal,
    /// `cost_usd` + data transfer out.
    pub total_usd: Decimal,
}

/// The requests priced as a REST API, with the cache if one was asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct RestSide {
    pub requests: u64,
    /// Metered REST units (one per billable request unless streaming increments are on).
    pub billed_units: u64,
    /// Exactly `gwcost analyze`'s `rest_api.cost_usd`.
    pub cost_usd: Decimal,
    /// Hours of cache billed (zero without a cache).
    pub cache_hours: u64,
    pub cache_cost_usd: Decimal,
    /// `cost_usd` + `cache_cost_usd` + data transfer out.
    pub total_usd: Decimal,
}

/// Data transfer out: the same whichever API type serves the responses.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TransferSide {
    pub bytes: u64,
    pub cost_usd: Decimal,
}

/// WebSocket traffic: its own API type, the same on either side, so it is shown but not part of
/// the HTTP-vs-REST totals.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct WebSocketSide {
    pub connections: u64,
    pub messages: u64,
    /// Messages in 32 KB increments. JSON `billed_units` (schema 2; was `billed_messages`).
    #[serde(rename = "billed_units")]
    pub billed_messages: u64,
    pub connection_minutes: u64,
    pub cost_usd: Decimal,
}

/// One route's part in the increments' cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OversizeRoute {
    pub route: String,
    /// Requests (messages) of this route metered as more than one unit; `None` where the logs
    /// cannot tell (WebSocket).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    pub extra_units: u64,
    /// What would be saved if this route's payloads alone stayed within one increment, exactly:
    /// cost(units) − cost(units − this route's extra units), month by month.
    pub extra_cost_usd: Decimal,
}

/// Where the increments bite: payloads metered as more than one unit.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Oversize {
    /// Billable requests (HTTP) over one increment; for WebSocket `None`: the usage counters do
    /// not keep the number of messages over 32 KB, only their extra units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    /// Units billed beyond one per request (message).
    pub extra_units: u64,
    /// Exactly cost(actual units) − cost(units if every payload were one unit), month by month,
    /// at the month's own tier prices (and free tier): what staying within one increment saves.
    pub extra_cost_usd: Decimal,
    /// The routes with the most extra units, most first.
    pub top_routes: Vec<OversizeRoute>,
    /// What would be saved if the payloads of `top_routes` stayed within one increment, exactly.
    pub top_routes_savings_usd: Decimal,
}

/// One route's share of the month: requests, HTTP units, and costs allocated as the route's units
/// × the month's average unit price (month cost × route units / month units, rounded to
/// [`ALLOCATION_DP`] places when it does not divide exactly). The REST cache is per stage, not
/// per route, and is not allocated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteLine {
    pub route: String,
    pub requests: u64,
    /// HTTP API billed units of the line (the output vocabulary's `billed_units`, prefixed
    /// with the front door as in the CSV's other columns).
    #[serde(rename = "http_api_billed_units")]
    pub http_units: u64,
    #[serde(rename = "http_api_cost_usd")]
    pub http_cost_usd: Decimal,
    #[serde(rename = "rest_api_cost_usd")]
    pub rest_cost_usd: Decimal,
}

/// One stage's or status class's share over all months (`--by stage|status`), allocated like a
/// [`RouteLine`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyLine {
    pub key: String,
    pub requests: u64,
    /// HTTP API billed units of the line (the output vocabulary's `billed_units`, prefixed
    /// with the front door as in the CSV's other columns).
    #[serde(rename = "http_api_billed_units")]
    pub http_units: u64,
    #[serde(rename = "http_api_cost_usd")]
    pub http_cost_usd: Decimal,
    #[serde(rename = "rest_api_cost_usd")]
    pub rest_cost_usd: Decimal,
}

/// The comparison of one period (a month or the total).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Comparison {
    pub http_api: HttpSide,
    pub rest_api: RestSide,
    pub data_transfer_out: TransferSide,
    pub websocket: WebSocketSide,
    /// REST total − HTTP total (positive: HTTP API is cheaper); exact.
    pub savings_usd: Decimal,
    /// `savings_usd` as a percentage of the REST total, rounded half-even to 2 places; `None`
    /// when the REST total is zero.
    pub savings_pct: Option<Decimal>,
    /// The 512 KB increments of HTTP API.
    pub oversize: Oversize,
    /// WebSocket's 32 KB increments, when there is WebSocket traffic with extra units to show.
    pub websocket_oversize: Option<Oversize>,
    /// The same traffic on an Application Load Balancer (when the price book has ALB prices).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alb: Option<crate::front_door::AlbSide>,
}

/// One UTC calendar month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompareMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// Hours in this calendar month (what an always-on cache is billed for).
    pub hours: u64,
    #[serde(flatten)]
    pub comparison: Comparison,
    /// Per route, busiest first.
    pub routes: Vec<RouteLine>,
    /// With a projection: what this month was scaled by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection: Option<MonthProjection>,
    /// With a projection: the month as observed (the comparison above is `projected`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed: Option<Comparison>,
    /// With a projection: the month as projected (the same as the comparison above).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projected: Option<Comparison>,
}

/// One UTC day's billed units (for the daily chart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayLine {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub requests: u64,
    pub http_units: u64,
    pub rest_units: u64,
    pub ws_message_units: u64,
}

/// One power-of-two bucket of metered payload sizes: `[min_bytes, max_bytes]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SizeBucket {
    pub min_bytes: u64,
    pub max_bytes: u64,
    pub count: u64,
}

/// Metered payload sizes, bucketed by powers of two (so 32 KB and 512 KB are bucket edges).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PayloadSizes {
    /// HTTP requests' metered bytes (the metering basis, or `dataProcessed`).
    pub http: Vec<SizeBucket>,
    /// WebSocket messages with a logged size.
    pub websocket: Vec<SizeBucket>,
}

/// The `gwcost compare` report; `Serialize` is the JSON contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompareReport {
    pub schema_version: u32,
    pub currency: String,
    pub price_book: PriceBookLine,
    pub free_tier: bool,
    pub metering_basis: MeteringBasis,
    pub rest_cache: Option<CacheLine>,
    pub inputs: CompareInputs,
    /// One line: which API type is cheaper for this traffic, by how much, or why REST stays.
    pub verdict: String,
    pub months: Vec<CompareMonth>,
    /// Sums of the months (tiers restart every month, so never the bill of summed usage). Its
    /// oversize routes are ranked over all months.
    pub total: Comparison,
    /// With a projection: the sums of the observed months (`total` is projected).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_total: Option<Comparison>,
    /// Per route over all months (sums of the monthly allocations), busiest first.
    pub routes: Vec<RouteLine>,
    /// `--by stage`: per stage over all months, busiest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_stage: Option<Vec<KeyLine>>,
    /// `--by status`: per status class over all months, busiest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_status: Option<Vec<KeyLine>>,
    /// `--by` as asked (CSV adds the per-route rows only when `route` was asked).
    #[serde(skip)]
    pub by: gwcost_analytics::Breakdowns,
    pub daily: Vec<DayLine>,
    pub payload_sizes: PayloadSizes,
    /// How the ALB was priced (when the price book has ALB prices).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alb: Option<AlbSetup>,
    /// Which of HTTP API, REST API and the ALB is cheapest, and the break-even multiple.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub front_door: Option<crate::front_door::FrontDoor>,
    /// What a reader should know to trust the numbers.
    pub notes: Vec<String>,
}

/// How the ALB side was priced (JSON `alb`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlbSetup {
    pub target: gwcost_pricing::AlbTarget,
    /// Rules processed per request (the first 10 are free).
    pub rules: u64,
    /// `flag` (--alb-rules) or `routes` (one per route seen).
    pub rules_from: String,
    /// Requests per client connection assumed where the logs name none.
    pub requests_per_connection: u64,
    pub price_per_alb_hour_usd: Decimal,
    pub price_per_lcu_hour_usd: Decimal,
    /// Where the ALB prices come from.
    pub source: String,
}

fn pct(part: Decimal, whole: Decimal) -> Option<Decimal> {
    if whole.is_zero() {
        return None;
    }
    part.checked_mul(Decimal::ONE_HUNDRED)
        .and_then(|p| p.checked_div(whole))
        .map(|p| {
            p.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven)
                .normalize()
        })
}

/// `cost × part / whole`, exact when it divides, else rounded to [`ALLOCATION_DP`] places.
fn allocate(cost: Decimal, part: u64, whole: u64) -> Decimal {
    if whole == 0 || part == 0 {
        return Decimal::ZERO;
    }
    match cost
        .checked_mul(Decimal::from(part))
        .and_then(|c| c.checked_div(Decimal::from(whole)))
    {
        Some(share) => {
            let rounded =
                share.round_dp_with_strategy(ALLOCATION_DP, RoundingStrategy::MidpointNearestEven);
            rounded.normalize()
        }
        None => Decimal::ZERO,
    }
}

/// A tier table with its free allowance, priced exactly.
struct Priced<'a> {
    tiers: &'a [Tier],
    free: u64,
}

impl Priced<'_> {
    fn cost(&self, units: u64) -> Decimal {
        tiered_cost_after_free(units, self.free, self.tiers)
    }

    /// What removing `extra` of the month's `units` would save, exactly.
    fn saving(&self, units: u64, extra: u64) -> Decimal {
        self.cost(units) - self.cost(units.saturating_sub(extra))
    }
}

/// Extra units of one breakdown entry, per the increment kind.
type ExtraOf = fn(&Usage) -> u64;

fn http_extra(u: &Usage) -> u64 {
    u.http_units.saturating_sub(u.billable_requests)
}

fn ws_extra(u: &Usage) -> u64 {
    u.ws_message_units.saturating_sub(u.ws_messages)
}

/// Per-route extra units of one month, for one increment kind.
fn route_extras(by_route: Option<&Breakdown>, extra_of: ExtraOf) -> BTreeMap<String, (u64, u64)> {
    let mut out = BTreeMap::new();
    for (route, u) in by_route.into_iter().flatten() {
        let extra = extra_of(u);
        if extra > 0 {
            out.insert(route.clone(), (extra, u.oversize_requests));
        }
    }
    out
}

/// The top `n` routes by extra units (ties by name), given per-route extra units.
fn top_by_extra(extras: &BTreeMap<String, u64>, n: usize) -> Vec<String> {
    let mut v: Vec<(&String, &u64)> = extras.iter().filter(|(_, e)| **e > 0).collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    v.into_iter().take(n).map(|(r, _)| r.clone()).collect()
}

/// One month's increments, for one kind: total units, extra units, and per-route extras.
struct MonthIncrements<'a> {
    priced: Priced<'a>,
    units: u64,
    extra: u64,
    requests: Option<u64>,
    /// route → (extra units, oversize requests)
    routes: BTreeMap<String, (u64, u64)>,
}

/// The oversize section of a set of months (one month, or all of them for the total).
fn oversize_of(months: &[MonthIncrements<'_>], top_n: usize, count_requests: bool) -> Oversize {
    let mut route_extra: BTreeMap<String, u64> = BTreeMap::new();
    for m in months {
        for (r, (e, _)) in &m.routes {
            *route_extra.entry(r.clone()).or_default() += e;
        }
    }
    let top = top_by_extra(&route_extra, top_n);
    let top_routes = top
        .iter()
        .map(|route| {
            let mut extra_units = 0;
            let mut requests = 0;
            let mut extra_cost_usd = Decimal::ZERO;
            for m in months {
                if let Some((e, reqs)) = m.routes.get(route) {
                    extra_units += e;
                    requests += reqs;
                    extra_cost_usd += m.priced.saving(m.units, *e);
                }
            }
            OversizeRoute {
                route: route.clone(),
                requests: count_requests.then_some(requests),
                extra_units,
                extra_cost_usd,
            }
        })
        .collect();
    let top_routes_savings_usd = months
        .iter()
        .map(|m| {
            let e: u64 = top
                .iter()
                .filter_map(|r| m.routes.get(r).map(|(e, _)| *e))
                .sum();
            m.priced.saving(m.units, e)
        })
        .sum();
    Oversize {
        requests: if count_requests {
            Some(months.iter().filter_map(|m| m.requests).sum())
        } else {
            None
        },
        extra_units: months.iter().map(|m| m.extra).sum(),
        extra_cost_usd: months
            .iter()
            .map(|m| m.priced.saving(m.units, m.extra))
            .sum(),
        top_routes,
        top_routes_savings_usd,
    }
}

fn add_comparison(total: &mut Comparison, c: &Comparison) {
    let h = &mut total.http_api;
    h.requests += c.http_api.requests;
    h.billed_units += c.http_api.billed_units;
    h.cost_usd += c.http_api.cost_usd;
    h.total_usd += c.http_api.total_usd;
    let r = &mut total.rest_api;
    r.requests += c.rest_api.requests;
    r.billed_units += c.rest_api.billed_units;
    r.cost_usd += c.rest_api.cost_usd;
    r.cache_hours += c.rest_api.cache_hours;
    r.cache_cost_usd += c.rest_api.cache_cost_usd;
    r.total_usd += c.rest_api.total_usd;
    total.data_transfer_out.bytes += c.data_transfer_out.bytes;
    total.data_transfer_out.cost_usd += c.data_transfer_out.cost_usd;
    if let Some(a) = &c.alb {
        match &mut total.alb {
            Some(t) => t.add(a),
            None => total.alb = Some(a.clone()),
        }
    }
    let w = &mut total.websocket;
    w.connections += c.websocket.connections;
    w.messages += c.websocket.messages;
    w.billed_messages += c.websocket.billed_messages;
    w.connection_minutes += c.websocket.connection_minutes;
    w.cost_usd += c.websocket.cost_usd;
    total.savings_usd += c.savings_usd;
}

/// One breakdown's lines of a month, costs allocated like the routes', added into `totals`.
fn add_key_lines(
    totals: &mut BTreeMap<String, KeyLine>,
    b: Option<&Breakdown>,
    http_cost: Decimal,
    rest_cost: Decimal,
    month: &gwcost_analytics::MonthUsage,
) {
    let usage = &month.usage;
    for (key, u) in b.into_iter().flatten().filter(|(_, u)| u.requests > 0) {
        let t = totals.entry(key.clone()).or_insert_with(|| KeyLine {
            key: key.clone(),
            requests: 0,
            http_units: 0,
            http_cost_usd: Decimal::ZERO,
            rest_cost_usd: Decimal::ZERO,
        });
        t.requests += u.requests;
        t.http_units += u.http_units;
        t.http_cost_usd += allocate(http_cost, u.http_units, usage.http_units);
        t.rest_cost_usd += allocate(rest_cost, u.rest_units, usage.rest_units);
    }
}

/// Busiest first, like [`sort_routes`].
fn sorted_key_lines(totals: BTreeMap<String, KeyLine>) -> Vec<KeyLine> {
    let mut v: Vec<KeyLine> = totals.into_values().collect();
    v.sort_by(|a, b| {
        b.http_units
            .cmp(&a.http_units)
            .then_with(|| b.requests.cmp(&a.requests))
            .then_with(|| a.key.cmp(&b.key))
    });
    v
}

fn sort_routes(routes: &mut [RouteLine]) {
    routes.sort_by(|a, b| {
        b.http_units
            .cmp(&a.http_units)
            .then_with(|| b.requests.cmp(&a.requests))
            .then_with(|| a.route.cmp(&b.route))
    });
}

fn buckets(h: &SizeHistogram) -> Vec<SizeBucket> {
    h.non_empty()
        .into_iter()
        .map(|(min_bytes, max_bytes, count)| SizeBucket {
            min_bytes,
            max_bytes,
            count,
        })
        .collect()
}

impl CompareReport {
    /// Compares every month of `analysis` priced with `book`.
    ///
    /// Per-route lines and oversize routes need the analysis to carry the route breakdown
    /// (`Breakdowns { route: true, .. }`); without it those lists are empty.
    pub fn new(
        analysis: &Analysis,
        book: &PriceBook,
        opts: &CompareOptions,
    ) -> Result<Self, CompareError> {
        let bill_opts = BillOptions {
            free_tier: opts.free_tier,
        };
        let free = |amount: u64| if opts.free_tier { amount } else { 0 };
        let http_priced = || Priced {
            tiers: &book.http_api.tiers,
            free: free(book.http_api.free_tier_requests),
        };
        let ws_priced = || Priced {
            tiers: &book.websocket.message_tiers,
            free: free(book.websocket.free_tier_messages),
        };
        // Connect/disconnect events counted as messages add units without adding messages, so
        // units − messages would not be the 32 KB increments' extra units.
        let ws_extra_known = !book.websocket.count_connect_disconnect;

        let rest_cache = match opts.rest_cache_gb {
            Some(size_gb) => {
                // Validates the size (an unknown size lists the sizes on offer).
                let per_hour_usd = rest_cache_cost(book, size_gb, 1)?;
                Some(CacheLine {
                    size_gb,
                    per_hour_usd,
                    hours_per_month: opts.cache_hours,
                })
            }
            None => None,
        };

        let routes_seen = analysis
            .months
            .values()
            .filter_map(|m| m.by_route.as_ref())
            .flat_map(|b| b.keys())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let alb_rules = opts
            .alb
            .rules
            .unwrap_or_else(|| u64::try_from(routes_seen).unwrap_or(u64::MAX));
        let alb_months = book
            .alb
            .as_ref()
            .map(|p| crate::front_door::alb_months(analysis, p, &opts.alb, alb_rules))
            .unwrap_or_default();

        let mut months = Vec::with_capacity(analysis.months.len());
        let mut http_incs = Vec::new();
        let mut ws_incs = Vec::new();
        let mut total = Comparison::default();
        let mut route_totals: BTreeMap<String, RouteLine> = BTreeMap::new();
        let mut stage_totals: BTreeMap<String, KeyLine> = BTreeMap::new();
        let mut status_totals: BTreeMap<String, KeyLine> = BTreeMap::new();

        for (month, mu) in &analysis.months {
            let usage = &mu.usage;
            let bill = bill_month(usage, book, bill_opts);
            let hours = u64::from(days_in_month(month.year, month.month)) * 24;
            let (cache_hours, cache_cost_usd) = match &rest_cache {
                Some(c) => {
                    let h = c.hours_per_month.unwrap_or(hours);
                    if h > hours {
                        return Err(CompareError::CacheHoursPastMonth {
                            hours: h,
                            month: month.to_string(),
                            month_hours: hours,
                        });
                    }
                    (h, rest_cache_cost(book, c.size_gb, h)?)
                }
                None => (0, Decimal::ZERO),
            };
            let dto = bill.data_transfer_out.cost_usd;
            let http_api = HttpSide {
                requests: usage.requests,
                billed_units: bill.http_api.billed_requests,
                cost_usd: bill.http_api.cost_usd,
                total_usd: bill.http_api.cost_usd + dto,
            };
            let rest_api = RestSide {
                requests: usage.requests,
                billed_units: bill.rest_api.billed_requests,
                cost_usd: bill.rest_api.cost_usd,
                cache_hours,
                cache_cost_usd,
                total_usd: bill.rest_api.cost_usd + cache_cost_usd + dto,
            };
            let savings_usd = (rest_api.total_usd - http_api.total_usd).normalize();
            let savings_pct = pct(savings_usd, rest_api.total_usd);

            let http_inc = MonthIncrements {
                priced: http_priced(),
                units: usage.http_units,
                extra: http_extra(usage),
                requests: Some(usage.oversize_requests),
                routes: route_extras(mu.by_route.as_ref(), http_extra),
            };
            let ws_inc = MonthIncrements {
                priced: ws_priced(),
                units: usage.ws_message_units,
                extra: ws_extra(usage),
                requests: None,
                routes: route_extras(mu.by_route.as_ref(), ws_extra),
            };
            let oversize = oversize_of(std::slice::from_ref(&http_inc), opts.top_routes, true);
            let websocket_oversize = (ws_extra_known && ws_inc.extra > 0)
                .then(|| oversize_of(std::slice::from_ref(&ws_inc), opts.top_routes, false));

            let comparison = Comparison {
                http_api,
                rest_api,
                data_transfer_out: TransferSide {
                    bytes: bill.data_transfer_out.bytes,
                    cost_usd: dto,
                },
                websocket: WebSocketSide {
                    connections: bill.websocket.connections,
                    messages: bill.websocket.messages,
                    billed_messages: bill.websocket.billed_messages,
                    connection_minutes: bill.websocket.connection_minutes,
                    cost_usd: bill.websocket.cost_usd,
                },
                savings_pct,
                savings_usd,
                oversize,
                websocket_oversize,
                alb: alb_months.get(month).map(|a| {
                    let mut a = a.clone();
                    a.total_usd += dto;
                    a
                }),
            };
            add_comparison(&mut total, &comparison);

            let mut routes: Vec<RouteLine> = mu
                .by_route
                .iter()
                .flatten()
                .filter(|(_, u)| u.requests > 0)
                .map(|(route, u)| RouteLine {
                    route: route.clone(),
                    requests: u.requests,
                    http_units: u.http_units,
                    http_cost_usd: allocate(bill.http_api.cost_usd, u.http_units, usage.http_units),
                    rest_cost_usd: allocate(bill.rest_api.cost_usd, u.rest_units, usage.rest_units),
                })
                .collect();
            sort_routes(&mut routes);
            for r in &routes {
                let t = route_totals
                    .entry(r.route.clone())
                    .or_insert_with(|| RouteLine {
                        route: r.route.clone(),
                        requests: 0,
                        http_units: 0,
                        http_cost_usd: Decimal::ZERO,
                        rest_cost_usd: Decimal::ZERO,
                    });
                t.requests += r.requests;
                t.http_units += r.http_units;
                t.http_cost_usd += r.http_cost_usd;
                t.rest_cost_usd += r.rest_cost_usd;
            }

            for (totals, b) in [
                (&mut stage_totals, mu.by_stage.as_ref()),
                (&mut status_totals, mu.by_status.as_ref()),
            ] {
                add_key_lines(
                    totals,
                    b,
                    bill.http_api.cost_usd,
                    bill.rest_api.cost_usd,
                    mu,
                );
            }
            http_incs.push(http_inc);
            ws_incs.push(ws_inc);
            months.push(CompareMonth {
                month: month.to_string(),
                hours,
                comparison,
                routes,
                projection: None,
                observed: None,
                projected: None,
            });
        }

        total.savings_usd = total.savings_usd.normalize();
        total.savings_pct = pct(total.savings_usd, total.rest_api.total_usd);
        total.oversize = oversize_of(&http_incs, opts.top_routes, true);
        let ws_extra_total: u64 = ws_incs.iter().map(|m| m.extra).sum();
        total.websocket_oversize = (ws_extra_known && ws_extra_total > 0)
            .then(|| oversize_of(&ws_incs, opts.top_routes, false));

        let mut routes: Vec<RouteLine> = route_totals.into_values().collect();
        sort_routes(&mut routes);

        let daily = analysis
            .days
            .iter()
            .map(|(day, u)| DayLine {
                day: day.to_string(),
                requests: u.requests,
                http_units: u.http_units,
                rest_units: u.rest_units,
                ws_message_units: u.ws_message_units,
            })
            .collect();

        let i = &analysis.inputs;
        let date =
            |ms: Option<i64>| ms.map(|ms| gwcost_analytics::Day::of_epoch_ms(ms).to_string());
        let mut report = Self {
            schema_version: SCHEMA_VERSION,
            currency: book.meta.currency.clone(),
            price_book: PriceBookLine::of(book),
            free_tier: opts.free_tier,
            metering_basis: analysis.metering_basis,
            rest_cache,
            inputs: CompareInputs {
                files: i.files,
                lines: i.lines,
                malformed_lines: i.malformed_lines,
                accounting: crate::Accounting::of(i),
                bytes: i.bytes,
                first_event: date(i.first_event_ms),
                last_event: date(i.last_event_ms),
            },
            verdict: String::new(),
            months,
            total,
            observed_total: None,
            routes,
            by_stage: opts.by.stage.then(|| sorted_key_lines(stage_totals)),
            by_status: opts.by.status.then(|| sorted_key_lines(status_totals)),
            by: opts.by,
            daily,
            payload_sizes: PayloadSizes {
                http: buckets(&analysis.http_sizes),
                websocket: buckets(&analysis.ws_sizes),
            },
            alb: book.alb.as_ref().map(|p| AlbSetup {
                target: opts.alb.target,
                rules: alb_rules,
                rules_from: if opts.alb.rules.is_some() {
                    "flag"
                } else {
                    "routes"
                }
                .to_owned(),
                requests_per_connection: opts.alb.requests_per_connection,
                price_per_alb_hour_usd: p.per_alb_hour,
                price_per_lcu_hour_usd: p.per_lcu_hour,
                source: p.source.clone(),
            }),
            front_door: None,
            notes: Vec::new(),
        };
        report.front_door = report.total.alb.as_ref().and_then(|a| {
            crate::front_door::front_door(
                analysis,
                book,
                opts.free_tier,
                report.total.rest_api.cache_cost_usd,
                a,
            )
        });
        report.verdict = verdict(&report);
        report.notes = notes(&report, analysis, book, ws_extra_known);
        Ok(report)
    }
}

impl CompareReport {
    /// The comparison of `projected` traffic with the `observed` figures beside it (see
    /// [`crate::AnalyzeReport::with_observed`]); an empty `said` leaves the report as it is.
    pub fn with_observed(mut self, observed: &CompareReport, said: &[MonthProjection]) -> Self {
        if said.is_empty() {
            return self;
        }
        for m in &mut self.months {
            m.projection = said.iter().find(|p| p.month == m.month).cloned();
            m.observed = observed
                .months
                .iter()
                .find(|o| o.month == m.month)
                .map(|o| o.comparison.clone());
            m.projected = Some(m.comparison.clone());
        }
        self.observed_total = Some(observed.total.clone());
        self.notes.push(crate::render::PROJECTION_NOTE.to_owned());
        self.notes.push(
            "Payload-size charts count the observed requests and messages (their shape is the \
             same at any scale)."
                .to_owned(),
        );
        self
    }
}

/// A percentage for people: one decimal place, half-even.
pub(crate) fn format_pct(p: Decimal) -> String {
    format!(
        "{:.1}%",
        p.round_dp_with_strategy(1, RoundingStrategy::MidpointNearestEven)
    )
}

/// The one-line answer.
fn verdict(r: &CompareReport) -> String {
    use crate::compare_render::format_usd;
    let t = &r.total;
    let n = r.months.len();
    if t.http_api.requests == 0 {
        return "No HTTP/REST requests in the input: nothing to compare.".to_owned();
    }
    let per_month = |amount: Decimal| {
        if n <= 1 {
            format!("{}/month", format_usd(amount))
        } else {
            format!(
                "{}/month on average over {n} months",
                format_usd(amount / Decimal::from(n as u64))
            )
        }
    };
    let share = t
        .savings_pct
        .map(|p| format!(" ({} of the REST API bill)", format_pct(p.abs())))
        .unwrap_or_default();
    let cache = if r.rest_cache.is_some() {
        " with its cache"
    } else {
        ""
    };
    if t.savings_usd > Decimal::ZERO {
        format!("HTTP API saves {}{share}.", per_month(t.savings_usd))
    } else if t.savings_usd < Decimal::ZERO {
        let why = if t.oversize.extra_cost_usd > Decimal::ZERO {
            format!(
                ": {} request{} over 512 KB are metered as {} extra HTTP requests ({})",
                crate::money::format_count(t.oversize.requests.unwrap_or(0)),
                if t.oversize.requests == Some(1) {
                    ""
                } else {
                    "s"
                },
                crate::money::format_count(t.oversize.extra_units),
                format_usd(t.oversize.extra_cost_usd)
            )
        } else {
            String::new()
        };
        format!(
            "REST API{cache} stays cheaper by {}{share}{why}.",
            per_month(-t.savings_usd)
        )
    } else {
        format!("HTTP API and REST API{cache} cost the same for this traffic.")
    }
}

fn notes(
    r: &CompareReport,
    analysis: &Analysis,
    book: &PriceBook,
    ws_extra_known: bool,
) -> Vec<String> {
    let mut out = vec![
        "Savings = REST total (requests + cache + data transfer out) − HTTP total (requests + \
         data transfer out); data transfer out is the same for both. WebSocket is its own API \
         type and is shown apart."
            .to_owned(),
        "HTTP API meters each request in 512 KB increments; REST API bills one request each. \
         REST stays needed for features HTTP APIs lack (API keys and usage plans, caching, \
         request validation, AWS WAF, private endpoints)."
            .to_owned(),
        format!(
            "Per-route costs are the route's units × the month's average unit price (rounded to \
             {ALLOCATION_DP} decimal places where that does not divide exactly); the REST cache \
             is per stage and not allocated to routes."
        ),
    ];
    if r.total.data_transfer_out.bytes > 0 {
        out.extend(r.price_book.transfer_note());
    }
    if let Some(f) = &r.front_door {
        out.push(f.sentence.clone());
    }
    match (&r.alb, &r.total.alb) {
        (Some(setup), Some(a)) => {
            let target = match setup.target {
                gwcost_pricing::AlbTarget::Instance => "instance/IP targets, 1 GB per LCU-hour",
                gwcost_pricing::AlbTarget::Lambda => "Lambda targets, 0.4 GB per LCU-hour",
            };
            out.push(format!(
                "ALB ({target}; {} rule{} per request, from {}; ${}/ALB-hour, ${}/LCU-hour): \
                 {} hours and {} LCU-hours, ${} before data transfer out; dominant dimension: {}.",
                setup.rules,
                if setup.rules == 1 { "" } else { "s" },
                if setup.rules_from == "flag" {
                    "--alb-rules"
                } else {
                    "the routes seen"
                },
                setup.price_per_alb_hour_usd.normalize(),
                setup.price_per_lcu_hour_usd.normalize(),
                a.hours,
                a.lcu_hours.round_dp(4).normalize(),
                a.cost_usd.round_dp(2),
                a.dominant.map_or("none (no traffic)", |d| d.as_str()),
            ));
            if a.assumed_connection_requests > 0 {
                out.push(format!(
                    "{} request{} named no client connection (API Gateway's logs do not): the ALB \
                     is priced as if every {} request{} opened a new connection, active for one \
                     minute (--alb-requests-per-connection).",
                    crate::money::format_count(a.assumed_connection_requests),
                    if a.assumed_connection_requests == 1 {
                        ""
                    } else {
                        "s"
                    },
                    setup.requests_per_connection,
                    if setup.requests_per_connection == 1 {
                        ""
                    } else {
                        "s"
                    },
                ));
            }
        }
        _ => {
            out.push("The price book has no ALB prices ([alb]): the ALB is not priced.".to_owned())
        }
    }
    if let Some(c) = &r.rest_cache {
        out.push(match c.hours_per_month {
            Some(h) => format!(
                "REST cache {} GB at ${}/hour, billed {} hours a month (--cache-hours).",
                c.size_gb,
                c.per_hour_usd.normalize(),
                h
            ),
            None => format!(
                "REST cache {} GB at ${}/hour, billed every hour of each calendar month.",
                c.size_gb,
                c.per_hour_usd.normalize()
            ),
        });
    }
    if analysis.months.values().any(|m| m.by_route.is_none()) && !analysis.months.is_empty() {
        out.push("The analysis carried no per-route breakdown: routes are not shown.".to_owned());
    }
    if r.total.websocket.billed_messages > 0 && !ws_extra_known {
        out.push(
            "Connect/disconnect events are billed as messages in this price book: WebSocket's \
             32 KB extra units are not separated."
                .to_owned(),
        );
    }
    if r.total.websocket_oversize.is_some() {
        out.push(
            "WebSocket messages over 32 KB are not counted one by one (the usage counters keep \
             their extra units only), so the 32 KB tables show units and cost, not messages."
                .to_owned(),
        );
    }
    if analysis.inputs.ws_message_sizes_unknown > 0 {
        out.push(format!(
            "{} WebSocket message{} had no size in the logs: billed as one 32 KB unit each.",
            crate::money::format_count(analysis.inputs.ws_message_sizes_unknown),
            if analysis.inputs.ws_message_sizes_unknown == 1 {
                ""
            } else {
                "s"
            }
        ));
    }
    if r.free_tier {
        out.push(format!(
            "Free tier on: the first {} HTTP API and {} REST API requests of each month are free.",
            crate::money::format_count(book.http_api.free_tier_requests),
            crate::money::format_count(book.rest_api.free_tier_requests)
        ));
    }
    out.extend(r.inputs.accounting.notes(analysis.inputs.lines));
    if analysis.inputs.malformed_lines > 0 {
        out.push(format!(
            "{} malformed line{} skipped.",
            crate::money::format_count(analysis.inputs.malformed_lines),
            if analysis.inputs.malformed_lines == 1 {
                ""
            } else {
                "s"
            }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_lengths() {
        assert_eq!(days_in_month(2026, 9) * 24, 720);
        assert_eq!(days_in_month(2026, 10) * 24, 744);
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
    }

    #[test]
    fn allocation_is_exact_when_it_divides() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(allocate(d("3.5"), 1, 2), d("1.75"));
        assert_eq!(allocate(d("1"), 1, 3), d("0.333333333333"));
        assert_eq!(allocate(d("1"), 0, 3), Decimal::ZERO);
        assert_eq!(allocate(d("1"), 3, 0), Decimal::ZERO);
    }

    #[test]
    fn percent_is_rounded_to_two_places() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(pct(d("1"), d("3")), Some(d("33.33")));
        assert_eq!(pct(d("1"), Decimal::ZERO), None);
        assert_eq!(format_pct(d("71.4285")), "71.4%");
    }
}
