//! `gwcost sql`'s DuckDB dialect run by a real DuckDB (the `duckdb` Python package) on small
//! fixtures, against numbers computed by hand — the months, increments, unbilled rejections,
//! connection minutes, tiers and free tier the query must get right on every engine.
//!
//! Needs `python3` with `duckdb` (`python3 -m pip install duckdb`); without it each test says
//! so on stderr and passes without checking anything (under CI, where `.ci/run` installs it, it
//! fails). One test also runs the Spark dialect in a real local Spark (pyspark + Java).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::str::FromStr;

use gwcost_analytics::sql::{Dialect, duckdb_json_source, monthly_metering_sql};
use gwcost_pricing::{Decimal, MeteringBasis, PriceBook, Tier};
use serde_json::Value;

/// Epoch milliseconds, computed independently (Python's `datetime`) rather than with the
/// civil-date arithmetic under test.
const SEP_1_2026: i64 = 1_788_220_800_000;
const OCT_1_2026: i64 = 1_790_812_800_000;
const FEB_29_2028_NOON: i64 = 1_835_438_400_000;
const MAR_1_2028: i64 = 1_835_481_600_000;
const FEB_29_2000: i64 = 951_782_400_000;
const MAR_1_2100: i64 = 4_107_542_400_000;

fn duckdb_missing() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import duckdb"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        // .ci/run installs DuckDB: under CI its absence is a failure, not a skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but python3 cannot import duckdb (.ci/run installs it)"
        );
        eprintln!(
            "SKIPPED: python3 with the duckdb package is not available \
             (python3 -m pip install duckdb); the DuckDB SQL dialect was not run"
        );
    }
    !ok
}

/// Runs `sql` in an in-memory DuckDB; every value comes back as a string (Decimals exactly).
fn run_duckdb(sql: &str) -> Vec<serde_json::Map<String, Value>> {
    const SCRIPT: &str = r#"
import duckdb, json, sys
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")  # a slow query would print it to stdout
cur = con.execute(sys.stdin.read())
names = [d[0] for d in cur.description]
print(json.dumps([{n: (None if v is None else str(v)) for n, v in zip(names, row)} for row in cur.fetchall()]))
"#;
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "duckdb failed:\n{}\n--- query ---\n{sql}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_object().unwrap().clone())
        .collect()
}

fn field<'a>(row: &'a serde_json::Map<String, Value>, name: &str) -> &'a str {
    row.get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no column {name} in {row:?}"))
}

fn int(row: &serde_json::Map<String, Value>, name: &str) -> u64 {
    field(row, name).parse().unwrap()
}

fn money(row: &serde_json::Map<String, Value>, name: &str) -> Decimal {
    Decimal::from_str(field(row, name)).unwrap()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// Writes `lines` to a fresh file and returns the DuckDB source `gwcost sql` documents for it
/// (`read_json` with every column the query reads, as VARCHAR).
fn json_table(name: &str, lines: &[String]) -> (PathBuf, String) {
    let path = std::env::temp_dir().join(format!(
        "gwcost-sql-duckdb-{}-{name}.jsonl",
        std::process::id()
    ));
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let table = duckdb_json_source(&path.display().to_string());
    (path, table)
}

/// The hand-computed fixture: two months of requests and WebSocket traffic, plus single
/// requests on dates that test the month arithmetic (leap days, a century, the epoch).
fn fixture() -> Vec<String> {
    let s = SEP_1_2026;
    let o = OCT_1_2026;
    let c1 = s + 10_000;
    let c3 = o - 30_000;
    vec![
        // September requests. Units under the default `sum` basis in the comments.
        format!(r#"{{"requestId":"r1","requestTimeEpoch":{},"eventType":"REQUEST","status":200,"requestLength":0,"responseLength":1572864}}"#, s + 1_000), // 1.5 MB: 3
        format!(r#"{{"requestId":"r2","requestTimeEpoch":{},"eventType":"REQUEST","status":200,"requestLength":0,"responseLength":1572865}}"#, s + 2_000), // 4
        format!(r#"{{"requestId":"r3","requestTimeEpoch":{},"eventType":"REQUEST","status":201,"requestLength":525312,"responseLength":100}}"#, s + 3_000), // 513 KB + 100 B: 2
        format!(r#"{{"requestId":"r4","requestTimeEpoch":{},"eventType":"REQUEST","status":401,"requestLength":0,"responseLength":26,"errorResponseType":"UNAUTHORIZED"}}"#, s + 4_000), // unbilled
        format!(r#"{{"requestId":"r5","requestTimeEpoch":{},"eventType":"REQUEST","status":429,"requestLength":0,"responseLength":31,"errorResponseType":" throttled "}}"#, s + 5_000), // unbilled (case, spaces)
        // API Gateway style: numbers as strings, "-" for empty, no eventType; dataProcessed wins: 2.
        format!(r#"{{"requestId":"r6","requestTimeEpoch":"{}","status":"500","requestLength":"-","responseLength":"2048","dataProcessed":"600000"}}"#, s + 6_000),
        format!(r#"{{"requestId":"r7","requestTimeEpoch":{},"eventType":"-","status":200,"responseLength":10}}"#, s + 7_000), // 1
        format!(r#"{{"requestId":"r8","requestTimeEpoch":{},"eventType":"REQUEST","status":204,"responseLength":"-","errorResponseType":"-"}}"#, s + 8_000), // 1
        format!(r#"{{"requestId":"r9","requestTimeEpoch":{},"eventType":"REQUEST","status":200,"requestLength":0,"responseLength":524288}}"#, o - 1), // last ms of Sept: 1
        format!(r#"{{"requestId":"r10","requestTimeEpoch":{},"eventType":"REQUEST","status":504,"responseLength":33,"errorResponseType":"INTEGRATION_TIMEOUT"}}"#, s + 9_000), // billed: 1
        // Connection c1: 4 messages (33 KB: 2, 32 KB: 1, 0 B: 1, unknown size: 1), 61 s: 2 minutes.
        format!(r#"{{"requestId":"w1","requestTimeEpoch":{c1},"eventType":"CONNECT","status":101,"connectionId":"c1","connectedAt":{c1}}}"#),
        format!(r#"{{"requestId":"w2","requestTimeEpoch":{},"eventType":"MESSAGE","connectionId":"c1","direction":"in","messageLength":33792,"connectedAt":{c1}}}"#, c1 + 1_000),
        format!(r#"{{"requestId":"w3","requestTimeEpoch":{},"eventType":"MESSAGE","connectionId":"c1","direction":"out","messageLength":32768,"connectedAt":{c1}}}"#, c1 + 2_000),
        format!(r#"{{"requestId":"w4","requestTimeEpoch":{},"eventType":"MESSAGE","connectionId":"c1","direction":"out","messageLength":0,"connectedAt":{c1}}}"#, c1 + 3_000),
        format!(r#"{{"requestId":"w5","requestTimeEpoch":{},"eventType":"message","connectionId":"c1","connectedAt":{c1}}}"#, c1 + 4_000),
        format!(r#"{{"requestId":"w6","requestTimeEpoch":{},"eventType":"DISCONNECT","status":200,"connectionId":"c1","connectedAt":{c1}}}"#, c1 + 61_000),
        // c2 refused by the authorizer: no connection, no minutes.
        format!(r#"{{"requestId":"w7","requestTimeEpoch":{},"eventType":"CONNECT","status":401,"errorResponseType":"UNAUTHORIZED","connectionId":"c2"}}"#, s + 20_000),
        // c3 opens in September (one 40,000-byte message there: 2 units) and closes in October
        // after exactly 60 s: 1 minute, billed in October.
        format!(r#"{{"requestId":"w8","requestTimeEpoch":{c3},"eventType":"CONNECT","status":101,"connectionId":"c3","connectedAt":{c3}}}"#),
        format!(r#"{{"requestId":"w9","requestTimeEpoch":{},"eventType":"MESSAGE","connectionId":"c3","direction":"out","messageLength":"40000","connectedAt":{c3}}}"#, o - 10_000),
        format!(r#"{{"requestId":"w10","requestTimeEpoch":{},"eventType":"DISCONNECT","status":200,"connectionId":"c3","connectedAt":{c3}}}"#, o + 30_000),
        // October: one request on the first millisecond.
        format!(r#"{{"requestId":"r11","requestTimeEpoch":{o},"eventType":"REQUEST","status":200,"requestLength":0,"responseLength":0}}"#),
        // Only API Gateway's CLF requestTime: 00:00:05 UTC, October; 20:00 at UTC-5 is 01:00
        // UTC, October; 01:00 at UTC+2 is 23:00 UTC the day before, September (unbilled there).
        r#"{"requestId":"r12","requestTime":"01/Oct/2026:00:00:05 +0000","status":"200","responseLength":"5"}"#.to_owned(),
        r#"{"requestId":"r14","requestTime":"30/Sep/2026:20:00:00 -0500","status":"200","responseLength":"7"}"#.to_owned(),
        r#"{"requestId":"r15","requestTime":"01/oct/2026:01:00:00 +0200","status":"401","responseLength":"9","errorResponseType":"UNAUTHORIZED"}"#.to_owned(),
        // Neither time field: skipped.
        r#"{"requestId":"r16","status":"200","responseLength":"5"}"#.to_owned(),
        // Not an event type of the schema: skipped.
        format!(r#"{{"requestId":"r13","requestTimeEpoch":{},"eventType":"BOGUS"}}"#, o + 6_000),
        // c4 has no connectedAt and no DISCONNECT: from its CONNECT to its last event, 150 s: 3.
        format!(r#"{{"requestId":"w11","requestTimeEpoch":{},"eventType":"CONNECT","status":101,"connectionId":"c4"}}"#, o + 60_000),
        format!(r#"{{"requestId":"w12","requestTimeEpoch":{},"eventType":"MESSAGE","connectionId":"c4","direction":"in","messageLength":1}}"#, o + 210_000),
        // c5: a lone DISCONNECT without connectedAt: at least 1 minute.
        format!(r#"{{"requestId":"w13","requestTimeEpoch":{},"eventType":"DISCONNECT","status":200,"connectionId":"c5"}}"#, o + 300_000),
        // Month arithmetic: leap days, a non-leap century, the epoch itself.
        format!(r#"{{"requestId":"m1","requestTimeEpoch":{FEB_29_2028_NOON},"responseLength":1}}"#),
        format!(r#"{{"requestId":"m2","requestTimeEpoch":{MAR_1_2028},"responseLength":1}}"#),
        format!(r#"{{"requestId":"m3","requestTimeEpoch":{FEB_29_2000},"responseLength":1}}"#),
        format!(r#"{{"requestId":"m4","requestTimeEpoch":{},"responseLength":1}}"#, MAR_1_2100 - 1),
        format!(r#"{{"requestId":"m5","requestTimeEpoch":{MAR_1_2100},"responseLength":1}}"#),
        r#"{"requestId":"m6","requestTimeEpoch":0,"responseLength":1}"#.to_owned(),
    ]
}

type Row = serde_json::Map<String, Value>;

fn by_month(rows: &[Row]) -> std::collections::BTreeMap<String, Row> {
    rows.iter()
        .map(|r| (field(r, "month").to_owned(), r.clone()))
        .collect()
}

#[test]
fn months_increments_rejections_and_connections_match_hand_counts() {
    if duckdb_missing() {
        return;
    }
    let (path, table) = json_table("fixture", &fixture());
    let book = PriceBook::aws_us_east_1();
    let sql = monthly_metering_sql(Dialect::DuckDb, &table, &book, false, MeteringBasis::Sum);
    let rows = run_duckdb(&sql);
    let _ = std::fs::remove_file(path);

    let months: Vec<&str> = rows.iter().map(|r| field(r, "month")).collect();
    assert_eq!(
        months,
        [
            "1970-01", "2000-02", "2026-09", "2026-10", "2028-02", "2028-03", "2100-02", "2100-03"
        ]
    );
    let m = by_month(&rows);
    for single in [
        "1970-01", "2000-02", "2028-02", "2028-03", "2100-02", "2100-03",
    ] {
        let r = &m[single];
        assert_eq!(
            (int(r, "requests"), int(r, "http_units")),
            (1, 1),
            "{single}"
        );
    }

    let sep = &m["2026-09"];
    assert_eq!(int(sep, "requests"), 11);
    assert_eq!(int(sep, "billable_requests"), 8);
    assert_eq!(int(sep, "http_units"), 3 + 4 + 2 + 2 + 1 + 1 + 1 + 1);
    assert_eq!(int(sep, "rest_units"), 8);
    assert_eq!(
        int(sep, "response_bytes"),
        1_572_864 + 1_572_865 + 100 + 26 + 31 + 2048 + 10 + 524_288 + 33 + 9
    );
    assert_eq!(int(sep, "ws_messages"), 5);
    assert_eq!(int(sep, "ws_messages_unsized"), 1);
    assert_eq!(int(sep, "ws_message_units"), 2 + 1 + 1 + 1 + 2);
    assert_eq!(int(sep, "ws_connections"), 1);
    assert_eq!(int(sep, "ws_connection_minutes"), 2);
    // Default us-east-1 prices, no free tier: $1.00/M HTTP, $3.50/M REST, $1.00/M messages,
    // $0.25/M connection minutes.
    assert_eq!(money(sep, "http_cost_usd"), dec("0.000015"));
    assert_eq!(money(sep, "rest_cost_usd"), dec("0.000028"));
    assert_eq!(money(sep, "ws_messages_cost_usd"), dec("0.000007"));
    assert_eq!(
        money(sep, "ws_connection_minutes_cost_usd"),
        dec("0.0000005")
    );
    assert_eq!(money(sep, "ws_cost_usd"), dec("0.0000075"));

    let oct = &m["2026-10"];
    assert_eq!(int(oct, "requests"), 3);
    assert_eq!(int(oct, "billable_requests"), 3);
    assert_eq!(int(oct, "http_units"), 3);
    assert_eq!(int(oct, "rest_units"), 3);
    assert_eq!(int(oct, "response_bytes"), 5 + 7);
    assert_eq!(int(oct, "ws_messages"), 1);
    assert_eq!(int(oct, "ws_message_units"), 1);
    assert_eq!(
        int(oct, "ws_connections"),
        3,
        "c3, c4 and c5 end in October"
    );
    assert_eq!(int(oct, "ws_connection_minutes"), 1 + 3 + 1);
    assert_eq!(
        money(oct, "ws_connection_minutes_cost_usd"),
        dec("0.00000125")
    );
    assert_eq!(money(oct, "ws_cost_usd"), dec("0.00000225"));
}

#[test]
fn metering_basis_chooses_the_payload() {
    if duckdb_missing() {
        return;
    }
    let (path, table) = json_table("basis", &fixture());
    let book = PriceBook::aws_us_east_1();
    let units = |basis| {
        let rows = run_duckdb(&monthly_metering_sql(
            Dialect::DuckDb,
            &table,
            &book,
            false,
            basis,
        ));
        int(&by_month(&rows)["2026-09"], "http_units")
    };
    // Billable September requests r1, r2, r3, r6 (dataProcessed 600,000: 2 whatever the
    // basis), r7, r8, r9, r10.
    assert_eq!(units(MeteringBasis::Request), 1 + 1 + 2 + 2 + 1 + 1 + 1 + 1);
    assert_eq!(
        units(MeteringBasis::Response),
        3 + 4 + 1 + 2 + 1 + 1 + 1 + 1
    );
    assert_eq!(units(MeteringBasis::Max), 3 + 4 + 2 + 2 + 1 + 1 + 1 + 1);
    let _ = std::fs::remove_file(path);
}

#[test]
fn tiers_and_free_tier_follow_a_small_price_book() {
    if duckdb_missing() {
        return;
    }
    let (path, table) = json_table("tiers", &fixture());
    let mut book = PriceBook::aws_us_east_1();
    book.http_api.tiers = vec![
        Tier {
            up_to: Some(10),
            unit_price: dec("0.5"),
        },
        Tier {
            up_to: None,
            unit_price: dec("0.25"),
        },
    ];
    book.http_api.free_tier_requests = 4;
    book.websocket.message_tiers = vec![
        Tier {
            up_to: Some(5),
            unit_price: dec("0.1"),
        },
        Tier {
            up_to: None,
            unit_price: dec("0.05"),
        },
    ];
    book.websocket.free_tier_messages = 3;
    book.websocket.free_tier_connection_minutes = 10;
    book.rest_api.free_tier_requests = 4;

    let run = |free| {
        let sql = monthly_metering_sql(Dialect::DuckDb, &table, &book, free, MeteringBasis::Sum);
        by_month(&run_duckdb(&sql))["2026-09"].clone()
    };
    // September: 15 HTTP units, 8 REST units, 7 message units, 2 connection minutes.
    let paid = run(false);
    assert_eq!(money(&paid, "http_cost_usd"), dec("6.25")); // 10 × 0.5 + 5 × 0.25
    assert_eq!(money(&paid, "ws_messages_cost_usd"), dec("0.6")); // 5 × 0.1 + 2 × 0.05
    let free = run(true);
    // Free units are the month's first and still count towards the thresholds:
    // [4, 10) × 0.5 + [10, 15) × 0.25.
    assert_eq!(money(&free, "http_cost_usd"), dec("4.25"));
    assert_eq!(money(&free, "ws_messages_cost_usd"), dec("0.3")); // [3, 5) × 0.1 + [5, 7) × 0.05
    assert_eq!(money(&free, "ws_connection_minutes_cost_usd"), dec("0"));
    assert_eq!(money(&free, "rest_cost_usd"), dec("0.000014")); // 4 × $3.50/M
    let _ = std::fs::remove_file(path);
}

/// A one-request table whose `dataProcessed` (or response size) carries a whole month's units.
fn one_request(data_processed: u64, response_bytes: u64) -> String {
    format!(
        "(SELECT 'x' AS requestId, {OCT_1_2026} AS requestTimeEpoch, 'REQUEST' AS eventType, \
         200 AS status, 0 AS requestLength, {response_bytes} AS responseLength, \
         {data_processed} AS dataProcessed, CAST(NULL AS VARCHAR) AS errorResponseType, \
         CAST(NULL AS VARCHAR) AS connectionId, CAST(NULL AS BIGINT) AS messageLength, \
         CAST(NULL AS BIGINT) AS connectedAt, CAST(NULL AS VARCHAR) AS requestTime)"
    )
}

#[test]
fn pricing_md_worked_checks_through_sql() {
    if duckdb_missing() {
        return;
    }
    const INC: u64 = 524_288;
    let book = PriceBook::aws_us_east_1();
    let http = |units: u64, free: bool| {
        let sql = monthly_metering_sql(
            Dialect::DuckDb,
            &one_request(units * INC, 0),
            &book,
            free,
            MeteringBasis::Sum,
        );
        let rows = run_duckdb(&sql);
        assert_eq!(int(&rows[0], "http_units"), units);
        money(&rows[0], "http_cost_usd")
    };
    assert_eq!(http(216_000_000, false), dec("216.00"));
    assert_eq!(http(432_000_000, false), dec("418.80"));
    assert_eq!(http(400_000_000, false), dec("390.00"));
    assert_eq!(http(1_500_000, true), dec("0.50"));
    assert_eq!(http(500_000, true), dec("0.00"));

    // REST tiers, fed through streaming increments of one byte so one row carries the units.
    let mut streaming = PriceBook::aws_us_east_1();
    streaming.rest_api.streaming_increment_bytes = Some(1);
    let rest = |units: u64| {
        let sql = monthly_metering_sql(
            Dialect::DuckDb,
            &one_request(0, units),
            &streaming,
            false,
            MeteringBasis::Sum,
        );
        let rows = run_duckdb(&sql);
        assert_eq!(int(&rows[0], "rest_units"), units);
        money(&rows[0], "rest_cost_usd")
    };
    assert_eq!(rest(1_000_000_000), dec("3033.10"));
    assert_eq!(rest(21_000_000_000), dec("49763.10"));

    // 5 million real REST requests, one row each.
    let table = format!(
        "(SELECT 'r' || CAST(i AS VARCHAR) AS requestId, {OCT_1_2026} + i AS requestTimeEpoch, \
         'REQUEST' AS eventType, 200 AS status, 0 AS requestLength, 1024 AS responseLength, \
         CAST(NULL AS BIGINT) AS dataProcessed, CAST(NULL AS VARCHAR) AS errorResponseType, \
         CAST(NULL AS VARCHAR) AS connectionId, CAST(NULL AS BIGINT) AS messageLength, \
         CAST(NULL AS BIGINT) AS connectedAt, CAST(NULL AS VARCHAR) AS requestTime FROM range(5000000) t(i))"
    );
    let rows = run_duckdb(&monthly_metering_sql(
        Dialect::DuckDb,
        &table,
        &book,
        false,
        MeteringBasis::Sum,
    ));
    assert_eq!(int(&rows[0], "rest_units"), 5_000_000);
    assert_eq!(money(&rows[0], "rest_cost_usd"), dec("17.50"));
    assert_eq!(money(&rows[0], "http_cost_usd"), dec("5.00"));
}

/// Issue 5's check: the DuckDB dialect over `sample-logs/` (plain, gzipped and API Gateway
/// files together) gives the same monthly usage and costs as `gwcost analyze`'s own reader and
/// fold, with and without the free tier.
#[test]
fn sample_logs_agree_with_analyze() {
    if duckdb_missing() {
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../sample-logs");
    let dir = dir.canonicalize().unwrap();
    let book = PriceBook::aws_us_east_1();
    let analysis = gwcost_analytics::analyze(
        &[gwcost_analytics::Input::Path(dir.clone())],
        &gwcost_analytics::AnalyzeOptions::default(),
        &book,
    )
    .unwrap();
    assert_eq!(analysis.inputs.malformed_lines, 0);
    let source = duckdb_json_source(&format!("{}/**/*.json*", dir.display()));
    for free_tier in [false, true] {
        let sql = monthly_metering_sql(
            Dialect::DuckDb,
            &source,
            &book,
            free_tier,
            MeteringBasis::Sum,
        );
        let rows = by_month(&run_duckdb(&sql));
        let months: Vec<String> = analysis
            .months
            .keys()
            .map(|m| format!("{:04}-{:02}", m.year, m.month))
            .collect();
        assert_eq!(rows.keys().cloned().collect::<Vec<_>>(), months);
        assert_eq!(months, ["2026-09", "2026-10"]);
        for (month, mu) in &analysis.months {
            let key = format!("{:04}-{:02}", month.year, month.month);
            let row = &rows[&key];
            let u = &mu.usage;
            let counts = [
                ("requests", u.requests),
                ("billable_requests", u.billable_requests),
                ("http_units", u.http_units),
                ("rest_units", u.rest_units),
                ("response_bytes", u.response_bytes),
                ("ws_connections", u.ws_connections),
                ("ws_messages", u.ws_messages),
                ("ws_messages_unsized", u.ws_messages_unsized),
                ("ws_message_units", u.ws_message_units),
                ("ws_connection_minutes", u.ws_connection_minutes),
            ];
            for (name, want) in counts {
                assert_eq!(int(row, name), want, "{key} {name}");
            }
            let bill =
                gwcost_pricing::bill_month(u, &book, gwcost_pricing::BillOptions { free_tier });
            let costs = [
                ("http_cost_usd", bill.http_api.cost_usd),
                ("rest_cost_usd", bill.rest_api.cost_usd),
                ("ws_messages_cost_usd", bill.websocket.messages_cost_usd),
                (
                    "ws_connection_minutes_cost_usd",
                    bill.websocket.connection_minutes_cost_usd,
                ),
                ("ws_cost_usd", bill.websocket.cost_usd),
            ];
            for (name, want) in costs {
                assert_eq!(money(row, name), want, "{key} {name} free_tier={free_tier}");
            }
        }
        // The sample has what makes these numbers non-trivial.
        let sep = &rows["2026-09"];
        assert!(int(sep, "http_units") > int(sep, "billable_requests"));
        assert!(int(sep, "billable_requests") < int(sep, "requests"));
        assert!(rows.values().any(|r| int(r, "ws_messages_unsized") > 0));
    }
}

/// Runs each `(json_path_or_glob, sql)` job in one local Spark session (pyspark, Java), with
/// the files read as a view `logs` of string columns, and returns each job's rows. `None`
/// when pyspark or Java is missing.
fn run_spark(jobs: &[(String, String)]) -> Option<Vec<Vec<Row>>> {
    const SCRIPT: &str = r#"
import json, sys
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[2]")
         .config("spark.ui.enabled", "false")
         # Not UTC on purpose: the query's months must not depend on the session time zone.
         .config("spark.sql.session.timeZone", "America/New_York")
         .getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
req = json.load(sys.stdin)
schema = ", ".join(f"{c} STRING" for c in req["columns"])
out = []
for path, sql in req["jobs"]:
    spark.read.schema(schema).json(path).createOrReplaceTempView("logs")
    rows = spark.sql(sql).collect()
    out.append([{k: (None if v is None else str(v)) for k, v in r.asDict().items()} for r in rows])
print("ROWS " + json.dumps(out))
"#;
    let ok = Command::new("python3")
        .args(["-c", "import pyspark"])
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
        && Command::new("java")
            .arg("-version")
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
    if !ok {
        // .ci/run installs pyspark (and the machine has Java): under CI this is a failure.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but pyspark or java is missing (.ci/run installs pyspark)"
        );
        eprintln!(
            "SKIPPED: pyspark and Java are not available (python3 -m pip install pyspark); \
             the Spark SQL dialect was not run"
        );
        return None;
    }
    let request = serde_json::json!({
        "columns": gwcost_analytics::sql::LOG_COLUMNS,
        "jobs": jobs,
    });
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let Some(json) = stdout.lines().find_map(|l| l.strip_prefix("ROWS ")) else {
        panic!(
            "spark failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let jobs: Vec<Vec<Row>> = serde_json::from_str(json).unwrap();
    Some(jobs)
}

/// Two engines' rows are the same bill: every count equal, every cost equal as a number
/// (engines print decimals at different scales).
fn assert_same_rows(what: &str, a: &[Row], b: &[Row]) {
    assert_eq!(a.len(), b.len(), "{what}: row counts");
    for (ra, rb) in a.iter().zip(b) {
        assert_eq!(ra.len(), rb.len(), "{what}: columns");
        for (k, va) in ra {
            let (sa, sb) = (va.as_str().unwrap(), field(rb, k));
            if k.ends_with("_usd") {
                assert_eq!(dec(sa), dec(sb), "{what}: {} {k}", field(ra, "month"));
            } else {
                assert_eq!(sa, sb, "{what}: {} {k}", field(ra, "month"));
            }
        }
    }
}

/// The Spark dialect (`div`, `format_string`, Spark's decimal precision rules) in a real local
/// Spark gives the same rows as the DuckDB dialect, whose numbers the tests above check by hand
/// and against `gwcost analyze`: on the fixture and on `sample-logs/`, with and without the free
/// tier, and in a session time zone that is not UTC.
/// (`tests/cli/sql_engines.rs` runs the same dialect through `gwcost sql` and `spark-sql -f`
/// against `gwcost analyze` on a larger corpus.)
#[test]
fn spark_dialect_agrees_with_duckdb() {
    if duckdb_missing() {
        return;
    }
    let (path, duck_table) = json_table("spark", &fixture());
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../sample-logs")
        .canonicalize()
        .unwrap();
    let sample_glob = format!("{}/*/*.json*", samples.display());
    let book = PriceBook::aws_us_east_1();
    let mut jobs = Vec::new();
    let mut expected = Vec::new();
    for (spark_path, duck_source) in [
        (path.display().to_string(), duck_table.clone()),
        (sample_glob.clone(), duckdb_json_source(&sample_glob)),
    ] {
        for free_tier in [false, true] {
            let spark_sql =
                monthly_metering_sql(Dialect::Spark, "logs", &book, free_tier, MeteringBasis::Sum);
            let duck_sql = monthly_metering_sql(
                Dialect::DuckDb,
                &duck_source,
                &book,
                free_tier,
                MeteringBasis::Sum,
            );
            jobs.push((spark_path.clone(), spark_sql));
            expected.push((
                format!("{spark_path} free_tier={free_tier}"),
                run_duckdb(&duck_sql),
            ));
        }
    }
    let Some(spark) = run_spark(&jobs) else {
        let _ = std::fs::remove_file(path);
        return;
    };
    let _ = std::fs::remove_file(path);
    assert_eq!(spark.len(), expected.len());
    for ((what, duck), got) in expected.iter().zip(&spark) {
        assert!(!duck.is_empty(), "{what}");
        assert_same_rows(what, got, duck);
    }
}
