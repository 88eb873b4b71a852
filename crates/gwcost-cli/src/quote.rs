//! `gwcost quote`: the calculator from counts.

use anyhow::Result;
use gwcost_report::AnyReport;

use crate::cli::{QuoteApi, QuoteArgs};
use crate::common::basis;

pub(crate) fn quote(q: &QuoteArgs) -> Result<()> {
    let common = q.api.common();
    let book = crate::common::load_book(
        common.pricing.price_book.as_deref(),
        common.pricing.region.as_deref(),
    )?;
    let free_tier = common.pricing.free_tier;
    let quote = match &q.api {
        QuoteApi::Http(h) => gwcost_report::quote_http(
            &book,
            free_tier,
            h.metering_basis.map(basis),
            h.requests,
            h.request_bytes,
            h.response_bytes,
        )?,
        QuoteApi::Rest(r) => gwcost_report::quote_rest(
            &book,
            free_tier,
            r.requests,
            r.response_bytes,
            r.cache.map(|gb| (gb, r.hours)),
        )?,
        QuoteApi::Websocket(w) => gwcost_report::quote_websocket(
            &book,
            free_tier,
            w.messages,
            w.message_bytes,
            w.connection_minutes,
        )?,
        QuoteApi::Alb(a) => gwcost_report::quote_alb(
            &book,
            free_tier,
            a.hours,
            gwcost_pricing::AlbHour {
                new_connections: a.new_connections,
                active_connection_minutes: a.active_connections.saturating_mul(60),
                processed_bytes: a.processed_bytes,
                requests: a.requests,
            },
            a.target.target(),
            a.rules,
        )?,
    };
    crate::common::render_and_emit(AnyReport::Quote(&quote), common.format, None)
}
