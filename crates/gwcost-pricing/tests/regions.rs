//! Every embedded region's book: built from AWS's own data (`data/`, copied unmodified from AWS's
//! pricing page and the Price List CSV of eu-west-2) by `gwcost prices import`, checked here
//! against that data, against us-east-1's hand-checked book, and against hand-computed bills.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;

use gwcost_pricing::{
    BillOptions, Decimal, EMBEDDED, LOCATIONS, NOT_EMBEDDED, Offer, PriceBook, Tier, Usage,
    bill_month,
};

const PAGE: &str = include_str!("../data/apigateway-pricing-page.json");
const CSV: &str = include_str!("../data/AmazonApiGateway-eu-west-2.csv");

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn page_offer() -> Offer {
    let reference = Offer::from_text(CSV, None).unwrap();
    Offer::from_text(PAGE, Some(&reference)).unwrap()
}

fn book(region: &str) -> PriceBook {
    PriceBook::embedded(region).unwrap()
}

/// The prices only: `meta` says where a book came from and `data_transfer_out.source` what it
/// lacks, neither of which is a price.
fn prices_of(mut b: PriceBook) -> PriceBook {
    b.meta = PriceBook::aws_us_east_1().meta;
    b.data_transfer_out.source = None;
    // ALB prices are not API Gateway data: imported books have none.
    b.alb = None;
    b
}

fn bounds(t: &[Tier]) -> Vec<Option<u64>> {
    t.iter().map(|t| t.up_to).collect()
}

#[test]
fn every_embedded_book_is_valid_ascending_and_shaped_like_us_east_1() {
    let use1 = PriceBook::aws_us_east_1();
    assert!(EMBEDDED.len() >= 30, "{} books", EMBEDDED.len());
    for (region, text) in EMBEDDED {
        let b = PriceBook::from_toml_str(text).unwrap_or_else(|e| panic!("{region}: {e}"));
        assert_eq!(b.meta.region, *region);
        assert_eq!(b.meta.currency, "USD");
        for (what, tiers) in [
            ("http", &b.http_api.tiers),
            ("rest", &b.rest_api.tiers),
            ("messages", &b.websocket.message_tiers),
            ("minutes", &b.websocket.connection_minute_tiers),
        ] {
            assert!(!tiers.is_empty(), "{region} {what}");
            assert_eq!(tiers.last().unwrap().up_to, None, "{region} {what}");
            let b: Vec<u64> = tiers.iter().filter_map(|t| t.up_to).collect();
            assert!(b.windows(2).all(|w| w[0] < w[1]), "{region} {what} {b:?}");
            assert!(tiers.iter().all(|t| t.unit_price > Decimal::ZERO));
        }
        // Same rules, same products, same cache sizes as us-east-1.
        assert_eq!(b.http_api.increment_bytes, use1.http_api.increment_bytes);
        assert_eq!(
            b.websocket.message_increment_bytes,
            use1.websocket.message_increment_bytes
        );
        assert_eq!(bounds(&b.http_api.tiers), bounds(&use1.http_api.tiers));
        let sizes = |b: &PriceBook| {
            b.rest_api
                .cache
                .iter()
                .map(|c| c.size_gb)
                .collect::<Vec<_>>()
        };
        assert_eq!(sizes(&b), sizes(&use1), "{region}");
        // What the data lacks is said in the book.
        if *region != "us-east-1" {
            let src = b.data_transfer_out.source.as_deref().unwrap_or("");
            assert!(src.contains("us-east-1's rates"), "{region}: {src}");
        }
    }
}

#[test]
fn every_location_is_embedded_or_said_why_not() {
    let mut listed: Vec<&str> = EMBEDDED
        .iter()
        .map(|(r, _)| *r)
        .chain(NOT_EMBEDDED.iter().map(|(r, _)| *r))
        .collect();
    listed.sort_unstable();
    let mut all: Vec<&str> = LOCATIONS.iter().map(|(_, r)| *r).collect();
    all.sort_unstable();
    assert_eq!(listed, all);
    let offer = page_offer();
    for (region, _) in NOT_EMBEDDED {
        assert!(offer.book(region, &PriceBook::aws_us_east_1()).is_err());
    }
}

/// The repeatable step: importing the data again gives the committed books byte for byte.
#[test]
fn the_embedded_books_are_what_the_import_makes_of_the_data() {
    let offer = page_offer();
    let template = PriceBook::aws_us_east_1();
    for (region, text) in EMBEDDED.iter().filter(|(r, _)| *r != "us-east-1") {
        let imported = offer.book(region, &template).unwrap();
        assert_eq!(imported.toml, *text, "{region}");
    }
}

#[test]
fn us_east_1_from_the_page_equals_the_hand_checked_book() {
    let imported = page_offer()
        .book("us-east-1", &PriceBook::aws_us_east_1())
        .unwrap();
    assert_eq!(
        prices_of(imported.book),
        prices_of(PriceBook::aws_us_east_1())
    );
    let committed = include_str!("../price-books/regions/aws-us-east-1.toml");
    assert_eq!(imported.toml, committed);
}

#[test]
fn eu_west_2_from_the_page_equals_the_price_list_csv_import() {
    let csv = Offer::from_text(CSV, None).unwrap();
    assert_eq!(csv.regions(), vec!["eu-west-2".to_owned()]);
    assert_eq!(csv.publication_date, "2026-08-31");
    let from_csv = csv.book("eu-west-2", &PriceBook::aws_us_east_1()).unwrap();
    // The CSV's cache sizes are its `Cache Memory Size (GB)` column (1.6), not the usage
    // type's `1.55GB`.
    assert_eq!(from_csv.book.rest_api.cache[1].size_gb, d("1.6"));
    assert_eq!(from_csv.book.rest_api.cache[1].per_hour, d("0.038"));
    assert_eq!(prices_of(from_csv.book), prices_of(book("eu-west-2")));
}

fn month(book: &PriceBook, usage: Usage) -> gwcost_pricing::MonthBill {
    bill_month(&usage, book, BillOptions { free_tier: false })
}

fn http(units: u64) -> Usage {
    Usage {
        requests: units,
        billable_requests: units,
        http_units: units,
        rest_units: units,
        ..Usage::default()
    }
}

/// Hand-computed from AWS's published eu-west-2 prices (HTTP $1.16/M first 300 M, $1.04 after;
/// REST $3.50 / $3.33 / $2.83 / $1.80; messages $1.19/M first 1 B, $0.99 after; $0.297 per
/// million connection minutes).
#[test]
fn eu_west_2_hand_computed() {
    let b = book("eu-west-2");
    // 300 M × 1.16 + 132 M × 1.04 = 348 + 137.28.
    assert_eq!(month(&b, http(432_000_000)).http_api.cost_usd, d("485.28"));
    // 333 M × 3.50 + 667 M × 3.33 + 500 M × 2.83 = 1,165.50 + 2,221.11 + 1,415.
    assert_eq!(
        month(&b, http(1_500_000_000)).rest_api.cost_usd,
        d("4801.61")
    );
    // 1 B × 1.19 + 200 M × 0.99 + 600 M × 0.297 = 1,190 + 198 + 178.20.
    let ws = month(
        &b,
        Usage {
            ws_messages: 1_200_000_000,
            ws_message_units: 1_200_000_000,
            ws_connection_minutes: 600_000_000,
            ..Usage::default()
        },
    );
    assert_eq!(ws.websocket.cost_usd, d("1566.20"));
}

/// One region per continent, 400 M HTTP and 400 M REST requests each, hand-computed from the
/// pricing page's figures for that region.
#[test]
fn a_region_per_continent_hand_computed() {
    let cases = [
        // Asia: Tokyo. HTTP 300 × 1.29 + 100 × 1.18; REST 333 × 4.25 + 67 × 3.53.
        ("ap-northeast-1", "505.00", "1651.76"),
        // South America: São Paulo, whose first REST rate covers the first billion:
        // HTTP 300 × 1.59 + 100 × 1.43; REST 400 × 4.25.
        ("sa-east-1", "620.00", "1700.00"),
        // Africa: Cape Town. HTTP 300 × 1.32 + 100 × 1.19; REST 333 × 4.17 + 67 × 3.80.
        ("af-south-1", "515.00", "1643.21"),
        // Oceania: Sydney (one rate for the first billion). HTTP 300 × 1.29 + 100 × 1.18;
        // REST 400 × 3.50.
        ("ap-southeast-2", "505.00", "1400.00"),
        // North America: Oregon, priced like us-east-1. HTTP 300 × 1.00 + 100 × 0.90;
        // REST 333 × 3.50 + 67 × 2.80.
        ("us-west-2", "390.00", "1353.10"),
        // Europe: Frankfurt. HTTP 300 × 1.20 + 100 × 1.08; REST 333 × 3.70 + 67 × 3.19.
        ("eu-central-1", "468.00", "1445.83"),
        // Middle East: Bahrain. HTTP 300 × 1.23 + 100 × 1.11; REST 333 × 3.85 + 67 × 3.509.
        ("me-south-1", "480.00", "1517.153"),
    ];
    for (region, http_usd, rest_usd) in cases {
        let bill = month(&book(region), http(400_000_000));
        assert_eq!(bill.http_api.cost_usd, d(http_usd), "{region} HTTP");
        assert_eq!(bill.rest_api.cost_usd, d(rest_usd), "{region} REST");
    }
}

#[test]
fn the_page_without_reference_data_is_refused_with_the_way_out() {
    let e = Offer::from_text(PAGE, None).unwrap_err().to_string();
    assert!(e.contains("--tiers-from"), "{e}");
}
