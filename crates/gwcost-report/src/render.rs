//! Renderers of the [`AnalyzeReport`]: terminal table, Markdown, CSV (JSON is its `Serialize`
//! form, rendered by [`crate::render`]).

use crate::analyze::{AnalyzeReport, Lines, MonthReport};
use crate::money::{format_bytes, format_count, format_usd};
use crate::table::{Align, csv_field, markdown_table, text_table};

fn date_of(ms: i64) -> String {
    gwcost_analytics::Day::of_epoch_ms(ms).to_string()
}

/// `Inputs: 2 files, 1,000 lines (3 malformed), 1.50 MiB`, as both reports' headers say it.
pub(crate) fn inputs_line(files: u64, lines: u64, malformed: u64, bytes: u64) -> String {
    format!(
        "Inputs: {} file{}, {} line{} ({} malformed), {}",
        format_count(files),
        if files == 1 { "" } else { "s" },
        format_count(lines),
        if lines == 1 { "" } else { "s" },
        format_count(malformed),
        format_bytes(bytes)
    )
}

/// Header lines: what was read and with which prices.
fn summary_lines(r: &AnalyzeReport) -> Vec<String> {
    let c = &r.context;
    let mut out = vec![
        format!(
            "Price book: {}, {}; free tier {}; HTTP metering basis: {}",
            r.price_book.describe(),
            r.currency,
            if r.free_tier { "on" } else { "off" },
            c.metering_basis.as_str()
        ),
        inputs_line(
            r.inputs.files,
            r.inputs.lines,
            r.inputs.malformed_lines,
            c.bytes_read,
        ),
    ];
    if let (Some(a), Some(b)) = (c.first_event_ms, c.last_event_ms) {
        out.push(format!("Events: {} to {} (UTC)", date_of(a), date_of(b)));
    }
    for p in r.months.iter().filter_map(|m| m.projection.as_ref()) {
        out.push(format!("Projected {}", p.describe()));
    }
    out
}

/// Notes under the table: everything a reader should know to trust the numbers.
fn notes(r: &AnalyzeReport) -> Vec<String> {
    let c = &r.context;
    let mut out = vec![
        "HTTP API and REST API price the same requests two ways (alternatives, never added); \
         WebSocket and data transfer out add to either."
            .to_owned(),
    ];
    if r.observed_total.is_some() {
        out.push(PROJECTION_NOTE.to_owned());
    }
    if r.total.data_transfer_out.bytes > 0 {
        out.extend(r.price_book.transfer_note());
    }
    if c.oversize_requests > 0 {
        out.push(format!(
            "{} HTTP request{} over 512 KB metered as more than one request.",
            format_count(c.oversize_requests),
            if c.oversize_requests == 1 { "" } else { "s" }
        ));
    }
    if c.ws_message_sizes_unknown > 0 {
        out.push(format!(
            "{} WebSocket message{} had no size in the logs (API Gateway logs none): billed as one 32 KB unit each.",
            format_count(c.ws_message_sizes_unknown),
            if c.ws_message_sizes_unknown == 1 { "" } else { "s" }
        ));
    }
    if c.unclosed_connections > 0 {
        out.push(format!(
            "{} WebSocket connection{} had no DISCONNECT: billed up to the last event seen.",
            format_count(c.unclosed_connections),
            if c.unclosed_connections == 1 { "" } else { "s" }
        ));
    }
    out.extend(r.inputs.accounting.notes(r.inputs.lines));
    if r.inputs.malformed_lines > 0 {
        out.push(format!(
            "{} malformed line{} skipped.",
            format_count(r.inputs.malformed_lines),
            if r.inputs.malformed_lines == 1 {
                ""
            } else {
                "s"
            }
        ));
    }
    if c.duplicates_dropped > 0 {
        out.push(format!(
            "{} duplicate event{} (repeated requestId) dropped.",
            format_count(c.duplicates_dropped),
            if c.duplicates_dropped == 1 { "" } else { "s" }
        ));
    }
    if c.filtered_out > 0 {
        out.push(format!(
            "{} event{} outside --since/--until left out.",
            format_count(c.filtered_out),
            if c.filtered_out == 1 { "" } else { "s" }
        ));
    }
    out
}

const HEADER: [&str; 5] = ["Month", "Line", "Count", "Billed units", "Cost (USD)"];
const ALIGN: [Align; 5] = [
    Align::Left,
    Align::Left,
    Align::Right,
    Align::Right,
    Align::Right,
];

/// Said under every projected report.
pub(crate) const PROJECTION_NOTE: &str = "Projected: each month's observed counts, units, \
connection minutes and bytes were multiplied by its factor before tiers and the free tier were \
applied; scaled counts are rounded half to even. Observed figures are shown beside them.";

const HEADER_PROJECTED: [&str; 7] = [
    "Month",
    "Line",
    "Count",
    "Billed units",
    "Cost (USD)",
    "Observed units",
    "Observed cost",
];
const ALIGN_PROJECTED: [Align; 7] = [
    Align::Left,
    Align::Left,
    Align::Right,
    Align::Right,
    Align::Right,
    Align::Right,
    Align::Right,
];

/// The five rows of one bill (`label` goes on the first), with the observed units and cost
/// beside each line when the bill is projected.
fn bill_rows(label: &str, l: &Lines, observed: Option<&Lines>) -> Vec<Vec<String>> {
    let mut rows = bill_rows_of(label, l);
    if let Some(o) = observed {
        let extra = [
            (o.http_api.billed_requests, o.http_api.cost_usd),
            (o.rest_api.billed_requests, o.rest_api.cost_usd),
            (o.websocket.billed_messages, o.websocket.messages_cost_usd),
            (
                o.websocket.connection_minutes,
                o.websocket.connection_minutes_cost_usd,
            ),
        ];
        for (row, (units, cost)) in rows.iter_mut().zip(extra) {
            row.push(format_count(units));
            row.push(format_usd(cost));
        }
        if let Some(row) = rows.get_mut(4) {
            row.push(format_bytes(o.data_transfer_out.bytes));
            row.push(format_usd(o.data_transfer_out.cost_usd));
        }
    }
    rows
}

fn bill_rows_of(label: &str, l: &Lines) -> Vec<Vec<String>> {
    let w = &l.websocket;
    vec![
        vec![
            label.to_owned(),
            "HTTP API requests".to_owned(),
            format_count(l.http_api.requests),
            format_count(l.http_api.billed_requests),
            format_usd(l.http_api.cost_usd),
        ],
        vec![
            String::new(),
            "REST API requests".to_owned(),
            format_count(l.rest_api.requests),
            format_count(l.rest_api.billed_requests),
            format_usd(l.rest_api.cost_usd),
        ],
        vec![
            String::new(),
            "WebSocket messages".to_owned(),
            format_count(w.messages),
            format_count(w.billed_messages),
            format_usd(w.messages_cost_usd),
        ],
        vec![
            String::new(),
            "WebSocket connection minutes".to_owned(),
            format!("{} conn.", format_count(w.connections)),
            format_count(w.connection_minutes),
            format_usd(w.connection_minutes_cost_usd),
        ],
        vec![
            String::new(),
            "Data transfer out".to_owned(),
            format_bytes(l.data_transfer_out.bytes),
            "-".to_owned(),
            format_usd(l.data_transfer_out.cost_usd),
        ],
    ]
}

fn all_rows(r: &AnalyzeReport) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for m in &r.months {
        rows.extend(bill_rows(&m.month, &m.lines, m.observed.as_ref()));
    }
    rows.extend(bill_rows("Total", &r.total, r.observed_total.as_ref()));
    rows
}

/// The bill's header and alignment: observed columns only when projected.
fn bill_header(r: &AnalyzeReport) -> (&'static [&'static str], &'static [Align]) {
    if r.observed_total.is_some() {
        (&HEADER_PROJECTED, &ALIGN_PROJECTED)
    } else {
        (&HEADER, &ALIGN)
    }
}

fn totals_lines(r: &AnalyzeReport) -> [String; 2] {
    [
        format!(
            "Total as an HTTP API: {} (HTTP requests + WebSocket + data transfer out)",
            format_usd(r.total.total_as_http_usd())
        ),
        format!(
            "Total as a REST API:  {} (REST requests + WebSocket + data transfer out)",
            format_usd(r.total.total_as_rest_usd())
        ),
    ]
}

const BREAKDOWN_HEADER: [&str; 8] = [
    "Month",
    "Key",
    "Requests",
    "HTTP units",
    "Messages",
    "HTTP API (USD)",
    "REST API (USD)",
    "WebSocket (USD)",
];
const BREAKDOWN_ALIGN: [Align; 8] = [
    Align::Left,
    Align::Right,
    Align::Left,
    Align::Right,
    Align::Right,
    Align::Right,
    Align::Right,
    Align::Right,
];

/// Rows of one breakdown kind across months, or `None` when it was not asked for.
fn breakdown_table_rows(
    r: &AnalyzeReport,
    pick: fn(&MonthReport) -> Option<&Vec<crate::BreakdownRow>>,
) -> Option<Vec<Vec<String>>> {
    let mut any = false;
    let mut rows = Vec::new();
    for m in &r.months {
        if let Some(b) = pick(m) {
            any = true;
            for (i, row) in b.iter().enumerate() {
                rows.push(vec![
                    if i == 0 {
                        m.month.clone()
                    } else {
                        String::new()
                    },
                    row.key.clone(),
                    format_count(row.lines.http_api.requests),
                    format_count(row.lines.http_api.billed_requests),
                    format_count(row.lines.websocket.messages),
                    format_usd(row.lines.http_api.cost_usd),
                    format_usd(row.lines.rest_api.cost_usd),
                    format_usd(row.lines.websocket.cost_usd),
                ]);
            }
        }
    }
    any.then_some(rows)
}

type Pick = fn(&MonthReport) -> Option<&Vec<crate::BreakdownRow>>;

fn breakdowns() -> [(&'static str, Pick); 3] {
    [
        ("route", |m| m.by_route.as_ref()),
        ("stage", |m| m.by_stage.as_ref()),
        ("status", |m| m.by_status.as_ref()),
    ]
}

const BREAKDOWN_NOTE: &str = "Breakdown costs bill each key on its own without the free tier; \
within the first volume tier they add up to the month.";

/// The terminal table.
pub(crate) fn render_table(r: &AnalyzeReport) -> String {
    let mut out = String::new();
    for l in summary_lines(r) {
        out.push_str(&l);
        out.push('\n');
    }
    out.push('\n');
    let (header, align) = bill_header(r);
    out.push_str(&text_table(header, align, &all_rows(r)));
    out.push('\n');
    for l in totals_lines(r) {
        out.push_str(&l);
        out.push('\n');
    }
    let mut any_breakdown = false;
    for (name, pick) in breakdowns() {
        if let Some(rows) = breakdown_table_rows(r, pick) {
            any_breakdown = true;
            out.push_str(&format!("\nBy {name}:\n"));
            out.push_str(&text_table(&BREAKDOWN_HEADER, &BREAKDOWN_ALIGN, &rows));
        }
    }
    out.push('\n');
    let mut notes = notes(r);
    if any_breakdown {
        notes.push(BREAKDOWN_NOTE.to_owned());
    }
    for n in notes {
        out.push_str("Note: ");
        out.push_str(&n);
        out.push('\n');
    }
    out
}

/// Markdown (for PR comments and READMEs).
pub(crate) fn render_markdown(r: &AnalyzeReport) -> String {
    let mut out = String::from("## API Gateway bill (gwcost)\n\n");
    for l in summary_lines(r) {
        out.push_str(&format!("- {l}\n"));
    }
    out.push('\n');
    let (header, align) = bill_header(r);
    out.push_str(&markdown_table(header, align, &all_rows(r)));
    out.push('\n');
    for l in totals_lines(r) {
        out.push_str(&format!("**{}**  \n", l.trim_end()));
    }
    let mut any_breakdown = false;
    for (name, pick) in breakdowns() {
        if let Some(rows) = breakdown_table_rows(r, pick) {
            any_breakdown = true;
            out.push_str(&format!("\n### By {name}\n\n"));
            out.push_str(&markdown_table(&BREAKDOWN_HEADER, &BREAKDOWN_ALIGN, &rows));
        }
    }
    out.push('\n');
    let mut notes = notes(r);
    if any_breakdown {
        notes.push(BREAKDOWN_NOTE.to_owned());
    }
    for n in notes {
        out.push_str(&format!("> {n}\n"));
    }
    out
}

/// CSV: one row per month per API line, then the totals (month `total`). Costs are exact.
/// With `--by`, two more columns, `by` (`route`, `stage` or `status`) and `key`, and each
/// month's breakdown rows after its own (empty `by` and `key` on the month's rows). A projected
/// report adds a last column, `figures` (`projected` or `observed`), and gives each month's rows
/// twice.
pub(crate) fn render_csv(r: &AnalyzeReport) -> String {
    let projected = r.observed_total.is_some();
    let by = r
        .months
        .iter()
        .any(|m| m.by_route.is_some() || m.by_stage.is_some() || m.by_status.is_some());
    let mut out = String::from(
        "month,api,requests,billed_units,connections,connection_minutes,bytes,cost_usd",
    );
    if by {
        out.push_str(",by,key");
    }
    out.push_str(if projected { ",figures\n" } else { "\n" });
    let mut rows = |month: &str, l: &Lines, figures: Option<&str>, group: Option<(&str, &str)>| {
        let m = csv_field(month);
        let start = out.len();
        out.push_str(&format!(
            "{m},http_api,{},{},,,,{}\n",
            l.http_api.requests, l.http_api.billed_requests, l.http_api.cost_usd
        ));
        out.push_str(&format!(
            "{m},rest_api,{},{},,,,{}\n",
            l.rest_api.requests, l.rest_api.billed_requests, l.rest_api.cost_usd
        ));
        let w = &l.websocket;
        out.push_str(&format!(
            "{m},websocket,{},{},{},{},,{}\n",
            w.messages, w.billed_messages, w.connections, w.connection_minutes, w.cost_usd
        ));
        out.push_str(&format!(
            "{m},data_transfer_out,,,,,{},{}\n",
            l.data_transfer_out.bytes, l.data_transfer_out.cost_usd
        ));
        let mut tail = String::new();
        if by {
            let (b, k) = group.unwrap_or(("", ""));
            tail.push_str(&format!(",{},{}", csv_field(b), csv_field(k)));
        }
        if let Some(f) = figures {
            tail.push_str(&format!(",{f}"));
        }
        if !tail.is_empty() {
            let tagged = out[start..].replace('\n', &format!("{tail}\n"));
            out.truncate(start);
            out.push_str(&tagged);
        }
    };
    let tag = |f: &'static str| projected.then_some(f);
    for m in &r.months {
        rows(&m.month, &m.lines, tag("projected"), None);
        for (name, group) in [
            ("route", &m.by_route),
            ("stage", &m.by_stage),
            ("status", &m.by_status),
        ] {
            for row in group.iter().flatten() {
                rows(
                    &m.month,
                    &row.lines,
                    tag("projected"),
                    Some((name, &row.key)),
                );
            }
        }
        if let Some(o) = &m.observed {
            rows(&m.month, o, tag("observed"), None);
        }
    }
    rows("total", &r.total, tag("projected"), None);
    if let Some(o) = &r.observed_total {
        rows("total", o, tag("observed"), None);
    }
    out
}
