//! `gwcost prices --format table`: the price book in force, as people read prices (per million
//! requests, per GB), converted back from the book's exact per-unit prices.

use gwcost_pricing::{GB, MILLION, PriceBook, Tier, per_gb_price};
use rust_decimal::Decimal;

use crate::money::format_count;
use crate::table::{Align, text_table};

/// A price with at least cents shown (`$1.00`, `$0.25`, `$0.0225`), never rounded.
fn dollars(d: Decimal) -> String {
    let mut d = d.normalize();
    if d.scale() < 2 {
        d.rescale(2);
    }
    format!("${d}")
}

fn per_million(t: &Tier) -> String {
    dollars(t.unit_price * Decimal::from(MILLION))
}

fn up_to_millions(prev: Option<u64>, t: &Tier) -> String {
    let m = |n: u64| {
        if n.is_multiple_of(MILLION) {
            format!("{} M", format_count(n / MILLION))
        } else {
            format_count(n)
        }
    };
    match (prev, t.up_to) {
        (None, Some(u)) => format!("first {}", m(u)),
        (Some(p), Some(u)) => format!("{} to {}", m(p), m(u)),
        (Some(p), None) => format!("above {}", m(p)),
        (None, None) => "all".to_owned(),
    }
}

fn up_to_gb(prev: Option<u64>, t: &Tier) -> String {
    let g = |n: u64| {
        if n.is_multiple_of(GB) {
            format!("{} GB", format_count(n / GB))
        } else {
            format!("{} B", format_count(n))
        }
    };
    match (prev, t.up_to) {
        (None, Some(u)) => format!("first {}", g(u)),
        (Some(p), Some(u)) => format!("{} to {}", g(p), g(u)),
        (Some(p), None) => format!("above {}", g(p)),
        (None, None) => "all".to_owned(),
    }
}

fn tier_rows(
    line: &str,
    unit: &str,
    tiers: &[Tier],
    range: fn(Option<u64>, &Tier) -> String,
    price: fn(&Tier) -> String,
    rows: &mut Vec<Vec<String>>,
) {
    let mut prev = None;
    for (i, t) in tiers.iter().enumerate() {
        rows.push(vec![
            if i == 0 {
                line.to_owned()
            } else {
                String::new()
            },
            range(prev, t),
            format!("{} {unit}", price(t)),
        ]);
        prev = t.up_to;
    }
}

/// `gwcost prices --regions`: the embedded books, one a line, then the regions AWS's data could
/// not make a complete book for.
pub fn render_regions() -> String {
    let mut rows = Vec::new();
    for (region, _) in gwcost_pricing::EMBEDDED {
        let location = gwcost_pricing::LOCATIONS
            .iter()
            .find(|(_, r)| r == region)
            .map_or("", |(l, _)| *l);
        let as_of = PriceBook::embedded(region)
            .map(|b| b.meta.as_of)
            .unwrap_or_default();
        rows.push(vec![(*region).to_owned(), location.to_owned(), as_of]);
    }
    let mut out = text_table(
        &["Region", "Location", "Prices as of"],
        &[Align::Left, Align::Left, Align::Left],
        &rows,
    );
    for (region, why) in gwcost_pricing::NOT_EMBEDDED {
        out.push_str(&format!("\nNo embedded book for {region}: {why}"));
    }
    out.push('\n');
    out
}

/// The price book as an aligned table plus its settings.
pub fn render_prices_table(book: &PriceBook) -> String {
    let mut rows = Vec::new();
    tier_rows(
        "HTTP API requests",
        "per million",
        &book.http_api.tiers,
        up_to_millions,
        per_million,
        &mut rows,
    );
    tier_rows(
        "REST API requests",
        "per million",
        &book.rest_api.tiers,
        up_to_millions,
        per_million,
        &mut rows,
    );
    for (i, c) in book.rest_api.cache.iter().enumerate() {
        rows.push(vec![
            if i == 0 {
                "REST API cache".to_owned()
            } else {
                String::new()
            },
            format!("{} GB", c.size_gb.normalize()),
            format!("{} per hour", dollars(c.per_hour)),
        ]);
    }
    tier_rows(
        "WebSocket messages",
        "per million",
        &book.websocket.message_tiers,
        up_to_millions,
        per_million,
        &mut rows,
    );
    tier_rows(
        "WebSocket connection minutes",
        "per million",
        &book.websocket.connection_minute_tiers,
        up_to_millions,
        per_million,
        &mut rows,
    );
    tier_rows(
        "Data transfer out",
        "per GB",
        &book.data_transfer_out.tiers,
        up_to_gb,
        |t| dollars(per_gb_price(t.unit_price)),
        &mut rows,
    );
    let m = &book.meta;
    let mut out = format!(
        "Price book {} ({}, {}), as of {}\nSource: {}\n\n",
        m.name, m.region, m.currency, m.as_of, m.source_url
    );
    out.push_str(&text_table(
        &["Line", "Tier", "Price"],
        &[Align::Left, Align::Left, Align::Right],
        &rows,
    ));
    let h = &book.http_api;
    let w = &book.websocket;
    out.push_str(&format!(
        "\nHTTP API: {} B increments, metering basis {}, free tier {} requests/month\n",
        format_count(h.increment_bytes),
        h.metering_basis.as_str(),
        format_count(h.free_tier_requests)
    ));
    out.push_str(&format!(
        "REST API: free tier {} requests/month, streaming increments {}\n",
        format_count(book.rest_api.free_tier_requests),
        book.rest_api
            .streaming_increment_bytes
            .map_or_else(|| "off".to_owned(), |b| format!("{} B", format_count(b)))
    ));
    out.push_str(&format!(
        "WebSocket: {} B message increments, connect/disconnect counted as messages: {}, free tier {} messages and {} connection minutes/month\n",
        format_count(w.message_increment_bytes),
        if w.count_connect_disconnect { "yes" } else { "no" },
        format_count(w.free_tier_messages),
        format_count(w.free_tier_connection_minutes)
    ));
    out.push_str(&format!(
        "Data transfer out: {} free per month with the free tier\n",
        crate::money::format_bytes(book.data_transfer_out.free_bytes_per_month)
    ));
    if let Some(src) = &book.data_transfer_out.source {
        out.push_str(&format!("Data transfer out is priced at {src}\n"));
    }
    match &book.alb {
        Some(a) => out.push_str(&format!(
            "ALB: {} per ALB-hour, {} per LCU-hour (1 LCU: {} new connections/s, {} active \
             connections/min, {} GB/h — {} GB/h to Lambda — or {} rule evaluations/s beyond the \
             first {} rules); source: {}\n",
            dollars(a.per_alb_hour),
            dollars(a.per_lcu_hour),
            a.new_connections_per_second,
            format_count(a.active_connections_per_minute),
            a.processed_gb_per_hour.normalize(),
            a.processed_gb_per_hour_lambda.normalize(),
            format_count(a.rule_evaluations_per_second),
            a.free_rules,
            a.source
        )),
        None => out.push_str("ALB: no prices in this book (the ALB is not priced)\n"),
    }
    out.push_str(&format!(
        "Not billed (errorResponseType): {}\n",
        book.unbilled_error_types.join(", ")
    ));
    out
}
