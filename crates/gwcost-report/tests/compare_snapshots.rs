//! Snapshots pin every text rendering of one `CompareReport` (table, Markdown, JSON, CSV,
//! infracost usage) over a small fixed analysis: two months, oversize HTTP routes, WebSocket
//! traffic with 32 KB extra units, and a REST cache. Review a change with `cargo insta review`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use gwcost_analytics::{Analysis, Day, Month, MonthUsage};
use gwcost_pricing::{MB, PriceBook, Usage};
use gwcost_report::{AnyReport, CompareOptions, CompareReport, Format};

fn http(requests: u64, units: u64, oversize: u64, response_bytes: u64) -> Usage {
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

fn fixture() -> Analysis {
    let mut a = Analysis::default();
    let months: Vec<(Month, Vec<(&str, Usage)>)> = vec![
        (
            Month {
                year: 2026,
                month: 9,
            },
            vec![
                ("GET /items", http(2_400_000, 2_400_000, 0, 4_800 * MB)),
                ("POST /upload", http(300_000, 1_200_000, 300_000, 30 * MB)),
                (
                    "$default",
                    Usage {
                        ws_connections: 40,
                        ws_messages: 90_000,
                        ws_message_units: 96_000,
                        ws_connection_minutes: 2_400,
                        ..Usage::default()
                    },
                ),
            ],
        ),
        (
            Month {
                year: 2026,
                month: 10,
            },
            vec![
                ("GET /items", http(2_600_000, 2_600_000, 0, 5_200 * MB)),
                ("POST /upload", http(200_000, 700_000, 150_000, 20 * MB)),
                ("GET /report", http(50_000, 150_000, 50_000, 100 * MB)),
            ],
        ),
    ];
    for (m, routes) in months {
        let mut mu = MonthUsage::default();
        let mut by_route = BTreeMap::new();
        for (route, u) in routes {
            mu.usage += u;
            by_route.insert(route.to_owned(), u);
        }
        mu.by_route = Some(by_route);
        // One day per month is enough for the daily series.
        a.days.insert(
            Day {
                year: m.year,
                month: m.month,
                day: 15,
            },
            mu.usage,
        );
        a.months.insert(m, mu);
    }
    a.inputs.files = 2;
    a.inputs.lines = 5_550_000;
    a.inputs.bytes = 1_234_567_890;
    a.inputs.first_event_ms = Some(1_788_220_800_000); // 2026-09-01
    a.inputs.last_event_ms = Some(1_793_491_199_000); // 2026-10-31
    for (size, count) in [(1_000u64, 5_000u64), (600_000, 800), (40_000, 300)] {
        for _ in 0..count {
            if size == 40_000 {
                a.ws_sizes.add(size);
            } else {
                a.http_sizes.add(size);
            }
        }
    }
    a
}

fn report() -> CompareReport {
    CompareReport::new(
        &fixture(),
        &PriceBook::aws_us_east_1(),
        &CompareOptions {
            rest_cache_gb: Some("0.5".parse().unwrap()),
            top_routes: 2,
            ..CompareOptions::default()
        },
    )
    .unwrap()
}

/// The one dispatch every command renders through.
fn render(format: Format) -> String {
    gwcost_report::render(AnyReport::Compare(&report()), format).unwrap()
}

#[test]
fn compare_table() {
    insta::assert_snapshot!(render(Format::Table));
}

#[test]
fn compare_markdown() {
    insta::assert_snapshot!(render(Format::Markdown));
}

#[test]
fn compare_json() {
    insta::assert_snapshot!(render(Format::Json));
}

#[test]
fn compare_csv() {
    insta::assert_snapshot!(render(Format::Csv));
}

#[test]
fn compare_infracost_usage() {
    insta::assert_snapshot!(render(Format::InfracostUsage));
}

#[test]
fn html_is_deterministic_and_self_contained() {
    let a = render(Format::Html);
    let b = render(Format::Html);
    assert_eq!(a, b);
    assert_eq!(a.matches("<svg").count(), 4);
    for forbidden in ["<script", "<link", "src=", "href=", "url("] {
        assert!(!a.contains(forbidden), "HTML contains {forbidden}");
    }
    assert!(a.contains(&report().verdict));
}

#[test]
fn markdown_report_links_the_pngs_it_returns() {
    let md = gwcost_report::render_markdown_report(&report(), "q3").unwrap();
    assert_eq!(md.images.len(), 4);
    for (name, png) in &md.images {
        assert!(
            md.markdown.contains(&format!("]({name})")),
            "{name} not linked"
        );
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name} is not a PNG");
    }
}
