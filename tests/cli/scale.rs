//! Logs at scale: `gwcost sql`'s DuckDB query over sample-logs/ gives `gwcost analyze`'s bill;
//! `gwcost convert --to parquet` output is billed exactly like the JSON lines it came from; the
//! progress bar never reaches a stderr that is not a terminal.

use std::path::Path;

use gwcost_corpus::{CorpusSpec, generate};
use serde_json::Value;

use crate::util::{Scratch, bill, dec, python, python_peer, usd};

fn sample_logs() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../sample-logs")
        .canonicalize()
        .unwrap()
        .display()
        .to_string()
}

/// Runs a query in DuckDB (Python package); `None` when DuckDB is not installed.
fn duckdb(sql: &str) -> Option<Vec<serde_json::Map<String, Value>>> {
    const SCRIPT: &str = r#"
import duckdb, json, sys
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
cur = con.execute(sys.stdin.read())
names = [d[0] for d in cur.description]
print(json.dumps([{n: (None if v is None else str(v)) for n, v in zip(names, row)} for row in cur.fetchall()]))
"#;
    // .ci/run installs DuckDB: under CI its absence is a failure, not a skip.
    if !python_peer("import duckdb", "duckdb (python3 -m pip install duckdb)") {
        return None;
    }
    let rows: Value = serde_json::from_str(&python(SCRIPT, sql, &[])).unwrap();
    Some(
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_object().unwrap().clone())
            .collect(),
    )
}

fn int(row: &serde_json::Map<String, Value>, k: &str) -> u64 {
    row[k].as_str().unwrap_or("0").parse().unwrap()
}

#[test]
fn sql_duckdb_dialect_equals_analyze_on_sample_logs() {
    let s = Scratch::new();
    let logs = sample_logs();
    for free_tier in [false, true] {
        let mut sql_args = vec![
            "sql".to_owned(),
            "--dialect".to_owned(),
            "duckdb".to_owned(),
            "--json-glob".to_owned(),
            format!("{logs}/**/*.json*"),
        ];
        let mut analyze_args = vec![
            "analyze".to_owned(),
            logs.clone(),
            "--format".to_owned(),
            "json".to_owned(),
            "--quiet".to_owned(),
        ];
        if free_tier {
            sql_args.push("--free-tier".to_owned());
            analyze_args.push("--free-tier".to_owned());
        }
        let sql_args: Vec<&str> = sql_args.iter().map(String::as_str).collect();
        let query = s.run(&sql_args).success().stdout;
        assert!(query.contains("read_json("), "{query}");
        let Some(rows) = duckdb(&query) else { return };
        let analyze_args: Vec<&str> = analyze_args.iter().map(String::as_str).collect();
        let v = s.run(&analyze_args).success().json();
        let months = v["months"].as_array().unwrap();
        assert_eq!(rows.len(), months.len(), "one row per month");
        assert!(months.len() >= 2, "the sample spans two months");
        for (row, m) in rows.iter().zip(months) {
            assert_eq!(row["month"].as_str().unwrap(), m["month"].as_str().unwrap());
            assert_eq!(
                int(row, "requests"),
                m["http_api"]["requests"].as_u64().unwrap()
            );
            assert_eq!(
                int(row, "http_units"),
                m["http_api"]["billed_units"].as_u64().unwrap()
            );
            assert_eq!(
                int(row, "rest_units"),
                m["rest_api"]["billed_units"].as_u64().unwrap()
            );
            let ws = &m["websocket"];
            assert_eq!(
                int(row, "ws_connections"),
                ws["connections"].as_u64().unwrap()
            );
            assert_eq!(int(row, "ws_messages"), ws["messages"].as_u64().unwrap());
            assert_eq!(
                int(row, "ws_message_units"),
                ws["billed_units"].as_u64().unwrap()
            );
            assert_eq!(
                int(row, "ws_connection_minutes"),
                ws["connection_minutes"].as_u64().unwrap()
            );
            let cost = |k: &str| dec(row[k].as_str().unwrap());
            assert_eq!(cost("http_cost_usd"), usd(&m["http_api"]["cost_usd"]));
            assert_eq!(cost("rest_cost_usd"), usd(&m["rest_api"]["cost_usd"]));
            assert_eq!(cost("ws_cost_usd"), usd(&ws["cost_usd"]));
        }
    }
}

#[test]
fn sql_prints_athena_ddl_and_refuses_mismatched_options() {
    let s = Scratch::new();
    let out = s
        .run(&[
            "sql",
            "--dialect",
            "athena",
            "--table",
            "logs.api_access",
            "--athena-ddl",
            "s3://my-bucket/gwcost/",
        ])
        .success()
        .stdout;
    assert!(out.starts_with("CREATE EXTERNAL TABLE IF NOT EXISTS logs.api_access"));
    assert!(out.contains("LOCATION 's3://my-bucket/gwcost/'"));
    assert!(out.contains("FROM logs.api_access"));
    s.run(&["sql", "--dialect", "spark", "--json-glob", "x/*.jsonl"])
        .status(2)
        .stderr_has("--json-glob is for --dialect duckdb");
    s.run(&["sql", "--dialect", "oracle"]).status(2);
}

#[test]
fn converted_parquet_gives_the_same_bill() {
    let s = Scratch::new();
    let mut bytes = Vec::new();
    let stats = generate(
        &CorpusSpec {
            events: 20_000,
            seed: 3,
            malformed_per_million: 2_000,
            ..CorpusSpec::default()
        },
        &mut bytes,
    )
    .unwrap();
    s.write("logs/corpus.jsonl", &bytes);
    s.run(&["convert", "logs", "--to", "parquet", "pq"])
        .success()
        .stderr_has(&format!(
            "({} malformed lines left out)",
            stats.malformed_lines
        ));
    let parts: Vec<_> = std::fs::read_dir(s.path("pq"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(parts.iter().all(|p| p.starts_with("month=")), "{parts:?}");
    assert_eq!(parts.len(), stats.months.len());

    let json = s
        .run(&["analyze", "logs", "--format", "json", "--quiet"])
        .success()
        .json();
    let parquet = s
        .run(&["analyze", "pq", "--format", "json", "--quiet"])
        .success()
        .json();
    assert_eq!(bill(&parquet), bill(&json));
    assert_eq!(
        parquet["inputs"]["lines"].as_u64().unwrap(),
        stats.lines - stats.malformed_lines
    );
    // Converting into a directory that already holds Parquet is refused (rows would double).
    s.run(&["convert", "logs", "--to", "parquet", "pq"])
        .status(2)
        .stderr_has("not empty");
    // An input and an output are both needed.
    s.run(&["convert", "logs", "--to", "parquet"]).status(2);
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    let s = Scratch::new();
    let mut bytes = Vec::new();
    generate(
        &CorpusSpec {
            events: 5_000,
            ..CorpusSpec::default()
        },
        &mut bytes,
    )
    .unwrap();
    s.write("c.jsonl", &bytes);
    let run = s.run(&["analyze", "c.jsonl", "--format", "json"]).success();
    assert_eq!(
        run.stderr, "",
        "stderr is a pipe here: no bar, no escape codes"
    );
}
