//! `gwcost prices`: the price book in force, in every format, and `--price-book` replacing it.

use crate::util::{Scratch, dec, usd};

#[test]
fn table_shows_aws_list_prices() {
    let s = Scratch::new();
    let out = s.run(&["prices"]).success().stdout;
    for needle in [
        "aws-us-east-1",
        "https://aws.amazon.com/api-gateway/pricing/",
        "$1.00 per million",
        "$0.90 per million",
        "$3.50 per million",
        "$1.51 per million",
        "$0.25 per million",
        "$0.09 per GB",
        "237 GB",
        "$3.80 per hour",
        "UNAUTHORIZED",
    ] {
        assert!(
            out.contains(needle),
            "prices table lacks {needle:?}:\n{out}"
        );
    }
}

#[test]
fn toml_round_trips_through_price_book() {
    let s = Scratch::new();
    let toml = s.run(&["prices", "--format", "toml"]).success().stdout;
    s.write("book.toml", toml.as_bytes());
    let again = s
        .run(&["prices", "--format", "toml", "--price-book", "book.toml"])
        .success()
        .stdout;
    assert_eq!(again, toml);
    let json = s.run(&["prices", "--format", "json"]).success().json();
    assert_eq!(json["meta"]["name"], "aws-us-east-1");
    assert_eq!(json["meta"]["currency"], "USD");
}

/// A user's book with HTTP at $2.00/M doubles the HTTP line of the gwcost fixture (10 units).
#[test]
fn a_replaced_price_book_prices_the_analysis() {
    let s = Scratch::new();
    s.copy_fixture("gwcost.jsonl");
    let toml = s.run(&["prices", "--format", "toml"]).success().stdout;
    let edited = toml
        .replacen(
            "price_per_million = \"1.00\"",
            "price_per_million = \"2.00\"",
            1,
        )
        .replacen("name = \"aws-us-east-1\"", "name = \"negotiated\"", 1);
    assert_ne!(edited, toml);
    s.write("mine.toml", edited.as_bytes());
    let v = s
        .run(&[
            "analyze",
            "gwcost.jsonl",
            "--price-book",
            "mine.toml",
            "--format",
            "json",
        ])
        .success()
        .json();
    assert_eq!(v["price_book"]["name"], "negotiated");
    assert_eq!(usd(&v["total"]["http_api"]["cost_usd"]), dec("0.00002"));
    s.run(&[
        "quote",
        "http",
        "--requests",
        "1M",
        "--price-book",
        "mine.toml",
    ])
    .success()
    .stdout_has("$2.00");
}
