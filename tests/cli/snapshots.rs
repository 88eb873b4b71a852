//! Snapshots pin the human-readable renderings (table, Markdown) of fixed fixtures. Review a
//! change with `cargo insta review` or `INSTA_UPDATE=always` and a diff.

use crate::util::Scratch;

fn stdout(args: &[&str]) -> String {
    let s = Scratch::new();
    s.copy_fixture("gwcost.jsonl");
    s.copy_fixture("apigw-websocket.json");
    s.copy_fixture("malformed.jsonl");
    s.run(args).success().stdout
}

#[test]
fn analyze_table() {
    insta::assert_snapshot!(stdout(&["analyze", "gwcost.jsonl"]));
}

#[test]
fn analyze_table_with_breakdowns_and_notes() {
    insta::assert_snapshot!(stdout(&[
        "analyze",
        "gwcost.jsonl",
        "apigw-websocket.json",
        "malformed.jsonl",
        "--by",
        "route,status",
        "--quiet",
    ]));
}

#[test]
fn analyze_markdown() {
    insta::assert_snapshot!(stdout(&[
        "analyze",
        "gwcost.jsonl",
        "--format",
        "markdown",
        "--by",
        "stage"
    ]));
}

#[test]
fn quote_http_table() {
    insta::assert_snapshot!(stdout(&["quote", "http", "--requests", "432000000"]));
}

#[test]
fn quote_rest_markdown() {
    insta::assert_snapshot!(stdout(&[
        "quote",
        "rest",
        "--requests",
        "5000000",
        "--cache",
        "0.5",
        "--hours",
        "720",
        "--format",
        "markdown",
    ]));
}

/// A projected bill: the observed columns beside the projected ones, and what was scaled.
/// gwcost.jsonl covers 15–30 November (16 of 30 days) and 1–6 December (6 of 31).
#[test]
fn analyze_table_projected() {
    insta::assert_snapshot!(stdout(&[
        "analyze",
        "gwcost.jsonl",
        "--project-month",
        "--scale",
        "1000",
    ]));
}

#[test]
fn analyze_html_is_its_table_in_a_page() {
    let page = stdout(&["analyze", "gwcost.jsonl", "--format", "html"]);
    let table = stdout(&["analyze", "gwcost.jsonl"]);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("Total as an HTTP API:"));
    assert!(table.contains("Total as an HTTP API:"));
    for forbidden in ["<script", "<link", "src="] {
        assert!(!page.contains(forbidden), "{forbidden}");
    }
}

#[test]
fn infracost_usage_is_for_compare_only() {
    let s = Scratch::new();
    s.copy_fixture("gwcost.jsonl");
    s.run(&["analyze", "gwcost.jsonl", "--format", "infracost-usage"])
        .status(2)
        .stderr_has("--format infracost-usage is not available for gwcost analyze");
}

/// `--by` is kept by `--format csv` (it was dropped): `by` and `key` columns, each breakdown's
/// rows after its month's, the route rows adding up to the month (5 HTTP units = 3 for
/// GET /messages + 2 for POST /upload in the fixture's November).
#[test]
fn analyze_csv_keeps_the_breakdowns() {
    let s = Scratch::new();
    s.copy_fixture("gwcost.jsonl");
    let csv = s
        .run(&[
            "analyze",
            "gwcost.jsonl",
            "--by",
            "route,status",
            "--format",
            "csv",
        ])
        .success()
        .stdout;
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "month,api,requests,billed_units,connections,connection_minutes,bytes,cost_usd,by,key"
        )
    );
    assert!(
        csv.contains("\n2025-11,http_api,3,5,,,,0.000005,,\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\n2025-11,http_api,2,3,,,,0.000003,route,GET /messages\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\n2025-11,http_api,1,2,,,,0.000002,route,POST /upload\n"),
        "{csv}"
    );
    assert!(csv.lines().any(|l| l.ends_with(",status,200")), "{csv}");
    // Without --by the CSV keeps its shape.
    let plain = s
        .run(&["analyze", "gwcost.jsonl", "--format", "csv"])
        .success()
        .stdout;
    assert!(plain.starts_with(
        "month,api,requests,billed_units,connections,connection_minutes,bytes,cost_usd\n"
    ));
}
