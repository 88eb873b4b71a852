//! `gwcost report`: the comparison as one self-contained HTML page (inline CSS, charts as inline
//! SVG, no scripts, nothing fetched from anywhere), or as Markdown with PNG charts beside it.
//!
//! Both are deterministic functions of the [`CompareReport`] (no clock, no paths), so a committed
//! report can be regenerated and compared byte for byte.

use crate::charts::{Chart, ChartError, chart_png, chart_svg};
use crate::compare::{CompareReport, format_pct};
use crate::compare_render::{format_usd, markdown_body, sections, summary_lines};
use crate::money::{format_bytes, format_count};
use crate::table::Align;

/// Escapes text for HTML element content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --http: #1f77b4; --rest: #e67e22; --ink: #212529; --muted: #6c757d; --line: #dee2e6; }
* { box-sizing: border-box; }
body { margin: 0; font-family: "DejaVu Sans", system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--ink); background: #f8f9fa; line-height: 1.45; }
main { max-width: 980px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.2rem; margin: 32px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.sub { color: var(--muted); margin: 0 0 18px; font-size: 0.9rem; }
.verdict { font-size: 1.25rem; font-weight: bold; background: #fff; border-left: 6px solid var(--http);
  padding: 14px 18px; margin: 0 0 18px; }
.verdict.rest { border-left-color: var(--rest); }
.cards { display: flex; gap: 14px; flex-wrap: wrap; }
.card { flex: 1 1 200px; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; }
.card .label { color: var(--muted); font-size: 0.85rem; }
.card .value { font-size: 1.5rem; font-weight: bold; }
.card.http .value { color: var(--http); }
.card.rest .value { color: var(--rest); }
figure { margin: 0 0 18px; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 0.85rem; padding: 4px 8px 0; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 0.85rem; margin: 0 0 8px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; }
th { background: #f1f3f5; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; background: #fff;
  border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; }
.notes li { color: var(--muted); font-size: 0.85rem; }
footer { color: var(--muted); font-size: 0.8rem; margin-top: 32px; }
"#;

fn html_table(header: &[&str], align: &[Align], rows: &[Vec<String>]) -> String {
    let class = |i: usize| match align.get(i) {
        Some(Align::Right) => " class=\"num\"",
        _ => "",
    };
    let mut out = String::from("<table>\n<thead><tr>");
    for (i, h) in header.iter().enumerate() {
        out.push_str(&format!("<th{}>{}</th>", class(i), esc(h)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        let total = row.first().is_some_and(|c| c == "Total");
        out.push_str(if total {
            "<tr class=\"total\">"
        } else {
            "<tr>"
        });
        for (i, cell) in row.iter().enumerate() {
            out.push_str(&format!("<td{}>{}</td>", class(i), esc(cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

fn figure(r: &CompareReport, chart: Chart) -> Result<String, ChartError> {
    let svg = chart_svg(r, chart)?;
    Ok(format!(
        "<figure role=\"img\" aria-label=\"{}\">\n{}<figcaption>{}</figcaption>\n</figure>\n",
        esc(chart.title()),
        svg,
        esc(chart.title())
    ))
}

fn card(class: &str, label: &str, value: &str, detail: &str) -> String {
    format!(
        "<div class=\"card {class}\"><div class=\"label\">{}</div><div class=\"value\">{}</div>\
         <div class=\"label\">{}</div></div>\n",
        esc(label),
        esc(value),
        esc(detail)
    )
}

/// The self-contained HTML report.
pub(crate) fn render_html(r: &CompareReport) -> Result<String, ChartError> {
    let t = &r.total;
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<title>gwcost report: HTTP API vs REST API</title>\n");
    out.push_str(&format!(
        "<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
    ));
    out.push_str("<h1>API Gateway: HTTP API vs REST API</h1>\n");
    out.push_str(&format!(
        "<p class=\"sub\">{}</p>\n",
        summary_lines(r)
            .iter()
            .map(|l| esc(l))
            .collect::<Vec<_>>()
            .join("<br>\n")
    ));
    let rest_wins = t.savings_usd < rust_decimal::Decimal::ZERO;
    out.push_str(&format!(
        "<p class=\"verdict{}\">{}</p>\n",
        if rest_wins { " rest" } else { "" },
        esc(&r.verdict)
    ));

    out.push_str("<section class=\"cards\">\n");
    let months = r.months.len();
    let period = format!("{} month{}", months, if months == 1 { "" } else { "s" });
    out.push_str(&card(
        "http",
        "As an HTTP API",
        &format_usd(t.http_api.total_usd),
        &format!("requests + data transfer out, {period}"),
    ));
    out.push_str(&card(
        "rest",
        if r.rest_cache.is_some() {
            "As a REST API with cache"
        } else {
            "As a REST API"
        },
        &format_usd(t.rest_api.total_usd),
        &format!("requests + cache + data transfer out, {period}"),
    ));
    out.push_str(&card(
        "",
        "HTTP API saves",
        &format_usd(t.savings_usd),
        &t.savings_pct
            .map(|p| format!("{} of the REST API bill", format_pct(p)))
            .unwrap_or_else(|| "no REST API bill to compare".to_owned()),
    ));
    out.push_str(&card(
        "",
        "512 KB increments cost",
        &format_usd(t.oversize.extra_cost_usd),
        &format!(
            "{} requests over 512 KB, {} extra units",
            format_count(t.oversize.requests.unwrap_or(0)),
            format_count(t.oversize.extra_units)
        ),
    ));
    out.push_str("</section>\n");

    out.push_str("<h2>Charts</h2>\n");
    for chart in Chart::ALL {
        out.push_str(&figure(r, chart)?);
    }

    for s in sections(r) {
        out.push_str(&format!("<h2>{}</h2>\n", esc(&s.title)));
        out.push_str(&html_table(&s.header, &s.align, &s.rows));
        if let Some(f) = &s.footer {
            out.push_str(&format!("<p>{}</p>\n", esc(f)));
        }
    }

    let i = &r.inputs;
    out.push_str("<h2>Input summary</h2>\n<dl>\n");
    let span = match (&i.first_event, &i.last_event) {
        (Some(a), Some(b)) => format!("{a} to {b} (UTC)"),
        _ => "no events".to_owned(),
    };
    for (k, v) in [
        ("Files", format_count(i.files)),
        ("Lines read", format_count(i.lines)),
        ("Malformed lines", format_count(i.malformed_lines)),
        ("Bytes read", format_bytes(i.bytes)),
        ("Time span", span),
        ("Price book", r.price_book.describe()),
        ("HTTP metering basis", r.metering_basis.to_string()),
        (
            "Free tier",
            if r.free_tier { "on" } else { "off" }.to_owned(),
        ),
    ] {
        out.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", esc(k), esc(&v)));
    }
    out.push_str("</dl>\n");

    out.push_str("<h2>Notes</h2>\n<ul class=\"notes\">\n");
    for n in &r.notes {
        out.push_str(&format!("<li>{}</li>\n", esc(n)));
    }
    out.push_str("</ul>\n");
    out.push_str(
        "<footer>Generated by gwcost report. Amounts are rounded half-even to cents for display; \
         <code>gwcost compare --format json</code> gives them exactly.</footer>\n",
    );
    out.push_str("</main>\n</body>\n</html>\n");
    Ok(out)
}

/// A Markdown report and the PNG charts it links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkdownReport {
    pub markdown: String,
    /// (file name, PNG bytes), to write beside the Markdown file.
    pub images: Vec<(String, Vec<u8>)>,
}

/// The Markdown report; chart images are named `{stem}-{chart}.png` and linked relatively, so
/// they must be written in the same directory as the Markdown file.
pub fn render_markdown_report(r: &CompareReport, stem: &str) -> Result<MarkdownReport, ChartError> {
    let mut images = Vec::new();
    for chart in Chart::ALL {
        images.push((format!("{stem}-{}.png", chart.slug()), chart_png(r, chart)?));
    }
    let link = |chart: Chart| format!("\n![{}]({stem}-{}.png)\n", chart.title(), chart.slug());
    let charts = |at: &str| match at {
        "monthly" => link(Chart::MonthlyCost),
        "rest" => [Chart::DailyUnits, Chart::PayloadSizes, Chart::RouteCost]
            .into_iter()
            .map(|c| format!("\n### {}\n{}", c.title(), link(c)))
            .collect(),
        _ => String::new(),
    };
    let mut markdown = String::from("# API Gateway: HTTP API vs REST API (gwcost report)\n\n");
    markdown.push_str(&markdown_body(r, &charts));
    Ok(MarkdownReport { markdown, images })
}

/// A self-contained HTML page showing `text` (a report's terminal table) as preformatted text,
/// for the reports that have no charts (`analyze`, `quote`, `reconcile`).
pub(crate) fn text_page(title: &str, text: &str) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!("<title>{}</title>\n", esc(title)));
    out.push_str("<style>");
    out.push_str(STYLE);
    out.push_str("pre { background: #fff; border: 1px solid var(--line); padding: 12px; overflow-x: auto; }\n");
    out.push_str("</style>\n</head>\n<body>\n<main>\n");
    out.push_str(&format!(
        "<h1>{}</h1>\n<pre>{}</pre>\n",
        esc(title),
        esc(text)
    ));
    out.push_str("</main>\n</body>\n</html>\n");
    out
}
