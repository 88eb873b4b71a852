//! `gwcost analyze` options: dates, breakdowns, free tier, metering basis, dedupe, output file.

use crate::util::{Scratch, assert_contract_shape, dec, usd};

fn json(s: &Scratch, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["analyze", "gwcost.jsonl", "--format", "json"];
    args.extend_from_slice(extra);
    let v = s.run(&args).success().json();
    assert_contract_shape(&v);
    v
}

fn scratch() -> Scratch {
    let s = Scratch::new();
    s.copy_fixture("gwcost.jsonl");
    s
}

/// `--since 2025-12-01 --until 2025-12-05` keeps r4, r5, r6 (1 + 1 + 3 HTTP units) and
/// connection c1 on 5 Dec (until is inclusive of its day): 3 messages of 2 + 1 + 1 units and
/// 3 minutes; c3 (6 Dec) and all of November are left out.
#[test]
fn since_and_until_are_inclusive_dates() {
    let s = scratch();
    let v = json(&s, &["--since", "2025-12-01", "--until", "2025-12-05"]);
    let m = v["months"].as_array().unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0]["month"], "2025-12");
    assert_eq!(m[0]["http_api"]["requests"], 3);
    assert_eq!(m[0]["http_api"]["billed_units"], 5);
    assert_eq!(m[0]["websocket"]["connections"], 1);
    assert_eq!(m[0]["websocket"]["messages"], 3);
    assert_eq!(m[0]["websocket"]["billed_units"], 4);
    assert_eq!(m[0]["websocket"]["connection_minutes"], 3);
    // r3 at 23:59:59.999 on 30 Nov is the last instant before --since.
    let v = json(&s, &["--until", "2025-11-30"]);
    assert_eq!(v["total"]["http_api"]["requests"], 3);
    let v = json(&s, &["--since", "2025-12-01"]);
    assert_eq!(v["total"]["http_api"]["requests"], 3);
}

#[test]
fn breakdowns_by_route_stage_and_status() {
    let s = scratch();
    let v = json(&s, &["--by", "route", "--by", "stage,status"]);
    let nov = &v["months"][0];
    let routes: Vec<&str> = nov["by_route"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert_eq!(routes, ["GET /messages", "POST /upload"]);
    // GET /messages in November: r1 (3 units) and r3 (unbilled).
    let get = &nov["by_route"][0];
    assert_eq!(get["http_api"]["requests"], 2);
    assert_eq!(get["http_api"]["billed_units"], 3);
    assert_eq!(usd(&get["http_api"]["cost_usd"]), dec("0.000003"));
    let statuses: Vec<&str> = nov["by_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["200", "201", "401"]);
    // December by stage: dev has r4; prod has r5, r6 and all the WebSocket traffic.
    let dec_stages = v["months"][1]["by_stage"].as_array().unwrap();
    assert_eq!(dec_stages[0]["key"], "dev");
    assert_eq!(dec_stages[0]["http_api"]["billed_units"], 1);
    assert_eq!(dec_stages[1]["key"], "prod");
    assert_eq!(dec_stages[1]["http_api"]["billed_units"], 4);
    assert_eq!(dec_stages[1]["websocket"]["connections"], 2);
    // Without --by there are no breakdowns.
    let v = json(&s, &[]);
    assert!(v["months"][0].get("by_route").is_none());
}

#[test]
fn free_tier_zeroes_a_small_bill() {
    let s = scratch();
    let v = json(&s, &["--free-tier"]);
    assert_eq!(v["free_tier"], true);
    for line in ["http_api", "rest_api", "websocket", "data_transfer_out"] {
        assert_eq!(usd(&v["total"][line]["cost_usd"]), dec("0"), "{line}");
    }
    // The counts do not change.
    assert_eq!(v["total"]["http_api"]["billed_units"], 10);
}

/// `--metering-basis request`: r1 has a 0 B request body → 1 unit (instead of 3); r2's
/// 538,624 B request → 2; r6 keeps its dataProcessed (3). November 1 + 2 = 3, December
/// 1 + 1 + 3 = 5.
#[test]
fn metering_basis_changes_http_units() {
    let s = scratch();
    let v = json(&s, &["--metering-basis", "request"]);
    assert_eq!(v["months"][0]["http_api"]["billed_units"], 3);
    assert_eq!(v["months"][1]["http_api"]["billed_units"], 5);
    // REST units do not depend on size.
    assert_eq!(v["total"]["rest_api"]["billed_units"], 5);
}

#[test]
fn dedupe_drops_repeated_request_ids_and_says_so() {
    let s = scratch();
    // Overlapping inputs that are different files (a rotated copy): the same events twice.
    s.write(
        "copy.jsonl",
        &std::fs::read(s.path("gwcost.jsonl")).unwrap(),
    );
    let twice = s
        .run(&["analyze", "gwcost.jsonl", "copy.jsonl", "--format", "json"])
        .success()
        .json();
    assert_eq!(twice["total"]["http_api"]["requests"], 12);
    let r = s
        .run(&[
            "analyze",
            "gwcost.jsonl",
            "copy.jsonl",
            "--dedupe",
            "--format",
            "json",
        ])
        .success()
        .stderr_has("dropped 13 duplicate events");
    let once = json(&s, &[]);
    assert_eq!(crate::util::bill(&r.json()), crate::util::bill(&once));
}

#[test]
fn output_file_and_formats() {
    let s = scratch();
    let r = s
        .run(&[
            "analyze",
            "gwcost.jsonl",
            "--format",
            "json",
            "-o",
            "bill.json",
        ])
        .success();
    assert!(r.stdout.is_empty());
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.path("bill.json")).unwrap()).unwrap();
    assert_contract_shape(&written);

    let csv = s
        .run(&["analyze", "gwcost.jsonl", "--format", "csv"])
        .success()
        .stdout;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "month,api,requests,billed_units,connections,connection_minutes,bytes,cost_usd"
    );
    // 2 months + total, 4 lines each.
    assert_eq!(lines.len(), 1 + 3 * 4);
    let row = |prefix: &str| -> Vec<String> {
        let line = lines
            .iter()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} row in\n{csv}"));
        line.split(',').map(str::to_owned).collect()
    };
    let http = row("2025-11,http_api,");
    assert_eq!(http[2..7], ["3", "5", "", "", ""]);
    assert_eq!(dec(&http[7]), dec("0.000005"));
    let ws = row("2025-12,websocket,");
    assert_eq!(ws[2..7], ["4", "6", "2", "4", ""]);
    assert_eq!(dec(&ws[7]), dec("0.000007"));
    let total = row("total,rest_api,");
    assert_eq!(dec(&total[7]), dec("0.0000175"));
}
