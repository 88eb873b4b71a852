//! `gwcost quote`: the calculator from counts (one month of assumed traffic), priced with the
//! same `bill_month` as observed traffic.

use gwcost_pricing::{
    BillOptions, MeteringBasis, MonthBill, PriceBook, Usage, bill_month, rest_cache_cost,
};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::analyze::{PriceBookLine, QUOTE_SCHEMA_VERSION as SCHEMA_VERSION};
use crate::money::{format_count, format_usd};
use crate::table::{Align, csv_field, markdown_table, text_table};

/// Why a quote cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum QuoteError {
    #[error("{what} overflows: {count} × {per} units")]
    Overflow {
        what: &'static str,
        count: u64,
        per: u64,
    },
    #[error(transparent)]
    Pricing(#[from] gwcost_pricing::PricingError),
    #[error("price book {0} has no ALB prices ([alb]); pass one that does with --price-book")]
    NoAlbPrices(String),
}

/// One priced line of a quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuoteLine {
    /// What is priced (`http_api_requests`, `rest_api_cache`, …).
    pub item: String,
    /// How many of the user's units (requests, messages, minutes, bytes, hours).
    pub quantity: u64,
    /// Metered units billed (after increments). JSON `billed_units` (schema 2; was `billed`).
    #[serde(rename = "billed_units")]
    pub billed: u64,
    pub cost_usd: Decimal,
}

/// A month of assumed traffic, priced. `Serialize` is `gwcost quote --format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quote {
    pub schema_version: u32,
    pub currency: String,
    pub price_book: PriceBookLine,
    pub free_tier: bool,
    /// `http`, `rest` or `websocket`.
    pub api: String,
    /// What was assumed, in words.
    pub assumptions: Vec<String>,
    pub lines: Vec<QuoteLine>,
    /// Sum of the lines; exact.
    pub total_usd: Decimal,
    /// `quote alb`: the month's LCU by dimension and the dominant one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alb: Option<gwcost_pricing::AlbBill>,
}

fn mul(what: &'static str, count: u64, per: u64) -> Result<u64, QuoteError> {
    count
        .checked_mul(per)
        .ok_or(QuoteError::Overflow { what, count, per })
}

fn quote(
    book: &PriceBook,
    free_tier: bool,
    api: &str,
    assumptions: Vec<String>,
    lines: Vec<QuoteLine>,
) -> Quote {
    let total_usd = lines.iter().map(|l| l.cost_usd).sum();
    let price_book = PriceBookLine::of(book);
    let mut assumptions = assumptions;
    if lines.iter().any(|l| l.item == "data_transfer_out_bytes") {
        assumptions.extend(price_book.transfer_note());
    }
    Quote {
        schema_version: SCHEMA_VERSION,
        currency: book.meta.currency.clone(),
        price_book,
        free_tier,
        api: api.to_owned(),
        assumptions,
        lines,
        total_usd,
        alb: None,
    }
}

/// Data transfer out: every response byte is billed, on either API type.
fn transfer_line(usage: &Usage, bill: &MonthBill) -> QuoteLine {
    QuoteLine {
        item: "data_transfer_out_bytes".to_owned(),
        quantity: usage.response_bytes,
        billed: usage.response_bytes,
        cost_usd: bill.data_transfer_out.cost_usd,
    }
}

/// An HTTP API month: `requests` requests, each with the given body sizes.
pub fn quote_http(
    book: &PriceBook,
    free_tier: bool,
    basis: Option<MeteringBasis>,
    requests: u64,
    request_bytes: u64,
    response_bytes: u64,
) -> Result<Quote, QuoteError> {
    let basis = basis.unwrap_or(book.http_api.metering_basis);
    let per = book
        .request_units(request_bytes, response_bytes, None, Some(basis))
        .http;
    let usage = Usage {
        requests,
        billable_requests: requests,
        http_units: mul("HTTP API units", requests, per)?,
        response_bytes: mul("response bytes", requests, response_bytes)?,
        ..Usage::default()
    };
    let bill = bill_month(&usage, book, BillOptions { free_tier });
    let mut lines = vec![QuoteLine {
        item: "http_api_requests".to_owned(),
        quantity: requests,
        billed: bill.http_api.billed_requests,
        cost_usd: bill.http_api.cost_usd,
    }];
    if response_bytes > 0 {
        lines.push(transfer_line(&usage, &bill));
    }
    let assumptions = vec![format!(
        "{} requests of {} B request + {} B response body each: {} unit{} per request (512 KB increments, basis {})",
        format_count(requests),
        request_bytes,
        response_bytes,
        per,
        if per == 1 { "" } else { "s" },
        basis.as_str()
    )];
    Ok(quote(book, free_tier, "http", assumptions, lines))
}

/// A REST API month: `requests` requests, optionally a cache of `cache_gb` for `hours`.
pub fn quote_rest(
    book: &PriceBook,
    free_tier: bool,
    requests: u64,
    response_bytes: u64,
    cache: Option<(Decimal, u64)>,
) -> Result<Quote, QuoteError> {
    let per = book.request_units(0, response_bytes, None, None).rest;
    let usage = Usage {
        requests,
        billable_requests: requests,
        rest_units: mul("REST API units", requests, per)?,
        response_bytes: mul("response bytes", requests, response_bytes)?,
        ..Usage::default()
    };
    let bill = bill_month(&usage, book, BillOptions { free_tier });
    let mut lines = vec![QuoteLine {
        item: "rest_api_requests".to_owned(),
        quantity: requests,
        billed: bill.rest_api.billed_requests,
        cost_usd: bill.rest_api.cost_usd,
    }];
    let mut assumptions = vec![format!("{} requests", format_count(requests))];
    if let Some((gb, hours)) = cache {
        let cost = rest_cache_cost(book, gb, hours)?;
        lines.push(QuoteLine {
            item: format!("rest_api_cache_{gb}_gb_hours"),
            quantity: hours,
            billed: hours,
            cost_usd: cost,
        });
        assumptions.push(format!(
            "a {gb} GB cache provisioned for {hours} hours (one stage)"
        ));
    }
    if response_bytes > 0 {
        lines.push(transfer_line(&usage, &bill));
    }
    Ok(quote(book, free_tier, "rest", assumptions, lines))
}

/// A WebSocket month: `messages` messages (of `message_bytes` each, unknown = one unit each)
/// and `connection_minutes` connection minutes.
pub fn quote_websocket(
    book: &PriceBook,
    free_tier: bool,
    messages: u64,
    message_bytes: Option<u64>,
    connection_minutes: u64,
) -> Result<Quote, QuoteError> {
    let per = book.message_units(message_bytes);
    let usage = Usage {
        ws_messages: messages,
        ws_message_units: mul("WebSocket message units", messages, per)?,
        ws_connection_minutes: connection_minutes,
        ..Usage::default()
    };
    let bill = bill_month(&usage, book, BillOptions { free_tier });
    let lines = vec![
        QuoteLine {
            item: "websocket_messages".to_owned(),
            quantity: messages,
            billed: bill.websocket.billed_messages,
            cost_usd: bill.websocket.messages_cost_usd,
        },
        QuoteLine {
            item: "websocket_connection_minutes".to_owned(),
            quantity: connection_minutes,
            billed: connection_minutes,
            cost_usd: bill.websocket.connection_minutes_cost_usd,
        },
    ];
    let size = match message_bytes {
        Some(b) => format!(
            "{b} B each: {per} unit{} per message (32 KB increments)",
            if per == 1 { "" } else { "s" }
        ),
        None => "of unknown size: one unit each".to_owned(),
    };
    let assumptions = vec![format!("{} messages {size}", format_count(messages))];
    Ok(quote(book, free_tier, "websocket", assumptions, lines))
}

/// An ALB month: `hours` hours, each carrying `hour`'s traffic (AWS's calculator asks the same
/// averages), priced as the fixed fee of every hour plus each hour's LCU.
pub fn quote_alb(
    book: &PriceBook,
    free_tier: bool,
    hours: u64,
    hour: gwcost_pricing::AlbHour,
    target: gwcost_pricing::AlbTarget,
    rules: u64,
) -> Result<Quote, QuoteError> {
    let prices = book
        .alb
        .as_ref()
        .ok_or_else(|| QuoteError::NoAlbPrices(book.meta.name.clone()))?;
    let traffic = vec![hour; usize::try_from(hours).unwrap_or(0)];
    let bill = gwcost_pricing::alb_bill(&traffic, hours, prices, target, rules);
    let per_hour = gwcost_pricing::hour_lcu(&hour, prices, target, rules);
    let lines = vec![
        QuoteLine {
            item: "alb_hours".to_owned(),
            quantity: hours,
            billed: hours,
            cost_usd: bill.hourly_fee_usd,
        },
        QuoteLine {
            item: "alb_lcu_hours".to_owned(),
            quantity: hours,
            billed: hours,
            cost_usd: bill.lcu_cost_usd,
        },
    ];
    let assumptions = vec![format!(
        "{hours} hours of {} new connections, {} active connections a minute, {} B processed and \
         {} requests through {rules} rule{} each ({} targets): {} LCU an hour, dominant: {}",
        format_count(hour.new_connections),
        format_count(hour.active_connection_minutes / 60),
        format_count(hour.processed_bytes),
        format_count(hour.requests),
        if rules == 1 { "" } else { "s" },
        match target {
            gwcost_pricing::AlbTarget::Instance => "instance",
            gwcost_pricing::AlbTarget::Lambda => "Lambda",
        },
        per_hour.lcu.round_dp(6).normalize(),
        per_hour.dominant.as_str()
    )];
    let mut q = quote(book, free_tier, "alb", assumptions, lines);
    q.alb = Some(bill);
    Ok(q)
}

fn item_label(item: &str) -> String {
    match item {
        "http_api_requests" => "HTTP API requests".to_owned(),
        "rest_api_requests" => "REST API requests".to_owned(),
        "websocket_messages" => "WebSocket messages".to_owned(),
        "websocket_connection_minutes" => "WebSocket connection minutes".to_owned(),
        "data_transfer_out_bytes" => "Data transfer out (bytes)".to_owned(),
        "alb_hours" => "ALB hours".to_owned(),
        "alb_lcu_hours" => "ALB LCU (hours)".to_owned(),
        other => match other
            .strip_prefix("rest_api_cache_")
            .and_then(|s| s.strip_suffix("_gb_hours"))
        {
            Some(gb) => format!("REST API cache {gb} GB (hours)"),
            None => other.to_owned(),
        },
    }
}

const HEADER: [&str; 4] = ["Line", "Quantity", "Billed units", "Cost (USD)"];
const ALIGN: [Align; 4] = [Align::Left, Align::Right, Align::Right, Align::Right];

fn rows(q: &Quote) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = q
        .lines
        .iter()
        .map(|l| {
            vec![
                item_label(&l.item),
                format_count(l.quantity),
                format_count(l.billed),
                format_usd(l.cost_usd),
            ]
        })
        .collect();
    rows.push(vec![
        "Total".to_owned(),
        String::new(),
        String::new(),
        format_usd(q.total_usd),
    ]);
    rows
}

fn header_line(q: &Quote) -> String {
    format!(
        "Quote ({} API, one month): price book {}, {}; free tier {}",
        q.api,
        q.price_book.describe(),
        q.currency,
        if q.free_tier { "on" } else { "off" }
    )
}

impl Quote {
    /// The terminal table.
    pub(crate) fn render_table(&self) -> String {
        let mut out = header_line(self);
        out.push_str("\n\n");
        out.push_str(&text_table(&HEADER, &ALIGN, &rows(self)));
        for a in &self.assumptions {
            out.push_str(&format!("\nAssumed: {a}"));
        }
        out.push('\n');
        out
    }

    /// Markdown.
    pub(crate) fn render_markdown(&self) -> String {
        let mut out = format!("## {}\n\n", header_line(self));
        out.push_str(&markdown_table(&HEADER, &ALIGN, &rows(self)));
        out.push('\n');
        for a in &self.assumptions {
            out.push_str(&format!("> Assumed: {a}\n"));
        }
        out
    }

    /// CSV: one row per line, then `total`. Costs are exact.
    pub(crate) fn render_csv(&self) -> String {
        let mut out = String::from("item,quantity,billed_units,cost_usd\n");
        for l in &self.lines {
            out.push_str(&format!(
                "{},{},{},{}\n",
                csv_field(&l.item),
                l.quantity,
                l.billed,
                l.cost_usd
            ));
        }
        out.push_str(&format!("total,,,{}\n", self.total_usd));
        out
    }
}
