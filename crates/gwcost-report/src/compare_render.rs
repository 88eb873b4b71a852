//! Renderers of the [`CompareReport`]: terminal table, Markdown, CSV (JSON is its `Serialize`
//! form, rendered by [`crate::render`]).
//!
//! The table and Markdown share their rows ([`Section`]s) so they cannot disagree; both round
//! money half-even to cents, JSON and CSV carry it exactly.

use crate::compare::{CompareReport, Comparison, KeyLine, Oversize, RouteLine, format_pct};
use crate::money::format_count;
use crate::table::{Align, csv_field, markdown_table, text_table};

/// A titled table (plus an optional line under it) shared by the text and Markdown renderers.
pub(crate) struct Section {
    pub title: String,
    pub header: Vec<&'static str>,
    pub align: Vec<Align>,
    pub rows: Vec<Vec<String>>,
    pub footer: Option<String>,
}

/// Lines above the tables: which prices, which inputs.
pub(crate) fn summary_lines(r: &CompareReport) -> Vec<String> {
    let cache = match &r.rest_cache {
        Some(c) => format!(
            "{} GB at {}/hour, {}",
            c.size_gb,
            format_usd_exact(c.per_hour_usd),
            match c.hours_per_month {
                Some(h) => format!("{h} hours a month"),
                None => "every hour of the month".to_owned(),
            }
        ),
        None => "none".to_owned(),
    };
    let mut out = vec![
        format!(
            "Price book: {}, {}; free tier {}; HTTP metering basis: {}; REST cache: {}",
            r.price_book.describe(),
            r.currency,
            if r.free_tier { "on" } else { "off" },
            r.metering_basis,
            cache
        ),
        crate::render::inputs_line(
            r.inputs.files,
            r.inputs.lines,
            r.inputs.malformed_lines,
            r.inputs.bytes,
        ),
    ];
    if let (Some(a), Some(b)) = (&r.inputs.first_event, &r.inputs.last_event) {
        out.push(format!("Events: {a} to {b} (UTC)"));
    }
    for p in r.months.iter().filter_map(|m| m.projection.as_ref()) {
        out.push(format!("Projected {}", p.describe()));
    }
    out
}

/// Dollars rounded half-even to cents; a non-zero amount that rounds to zero shows as `<$0.01`
/// (or `>-$0.01`), so small traffic does not read as free.
pub(crate) fn format_usd(d: rust_decimal::Decimal) -> String {
    let s = crate::money::format_usd(d);
    if d.is_zero() || (s != "$0.00" && s != "-$0.00") {
        s
    } else if d.is_sign_positive() {
        "<$0.01".to_owned()
    } else {
        ">-$0.01".to_owned()
    }
}

/// A unit price as written in the price book (`$0.02`), not rounded to cents.
fn format_usd_exact(d: rust_decimal::Decimal) -> String {
    format!("${}", d.normalize())
}

fn pct_cell(c: &Comparison) -> String {
    c.savings_pct
        .map(format_pct)
        .unwrap_or_else(|| "-".to_owned())
}

fn comparison_row(label: &str, c: &Comparison, with_cache: bool) -> Vec<String> {
    let mut row = vec![
        label.to_owned(),
        format_count(c.http_api.requests),
        format_count(c.http_api.billed_units),
        format_usd(c.http_api.cost_usd),
        format_usd(c.rest_api.cost_usd),
    ];
    if with_cache {
        row.push(format_usd(c.rest_api.cache_cost_usd));
    }
    row.extend([
        format_usd(c.data_transfer_out.cost_usd),
        format_usd(c.http_api.total_usd),
        format_usd(c.rest_api.total_usd),
        format_usd(c.savings_usd),
        pct_cell(c),
    ]);
    row
}

fn comparison_section(r: &CompareReport) -> Section {
    let with_cache = r.rest_cache.is_some();
    let mut header = vec!["Month", "Requests", "HTTP units", "HTTP API", "REST API"];
    if with_cache {
        header.push("REST cache");
    }
    header.extend([
        "Data out",
        "HTTP total",
        "REST total",
        "Savings",
        "Savings %",
    ]);
    let mut align = vec![Align::Left];
    align.extend(std::iter::repeat_n(Align::Right, header.len() - 1));
    // A projected report shows each month's observed row under its projected one.
    let mut rows: Vec<Vec<String>> = Vec::new();
    for m in &r.months {
        rows.push(comparison_row(&m.month, &m.comparison, with_cache));
        if let Some(o) = &m.observed {
            rows.push(comparison_row(
                &format!("{} observed", m.month),
                o,
                with_cache,
            ));
        }
    }
    rows.push(comparison_row("Total", &r.total, with_cache));
    if let Some(o) = &r.observed_total {
        rows.push(comparison_row("Total observed", o, with_cache));
    }
    Section {
        title: "HTTP API vs REST API (USD)".to_owned(),
        header,
        align,
        rows,
        footer: None,
    }
}

/// One oversize section: per-month lines, then the top routes over all months.
fn oversize_sections(
    r: &CompareReport,
    title: &str,
    limit: &str,
    pick: fn(&Comparison) -> Option<&Oversize>,
) -> Vec<Section> {
    let Some(total) = pick(&r.total) else {
        return Vec::new();
    };
    if total.extra_units == 0 {
        return Vec::new();
    }
    let counts = total.requests.is_some();
    let mut header = vec!["Month"];
    if counts {
        header.push("Requests over 512 KB");
    }
    header.extend(["Extra units", "Extra cost"]);
    let mut align = vec![Align::Left];
    align.extend(std::iter::repeat_n(Align::Right, header.len() - 1));
    let row = |label: &str, o: &Oversize| {
        let mut row = vec![label.to_owned()];
        if let Some(n) = o.requests {
            row.push(format_count(n));
        }
        row.extend([format_count(o.extra_units), format_usd(o.extra_cost_usd)]);
        row
    };
    let mut rows: Vec<Vec<String>> = r
        .months
        .iter()
        .filter_map(|m| pick(&m.comparison).map(|o| row(&m.month, o)))
        .collect();
    rows.push(row("Total", total));
    let mut out = vec![Section {
        title: title.to_owned(),
        header,
        align,
        rows,
        footer: None,
    }];
    if !total.top_routes.is_empty() {
        let mut header = vec!["Route"];
        if counts {
            header.push("Requests over 512 KB");
        }
        header.extend(["Extra units", "Saved if under"]);
        let mut align = vec![Align::Left];
        align.extend(std::iter::repeat_n(Align::Right, header.len() - 1));
        let rows = total
            .top_routes
            .iter()
            .map(|t| {
                let mut row = vec![t.route.clone()];
                if let Some(n) = t.requests {
                    row.push(format_count(n));
                }
                row.extend([format_count(t.extra_units), format_usd(t.extra_cost_usd)]);
                row
            })
            .collect();
        out.push(Section {
            title: format!("Routes causing most of it ({limit})"),
            header,
            align,
            rows,
            footer: Some(format!(
                "If the payloads of {} stayed under {limit}: {} saved over the period.",
                if total.top_routes.len() == 1 {
                    "this route".to_owned()
                } else {
                    format!("these {} routes", total.top_routes.len())
                },
                format_usd(total.top_routes_savings_usd)
            )),
        });
    }
    out
}

fn route_rows(routes: &[RouteLine]) -> Vec<Vec<String>> {
    routes
        .iter()
        .map(|l| {
            vec![
                l.route.clone(),
                format_count(l.requests),
                format_count(l.http_units),
                format_usd(l.http_cost_usd),
                format_usd(l.rest_cost_usd),
            ]
        })
        .collect()
}

fn websocket_section(r: &CompareReport) -> Option<Section> {
    let w = &r.total.websocket;
    if w.messages == 0 && w.connections == 0 {
        return None;
    }
    let rows = r
        .months
        .iter()
        .map(|m| (m.month.as_str(), &m.comparison.websocket))
        .chain(std::iter::once(("Total", w)))
        .map(|(label, w)| {
            vec![
                label.to_owned(),
                format_count(w.connections),
                format_count(w.messages),
                format_count(w.billed_messages),
                format_count(w.connection_minutes),
                format_usd(w.cost_usd),
            ]
        })
        .collect();
    Some(Section {
        title: "WebSocket API (the same either way)".to_owned(),
        header: vec![
            "Month",
            "Connections",
            "Messages",
            "Billed messages",
            "Connection minutes",
            "Cost",
        ],
        align: vec![
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
        rows,
        footer: None,
    })
}

/// Every table of the report, in reading order.
/// The three front doors side by side, month by month, with the break-even under the table.
fn front_door_section(r: &CompareReport) -> Option<Section> {
    let f = r.front_door.as_ref()?;
    let mut rows = Vec::new();
    let mut row = |label: &str, c: &crate::compare::Comparison| {
        let a = c.alb.as_ref()?;
        rows.push(vec![
            label.to_owned(),
            format_usd(c.http_api.total_usd),
            format_usd(c.rest_api.total_usd),
            format_usd(a.total_usd),
            crate::money::format_count(a.hours),
            a.lcu_hours.round_dp(2).normalize().to_string(),
            a.dominant.map_or("none", |d| d.as_str()).replace('_', " "),
        ]);
        Some(())
    };
    for m in &r.months {
        row(&m.month, &m.comparison)?;
    }
    row("Total", &r.total)?;
    Some(Section {
        title: "Front doors: HTTP API, REST API, ALB (USD, with data transfer out)".to_owned(),
        header: vec![
            "Month",
            "HTTP API",
            "REST API",
            "ALB",
            "ALB hours",
            "LCU-hours",
            "Dominant LCU dimension",
        ],
        align: vec![
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Left,
        ],
        rows,
        footer: Some(f.sentence.clone()),
    })
}

pub(crate) fn sections(r: &CompareReport) -> Vec<Section> {
    let mut out = vec![comparison_section(r)];
    out.extend(front_door_section(r));
    out.extend(oversize_sections(
        r,
        "HTTP API 512 KB increments",
        "512 KB",
        |c| Some(&c.oversize),
    ));
    out.extend(oversize_sections(
        r,
        "WebSocket 32 KB increments",
        "32 KB",
        |c| c.websocket_oversize.as_ref(),
    ));
    if !r.routes.is_empty() {
        out.push(Section {
            title: "By route (all months, USD)".to_owned(),
            header: vec!["Route", "Requests", "HTTP units", "HTTP API", "REST API"],
            align: vec![
                Align::Left,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
            ],
            rows: route_rows(&r.routes),
            footer: None,
        });
    }
    for (name, lines) in [("stage", &r.by_stage), ("status", &r.by_status)] {
        let Some(lines) = lines else { continue };
        let mut header = vec!["Route", "Requests", "HTTP units", "HTTP API", "REST API"];
        header[0] = if name == "stage" { "Stage" } else { "Status" };
        out.push(Section {
            title: format!("By {name} (all months, USD)"),
            header,
            align: vec![
                Align::Left,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
            ],
            rows: lines
                .iter()
                .map(|l| {
                    vec![
                        l.key.clone(),
                        format_count(l.requests),
                        format_count(l.http_units),
                        format_usd(l.http_cost_usd),
                        format_usd(l.rest_cost_usd),
                    ]
                })
                .collect(),
            footer: None,
        });
    }
    out.extend(websocket_section(r));
    out
}

/// The terminal table: summary, verdict, tables, notes.
pub(crate) fn render_compare_table(r: &CompareReport) -> String {
    let mut out = String::new();
    for l in summary_lines(r) {
        out.push_str(&l);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&format!("Verdict: {}\n", r.verdict));
    for s in sections(r) {
        out.push('\n');
        out.push_str(&format!("{}:\n", s.title));
        out.push_str(&text_table(&s.header, &s.align, &s.rows));
        if let Some(f) = &s.footer {
            out.push_str(f);
            out.push('\n');
        }
    }
    out.push('\n');
    for n in &r.notes {
        out.push_str("Note: ");
        out.push_str(n);
        out.push('\n');
    }
    out
}

/// Markdown body shared by `--format markdown` and the Markdown report (which adds charts).
pub(crate) fn markdown_body(r: &CompareReport, charts: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    out.push_str(&format!("**{}**\n\n", r.verdict));
    for l in summary_lines(r) {
        out.push_str(&format!("- {l}\n"));
    }
    out.push_str(&charts("monthly"));
    for s in sections(r) {
        out.push_str(&format!("\n### {}\n\n", s.title));
        out.push_str(&markdown_table(&s.header, &s.align, &s.rows));
        if let Some(f) = &s.footer {
            out.push_str(&format!("\n{f}\n"));
        }
    }
    out.push_str(&charts("rest"));
    out.push_str("\n### Notes\n\n");
    for n in &r.notes {
        out.push_str(&format!("- {n}\n"));
    }
    out
}

/// Markdown (for pull requests and wikis), without charts.
pub(crate) fn render_compare_markdown(r: &CompareReport) -> String {
    let mut out = String::from("## HTTP API vs REST API (gwcost compare)\n\n");
    out.push_str(&markdown_body(r, &|_| String::new()));
    out
}

/// CSV: one row per month and the total (`month` = `total`), exact amounts, then nothing else:
/// one rectangular table a spreadsheet can sum. A projected report adds a last column,
/// `figures` (`projected` or `observed`, as `analyze` does), and each month's observed row under
/// its projected one, with the same `month`. With `--by`, two more
/// columns, `by` (`route`, `stage` or `status`) and `key`, and after the total one `total` row
/// per key over all months, filling requests, HTTP units and the two allocated costs (empty `by`
/// and `key` on the other rows).
pub(crate) fn render_compare_csv(r: &CompareReport) -> String {
    let by = r.by.any();
    let mut out = String::from(
        "month,requests,http_api_billed_units,http_api_cost_usd,rest_api_billed_units,rest_api_cost_usd,\
         rest_cache_hours,rest_cache_cost_usd,data_transfer_out_bytes,data_transfer_out_cost_usd,\
         http_total_usd,rest_total_usd,savings_usd,savings_pct,oversize_requests,\
         oversize_extra_units,oversize_extra_cost_usd,websocket_cost_usd,\
         websocket_extra_units,websocket_extra_cost_usd",
    );
    let projected = r.observed_total.is_some();
    out.push_str(if by { ",by,key" } else { "" });
    out.push_str(if projected { ",figures\n" } else { "\n" });
    // The last cells of a row: `by,key` (empty here) and `figures`.
    let tail = |figures: &str| {
        let mut t = String::from(if by { ",," } else { "" });
        if projected {
            t.push(',');
            t.push_str(figures);
        }
        t.push('\n');
        t
    };
    let mut row = |label: &str, c: &Comparison, figures: &str| {
        let (ws_units, ws_cost) = c
            .websocket_oversize
            .as_ref()
            .map(|o| (o.extra_units.to_string(), o.extra_cost_usd.to_string()))
            .unwrap_or_default();
        let cells = [
            csv_field(label),
            c.http_api.requests.to_string(),
            c.http_api.billed_units.to_string(),
            c.http_api.cost_usd.to_string(),
            c.rest_api.billed_units.to_string(),
            c.rest_api.cost_usd.to_string(),
            c.rest_api.cache_hours.to_string(),
            c.rest_api.cache_cost_usd.to_string(),
            c.data_transfer_out.bytes.to_string(),
            c.data_transfer_out.cost_usd.to_string(),
            c.http_api.total_usd.to_string(),
            c.rest_api.total_usd.to_string(),
            c.savings_usd.to_string(),
            c.savings_pct.map(|p| p.to_string()).unwrap_or_default(),
            c.oversize.requests.unwrap_or(0).to_string(),
            c.oversize.extra_units.to_string(),
            c.oversize.extra_cost_usd.to_string(),
            c.websocket.cost_usd.to_string(),
            ws_units,
            ws_cost,
        ];
        out.push_str(&cells.join(","));
        out.push_str(&tail(figures));
    };
    for m in &r.months {
        row(&m.month, &m.comparison, "projected");
        if let Some(o) = &m.observed {
            row(&m.month, o, "observed");
        }
    }
    row("total", &r.total, "projected");
    if let Some(o) = &r.observed_total {
        row("total", o, "observed");
    }
    let routes: Vec<KeyLine> = r
        .routes
        .iter()
        .map(|l| KeyLine {
            key: l.route.clone(),
            requests: l.requests,
            http_units: l.http_units,
            http_cost_usd: l.http_cost_usd,
            rest_cost_usd: l.rest_cost_usd,
        })
        .collect();
    for (name, lines) in [
        ("route", r.by.route.then_some(&routes)),
        ("stage", r.by_stage.as_ref()),
        ("status", r.by_status.as_ref()),
    ] {
        for l in lines.into_iter().flatten() {
            out.push_str(&format!(
                "total,{},{},{},,{},,,,,,,,,,,,,,,{name},{}{}\n",
                l.requests,
                l.http_units,
                l.http_cost_usd,
                l.rest_cost_usd,
                csv_field(&l.key),
                if projected { ",projected" } else { "" }
            ));
        }
    }
    out
}
