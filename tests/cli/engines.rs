//! A generated corpus (with malformed lines) read by every engine and thread count gives the
//! same bill, and that bill matches the generator's own independent metering of what it wrote.

use gwcost_corpus::{CorpusSpec, generate};

use crate::util::{Scratch, assert_contract_shape, bill};

fn spec() -> CorpusSpec {
    CorpusSpec {
        events: 30_000,
        seed: 7,
        malformed_per_million: 3_000,
        ..CorpusSpec::default()
    }
}

#[test]
fn generated_corpus_matches_the_generators_own_metering_on_every_engine() {
    let s = Scratch::new();
    let mut bytes = Vec::new();
    let stats = generate(&spec(), &mut bytes).unwrap();
    assert!(stats.malformed_lines > 0);
    assert!(
        bytes.len() > 2 << 20,
        "big enough to be read in parallel chunks"
    );
    s.write("corpus.jsonl", &bytes);

    // `gwcost generate` with the same settings writes the same bytes.
    s.run(&[
        "generate",
        "--events",
        "30000",
        "--seed",
        "7",
        "--malformed-per-million",
        "3000",
        "-o",
        "cli.jsonl",
    ])
    .success()
    .stderr_has("wrote 30000 events");
    assert!(std::fs::read(s.path("cli.jsonl")).unwrap() == bytes);

    let run = |extra: &[&str]| {
        let mut args = vec!["analyze", "corpus.jsonl", "--format", "json", "--quiet"];
        args.extend_from_slice(extra);
        let v = s.run(&args).success().json();
        assert_contract_shape(&v);
        v
    };
    let fast = run(&["--threads", "2"]);
    assert_eq!(fast["inputs"]["lines"], stats.lines);
    assert_eq!(fast["inputs"]["malformed_lines"], stats.malformed_lines);

    let months = fast["months"].as_array().unwrap();
    assert_eq!(months.len(), stats.months.len());
    let mut connections = 0;
    for (m, expected) in months.iter().zip(&stats.months) {
        assert_eq!(m["month"], expected.month.as_str());
        assert_eq!(
            m["http_api"]["requests"], expected.requests,
            "{}",
            expected.month
        );
        assert_eq!(m["http_api"]["billed_units"], expected.http_units);
        assert_eq!(m["rest_api"]["billed_units"], expected.billable_requests);
        assert_eq!(m["websocket"]["messages"], expected.messages);
        assert_eq!(m["websocket"]["billed_units"], expected.message_units);
        assert_eq!(
            m["websocket"]["connection_minutes"],
            expected.connection_minutes
        );
        connections += expected.connections;
    }
    // The generator counts a connection in the month it opens, gwcost in the month it ends:
    // compare the total.
    assert_eq!(fast["total"]["websocket"]["connections"], connections);

    for extra in [
        vec!["--threads", "1"],
        vec!["--threads", "3"],
        vec!["--engine", "polars"],
        vec!["--dedupe", "--threads", "2"],
    ] {
        let other = run(&extra);
        assert_eq!(bill(&other), bill(&fast), "{extra:?}");
        assert_eq!(other["inputs"], fast["inputs"], "{extra:?}");
    }
}
