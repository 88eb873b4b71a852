//! The `gwcost analyze` report: each month's usage billed with the price book, and the total.
//!
//! Its `Serialize` form is the JSON contract of `gwcost analyze --format json` (`SCHEMA_VERSION`):
//! adding a field keeps the version; renaming, retyping or removing one raises it.

use std::collections::BTreeMap;

use gwcost_analytics::{Analysis, Breakdown, InputsSummary, MonthUsage};
use gwcost_pricing::{
    BillOptions, BookOrigin, MeteringBasis, MonthBill, PriceBook, Usage, bill_month,
};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::money::format_count;
use crate::projection::MonthProjection;

/// Version of the JSON contract.
pub const SCHEMA_VERSION: u32 = 2;
/// `gwcost compare --format json`'s contract version (2: `websocket.billed_units`).
pub const COMPARE_SCHEMA_VERSION: u32 = 3;
/// `gwcost quote --format json`'s contract version (2: `lines[].billed_units`).
pub const QUOTE_SCHEMA_VERSION: u32 = 2;
/// `gwcost reconcile --format json`'s contract version (fields only added so far).
pub const RECONCILE_SCHEMA_VERSION: u32 = 1;
/// `gwcost prices --format json` (docs/schema/prices.json).
pub const PRICES_SCHEMA_VERSION: u32 = 1;

/// How the report bills.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportOptions {
    pub free_tier: bool,
}

/// Which price book priced the report (JSON `price_book`, the same in every command): an edited
/// or imported copy keeps the name of the book it came from, so the name alone does not say;
/// `source` and, for a file, its path and content hash do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceBookLine {
    pub name: String,
    pub region: String,
    pub as_of: String,
    /// `embedded` (compiled into gwcost), `file` (`--price-book`) or `text` (a library caller's).
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// SHA-256 of the file's bytes, lowercase hex (what `sha256sum` prints).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Where the book's data-transfer-out rates come from when they are not its region's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_transfer_out_source: Option<String>,
}

impl PriceBookLine {
    pub fn of(book: &PriceBook) -> Self {
        let (source, path, sha256) = match &book.meta.origin {
            BookOrigin::Embedded => ("embedded", None, None),
            BookOrigin::File { path, sha256 } => ("file", Some(path.clone()), Some(sha256.clone())),
            BookOrigin::Text => ("text", None, None),
        };
        Self {
            name: book.meta.name.clone(),
            region: book.meta.region.clone(),
            as_of: book.meta.as_of.clone(),
            source: source.to_owned(),
            path,
            sha256,
            data_transfer_out_source: book.data_transfer_out.source.clone(),
        }
    }

    /// The book in words, for every header: `aws-eu-west-2 (embedded, as of 2025-10-20)`,
    /// `aws-us-east-1 (file my.toml, sha256 …, as of 2026-11-01)`.
    pub fn describe(&self) -> String {
        match (&self.path, &self.sha256) {
            (Some(p), Some(h)) => {
                format!("{} (file {p}, sha256 {h}, as of {})", self.name, self.as_of)
            }
            _ => format!("{} ({}, as of {})", self.name, self.source, self.as_of),
        }
    }

    /// The note every output that prices data transfer out carries when the rates are borrowed.
    pub fn transfer_note(&self) -> Option<String> {
        self.data_transfer_out_source
            .as_ref()
            .map(|s| format!("Data transfer out is priced at {s}."))
    }
}

/// What was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputsLine {
    pub files: u64,
    pub lines: u64,
    pub malformed_lines: u64,
    #[serde(flatten)]
    pub accounting: Accounting,
}

/// Where every file and line read went (`docs/output-vocabulary.md`'s `inputs` buckets):
/// `billed_lines + sum(not_billed) + malformed_lines == lines`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Accounting {
    /// Files found under a directory that hold no access log.
    pub skipped_files: u64,
    /// Files that broke partway: the bill holds what came before the break.
    pub damaged_files: u64,
    pub billed_lines: u64,
    /// Reason → events read but not billed.
    pub not_billed: BTreeMap<String, u64>,
    /// Reason → malformed lines.
    pub malformed: BTreeMap<String, u64>,
    pub unclosed_connections: u64,
}

impl Accounting {
    pub fn of(i: &InputsSummary) -> Self {
        Self {
            skipped_files: i.skipped_files,
            damaged_files: i.damaged_files,
            billed_lines: i.billed_lines,
            not_billed: i.not_billed.clone(),
            malformed: i.malformed_by_reason.clone(),
            unclosed_connections: i.unclosed_connections,
        }
    }

    /// The sentences every non-JSON output prints about what was not billed and whether the
    /// bill is partial (none when every line was billed from whole files).
    pub fn notes(&self, lines: u64) -> Vec<String> {
        let mut out = Vec::new();
        let not_billed: u64 = self.not_billed.values().sum();
        if not_billed > 0 {
            let mut reasons: Vec<(&String, &u64)> = self.not_billed.iter().collect();
            reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let reasons: Vec<String> = reasons
                .into_iter()
                .map(|(r, n)| format!("{} {r}", format_count(*n)))
                .collect();
            out.push(format!(
                "Not billed: {} of {} lines ({}).",
                format_count(not_billed),
                format_count(lines),
                reasons.join(", ")
            ));
        }
        if self.damaged_files > 0 {
            out.push(format!(
                "Partial input: {} damaged file{} (named on stderr); the bill holds what was read before each break.",
                format_count(self.damaged_files),
                if self.damaged_files == 1 { "" } else { "s" }
            ));
        }
        out
    }
}

/// The month's requests priced as one API type.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ApiLine {
    /// Every REQUEST event, billable or not.
    pub requests: u64,
    /// Metered units of the billable requests (HTTP: 512 KB increments; REST: one each). JSON
    /// `billed_units`, the one name of this quantity in every output (schema 2; was
    /// `billed_requests`).
    #[serde(rename = "billed_units")]
    pub billed_requests: u64,
    /// Exact, unrounded.
    pub cost_usd: Decimal,
}

/// The month's WebSocket traffic.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct WebSocketLine {
    pub connections: u64,
    pub messages: u64,
    /// Messages in 32 KB increments. JSON `billed_units` (schema 2; was `billed_messages`).
    #[serde(rename = "billed_units")]
    pub billed_messages: u64,
    pub connection_minutes: u64,
    /// Messages plus connection minutes; exact, unrounded.
    pub cost_usd: Decimal,
    /// The message part of `cost_usd` (table only).
    #[serde(skip)]
    pub messages_cost_usd: Decimal,
    /// The connection-minute part of `cost_usd` (table only).
    #[serde(skip)]
    pub connection_minutes_cost_usd: Decimal,
}

/// Data transfer out (response bytes).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TransferLine {
    pub bytes: u64,
    pub cost_usd: Decimal,
}

/// The four lines of a bill. HTTP API and REST API price the same requests two ways
/// (alternatives); WebSocket and data transfer out add to either.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Lines {
    pub http_api: ApiLine,
    pub rest_api: ApiLine,
    pub websocket: WebSocketLine,
    pub data_transfer_out: TransferLine,
}

impl Lines {
    fn from_bill(usage: &Usage, bill: &MonthBill) -> Self {
        Self {
            http_api: ApiLine {
                requests: usage.requests,
                billed_requests: bill.http_api.billed_requests,
                cost_usd: bill.http_api.cost_usd,
            },
            rest_api: ApiLine {
                requests: usage.requests,
                billed_requests: bill.rest_api.billed_requests,
                cost_usd: bill.rest_api.cost_usd,
            },
            websocket: WebSocketLine {
                connections: bill.websocket.connections,
                messages: bill.websocket.messages,
                billed_messages: bill.websocket.billed_messages,
                connection_minutes: bill.websocket.connection_minutes,
                cost_usd: bill.websocket.cost_usd,
                messages_cost_usd: bill.websocket.messages_cost_usd,
                connection_minutes_cost_usd: bill.websocket.connection_minutes_cost_usd,
            },
            data_transfer_out: TransferLine {
                bytes: bill.data_transfer_out.bytes,
                cost_usd: bill.data_transfer_out.cost_usd,
            },
        }
    }

    fn add(&mut self, o: &Lines) {
        let api = |a: &mut ApiLine, b: &ApiLine| {
            a.requests += b.requests;
            a.billed_requests += b.billed_requests;
            a.cost_usd += b.cost_usd;
        };
        api(&mut self.http_api, &o.http_api);
        api(&mut self.rest_api, &o.rest_api);
        let w = &mut self.websocket;
        w.connections += o.websocket.connections;
        w.messages += o.websocket.messages;
        w.billed_messages += o.websocket.billed_messages;
        w.connection_minutes += o.websocket.connection_minutes;
        w.cost_usd += o.websocket.cost_usd;
        w.messages_cost_usd += o.websocket.messages_cost_usd;
        w.connection_minutes_cost_usd += o.websocket.connection_minutes_cost_usd;
        self.data_transfer_out.bytes += o.data_transfer_out.bytes;
        self.data_transfer_out.cost_usd += o.data_transfer_out.cost_usd;
    }

    /// Total if the requests ran on an HTTP API.
    pub fn total_as_http_usd(&self) -> Decimal {
        self.http_api.cost_usd + self.websocket.cost_usd + self.data_transfer_out.cost_usd
    }

    /// Total if the requests ran on a REST API.
    pub fn total_as_rest_usd(&self) -> Decimal {
        self.rest_api.cost_usd + self.websocket.cost_usd + self.data_transfer_out.cost_usd
    }
}

/// One key of a breakdown (a route, a stage or a status) within a month. Its costs are what that
/// slice would cost billed on its own, without the free tier: within the first volume tier the
/// slices add up to the month, above it they overstate (the month's tiers apply to the sum).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreakdownRow {
    pub key: String,
    #[serde(flatten)]
    pub lines: Lines,
}

/// One UTC calendar month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthReport {
    /// `YYYY-MM`.
    pub month: String,
    #[serde(flatten)]
    pub lines: Lines,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_route: Option<Vec<BreakdownRow>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_stage: Option<Vec<BreakdownRow>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_status: Option<Vec<BreakdownRow>>,
    /// With a projection: what this month was scaled by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection: Option<MonthProjection>,
    /// With a projection: the month as observed (the lines above are `projected`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed: Option<Lines>,
    /// With a projection: the month as projected (the same as the lines above).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projected: Option<Lines>,
}

/// What the table and Markdown renderers say besides the bill (not part of the JSON contract).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReportContext {
    pub metering_basis: MeteringBasis,
    pub bytes_read: u64,
    pub first_event_ms: Option<i64>,
    pub last_event_ms: Option<i64>,
    pub ws_message_sizes_unknown: u64,
    pub duplicates_dropped: u64,
    pub filtered_out: u64,
    pub unclosed_connections: u64,
    pub oversize_requests: u64,
    pub source_url: String,
}

/// The `gwcost analyze` report; `Serialize` is the JSON contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnalyzeReport {
    pub schema_version: u32,
    pub currency: String,
    pub price_book: PriceBookLine,
    pub free_tier: bool,
    pub inputs: InputsLine,
    pub months: Vec<MonthReport>,
    /// Sums of the months. Tiers restart every month, so the total cost is the sum of the
    /// monthly costs, not the bill of the summed usage.
    pub total: Lines,
    /// With a projection: the sums of the observed months (`total` is projected).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_total: Option<Lines>,
    #[serde(skip)]
    pub context: ReportContext,
}

fn breakdown_rows(b: Option<&Breakdown>, book: &PriceBook) -> Option<Vec<BreakdownRow>> {
    b.map(|map| {
        map.iter()
            .map(|(key, usage)| BreakdownRow {
                key: key.clone(),
                lines: Lines::from_bill(usage, &bill_month(usage, book, BillOptions::default())),
            })
            .collect()
    })
}

impl AnalyzeReport {
    /// Bills every month of `analysis` with `book`.
    pub fn new(analysis: &Analysis, book: &PriceBook, opts: ReportOptions) -> Self {
        let bill_opts = BillOptions {
            free_tier: opts.free_tier,
        };
        let mut total = Lines::default();
        let mut months = Vec::with_capacity(analysis.months.len());
        for (month, mu) in &analysis.months {
            let MonthUsage {
                usage,
                by_route,
                by_stage,
                by_status,
            } = mu;
            let lines = Lines::from_bill(usage, &bill_month(usage, book, bill_opts));
            total.add(&lines);
            months.push(MonthReport {
                month: month.to_string(),
                lines,
                by_route: breakdown_rows(by_route.as_ref(), book),
                by_stage: breakdown_rows(by_stage.as_ref(), book),
                by_status: breakdown_rows(by_status.as_ref(), book),
                projection: None,
                observed: None,
                projected: None,
            });
        }
        let i = &analysis.inputs;
        Self {
            schema_version: SCHEMA_VERSION,
            currency: book.meta.currency.clone(),
            price_book: PriceBookLine::of(book),
            free_tier: opts.free_tier,
            inputs: InputsLine {
                files: i.files,
                lines: i.lines,
                malformed_lines: i.malformed_lines,
                accounting: Accounting::of(i),
            },
            months,
            total,
            observed_total: None,
            context: ReportContext {
                metering_basis: analysis.metering_basis,
                bytes_read: i.bytes,
                first_event_ms: i.first_event_ms,
                last_event_ms: i.last_event_ms,
                ws_message_sizes_unknown: i.ws_message_sizes_unknown,
                duplicates_dropped: i.duplicates_dropped,
                filtered_out: i.filtered_out,
                unclosed_connections: i.unclosed_connections,
                oversize_requests: analysis.total_usage().oversize_requests,
                source_url: book.meta.source_url.clone(),
            },
        }
    }
}

impl AnalyzeReport {
    /// The report of `projected` traffic with the `observed` figures beside it: `observed` is
    /// the report of the same months before projection, `said` what each month was scaled by.
    /// An empty `said` (no projection) leaves the report as it is.
    pub fn with_observed(mut self, observed: &AnalyzeReport, said: &[MonthProjection]) -> Self {
        if said.is_empty() {
            return self;
        }
        for m in &mut self.months {
            m.projection = said.iter().find(|p| p.month == m.month).cloned();
            m.observed = observed
                .months
                .iter()
                .find(|o| o.month == m.month)
                .map(|o| o.lines.clone());
            m.projected = Some(m.lines.clone());
        }
        self.observed_total = Some(observed.total.clone());
        self
    }
}
