//! `--log-format`: the stage's own template. Lines whose keys were renamed (and reordered, with
//! keys the template does not name) bill exactly like the same lines under AWS's example keys;
//! a CLF-style positional template likewise; on `analyze`, `compare`, `report` and `convert`.

use serde_json::{Map, Value};

use crate::util::{Scratch, fixture};

/// AWS's example keys → the keys a team chose, with the `$context` variable each holds.
const RENAMED: &[(&str, &str, &str)] = &[
    ("requestId", "rid", "$context.requestId"),
    ("requestTime", "t", "$context.requestTime"),
    ("requestTimeEpoch", "te", "$context.requestTimeEpoch"),
    ("httpMethod", "verb", "$context.httpMethod"),
    ("routeKey", "route", "$context.routeKey"),
    ("status", "code", "$context.status"),
    ("responseLength", "len", "$context.responseLength"),
    ("eventType", "kind", "$context.eventType"),
    ("connectionId", "cid", "$context.connectionId"),
    ("connectedAt", "since", "$context.connectedAt"),
    ("ip", "src", "$context.identity.sourceIp"),
];

fn template() -> String {
    let pairs: Vec<String> = RENAMED
        .iter()
        .map(|(_, k, v)| format!("\"{k}\": \"{v}\""))
        .collect();
    format!("{{ {} }}", pairs.join(", "))
}

/// The plain fixture with every key renamed, keys in reverse order, `status` reused for a
/// field the bill does not read (so the schema's own name must not be trusted) and spaces
/// after `:` and `,`.
fn renamed_lines() -> String {
    let text = std::fs::read_to_string(fixture("aws/plain.jsonl")).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        let rec: Map<String, Value> = serde_json::from_str(line).unwrap();
        let mut parts: Vec<String> = Vec::new();
        for (k, v) in &rec {
            let key = RENAMED
                .iter()
                .find(|(from, _, _)| from == k)
                .map_or(k.as_str(), |(_, to, _)| to);
            parts.push(format!("\"{key}\": {v}"));
        }
        parts.push("\"status\": \"see code\"".to_owned());
        parts.reverse();
        out.push_str(&format!("{{{}}}\n", parts.join(", ")));
    }
    out
}

fn bill(s: &Scratch, cmd: &str, args: &[&str]) -> Value {
    let mut all = vec![cmd];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    s.run(&all).success().json()
}

#[test]
fn renamed_keys_bill_like_the_example_keys() {
    let s = Scratch::new();
    s.write(
        "plain.jsonl",
        &std::fs::read(fixture("aws/plain.jsonl")).unwrap(),
    );
    s.write("renamed.jsonl", renamed_lines().as_bytes());
    let tpl = template();
    s.write("format.json", tpl.as_bytes());
    for (cmd, by) in [("analyze", "--by=route"), ("compare", "--top-routes=5")] {
        let plain = bill(&s, cmd, &["plain.jsonl", by]);
        let inline = bill(&s, cmd, &["renamed.jsonl", by, "--log-format", &tpl]);
        let from_file = bill(
            &s,
            cmd,
            &["renamed.jsonl", by, "--log-format", "@format.json"],
        );
        assert_eq!(inline["months"], plain["months"], "{cmd}");
        assert_eq!(inline["total"], plain["total"], "{cmd}");
        assert_eq!(from_file["total"], plain["total"], "{cmd}");
        assert_eq!(inline["inputs"]["malformed_lines"], 0, "{cmd}");
    }
    // Without the template nothing in the renamed lines has a time: an error, not $0.00.
    s.run(&["analyze", "renamed.jsonl"])
        .status(2)
        .stderr_has("nothing in the input was understood");
    // `report` and `convert` take it too; the converted Parquet bills like the plain lines.
    s.run(&[
        "report",
        "renamed.jsonl",
        "--log-format",
        &tpl,
        "-o",
        "r.html",
    ])
    .success();
    s.run(&[
        "convert",
        "renamed.jsonl",
        "--to",
        "parquet",
        "--log-format",
        "@format.json",
        "out",
    ])
    .success();
    let plain = bill(&s, "analyze", &["plain.jsonl"]);
    let parquet = bill(&s, "analyze", &["out"]);
    assert_eq!(parquet["total"], plain["total"]);
}

#[test]
fn a_positional_template_splits_custom_lines() {
    // `$context.requestTime|…` with the route key holding a space.
    let s = Scratch::new();
    let http = std::fs::read_to_string(fixture(
        "../../sample-logs/api-gateway/http-api-2026-10.json",
    ))
    .unwrap();
    s.write("plain.json", http.as_bytes());
    let mut custom = String::new();
    for line in http.lines() {
        let r: Map<String, Value> = serde_json::from_str(line).unwrap();
        let f = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("-").to_owned();
        custom.push_str(&format!(
            "{} [{}] \"{} {} {}\" {}|{}|{}\n",
            f("ip"),
            f("requestTime"),
            f("httpMethod"),
            f("routeKey"),
            f("protocol"),
            f("status"),
            f("responseLength"),
            f("requestId"),
        ));
    }
    s.write("custom.log", custom.as_bytes());
    let tpl = "$context.identity.sourceIp [$context.requestTime] \"$context.httpMethod \
               $context.routeKey $context.protocol\" $context.status|$context.responseLength|\
               $context.requestId";
    let plain = bill(&s, "analyze", &["plain.json", "--by", "route"]);
    let v = bill(
        &s,
        "analyze",
        &["custom.log", "--by", "route", "--log-format", tpl],
    );
    assert_eq!(v["months"], plain["months"]);
    assert_eq!(v["total"], plain["total"]);
    assert_eq!(v["inputs"]["malformed_lines"], 0);
}

/// An XML template, in the layout of AWS's documented XML example (`<request id="…"> <ip>…</ip>
/// …</request>`, one line per request), bills like the same requests as JSON lines.
#[test]
fn an_xml_template_splits_xml_lines() {
    let s = Scratch::new();
    let http = std::fs::read_to_string(fixture(
        "../../sample-logs/api-gateway/http-api-2026-10.json",
    ))
    .unwrap();
    s.write("plain.json", http.as_bytes());
    let mut xml = String::new();
    for line in http.lines() {
        let r: Map<String, Value> = serde_json::from_str(line).unwrap();
        let f = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("-").to_owned();
        xml.push_str(&format!(
            "<request id=\"{}\"> <ip>{}</ip> <caller>-</caller> <user>-</user> \
             <requestTime>{}</requestTime> <httpMethod>{}</httpMethod> <routeKey>{}</routeKey> \
             <status>{}</status> <protocol>{}</protocol> <responseLength>{}</responseLength> \
             </request>\n",
            f("requestId"),
            f("ip"),
            f("requestTime"),
            f("httpMethod"),
            f("routeKey"),
            f("status"),
            f("protocol"),
            f("responseLength"),
        ));
    }
    s.write("access.xml.log", xml.as_bytes());
    let tpl = "<request id=\"$context.requestId\"> <ip>$context.identity.sourceIp</ip> \
               <caller>$context.identity.caller</caller> <user>$context.identity.user</user> \
               <requestTime>$context.requestTime</requestTime> \
               <httpMethod>$context.httpMethod</httpMethod> <routeKey>$context.routeKey</routeKey> \
               <status>$context.status</status> <protocol>$context.protocol</protocol> \
               <responseLength>$context.responseLength</responseLength> </request>";
    s.write("format.xml", tpl.as_bytes());
    let plain = bill(&s, "analyze", &["plain.json", "--by", "route"]);
    let v = bill(
        &s,
        "analyze",
        &[
            "access.xml.log",
            "--by",
            "route",
            "--log-format",
            "@format.xml",
        ],
    );
    assert_eq!(v["months"], plain["months"]);
    assert_eq!(v["total"], plain["total"]);
    assert_eq!(v["inputs"]["malformed_lines"], 0);
    assert_eq!(plain["total"]["http_api"]["requests"], 400);
}

#[test]
fn a_template_inside_a_container() {
    // Renamed keys inside a Firehose-style JSON page: the container and the template compose.
    let s = Scratch::new();
    s.write(
        "plain.jsonl",
        &std::fs::read(fixture("aws/plain.jsonl")).unwrap(),
    );
    let events: Vec<Value> = renamed_lines()
        .lines()
        .map(|m| serde_json::json!({"timestamp": 1, "message": m, "ingestionTime": 2}))
        .collect();
    let page = serde_json::to_string_pretty(&serde_json::json!({"events": events})).unwrap();
    s.write("page.json", page.as_bytes());
    let plain = bill(&s, "analyze", &["plain.jsonl"]);
    let v = bill(&s, "analyze", &["page.json", "--log-format", &template()]);
    assert_eq!(v["total"], plain["total"]);
}

#[test]
fn a_template_without_a_time_variable_is_an_error() {
    let s = Scratch::new();
    s.write("a.jsonl", b"{\"rid\":\"x\"}\n");
    s.run(&[
        "analyze",
        "a.jsonl",
        "--log-format",
        r#"{"rid":"$context.requestId","len":"$context.responseLength"}"#,
    ])
    .status(2)
    .stderr_has("no time variable");
    s.run(&["analyze", "a.jsonl", "--log-format", "@missing.json"])
        .status(2)
        .stderr_has("missing.json");
}
