//! Regenerates `sample-logs/` from the deterministic corpus:
//!
//! ```text
//! cargo run -p gwcost-corpus --example make_sample_logs [OUT_DIR]
//! ```
//!
//! The files are laid out the way a user would have them: a sidecar's monthly access logs, the
//! older one plain and the newer one gzipped, and an `api-gateway/` folder exported from a real
//! API Gateway in AWS's documented JSON access-log formats (string values, `-` for empty, CLF
//! `requestTime`). Running it twice gives the same bytes.

use std::error::Error;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use gwcost_corpus::api_gateway::{http_api_json_line, websocket_json_line};
use gwcost_corpus::{CorpusSpec, generate};
use gwcost_log::{EventType, LogRecord, epoch_ms_of_date, utc_month};

fn main() -> Result<(), Box<dyn Error>> {
    let out_dir = std::env::args_os().nth(1).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-logs"),
        PathBuf::from,
    );
    let sidecar = out_dir.join("sidecar");
    let gateway = out_dir.join("api-gateway");
    fs::create_dir_all(&sidecar)?;
    fs::create_dir_all(&gateway)?;

    // The sidecar's own log, split at the month boundary like a monthly rotation.
    let spec = CorpusSpec::sample();
    let mut all = Vec::new();
    let stats = generate(&spec, &mut all)?;
    let (mut september, mut october) = (Vec::new(), Vec::new());
    for line in all.split_inclusive(|&b| b == b'\n') {
        let rec = LogRecord::from_json(line)?;
        let month = utc_month(
            rec.request_time_epoch
                .ok_or("generated line without time")?,
        );
        if month == (2026, 9) {
            september.extend_from_slice(line);
        } else {
            october.extend_from_slice(line);
        }
    }
    fs::write(sidecar.join("access-2026-09.jsonl"), &september)?;
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&october)?;
    fs::write(sidecar.join("access-2026-10.jsonl.gz"), gz.finish()?)?;

    // A second API behind a real API Gateway (HTTP API), October only, AWS's JSON format.
    let http_spec = CorpusSpec {
        events: 400,
        seed: 7,
        start_ms: epoch_ms_of_date(2026, 10, 1),
        months: 1,
        ws_fraction_percent: 0,
        api_id: "k3l4m5n6o7".to_owned(),
        ..CorpusSpec::default()
    };
    let http_lines = api_gateway_lines(&http_spec, |rec| {
        (rec.event() == EventType::Request).then(|| http_api_json_line(rec))
    })?;
    fs::write(gateway.join("http-api-2026-10.json"), http_lines)?;

    // And its WebSocket API: no message sizes, as in every real WebSocket access log.
    let ws_spec = CorpusSpec {
        events: 300,
        seed: 8,
        start_ms: epoch_ms_of_date(2026, 10, 1),
        months: 1,
        ws_fraction_percent: 100,
        api_id: "p8q9r0s1t2".to_owned(),
        ..CorpusSpec::default()
    };
    let ws_lines = api_gateway_lines(&ws_spec, |rec| {
        (rec.event() != EventType::Request).then(|| websocket_json_line(rec))
    })?;
    fs::write(gateway.join("websocket-2026-10.json"), ws_lines)?;

    eprintln!(
        "wrote {}: sidecar {} events ({} requests, {} connects, {} messages, {} unauthorized, \
         {} responses > 512 KB), months {:?}",
        out_dir.display(),
        stats.events,
        stats.requests,
        stats.connects,
        stats.messages,
        stats.unauthorized,
        stats.responses_over_512k,
        stats
            .months
            .iter()
            .map(|m| m.month.as_str())
            .collect::<Vec<_>>()
    );
    Ok(())
}

fn api_gateway_lines(
    spec: &CorpusSpec,
    format: impl Fn(&LogRecord) -> Option<String>,
) -> Result<String, Box<dyn Error>> {
    let mut raw = Vec::new();
    generate(spec, &mut raw)?;
    let mut text = String::new();
    for line in raw.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if let Some(formatted) = format(&LogRecord::from_json(line)?) {
            text.push_str(&formatted);
            text.push('\n');
        }
    }
    Ok(text)
}
