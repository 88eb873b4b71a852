//! `gwcost quote`: the calculator, against pricing.md's worked checks and AWS's examples.

use crate::util::{Scratch, dec, usd};

fn quote_json(args: &[&str]) -> serde_json::Value {
    let s = Scratch::new();
    let mut all = vec!["quote"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    s.run(&all).success().json()
}

#[test]
fn http_432_million_is_418_80() {
    let s = Scratch::new();
    // 300 M × $1.00/M + 132 M × $0.90/M = $300 + $118.80.
    s.run(&["quote", "http", "--requests", "432000000"])
        .success()
        .stdout_has("$418.80");
    let v = quote_json(&["http", "--requests", "432_000_000"]);
    assert_eq!(usd(&v["total_usd"]), dec("418.80"));
    assert_eq!(v["lines"][0]["billed_units"], 432_000_000u64);
    assert_eq!(v["api"], "http");
}

#[test]
fn http_tiers_and_free_tier() {
    let v = quote_json(&["http", "--requests", "216M"]);
    assert_eq!(usd(&v["total_usd"]), dec("216"));
    let v = quote_json(&["http", "--requests", "400M"]);
    assert_eq!(usd(&v["total_usd"]), dec("390"));
    // 1.5 M with the first 1 M free → $0.50; 0.5 M → $0.
    let v = quote_json(&["http", "--requests", "1.5M", "--free-tier"]);
    assert_eq!(usd(&v["total_usd"]), dec("0.50"));
    assert_eq!(v["free_tier"], true);
    let v = quote_json(&["http", "--requests", "500000", "--free-tier"]);
    assert_eq!(usd(&v["total_usd"]), dec("0"));
}

/// 1 M GETs each returning 1.5 MB: 3 units each → 3 M units → $3.00; data transfer out
/// 1,572,864,000,000 B = 1,464.84375 GB × $0.09 = $131.8359375.
#[test]
fn http_sizes_meter_in_512_kb_increments_and_transfer_out() {
    let v = quote_json(&["http", "--requests", "1M", "--response-bytes", "1.5MB"]);
    assert_eq!(v["lines"][0]["billed_units"], 3_000_000u64);
    assert_eq!(usd(&v["lines"][0]["cost_usd"]), dec("3"));
    assert_eq!(v["lines"][1]["item"], "data_transfer_out_bytes");
    assert_eq!(v["lines"][1]["quantity"], 1_572_864_000_000u64);
    assert_eq!(usd(&v["lines"][1]["cost_usd"]), dec("131.8359375"));
    assert_eq!(usd(&v["total_usd"]), dec("134.8359375"));
    // 513 KB → 2 units each.
    let v = quote_json(&["http", "--requests", "1M", "--request-bytes", "513KB"]);
    assert_eq!(v["lines"][0]["billed_units"], 2_000_000u64);
}

#[test]
fn rest_tiers_and_cache() {
    assert_eq!(
        usd(&quote_json(&["rest", "--requests", "5000000"])["total_usd"]),
        dec("17.50")
    );
    assert_eq!(
        usd(&quote_json(&["rest", "--requests", "1B"])["total_usd"]),
        dec("3033.10")
    );
    assert_eq!(
        usd(&quote_json(&["rest", "--requests", "21B"])["total_usd"]),
        dec("49763.10")
    );
    // 0.5 GB cache × 720 h × $0.020 = $14.40, on top of $17.50.
    let v = quote_json(&[
        "rest",
        "--requests",
        "5000000",
        "--cache",
        "0.5",
        "--hours",
        "720",
    ]);
    assert_eq!(usd(&v["lines"][1]["cost_usd"]), dec("14.40"));
    assert_eq!(usd(&v["total_usd"]), dec("31.90"));
    let v = quote_json(&[
        "rest",
        "--requests",
        "0",
        "--cache",
        "237",
        "--hours",
        "720",
    ]);
    assert_eq!(usd(&v["total_usd"]), dec("2736"));
}

#[test]
fn rest_unknown_cache_size_lists_the_sizes() {
    let s = Scratch::new();
    s.run(&["quote", "rest", "--requests", "1", "--cache", "0.7"])
        .status(2)
        .stderr_has("0.5")
        .stderr_has("237");
}

/// 1 M messages of 33 KB → 2 units each → $2.00; 1 M connection minutes × $0.25/M → $0.25.
#[test]
fn websocket_messages_and_minutes() {
    let v = quote_json(&[
        "websocket",
        "--messages",
        "1M",
        "--message-bytes",
        "33KB",
        "--connection-minutes",
        "1M",
    ]);
    assert_eq!(v["lines"][0]["billed_units"], 2_000_000u64);
    assert_eq!(usd(&v["lines"][0]["cost_usd"]), dec("2"));
    assert_eq!(usd(&v["lines"][1]["cost_usd"]), dec("0.25"));
    assert_eq!(usd(&v["total_usd"]), dec("2.25"));
    // Free tier: 1 M messages and 750,000 minutes free.
    let v = quote_json(&[
        "websocket",
        "--messages",
        "1M",
        "--connection-minutes",
        "750000",
        "--free-tier",
    ]);
    assert_eq!(usd(&v["total_usd"]), dec("0"));
}

#[test]
fn quote_formats() {
    let s = Scratch::new();
    let md = s
        .run(&[
            "quote",
            "http",
            "--requests",
            "432000000",
            "--format",
            "markdown",
        ])
        .success()
        .stdout;
    assert!(
        md.contains("| HTTP API requests | 432,000,000 | 432,000,000 | $418.80 |"),
        "{md}"
    );
    let csv = s
        .run(&[
            "quote",
            "http",
            "--requests",
            "432000000",
            "--format",
            "csv",
        ])
        .success()
        .stdout;
    let total = csv.lines().find(|l| l.starts_with("total,")).unwrap();
    assert_eq!(dec(total.rsplit(',').next().unwrap()), dec("418.80"));
    s.run(&["quote", "http", "--requests", "many"]).status(2);
    s.run(&["quote", "http"]).status(2);
}

/// `quote alb`: 730 hours of 180,000 new connections an hour (50/s = 2 LCU, beating 3,000 active
/// a minute = 1 LCU): 730 × ($0.0225 + 2 × $0.008) = $28.105. 1 GB an hour to Lambda targets is
/// 2.5 LCU: 730 × ($0.0225 + $0.02) = $31.025. A book without ALB prices says so.
#[test]
fn quote_alb_hand_computed() {
    let s = Scratch::new();
    let v = s
        .run(&[
            "quote",
            "alb",
            "--new-connections",
            "180000",
            "--active-connections",
            "3000",
            "--requests",
            "180000",
            "--format",
            "json",
        ])
        .success()
        .json();
    assert_eq!(usd(&v["total_usd"]), dec("28.105"));
    assert_eq!(v["alb"]["dominant"], "new_connections");
    assert_eq!(usd(&v["alb"]["lcu_hours"]), dec("1460"));
    let l = s
        .run(&[
            "quote",
            "alb",
            "--processed-bytes",
            "1GB",
            "--target",
            "lambda",
            "--format",
            "json",
        ])
        .success()
        .json();
    assert_eq!(usd(&l["total_usd"]), dec("31.025"));
    assert_eq!(l["alb"]["dominant"], "processed_bytes");
    s.run(&["quote", "alb", "--region", "eu-west-2"])
        .status(2)
        .stderr_has("no ALB prices");
    s.run(&["quote", "alb", "--hours", "745"]).status(2);
}
