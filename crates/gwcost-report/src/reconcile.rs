//! `gwcost reconcile`: the AWS invoice (a Cost and Usage Report export) beside what gwcost meters
//! from the logs of the same months, line by line, with the likely reason where they differ.
//!
//! The CUR is read by the CLI (CSV, gzip or Parquet) into rows of strings; this module knows the
//! two column layouts (CUR 2.0 `line_item_usage_type`, legacy `lineItem/UsageType`), keeps the
//! `AmazonApiGateway` usage lines, maps usage types to gwcost's lines and builds the
//! [`ReconcileReport`] (whose `Serialize` form is `gwcost reconcile --format json`).

use std::collections::BTreeMap;

use gwcost_analytics::Analysis;
use gwcost_pricing::{BillOptions, GB, PriceBook, UsageKind as Kind, bill_month};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::analyze::{PriceBookLine, RECONCILE_SCHEMA_VERSION as SCHEMA_VERSION};
use crate::money::format_count;
use crate::projection::{MonthProjection, ProjectionSpec, project};
use crate::table::{Align, csv_field, markdown_table, text_table};

/// The product code of API Gateway's CUR lines.
pub const PRODUCT_CODE: &str = "AmazonApiGateway";
/// The line item types that carry usage (`Tax`, `Credit`, `Refund`, fees … are left out).
pub const USAGE_LINE_TYPES: [&str; 3] = ["Usage", "DiscountedUsage", "SavingsPlanCoveredUsage"];

/// A CUR that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CurError {
    #[error(
        "not a Cost and Usage Report: no {missing} column (CUR 2.0: line_item_usage_type, \
         line_item_usage_amount, line_item_unblended_cost, line_item_usage_start_date, \
         line_item_product_code; legacy CUR: lineItem/UsageType, lineItem/UsageAmount, \
         lineItem/UnblendedCost, lineItem/UsageStartDate, lineItem/ProductCode)"
    )]
    MissingColumn { missing: String },
    #[error("row {row}: {problem}")]
    BadRow { row: u64, problem: String },
}

/// Which CUR layout a file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CurLayout {
    #[serde(rename = "CUR 2.0")]
    Cur2,
    #[serde(rename = "legacy CUR")]
    Legacy,
}

/// Where the needed columns are in a CUR's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurColumns {
    pub layout: CurLayout,
    usage_type: usize,
    amount: usize,
    cost: usize,
    start: usize,
    product: usize,
    line_type: Option<usize>,
}

impl CurColumns {
    /// The names of the columns a CUR reader must provide (the rest may be dropped).
    pub fn wanted(&self, header: &[String]) -> Vec<String> {
        let mut idx = vec![
            self.usage_type,
            self.amount,
            self.cost,
            self.start,
            self.product,
        ];
        idx.extend(self.line_type);
        idx.into_iter()
            .filter_map(|i| header.get(i).cloned())
            .collect()
    }

    /// Finds the columns of either layout (names compared case-insensitively).
    pub fn find(header: &[String]) -> Result<CurColumns, CurError> {
        let pos = |name: &str| {
            header.iter().position(|h| {
                h.trim()
                    .trim_start_matches('\u{feff}')
                    .eq_ignore_ascii_case(name)
            })
        };
        let (layout, names) = if pos("line_item_usage_type").is_some() {
            (
                CurLayout::Cur2,
                [
                    "line_item_usage_type",
                    "line_item_usage_amount",
                    "line_item_unblended_cost",
                    "line_item_usage_start_date",
                    "line_item_product_code",
                    "line_item_line_item_type",
                ],
            )
        } else {
            (
                CurLayout::Legacy,
                [
                    "lineItem/UsageType",
                    "lineItem/UsageAmount",
                    "lineItem/UnblendedCost",
                    "lineItem/UsageStartDate",
                    "lineItem/ProductCode",
                    "lineItem/LineItemType",
                ],
            )
        };
        let need = |name: &str| {
            pos(name).ok_or_else(|| CurError::MissingColumn {
                missing: name.to_owned(),
            })
        };
        Ok(CurColumns {
            layout,
            usage_type: need(names[0])?,
            amount: need(names[1])?,
            cost: need(names[2])?,
            start: need(names[3])?,
            product: need(names[4])?,
            line_type: pos(names[5]),
        })
    }

    /// One data row (`row` numbers it in errors): `Ok(None)` when it is not an API Gateway
    /// usage line.
    pub fn line(&self, cells: &[&str], row: u64) -> Result<Option<CurLine>, CurError> {
        let cell = |i: usize| cells.get(i).map(|c| c.trim()).unwrap_or("");
        let bad = |problem: String| CurError::BadRow { row, problem };
        if cell(self.product) != PRODUCT_CODE {
            return Ok(None);
        }
        if let Some(t) = self.line_type
            && !USAGE_LINE_TYPES.contains(&cell(t))
        {
            return Ok(None);
        }
        let start = cell(self.start);
        let month = start
            .get(..7)
            .filter(|m| {
                m.as_bytes()[4] == b'-'
                    && m.bytes()
                        .enumerate()
                        .all(|(i, b)| i == 4 || b.is_ascii_digit())
            })
            .ok_or_else(|| bad(format!("usage start date {start:?} is not YYYY-MM-…")))?;
        let amount = decimal(cell(self.amount)).ok_or_else(|| {
            bad(format!(
                "usage amount {:?} is not a number",
                cell(self.amount)
            ))
        })?;
        let cost = decimal(cell(self.cost)).ok_or_else(|| {
            bad(format!(
                "unblended cost {:?} is not a number",
                cell(self.cost)
            ))
        })?;
        Ok(Some(CurLine {
            month: month.to_owned(),
            usage_type: cell(self.usage_type).to_owned(),
            usage_amount: amount,
            unblended_cost: cost,
        }))
    }
}

/// A CUR number: plain (`0.0035`) or scientific (`3.5E-7`); empty is zero.
fn decimal(s: &str) -> Option<Decimal> {
    if s.is_empty() {
        return Some(Decimal::ZERO);
    }
    s.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(s).ok())
}

/// One API Gateway usage line of the CUR (hourly or daily; they are summed per month).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurLine {
    /// `YYYY-MM` of the usage start date.
    pub month: String,
    pub usage_type: String,
    pub usage_amount: Decimal,
    pub unblended_cost: Decimal,
}

/// gwcost's name and unit of the line a usage type is billed as.
trait KindNames {
    fn line(self) -> &'static str;
    fn unit(self) -> &'static str;
}

impl KindNames for Kind {
    fn line(self) -> &'static str {
        match self {
            Kind::HttpRequests => "http_api_requests",
            Kind::RestRequests => "rest_api_requests",
            Kind::Messages => "websocket_messages",
            Kind::ConnectionMinutes => "websocket_connection_minutes",
            Kind::DataTransferOut => "data_transfer_out",
            Kind::Cache => "rest_api_cache",
            Kind::Other => "other",
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Kind::HttpRequests | Kind::RestRequests => "requests",
            Kind::Messages => "messages",
            Kind::ConnectionMinutes => "minutes",
            Kind::DataTransferOut => "GB",
            Kind::Cache => "hours",
            Kind::Other => "units",
        }
    }
}

/// One line of one month: the invoice beside gwcost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReconcileLine {
    /// AWS's usage type(s) (`USE1-ApiGatewayHttpRequest`; several joined with `+`), or `-`
    /// when the CUR has no line for what the logs show.
    pub usage_type: String,
    /// gwcost's line (`http_api_requests`, `rest_api_requests`, `websocket_messages`,
    /// `websocket_connection_minutes`, `data_transfer_out`, `rest_api_cache`, `other`).
    pub line: String,
    /// `requests`, `messages`, `minutes`, `GB`, `hours`.
    pub unit: String,
    pub aws_units: Decimal,
    /// `None` where gwcost does not meter the line (cache hours, other usage types).
    pub gwcost_units: Option<Decimal>,
    /// With a projection: gwcost's units as observed, before scaling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gwcost_observed_units: Option<Decimal>,
    pub aws_cost_usd: Decimal,
    pub gwcost_cost_usd: Option<Decimal>,
    /// `aws_units − gwcost_units` (positive: AWS billed more than the logs show).
    pub diff_units: Option<Decimal>,
    /// `gwcost_units ÷ aws_units`, 4 decimal places; `None` when AWS billed none.
    pub ratio: Option<Decimal>,
    /// `match`, `differs` or `not metered`.
    pub status: String,
    /// The likely reason for a difference (empty on a match).
    pub reason: String,
}

/// One month of the reconciliation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReconcileMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// With `--scale` / `--project-month`: what the logs' month was scaled by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection: Option<MonthProjection>,
    /// Days of the month the logs cover (first to last event), and the month's days.
    pub log_days_covered: u32,
    pub days_in_month: u32,
    pub lines: Vec<ReconcileLine>,
    pub aws_cost_usd: Decimal,
    /// gwcost's cost of the lines it meters.
    pub gwcost_cost_usd: Decimal,
}

/// The CUR that was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurSummary {
    pub layout: CurLayout,
    /// Data rows read, and the API Gateway usage rows kept.
    pub rows: u64,
    pub api_gateway_rows: u64,
}

/// `gwcost reconcile`'s report; `Serialize` is its JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReconcileReport {
    pub schema_version: u32,
    pub currency: String,
    pub price_book: PriceBookLine,
    pub free_tier: bool,
    pub cur: CurSummary,
    pub months: Vec<ReconcileMonth>,
    pub notes: Vec<String>,
}

/// How to reconcile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileOptions {
    pub free_tier: bool,
    pub projection: ProjectionSpec,
}

/// Why a reconciliation cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Projection(#[from] crate::projection::ProjectError),
}

fn ratio(gw: Decimal, aws: Decimal) -> Option<Decimal> {
    if aws.is_zero() {
        return None;
    }
    gw.checked_div(aws).map(|r| {
        r.round_dp_with_strategy(4, RoundingStrategy::MidpointNearestEven)
            .normalize()
    })
}

/// What gwcost metered for one kind in one month.
#[derive(Debug, Clone, Copy, Default)]
struct Metered {
    units: Decimal,
    observed_units: Decimal,
    cost: Decimal,
    /// HTTP: billable requests (one unit each before the 512 KB increments); WebSocket:
    /// messages (before the 32 KB increments).
    one_each: Decimal,
}

/// Bytes as GB (2^30 B), as the CUR counts data transfer: exact to Decimal's 28 places.
fn gb(bytes: u64) -> Decimal {
    (Decimal::from(bytes) / Decimal::from(GB)).normalize()
}

/// A reason in words for a line whose units or cost differ.
#[allow(clippy::too_many_arguments)]
fn reason(
    kind: Kind,
    aws: Decimal,
    m: &Metered,
    aws_cost: Decimal,
    covered: u32,
    dim: u32,
    projected: bool,
    basis: &str,
    book: &str,
) -> (String, String) {
    let diff = aws - m.units;
    let tolerance = aws.abs().max(m.units.abs()) / Decimal::from(1000);
    let units_match = diff.abs() <= tolerance;
    let cost_match = (aws_cost - m.cost).abs() < Decimal::new(1, 2);
    if units_match && cost_match {
        return ("match".to_owned(), String::new());
    }
    let n = |d: Decimal| format_decimal(d.abs());
    let unit = kind.unit();
    if units_match {
        return (
            "differs".to_owned(),
            format!(
                "units agree; the cost differs by ${}: the invoice's rate (free tier, credits, \
                 a negotiated or another region's price) vs price book {book}",
                (aws_cost - m.cost).abs().normalize()
            ),
        );
    }
    if diff > Decimal::ZERO {
        if covered == 0 {
            return (
                "differs".to_owned(),
                format!(
                    "the logs have no events in this month: AWS billed {} {unit} (give the \
                     month's logs)",
                    n(diff)
                ),
            );
        }
        if covered < dim && !projected {
            return (
                "differs".to_owned(),
                format!(
                    "the logs cover {covered} of the month's {dim} days: AWS billed {} {unit} \
                     more (try --project-month)",
                    n(diff)
                ),
            );
        }
        return (
            "differs".to_owned(),
            format!(
                "AWS billed {} {unit} with no log line (another replica or stage not logged, \
                 sampled logs, or lost lines; --scale projects a known sample)",
                n(diff)
            ),
        );
    }
    // gwcost metered more than AWS billed.
    let extra = m.units - m.one_each;
    if kind == Kind::HttpRequests && extra > Decimal::ZERO && -diff <= extra {
        return (
            "differs".to_owned(),
            format!(
                "metering basis: gwcost metered {} extra 512 KB units under basis `{basis}` and \
                 AWS billed {} fewer units (try another --metering-basis: max, request or response)",
                n(extra),
                n(diff)
            ),
        );
    }
    if kind == Kind::Messages && extra > Decimal::ZERO && -diff <= extra {
        return (
            "differs".to_owned(),
            format!(
                "32 KB increments: gwcost metered {} extra message units; AWS billed {} fewer",
                n(extra),
                n(diff)
            ),
        );
    }
    (
        "differs".to_owned(),
        format!(
            "the logs hold {} {unit} more than AWS billed (duplicate lines: try --dedupe; logs of \
             another account or region; or requests AWS did not bill)",
            n(diff)
        ),
    )
}

/// A decimal for people: thousands grouped when whole.
fn format_decimal(d: Decimal) -> String {
    let d = d.normalize();
    if d.fract().is_zero()
        && let Ok(n) = u64::try_from(d)
    {
        return format_count(n);
    }
    d.to_string()
}

impl ReconcileReport {
    /// Reconciles `cur` (API Gateway usage lines, any months) with the logs' `analysis`.
    pub fn new(
        cur: &[CurLine],
        cur_summary: CurSummary,
        analysis: &Analysis,
        book: &PriceBook,
        opts: &ReconcileOptions,
    ) -> Result<Self, ReconcileError> {
        let (projected, said) = project(analysis, &opts.projection)?;
        // Coverage of the observed logs, month by month (the projection's own arithmetic).
        let (_, coverage) = project(
            analysis,
            &ProjectionSpec {
                project_month: true,
                ..ProjectionSpec::default()
            },
        )?;
        let bill_opts = BillOptions {
            free_tier: opts.free_tier,
        };

        // AWS: (month, kind) → (usage types, units, cost).
        type AwsSum = (Vec<String>, Decimal, Decimal);
        let mut aws: BTreeMap<String, BTreeMap<Kind, AwsSum>> = BTreeMap::new();
        for l in cur {
            let e = aws
                .entry(l.month.clone())
                .or_default()
                .entry(Kind::of(&l.usage_type))
                .or_insert_with(|| (Vec::new(), Decimal::ZERO, Decimal::ZERO));
            if !e.0.contains(&l.usage_type) {
                e.0.push(l.usage_type.clone());
            }
            e.1 += l.usage_amount;
            e.2 += l.unblended_cost;
        }

        // gwcost: month → kind → metered.
        let mut gw: BTreeMap<String, BTreeMap<Kind, Metered>> = BTreeMap::new();
        for (month, mu) in &projected.months {
            let u = &mu.usage;
            let o = analysis
                .months
                .get(month)
                .map(|m| m.usage)
                .unwrap_or_default();
            let bill = bill_month(u, book, bill_opts);
            let d = Decimal::from;
            let mut k = BTreeMap::new();
            k.insert(
                Kind::HttpRequests,
                Metered {
                    units: d(u.http_units),
                    observed_units: d(o.http_units),
                    cost: bill.http_api.cost_usd,
                    one_each: d(u.billable_requests),
                },
            );
            k.insert(
                Kind::RestRequests,
                Metered {
                    units: d(u.rest_units),
                    observed_units: d(o.rest_units),
                    cost: bill.rest_api.cost_usd,
                    one_each: d(u.billable_requests),
                },
            );
            k.insert(
                Kind::Messages,
                Metered {
                    units: d(u.ws_message_units),
                    observed_units: d(o.ws_message_units),
                    cost: bill.websocket.messages_cost_usd,
                    one_each: d(u.ws_messages),
                },
            );
            k.insert(
                Kind::ConnectionMinutes,
                Metered {
                    units: d(u.ws_connection_minutes),
                    observed_units: d(o.ws_connection_minutes),
                    cost: bill.websocket.connection_minutes_cost_usd,
                    one_each: d(u.ws_connection_minutes),
                },
            );
            k.insert(
                Kind::DataTransferOut,
                Metered {
                    units: gb(u.response_bytes),
                    observed_units: gb(o.response_bytes),
                    cost: bill.data_transfer_out.cost_usd,
                    one_each: gb(u.response_bytes),
                },
            );
            gw.insert(month.to_string(), k);
        }

        let mut months_seen: Vec<String> = aws.keys().chain(gw.keys()).cloned().collect();
        months_seen.sort();
        months_seen.dedup();
        let is_projected = !said.is_empty();
        let basis = analysis.metering_basis.as_str();
        let mut months = Vec::new();
        for month in months_seen {
            let empty_aws = BTreeMap::new();
            let a = aws.get(&month).unwrap_or(&empty_aws);
            let g = gw.get(&month);
            let cov = coverage.iter().find(|c| c.month == month);
            let (year, mo) = month
                .split_once('-')
                .and_then(|(y, m)| Some((y.parse::<i64>().ok()?, m.parse::<u32>().ok()?)))
                .unwrap_or((1970, 1));
            let dim = crate::projection::days_in_month(year, mo);
            let covered = cov.and_then(|c| c.days_covered).unwrap_or(0);
            let mut lines = Vec::new();
            let mut kinds: Vec<Kind> = a.keys().copied().collect();
            // What the logs show and the CUR lacks: requests (when the CUR has neither request
            // line) and WebSocket traffic.
            if let Some(g) = g {
                let has = |k: Kind| g.get(&k).is_some_and(|m| !m.units.is_zero());
                if !a.contains_key(&Kind::HttpRequests)
                    && !a.contains_key(&Kind::RestRequests)
                    && has(Kind::HttpRequests)
                {
                    kinds.push(Kind::HttpRequests);
                }
                for k in [Kind::Messages, Kind::ConnectionMinutes] {
                    if !a.contains_key(&k) && has(k) {
                        kinds.push(k);
                    }
                }
            }
            kinds.sort();
            let mut aws_total = Decimal::ZERO;
            let mut gw_total = Decimal::ZERO;
            for kind in kinds {
                let (types, aws_units, aws_cost) = a
                    .get(&kind)
                    .cloned()
                    .unwrap_or_else(|| (Vec::new(), Decimal::ZERO, Decimal::ZERO));
                aws_total += aws_cost;
                let usage_type = if types.is_empty() {
                    "-".to_owned()
                } else {
                    types.join("+")
                };
                let metered = match kind {
                    Kind::Cache | Kind::Other => None,
                    _ => Some(g.and_then(|g| g.get(&kind).copied()).unwrap_or_default()),
                };
                let line = match metered {
                    None => ReconcileLine {
                        usage_type,
                        line: kind.line().to_owned(),
                        unit: kind.unit().to_owned(),
                        aws_units: aws_units.normalize(),
                        gwcost_units: None,
                        gwcost_observed_units: None,
                        aws_cost_usd: aws_cost.normalize(),
                        gwcost_cost_usd: None,
                        diff_units: None,
                        ratio: None,
                        status: "not metered".to_owned(),
                        reason: if kind == Kind::Cache {
                            "gwcost does not see cache hours: price them with `gwcost compare \
                             --rest-cache SIZE`"
                                .to_owned()
                        } else {
                            "not an API Gateway line gwcost meters".to_owned()
                        },
                    },
                    Some(m) => {
                        gw_total += m.cost;
                        let (status, why) = if types.is_empty() {
                            (
                                "differs".to_owned(),
                                format!(
                                    "no {} line in the CUR for what the logs show (another \
                                     account or payer, or the month is not in this export)",
                                    match kind {
                                        Kind::HttpRequests =>
                                            "ApiGatewayHttpRequest or ApiGatewayRequest",
                                        Kind::Messages => "ApiGatewayMessage",
                                        _ => "ApiGatewayMinute",
                                    }
                                ),
                            )
                        } else {
                            reason(
                                kind,
                                aws_units,
                                &m,
                                aws_cost,
                                covered,
                                dim,
                                is_projected,
                                basis,
                                &book.meta.name,
                            )
                        };
                        ReconcileLine {
                            usage_type,
                            line: kind.line().to_owned(),
                            unit: kind.unit().to_owned(),
                            aws_units: aws_units.normalize(),
                            gwcost_units: Some(m.units.normalize()),
                            gwcost_observed_units: is_projected
                                .then(|| m.observed_units.normalize()),
                            aws_cost_usd: aws_cost.normalize(),
                            gwcost_cost_usd: Some(m.cost.normalize()),
                            diff_units: Some((aws_units - m.units).normalize()),
                            ratio: ratio(m.units, aws_units),
                            status,
                            reason: why,
                        }
                    }
                };
                lines.push(line);
            }
            months.push(ReconcileMonth {
                projection: said.iter().find(|p| p.month == month).cloned(),
                log_days_covered: covered,
                days_in_month: dim,
                month,
                lines,
                aws_cost_usd: aws_total.normalize(),
                gwcost_cost_usd: gw_total.normalize(),
            });
        }

        let mut notes = vec![
            "diff = AWS units − gwcost units (positive: AWS billed more than the logs show); \
             ratio = gwcost ÷ AWS. Units match within 0.1%, costs within a cent."
                .to_owned(),
            "Data transfer out is often billed under the AWSDataTransfer product, not \
             AmazonApiGateway: gwcost lists it only when the CUR has an API Gateway line for it."
                .to_owned(),
        ];
        if is_projected {
            notes.push(crate::render::PROJECTION_NOTE.to_owned());
        }
        notes.extend(PriceBookLine::of(book).transfer_note());
        Ok(ReconcileReport {
            schema_version: SCHEMA_VERSION,
            currency: book.meta.currency.clone(),
            price_book: PriceBookLine::of(book),
            free_tier: opts.free_tier,
            cur: cur_summary,
            months,
            notes,
        })
    }
}

const HEADER: [&str; 9] = [
    "Month",
    "Usage type",
    "Unit",
    "AWS units",
    "gwcost units",
    "Diff",
    "AWS cost",
    "gwcost cost",
    "Status",
];
const ALIGN: [Align; 9] = [
    Align::Left,
    Align::Left,
    Align::Left,
    Align::Right,
    Align::Right,
    Align::Right,
    Align::Right,
    Align::Right,
    Align::Left,
];

fn opt(d: Option<Decimal>) -> String {
    d.map(format_decimal).unwrap_or_else(|| "-".to_owned())
}

fn usd(d: Option<Decimal>) -> String {
    d.map(crate::compare_render::format_usd)
        .unwrap_or_else(|| "-".to_owned())
}

fn rows(r: &ReconcileReport) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for m in &r.months {
        for (i, l) in m.lines.iter().enumerate() {
            rows.push(vec![
                if i == 0 {
                    m.month.clone()
                } else {
                    String::new()
                },
                l.usage_type.clone(),
                l.unit.clone(),
                format_decimal(l.aws_units),
                opt(l.gwcost_units),
                signed(l.diff_units),
                usd(Some(l.aws_cost_usd)),
                usd(l.gwcost_cost_usd),
                l.status.clone(),
            ]);
        }
        rows.push(vec![
            String::new(),
            "Month total".to_owned(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            usd(Some(m.aws_cost_usd)),
            usd(Some(m.gwcost_cost_usd)),
            String::new(),
        ]);
    }
    rows
}

/// A difference with its sign (`+1,000`, `-12`, `0`), or `-` when there is none.
fn signed(diff: Option<Decimal>) -> String {
    match diff {
        None => "-".to_owned(),
        Some(d) if d > Decimal::ZERO => format!("+{}", format_decimal(d)),
        Some(d) if d < Decimal::ZERO => format!("-{}", format_decimal(-d)),
        Some(_) => "0".to_owned(),
    }
}

fn header_lines(r: &ReconcileReport) -> Vec<String> {
    let mut out = vec![format!(
        "Price book: {}, {}; free tier {}; CUR: {} ({} rows, {} API Gateway usage rows)",
        r.price_book.describe(),
        r.currency,
        if r.free_tier { "on" } else { "off" },
        match r.cur.layout {
            CurLayout::Cur2 => "CUR 2.0",
            CurLayout::Legacy => "legacy CUR",
        },
        format_count(r.cur.rows),
        format_count(r.cur.api_gateway_rows)
    )];
    for m in &r.months {
        out.push(format!(
            "{}: logs cover {} of {} days",
            m.month, m.log_days_covered, m.days_in_month
        ));
        if let Some(p) = &m.projection {
            out.push(format!("Projected {}", p.describe()));
        }
    }
    out
}

fn reasons(r: &ReconcileReport) -> Vec<String> {
    r.months
        .iter()
        .flat_map(|m| {
            m.lines
                .iter()
                .filter(|l| !l.reason.is_empty())
                .map(move |l| format!("{} {}: {}", m.month, l.usage_type, l.reason))
        })
        .collect()
}

pub(crate) fn render_table(r: &ReconcileReport) -> String {
    let mut out = String::new();
    for l in header_lines(r) {
        out.push_str(&l);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&text_table(&HEADER, &ALIGN, &rows(r)));
    out.push('\n');
    for why in reasons(r) {
        out.push_str(&format!("Why: {why}\n"));
    }
    for n in &r.notes {
        out.push_str(&format!("Note: {n}\n"));
    }
    out
}

pub(crate) fn render_markdown(r: &ReconcileReport) -> String {
    let mut out = String::from("## AWS invoice vs gwcost (gwcost reconcile)\n\n");
    for l in header_lines(r) {
        out.push_str(&format!("- {l}\n"));
    }
    out.push('\n');
    out.push_str(&markdown_table(&HEADER, &ALIGN, &rows(r)));
    out.push('\n');
    for why in reasons(r) {
        out.push_str(&format!("- **Why:** {why}\n"));
    }
    for n in &r.notes {
        out.push_str(&format!("> {n}\n"));
    }
    out
}

/// CSV: one row per month and line, exact amounts.
pub(crate) fn render_csv(r: &ReconcileReport) -> String {
    let mut out = String::from(
        "month,usage_type,line,unit,aws_units,gwcost_units,diff_units,ratio,aws_cost_usd,\
         gwcost_cost_usd,status,reason\n",
    );
    let s = |d: Option<Decimal>| d.map(|d| d.to_string()).unwrap_or_default();
    for m in &r.months {
        for l in &m.lines {
            let cells = [
                csv_field(&m.month),
                csv_field(&l.usage_type),
                csv_field(&l.line),
                csv_field(&l.unit),
                l.aws_units.to_string(),
                s(l.gwcost_units),
                s(l.diff_units),
                s(l.ratio),
                l.aws_cost_usd.to_string(),
                s(l.gwcost_cost_usd),
                csv_field(&l.status),
                csv_field(&l.reason),
            ];
            out.push_str(&cells.join(","));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn usage_types_map_with_or_without_a_region_prefix() {
        assert_eq!(Kind::of("USE1-ApiGatewayHttpRequest"), Kind::HttpRequests);
        assert_eq!(Kind::of("ApiGatewayHttpRequest"), Kind::HttpRequests);
        assert_eq!(Kind::of("EU-ApiGatewayRequest"), Kind::RestRequests);
        assert_eq!(Kind::of("APN2-ApiGatewayMessage"), Kind::Messages);
        assert_eq!(Kind::of("EUC1-ApiGatewayMinute"), Kind::ConnectionMinutes);
        assert_eq!(Kind::of("USE1-ApiGatewayCacheUsage:0.5GB"), Kind::Cache);
        assert_eq!(
            Kind::of("USE1-DataTransfer-Out-Bytes"),
            Kind::DataTransferOut
        );
        assert_eq!(Kind::of("DataTransfer-Out-Bytes"), Kind::DataTransferOut);
        assert_eq!(Kind::of("USE1-DataTransfer-In-Bytes"), Kind::Other);
    }

    #[test]
    fn both_layouts_are_found_and_other_lines_left_out() {
        let h = |s: &str| s.split(',').map(str::to_owned).collect::<Vec<_>>();
        let c = CurColumns::find(&h(
            "lineItem/LineItemType,lineItem/ProductCode,lineItem/UsageType,lineItem/UsageStartDate,lineItem/UsageAmount,lineItem/UnblendedCost",
        ))
        .unwrap();
        assert_eq!(c.layout, CurLayout::Legacy);
        let l = c
            .line(
                &[
                    "Usage",
                    "AmazonApiGateway",
                    "USE1-ApiGatewayRequest",
                    "2026-10-01T00:00:00Z",
                    "1000",
                    "3.5E-3",
                ],
                2,
            )
            .unwrap()
            .unwrap();
        assert_eq!(l.month, "2026-10");
        assert_eq!(l.unblended_cost, "0.0035".parse().unwrap());
        assert!(
            c.line(&["Tax", "AmazonApiGateway", "x", "2026-10-01", "1", "1"], 3)
                .unwrap()
                .is_none()
        );
        assert!(
            c.line(&["Usage", "AmazonS3", "x", "2026-10-01", "1", "1"], 4)
                .unwrap()
                .is_none()
        );
        let e = c
            .line(
                &["Usage", "AmazonApiGateway", "x", "yesterday", "1", "1"],
                5,
            )
            .unwrap_err();
        assert!(e.to_string().starts_with("row 5: usage start date"), "{e}");
        let e = CurColumns::find(&h("line_item_usage_type,line_item_usage_amount")).unwrap_err();
        assert!(
            e.to_string().contains("no line_item_unblended_cost column"),
            "{e}"
        );
    }
}
