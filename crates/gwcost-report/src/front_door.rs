//! The third front door: the observed traffic priced on an Application Load Balancer, hour by
//! hour, beside HTTP API and REST API; which of the three is cheapest, and the multiple of this
//! traffic (same mix) at which that changes, computed with the real tiers.
//!
//! Data transfer out is charged the same on all three, so it is left out of the choice (it is in
//! each side's `total_usd`). API Gateway's WebSocket charges add to either API Gateway side; an
//! ALB carries WebSocket traffic as connections and bytes, with no message fee.

use std::collections::BTreeMap;

use gwcost_analytics::{AlbTraffic, Analysis, Day, Month};
use gwcost_pricing::{
    AlbBill, AlbHour, AlbPrices, AlbTarget, BillOptions, Factor, LcuDimension, PriceBook, alb_bill,
    bill_month,
};
use rust_decimal::Decimal;
use serde::Serialize;

/// How to price the ALB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlbOptions {
    pub target: AlbTarget,
    /// Rules processed per request; `None`: one per route seen.
    pub rules: Option<u64>,
    /// For requests whose log line names no client connection (API Gateway's own logs): how
    /// many requests one client connection carries. Each assumed connection is new in the
    /// hour of its requests and active one minute.
    pub requests_per_connection: u64,
}

impl Default for AlbOptions {
    fn default() -> Self {
        Self {
            target: AlbTarget::Instance,
            rules: None,
            requests_per_connection: 1,
        }
    }
}

/// One period's ALB bill (JSON `months[].alb`, `total.alb`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlbSide {
    /// Hours of the fixed fee: every hour of the month (an ALB is billed while it exists).
    pub hours: u64,
    pub lcu_hours: Decimal,
    pub hourly_fee_usd: Decimal,
    pub lcu_cost_usd: Decimal,
    /// `hourly_fee_usd` + `lcu_cost_usd`; exact.
    pub cost_usd: Decimal,
    /// LCU-hours of each dimension summed over the hours (each hour bills its largest only).
    pub new_connections_lcu_hours: Decimal,
    pub active_connections_lcu_hours: Decimal,
    pub processed_bytes_lcu_hours: Decimal,
    pub rule_evaluations_lcu_hours: Decimal,
    /// The dimension largest in the most hours with traffic.
    pub dominant: Option<LcuDimension>,
    /// Requests whose connection was assumed (their log line names none).
    pub assumed_connection_requests: u64,
    /// `cost_usd` + data transfer out.
    pub total_usd: Decimal,
}

impl AlbSide {
    fn of(b: AlbBill, assumed: u64) -> Self {
        Self {
            hours: b.hours,
            lcu_hours: b.lcu_hours,
            hourly_fee_usd: b.hourly_fee_usd,
            lcu_cost_usd: b.lcu_cost_usd,
            cost_usd: b.cost_usd,
            new_connections_lcu_hours: b.new_connections_lcu_hours,
            active_connections_lcu_hours: b.active_connections_lcu_hours,
            processed_bytes_lcu_hours: b.processed_bytes_lcu_hours,
            rule_evaluations_lcu_hours: b.rule_evaluations_lcu_hours,
            dominant: b.dominant,
            assumed_connection_requests: assumed,
            // Data transfer out is added by the caller, which prices it.
            total_usd: b.cost_usd,
        }
    }

    pub(crate) fn add(&mut self, o: &AlbSide) {
        self.hours += o.hours;
        self.lcu_hours += o.lcu_hours;
        self.hourly_fee_usd += o.hourly_fee_usd;
        self.lcu_cost_usd += o.lcu_cost_usd;
        self.cost_usd += o.cost_usd;
        self.new_connections_lcu_hours += o.new_connections_lcu_hours;
        self.active_connections_lcu_hours += o.active_connections_lcu_hours;
        self.processed_bytes_lcu_hours += o.processed_bytes_lcu_hours;
        self.rule_evaluations_lcu_hours += o.rule_evaluations_lcu_hours;
        self.assumed_connection_requests += o.assumed_connection_requests;
        self.total_usd += o.total_usd;
        // The total's dominant dimension: the one with the most LCU-hours.
        let dims = [
            (LcuDimension::NewConnections, self.new_connections_lcu_hours),
            (
                LcuDimension::ActiveConnections,
                self.active_connections_lcu_hours,
            ),
            (LcuDimension::ProcessedBytes, self.processed_bytes_lcu_hours),
            (
                LcuDimension::RuleEvaluations,
                self.rule_evaluations_lcu_hours,
            ),
        ];
        self.dominant = self.dominant.or(o.dominant).map(|d| {
            dims.into_iter()
                .fold((d, Decimal::MIN), |b, x| if x.1 > b.1 { x } else { b })
                .0
        });
    }
}

/// The hours of `month` in `traffic`, each with the documented connection assumption applied
/// to the requests that name no connection.
fn month_hours(traffic: &AlbTraffic, month: Month, rpc: u64) -> (Vec<AlbHour>, u64) {
    let mut assumed = 0;
    let hours = traffic
        .iter()
        .filter(|(ms, _)| Day::of_epoch_ms(**ms).month() == month)
        .map(|(_, t)| {
            assumed += t.requests_without_connection;
            let conns = t.requests_without_connection.div_ceil(rpc.max(1));
            AlbHour {
                new_connections: t.new_connections + conns,
                active_connection_minutes: t.active_connection_minutes + conns,
                processed_bytes: t.processed_bytes,
                requests: t.requests,
            }
        })
        .collect();
    (hours, assumed)
}

/// The ALB's bill of each month of `analysis` (every hour of the month pays the fee).
pub(crate) fn alb_months(
    analysis: &Analysis,
    prices: &AlbPrices,
    opts: &AlbOptions,
    rules: u64,
) -> BTreeMap<Month, AlbSide> {
    analysis
        .months
        .keys()
        .map(|m| {
            let (hours, assumed) =
                month_hours(&analysis.alb_hours, *m, opts.requests_per_connection);
            let month_hours = u64::from(crate::projection::days_in_month(m.year, m.month)) * 24;
            let bill = alb_bill(&hours, month_hours, prices, opts.target, rules);
            (*m, AlbSide::of(bill, assumed))
        })
        .collect()
}

/// Which front door is cheapest, and until when (JSON `front_door`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrontDoor {
    /// `http_api`, `rest_api` or `alb`: the cheapest for this traffic.
    pub cheapest: String,
    /// Each front door's cost for this traffic (requests, cache, WebSocket, ALB hours and LCU;
    /// without data transfer out, which is the same on all three).
    pub http_api_usd: Decimal,
    pub rest_api_usd: Decimal,
    pub alb_usd: Decimal,
    /// The multiple of this traffic (same mix, rounded to 2 decimals) above which another front
    /// door is cheapest; `None` when none is up to ×1,000,000.
    pub break_even_multiple: Option<Decimal>,
    /// The front door cheapest above that multiple.
    pub cheapest_above: Option<String>,
    /// The answer in words.
    pub sentence: String,
}

fn label(door: usize) -> &'static str {
    ["HTTP API", "REST API", "the ALB"][door]
}

fn key(door: usize) -> &'static str {
    ["http_api", "rest_api", "alb"][door]
}

/// The three front doors' cost of `k` × the traffic (same mix): API Gateway tiers on the
/// scaled monthly usage; the ALB's fixed fee plus `k` × its LCU cost (LCUs scale with traffic).
struct Doors<'a> {
    analysis: &'a Analysis,
    book: &'a PriceBook,
    free_tier: bool,
    cache_usd: Decimal,
    alb_fee_usd: Decimal,
    alb_lcu_usd: Decimal,
}

impl Doors<'_> {
    fn at(&self, k: Decimal) -> Option<[Decimal; 3]> {
        let f = Factor::scale(k).ok()?;
        let mut http = Decimal::ZERO;
        let mut rest = self.cache_usd;
        for mu in self.analysis.months.values() {
            let u = f.apply_usage(&mu.usage).ok()?;
            let b = bill_month(
                &u,
                self.book,
                BillOptions {
                    free_tier: self.free_tier,
                },
            );
            http += b.http_api.cost_usd + b.websocket.cost_usd;
            rest += b.rest_api.cost_usd + b.websocket.cost_usd;
        }
        Some([http, rest, self.alb_fee_usd + k * self.alb_lcu_usd])
    }
}

fn cheapest(c: &[Decimal; 3]) -> usize {
    (0..3).fold(0, |b, i| if c[i] < c[b] { i } else { b })
}

/// The cheapest front door and the break-even multiple, by doubling the traffic until the
/// cheapest changes and then halving the interval (the costs are piecewise linear in `k`).
pub(crate) fn front_door(
    analysis: &Analysis,
    book: &PriceBook,
    free_tier: bool,
    cache_usd: Decimal,
    alb: &AlbSide,
) -> Option<FrontDoor> {
    let doors = Doors {
        analysis,
        book,
        free_tier,
        cache_usd,
        alb_fee_usd: alb.hourly_fee_usd,
        alb_lcu_usd: alb.lcu_cost_usd,
    };
    let here = doors.at(Decimal::ONE)?;
    let now = cheapest(&here);
    let limit = Decimal::from(1_000_000);
    let (mut lo, mut hi) = (Decimal::ONE, Decimal::TWO);
    let mut above = None;
    while hi <= limit {
        let c = cheapest(&doors.at(hi)?);
        if c != now {
            above = Some(c);
            break;
        }
        lo = hi;
        hi *= Decimal::TWO;
    }
    let mut multiple = None;
    if above.is_some() {
        for _ in 0..40 {
            let mid = (lo + hi) / Decimal::TWO;
            let c = cheapest(&doors.at(mid)?);
            if c == now {
                lo = mid;
            } else {
                hi = mid;
                above = Some(c);
            }
        }
        multiple = Some(lo.round_dp(2).normalize());
    }
    let sentence = match (multiple, above) {
        (Some(m), Some(a)) => format!(
            "{} is the cheapest front door for this traffic and stays cheapest up to ×{m} this \
             traffic (same mix); above it, {}.",
            label(now),
            label(a)
        ),
        _ => format!(
            "{} is the cheapest front door for this traffic, and stays so up to ×1,000,000 \
             (same mix).",
            label(now)
        ),
    };
    Some(FrontDoor {
        cheapest: key(now).to_owned(),
        http_api_usd: here[0],
        rest_api_usd: here[1],
        alb_usd: here[2],
        break_even_multiple: multiple,
        cheapest_above: above.map(|a| key(a).to_owned()),
        sentence,
    })
}
