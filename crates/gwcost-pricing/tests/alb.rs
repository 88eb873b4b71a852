//! The ALB's hourly bill, hand-computed from AWS's definition of an LCU (25 new connections/s,
//! 3,000 active connections/min, 1 GB/h — 0.4 GB/h for Lambda — and 1,000 rule evaluations/s
//! beyond the first 10 rules, the hour billed on the largest) and us-east-1's list prices
//! ($0.0225 per ALB-hour, $0.008 per LCU-hour).
#![allow(clippy::unwrap_used)]

use std::str::FromStr;

use gwcost_pricing::{
    AlbHour, AlbPrices, AlbTarget, Decimal, GB, LcuDimension, PriceBook, alb_bill, hour_lcu,
};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn prices() -> AlbPrices {
    PriceBook::aws_us_east_1().alb.unwrap()
}

fn one_hour(h: AlbHour, target: AlbTarget, rules: u64) -> (Decimal, LcuDimension, Decimal) {
    let l = hour_lcu(&h, &prices(), target, rules);
    let bill = alb_bill(&[h], 1, &prices(), target, rules);
    (l.lcu, l.dominant, bill.cost_usd)
}

#[test]
fn the_book_holds_the_published_prices_and_lcu_capacities() {
    let p = prices();
    assert_eq!(p.per_alb_hour, d("0.0225"));
    assert_eq!(p.per_lcu_hour, d("0.008"));
    assert_eq!(p.processed_gb_per_hour_lambda, d("0.4"));
    assert_eq!(p.free_rules, 10);
}

/// 180,000 new connections in the hour = 50/s = 2 LCU; active 3,000/min = 1; 0.5 GB = 0.5;
/// 180,000 requests with 1 rule (free) = 0. Hour: $0.0225 + 2 × $0.008 = $0.0385.
#[test]
fn an_hour_dominated_by_new_connections() {
    let h = AlbHour {
        new_connections: 180_000,
        active_connection_minutes: 60 * 3_000,
        processed_bytes: GB / 2,
        requests: 180_000,
    };
    let (lcu, dim, cost) = one_hour(h, AlbTarget::Instance, 1);
    assert_eq!((lcu, dim), (d("2"), LcuDimension::NewConnections));
    assert_eq!(cost, d("0.0385"));
}

/// 9,000 connections active every minute = 3 LCU beats 90,000 new (1 LCU): $0.0225 + $0.024.
#[test]
fn an_hour_dominated_by_active_connections() {
    let h = AlbHour {
        new_connections: 90_000,
        active_connection_minutes: 60 * 9_000,
        processed_bytes: GB,
        requests: 90_000,
    };
    let (lcu, dim, cost) = one_hour(h, AlbTarget::Instance, 1);
    assert_eq!((lcu, dim), (d("3"), LcuDimension::ActiveConnections));
    assert_eq!(cost, d("0.0465"));
}

/// 5 GB in the hour = 5 LCU on instances ($0.0625 the hour), 12.5 LCU on Lambda (5 ÷ 0.4:
/// $0.0225 + $0.10 = $0.1225).
#[test]
fn an_hour_dominated_by_processed_bytes_and_a_lambda_target() {
    let h = AlbHour {
        new_connections: 3_600,
        active_connection_minutes: 60 * 100,
        processed_bytes: 5 * GB,
        requests: 36_000,
    };
    let (lcu, dim, cost) = one_hour(h, AlbTarget::Instance, 5);
    assert_eq!((lcu, dim), (d("5"), LcuDimension::ProcessedBytes));
    assert_eq!(cost, d("0.0625"));
    let (lcu, dim, cost) = one_hour(h, AlbTarget::Lambda, 5);
    assert_eq!((lcu, dim), (d("12.5"), LcuDimension::ProcessedBytes));
    assert_eq!(cost, d("0.1225"));
}

/// 1,000 requests/s through 30 rules: 20 billed rules × 1,000/s = 20,000 evaluations/s = 20 LCU
/// ($0.0225 + $0.16). With 10 rules the same hour has no rule LCU at all.
#[test]
fn an_hour_dominated_by_rule_evaluations() {
    let h = AlbHour {
        new_connections: 36_000,
        active_connection_minutes: 60 * 1_000,
        processed_bytes: GB,
        requests: 3_600_000,
    };
    let (lcu, dim, cost) = one_hour(h, AlbTarget::Instance, 30);
    assert_eq!((lcu, dim), (d("20"), LcuDimension::RuleEvaluations));
    assert_eq!(cost, d("0.1825"));
    let l = hour_lcu(&h, &prices(), AlbTarget::Instance, 10);
    assert_eq!(l.rule_evaluations, Decimal::ZERO);
}

/// A 30-day month with one request in one hour: the fixed fee of all 720 hours (720 × $0.0225 =
/// $16.20) plus that hour's LCU, 1 new connection = 1/90,000 LCU.
#[test]
fn quiet_hours_pay_the_hourly_fee() {
    let h = AlbHour {
        new_connections: 1,
        active_connection_minutes: 1,
        processed_bytes: 1_024,
        requests: 1,
    };
    let bill = alb_bill(&[h], 720, &prices(), AlbTarget::Instance, 1);
    assert_eq!(bill.hours, 720);
    assert_eq!(bill.hourly_fee_usd, d("16.2"));
    assert_eq!(bill.lcu_hours, Decimal::ONE / Decimal::from(90_000));
    assert_eq!(bill.dominant, Some(LcuDimension::NewConnections));
    assert_eq!(bill.cost_usd.round_dp(2), d("16.20"));
    let empty = alb_bill(&[], 720, &prices(), AlbTarget::Instance, 1);
    assert_eq!((empty.cost_usd, empty.dominant), (d("16.2"), None));
}

#[test]
fn a_book_without_alb_prices_reads_and_a_bad_one_names_the_key() {
    assert!(PriceBook::embedded("eu-west-2").unwrap().alb.is_none());
    let text = PriceBook::aws_us_east_1().to_toml_string().replace(
        "price_per_lcu_hour = \"0.008\"",
        "price_per_lcu_hour = 0.008",
    );
    let e = PriceBook::from_toml_str(&text).unwrap_err();
    assert_eq!(e.key(), Some("alb.price_per_lcu_hour"));
    let back = PriceBook::from_toml_str(&PriceBook::aws_us_east_1().to_toml_string()).unwrap();
    assert_eq!(back.alb, PriceBook::aws_us_east_1().alb);
}
