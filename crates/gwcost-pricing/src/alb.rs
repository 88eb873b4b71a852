//! How an Application Load Balancer bills: per hour (a partial hour counts whole) a fixed fee plus
//! Load Balancer Capacity Units, each hour's LCU being the largest of four dimensions — new
//! connections (25/s per LCU), active connections (3,000/min per LCU), processed bytes (1 GB/h per
//! LCU for instance and IP targets, 0.4 GB/h for Lambda) and rule evaluations (1,000/s per LCU,
//! the first 10 rules processed per request free). Partial LCUs are billed as they are.
//!
//! Pure arithmetic over one hour's observed counts; the caller sums hours into months.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::price_book::GB;

/// The ALB's prices and LCU capacities (price book `[alb]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlbPrices {
    pub per_alb_hour: Decimal,
    pub per_lcu_hour: Decimal,
    /// New connections per second that make one LCU (25).
    pub new_connections_per_second: u64,
    /// Connections active in a minute that make one LCU (3,000).
    pub active_connections_per_minute: u64,
    /// GB (2^30 bytes) per hour that make one LCU with instance, container or IP targets (1).
    pub processed_gb_per_hour: Decimal,
    /// GB per hour that make one LCU with Lambda targets (0.4).
    pub processed_gb_per_hour_lambda: Decimal,
    /// Rule evaluations per second that make one LCU (1,000).
    pub rule_evaluations_per_second: u64,
    /// Rules processed per request at no charge (10).
    pub free_rules: u64,
    /// Where these prices come from.
    pub source: String,
}

/// What the ALB forwards to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlbTarget {
    /// Instances, containers or IP addresses: 1 GB per LCU-hour.
    #[default]
    Instance,
    /// Lambda functions: 0.4 GB per LCU-hour.
    Lambda,
}

/// One of the four LCU dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LcuDimension {
    NewConnections,
    ActiveConnections,
    ProcessedBytes,
    RuleEvaluations,
}

impl LcuDimension {
    pub fn as_str(self) -> &'static str {
        match self {
            LcuDimension::NewConnections => "new_connections",
            LcuDimension::ActiveConnections => "active_connections",
            LcuDimension::ProcessedBytes => "processed_bytes",
            LcuDimension::RuleEvaluations => "rule_evaluations",
        }
    }
}

/// One hour of traffic through the ALB, as observed (or assumed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AlbHour {
    /// Connections opened in the hour.
    pub new_connections: u64,
    /// Sum over the hour's 60 minutes of the connections active in each minute (so the hour's
    /// average is this ÷ 60).
    pub active_connection_minutes: u64,
    /// Request and response bytes through the ALB in the hour.
    pub processed_bytes: u64,
    /// Requests in the hour (each evaluates the rules).
    pub requests: u64,
}

impl std::ops::AddAssign for AlbHour {
    fn add_assign(&mut self, o: Self) {
        self.new_connections += o.new_connections;
        self.active_connection_minutes += o.active_connection_minutes;
        self.processed_bytes += o.processed_bytes;
        self.requests += o.requests;
    }
}

/// One hour's LCU by dimension, the hour's LCU (the largest) and which dimension it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HourLcu {
    pub new_connections: Decimal,
    pub active_connections: Decimal,
    pub processed_bytes: Decimal,
    pub rule_evaluations: Decimal,
    pub lcu: Decimal,
    pub dominant: LcuDimension,
}

/// The LCU of one hour with `rules` rules processed per request.
pub fn hour_lcu(h: &AlbHour, p: &AlbPrices, target: AlbTarget, rules: u64) -> HourLcu {
    let dec = Decimal::from;
    let div = |n: Decimal, d: Decimal| if d.is_zero() { Decimal::ZERO } else { n / d };
    let new_connections = div(
        dec(h.new_connections),
        dec(3600 * p.new_connections_per_second),
    );
    let active_connections = div(
        dec(h.active_connection_minutes),
        dec(60 * p.active_connections_per_minute),
    );
    let per_lcu_gb = match target {
        AlbTarget::Instance => p.processed_gb_per_hour,
        AlbTarget::Lambda => p.processed_gb_per_hour_lambda,
    };
    let processed_bytes = div(dec(h.processed_bytes), per_lcu_gb * dec(GB));
    let billed_rules = rules.saturating_sub(p.free_rules);
    let rule_evaluations = div(
        dec(h.requests) * dec(billed_rules),
        dec(3600 * p.rule_evaluations_per_second),
    );
    let dims = [
        (LcuDimension::NewConnections, new_connections),
        (LcuDimension::ActiveConnections, active_connections),
        (LcuDimension::ProcessedBytes, processed_bytes),
        (LcuDimension::RuleEvaluations, rule_evaluations),
    ];
    // The first largest wins a tie, in the order AWS lists the dimensions.
    let (dominant, lcu) = dims
        .into_iter()
        .fold(dims[0], |best, d| if d.1 > best.1 { d } else { best });
    HourLcu {
        new_connections,
        active_connections,
        processed_bytes,
        rule_evaluations,
        lcu,
        dominant,
    }
}

/// A period's ALB bill: `hours` hours of the fixed fee (every hour the ALB exists, traffic or
/// not) and the LCU-hours of the hours with traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlbBill {
    pub hours: u64,
    pub lcu_hours: Decimal,
    pub hourly_fee_usd: Decimal,
    pub lcu_cost_usd: Decimal,
    pub cost_usd: Decimal,
    /// LCU-hours by dimension, summed over the hours (each hour is billed on its largest only).
    pub new_connections_lcu_hours: Decimal,
    pub active_connections_lcu_hours: Decimal,
    pub processed_bytes_lcu_hours: Decimal,
    pub rule_evaluations_lcu_hours: Decimal,
    /// The dimension that was largest in the most hours with traffic (none without traffic).
    pub dominant: Option<LcuDimension>,
}

/// Prices `hours` hours of an ALB whose hours with traffic are `traffic` (each at most one per
/// clock hour). Hours without traffic pay the fixed fee only.
pub fn alb_bill(
    traffic: &[AlbHour],
    hours: u64,
    p: &AlbPrices,
    target: AlbTarget,
    rules: u64,
) -> AlbBill {
    let mut lcu_hours = Decimal::ZERO;
    let mut by_dim = [Decimal::ZERO; 4];
    let mut wins = [0u64; 4];
    for h in traffic {
        let l = hour_lcu(h, p, target, rules);
        lcu_hours += l.lcu;
        by_dim[0] += l.new_connections;
        by_dim[1] += l.active_connections;
        by_dim[2] += l.processed_bytes;
        by_dim[3] += l.rule_evaluations;
        wins[l.dominant as usize] += 1;
    }
    let order = [
        LcuDimension::NewConnections,
        LcuDimension::ActiveConnections,
        LcuDimension::ProcessedBytes,
        LcuDimension::RuleEvaluations,
    ];
    let dominant = (!traffic.is_empty()).then(|| {
        let best = (0..4).fold(0, |b, i| if wins[i] > wins[b] { i } else { b });
        order[best]
    });
    let hourly_fee_usd = Decimal::from(hours) * p.per_alb_hour;
    let lcu_cost_usd = lcu_hours * p.per_lcu_hour;
    AlbBill {
        hours,
        lcu_hours,
        hourly_fee_usd,
        lcu_cost_usd,
        cost_usd: hourly_fee_usd + lcu_cost_usd,
        new_connections_lcu_hours: by_dim[0],
        active_connections_lcu_hours: by_dim[1],
        processed_bytes_lcu_hours: by_dim[2],
        rule_evaluations_lcu_hours: by_dim[3],
        dominant,
    }
}
