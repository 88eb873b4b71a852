//! Every worked check of `shared/pricing.md`, one test each, through the public API and the
//! embedded us-east-1 price book. Expected values are the document's, written out by hand.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;

use gwcost_pricing::{
    BillOptions, Decimal, MeteringBasis, MonthBill, PriceBook, Usage, bill_month, http_units,
    rest_cache_cost, ws_message_units,
};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn book() -> PriceBook {
    PriceBook::aws_us_east_1()
}

const NO_FREE_TIER: BillOptions = BillOptions { free_tier: false };
const FREE_TIER: BillOptions = BillOptions { free_tier: true };

/// HTTP units of one GET with an empty body and a response of `response_bytes`.
fn get_units(response_bytes: u64) -> u64 {
    let http = book().http_api;
    http_units(
        0,
        response_bytes,
        None,
        http.metering_basis,
        http.increment_bytes,
    )
}

fn http_month(units: u64, opts: BillOptions) -> MonthBill {
    let usage = Usage {
        requests: units,
        billable_requests: units,
        http_units: units,
        rest_units: units,
        ..Usage::default()
    };
    bill_month(&usage, &book(), opts)
}

fn rest_month(requests: u64) -> MonthBill {
    let usage = Usage {
        requests,
        billable_requests: requests,
        http_units: requests,
        rest_units: requests,
        ..Usage::default()
    };
    bill_month(&usage, &book(), NO_FREE_TIER)
}

// ---- HTTP API metering: 512 KB increments ----

#[test]
fn http_get_with_1_5_mb_response_is_3_units() {
    assert_eq!(get_units(1_572_864), 3);
}

#[test]
fn http_get_with_1_572_865_byte_response_is_4_units() {
    assert_eq!(get_units(1_572_865), 4);
}

#[test]
fn http_request_with_513_kb_of_data_is_2_units() {
    assert_eq!(get_units(513 * 1024), 2);
    // Whichever side carries the 513 KB, under the default "sum" basis.
    let http = book().http_api;
    assert_eq!(
        http_units(
            513 * 1024,
            0,
            None,
            MeteringBasis::Sum,
            http.increment_bytes
        ),
        2
    );
}

// ---- HTTP API tiers ----

#[test]
fn http_216_million_units_cost_216_dollars() {
    assert_eq!(
        http_month(216_000_000, NO_FREE_TIER).http_api.cost_usd,
        d("216.00")
    );
}

#[test]
fn http_432_million_units_cost_418_80() {
    // $300 for the first 300 M + 132 M at $0.90/M = $118.80.
    assert_eq!(
        http_month(432_000_000, NO_FREE_TIER).http_api.cost_usd,
        d("418.80")
    );
}

#[test]
fn http_400_million_units_cost_390() {
    assert_eq!(
        http_month(400_000_000, NO_FREE_TIER).http_api.cost_usd,
        d("390.00")
    );
}

#[test]
fn http_1_5_million_units_with_free_tier_cost_0_50() {
    let bill = http_month(1_500_000, FREE_TIER);
    assert_eq!(bill.http_api.cost_usd, d("0.50"));
    assert_eq!(bill.http_api.free_units, 1_000_000);
}

#[test]
fn http_half_a_million_units_with_free_tier_cost_nothing() {
    let bill = http_month(500_000, FREE_TIER);
    assert_eq!(bill.http_api.cost_usd, d("0.00"));
    assert_eq!(bill.http_api.free_units, 500_000);
}

// ---- REST API tiers ----

#[test]
fn rest_5_million_requests_cost_17_50() {
    assert_eq!(rest_month(5_000_000).rest_api.cost_usd, d("17.50"));
}

#[test]
fn aws_example_5_million_rest_requests_plus_14_3_gb_transfer_out() {
    // AWS's example: 14.3 GB of data transfer out at $0.09/GB = $1.287 (GB = 2^30 bytes).
    // 14.3 * 2^30 = 15,354,508,083.2 bytes; logs count whole bytes, so 15,354,508,083.
    let bytes = 15_354_508_083u64;
    assert_eq!(
        (d("14.3") * Decimal::from(1u64 << 30)).round(),
        Decimal::from(bytes)
    );
    let usage = Usage {
        requests: 5_000_000,
        billable_requests: 5_000_000,
        http_units: 5_000_000,
        rest_units: 5_000_000,
        response_bytes: bytes,
        ..Usage::default()
    };
    let bill = bill_month(&usage, &book(), NO_FREE_TIER);
    assert_eq!(bill.rest_api.cost_usd, d("17.50"));
    assert_eq!(bill.data_transfer_out.bytes, bytes);
    // Rounding to whole bytes moves the cost by at most half a byte's price, 0.5 * 0.09 / 2^30
    // = 4.2e-11 USD.
    let transfer = bill.data_transfer_out.cost_usd;
    assert!(
        (transfer - d("1.287")).abs() <= d("0.000000000042"),
        "{transfer}"
    );
    // 0.2 byte short of 14.3 GB, so just under $1.287.
    assert!(transfer < d("1.287"), "{transfer}");
    assert_eq!(transfer.round_dp(2), d("1.29"));
    assert_eq!(bill.total_as_rest_usd().round_dp(2), d("18.79"));
}

#[test]
fn rest_1_billion_requests_cost_3_033_10() {
    // 333 M * $3.50 + 667 M * $2.80.
    assert_eq!(rest_month(1_000_000_000).rest_api.cost_usd, d("3033.10"));
}

#[test]
fn rest_21_billion_requests_cost_49_763_10() {
    // $3,033.10 for the first 1 B + 19 B * $2.38 + 1 B * $1.51.
    assert_eq!(rest_month(21_000_000_000).rest_api.cost_usd, d("49763.10"));
}

// ---- WebSocket metering: 32 KB increments ----

#[test]
fn websocket_33_kb_message_is_2_messages() {
    let inc = book().websocket.message_increment_bytes;
    assert_eq!(ws_message_units(Some(33_792), inc), 2);
}

#[test]
fn websocket_32_768_byte_message_is_1_message() {
    let inc = book().websocket.message_increment_bytes;
    assert_eq!(ws_message_units(Some(32_768), inc), 1);
}

#[test]
fn websocket_empty_message_is_1_message() {
    let inc = book().websocket.message_increment_bytes;
    assert_eq!(ws_message_units(Some(0), inc), 1);
}

// ---- REST API cache ----

#[test]
fn rest_cache_0_5_gb_for_720_hours_costs_14_40() {
    assert_eq!(rest_cache_cost(&book(), d("0.5"), 720).unwrap(), d("14.40"));
}

#[test]
fn rest_cache_237_gb_for_720_hours_costs_2_736() {
    assert_eq!(
        rest_cache_cost(&book(), d("237"), 720).unwrap(),
        d("2736.00")
    );
}
