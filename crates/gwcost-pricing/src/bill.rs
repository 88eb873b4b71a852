//! One calendar month's bill: a month's [`Usage`] priced with a [`PriceBook`].
//!
//! Tiers restart every UTC calendar month, so a bill is always of ONE month's usage; callers
//! split their events by month first and bill each month on its own.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::{PriceBook, Usage, tiered_cost_after_free, transfer_cost_after_free};

/// How to bill.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BillOptions {
    /// Apply the free tier: per month 1 M HTTP API calls, 1 M REST API calls, 1 M WebSocket
    /// messages, 750,000 connection minutes (amounts from the price book) and the 100 GB data
    /// transfer out allowance. Off by default: it only applies to an account's first 12 months,
    /// and accounts created from 15 July 2025 get Free Tier credits instead.
    pub free_tier: bool,
}

/// The cost of the month's requests priced as one API type (HTTP or REST).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiCost {
    /// Billable requests (those the gateway did not reject for auth or throttling).
    pub requests: u64,
    /// Metered units of those requests (HTTP: 512 KB increments; REST: one each unless streaming
    /// increments are on).
    pub billed_requests: u64,
    /// Units covered by the free tier (zero without it).
    pub free_units: u64,
    pub cost_usd: Decimal,
}

/// The cost of the month's WebSocket traffic: messages and connection minutes, each tiered on its
/// own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebSocketCost {
    pub connections: u64,
    /// Data messages seen, both directions.
    pub messages: u64,
    /// Metered message units (32 KB increments; one per message of unknown size).
    pub billed_messages: u64,
    pub connection_minutes: u64,
    pub messages_cost_usd: Decimal,
    pub connection_minutes_cost_usd: Decimal,
    /// `messages_cost_usd + connection_minutes_cost_usd`.
    pub cost_usd: Decimal,
}

/// The cost of the month's data transfer out (response body bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransferCost {
    pub bytes: u64,
    pub cost_usd: Decimal,
}

/// The bill of ONE calendar month's usage. Every REQUEST event is priced both as HTTP API and as
/// REST API (alternatives, never added together); WebSocket and data transfer out are their own
/// lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthBill {
    pub http_api: ApiCost,
    pub rest_api: ApiCost,
    pub websocket: WebSocketCost,
    pub data_transfer_out: TransferCost,
}

impl MonthBill {
    /// The month's total if the requests ran on an HTTP API: HTTP requests + WebSocket + data
    /// transfer out.
    pub fn total_as_http_usd(&self) -> Decimal {
        self.http_api.cost_usd + self.websocket.cost_usd + self.data_transfer_out.cost_usd
    }

    /// The month's total if the requests ran on a REST API: REST requests + WebSocket + data
    /// transfer out.
    pub fn total_as_rest_usd(&self) -> Decimal {
        self.rest_api.cost_usd + self.websocket.cost_usd + self.data_transfer_out.cost_usd
    }
}

/// Something that cannot be priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    /// AWS offers REST API caches only in fixed sizes.
    #[error("no REST API cache of {size_gb} GB in price book {book}; sizes on offer (GB): {valid}")]
    UnknownCacheSize {
        size_gb: Decimal,
        book: String,
        /// The sizes on offer, comma-separated.
        valid: String,
    },
}

/// Prices one calendar month's `usage`.
///
/// - HTTP API: `usage.http_units` over `http_api.tiers`, free tier `http_api.free_tier_requests`.
/// - REST API: `usage.rest_units` over `rest_api.tiers`, free tier `rest_api.free_tier_requests`.
/// - WebSocket: `usage.ws_message_units` over `websocket.message_tiers` (free tier
///   `free_tier_messages`) plus `usage.ws_connection_minutes` over
///   `websocket.connection_minute_tiers` (free tier `free_tier_connection_minutes`), tiered
///   separately.
/// - Data transfer out: `usage.response_bytes` over `data_transfer_out.tiers`, priced per GB
///   (see [`crate::transfer_cost_after_free`]). AWS's 100 GB a
///   month free allowance is shared by everything in the AWS account (every service, every
///   region), so gwcost cannot know how much of it is left for this API: it is applied only when
///   `opts.free_tier` is on, and every byte is billed otherwise (the conservative reading).
///
/// With the free tier, free units are the month's first units and still count towards the tier
/// thresholds. Costs are exact and unrounded.
pub fn bill_month(usage: &Usage, book: &PriceBook, opts: BillOptions) -> MonthBill {
    let free = |amount: u64| if opts.free_tier { amount } else { 0 };

    let api = |requests: u64, units: u64, free_amount: u64, tiers: &[crate::Tier]| {
        let free_units = units.min(free(free_amount));
        ApiCost {
            requests,
            billed_requests: units,
            free_units,
            cost_usd: tiered_cost_after_free(units, free_units, tiers),
        }
    };
    let http_api = api(
        usage.billable_requests,
        usage.http_units,
        book.http_api.free_tier_requests,
        &book.http_api.tiers,
    );
    let rest_api = api(
        usage.billable_requests,
        usage.rest_units,
        book.rest_api.free_tier_requests,
        &book.rest_api.tiers,
    );

    let ws = &book.websocket;
    let messages_cost_usd = tiered_cost_after_free(
        usage.ws_message_units,
        free(ws.free_tier_messages),
        &ws.message_tiers,
    );
    let connection_minutes_cost_usd = tiered_cost_after_free(
        usage.ws_connection_minutes,
        free(ws.free_tier_connection_minutes),
        &ws.connection_minute_tiers,
    );
    let websocket = WebSocketCost {
        connections: usage.ws_connections,
        messages: usage.ws_messages,
        billed_messages: usage.ws_message_units,
        connection_minutes: usage.ws_connection_minutes,
        messages_cost_usd,
        connection_minutes_cost_usd,
        cost_usd: messages_cost_usd + connection_minutes_cost_usd,
    };

    let data_transfer_out = TransferCost {
        bytes: usage.response_bytes,
        cost_usd: transfer_cost_after_free(
            usage.response_bytes,
            free(book.data_transfer_out.free_bytes_per_month),
            &book.data_transfer_out.tiers,
        ),
    };

    MonthBill {
        http_api,
        rest_api,
        websocket,
        data_transfer_out,
    }
}

/// What a REST API cache of `size_gb` costs for `hours` hours (per stage), exactly.
///
/// AWS offers fixed sizes only; any other size is an error that lists the sizes on offer.
pub fn rest_cache_cost(
    book: &PriceBook,
    size_gb: Decimal,
    hours: u64,
) -> Result<Decimal, PricingError> {
    let per_hour =
        book.cache_price_per_hour(size_gb)
            .ok_or_else(|| PricingError::UnknownCacheSize {
                size_gb,
                book: book.meta.name.clone(),
                valid: book
                    .rest_api
                    .cache
                    .iter()
                    .map(|c| c.size_gb.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
    Ok(per_hour.saturating_mul(Decimal::from(hours)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn book() -> PriceBook {
        PriceBook::aws_us_east_1()
    }

    const ON: BillOptions = BillOptions { free_tier: true };
    const OFF: BillOptions = BillOptions { free_tier: false };

    #[test]
    fn empty_month_costs_nothing() {
        let bill = bill_month(&Usage::default(), &book(), OFF);
        assert_eq!(bill.http_api.cost_usd, Decimal::ZERO);
        assert_eq!(bill.rest_api.cost_usd, Decimal::ZERO);
        assert_eq!(bill.websocket.cost_usd, Decimal::ZERO);
        assert_eq!(bill.data_transfer_out.cost_usd, Decimal::ZERO);
    }

    #[test]
    fn http_and_rest_price_the_same_requests_as_alternatives() {
        // 2 M requests, a few oversize: 2.5 M HTTP units, 2 M REST units.
        let usage = Usage {
            requests: 2_100_000,
            billable_requests: 2_000_000,
            http_units: 2_500_000,
            rest_units: 2_000_000,
            ..Usage::default()
        };
        let bill = bill_month(&usage, &book(), OFF);
        assert_eq!(bill.http_api.requests, 2_000_000);
        assert_eq!(bill.http_api.billed_requests, 2_500_000);
        assert_eq!(bill.http_api.cost_usd, d("2.50"));
        assert_eq!(bill.rest_api.billed_requests, 2_000_000);
        assert_eq!(bill.rest_api.cost_usd, d("7.00"));
        assert_eq!(bill.total_as_http_usd(), d("2.50"));
        assert_eq!(bill.total_as_rest_usd(), d("7.00"));
    }

    #[test]
    fn free_tier_reports_the_free_units_it_applied() {
        let usage = Usage {
            billable_requests: 600_000,
            http_units: 600_000,
            rest_units: 3_000_000,
            ..Usage::default()
        };
        let bill = bill_month(&usage, &book(), ON);
        assert_eq!(bill.http_api.free_units, 600_000);
        assert_eq!(bill.http_api.cost_usd, Decimal::ZERO);
        assert_eq!(bill.rest_api.free_units, 1_000_000);
        assert_eq!(bill.rest_api.cost_usd, d("7.00"));
        let bill = bill_month(&usage, &book(), OFF);
        assert_eq!(bill.http_api.free_units, 0);
        assert_eq!(bill.rest_api.cost_usd, d("10.50"));
    }

    #[test]
    fn websocket_messages_and_minutes_are_tiered_separately() {
        let usage = Usage {
            ws_connections: 10,
            ws_messages: 2_000_000,
            ws_message_units: 3_000_000,
            ws_connection_minutes: 4_000_000,
            ..Usage::default()
        };
        let bill = bill_month(&usage, &book(), OFF);
        assert_eq!(bill.websocket.connections, 10);
        assert_eq!(bill.websocket.messages, 2_000_000);
        assert_eq!(bill.websocket.billed_messages, 3_000_000);
        assert_eq!(bill.websocket.messages_cost_usd, d("3.00"));
        assert_eq!(bill.websocket.connection_minutes_cost_usd, d("1.00"));
        assert_eq!(bill.websocket.cost_usd, d("4.00"));
        // Free tier: 1 M messages and 750,000 minutes.
        let bill = bill_month(&usage, &book(), ON);
        assert_eq!(bill.websocket.messages_cost_usd, d("2.00"));
        assert_eq!(bill.websocket.connection_minutes_cost_usd, d("0.8125"));
    }

    #[test]
    fn websocket_messages_cross_into_the_second_tier_after_a_billion() {
        let usage = Usage {
            ws_message_units: 1_500_000_000,
            ..Usage::default()
        };
        let bill = bill_month(&usage, &book(), OFF);
        // 1000 M at $1.00 + 500 M at $0.80.
        assert_eq!(bill.websocket.messages_cost_usd, d("1400"));
    }

    #[test]
    fn data_transfer_allowance_applies_only_with_the_free_tier() {
        const GB: u64 = 1 << 30;
        let usage = Usage {
            response_bytes: 150 * GB,
            ..Usage::default()
        };
        assert_eq!(
            bill_month(&usage, &book(), OFF).data_transfer_out.cost_usd,
            d("13.50")
        );
        assert_eq!(
            bill_month(&usage, &book(), ON).data_transfer_out.cost_usd,
            d("4.50")
        );
    }

    #[test]
    fn data_transfer_crosses_its_tiers_at_10_50_and_150_tb() {
        const TB: u64 = 1 << 40;
        let usage = Usage {
            response_bytes: 200 * TB,
            ..Usage::default()
        };
        // 10 TB * 1024 * 0.09 + 40 TB * 1024 * 0.085 + 100 TB * 1024 * 0.07 + 50 TB * 1024 * 0.05
        // = 921.6 + 3481.6 + 7168 + 2560.
        assert_eq!(
            bill_month(&usage, &book(), OFF).data_transfer_out.cost_usd,
            d("14131.2")
        );
    }

    proptest::proptest! {
        #[test]
        fn whole_gb_transfer_costs_exactly_its_per_gb_tiers(gb in 0u64..300_000) {
            // Independent: AWS's per-GB tiers in GB, 10 / 40 / 100 TB wide, then the rest.
            let mut rest = gb;
            let mut expected = Decimal::ZERO;
            for (width, price) in [(10_240, "0.09"), (40_960, "0.085"), (102_400, "0.07"), (u64::MAX, "0.05")] {
                let in_tier = rest.min(width);
                expected += Decimal::from(in_tier) * d(price);
                rest -= in_tier;
            }
            let usage = Usage { response_bytes: gb << 30, ..Usage::default() };
            proptest::prop_assert_eq!(bill_month(&usage, &book(), OFF).data_transfer_out.cost_usd, expected);
        }

        #[test]
        fn free_tier_never_raises_any_line(
            http in 0u64..2_000_000_000, rest in 0u64..30_000_000_000,
            msgs in 0u64..3_000_000_000, minutes in 0u64..5_000_000, bytes in 0u64..(1 << 50),
        ) {
            let usage = Usage {
                http_units: http,
                rest_units: rest,
                ws_message_units: msgs,
                ws_connection_minutes: minutes,
                response_bytes: bytes,
                ..Usage::default()
            };
            let on = bill_month(&usage, &book(), ON);
            let off = bill_month(&usage, &book(), OFF);
            proptest::prop_assert!(on.http_api.cost_usd <= off.http_api.cost_usd);
            proptest::prop_assert!(on.rest_api.cost_usd <= off.rest_api.cost_usd);
            proptest::prop_assert!(on.websocket.messages_cost_usd <= off.websocket.messages_cost_usd);
            proptest::prop_assert!(
                on.websocket.connection_minutes_cost_usd <= off.websocket.connection_minutes_cost_usd
            );
            proptest::prop_assert!(on.data_transfer_out.cost_usd <= off.data_transfer_out.cost_usd);
            proptest::prop_assert!(on.total_as_http_usd() >= Decimal::ZERO);
        }

        #[test]
        fn more_usage_never_costs_less(
            http in 0u64..2_000_000_000, more in 0u64..2_000_000_000, bytes in 0u64..(1 << 50),
            more_bytes in 0u64..(1 << 50), free_tier in proptest::bool::ANY,
        ) {
            let opts = BillOptions { free_tier };
            let small = Usage { http_units: http, rest_units: http, response_bytes: bytes, ..Usage::default() };
            let mut large = small;
            large += Usage { http_units: more, rest_units: more, response_bytes: more_bytes, ..Usage::default() };
            let (s, l) = (bill_month(&small, &book(), opts), bill_month(&large, &book(), opts));
            proptest::prop_assert!(l.total_as_http_usd() >= s.total_as_http_usd());
            proptest::prop_assert!(l.total_as_rest_usd() >= s.total_as_rest_usd());
        }
    }

    #[test]
    fn unknown_cache_size_lists_the_sizes_on_offer() {
        let err = rest_cache_cost(&book(), d("2"), 720).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("no REST API cache of 2 GB"), "{msg}");
        assert!(
            msg.contains("0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237"),
            "{msg}"
        );
    }

    #[test]
    fn cache_sizes_match_whatever_their_scale() {
        assert_eq!(rest_cache_cost(&book(), d("0.50"), 1).unwrap(), d("0.02"));
        assert_eq!(rest_cache_cost(&book(), d("118.0"), 10).unwrap(), d("19"));
    }

    #[test]
    fn bill_serializes_money_as_unrounded_decimal_strings() {
        let usage = Usage {
            billable_requests: 1,
            http_units: 1,
            rest_units: 1,
            ..Usage::default()
        };
        let bill = bill_month(&usage, &book(), OFF);
        let json = serde_json::to_value(&bill).unwrap();
        assert_eq!(json["rest_api"]["cost_usd"], "0.0000035");
        assert_eq!(json["http_api"]["cost_usd"], "0.000001");
        assert_eq!(json["http_api"]["billed_requests"], 1);
    }
}
