//! AWS's containers (tests/fixtures/aws, built by its make.py the way AWS builds them from the
//! 700 access-log lines of sample-logs/api-gateway) bill exactly like the same events as plain
//! lines; inputs nothing can be made of fail loudly; `eventType` `-` is a refused upgrade; a
//! reused connection id does not join two connections.

use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::Value;

use crate::util::{Scratch, fixture};

/// Copies `tests/fixtures/<rel>` (a file or a directory tree) into the scratch directory.
fn copy(s: &Scratch, rel: &str) -> String {
    fn go(s: &Scratch, from: &Path, rel: &str) {
        if from.is_dir() {
            for e in std::fs::read_dir(from).unwrap() {
                let e = e.unwrap();
                let name = e.file_name().to_string_lossy().into_owned();
                go(s, &e.path(), &format!("{rel}/{name}"));
            }
        } else {
            s.write(rel, &std::fs::read(from).unwrap());
        }
    }
    go(s, &fixture(rel), rel);
    rel.to_owned()
}

fn analyze(s: &Scratch, args: &[&str]) -> Value {
    let mut all = vec!["analyze", "--by", "route", "--format", "json"];
    all.extend_from_slice(args);
    s.run(&all).success().json()
}

/// What must be equal between two bills of the same events: every month (with its routes) and
/// the total.
fn billed(v: &Value) -> (Value, Value) {
    (v["months"].clone(), v["total"].clone())
}

#[test]
fn every_aws_container_bills_like_the_plain_lines() {
    let s = Scratch::new();
    let plain = analyze(&s, &[&copy(&s, "aws/plain.jsonl")]);
    // The plain bill is not empty: 400 HTTP requests, 282 WebSocket messages, 9 connections.
    assert_eq!(plain["total"]["http_api"]["requests"], 400);
    assert_eq!(plain["total"]["websocket"]["messages"], 282);
    assert_eq!(plain["total"]["websocket"]["connections"], 9);
    assert_eq!(plain["inputs"]["lines"], 700);
    for rel in [
        // `aws logs create-export-task`: nested <task>/<stream>/000000.gz, read as a directory.
        "aws/cloudwatch-export",
        // Firehose: one gzip member per record, a CONTROL_MESSAGE first, no file extension.
        "aws/firehose",
        // Firehose with message extraction: plain lines, gzipped, no extension.
        "aws/firehose-extracted",
        // API Gateway's own Firehose destination: records back to back with no newline, one
        // object gzipped and one plain, no extension.
        "aws/firehose-destination",
        // `aws logs filter-log-events`: two pretty-printed pages back to back.
        "aws/filter-log-events.json",
        "aws/get-log-events.json",
        // Logs Insights, newest first.
        "aws/insights.csv",
        "aws/insights.json",
    ] {
        let path = copy(&s, rel);
        let v = analyze(&s, &[&path]);
        assert_eq!(billed(&v), billed(&plain), "{rel}");
        assert_eq!(v["inputs"]["lines"], 700, "{rel}: one line per log event");
        assert_eq!(v["inputs"]["malformed_lines"], 0, "{rel}");
    }
}

/// `convert` reads every container `analyze` reads (one reader seam): each converted to Parquet
/// bills like the plain lines.
#[test]
fn every_aws_container_converted_to_parquet_bills_like_the_plain_lines() {
    let s = Scratch::new();
    let plain = analyze(&s, &[&copy(&s, "aws/plain.jsonl")]);
    for (k, rel) in [
        "aws/plain.jsonl",
        "aws/cloudwatch-export",
        "aws/firehose",
        "aws/firehose-extracted",
        "aws/firehose-destination",
        "aws/filter-log-events.json",
        "aws/insights.csv",
        "aws/insights.json",
    ]
    .into_iter()
    .enumerate()
    {
        let path = copy(&s, rel);
        let out = format!("pq{k}");
        s.run(&["convert", &path, "--to", "parquet", &out])
            .success();
        let v = analyze(&s, &[&out]);
        assert_eq!(billed(&v), billed(&plain), "{rel}");
        assert_eq!(v["inputs"]["lines"], 700, "{rel}");
    }
}

#[test]
fn containers_on_stdin_are_recognised_by_content() {
    // Piped in (`aws s3 cp s3://… - | gwcost analyze -`): no name to go by, gzip by magic.
    let s = Scratch::new();
    let plain = analyze(&s, &[&copy(&s, "aws/plain.jsonl")]);
    let stdin = |rel: &str| {
        let bytes = std::fs::read(fixture(rel)).unwrap();
        s.run_with_stdin(
            &["analyze", "-", "--by", "route", "--format", "json"],
            Some(&bytes),
        )
        .success()
        .json()
    };
    for rel in [
        "aws/firehose/2026/10/01/00/apigw-logs-1-2026-10-01-00-00-00-6f1c0c8e-3b9a-4c55-9d0e-2a7f5b1e9c42",
        "aws/filter-log-events.json",
        "aws/insights.csv",
    ] {
        assert_eq!(billed(&stdin(rel)), billed(&plain), "{rel}");
    }
    // One stream of the export (the HTTP API's): the same as the file itself.
    let one = "aws/cloudwatch-export/7c1d2e3f-task/a1b2c3d4e5_prod-2026-10-0/000000.gz";
    let by_file = analyze(&s, &[&copy(&s, one)]);
    assert_eq!(by_file["total"]["http_api"]["requests"], 400);
    assert_eq!(billed(&stdin(one)), billed(&by_file));
}

#[test]
fn firehose_destination_objects_bill_like_the_plain_lines_on_stdin_and_as_files() {
    // Both objects of API Gateway's Firehose destination, one after the other on stdin (a
    // gzip stream, then plain records), and each pretty-printed record by record as a `.json`.
    let s = Scratch::new();
    let plain = analyze(&s, &[&copy(&s, "aws/plain.jsonl")]);
    let dir = "aws/firehose-destination/2026/10/01";
    let gz = std::fs::read(fixture(&format!(
        "{dir}/00/amazon-apigateway-prod-1-2026-10-01-00-00-00-5c2e9a41"
    )))
    .unwrap();
    let rest = std::fs::read(fixture(&format!(
        "{dir}/01/amazon-apigateway-prod-1-2026-10-01-01-00-00-8d0f3b72"
    )))
    .unwrap();
    let mut first = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut first).unwrap();
    let mut all = first.clone();
    all.extend_from_slice(&rest);
    let v = s
        .run_with_stdin(
            &["analyze", "-", "--by", "route", "--format", "json"],
            Some(&gzip(&all)),
        )
        .success()
        .json();
    assert_eq!(billed(&v), billed(&plain));
    assert_eq!(v["inputs"]["lines"], 700);
    // Pretty-printed records (another producer's whitespace), no newline discipline at all.
    let text = String::from_utf8(all).unwrap();
    let mut pretty = String::new();
    let mut de = serde_json::Deserializer::from_str(&text).into_iter::<Value>();
    for rec in de.by_ref() {
        pretty.push_str(&serde_json::to_string_pretty(&rec.unwrap()).unwrap());
    }
    s.write("pretty.json", pretty.as_bytes());
    let v = analyze(&s, &["pretty.json"]);
    assert_eq!(billed(&v), billed(&plain));
    assert_eq!(v["inputs"]["malformed_lines"], 0);
}

#[test]
fn the_envelope_timestamp_dates_a_message_without_one() {
    // Every message stripped of requestTime/requestTimeEpoch: CloudWatch's event timestamp
    // (the same instant) dates it, so the bill is unchanged.
    let s = Scratch::new();
    let plain = analyze(&s, &[&copy(&s, "aws/plain.jsonl")]);
    let v = analyze(&s, &[&copy(&s, "aws/untimed-filter-log-events.json")]);
    assert_eq!(billed(&v), billed(&plain));
}

#[test]
fn input_format_overrides_detection() {
    let s = Scratch::new();
    let path = copy(&s, "aws/filter-log-events.json");
    let plain = analyze(&s, &[&copy(&s, "aws/plain.jsonl")]);
    let v = analyze(&s, &[&path, "--input-format", "log-events"]);
    assert_eq!(billed(&v), billed(&plain));
    // Read as lines, a pretty-printed page is nothing but malformed lines: exit 2, not $0.00.
    s.run(&["analyze", &path, "--input-format", "lines"])
        .status(2)
        .stderr_has("nothing in the input was understood");
    s.run(&["analyze", &path, "--input-format", "xml"])
        .status(2)
        .stderr_has("cloudwatch-export");
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn nothing_understood_is_an_error_naming_the_shape() {
    let s = Scratch::new();
    // A CloudWatch Logs export of a Lambda function's log group, not access logs.
    let lambda = "2026-10-20T12:34:56.789Z START RequestId: 8f5c Version: $LATEST\n\
                  2026-10-20T12:34:56.790Z END RequestId: 8f5c\n";
    s.write("export/task/stream/000000.gz", &gzip(lambda.as_bytes()));
    s.run(&["analyze", "export"])
        .status(2)
        .stderr_has("looks like a CloudWatch Logs export")
        .stderr_has("whose messages are not access logs");
    // A JSON document that is no CloudWatch container.
    s.write(
        "other.json",
        b"{\n  \"messageType\": \"DATA_MESSAGE\",\n  \"logGroup\": \"g\"\n}\n",
    );
    s.run(&["analyze", "other.json"])
        .status(2)
        .stderr_has("without logEvents");
    // Only CONTROL_MESSAGE records.
    s.write(
        "control",
        &gzip(br#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1790812800000,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}"#),
    );
    s.run(&["analyze", "control"])
        .status(2)
        .stderr_has("only CONTROL_MESSAGE");
    // Text that is no access log at all.
    s.write("notes.log", b"hello\nworld\n");
    s.run(&["analyze", "notes.log"])
        .status(2)
        .stderr_has("notes.log");
}

#[test]
fn mostly_malformed_input_says_so_above_the_bill() {
    let s = Scratch::new();
    s.write(
        "mixed.jsonl",
        b"{\"requestTimeEpoch\":1764547200000}\nnope\nnope\nnope\n",
    );
    s.run(&["analyze", "mixed.jsonl"])
        .success()
        .stderr_has("most lines are malformed (3 of 4)");
}

#[test]
fn websocket_dash_event_type_is_a_refused_upgrade_not_a_request() {
    // AWS's WebSocket sample logs: an upgrade refused before route selection logs `-` for
    // eventType, routeKey and connectionId.
    let s = Scratch::new();
    let accepted = r#"{"requestId":"w1","ip":"192.0.2.30","requestTime":"10/Dec/2025:00:00:00 +0000","eventType":"CONNECT","routeKey":"$connect","status":"200","connectionId":"A","connectedAt":"1765324800000"}
{"requestId":"w2","ip":"192.0.2.30","requestTime":"10/Dec/2025:00:01:30 +0000","eventType":"DISCONNECT","routeKey":"$disconnect","status":"200","connectionId":"A","connectedAt":"1765324800000"}
"#;
    let refused = r#"{"requestId":"w3","ip":"192.0.2.31","requestTime":"10/Dec/2025:00:02:00 +0000","eventType":"-","routeKey":"-","status":"403","connectionId":"-","connectedAt":"-"}
{ "requestId": "w4", "ip": "192.0.2.31", "requestTime": "10/Dec/2025:00:02:01 +0000", "eventType": "-", "routeKey": "-", "status": "403", "connectionId": "-" }
"#;
    s.write("ok.json", accepted.as_bytes());
    s.write("all.json", format!("{accepted}{refused}").as_bytes());
    let ok = analyze(&s, &["ok.json"]);
    let all = analyze(&s, &["all.json"]);
    assert_eq!(all["total"]["http_api"]["requests"], 0);
    assert_eq!(all["total"]["websocket"]["connections"], 1);
    // 00:00:00 → 00:01:30 = 2 minutes.
    assert_eq!(all["total"]["websocket"]["connection_minutes"], 2);
    assert_eq!(billed(&all), billed(&ok));
    assert_eq!(all["inputs"]["malformed_lines"], 0);
}

#[test]
fn a_reused_connection_id_is_two_connections() {
    // Connection id A used on Dec 10 and again on Dec 17, each for 90 s: two connections of 2
    // minutes each, not one of a week. Same with the lines in any split across threads.
    let s = Scratch::new();
    let lines = [
        (1_765_324_800_000i64, "CONNECT", 1_765_324_800_000i64),
        (1_765_324_890_000, "DISCONNECT", 1_765_324_800_000),
        (1_765_929_600_000, "CONNECT", 1_765_929_600_000),
        (1_765_929_630_000, "MESSAGE", 1_765_929_600_000),
        (1_765_929_690_000, "DISCONNECT", 1_765_929_600_000),
    ];
    let text: String = lines
        .iter()
        .map(|(t, e, at)| {
            format!(
                "{{\"requestTimeEpoch\":{t},\"eventType\":\"{e}\",\"routeKey\":\"$default\",\"status\":200,\"connectionId\":\"A\",\"connectedAt\":{at}}}\n"
            )
        })
        .collect();
    s.write("ws.jsonl", text.as_bytes());
    let v = analyze(&s, &["ws.jsonl"]);
    assert_eq!(v["total"]["websocket"]["connections"], 2);
    assert_eq!(v["total"]["websocket"]["connection_minutes"], 4);
    // Newest first (as Logs Insights lists them): the same bill.
    let reversed: String = text.lines().rev().map(|l| format!("{l}\n")).collect();
    s.write("ws-reversed.jsonl", reversed.as_bytes());
    let r = analyze(&s, &["ws-reversed.jsonl"]);
    assert_eq!(billed(&r), billed(&v));
}

#[test]
fn files_without_extension_that_are_no_logs_are_skipped_in_directories() {
    // Firehose objects have no extension, so a directory's extensionless files are looked at;
    // one that is no log (a README, a binary) is skipped, not reported line by line.
    let s = Scratch::new();
    let plain = analyze(&s, &[&copy(&s, "aws/plain.jsonl")]);
    let dir = copy(&s, "aws/firehose");
    s.write(
        &format!("{dir}/README"),
        b"Firehose objects, delivered hourly.\n",
    );
    s.write(&format!("{dir}/2026/blob"), &[0u8, 159, 146, 150, 7, 7, 7]);
    let v = analyze(&s, &[&dir]);
    assert_eq!(billed(&v), billed(&plain));
    assert_eq!(v["inputs"]["malformed_lines"], 0);
}
