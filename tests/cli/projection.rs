//! Projection (`--scale F`, `--project-month`, `--window START..END`) on `analyze`, `compare` and
//! `report`: counts are scaled before tiers and the free tier, and every format keeps the
//! observed figures beside the projected ones. Expected dollars are worked out by hand from the
//! us-east-1 price book (HTTP $1.00/M to 300 M then $0.90/M; REST $3.50/M to 333 M, $2.80/M to
//! 1 B).

use crate::util::{Scratch, dec, usd};

const DAY_MS: i64 = 86_400_000;
/// 2026-09-01T12:00:00Z and 2026-10-01T12:00:00Z.
const SEP_1: i64 = 1_788_264_000_000;
const OCT_1: i64 = 1_790_856_000_000;

/// One schema-v1 REQUEST line with empty bodies (one HTTP unit, one REST unit).
fn request(id: &str, epoch_ms: i64) -> String {
    format!(
        r#"{{"requestId":"{id}","requestTimeEpoch":{epoch_ms},"eventType":"REQUEST","stage":"prod","routeKey":"GET /items","status":200,"requestLength":0,"responseLength":0}}"#
    )
}

/// Four requests on 1–4 September 2026.
fn september(s: &Scratch) {
    let lines: Vec<String> = (0..4)
        .map(|i| request(&format!("s{i}"), SEP_1 + i * DAY_MS))
        .collect();
    s.write("sep.jsonl", (lines.join("\n") + "\n").as_bytes());
}

/// Ten requests, one a day on 1–10 October 2026: the logs cover 10 of October's 31 days.
fn october(s: &Scratch) {
    let lines: Vec<String> = (0..10)
        .map(|i| request(&format!("o{i}"), OCT_1 + i * DAY_MS))
        .collect();
    s.write("oct.jsonl", (lines.join("\n") + "\n").as_bytes());
}

fn analyze_json(s: &Scratch, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["analyze", "--format", "json"];
    all.extend_from_slice(args);
    s.run(&all).success().json()
}

/// 4 requests × 100,000,000 = 400 M units in one month, tiered after scaling:
/// HTTP: 300 M × $1.00/M + 100 M × $0.90/M = $300 + $90 = $390.00 (pricing.md's worked check),
/// not 400 M × $1.00/M = $400.
/// REST: 333 M × $3.50/M + 67 M × $2.80/M = $1,165.50 + $187.60 = $1,353.10, not $1,400.
/// Observed: 4 × $0.000001 = $0.000004 (HTTP), 4 × $0.0000035 = $0.000014 (REST).
#[test]
fn a_scale_crosses_the_300m_http_and_333m_rest_tiers() {
    let s = Scratch::new();
    september(&s);
    let v = analyze_json(&s, &["sep.jsonl", "--scale", "100000000"]);
    let m = &v["months"][0];
    assert_eq!(m["month"], "2026-09");
    assert_eq!(m["projection"]["factor"], "100000000");
    assert_eq!(m["projection"]["scale"], "100000000");
    assert_eq!(m["http_api"]["billed_units"], 400_000_000u64);
    assert_eq!(usd(&m["http_api"]["cost_usd"]), dec("390.00"));
    assert_eq!(usd(&m["rest_api"]["cost_usd"]), dec("1353.10"));
    // The same shape observed and projected, side by side.
    assert_eq!(m["projected"], {
        let mut p = m.clone();
        let o = p.as_object_mut().unwrap();
        for k in ["month", "projection", "observed", "projected"] {
            o.remove(k);
        }
        p
    });
    assert_eq!(m["observed"]["http_api"]["billed_units"], 4);
    assert_eq!(usd(&m["observed"]["http_api"]["cost_usd"]), dec("0.000004"));
    assert_eq!(usd(&m["observed"]["rest_api"]["cost_usd"]), dec("0.000014"));
    assert_eq!(usd(&v["total"]["http_api"]["cost_usd"]), dec("390.00"));
    assert_eq!(
        usd(&v["observed_total"]["rest_api"]["cost_usd"]),
        dec("0.000014")
    );

    // The free tier applies to the projected month: its first 1 M units are free at the first
    // tier's price, $390.00 − $1.00 = $389.00; REST $1,353.10 − $3.50 = $1,349.60.
    let v = analyze_json(&s, &["sep.jsonl", "--scale", "100000000", "--free-tier"]);
    assert_eq!(usd(&v["months"][0]["http_api"]["cost_usd"]), dec("389.00"));
    assert_eq!(usd(&v["months"][0]["rest_api"]["cost_usd"]), dec("1349.60"));
}

/// October has 31 days; the logs cover 1–10 October: ×31/10 = ×3.1, so 10 requests → 31.
/// HTTP 31 × $0.000001 = $0.000031; REST 31 × $0.0000035 = $0.0001085.
/// With --scale 10,000,000 as well: 10 × 10,000,000 × 3.1 = 310 M requests:
/// HTTP 300 M × $1.00/M + 10 M × $0.90/M = $309.00; REST 310 M × $3.50/M = $1,085.00.
#[test]
fn a_month_covered_10_of_31_days_is_projected_to_31() {
    let s = Scratch::new();
    october(&s);
    let v = analyze_json(&s, &["oct.jsonl", "--project-month"]);
    let m = &v["months"][0];
    let p = &m["projection"];
    assert_eq!(p["days_covered"], 10);
    assert_eq!(p["days_in_month"], 31);
    assert_eq!(p["covered_from"], "2026-10-01");
    assert_eq!(p["covered_to"], "2026-10-10");
    assert_eq!(p["factor"], "3.1");
    assert_eq!(m["http_api"]["requests"], 31);
    assert_eq!(m["http_api"]["billed_units"], 31);
    assert_eq!(usd(&m["http_api"]["cost_usd"]), dec("0.000031"));
    assert_eq!(usd(&m["rest_api"]["cost_usd"]), dec("0.0001085"));
    assert_eq!(m["observed"]["http_api"]["requests"], 10);

    let v = analyze_json(&s, &["oct.jsonl", "--project-month", "--scale", "10000000"]);
    let m = &v["months"][0];
    assert_eq!(m["projection"]["factor"], "31000000");
    assert_eq!(m["http_api"]["billed_units"], 310_000_000u64);
    assert_eq!(usd(&m["http_api"]["cost_usd"]), dec("309.00"));
    assert_eq!(usd(&m["rest_api"]["cost_usd"]), dec("1085.00"));

    // The table says what was scaled and by how much, and shows the observed columns.
    let t = s
        .run(&["analyze", "oct.jsonl", "--project-month"])
        .success()
        .stdout_has("Projected 2026-10: ×3.1 (31 days ÷ 10 covered, 2026-10-01..2026-10-10 from the events)")
        .stdout_has("Observed units")
        .stdout;
    assert!(t.contains("Note: Projected:"), "{t}");
}

/// `--window` gives the days the logs cover: the whole month is ×1; 1–20 October is ×31/20 =
/// ×1.55, and 10 × 1.55 = 15.5 rounds half to even → 16.
#[test]
fn a_window_replaces_the_event_span() {
    let s = Scratch::new();
    october(&s);
    let v = analyze_json(
        &s,
        &[
            "oct.jsonl",
            "--project-month",
            "--window",
            "2026-10-01..2026-10-31",
        ],
    );
    assert_eq!(v["months"][0]["projection"]["factor"], "1");
    assert_eq!(v["months"][0]["http_api"]["requests"], 10);
    let v = analyze_json(
        &s,
        &[
            "oct.jsonl",
            "--project-month",
            "--window",
            "2026-10-01..2026-10-20",
        ],
    );
    assert_eq!(v["months"][0]["projection"]["factor"], "1.55");
    assert_eq!(v["months"][0]["projection"]["coverage_from"], "window");
    assert_eq!(v["months"][0]["http_api"]["requests"], 16);
    s.run(&[
        "analyze",
        "oct.jsonl",
        "--project-month",
        "--window",
        "2026-11-01..2026-11-30",
    ])
    .status(2)
    .stderr_has("does not cover 2026-10");
    s.run(&[
        "analyze",
        "oct.jsonl",
        "--project-month",
        "--window",
        "2026-10-01",
    ])
    .status(2)
    .stderr_has("expected START..END");
    s.run(&["analyze", "oct.jsonl", "--window", "2026-10-01..2026-10-20"])
        .status(2)
        .stderr_has("--project-month");
}

#[test]
fn a_scale_must_be_positive() {
    let s = Scratch::new();
    october(&s);
    s.run(&["analyze", "oct.jsonl", "--scale", "0"])
        .status(2)
        .stderr_has("--scale must be a decimal greater than 0");
    s.run(&["analyze", "oct.jsonl", "--scale", "lots"])
        .status(2);
}

/// Without a projection nothing is added to the JSON contract.
#[test]
fn no_projection_no_new_fields() {
    let s = Scratch::new();
    october(&s);
    let v = analyze_json(&s, &["oct.jsonl"]);
    for k in ["projection", "observed", "projected"] {
        assert!(v["months"][0].get(k).is_none(), "{k}");
    }
    assert!(v.get("observed_total").is_none());
}

/// CSV and Markdown carry both figures; compare projects the same way as analyze.
#[test]
fn every_format_keeps_the_observed_figures() {
    let s = Scratch::new();
    september(&s);
    let csv = s
        .run(&[
            "analyze",
            "sep.jsonl",
            "--scale",
            "100000000",
            "--format",
            "csv",
        ])
        .success()
        .stdout;
    assert!(csv.starts_with("month,api,requests,billed_units,connections,connection_minutes,bytes,cost_usd,figures\n"), "{csv}");
    assert!(
        csv.contains("2026-09,http_api,400000000,400000000,,,,390.0000000,projected\n"),
        "{csv}"
    );
    assert!(
        csv.contains("2026-09,http_api,4,4,,,,0.000004,observed\n"),
        "{csv}"
    );
    s.run(&[
        "analyze",
        "sep.jsonl",
        "--scale",
        "100000000",
        "--format",
        "markdown",
    ])
    .success()
    .stdout_has("| Observed units |")
    .stdout_has("Projected 2026-09: ×100000000 (--scale 100000000)");

    let v = s
        .run(&[
            "compare",
            "sep.jsonl",
            "--scale",
            "100000000",
            "--format",
            "json",
        ])
        .success()
        .json();
    let m = &v["months"][0];
    assert_eq!(usd(&m["http_api"]["cost_usd"]), dec("390.00"));
    assert_eq!(usd(&m["rest_api"]["cost_usd"]), dec("1353.10"));
    // Savings at scale: $1,353.10 − $390.00 = $963.10.
    assert_eq!(usd(&m["savings_usd"]), dec("963.10"));
    assert_eq!(usd(&m["observed"]["savings_usd"]), dec("0.00001"));
    assert_eq!(m["projected"]["http_api"], m["http_api"]);
    assert_eq!(m["projection"]["factor"], "100000000");
    let csv = s
        .run(&[
            "compare",
            "sep.jsonl",
            "--scale",
            "100000000",
            "--format",
            "csv",
        ])
        .success()
        .stdout;
    // The same shape as analyze's projected CSV: a `figures` column, never a row label.
    assert!(
        csv.lines().next().is_some_and(|h| h.ends_with(",figures")),
        "{csv}"
    );
    assert!(csv.contains("\n2026-09,4,4,0.000004,"), "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.starts_with("2026-09,4,4,0.000004,") && l.ends_with(",observed")),
        "{csv}"
    );
    assert!(!csv.contains("observed,"), "{csv}");
    s.run(&["compare", "sep.jsonl", "--scale", "100000000"])
        .success()
        .stdout_has("2026-09 observed")
        .stdout_has("Total observed");
    s.run(&[
        "report",
        "sep.jsonl",
        "--scale",
        "100000000",
        "-o",
        "r.html",
    ])
    .success();
    let html = std::fs::read_to_string(s.path("r.html")).unwrap();
    assert!(
        html.contains("Projected 2026-09"),
        "the page says what was scaled"
    );
}

/// WebSocket traffic is projected too: one 90-second connection (2 minutes) with 4 messages of
/// 100 B (4 units), ×300,000,000: 1.2 B message units = 1 B × $1.00/M + 200 M × $0.80/M =
/// $1,160.00 (the 1 B message tier), and 600 M connection minutes × $0.25/M = $150.00.
#[test]
fn websocket_messages_and_minutes_are_projected_before_their_tiers() {
    let s = Scratch::new();
    let t0 = OCT_1;
    let mut lines = vec![format!(
        r#"{{"requestId":"c","requestTimeEpoch":{t0},"eventType":"CONNECT","stage":"prod","routeKey":"$connect","status":101,"connectionId":"k1","connectedAt":{t0}}}"#
    )];
    for i in 0..4 {
        lines.push(format!(
            r#"{{"requestId":"m{i}","requestTimeEpoch":{},"eventType":"MESSAGE","stage":"prod","routeKey":"$default","connectionId":"k1","messageLength":100,"connectedAt":{t0}}}"#,
            t0 + 1_000 * (i + 1)
        ));
    }
    lines.push(format!(
        r#"{{"requestId":"d","requestTimeEpoch":{},"eventType":"DISCONNECT","stage":"prod","routeKey":"$disconnect","connectionId":"k1","connectedAt":{t0}}}"#,
        t0 + 90_000
    ));
    s.write("ws.jsonl", (lines.join("\n") + "\n").as_bytes());
    let v = analyze_json(&s, &["ws.jsonl", "--scale", "300000000"]);
    let w = &v["months"][0]["websocket"];
    assert_eq!(w["connections"], 300_000_000u64);
    assert_eq!(w["billed_units"], 1_200_000_000u64);
    assert_eq!(w["connection_minutes"], 600_000_000u64);
    assert_eq!(usd(&w["cost_usd"]), dec("1310.00"));
    let o = &v["months"][0]["observed"]["websocket"];
    assert_eq!(o["billed_units"], 4);
    // 4 × $0.000001 + 2 × $0.00000025.
    assert_eq!(usd(&o["cost_usd"]), dec("0.0000045"));
}
