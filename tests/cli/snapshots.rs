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
