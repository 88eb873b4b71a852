//! `gwcost reconcile --cur FILE LOGS...`: an AWS Cost and Usage Report beside what the logs
//! meter, for CUR 2.0 (gzipped CSV and Parquet) and legacy CUR (CSV), with a match, and
//! mismatches whose reason is named. Every expected figure is worked out by hand below from
//! the logs and the us-east-1 book (HTTP $1.00/M, messages $1.00/M, minutes $0.25/M).

use std::fs::File;
use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use polars::prelude::*;
use serde_json::Value;

use crate::util::{Scratch, dec, usd};

const DAY_MS: i64 = 86_400_000;
/// 2026-10-01T12:00:00Z.
const OCT_1: i64 = 1_790_856_000_000;
/// 2026-11-01T12:00:00Z.
const NOV_1: i64 = OCT_1 + 31 * DAY_MS;

fn request(id: &str, epoch_ms: i64, response_bytes: u64) -> String {
    format!(
        r#"{{"requestId":"{id}","requestTimeEpoch":{epoch_ms},"eventType":"REQUEST","stage":"prod","routeKey":"GET /items","status":200,"requestLength":0,"responseLength":{response_bytes}}}"#
    )
}

/// October 2026, covering 1–31 October:
/// - 8 requests on 1, 5, 9, 13, 17, 21, 25 and 31 October; the one on the 13th returns 1.5 MB
///   (1,572,864 B = 3 × 512 KB), so HTTP units = 7 + 3 = 10 ($0.00001);
/// - one WebSocket connection on 2 October: messages of 100 B (1 unit) and 40,000 B (2 × 32 KB
///   units) = 3 units ($0.000003), 90 s long = 2 connection minutes ($0.0000005).
fn october_logs() -> String {
    let days = [0, 4, 8, 12, 16, 20, 24, 30];
    let mut lines: Vec<String> = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let bytes = if *d == 12 { 1_572_864 } else { 0 };
            request(&format!("o{i}"), OCT_1 + d * DAY_MS, bytes)
        })
        .collect();
    let t0 = OCT_1 + DAY_MS;
    lines.push(format!(
        r#"{{"requestId":"c1","requestTimeEpoch":{t0},"eventType":"CONNECT","stage":"prod","routeKey":"$connect","status":101,"connectionId":"c1","connectedAt":{t0}}}"#
    ));
    for (i, len) in [100, 40_000].iter().enumerate() {
        lines.push(format!(
            r#"{{"requestId":"m{i}","requestTimeEpoch":{},"eventType":"MESSAGE","stage":"prod","routeKey":"$default","connectionId":"c1","messageLength":{len},"connectedAt":{t0}}}"#,
            t0 + 10_000 * (i as i64 + 1)
        ));
    }
    lines.push(format!(
        r#"{{"requestId":"d1","requestTimeEpoch":{},"eventType":"DISCONNECT","stage":"prod","routeKey":"$disconnect","connectionId":"c1","connectedAt":{t0}}}"#,
        t0 + 90_000
    ));
    lines.join("\n") + "\n"
}

/// November 2026: 10 requests on 1–10 November (10 of its 30 days), one HTTP unit each.
fn november_logs() -> String {
    let lines: Vec<String> = (0..10)
        .map(|i| request(&format!("n{i}"), NOV_1 + i * DAY_MS, 0))
        .collect();
    lines.join("\n") + "\n"
}

/// A CUR 2.0 export of October: the HTTP requests in two daily rows (4 + 6 = 10 units,
/// $0.000004 + $0.000006), 3 messages, 2 connection minutes, the 1.5 MB response as data transfer
/// out (1,572,864 B = 0.00146484375 GB × $0.09 = $0.0001318359375), a 0.5 GB cache for 744 hours
/// at $0.02 = $14.88, and three rows reconcile leaves out (tax, another product, a credit).
const CUR2_CSV: &str = "\
identity_line_item_id,bill_billing_period_start_date,line_item_line_item_type,line_item_product_code,line_item_usage_type,line_item_operation,line_item_usage_start_date,line_item_usage_end_date,line_item_usage_amount,line_item_unblended_rate,line_item_unblended_cost,product_region_code
a1,2026-10-01T00:00:00.000Z,Usage,AmazonApiGateway,USE1-ApiGatewayHttpRequest,ApiGatewayHttpApi,2026-10-01T00:00:00.000Z,2026-10-02T00:00:00.000Z,4,0.000001,0.000004,us-east-1
a2,2026-10-01T00:00:00.000Z,Usage,AmazonApiGateway,USE1-ApiGatewayHttpRequest,ApiGatewayHttpApi,2026-10-17T00:00:00.000Z,2026-10-18T00:00:00.000Z,6,0.000001,0.000006,us-east-1
a3,2026-10-01T00:00:00.000Z,Usage,AmazonApiGateway,USE1-ApiGatewayMessage,ApiGatewayWebSocket,2026-10-02T00:00:00.000Z,2026-10-03T00:00:00.000Z,3,0.000001,0.000003,us-east-1
a4,2026-10-01T00:00:00.000Z,Usage,AmazonApiGateway,USE1-ApiGatewayMinute,ApiGatewayWebSocket,2026-10-02T00:00:00.000Z,2026-10-03T00:00:00.000Z,2,0.00000025,0.0000005,us-east-1
a9,2026-10-01T00:00:00.000Z,Usage,AmazonApiGateway,USE1-DataTransfer-Out-Bytes,ApiGatewayHttpApi,2026-10-13T00:00:00.000Z,2026-10-14T00:00:00.000Z,0.00146484375,0.09,0.0001318359375,us-east-1
a5,2026-10-01T00:00:00.000Z,Usage,AmazonApiGateway,USE1-ApiGatewayCacheUsage:0.5GB,RunInstances,2026-10-01T00:00:00.000Z,2026-11-01T00:00:00.000Z,744,0.02,14.88,us-east-1
a6,2026-10-01T00:00:00.000Z,Tax,AmazonApiGateway,,,2026-10-01T00:00:00.000Z,2026-11-01T00:00:00.000Z,1,,1.23,
a7,2026-10-01T00:00:00.000Z,Usage,AmazonS3,USE1-TimedStorage-ByteHrs,StandardStorage,2026-10-01T00:00:00.000Z,2026-10-02T00:00:00.000Z,100,0.005,0.5,us-east-1
a8,2026-10-01T00:00:00.000Z,Credit,AmazonApiGateway,USE1-ApiGatewayHttpRequest,ApiGatewayHttpApi,2026-10-01T00:00:00.000Z,2026-11-01T00:00:00.000Z,0,,-0.000004,us-east-1
";

/// A legacy CUR of October and November: AWS billed 8 HTTP requests in October (the logs meter
/// 10: the 1.5 MB response counts 3 units under the `sum` basis, 1 under `request`) and 30 in
/// November (the logs cover 10 of its 30 days).
const LEGACY_CSV: &str = "\
identity/LineItemId,bill/BillingPeriodStartDate,lineItem/LineItemType,lineItem/ProductCode,lineItem/UsageType,lineItem/UsageStartDate,lineItem/UsageAmount,lineItem/UnblendedCost
l1,2026-10-01T00:00:00Z,Usage,AmazonApiGateway,USE1-ApiGatewayHttpRequest,2026-10-01T00:00:00Z,8.0000000000,0.0000080000
l2,2026-11-01T00:00:00Z,Usage,AmazonApiGateway,USE1-ApiGatewayHttpRequest,2026-11-01T00:00:00Z,30.0000000000,0.0000300000
";

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn scratch() -> Scratch {
    let s = Scratch::new();
    s.write("logs/oct.jsonl", october_logs().as_bytes());
    s.write("nov.jsonl", november_logs().as_bytes());
    s.write("cur2.csv.gz", &gzip(CUR2_CSV.as_bytes()));
    s.write("legacy.csv", LEGACY_CSV.as_bytes());
    s
}

fn reconcile(s: &Scratch, args: &[&str]) -> Value {
    let mut all = vec!["reconcile", "--format", "json"];
    all.extend_from_slice(args);
    s.run(&all).success().json()
}

fn line<'a>(month: &'a Value, usage_type: &str) -> &'a Value {
    month["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["usage_type"] == usage_type)
        .unwrap_or_else(|| panic!("no {usage_type} line in {month}"))
}

/// Checks the October reconciliation of the CUR 2.0 rows (CSV or Parquet alike).
fn assert_october_matches(v: &Value) {
    assert_eq!(v["cur"]["layout"], "CUR 2.0");
    assert_eq!(v["cur"]["rows"], 9);
    assert_eq!(v["cur"]["api_gateway_rows"], 6);
    let months = v["months"].as_array().unwrap();
    assert_eq!(months.len(), 1);
    let oct = &months[0];
    assert_eq!(oct["month"], "2026-10");
    assert_eq!(oct["log_days_covered"], 31);
    let http = line(oct, "USE1-ApiGatewayHttpRequest");
    assert_eq!(http["line"], "http_api_requests");
    assert_eq!(http["aws_units"], "10");
    assert_eq!(http["gwcost_units"], "10");
    assert_eq!(http["diff_units"], "0");
    assert_eq!(http["ratio"], "1");
    assert_eq!(usd(&http["aws_cost_usd"]), dec("0.00001"));
    assert_eq!(usd(&http["gwcost_cost_usd"]), dec("0.00001"));
    assert_eq!(http["status"], "match");
    let msg = line(oct, "USE1-ApiGatewayMessage");
    assert_eq!(
        (msg["aws_units"].as_str(), msg["gwcost_units"].as_str()),
        (Some("3"), Some("3"))
    );
    assert_eq!(usd(&msg["gwcost_cost_usd"]), dec("0.000003"));
    assert_eq!(msg["status"], "match");
    let min = line(oct, "USE1-ApiGatewayMinute");
    assert_eq!(
        (min["aws_units"].as_str(), min["gwcost_units"].as_str()),
        (Some("2"), Some("2"))
    );
    assert_eq!(usd(&min["gwcost_cost_usd"]), dec("0.0000005"));
    assert_eq!(min["status"], "match");
    let dto = line(oct, "USE1-DataTransfer-Out-Bytes");
    assert_eq!(dto["unit"], "GB");
    assert_eq!(dto["gwcost_units"], "0.00146484375");
    assert_eq!(usd(&dto["gwcost_cost_usd"]), dec("0.0001318359375"));
    assert_eq!(dto["status"], "match");
    let cache = line(oct, "USE1-ApiGatewayCacheUsage:0.5GB");
    assert_eq!(cache["aws_units"], "744");
    assert!(cache["gwcost_units"].is_null());
    assert_eq!(cache["status"], "not metered");
    assert!(cache["reason"].as_str().unwrap().contains("--rest-cache"));
    // AWS: $0.00001 + $0.000003 + $0.0000005 + $0.0001318359375 + $14.88; gwcost: the four
    // metered lines.
    assert_eq!(usd(&oct["aws_cost_usd"]), dec("14.8801453359375"));
    assert_eq!(usd(&oct["gwcost_cost_usd"]), dec("0.0001453359375"));
}

#[test]
fn cur2_gzipped_csv_matches_the_logs() {
    let s = scratch();
    let v = reconcile(&s, &["--cur", "cur2.csv.gz", "logs/"]);
    assert_october_matches(&v);
    s.run(&["reconcile", "--cur", "cur2.csv.gz", "logs/"])
        .success()
        .stdout_has("CUR: CUR 2.0 (9 rows, 6 API Gateway usage rows)")
        .stdout_has("2026-10: logs cover 31 of 31 days")
        .stdout_has("USE1-ApiGatewayHttpRequest");
    let csv = s
        .run(&[
            "reconcile",
            "--cur",
            "cur2.csv.gz",
            "logs/",
            "--format",
            "csv",
        ])
        .success()
        .stdout;
    assert!(csv.starts_with("month,usage_type,line,unit,aws_units,gwcost_units,diff_units,ratio,aws_cost_usd,gwcost_cost_usd,status,reason\n"), "{csv}");
    assert!(csv.contains("\n2026-10,USE1-ApiGatewayHttpRequest,http_api_requests,requests,10,10,0,1,0.00001,0.00001,match,\n"), "{csv}");
    s.run(&[
        "reconcile",
        "--cur",
        "cur2.csv.gz",
        "logs/",
        "--format",
        "html",
    ])
    .success()
    .stdout_has("<!DOCTYPE html>")
    .stdout_has("USE1-ApiGatewayMinute");
}

#[test]
fn cur2_parquet_matches_the_logs() {
    let s = scratch();
    // The same rows as a Parquet export: amounts and costs as doubles, as AWS writes them.
    let json: String = CUR2_CSV
        .lines()
        .skip(1)
        .map(|row| {
            let c: Vec<&str> = row.split(',').collect();
            // JSON floats, so polars types the columns as doubles.
            let float = |s: &str| if s.contains('.') { s.to_owned() } else { format!("{s}.0") };
            format!(
                r#"{{"line_item_line_item_type":"{}","line_item_product_code":"{}","line_item_usage_type":"{}","line_item_usage_start_date":"{}","line_item_usage_amount":{},"line_item_unblended_cost":{}}}"#,
                c[2], c[3], c[4], c[6], float(c[8]), float(c[10])
            ) + "\n"
        })
        .collect();
    s.write("cur2.jsonl", json.as_bytes());
    let mut df = JsonReader::new(File::open(s.path("cur2.jsonl")).unwrap())
        .with_json_format(JsonFormat::JsonLines)
        .finish()
        .unwrap();
    ParquetWriter::new(File::create(s.path("cur2.parquet")).unwrap())
        .finish(&mut df)
        .unwrap();
    let v = reconcile(&s, &["--cur", "cur2.parquet", "logs/oct.jsonl"]);
    assert_october_matches(&v);
}

/// Legacy CUR: October differs by the metering basis, November by the days the logs cover.
#[test]
fn legacy_cur_mismatches_name_their_reason() {
    let s = scratch();
    let v = reconcile(&s, &["--cur", "legacy.csv", "logs/oct.jsonl", "nov.jsonl"]);
    assert_eq!(v["cur"]["layout"], "legacy CUR");
    let months = v["months"].as_array().unwrap();
    let (oct, nov) = (&months[0], &months[1]);

    // October: AWS 8, gwcost 10 (7 + 3 units): diff −2, ratio 10 / 8 = 1.25.
    let http = line(oct, "USE1-ApiGatewayHttpRequest");
    assert_eq!(http["aws_units"], "8");
    assert_eq!(http["gwcost_units"], "10");
    assert_eq!(http["diff_units"], "-2");
    assert_eq!(http["ratio"], "1.25");
    assert_eq!(http["status"], "differs");
    let why = http["reason"].as_str().unwrap();
    assert!(
        why.starts_with("metering basis: gwcost metered 2 extra 512 KB units under basis `sum`"),
        "{why}"
    );
    // The logs' WebSocket traffic has no line in this CUR.
    let msg = line(oct, "-");
    assert_eq!(msg["line"], "websocket_messages");
    assert!(
        msg["reason"]
            .as_str()
            .unwrap()
            .starts_with("no ApiGatewayMessage line in the CUR")
    );

    // November: AWS 30, gwcost 10: diff 20, ratio 0.3333; the logs cover 1–10 of 30 days.
    assert_eq!(nov["log_days_covered"], 10);
    assert_eq!(nov["days_in_month"], 30);
    let http = line(nov, "USE1-ApiGatewayHttpRequest");
    assert_eq!(http["diff_units"], "20");
    assert_eq!(http["ratio"], "0.3333");
    assert_eq!(
        http["reason"],
        "the logs cover 10 of the month's 30 days: AWS billed 20 requests more (try --project-month)"
    );

    // Metering only the request body, the big response is one unit: October matches.
    let v = reconcile(
        &s,
        &[
            "--cur",
            "legacy.csv",
            "logs/oct.jsonl",
            "nov.jsonl",
            "--metering-basis",
            "request",
        ],
    );
    assert_eq!(
        line(&v["months"][0], "USE1-ApiGatewayHttpRequest")["status"],
        "match"
    );

    // --project-month: November ×30/10 = ×3, 10 → 30 requests: a match ($0.00003 both sides).
    let v = reconcile(
        &s,
        &[
            "--cur",
            "legacy.csv",
            "logs/oct.jsonl",
            "nov.jsonl",
            "--project-month",
        ],
    );
    let http = line(&v["months"][1], "USE1-ApiGatewayHttpRequest");
    assert_eq!(http["gwcost_units"], "30");
    assert_eq!(http["gwcost_observed_units"], "10");
    assert_eq!(http["status"], "match");
    assert_eq!(usd(&http["gwcost_cost_usd"]), dec("0.00003"));
    assert_eq!(v["months"][1]["projection"]["factor"], "3");

    // Known to cover the whole month, the logs miss 20 requests AWS billed.
    let v = reconcile(
        &s,
        &[
            "--cur",
            "legacy.csv",
            "nov.jsonl",
            "--project-month",
            "--window",
            "2026-11-01..2026-11-30",
        ],
    );
    let reason = |m: usize| {
        line(&v["months"][m], "USE1-ApiGatewayHttpRequest")["reason"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        reason(0),
        "the logs have no events in this month: AWS billed 8 requests (give the month's logs)"
    );
    assert!(
        reason(1).starts_with("AWS billed 20 requests with no log line"),
        "{}",
        reason(1)
    );
}

#[test]
fn a_file_that_is_not_a_cur_is_a_clear_error() {
    let s = scratch();
    s.write("nope.csv", b"month,cost\n2026-10,1\n");
    s.run(&["reconcile", "--cur", "nope.csv", "nov.jsonl"])
        .status(2)
        .stderr_has("CUR nope.csv")
        .stderr_has("no lineItem/UsageType column");
    s.write(
        "bad.csv",
        b"lineItem/LineItemType,lineItem/ProductCode,lineItem/UsageType,lineItem/UsageStartDate,lineItem/UsageAmount,lineItem/UnblendedCost\nUsage,AmazonApiGateway,USE1-ApiGatewayRequest,2026-11-01T00:00:00Z,lots,1\n",
    );
    s.run(&["reconcile", "--cur", "bad.csv", "nov.jsonl"])
        .status(2)
        .stderr_has("CUR bad.csv: row 2: usage amount \"lots\" is not a number");
    s.run(&["reconcile", "--cur", "missing.csv", "nov.jsonl"])
        .status(2)
        .stderr_has("missing.csv");
}

/// `reconcile --format json` is valid against docs/schema/reconcile.json.
#[test]
fn reconcile_json_is_valid_against_its_schema() {
    let s = scratch();
    let v = reconcile(&s, &["--cur", "cur2.csv.gz", "logs/"]);
    crate::schemas::assert_valid("reconcile", &v);
}
