//! Every input format, each checked against a bill computed by hand, and the same events in
//! every format giving the same JSON bill.

use std::fs::File;
use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use polars::prelude::*;
use serde_json::Value;

use crate::util::{Scratch, assert_contract_shape, assert_transfer_cost, bill, dec, fixture, usd};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Writes a JSON-lines fixture as Parquet through polars (columns typed as polars infers them:
/// integers for gwcost's numbers, strings for API Gateway's quoted ones).
fn to_parquet(s: &Scratch, jsonl_fixture: &str, out: &str) -> std::path::PathBuf {
    let mut df = JsonReader::new(File::open(fixture(jsonl_fixture)).unwrap())
        .with_json_format(JsonFormat::JsonLines)
        .finish()
        .unwrap();
    let path = s.path(out);
    ParquetWriter::new(File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
    path
}

fn analyze_json(s: &Scratch, args: &[&str]) -> Value {
    let mut all = vec!["analyze"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let v = s.run(&all).success().json();
    assert_contract_shape(&v);
    v
}

/// The bill of tests/fixtures/gwcost.jsonl (13 events, gwcost's own schema), by hand. Prices:
/// HTTP $1.00/M, REST $3.50/M, messages $1.00/M, connection minutes $0.25/M, transfer $0.09/GB.
///
/// 2025-11:
/// - r1 GET, 0 B request + 1,572,864 B response = 3 × 512 KB → 3 HTTP units, 1 REST unit.
/// - r2 POST, 538,624 + 100 = 538,724 B > 524,288 → 2 units, 1 REST unit.
/// - r3 401 UNAUTHORIZED at 23:59:59.999 on Nov 30: counted in `requests`, not billed; its 50
///   response bytes still go out.
/// - Month: requests 3, HTTP units 5 ($0.000005), REST units 2 ($0.000007), transfer
///   1,572,864 + 100 + 50 = 1,573,014 B.
///
/// 2025-12:
/// - r4 at 00:00:00.000 Dec 1 (new month), 0 B → 1 unit; r5 502 INTEGRATION_FAILURE is billed →
///   1 unit; r6 carries dataProcessed 1,048,577 (used as is) → 3 units.
/// - Requests 3, HTTP units 5 ($0.000005), REST units 3 ($0.0000105), transfer 0+0+10 = 10 B.
/// - WebSocket: c1 messages 33,792 B → 2, 32,768 B → 1, 0 B → 1; c3 message 40,000 B → 2:
///   4 messages, 6 units ($0.000006). c1 lived 10:00:00 → 10:02:00.001 = 120.001 s → 3 minutes;
///   c3 has no DISCONNECT: billed from connectedAt 00:00:00 to its last event 00:00:30 → 1
///   minute; c2's CONNECT was refused (401): no connection. 2 connections, 4 minutes
///   ($0.000001). WebSocket cost $0.000007.
fn assert_gwcost_fixture_bill(v: &Value) {
    let m = v["months"].as_array().unwrap();
    assert_eq!(m.len(), 2);
    let (nov, dec_) = (&m[0], &m[1]);
    assert_eq!(nov["month"], "2025-11");
    assert_eq!(nov["http_api"]["requests"], 3);
    assert_eq!(nov["http_api"]["billed_units"], 5);
    assert_eq!(usd(&nov["http_api"]["cost_usd"]), dec("0.000005"));
    assert_eq!(nov["rest_api"]["requests"], 3);
    assert_eq!(nov["rest_api"]["billed_units"], 2);
    assert_eq!(usd(&nov["rest_api"]["cost_usd"]), dec("0.000007"));
    assert_eq!(nov["websocket"]["connections"], 0);
    assert_eq!(usd(&nov["websocket"]["cost_usd"]), dec("0"));
    assert_eq!(nov["data_transfer_out"]["bytes"], 1_573_014);
    assert_transfer_cost(&nov["data_transfer_out"]["cost_usd"], 1_573_014);

    assert_eq!(dec_["month"], "2025-12");
    assert_eq!(dec_["http_api"]["requests"], 3);
    assert_eq!(dec_["http_api"]["billed_units"], 5);
    assert_eq!(usd(&dec_["http_api"]["cost_usd"]), dec("0.000005"));
    assert_eq!(dec_["rest_api"]["billed_units"], 3);
    assert_eq!(usd(&dec_["rest_api"]["cost_usd"]), dec("0.0000105"));
    let ws = &dec_["websocket"];
    assert_eq!(ws["connections"], 2);
    assert_eq!(ws["messages"], 4);
    assert_eq!(ws["billed_units"], 6);
    assert_eq!(ws["connection_minutes"], 4);
    assert_eq!(usd(&ws["cost_usd"]), dec("0.000007"));
    assert_eq!(dec_["data_transfer_out"]["bytes"], 10);
    assert_transfer_cost(&dec_["data_transfer_out"]["cost_usd"], 10);

    // The total is the sum of the months (tiers restart monthly).
    let t = &v["total"];
    assert_eq!(t["http_api"]["requests"], 6);
    assert_eq!(t["http_api"]["billed_units"], 10);
    assert_eq!(usd(&t["http_api"]["cost_usd"]), dec("0.00001"));
    assert_eq!(t["rest_api"]["billed_units"], 5);
    assert_eq!(usd(&t["rest_api"]["cost_usd"]), dec("0.0000175"));
    assert_eq!(t["websocket"]["billed_units"], 6);
    assert_eq!(usd(&t["websocket"]["cost_usd"]), dec("0.000007"));
    assert_eq!(t["data_transfer_out"]["bytes"], 1_573_024);
    assert_eq!(
        usd(&t["data_transfer_out"]["cost_usd"]),
        usd(&nov["data_transfer_out"]["cost_usd"]) + usd(&dec_["data_transfer_out"]["cost_usd"])
    );
}

#[test]
fn gwcost_json_lines() {
    let s = Scratch::new();
    s.copy_fixture("gwcost.jsonl");
    let v = analyze_json(&s, &["gwcost.jsonl"]);
    assert_eq!(v["price_book"]["name"], "aws-us-east-1");
    assert_eq!(v["free_tier"], false);
    assert_eq!(v["inputs"]["files"], 1);
    assert_eq!(v["inputs"]["lines"], 13);
    assert_eq!(v["inputs"]["malformed_lines"], 0);
    assert_gwcost_fixture_bill(&v);
}

/// The five requests of the API Gateway fixtures, the same in all four AWS formats, by hand:
/// - a1 15 Nov 08:00 UTC, 1,572,864 B → 3 units.
/// - a2 `30/Nov/2025:19:30:00 -0500` is 1 Dec 00:30 UTC → December; 524,288 B = exactly one
///   increment → 1 unit.
/// - a3 30 Nov 23:59:59 UTC, responseLength `-` → 0 B → 1 unit.
/// - a4 2 Dec, 524,289 B → 2 units. a5 3 Dec, 500 from the upstream: billed, 0 B → 1 unit.
///
/// 2025-11: 2 requests, 4 HTTP units ($0.000004), 2 REST ($0.000007), 1,572,864 B out.
/// 2025-12: 3 requests, 4 HTTP units ($0.000004), 3 REST ($0.0000105), 1,048,577 B out.
fn assert_api_gateway_requests_bill(v: &Value) {
    let m = v["months"].as_array().unwrap();
    assert_eq!(m.len(), 2, "{v}");
    assert_eq!(m[0]["month"], "2025-11");
    assert_eq!(m[0]["http_api"]["requests"], 2);
    assert_eq!(m[0]["http_api"]["billed_units"], 4);
    assert_eq!(usd(&m[0]["http_api"]["cost_usd"]), dec("0.000004"));
    assert_eq!(m[0]["rest_api"]["billed_units"], 2);
    assert_eq!(usd(&m[0]["rest_api"]["cost_usd"]), dec("0.000007"));
    assert_eq!(m[0]["data_transfer_out"]["bytes"], 1_572_864);
    // 1.5 MiB at $0.09 per GiB is exactly $0.000131835937500.
    assert_eq!(
        usd(&m[0]["data_transfer_out"]["cost_usd"]),
        dec("0.0001318359375")
    );
    assert_eq!(m[1]["month"], "2025-12");
    assert_eq!(m[1]["http_api"]["requests"], 3);
    assert_eq!(m[1]["http_api"]["billed_units"], 4);
    assert_eq!(usd(&m[1]["http_api"]["cost_usd"]), dec("0.000004"));
    assert_eq!(m[1]["rest_api"]["billed_units"], 3);
    assert_eq!(usd(&m[1]["rest_api"]["cost_usd"]), dec("0.0000105"));
    assert_eq!(m[1]["data_transfer_out"]["bytes"], 1_048_577);
    assert_transfer_cost(&m[1]["data_transfer_out"]["cost_usd"], 1_048_577);
    assert_eq!(v["total"]["http_api"]["billed_units"], 8);
    assert_eq!(usd(&v["total"]["http_api"]["cost_usd"]), dec("0.000008"));
    assert_eq!(v["total"]["websocket"]["messages"], 0);
}

#[test]
fn api_gateway_http_api_json() {
    let s = Scratch::new();
    s.copy_fixture("apigw-http.json");
    let v = analyze_json(&s, &["apigw-http.json"]);
    assert_eq!(v["inputs"]["lines"], 5);
    assert_api_gateway_requests_bill(&v);
}

#[test]
fn api_gateway_rest_api_json() {
    let s = Scratch::new();
    s.copy_fixture("apigw-rest.json");
    assert_api_gateway_requests_bill(&analyze_json(&s, &["apigw-rest.json"]));
}

#[test]
fn api_gateway_rest_api_csv_without_header() {
    let s = Scratch::new();
    s.copy_fixture("apigw-rest.csv");
    let v = analyze_json(&s, &["apigw-rest.csv"]);
    assert_eq!(v["inputs"]["lines"], 5);
    assert_api_gateway_requests_bill(&v);
}

#[test]
fn api_gateway_clf() {
    let s = Scratch::new();
    s.copy_fixture("apigw-http-clf.log");
    assert_api_gateway_requests_bill(&analyze_json(&s, &["apigw-http-clf.log"]));
}

/// AWS's WebSocket format carries no message size, by hand:
/// - connection A: CONNECT 10 Dec 00:00:00, two MESSAGEs (unknown size → 1 unit each),
///   DISCONNECT at +61 s → 2 minutes, in 2025-12.
/// - connection B: connected 31 Dec 23:59:00, disconnected 1 Jan 00:00:30 → 90 s → 2 minutes,
///   billed in 2026-01, the month it ends.
#[test]
fn api_gateway_websocket_json() {
    let s = Scratch::new();
    s.copy_fixture("apigw-websocket.json");
    let v = analyze_json(&s, &["apigw-websocket.json"]);
    let m = v["months"].as_array().unwrap();
    assert_eq!(m.len(), 2);
    assert_eq!(m[0]["month"], "2025-12");
    assert_eq!(m[0]["websocket"]["connections"], 1);
    assert_eq!(m[0]["websocket"]["messages"], 2);
    assert_eq!(m[0]["websocket"]["billed_units"], 2);
    assert_eq!(m[0]["websocket"]["connection_minutes"], 2);
    // 2 messages × $1/M + 2 minutes × $0.25/M.
    assert_eq!(usd(&m[0]["websocket"]["cost_usd"]), dec("0.0000025"));
    assert_eq!(m[1]["month"], "2026-01");
    assert_eq!(m[1]["websocket"]["connections"], 1);
    assert_eq!(m[1]["websocket"]["messages"], 0);
    assert_eq!(m[1]["websocket"]["connection_minutes"], 2);
    assert_eq!(usd(&m[1]["websocket"]["cost_usd"]), dec("0.0000005"));
    assert_eq!(m[0]["http_api"]["requests"], 0);

    // The table says the sizes were unknown.
    s.run(&["analyze", "apigw-websocket.json"])
        .success()
        .stdout_has("2 WebSocket messages had no size");
}

#[test]
fn csv_with_header() {
    let s = Scratch::new();
    s.copy_fixture("gwcost-header.csv");
    let v = analyze_json(&s, &["gwcost-header.csv"]);
    assert_eq!(v["inputs"]["lines"], 13);
    assert_gwcost_fixture_bill(&v);
}

#[test]
fn parquet_typed_columns() {
    let s = Scratch::new();
    to_parquet(&s, "gwcost.jsonl", "gwcost.parquet");
    let v = analyze_json(&s, &["gwcost.parquet"]);
    assert_eq!(v["inputs"]["lines"], 13);
    assert_gwcost_fixture_bill(&v);
}

#[test]
fn parquet_string_columns_from_api_gateway() {
    let s = Scratch::new();
    to_parquet(&s, "apigw-http.json", "apigw.parquet");
    assert_api_gateway_requests_bill(&analyze_json(&s, &["apigw.parquet"]));
}

#[test]
fn gzip_including_concatenated_members() {
    let s = Scratch::new();
    let raw = std::fs::read(fixture("gwcost.jsonl")).unwrap();
    s.write("gwcost.jsonl.gz", &gzip(&raw));
    assert_gwcost_fixture_bill(&analyze_json(&s, &["gwcost.jsonl.gz"]));

    // `cat a.gz b.gz` is a valid gzip stream of two members; both must be read.
    let cut = raw.len() / 2;
    let cut = cut + raw[cut..].iter().position(|b| *b == b'\n').unwrap() + 1;
    let mut two = gzip(&raw[..cut]);
    two.extend(gzip(&raw[cut..]));
    s.write("rotated.log.1.gz", &two);
    let v = analyze_json(&s, &["rotated.log.1.gz"]);
    assert_eq!(v["inputs"]["lines"], 13);
    assert_gwcost_fixture_bill(&v);

    // Gzipped CSV too.
    let csv = std::fs::read(fixture("gwcost-header.csv")).unwrap();
    s.write("gwcost.csv.gz", &gzip(&csv));
    assert_gwcost_fixture_bill(&analyze_json(&s, &["gwcost.csv.gz"]));
}

#[test]
fn directory_recursive_skips_other_files() {
    let s = Scratch::new();
    let raw = std::fs::read_to_string(fixture("gwcost.jsonl")).unwrap();
    let lines: Vec<&str> = raw.lines().collect();
    s.write(
        "logs/2025-11/part.jsonl",
        (lines[..3].join("\n") + "\n").as_bytes(),
    );
    s.write(
        "logs/2025-12/part.jsonl.gz",
        &gzip((lines[3..].join("\n") + "\n").as_bytes()),
    );
    s.write("logs/README.md", b"not a log\n");
    s.write("logs/.hidden.jsonl", b"garbage that must not be read\n");
    let v = analyze_json(&s, &["logs"]);
    assert_eq!(v["inputs"]["files"], 2);
    assert_eq!(v["inputs"]["lines"], 13);
    assert_eq!(v["inputs"]["malformed_lines"], 0);
    assert_gwcost_fixture_bill(&v);
}

#[test]
fn stdin_json_csv_and_clf_by_content() {
    let s = Scratch::new();
    for (name, check) in [
        ("gwcost.jsonl", assert_gwcost_fixture_bill as fn(&Value)),
        ("gwcost-header.csv", assert_gwcost_fixture_bill),
        ("apigw-http-clf.log", assert_api_gateway_requests_bill),
        ("apigw-rest.csv", assert_api_gateway_requests_bill),
    ] {
        let input = std::fs::read(fixture(name)).unwrap();
        let r = s
            .run_with_stdin(&["analyze", "-", "--format", "json"], Some(&input))
            .success();
        let v = r.json();
        assert_contract_shape(&v);
        check(&v);
        // Gzipped stdin is recognised by its magic bytes.
        let r = s
            .run_with_stdin(&["analyze", "-", "--format", "json"], Some(&gzip(&input)))
            .success();
        check(&r.json());
    }
}

#[test]
fn same_events_same_bill_in_every_format() {
    let s = Scratch::new();
    s.copy_fixture("gwcost.jsonl");
    s.copy_fixture("gwcost-header.csv");
    to_parquet(&s, "gwcost.jsonl", "gwcost.parquet");
    s.write(
        "gwcost.jsonl.gz",
        &gzip(&std::fs::read(fixture("gwcost.jsonl")).unwrap()),
    );
    let reference = bill(&analyze_json(&s, &["gwcost.jsonl"]));
    for args in [
        vec!["gwcost-header.csv"],
        vec!["gwcost.parquet"],
        vec!["gwcost.jsonl.gz"],
        vec!["gwcost.jsonl", "--engine", "polars"],
        vec!["gwcost.jsonl", "--threads", "1"],
    ] {
        assert_eq!(bill(&analyze_json(&s, &args)), reference, "{args:?}");
    }

    for f in [
        "apigw-http.json",
        "apigw-rest.json",
        "apigw-rest.csv",
        "apigw-http-clf.log",
    ] {
        s.copy_fixture(f);
    }
    to_parquet(&s, "apigw-http.json", "apigw.parquet");
    let reference = bill(&analyze_json(&s, &["apigw-http.json"]));
    for f in [
        "apigw-rest.json",
        "apigw-rest.csv",
        "apigw-http-clf.log",
        "apigw.parquet",
    ] {
        assert_eq!(bill(&analyze_json(&s, &[f])), reference, "{f}");
    }
}

#[test]
fn several_inputs_add_up() {
    let s = Scratch::new();
    s.copy_fixture("apigw-http.json");
    s.copy_fixture("apigw-websocket.json");
    let v = analyze_json(&s, &["apigw-http.json", "apigw-websocket.json"]);
    assert_eq!(v["inputs"]["files"], 2);
    assert_eq!(v["inputs"]["lines"], 11);
    let months: Vec<&str> = v["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["month"].as_str().unwrap())
        .collect();
    assert_eq!(months, ["2025-11", "2025-12", "2026-01"]);
    assert_eq!(v["total"]["http_api"]["billed_units"], 8);
    assert_eq!(v["total"]["websocket"]["connection_minutes"], 4);
}
