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

/// Writes the CSV on stdin as a Parquet CUR with the column types AWS documents for CUR 2.0
/// Data Exports (TIMESTAMP dates, DOUBLE amounts and costs, STRING rates, `product` a
/// MAP<STRING,STRING>) through pyarrow, the Arrow writer AWS's own tooling and Athena read.
/// argv: OUT.parquet, the timestamp unit (`ms`/`us`/`ns`), the zone (`-` for none).
const PYARROW_CUR2: &str = r#"
import csv, io, sys
from datetime import datetime, timezone
import pyarrow as pa, pyarrow.parquet as pq
out, unit, tz = sys.argv[1], sys.argv[2], sys.argv[3]
tz = None if tz == "-" else tz
rows = list(csv.DictReader(io.StringIO(sys.stdin.read())))
def ts(s):
    d = datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return d if tz else d.replace(tzinfo=None)
def dbl(s):
    return float(s) if s else None
T = pa.timestamp(unit, tz=tz)
cols = {
    "identity_line_item_id": (pa.string(), str),
    "bill_billing_period_start_date": (T, ts),
    "line_item_line_item_type": (pa.string(), str),
    "line_item_product_code": (pa.string(), str),
    "line_item_usage_type": (pa.string(), str),
    "line_item_operation": (pa.string(), str),
    "line_item_usage_start_date": (T, ts),
    "line_item_usage_end_date": (T, ts),
    "line_item_usage_amount": (pa.float64(), dbl),
    "line_item_unblended_rate": (pa.string(), str),
    "line_item_unblended_cost": (pa.float64(), dbl),
    "product_region_code": (pa.string(), str),
}
arrays = {n: pa.array([f(r[n]) for r in rows], type=t) for n, (t, f) in cols.items()}
arrays["product"] = pa.array(
    [[("region", r["product_region_code"]), ("servicecode", r["line_item_product_code"])] for r in rows],
    type=pa.map_(pa.string(), pa.string()),
)
arrays["resource_tags"] = pa.array([[] for _ in rows], type=pa.map_(pa.string(), pa.string()))
table = pa.table(arrays)
assert table.schema.field("product").type == pa.map_(pa.string(), pa.string())
pq.write_table(table, out, compression="snappy")
"#;

/// The CUR 2.0 rows (without the header) split at `at`, each part with the header.
fn cur2_parts(at: usize) -> (String, String) {
    let mut lines = CUR2_CSV.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let part = |r: &[&str]| format!("{header}\n{}\n", r.join("\n"));
    (part(&rows[..at]), part(&rows[at..]))
}

fn write_cur2_parquet(s: &Scratch, path: &str, csv: &str, unit: &str, tz: &str) {
    let out = s.path(path);
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let script = format!(
        "import sys; sys.argv = ['', {:?}, {unit:?}, {tz:?}]\n{PYARROW_CUR2}",
        out.to_str().unwrap()
    );
    crate::util::python(&script, csv, &[]);
}

/// AWS's Parquet exports type `line_item_usage_start_date` as TIMESTAMP (Athena's
/// `timestamp(3)`; Arrow writes microseconds; with or without a UTC zone) and carry MAP columns;
/// reconcile reads each like the CSV of the same rows.
#[test]
fn cur2_parquet_with_aws_types_matches_the_csv() {
    if !crate::util::python_peer("import pyarrow", "pyarrow (pip install pyarrow)") {
        return;
    }
    let s = scratch();
    for (unit, tz) in [("us", "-"), ("ms", "UTC"), ("ns", "UTC"), ("us", "+00:00")] {
        let name = format!("cur2-{unit}-{}.parquet", tz.replace(['+', ':'], ""));
        write_cur2_parquet(&s, &name, CUR2_CSV, unit, tz);
        let v = reconcile(&s, &["--cur", &name, "logs/oct.jsonl"]);
        assert_october_matches(&v);
    }
}

/// `--cur DIR` on a CUR 2.0 export copied from S3 (`aws s3 sync`): the manifest under
/// `metadata/BILLING_PERIOD=…/` names the data files under `data/BILLING_PERIOD=…/` by their S3
/// URIs; two files are summed like one.
#[test]
fn cur2_export_folder_is_read_through_its_manifest() {
    if !crate::util::python_peer("import pyarrow", "pyarrow (pip install pyarrow)") {
        return;
    }
    let s = scratch();
    let (a, b) = cur2_parts(4);
    let data = "cur/gwcost-export/data/BILLING_PERIOD=2026-10";
    write_cur2_parquet(
        &s,
        &format!("{data}/gwcost-export-00001.snappy.parquet"),
        &a,
        "us",
        "UTC",
    );
    write_cur2_parquet(
        &s,
        &format!("{data}/gwcost-export-00002.snappy.parquet"),
        &b,
        "us",
        "UTC",
    );
    let uri = |n: u32| {
        format!(
            "s3://billing-bucket/cur/gwcost-export/data/BILLING_PERIOD=2026-10/gwcost-export-0000{n}.snappy.parquet"
        )
    };
    let manifest = serde_json::json!({
        "version": "1.0",
        "exportName": "gwcost-export",
        "executionId": "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9",
        "billingPeriod": {"start": "2026-10-01T00:00:00.000Z", "end": "2026-11-01T00:00:00.000Z"},
        "dataFiles": [uri(1), uri(2)],
    });
    s.write(
        "cur/gwcost-export/metadata/BILLING_PERIOD=2026-10/gwcost-export-Manifest.json",
        manifest.to_string().as_bytes(),
    );
    let v = reconcile(&s, &["--cur", "cur/gwcost-export", "logs/oct.jsonl"]);
    assert_october_matches(&v);
    // Also from the folder above the export (the synced prefix).
    let v = reconcile(&s, &["--cur", "cur", "logs/oct.jsonl"]);
    assert_october_matches(&v);

    // A manifest naming a file that was not copied is an error naming both.
    s.write(
        "cur/gwcost-export/metadata/BILLING_PERIOD=2026-10/gwcost-export-Manifest.json",
        serde_json::json!({"dataFiles": [uri(1), uri(3)]})
            .to_string()
            .as_bytes(),
    );
    s.run(&["reconcile", "--cur", "cur", "logs/oct.jsonl"])
        .status(2)
        .stderr_has("gwcost-export-00003.snappy.parquet")
        .stderr_has("gwcost-export-Manifest.json");
}

/// A legacy CUR folder as AWS writes it: `REPORT/YYYYMMDD-YYYYMMDD/REPORT-Manifest.json` names
/// the current assembly's gzipped CSV; an older assembly left beside it (with its own copy of its
/// manifest) is not read, so October is AWS's 8 requests, not 8 + 5.
#[test]
fn legacy_cur_folder_reads_only_the_assembly_its_manifest_names() {
    let s = scratch();
    let period = "legacy/gwcost/20261001-20261101";
    let october = |requests: u32| {
        format!(
            "identity/LineItemId,lineItem/LineItemType,lineItem/ProductCode,lineItem/UsageType,lineItem/UsageStartDate,lineItem/UsageAmount,lineItem/UnblendedCost\n\
             l1,Usage,AmazonApiGateway,USE1-ApiGatewayHttpRequest,2026-10-01T00:00:00Z,{requests}.0000000000,0.00000{requests}0000\n"
        )
    };
    let manifest = |assembly: &str| {
        serde_json::json!({
            "assemblyId": assembly,
            "reportName": "gwcost",
            "bucket": "billing-bucket",
            "billingPeriod": {"start": "20261001T000000.000Z", "end": "20261101T000000.000Z"},
            "compression": "GZIP",
            "contentType": "text/csv",
            "reportKeys": [format!("{period}/{assembly}/gwcost-1.csv.gz")],
        })
        .to_string()
    };
    let old = "5b7f2c1e-0000-4000-8000-000000000001";
    let new = "9d3a8e4f-0000-4000-8000-000000000002";
    s.write(
        &format!("{period}/{old}/gwcost-1.csv.gz"),
        &gzip(october(5).as_bytes()),
    );
    s.write(
        &format!("{period}/{old}/gwcost-Manifest.json"),
        manifest(old).as_bytes(),
    );
    s.write(
        &format!("{period}/{new}/gwcost-1.csv.gz"),
        &gzip(october(8).as_bytes()),
    );
    s.write(
        &format!("{period}/{new}/gwcost-Manifest.json"),
        manifest(new).as_bytes(),
    );
    s.write(
        &format!("{period}/gwcost-Manifest.json"),
        manifest(new).as_bytes(),
    );
    let v = reconcile(&s, &["--cur", "legacy", "logs/oct.jsonl"]);
    assert_eq!(v["cur"]["layout"], "legacy CUR");
    assert_eq!(v["cur"]["rows"], 1);
    let oct = &v["months"][0];
    assert_eq!(line(oct, "USE1-ApiGatewayHttpRequest")["aws_units"], "8");
}

/// `--cur -` reads the export from stdin (gzip CSV or Parquet), like any other input.
#[test]
fn cur_from_stdin_is_the_same_as_the_file() {
    let s = scratch();
    let out = s
        .run_with_stdin(
            &[
                "reconcile",
                "--format",
                "json",
                "--cur",
                "-",
                "logs/oct.jsonl",
            ],
            Some(&gzip(CUR2_CSV.as_bytes())),
        )
        .success();
    assert_october_matches(&out.json());
}

#[test]
fn a_folder_without_cur_files_is_a_clear_error() {
    let s = scratch();
    s.write("empty-export/README.txt", b"nothing here\n");
    s.run(&["reconcile", "--cur", "empty-export", "logs/oct.jsonl"])
        .status(2)
        .stderr_has("empty-export: no CUR data files");
}

/// `reconcile --format json` is valid against docs/schema/reconcile.json.
#[test]
fn reconcile_json_is_valid_against_its_schema() {
    let s = scratch();
    let v = reconcile(&s, &["--cur", "cur2.csv.gz", "logs/"]);
    crate::schemas::assert_valid("reconcile", &v);
    // A renamed field and an integer unit amount are refused.
    let mut renamed = v.clone();
    let l = renamed["months"][0]["lines"][0].as_object_mut().unwrap();
    let units = l.remove("aws_units").unwrap();
    l.insert("aws_amount".into(), units);
    crate::schemas::assert_invalid("reconcile", &renamed);
    let mut integer = v.clone();
    integer["months"][0]["lines"][0]["gwcost_units"] = serde_json::json!(10);
    crate::schemas::assert_invalid("reconcile", &integer);
}

/// The one documented exception to "counts are integers" (docs/output-vocabulary.md): a
/// reconcile line's unit amounts are in its `unit`, and AWS's usage amounts are a CUR DOUBLE and
/// data transfer is in GB, both fractional — so `aws_units`, `gwcost_units` and `diff_units`
/// are decimal strings on every line, whole or not, never a mix of types in one field.
#[test]
fn reconcile_unit_amounts_are_decimal_strings_on_every_line() {
    let s = scratch();
    let v = reconcile(&s, &["--cur", "cur2.csv.gz", "logs/"]);
    let oct = &v["months"][0];
    // Whole requests are strings too, so a reader parses one type per field.
    assert_eq!(
        line(oct, "USE1-ApiGatewayHttpRequest")["gwcost_units"],
        "10"
    );
    // 1,572,864 B = 0.00146484375 GB (2^30 B): not an integer.
    let dto = line(oct, "USE1-DataTransfer-Out-Bytes");
    assert_eq!(dto["gwcost_units"], "0.00146484375");
    for l in v["months"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["lines"].as_array().unwrap())
    {
        for f in ["aws_units", "gwcost_units", "diff_units"] {
            assert!(l[f].is_string() || l[f].is_null(), "{f} in {l}");
        }
    }
    let vocabulary = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/output-vocabulary.md"),
    )
    .unwrap();
    assert!(
        vocabulary.contains("`aws_units`, `gwcost_units`"),
        "the exception is documented"
    );
}
