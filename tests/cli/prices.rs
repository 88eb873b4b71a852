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

/// Provenance: an edited copy of the embedded book that keeps its name is still told apart — the
/// header and JSON `price_book` of every command name the file and its SHA-256 (checked against
/// coreutils' `sha256sum`), where the embedded book says `embedded`.
#[test]
fn every_output_says_which_book_priced_it() {
    let s = Scratch::new();
    s.copy_fixture("gwcost.jsonl");
    let toml = s.run(&["prices", "--format", "toml"]).success().stdout;
    let edited = toml.replacen(
        "price_per_million = \"1.00\"",
        "price_per_million = \"2.00\"",
        1,
    );
    assert!(edited.contains("name = \"aws-us-east-1\""));
    let path = s.write("edited.toml", edited.as_bytes());
    let sum = std::process::Command::new("sha256sum")
        .arg(&path)
        .output()
        .expect("sha256sum (coreutils)");
    let sum = String::from_utf8(sum.stdout).unwrap();
    let sha = sum.split_whitespace().next().unwrap().to_owned();
    assert_eq!(sha.len(), 64);

    let file_args = ["--price-book", "edited.toml"];
    let commands: [&[&str]; 3] = [
        &["analyze", "gwcost.jsonl"],
        &["compare", "gwcost.jsonl"],
        &["quote", "http", "--requests", "1M"],
    ];
    for cmd in commands {
        fn run<'a>(cmd: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
            let mut a = cmd.to_vec();
            a.extend_from_slice(extra);
            a
        }
        let v = s
            .run(&run(cmd, &[&file_args[..], &["--format", "json"]].concat()))
            .success()
            .json();
        let b = &v["price_book"];
        assert_eq!(b["name"], "aws-us-east-1", "{cmd:?}");
        assert_eq!(b["source"], "file", "{cmd:?}");
        assert_eq!(b["path"], "edited.toml", "{cmd:?}");
        assert_eq!(b["sha256"], sha.as_str(), "{cmd:?}");
        s.run(&run(cmd, &file_args)).success().stdout_has(&format!(
            "aws-us-east-1 (file edited.toml, sha256 {sha}, as of 2026-11-01)"
        ));

        let v = s.run(&run(cmd, &["--format", "json"])).success().json();
        assert_eq!(v["price_book"]["source"], "embedded", "{cmd:?}");
        assert_eq!(v["price_book"]["region"], "us-east-1");
        assert!(v["price_book"].get("sha256").is_none());
        s.run(&run(cmd, &[]))
            .success()
            .stdout_has("aws-us-east-1 (embedded, as of 2026-11-01)");
    }
}

/// A book whose data-transfer rates are borrowed says so wherever data transfer is priced.
#[test]
fn borrowed_transfer_rates_are_said_in_every_output_that_uses_them() {
    let s = Scratch::new();
    s.copy_fixture("gwcost.jsonl");
    for cmd in [
        vec!["analyze", "gwcost.jsonl"],
        vec!["compare", "gwcost.jsonl"],
        vec![
            "quote",
            "http",
            "--requests",
            "1M",
            "--response-bytes",
            "1000",
        ],
    ] {
        let mut a = cmd.clone();
        a.extend(["--region", "eu-west-2"]);
        s.run(&a)
            .success()
            .stdout_has("Data transfer out is priced at us-east-1's rates");
        a.extend(["--format", "json"]);
        let v = s.run(&a).success().json();
        assert!(
            v["price_book"]["data_transfer_out_source"]
                .as_str()
                .unwrap()
                .starts_with("us-east-1's rates"),
            "{cmd:?}"
        );
    }
}

/// The price table says what a book lacks: eu-west-2's borrowed data-transfer rates and its
/// missing ALB prices; us-east-1's ALB prices and where they come from.
#[test]
fn the_price_table_shows_alb_prices_and_what_a_book_lacks() {
    let s = Scratch::new();
    s.run(&["prices"])
        .success()
        .stdout_has("ALB: $0.0225 per ALB-hour, $0.008 per LCU-hour")
        .stdout_has("elasticloadbalancing/pricing");
    s.run(&["prices", "--region", "eu-west-2"])
        .success()
        .stdout_has("$1.16")
        .stdout_has("Data transfer out is priced at us-east-1's rates")
        .stdout_has("ALB: no prices in this book");
}
