//! The published JSON Schemas (docs/schema/<command>.json) against real outputs of the binary,
//! validated by Python's `jsonschema` (Draft 2020-12), an implementation independent of gwcost;
//! and a renamed or retyped field is refused, so the schemas can fail.

use serde_json::Value;

use crate::util::{Scratch, python, python_peer};

const VALIDATE: &str = r#"
import json, os, sys
import jsonschema
d = os.environ["SCHEMA_DIR"]
out = []
for line in sys.stdin:
    name, doc = line.rstrip("\n").split("\t", 1)
    with open(os.path.join(d, name + ".json")) as f:
        schema = json.load(f)
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(json.loads(doc)), key=lambda e: list(e.path))
    out.append("ok" if not errors else "invalid: " + "; ".join(
        "/".join(map(str, e.path)) + ": " + e.message for e in errors[:3]))
print("\n".join(out))
"#;

/// `None` when jsonschema is not installed (SKIPPED; under CI a failure).
fn verdicts(docs: &[(&str, &Value)]) -> Option<Vec<String>> {
    if !python_peer("import jsonschema", "Python jsonschema") {
        return None;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema");
    let input: String = docs
        .iter()
        .map(|(name, v)| format!("{name}\t{v}\n"))
        .collect();
    let out = python(
        VALIDATE,
        &input,
        &[("SCHEMA_DIR", dir.display().to_string())],
    );
    Some(out.lines().map(str::to_owned).collect())
}

/// Panics unless `v` is valid against `docs/schema/<name>.json`.
pub fn assert_valid(name: &str, v: &Value) {
    if let Some(out) = verdicts(&[(name, v)]) {
        assert_eq!(out, vec!["ok".to_owned()], "{name}: {v}");
    }
}

/// Panics unless `v` is invalid against `docs/schema/<name>.json`.
pub fn assert_invalid(name: &str, v: &Value) {
    if let Some(out) = verdicts(&[(name, v)]) {
        assert!(out[0].starts_with("invalid"), "{name} accepted: {v}");
    }
}

#[test]
fn every_commands_json_is_valid_against_its_schema() {
    let s = Scratch::new();
    for f in ["gwcost.jsonl", "apigw-http.json", "apigw-websocket.json"] {
        s.copy_fixture(f);
    }
    std::fs::write(
        s.path("book.toml"),
        s.run(&["prices", "--format", "toml"]).success().stdout,
    )
    .unwrap();
    let logs = ["gwcost.jsonl", "apigw-http.json", "apigw-websocket.json"];
    let run = |args: &[&str]| {
        let mut a = args.to_vec();
        a.extend(["--format", "json"]);
        s.run(&a).success().json()
    };
    let mut docs: Vec<(&str, Value)> = Vec::new();
    for extra in [
        &[][..],
        &["--price-book", "book.toml"][..],
        &["--scale", "1000"][..],
    ] {
        let mut a = vec!["analyze"];
        a.extend(logs);
        a.extend(extra);
        docs.push(("analyze", run(&a)));
        let mut c = vec!["compare"];
        c.extend(logs);
        c.extend(extra);
        docs.push(("compare", run(&c)));
    }
    let mut c = vec!["compare", "--rest-cache", "0.5", "--region", "eu-west-2"];
    c.extend(logs);
    docs.push(("compare", run(&c)));
    for q in [
        &[
            "quote",
            "http",
            "--requests",
            "1M",
            "--response-bytes",
            "2KB",
        ][..],
        &["quote", "rest", "--requests", "1M", "--cache", "0.5"][..],
        &[
            "quote",
            "websocket",
            "--messages",
            "1M",
            "--connection-minutes",
            "10",
        ][..],
        &[
            "quote",
            "alb",
            "--requests",
            "100000",
            "--new-connections",
            "100",
        ][..],
    ] {
        docs.push(("quote", run(q)));
    }
    let mut by = vec!["analyze", "--by", "route,stage,status"];
    by.extend(logs);
    docs.push(("analyze", run(&by)));
    by[0] = "compare";
    docs.push(("compare", run(&by)));
    for extra in [
        &[][..],
        &["--region", "eu-west-2"][..],
        &["--price-book", "book.toml"][..],
    ] {
        let mut p = vec!["prices"];
        p.extend(extra);
        docs.push(("prices", run(&p)));
    }
    let refs: Vec<(&str, &Value)> = docs.iter().map(|(n, v)| (*n, v)).collect();
    let Some(out) = verdicts(&refs) else { return };
    assert_eq!(out.len(), docs.len());
    for ((name, v), verdict) in docs.iter().zip(&out) {
        assert_eq!(verdict, "ok", "{name}: {v}");
    }
    // The schemas can fail: an old name, a number for money, a missing provenance field.
    let mut renamed = docs[0].1.clone();
    let t = renamed["total"]["http_api"].as_object_mut().unwrap();
    let units = t.remove("billed_units").unwrap();
    t.insert("billed_requests".into(), units);
    let mut float_money = docs[1].1.clone();
    float_money["total"]["http_api"]["cost_usd"] = serde_json::json!(0.5);
    let mut no_source = docs[9].1.clone();
    no_source["price_book"]
        .as_object_mut()
        .unwrap()
        .remove("source");
    // Every schema refuses a renamed field.
    let rename = |doc: &Value, at: &[&str], from: &str, to: &str| {
        let mut d = doc.clone();
        let mut o = &mut d;
        for k in at {
            o = match k.parse::<usize>() {
                Ok(i) => &mut o[i],
                Err(_) => &mut o[*k],
            };
        }
        let o = o.as_object_mut().unwrap();
        let v = o.remove(from).unwrap();
        o.insert(to.into(), v);
        d
    };
    let compare_renamed = rename(
        &docs[1].1,
        &["total", "http_api"],
        "billed_units",
        "billed_requests",
    );
    let quote_renamed = rename(&docs[9].1, &["lines", "0"], "billed_units", "billed");
    let prices = docs.iter().find(|(n, _)| *n == "prices").unwrap();
    assert_eq!(prices.1["schema_version"], 1);
    let prices_renamed = rename(
        &prices.1,
        &["http_api", "tiers", "0"],
        "price_per_million",
        "price_per_million_usd",
    );
    let mut prices_float = prices.1.clone();
    prices_float["data_transfer_out"]["tiers"][0]["price_per_gb"] = serde_json::json!(0.09);
    let bad = verdicts(&[
        ("analyze", &renamed),
        ("compare", &float_money),
        ("quote", &no_source),
        ("compare", &compare_renamed),
        ("quote", &quote_renamed),
        ("prices", &prices_renamed),
        ("prices", &prices_float),
    ])
    .unwrap();
    assert_eq!(bad.len(), 7);
    assert!(bad.iter().all(|v| v.starts_with("invalid")), "{bad:?}");
}
