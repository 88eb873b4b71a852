//! Column-oriented inputs (CSV, and rows of a polars DataFrame) to log records: a row becomes a
//! JSON object keyed by the schema's column names and goes through the same lenient
//! deserializer as a JSON line, so every format reads numbers, `-` and empties the same way.

use gwcost_log::{KNOWN_FIELDS, LogRecord};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{Event, Tally};

/// AWS's documented REST API CSV access-log layout (no header line):
/// `$context.identity.sourceIp,$context.identity.caller,$context.identity.user,
/// $context.requestTime,$context.httpMethod,$context.resourcePath,$context.protocol,
/// $context.status,$context.responseLength,$context.requestId,$context.extendedRequestId`.
pub(crate) const AWS_REST_CSV_COLUMNS: &[&str] = &[
    "ip",
    "caller",
    "user",
    "requestTime",
    "httpMethod",
    "resourcePath",
    "protocol",
    "status",
    "responseLength",
    "requestId",
    "extendedRequestId",
];

/// Builds a record from (column, value) pairs; the error is why the row is malformed.
pub(crate) fn record_from_object(map: Map<String, Value>) -> Result<LogRecord, String> {
    LogRecord::deserialize(Value::Object(map)).map_err(|e| format!("bad field: {e}"))
}

/// [`record_from_object`], as the event it bills.
pub(crate) fn event_from_object(map: Map<String, Value>) -> Result<Event, String> {
    Event::from_record(record_from_object(map)?)
}

/// Reads CSV: a header row naming schema columns, or headerless AWS REST CSV.
pub(crate) fn read_csv(name: &str, data: impl std::io::Read, tally: &mut Tally<'_>) {
    let lines = csv_rows(
        data,
        &mut |line, row| match row.and_then(event_from_object) {
            Ok(ev) => tally.push(ev),
            Err(reason) => tally.malformed(name, line, reason),
        },
    );
    tally.add_lines(lines);
}

/// Each data row of a CSV (a header row naming schema columns, or headerless AWS REST CSV) as a
/// JSON object keyed by column name, or why the row is malformed, with its line number; returns
/// the data lines seen. `analyze` bills the objects, `convert` writes them.
pub(crate) fn csv_rows(
    data: impl std::io::Read,
    row: &mut dyn FnMut(u64, Result<Map<String, Value>, String>),
) -> u64 {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(data);
    let mut header: Option<Vec<String>> = None;
    let mut lines = 0;
    let mut record = csv::StringRecord::new();
    loop {
        let line_no = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                lines += 1;
                let line = e.position().map_or(line_no, csv::Position::line);
                row(line, Err(format!("bad CSV: {e}")));
                // A broken UTF-8 field does not stop the reader; other errors might.
                if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    continue;
                }
                break;
            }
        }
        let line_no = record.position().map_or(line_no, csv::Position::line);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if header.is_none() {
            let names: Vec<String> = record.iter().map(|f| f.trim().to_owned()).collect();
            if names.iter().any(|n| KNOWN_FIELDS.contains(&n.as_str())) {
                header = Some(names);
                continue;
            }
            header = Some(
                AWS_REST_CSV_COLUMNS
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
            );
        }
        let columns: &[String] = header.as_deref().unwrap_or_default();
        lines += 1;
        if record.len() > columns.len() {
            row(
                line_no,
                Err(format!(
                    "{} fields, the header has {}",
                    record.len(),
                    columns.len()
                )),
            );
            continue;
        }
        let map: Map<String, Value> = columns
            .iter()
            .zip(record.iter())
            .map(|(c, v)| (c.clone(), Value::String(v.to_owned())))
            .collect();
        row(line_no, Ok(map));
    }
    lines
}
