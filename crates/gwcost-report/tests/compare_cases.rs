//! `CompareReport` against hand-computed cases (AWS us-east-1 list prices from pricing.md):
//! a REST→HTTP migration where HTTP is cheaper, oversize payloads that make HTTP dearer (also
//! across the 300 M tier threshold), a REST cache billed by the hours of each calendar month,
//! the free tier, WebSocket's 32 KB increments, per-route allocation, and compare's HTTP/REST
//! costs equal to analyze's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::str::FromStr;

use gwcost_analytics::{Analysis, Month, MonthUsage};
use gwcost_pricing::{GB, PriceBook, Usage};
use gwcost_report::{AnalyzeReport, CompareOptions, CompareReport, ReportOptions};
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn month(year: i64, month: u32) -> Month {
    Month { year, month }
}

/// Plain HTTP requests of one route: `requests` billable requests metered as `units`.
fn requests(requests: u64, units: u64, oversize: u64, response_bytes: u64) -> Usage {
    Usage {
        requests,
        billable_requests: requests,
        http_units: units,
        rest_units: requests,
        oversize_requests: oversize,
        response_bytes,
        ..Usage::default()
    }
}

/// An analysis whose months hold the given routes.
fn analysis(months: Vec<(Month, Vec<(&str, Usage)>)>) -> Analysis {
    let mut a = Analysis::default();
    for (m, routes) in months {
        let mut mu = MonthUsage::default();
        let mut by_route = BTreeMap::new();
        for (route, u) in routes {
            mu.usage += u;
            by_route.insert(route.to_owned(), u);
        }
        mu.by_route = Some(by_route);
        a.months.insert(m, mu);
    }
    a.inputs.files = 1;
    a
}

fn compare(a: &Analysis, opts: CompareOptions) -> CompareReport {
    CompareReport::new(a, &PriceBook::aws_us_east_1(), &opts).unwrap()
}

#[test]
fn rest_to_http_migration_where_http_is_cheaper() {
    // 5 M small requests returning 10 GB in September 2026.
    let a = analysis(vec![(
        month(2026, 9),
        vec![("GET /items", requests(5_000_000, 5_000_000, 0, 10 * GB))],
    )]);
    let r = compare(&a, CompareOptions::default());
    let m = &r.months[0].comparison;
    // HTTP: 5 M × $1/M; REST: 5 M × $3.50/M (pricing.md's check); transfer: 10 GB × $0.09.
    assert_eq!(m.http_api.cost_usd, d("5"));
    assert_eq!(m.rest_api.cost_usd, d("17.5"));
    assert_eq!(m.data_transfer_out.cost_usd, d("0.9"));
    assert_eq!(m.http_api.total_usd, d("5.9"));
    assert_eq!(m.rest_api.total_usd, d("18.4"));
    assert_eq!(m.savings_usd, d("12.5"));
    // 12.5 / 18.4 = 67.934…%
    assert_eq!(m.savings_pct, Some(d("67.93")));
    assert_eq!(m.oversize.requests, Some(0));
    assert_eq!(m.oversize.extra_units, 0);
    assert_eq!(m.oversize.extra_cost_usd, Decimal::ZERO);
    assert!(m.oversize.top_routes.is_empty());
    assert_eq!(r.total, *m);
    assert_eq!(
        r.verdict,
        "HTTP API saves $12.50/month (67.9% of the REST API bill)."
    );
}

#[test]
fn oversize_payloads_make_http_dearer() {
    // 1 M uploads of 5 MB (10 increments each) and 1 M small reads.
    let a = analysis(vec![(
        month(2026, 10),
        vec![
            (
                "POST /upload",
                requests(1_000_000, 10_000_000, 1_000_000, 0),
            ),
            ("GET /small", requests(1_000_000, 1_000_000, 0, 0)),
        ],
    )]);
    let r = compare(&a, CompareOptions::default());
    let m = &r.months[0].comparison;
    assert_eq!(m.http_api.billed_units, 11_000_000);
    assert_eq!(m.http_api.cost_usd, d("11"));
    assert_eq!(m.rest_api.cost_usd, d("7"));
    assert_eq!(m.savings_usd, d("-4"));
    assert_eq!(m.savings_pct, Some(d("-57.14")));
    // 9 M extra units at $1/M.
    assert_eq!(m.oversize.requests, Some(1_000_000));
    assert_eq!(m.oversize.extra_units, 9_000_000);
    assert_eq!(m.oversize.extra_cost_usd, d("9"));
    assert_eq!(m.oversize.top_routes.len(), 1);
    let top = &m.oversize.top_routes[0];
    assert_eq!(top.route, "POST /upload");
    assert_eq!(top.requests, Some(1_000_000));
    assert_eq!(top.extra_units, 9_000_000);
    assert_eq!(top.extra_cost_usd, d("9"));
    assert_eq!(m.oversize.top_routes_savings_usd, d("9"));
    assert_eq!(
        r.verdict,
        "REST API stays cheaper by $4.00/month (57.1% of the REST API bill): 1,000,000 requests \
         over 512 KB are metered as 9,000,000 extra HTTP requests ($9.00)."
    );
}

#[test]
fn oversize_cost_uses_the_months_marginal_tier_prices() {
    // 290 M requests, 10 M of them metered as 3 units: 310 M units, across the 300 M threshold.
    // Extra 20 M units: cost(310 M) − cost(290 M) = (300 + 9) − 290 = $19, not 20 × $1.
    let a = analysis(vec![(
        month(2026, 9),
        vec![
            ("GET /big", requests(10_000_000, 30_000_000, 10_000_000, 0)),
            ("GET /small", requests(280_000_000, 280_000_000, 0, 0)),
        ],
    )]);
    let r = compare(&a, CompareOptions::default());
    let m = &r.months[0].comparison;
    assert_eq!(m.http_api.cost_usd, d("309"));
    assert_eq!(m.oversize.extra_units, 20_000_000);
    assert_eq!(m.oversize.extra_cost_usd, d("19"));
    // Per route: HTTP cost = route units × the month's average unit price (309 / 310 M).
    let big = r.routes.iter().find(|l| l.route == "GET /big").unwrap();
    let small = r.routes.iter().find(|l| l.route == "GET /small").unwrap();
    // 309 × 30/310 = 29.903225806451612903…, 309 × 280/310 = 279.096774193548387096…
    assert_eq!(big.http_cost_usd, d("29.903225806452"));
    assert_eq!(small.http_cost_usd, d("279.096774193548"));
    assert_eq!(big.http_cost_usd + small.http_cost_usd, d("309"));
    // REST: 290 M × $3.50/M = $1,015, shared by requests.
    assert_eq!(big.rest_cost_usd, d("35"));
    assert_eq!(small.rest_cost_usd, d("980"));
}

#[test]
fn rest_cache_is_billed_for_every_hour_of_each_calendar_month() {
    // 1 M requests in September 2026 (720 h) and in February 2024 (leap: 696 h), 0.5 GB cache.
    let a = analysis(vec![
        (
            month(2024, 2),
            vec![("GET /a", requests(1_000_000, 1_000_000, 0, 0))],
        ),
        (
            month(2026, 9),
            vec![("GET /a", requests(1_000_000, 1_000_000, 0, 0))],
        ),
    ]);
    let opts = CompareOptions {
        rest_cache_gb: Some(d("0.5")),
        ..CompareOptions::default()
    };
    let r = compare(&a, opts.clone());
    let feb = &r.months[0];
    let sep = &r.months[1];
    assert_eq!((feb.hours, sep.hours), (696, 720));
    assert_eq!(feb.comparison.rest_api.cache_hours, 696);
    // 696 h × $0.020 and pricing.md's check: 720 h × $0.020 = $14.40.
    assert_eq!(feb.comparison.rest_api.cache_cost_usd, d("13.92"));
    assert_eq!(sep.comparison.rest_api.cache_cost_usd, d("14.4"));
    // REST: $3.50 + $14.40; HTTP $1.00; savings $16.90 = 94.41% of $17.90.
    assert_eq!(sep.comparison.rest_api.total_usd, d("17.9"));
    assert_eq!(sep.comparison.savings_usd, d("16.9"));
    assert_eq!(sep.comparison.savings_pct, Some(d("94.41")));
    assert_eq!(r.total.rest_api.cache_cost_usd, d("28.32"));
    assert_eq!(r.total.savings_usd, d("16.42") + d("16.9"));
    assert_eq!(
        r.verdict,
        "HTTP API saves $16.66/month on average over 2 months (94.3% of the REST API bill)."
    );

    // --cache-hours fixes the hours of every month.
    let r = compare(
        &a,
        CompareOptions {
            cache_hours: Some(100),
            ..opts
        },
    );
    assert_eq!(r.months[0].comparison.rest_api.cache_cost_usd, d("2"));
    assert_eq!(r.months[1].comparison.rest_api.cache_hours, 100);
}

#[test]
fn rest_cache_of_a_size_aws_does_not_offer_is_an_error() {
    let a = analysis(vec![(
        month(2026, 9),
        vec![("GET /a", requests(1, 1, 0, 0))],
    )]);
    let err = CompareReport::new(
        &a,
        &PriceBook::aws_us_east_1(),
        &CompareOptions {
            rest_cache_gb: Some(d("1")),
            ..CompareOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("0.5, 1.6, 6.1"), "{err}");
}

#[test]
fn free_tier_applies_to_both_sides_and_to_the_extra_units() {
    // 1 M requests, 0.5 M of them 2 units: 1.5 M HTTP units.
    let a = analysis(vec![(
        month(2026, 9),
        vec![("GET /a", requests(1_000_000, 1_500_000, 500_000, 0))],
    )]);
    let r = compare(
        &a,
        CompareOptions {
            free_tier: true,
            ..CompareOptions::default()
        },
    );
    let m = &r.months[0].comparison;
    // pricing.md: 1.5 M HTTP units with the free tier → $0.50; REST 1 M requests → $0.
    assert_eq!(m.http_api.cost_usd, d("0.5"));
    assert_eq!(m.rest_api.cost_usd, Decimal::ZERO);
    // Without the extra units the month would be free: they cost the whole $0.50.
    assert_eq!(m.oversize.extra_cost_usd, d("0.5"));
    assert_eq!(m.savings_usd, d("-0.5"));
    assert_eq!(m.savings_pct, None);
}

#[test]
fn websocket_32_kb_increments() {
    let ws = Usage {
        ws_connections: 2,
        ws_messages: 3_000_000,
        ws_message_units: 3_500_000,
        ws_connection_minutes: 120,
        ..Usage::default()
    };
    let chat = Usage {
        ws_messages: 1_000_000,
        ws_message_units: 1_000_000,
        ..Usage::default()
    };
    let a = analysis(vec![(
        month(2026, 9),
        vec![
            ("$default", ws),
            ("sendMessage", chat),
            ("GET /a", requests(10, 10, 0, 0)),
        ],
    )]);
    let r = compare(&a, CompareOptions::default());
    let m = &r.months[0].comparison;
    let o = m.websocket_oversize.as_ref().unwrap();
    assert_eq!(o.requests, None);
    assert_eq!(o.extra_units, 500_000);
    assert_eq!(o.extra_cost_usd, d("0.5"));
    assert_eq!(o.top_routes.len(), 1);
    assert_eq!(o.top_routes[0].route, "$default");
    // Messages: 4.5 M units × $1/M; minutes: 120 × $0.25/M.
    assert_eq!(m.websocket.cost_usd, d("4.5") + d("0.00003"));
    // WebSocket is not part of the HTTP-vs-REST totals.
    assert_eq!(m.http_api.total_usd, d("0.00001"));
    // Routes without requests are not in the per-route table.
    assert_eq!(r.routes.len(), 1);
}

#[test]
fn no_websocket_traffic_means_no_websocket_section() {
    let a = analysis(vec![(
        month(2026, 9),
        vec![("GET /a", requests(10, 12, 1, 0))],
    )]);
    let r = compare(&a, CompareOptions::default());
    assert!(r.total.websocket_oversize.is_none());
    assert!(r.months[0].comparison.websocket_oversize.is_none());
}

#[test]
fn top_routes_are_ranked_over_all_months_and_limited() {
    let a = analysis(vec![
        (
            month(2026, 9),
            vec![
                ("A", requests(10, 40, 10, 0)),
                ("B", requests(10, 20, 10, 0)),
                ("C", requests(10, 15, 5, 0)),
            ],
        ),
        (
            month(2026, 10),
            vec![("C", requests(10, 100, 10, 0)), ("B", requests(1, 1, 0, 0))],
        ),
    ]);
    let r = compare(
        &a,
        CompareOptions {
            top_routes: 2,
            ..CompareOptions::default()
        },
    );
    let names: Vec<&str> = r
        .total
        .oversize
        .top_routes
        .iter()
        .map(|t| t.route.as_str())
        .collect();
    // Extra units over both months: C 5 + 90, A 30, B 10.
    assert_eq!(names, ["C", "A"]);
    assert_eq!(r.total.oversize.top_routes[0].extra_units, 95);
    assert_eq!(r.total.oversize.extra_units, 135);
    // $1/M throughout: 135 extra units cost $0.000135; C and A 125 of them.
    assert_eq!(r.total.oversize.extra_cost_usd, d("0.000135"));
    assert_eq!(r.total.oversize.top_routes_savings_usd, d("0.000125"));
}

#[test]
fn compare_costs_equal_analyze_costs() {
    let a = analysis(vec![
        (
            month(2026, 9),
            vec![
                (
                    "GET /big",
                    requests(10_000_000, 30_000_000, 10_000_000, 3 * GB),
                ),
                ("GET /small", requests(330_000_000, 330_000_000, 0, 7 * GB)),
            ],
        ),
        (
            month(2026, 10),
            vec![("GET /a", requests(1_234_567, 1_300_000, 9_999, 12_345_678))],
        ),
    ]);
    let book = PriceBook::aws_us_east_1();
    for free_tier in [false, true] {
        let analyze = AnalyzeReport::new(&a, &book, ReportOptions { free_tier });
        let compare = CompareReport::new(
            &a,
            &book,
            &CompareOptions {
                free_tier,
                ..CompareOptions::default()
            },
        )
        .unwrap();
        assert_eq!(analyze.months.len(), compare.months.len());
        for (am, cm) in analyze.months.iter().zip(&compare.months) {
            assert_eq!(am.month, cm.month);
            let c = &cm.comparison;
            assert_eq!(am.lines.http_api.cost_usd, c.http_api.cost_usd);
            assert_eq!(am.lines.rest_api.cost_usd, c.rest_api.cost_usd);
            assert_eq!(
                am.lines.data_transfer_out.cost_usd,
                c.data_transfer_out.cost_usd
            );
            assert_eq!(am.lines.http_api.billed_requests, c.http_api.billed_units);
        }
        assert_eq!(
            analyze.total.http_api.cost_usd,
            compare.total.http_api.cost_usd
        );
        assert_eq!(
            analyze.total.rest_api.cost_usd,
            compare.total.rest_api.cost_usd
        );
    }
}
