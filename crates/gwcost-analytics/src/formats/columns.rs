//! Column-oriented inputs (CSV, and rows of a polars DataFrame) to log records: a row becomes a
//! JSON object keyed by the schema's column names and goes through the same lenient
//! deserializer as a JSON line, so every format reads numbers, `-` and empties the same way.

use gwcost_log::{KNOWN_FIELDS, LogRecord};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::blocks::{MAX_LINE_BYTES, overlong_reason};
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
/// A record (a row, which quoted newlines may spread over lines) longer than [`MAX_LINE_BYTES`]
/// is malformed and never held.
pub(crate) fn csv_rows(
    data: impl std::io::Read,
    row: &mut dyn FnMut(u64, Result<Map<String, Value>, String>),
) -> u64 {
    csv_rows_capped(data, MAX_LINE_BYTES, row)
}

fn csv_rows_capped(
    data: impl std::io::Read,
    max_record: usize,
    row: &mut dyn FnMut(u64, Result<Map<String, Value>, String>),
) -> u64 {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(RecordCap::new(data, max_record));
    let mut header: Option<Vec<String>> = None;
    let mut lines = 0;
    let mut record = csv::StringRecord::new();
    loop {
        let line_no = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => {
                // Overlong records after the last row.
                lines += report_overlong(reader.get_mut(), u64::MAX, row);
                break;
            }
            Ok(true) => {}
            Err(e) => {
                lines += 1;
                let line = reader.get_mut().starts.pop_front().unwrap_or(line_no);
                row(line, Err(format!("bad CSV: {e}")));
                // A broken UTF-8 field does not stop the reader; other errors might.
                if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    continue;
                }
                break;
            }
        }
        // The record's own first line: csv's position is where blank lines before it began.
        let line_no = reader.get_mut().starts.pop_front().unwrap_or(line_no);
        lines += report_overlong(reader.get_mut(), line_no, row);
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

/// Reports, in line order, the overlong records [`RecordCap`] skipped before line `before`;
/// returns how many (each is a line read).
fn report_overlong<R>(
    cap: &mut RecordCap<R>,
    before: u64,
    row: &mut dyn FnMut(u64, Result<Map<String, Value>, String>),
) -> u64 {
    let n = cap.overlong.iter().take_while(|&&l| l < before).count();
    for line in cap.overlong.drain(..n) {
        row(line, Err(overlong_reason()));
    }
    n as u64
}

/// Where a CSV scanner stands inside a record, as the `csv` crate reads one: a quote opens a
/// quoted field only at a field's start, `""` inside one is a quote, and a newline ends the
/// record only outside quotes.
#[derive(Clone, Copy, PartialEq)]
enum CsvState {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// A reader between the input and the `csv` parser that never lets a record over `max` bytes
/// through, so the parser (which holds a record whole) never holds one: each record is kept
/// here until it ends (at most `max` bytes); one that grows past `max` is dropped as it streams
/// by, its newlines (quoted ones too) passed on as blank lines so the parser's line numbers stay
/// the file's, and its first line noted in `overlong`.
struct RecordCap<R> {
    inner: R,
    /// Bytes scanned and not yet handed on: `buf[out..ready]` are whole records (or blank lines)
    /// ready to hand on, `buf[ready..]` the current record so far.
    buf: Vec<u8>,
    out: usize,
    ready: usize,
    state: CsvState,
    /// The line the current record starts on, and the line being scanned.
    record_line: u64,
    line: u64,
    /// The current record is over `max`: its bytes are dropped until it ends.
    skipping: bool,
    max: usize,
    eof: bool,
    /// First lines of the records dropped, not yet reported.
    overlong: Vec<u64>,
    /// The buffer the input is read into.
    chunk: Vec<u8>,
    /// The current record has a byte other than its terminator (the parser skips empty lines).
    content: bool,
    /// First lines of the records handed on, not yet taken by the caller.
    starts: std::collections::VecDeque<u64>,
}

impl<R: std::io::Read> RecordCap<R> {
    fn new(inner: R, max: usize) -> Self {
        Self {
            inner,
            buf: Vec::new(),
            out: 0,
            ready: 0,
            state: CsvState::FieldStart,
            record_line: 1,
            line: 1,
            skipping: false,
            max,
            eof: false,
            overlong: Vec::new(),
            chunk: vec![0; 64 << 10],
            content: false,
            starts: std::collections::VecDeque::new(),
        }
    }

    /// Scans `chunk` into `buf`, record by record.
    fn scan(&mut self, chunk: &[u8]) {
        for &b in chunk {
            let newline = b == b'\n';
            let ends = match (self.state, b) {
                (CsvState::Quoted, b'"') => {
                    self.state = CsvState::QuoteInQuoted;
                    false
                }
                (CsvState::Quoted, _) => false,
                (CsvState::FieldStart, b'"') | (CsvState::QuoteInQuoted, b'"') => {
                    self.state = CsvState::Quoted;
                    false
                }
                (_, b',') => {
                    self.state = CsvState::FieldStart;
                    false
                }
                (_, b'\n' | b'\r') => {
                    self.state = CsvState::FieldStart;
                    true
                }
                _ => {
                    self.state = CsvState::Unquoted;
                    false
                }
            };
            if self.skipping {
                // Only the newlines of a dropped record go on (as blank lines).
                if newline {
                    self.buf.push(b'\n');
                }
            } else {
                self.buf.push(b);
                if !ends && self.buf.len() - self.ready > self.max {
                    // Too long: drop what is held of it, keeping its newlines.
                    self.skipping = true;
                    self.overlong.push(self.record_line);
                    let held = self.buf.split_off(self.ready);
                    let newlines = held.iter().filter(|&&c| c == b'\n').count();
                    self.buf.extend(std::iter::repeat_n(b'\n', newlines));
                }
            }
            if newline {
                self.line += 1;
            }
            if ends {
                if self.content && !self.skipping {
                    self.starts.push_back(self.record_line);
                }
                self.content = false;
                self.skipping = false;
                self.record_line = self.line;
                self.ready = self.buf.len();
            } else {
                self.content = true;
            }
            if !ends && self.skipping {
                // The blank lines of a dropped record are ready as they come.
                self.ready = self.buf.len();
            }
        }
    }
}

impl<R: std::io::Read> std::io::Read for RecordCap<R> {
    fn read(&mut self, dst: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if self.out < self.ready {
                let n = dst.len().min(self.ready - self.out);
                dst[..n].copy_from_slice(&self.buf[self.out..self.out + n]);
                self.out += n;
                return Ok(n);
            }
            // Everything ready was handed on: keep only the current record.
            self.buf.drain(..self.ready);
            self.out = 0;
            self.ready = 0;
            if self.eof {
                if self.skipping || self.buf.is_empty() {
                    return Ok(0);
                }
                // The last record, without a newline.
                self.starts.push_back(self.record_line);
                self.content = false;
                self.ready = self.buf.len();
                continue;
            }
            let mut chunk = std::mem::take(&mut self.chunk);
            let read = self.inner.read(&mut chunk);
            match read {
                Ok(0) => self.eof = true,
                Ok(n) => self.scan(&chunk[..n]),
                Err(_) => {}
            }
            self.chunk = chunk;
            read?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record over the limit, wherever it is and whatever quoting it uses, is named at
    /// its first line, and the other rows come through at their own first lines.
    #[test]
    fn csv_records_over_the_limit_are_named_and_skipped() {
        let big = "x".repeat(40);
        let text = format!(
            "requestId,status\n\"a,b\",200\n\"{big}\",200\nc,\"{big}\n{big}\"\n\"q\"\"\n\",201\n{big}"
        );
        for (max, want) in [
            (30, ["2: 2", "3: L", "4: L", "6: 2", "8: L"]),
            (200, ["2: 2", "3: 2", "4: 2", "6: 2", "8: 1"]),
        ] {
            let mut rows = Vec::new();
            let lines = csv_rows_capped(text.as_bytes(), max, &mut |l, r| {
                rows.push(match r {
                    Ok(m) => format!("{l}: {}", m.len()),
                    Err(e) => format!("{l}: {}", e.replace(&overlong_reason(), "L")),
                });
            });
            assert_eq!(rows, want, "max {max}");
            assert_eq!(lines, 5);
        }
    }
}
