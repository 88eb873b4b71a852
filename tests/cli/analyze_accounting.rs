//! Every line accounted for: a shared stage template's `eventType` `-` on an HTTP or REST stage
//! is a request (only a line with no request identity is a refused WebSocket upgrade), and every
//! line read lands in exactly one bucket of `inputs` (billed, not billed with a reason,
//! malformed).

use serde_json::Value;

use crate::util::{Scratch, fixture};

fn analyze(s: &Scratch, args: &[&str]) -> Value {
    let mut all = vec!["analyze", "--format", "json"];
    all.extend_from_slice(args);
    s.run(&all).success().json()
}

/// One template on every stage (a Terraform module's): `$context.eventType` and
/// `$context.connectionId` log `-` on an HTTP or REST stage.
const SHARED: &str = r#"{ "requestId":"$context.requestId", "requestTime":"$context.requestTime", "eventType":"$context.eventType", "httpMethod":"$context.httpMethod", "routeKey":"$context.routeKey", "resourcePath":"$context.resourcePath", "status":"$context.status", "responseLength":"$context.responseLength", "connectionId":"$context.connectionId" }"#;

/// `n` HTTP API lines under the shared template (`resourcePath` is `-` on an HTTP API).
fn http_lines(n: usize, event_type: &str) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{ \"requestId\":\"h{i}\", \"requestTime\":\"01/Oct/2026:00:{:02}:{:02} +0000\", \"eventType\":\"{event_type}\", \"httpMethod\":\"GET\", \"routeKey\":\"GET /items\", \"resourcePath\":\"-\", \"status\":\"200\", \"responseLength\":\"700000\", \"connectionId\":\"-\" }}\n",
                i / 60,
                i % 60
            )
        })
        .collect()
}

/// `n` REST API lines (no route key: `-`; method and resource path), numbers as numbers.
fn rest_lines(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"requestId\":\"r{i}\",\"requestTime\":\"02/Oct/2026:00:00:{:02} +0000\",\"eventType\":\"-\",\"httpMethod\":\"POST\",\"routeKey\":\"-\",\"resourcePath\":\"/orders\",\"status\":201,\"responseLength\":10,\"connectionId\":\"-\"}}\n",
                i % 60
            )
        })
        .collect()
}

/// AWS's WebSocket sample: an upgrade refused before route selection has no identity at all.
const REFUSED: &str = "{ \"requestId\":\"w3\", \"requestTime\":\"10/Oct/2026:00:02:00 +0000\", \"eventType\":\"-\", \"httpMethod\":\"-\", \"routeKey\":\"-\", \"resourcePath\":\"-\", \"status\":\"403\", \"responseLength\":\"-\", \"connectionId\":\"-\" }\n";

#[test]
fn dash_event_type_with_a_route_is_a_request() {
    let s = Scratch::new();
    // The same 100 requests logged with eventType `-` and with no eventType at all.
    s.write("dash.json", http_lines(100, "-").as_bytes());
    s.write(
        "plain.json",
        http_lines(100, "-")
            .replace("\"eventType\":\"-\", ", "")
            .as_bytes(),
    );
    let plain = analyze(&s, &["plain.json"]);
    assert_eq!(plain["total"]["http_api"]["requests"], 100);
    // 700,000 bytes = 2 units of 512 KB each (`billed_units` in the output vocabulary).
    let http = &plain["total"]["http_api"];
    assert_eq!(http["billed_units"].as_u64(), Some(200), "{http}");
    let template = format!("--log-format={SHARED}");
    for engine in ["fast", "polars"] {
        for extra in [None, Some(template.as_str())] {
            let mut args = vec!["dash.json", "--engine", engine];
            args.extend(extra);
            let v = analyze(&s, &args);
            assert_eq!(v["months"], plain["months"], "{engine} {extra:?}");
            assert_eq!(v["total"], plain["total"], "{engine} {extra:?}");
        }
    }
}

#[test]
fn shared_template_on_http_rest_and_websocket_stages() {
    let s = Scratch::new();
    let mixed = format!("{}{}{REFUSED}", http_lines(40, "-"), rest_lines(30));
    s.write("mixed.json", mixed.as_bytes());
    let template = format!("--log-format={SHARED}");
    for args in [
        vec!["mixed.json"],
        vec!["mixed.json", template.as_str()],
        vec!["mixed.json", "--engine", "polars"],
    ] {
        let v = analyze(&s, &args);
        // 40 HTTP API requests and 30 REST requests; the refused upgrade bills nothing.
        assert_eq!(v["total"]["http_api"]["requests"], 70, "{args:?}");
        assert_eq!(v["inputs"]["lines"], 71, "{args:?}");
        assert_eq!(v["inputs"]["malformed_lines"], 0, "{args:?}");
    }
}

/// The fixtures gwcost ships, each read as `analyze` reads it: every file of
/// `tests/fixtures`, every entry of `tests/fixtures/aws` (its containers are directories) and of
/// `sample-logs/*`.
fn shipped() -> Vec<std::path::PathBuf> {
    let root = fixture("");
    let mut out = Vec::new();
    let entries = |dir: &std::path::Path| -> Vec<std::path::PathBuf> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v
    };
    for p in entries(&root) {
        if p.is_file() {
            out.push(p);
        }
    }
    out.extend(entries(&root.join("aws")));
    for d in entries(&root.join("../../sample-logs")) {
        out.extend(entries(&d));
    }
    out
}

/// Checks `billed_lines + sum(not_billed) + malformed_lines == lines` on one JSON `inputs`.
fn assert_adds_up(what: &str, inputs: &Value) {
    let lines = inputs["lines"].as_u64().unwrap();
    let billed = inputs["billed_lines"]
        .as_u64()
        .unwrap_or_else(|| panic!("{what}: no billed_lines in {inputs}"));
    let malformed = inputs["malformed_lines"].as_u64().unwrap();
    let not_billed: u64 = inputs["not_billed"]
        .as_object()
        .unwrap_or_else(|| panic!("{what}: no not_billed in {inputs}"))
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    let by_reason: u64 = inputs["malformed"]
        .as_object()
        .unwrap_or_else(|| panic!("{what}: no malformed in {inputs}"))
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(billed + not_billed + malformed, lines, "{what}: {inputs}");
    assert_eq!(by_reason, malformed, "{what}: {inputs}");
}

#[test]
fn every_line_of_every_shipped_fixture_is_accounted_for() {
    let s = Scratch::new();
    let mut checked = 0;
    for p in shipped() {
        let shown = p.display().to_string();
        let r = s.run(&["analyze", "--format", "json", "--quiet", &shown]);
        // Some fixtures are not access logs at all (CUR exports): those are refused with
        // exit 2 and checked elsewhere.
        if r.code == Some(2) {
            continue;
        }
        let v = r.json();
        assert_adds_up(&shown, &v["inputs"]);
        // With every reason a flag adds (a window, duplicates) and the row-by-row engine.
        let both = s
            .run(&[
                "analyze",
                "--format",
                "json",
                "--quiet",
                "--dedupe",
                "--since",
                "2026-10-05",
                "--engine",
                "polars",
                &shown,
                &shown,
            ])
            .success()
            .json();
        assert_adds_up(&format!("{shown} twice"), &both["inputs"]);
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} fixtures read");
}

#[test]
fn not_billed_lines_are_counted_by_reason_and_said() {
    let s = Scratch::new();
    let lines = format!(
        "{}{REFUSED}{}\n{}",
        http_lines(3, "-"),
        // Rejected by the gateway's authorizer, and throttled: seen, not billed.
        "{\"requestId\":\"x1\",\"requestTime\":\"01/Oct/2026:01:00:00 +0000\",\"routeKey\":\"GET /items\",\"status\":\"403\",\"errorResponseType\":\"UNAUTHORIZED\"}\n{\"requestId\":\"x2\",\"requestTime\":\"01/Oct/2026:01:00:01 +0000\",\"routeKey\":\"GET /items\",\"status\":\"429\",\"errorResponseType\":\"THROTTLED\"}",
        "not json\n"
    );
    s.write("l.json", lines.as_bytes());
    let v = analyze(&s, &["l.json"]);
    let i = &v["inputs"];
    assert_eq!(i["lines"], 7);
    assert_eq!(i["billed_lines"], 3);
    assert_eq!(i["not_billed"]["refused_upgrade"], 1);
    assert_eq!(i["not_billed"]["UNAUTHORIZED"], 1);
    assert_eq!(i["not_billed"]["THROTTLED"], 1);
    assert_eq!(i["malformed_lines"], 1);
    assert_adds_up("l.json", i);
    // The table says it in one line.
    s.run(&["analyze", "l.json"])
        .success()
        .stdout_has("Not billed: 3 of 7 lines");
}
