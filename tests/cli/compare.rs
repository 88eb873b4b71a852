//! `gwcost compare`: a hand-computed log, the JSON contract's keys, costs equal to `analyze`'s on
//! every fixture, the REST cache flags, and the infracost usage file.

use serde_json::Value;

use crate::util::{Scratch, dec, fixture, usd};

/// Three requests in November 2025 and one in December (gwcost schema v1):
/// - GET /files, 1.5 MB response (1,572,864 B): 3 HTTP units;
/// - POST /upload, 513 KB body (525,312 B) + 0 B response: 2 units;
/// - GET /ping, 0 B: 1 unit;
/// - December: GET /ping, 1,000 B response: 1 unit.
const LOG: &str = concat!(
    r#"{"requestId":"c1","requestTimeEpoch":1763193600000,"eventType":"REQUEST","stage":"prod","routeKey":"GET /files","status":200,"requestLength":0,"responseLength":1572864}"#,
    "\n",
    r#"{"requestId":"c2","requestTimeEpoch":1763200000000,"eventType":"REQUEST","stage":"prod","routeKey":"POST /upload","status":201,"requestLength":525312,"responseLength":0}"#,
    "\n",
    r#"{"requestId":"c3","requestTimeEpoch":1763300000000,"eventType":"REQUEST","stage":"prod","routeKey":"GET /ping","status":200,"requestLength":0,"responseLength":0}"#,
    "\n",
    r#"{"requestId":"c4","requestTimeEpoch":1764633600000,"eventType":"REQUEST","stage":"prod","routeKey":"GET /ping","status":200,"requestLength":0,"responseLength":1000}"#,
    "\n",
);

fn compare_json(s: &Scratch, args: &[&str]) -> Value {
    let mut all = vec!["compare"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    s.run(&all).success().json()
}

#[test]
fn hand_computed_log() {
    let s = Scratch::new();
    s.write("log.jsonl", LOG.as_bytes());
    let v = compare_json(&s, &["log.jsonl"]);
    let nov = &v["months"][0];
    assert_eq!(nov["month"], "2025-11");
    assert_eq!(nov["http_api"]["billed_units"], 6);
    // 6 units × $0.000001; 3 REST requests × $0.0000035.
    assert_eq!(usd(&nov["http_api"]["cost_usd"]), dec("0.000006"));
    assert_eq!(usd(&nov["rest_api"]["cost_usd"]), dec("0.0000105"));
    assert_eq!(usd(&nov["rest_api"]["cache_cost_usd"]), dec("0"));
    // Data transfer out (1,572,864 B) is the same on both sides, so savings = REST − HTTP.
    assert_eq!(usd(&nov["savings_usd"]), dec("0.0000045"));
    assert_eq!(nov["oversize"]["requests"], 2);
    assert_eq!(nov["oversize"]["extra_units"], 3);
    assert_eq!(usd(&nov["oversize"]["extra_cost_usd"]), dec("0.000003"));
    let top = &nov["oversize"]["top_routes"];
    assert_eq!(top[0]["route"], "GET /files");
    assert_eq!(top[0]["extra_units"], 2);
    assert_eq!(top[1]["route"], "POST /upload");
    let dec_ = &v["months"][1];
    assert_eq!(dec_["month"], "2025-12");
    assert_eq!(usd(&dec_["http_api"]["cost_usd"]), dec("0.000001"));
    assert_eq!(dec_["oversize"]["extra_units"], 0);
    let t = &v["total"];
    assert_eq!(usd(&t["http_api"]["cost_usd"]), dec("0.000007"));
    assert_eq!(usd(&t["rest_api"]["cost_usd"]), dec("0.000014"));
    assert_eq!(usd(&t["savings_usd"]), dec("0.000007"));
    assert_eq!(t["oversize"]["extra_units"], 3);
    assert_eq!(
        v["verdict"],
        // Savings $0.000007 of a REST total of $0.000014 + 1,573,864 B × $0.09/GB ≈ $0.000146.
        "HTTP API saves <$0.01/month on average over 2 months (4.8% of the REST API bill)."
    );
}

#[test]
fn json_contract_keys_are_present_and_amounts_are_decimal_strings() {
    let s = Scratch::new();
    s.write("log.jsonl", LOG.as_bytes());
    let v = compare_json(&s, &["log.jsonl", "--rest-cache", "0.5"]);
    let periods: Vec<&Value> = v["months"]
        .as_array()
        .unwrap()
        .iter()
        .chain(std::iter::once(&v["total"]))
        .collect();
    for (i, p) in periods.iter().enumerate() {
        if i + 1 < periods.len() {
            assert!(p["month"].is_string());
        }
        for path in [
            &p["http_api"]["cost_usd"],
            &p["rest_api"]["cost_usd"],
            &p["rest_api"]["cache_cost_usd"],
            &p["savings_usd"],
            &p["oversize"]["extra_cost_usd"],
        ] {
            usd(path);
        }
        assert!(p["oversize"]["requests"].is_u64());
        assert!(p["oversize"]["extra_units"].is_u64());
    }
    // November 2025 has 720 hours, December 744: 0.5 GB at $0.020/hour.
    assert_eq!(
        usd(&v["months"][0]["rest_api"]["cache_cost_usd"]),
        dec("14.4")
    );
    assert_eq!(
        usd(&v["months"][1]["rest_api"]["cache_cost_usd"]),
        dec("14.88")
    );
    assert_eq!(usd(&v["total"]["rest_api"]["cache_cost_usd"]), dec("29.28"));
    let v = compare_json(
        &s,
        &["log.jsonl", "--rest-cache", "0.5", "--cache-hours", "10"],
    );
    assert_eq!(
        usd(&v["months"][1]["rest_api"]["cache_cost_usd"]),
        dec("0.2")
    );
}

fn assert_compare_equals_analyze(args: &[&str]) {
    let s = Scratch::new();
    let mut a = vec!["analyze"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--format", "json", "--quiet"]);
    let analyze = s.run(&a).success().json();
    let mut c = vec!["compare"];
    c.extend_from_slice(args);
    c.extend_from_slice(&["--format", "json", "--quiet"]);
    let compare = s.run(&c).success().json();
    let (am, cm) = (
        analyze["months"].as_array().unwrap(),
        compare["months"].as_array().unwrap(),
    );
    assert_eq!(am.len(), cm.len(), "{args:?}");
    assert!(!am.is_empty());
    for (a, c) in am
        .iter()
        .chain([&analyze["total"]])
        .zip(cm.iter().chain([&compare["total"]]))
    {
        assert_eq!(a.get("month"), c.get("month"));
        for api in ["http_api", "rest_api", "data_transfer_out"] {
            assert_eq!(
                usd(&a[api]["cost_usd"]),
                usd(&c[api]["cost_usd"]),
                "{api} of {:?} for {args:?}",
                a.get("month")
            );
        }
        assert_eq!(a["http_api"]["billed_units"], c["http_api"]["billed_units"]);
        assert_eq!(a["rest_api"]["billed_units"], c["rest_api"]["billed_units"]);
    }
}

#[test]
fn costs_equal_analyze_on_every_fixture() {
    let files = [
        "gwcost.jsonl",
        "apigw-http.json",
        "apigw-rest.json",
        "apigw-websocket.json",
        "apigw-rest.csv",
        "apigw-http-clf.log",
        "malformed.jsonl",
    ];
    let paths: Vec<String> = files
        .iter()
        .map(|f| fixture(f).display().to_string())
        .collect();
    for p in &paths {
        assert_compare_equals_analyze(&[p]);
    }
    let all: Vec<&str> = paths.iter().map(String::as_str).collect();
    assert_compare_equals_analyze(&all);
    let mut free = all.clone();
    free.push("--free-tier");
    assert_compare_equals_analyze(&free);
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sample-logs");
    assert_compare_equals_analyze(&[sample]);
    assert_compare_equals_analyze(&[sample, "--metering-basis", "max"]);
}

#[test]
fn rest_cache_size_must_be_one_aws_offers() {
    let s = Scratch::new();
    s.write("log.jsonl", LOG.as_bytes());
    s.run(&["compare", "log.jsonl", "--rest-cache", "1"])
        .status(2)
        .stderr_has("0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237");
    s.run(&["compare", "log.jsonl", "--cache-hours", "10"])
        .status(2)
        .stderr_has("--rest-cache");
}

#[test]
fn every_text_format_renders_the_same_verdict() {
    let s = Scratch::new();
    s.write("log.jsonl", LOG.as_bytes());
    let verdict = compare_json(&s, &["log.jsonl"])["verdict"]
        .as_str()
        .unwrap()
        .to_owned();
    s.run(&["compare", "log.jsonl"])
        .success()
        .stdout_has(&format!("Verdict: {verdict}"));
    s.run(&["compare", "log.jsonl", "--format", "markdown"])
        .success()
        .stdout_has(&format!("**{verdict}**"));
    let csv = s
        .run(&["compare", "log.jsonl", "--format", "csv"])
        .success()
        .stdout;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[1].starts_with("2025-11,3,6,0.000006,3,0.0000105,"),
        "{csv}"
    );
    // Exact sums keep their scale: 0.0000105 + 0.0000035 = 0.0000140.
    assert!(
        lines[3].starts_with("total,4,7,0.000007,4,0.0000140,"),
        "{csv}"
    );
}

#[test]
fn infracost_usage_carries_the_busiest_months_metered_units() {
    let s = Scratch::new();
    s.write("log.jsonl", LOG.as_bytes());
    s.run(&[
        "compare",
        "log.jsonl",
        "--format",
        "infracost-usage",
        "-o",
        "usage.yml",
    ])
    .success();
    let yml = std::fs::read_to_string(s.path("usage.yml")).unwrap();
    assert!(
        yml.contains("\nversion: 0.1\nresource_type_default_usage:\n"),
        "{yml}"
    );
    assert!(yml.contains("# Month: 2025-11"), "{yml}");
    // November: 3 requests metered as 6 HTTP units; infracost multiplies by ceil(512/512) = 1.
    assert!(
        yml.contains("  aws_apigatewayv2_api:\n    monthly_requests: 6 #"),
        "{yml}"
    );
    assert!(yml.contains("    request_size_kb: 512 #"), "{yml}");
    assert!(yml.contains("    monthly_connection_mins: 0 #"), "{yml}");
    assert!(
        yml.contains("  aws_api_gateway_rest_api:\n    monthly_requests: 3 #"),
        "{yml}"
    );
}

#[test]
fn infracost_usage_of_websocket_traffic() {
    let s = Scratch::new();
    let ws = fixture("apigw-websocket.json").display().to_string();
    let v = compare_json(&s, &[&ws]);
    let yml = s
        .run(&["compare", &ws, "--format", "infracost-usage"])
        .success()
        .stdout;
    // The busiest month by messages (no requests here), the later on a tie.
    let months = v["months"].as_array().unwrap();
    let busiest = months
        .iter()
        .max_by_key(|m| m["websocket"]["billed_units"].as_u64().unwrap())
        .unwrap();
    assert!(
        yml.contains(&format!("# Month: {}", busiest["month"].as_str().unwrap())),
        "{yml}"
    );
    let m = &busiest["websocket"];
    assert!(
        yml.contains(&format!("    monthly_messages: {} #", m["billed_units"])),
        "{yml}"
    );
    assert!(
        yml.contains(&format!(
            "    monthly_connection_mins: {} #",
            m["connection_minutes"]
        )),
        "{yml}"
    );
    assert!(yml.contains("    message_size_kb: 32 #"), "{yml}");
}

/// A cache cannot be provisioned for more hours than the month has: November 2025 has 720 and
/// December 744, so 721 hours are refused (naming the month) and 720 are billed as asked.
#[test]
fn cache_hours_past_the_month_are_refused() {
    let s = Scratch::new();
    s.write("log.jsonl", LOG.as_bytes());
    s.run(&[
        "compare",
        "log.jsonl",
        "--rest-cache",
        "0.5",
        "--cache-hours",
        "721",
    ])
    .status(2)
    .stderr_has("--cache-hours 721 is more than the 720 hours of 2025-11");
    let v = compare_json(
        &s,
        &["log.jsonl", "--rest-cache", "0.5", "--cache-hours", "720"],
    );
    // 720 h × $0.020 = $14.40 each month.
    assert_eq!(
        usd(&v["months"][0]["rest_api"]["cache_cost_usd"]),
        dec("14.4")
    );
    s.run(&[
        "quote",
        "rest",
        "--requests",
        "1",
        "--cache",
        "0.5",
        "--hours",
        "1000",
    ])
    .status(2)
    .stderr_has("1000");
}

/// 2025-11-15T10:00:00Z: November has 720 hours.
const T0: i64 = 1_763_200_800_000;

fn line(i: u64, t: i64, response: u64, client: Option<(&str, i64)>) -> String {
    let c = client.map_or(String::new(), |(id, at)| {
        format!(r#","clientConnectionId":"{id}","clientConnectedAt":{at}"#)
    });
    format!(
        r#"{{"requestId":"r{i}","requestTimeEpoch":{t},"eventType":"REQUEST","stage":"prod","routeKey":"GET /f","status":200,"requestLength":0,"responseLength":{response}{c}}}"#
    ) + "\n"
}

/// Two requests of 512 MB responses on one keep-alive connection (the sidecar's fields) in one
/// hour: 1 GB processed = 1 LCU (instance), beating 1 new connection (1/90,000 LCU) and 31
/// active minutes (31/180,000); 1 route = 1 rule, free. ALB: 720 × $0.0225 + 1 × $0.008 =
/// $16.208; Lambda: 2.5 LCU, $16.22. REST bills 2 requests ($0.000007), HTTP 2 × 1,024 units
/// ($0.002048): REST is cheapest, and stays so at any multiple (the ALB's LCU per request costs
/// more than REST's price).
#[test]
fn alb_hand_computed_from_the_sidecars_connection_fields() {
    let s = Scratch::new();
    let half_gb = 512 * 1024 * 1024;
    let log = line(1, T0, half_gb, Some(("c1", T0)))
        + &line(2, T0 + 30 * 60_000, half_gb, Some(("c1", T0)));
    s.write("alb.jsonl", log.as_bytes());
    let v = compare_json(&s, &["alb.jsonl"]);
    let a = &v["months"][0]["alb"];
    assert_eq!(a["hours"], 720);
    assert_eq!(usd(&a["lcu_hours"]), dec("1"));
    assert_eq!(a["dominant"], "processed_bytes");
    assert_eq!(usd(&a["cost_usd"]), dec("16.208"));
    assert_eq!(a["assumed_connection_requests"], 0);
    assert_eq!(
        (usd(&a["new_connections_lcu_hours"]) * dec("90000")).round_dp(20),
        dec("1")
    );
    assert_eq!(v["alb"]["rules"], 1);
    assert_eq!(v["alb"]["rules_from"], "routes");
    assert_eq!(v["front_door"]["cheapest"], "rest_api");
    assert!(v["front_door"]["break_even_multiple"].is_null());
    let l = compare_json(&s, &["alb.jsonl", "--alb-target", "lambda"]);
    assert_eq!(usd(&l["months"][0]["alb"]["lcu_hours"]), dec("2.5"));
    assert_eq!(usd(&l["months"][0]["alb"]["cost_usd"]), dec("16.22"));
    assert_eq!(l["alb"]["target"], "lambda");
    // 30 rules: 20 billed × 2 requests / 3,600,000 — still below 1 GB's LCU.
    let r = compare_json(&s, &["alb.jsonl", "--alb-rules", "30"]);
    assert_eq!(r["alb"]["rules_from"], "flag");
    assert_eq!(
        (usd(&r["months"][0]["alb"]["rule_evaluations_lcu_hours"]) * dec("90000")).round_dp(20),
        dec("1")
    );
}

/// 1,000 tiny requests in one hour from API Gateway's logs (no connection named): assumed one
/// connection each, active one minute: 1,000/90,000 = 1/90 LCU (new connections) — with
/// --alb-requests-per-connection 10, 100 connections, 1/900 LCU. HTTP API ($0.001) beats the
/// ALB (720 × $0.0225 + $0.008/90) until k × $0.001 = $16.20 + k × $0.008/90, k = 16.2 × 90 /
/// 0.082 = 17,780.49; above it, the ALB.
#[test]
fn alb_assumption_for_logs_without_connections_and_the_break_even() {
    let s = Scratch::new();
    let log: String = (0..1000)
        .map(|i| line(i, T0 + i as i64 * 1000, 0, None))
        .collect();
    s.write("apigw.jsonl", log.as_bytes());
    let v = compare_json(&s, &["apigw.jsonl"]);
    let a = &v["months"][0]["alb"];
    assert_eq!(a["assumed_connection_requests"], 1000);
    assert_eq!(a["dominant"], "new_connections");
    assert_eq!((usd(&a["lcu_hours"]) * dec("90")).round_dp(20), dec("1"));
    let f = &v["front_door"];
    assert_eq!(f["cheapest"], "http_api");
    assert_eq!(f["cheapest_above"], "alb");
    assert_eq!(usd(&f["break_even_multiple"]), dec("17780.49"));
    s.run(&["compare", "apigw.jsonl"])
        .success()
        .stdout_has("HTTP API is the cheapest front door for this traffic and stays cheapest up to ×17780.49")
        .stdout_has("1,000 requests named no client connection");
    let w = compare_json(&s, &["apigw.jsonl", "--alb-requests-per-connection", "10"]);
    assert_eq!(
        (usd(&w["months"][0]["alb"]["lcu_hours"]) * dec("900")).round_dp(20),
        dec("1")
    );
}

/// `--by` (README's common flags): stage and status beside the per-route lines, in every format.
/// November 2025, one month:
/// - prod GET /a 200, 0 B: 1 HTTP unit; prod GET /a 500, 1.5 MB response: 3 units;
/// - dev POST /b 201, 0 B: 1 unit.
///
/// The month bills 5 HTTP units × $0.000001 = $0.000005 and 3 REST requests × $0.0000035 =
/// $0.0000105, allocated by units: prod 4/5 and 2/3 → $0.000004 and $0.000007; dev 1/5 and 1/3
/// → $0.000001 and $0.0000035; status 500 3/5 and 1/3 → $0.000003 and $0.0000035; 200 and 201
/// 1/5 and 1/3 each → $0.000001 and $0.0000035.
const BY_LOG: &str = concat!(
    r#"{"requestId":"b1","requestTimeEpoch":1763193600000,"eventType":"REQUEST","stage":"prod","routeKey":"GET /a","status":200,"requestLength":0,"responseLength":0}"#,
    "\n",
    r#"{"requestId":"b2","requestTimeEpoch":1763200000000,"eventType":"REQUEST","stage":"prod","routeKey":"GET /a","status":500,"requestLength":0,"responseLength":1572864}"#,
    "\n",
    r#"{"requestId":"b3","requestTimeEpoch":1763300000000,"eventType":"REQUEST","stage":"dev","routeKey":"POST /b","status":201,"requestLength":0,"responseLength":0}"#,
    "\n",
);

#[test]
fn by_stage_and_status_in_every_format() {
    let s = Scratch::new();
    s.write("log.jsonl", BY_LOG.as_bytes());
    let v = compare_json(&s, &["log.jsonl", "--by", "stage,status"]);
    let line = |l: &Value| {
        (
            l["key"].as_str().unwrap().to_owned(),
            l["requests"].as_u64().unwrap(),
            l["http_api_billed_units"].as_u64().unwrap(),
            usd(&l["http_api_cost_usd"]),
            usd(&l["rest_api_cost_usd"]),
        )
    };
    let stages: Vec<_> = v["by_stage"].as_array().unwrap().iter().map(line).collect();
    assert_eq!(
        stages,
        [
            ("prod".to_owned(), 2, 4, dec("0.000004"), dec("0.000007")),
            ("dev".to_owned(), 1, 1, dec("0.000001"), dec("0.0000035")),
        ]
    );
    let statuses: Vec<_> = v["by_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(line)
        .collect();
    // 500 first (most units), then 200 and 201 by name.
    assert_eq!(
        statuses,
        [
            ("500".to_owned(), 1, 3, dec("0.000003"), dec("0.0000035")),
            ("200".to_owned(), 1, 1, dec("0.000001"), dec("0.0000035")),
            ("201".to_owned(), 1, 1, dec("0.000001"), dec("0.0000035")),
        ]
    );
    // Without --by the JSON has no by_stage/by_status; routes are always there.
    let plain = compare_json(&s, &["log.jsonl"]);
    assert!(plain.get("by_stage").is_none() && plain.get("by_status").is_none());
    assert_eq!(plain["routes"][0]["route"], "GET /a");

    // Table and Markdown: one section per breakdown with the same figures.
    let table = s
        .run(&["compare", "log.jsonl", "--by", "stage"])
        .success()
        .stdout;
    assert!(table.contains("By stage (all months, USD):"), "{table}");
    let prod = table
        .lines()
        .find(|l| l.trim_start().starts_with("prod"))
        .unwrap();
    // The table rounds money to cents (JSON and CSV carry the exact amounts).
    assert_eq!(
        prod.split_whitespace().collect::<Vec<_>>(),
        ["prod", "2", "4", "<$0.01", "<$0.01"]
    );
    let md = s
        .run(&[
            "compare",
            "log.jsonl",
            "--by",
            "status",
            "--format",
            "markdown",
        ])
        .success()
        .stdout;
    assert!(md.contains("### By status (all months, USD)"), "{md}");

    // CSV: `by` and `key` columns, one `total` row per key, the rectangle kept.
    let csv = s
        .run(&[
            "compare",
            "log.jsonl",
            "--by",
            "route,stage",
            "--format",
            "csv",
        ])
        .success()
        .stdout;
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    let header = &rows[0];
    assert!(rows.iter().all(|r| r.len() == header.len()), "{csv}");
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let keyed = |by: &str, key: &str| {
        rows.iter()
            .find(|r| r[col("by")] == by && r[col("key")] == key)
            .unwrap_or_else(|| panic!("no {by} {key} row in {csv}"))
    };
    let dev = keyed("stage", "dev");
    assert_eq!(dev[col("month")], "total");
    assert_eq!(dev[col("requests")], "1");
    assert_eq!(dev[col("http_api_billed_units")], "1");
    assert_eq!(dec(dev[col("http_api_cost_usd")]), dec("0.000001"));
    assert_eq!(dec(dev[col("rest_api_cost_usd")]), dec("0.0000035"));
    let a = keyed("route", "GET /a");
    assert_eq!(dec(a[col("http_api_cost_usd")]), dec("0.000004"));
    assert_eq!(dec(a[col("rest_api_cost_usd")]), dec("0.000007"));
    // The month's own row keeps its figures with empty by/key.
    let month = rows.iter().find(|r| r[0] == "2025-11").unwrap();
    assert_eq!((month[col("by")], month[col("key")]), ("", ""));
    assert_eq!(dec(month[col("http_api_cost_usd")]), dec("0.000005"));
    // Without --by route, CSV has no route rows.
    let csv = s
        .run(&["compare", "log.jsonl", "--by", "stage", "--format", "csv"])
        .success()
        .stdout;
    assert!(!csv.contains(",route,"), "{csv}");
}

/// The infracost usage file has no breakdown: `--by` is refused in one line naming the flag
/// (exit 2), not dropped.
#[test]
fn by_is_refused_with_infracost_usage() {
    let s = Scratch::new();
    s.write("log.jsonl", BY_LOG.as_bytes());
    let r = s.run(&[
        "compare",
        "log.jsonl",
        "--by",
        "stage",
        "--format",
        "infracost-usage",
    ]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("--by"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}
