//! The fast JSON-lines path (scanner + streaming blocks over threads), the serde reference path
//! and polars' NDJSON reader give the same analysis of one generated corpus salted with
//! malformed and unusual lines; Parquet written by `convert_to_parquet` bills the same months.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gwcost_analytics::{
    Analysis, AnalyzeOptions, Breakdowns, Engine, Input, analyze, convert_to_parquet,
};
use gwcost_corpus::{CorpusSpec, generate};
use gwcost_pricing::PriceBook;

/// Lines the fast scanner must hand to the reference path (escapes, non-ASCII, tabs, floats,
/// numbers as strings, CLF times, duplicates, wrong types), each valid or not.
const UNUSUAL: &[&str] = &[
    r#"{"requestTimeEpoch":1790000000000,"stage":"pr\"od","routeKey":"GET /\u00e9","responseLength":"600000"}"#,
    r#"{"requestTimeEpoch":1790000000000,"stage":"prod","userAgent":"Mozilla ☃","requestLength":1024.0}"#,
    "{\"requestTimeEpoch\":1790000000000,\t\"status\":\"200\",\"responseLength\":\" 2048 \"}",
    r#"{"requestTime":"01/Oct/2026:00:43:30 +0000","httpMethod":"GET","resourcePath":"/pets","status":"-","responseLength":"-"}"#,
    r#"{"requestTimeEpoch":1790000000000,"requestTimeEpoch":1790000000001}"#,
    r#"{"requestTimeEpoch":1790000000000,"status":true}"#,
    r#"{"requestTimeEpoch":1790000000000,"eventType":"message","connectionId":"z","messageLength":"40000"}"#,
    r#"{"requestTimeEpoch":1790000000000,"errorResponseType":"UNAUTHORIZED","responseLength":9}"#,
    r#"{"requestTimeEpoch":12345678901234567890}"#,
    r#"{"requestTimeEpoch":1790000000000,"x":{"nested":[1,2,{"a":null}]},"dataProcessed":"700000"}"#,
    r#"not json at all"#,
    r#"{"requestTimeEpoch":1790000000000,"direction":"sideways"}"#,
    "\u{feff}{\"requestTimeEpoch\":1790000000000,\"requestLength\":1}",
];

fn corpus() -> Vec<u8> {
    let spec = CorpusSpec {
        events: 40_000,
        seed: 11,
        malformed_per_million: 2_000,
        ..CorpusSpec::default()
    };
    let mut bytes = Vec::new();
    generate(&spec, &mut bytes).unwrap();
    // Salt the corpus with the unusual lines, spread through it (and across block boundaries).
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let mut out = Vec::with_capacity(bytes.len() + 10_000);
    for (i, line) in lines.iter().enumerate() {
        out.extend_from_slice(line);
        out.push(b'\n');
        if i % 997 == 0 {
            out.extend_from_slice(UNUSUAL[(i / 997) % UNUSUAL.len()].as_bytes());
            out.push(b'\n');
        }
    }
    out
}

fn run(path: &std::path::Path, engine: Engine, threads: usize, breakdowns: Breakdowns) -> Analysis {
    let opts = AnalyzeOptions {
        engine,
        threads: Some(threads),
        breakdowns,
        ..AnalyzeOptions::default()
    };
    analyze(
        &[Input::Path(path.to_owned())],
        &opts,
        &PriceBook::aws_us_east_1(),
    )
    .unwrap()
}

#[test]
fn fast_reference_polars_and_parquet_agree() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corpus.jsonl");
    let data = corpus();
    assert!(data.len() > 9 << 20, "more than one 8 MB block");
    std::fs::write(&path, &data).unwrap();
    let all = Breakdowns {
        route: true,
        stage: true,
        status: true,
    };

    let reference = run(&path, Engine::Reference, 1, all);
    assert!(reference.inputs.malformed_lines > 20);
    for threads in [1, 2, 3] {
        let fast = run(&path, Engine::Fast, threads, all);
        assert_eq!(fast, reference, "fast path on {threads} threads");
    }
    let plain = run(&path, Engine::Fast, 2, Breakdowns::default());
    assert_eq!(plain.months.len(), reference.months.len());
    for (m, mu) in &reference.months {
        assert_eq!(plain.months[m].usage, mu.usage, "{m}");
    }

    let polars = run(&path, Engine::Polars, 2, all);
    assert_eq!(polars.months, reference.months);
    assert_eq!(
        polars.inputs.malformed_lines,
        reference.inputs.malformed_lines
    );
    assert_eq!(polars.inputs.lines, reference.inputs.lines);

    let out = dir.path().join("parquet");
    let summary = convert_to_parquet(&[Input::Path(path.clone())], &out, None).unwrap();
    assert_eq!(summary.malformed_lines, reference.inputs.malformed_lines);
    assert_eq!(
        summary.rows_written,
        reference.inputs.lines - reference.inputs.malformed_lines
    );
    assert!(summary.parts.iter().all(|p| {
        p.parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("month=20")
    }));
    for threads in [1, 2] {
        let pq = run(&out, Engine::Fast, threads, all);
        assert_eq!(pq.months, reference.months, "parquet on {threads} threads");
        assert_eq!(pq.days, reference.days);
        assert_eq!(pq.inputs.malformed_lines, 0);
    }
    // Without breakdowns Parquet takes the columnar fold: the same bill, day by day.
    for threads in [1, 2] {
        let pq = run(&out, Engine::Fast, threads, Breakdowns::default());
        for (m, mu) in &reference.months {
            assert_eq!(pq.months[m].usage, mu.usage, "{m} on {threads} threads");
        }
        assert_eq!(pq.days, reference.days);
        assert_eq!(pq.http_sizes, reference.http_sizes);
        assert_eq!(pq.ws_sizes, reference.ws_sizes);
        assert_eq!(
            pq.inputs.unclosed_connections,
            reference.inputs.unclosed_connections
        );
        assert_eq!(pq.inputs.first_event_ms, reference.inputs.first_event_ms);
        assert_eq!(pq.inputs.last_event_ms, reference.inputs.last_event_ms);
    }
    // A second conversion into the same directory is refused rather than doubling rows.
    assert!(convert_to_parquet(&[Input::Path(path)], &out, None).is_err());
}

/// Parquet parts read side by side on several threads: the same analysis as one thread, and
/// the same first error (by file order) when a part is broken.
#[test]
fn parquet_parts_side_by_side_equal_one_thread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corpus.jsonl");
    let spec = CorpusSpec {
        events: 30_000,
        seed: 5,
        ..CorpusSpec::default()
    };
    let mut bytes = Vec::new();
    generate(&spec, &mut bytes).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    let out = dir.path().join("pq");
    let summary = convert_to_parquet(&[Input::Path(path.clone())], &out, None).unwrap();
    assert!(summary.parts.len() >= 2, "{:?}", summary.parts);
    let json = run(&path, Engine::Reference, 1, Breakdowns::default());
    for breakdowns in [
        Breakdowns::default(),
        Breakdowns {
            route: true,
            stage: true,
            status: true,
        },
    ] {
        let one = run(&out, Engine::Fast, 1, breakdowns);
        for threads in [2, 3] {
            assert_eq!(
                run(&out, Engine::Fast, threads, breakdowns),
                one,
                "{threads} threads"
            );
        }
        for (m, mu) in &json.months {
            assert_eq!(one.months[m].usage, mu.usage, "{m}");
        }
    }
    // Two broken parts: the error names the first in file order, however many threads.
    std::fs::write(out.join("a-broken.parquet"), b"PAR1 not really").unwrap();
    std::fs::write(out.join("z-broken.parquet"), b"PAR1 not either").unwrap();
    for threads in [1, 2, 3] {
        let opts = AnalyzeOptions {
            threads: Some(threads),
            ..AnalyzeOptions::default()
        };
        let err = analyze(
            &[Input::Path(out.clone())],
            &opts,
            &PriceBook::aws_us_east_1(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("a-broken.parquet"), "{threads} threads: {err}");
    }
}
