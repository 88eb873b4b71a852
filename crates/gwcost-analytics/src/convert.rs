//! `gwcost convert --to parquet`: access logs in every format `analyze` reads (JSON lines, CLF,
//! templates, CSV, Parquet, AWS's containers) to schema-v1 Parquet,
//! partitioned by UTC month (`OUT/month=2026-09/part-00000.parquet`, Hive style, so Athena,
//! Spark, DuckDB and `gwcost analyze` all read the directory as one table).
//!
//! Every line or row is read by the reference parser (serde_json into `LogRecord`), so a converted file
//! holds exactly the records `gwcost analyze` would bill; numbers are stored as integers and `-`
//! as null. Lines `analyze` would call malformed are left out and counted. Rows are buffered per
//! month and written every [`ROWS_PER_PART`] rows, so memory stays bounded.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use gwcost_log::LogRecord;
use polars::prelude::*;

use crate::analysis::{MAX_MALFORMED_KEPT, Malformed, Month};
use crate::blocks::{BLOCK_BYTES, BlockReader};
use crate::error::AnalyticsError;
use crate::formats::message::MessageParser;
use crate::formats::template::LogFormat;
use crate::formats::{self, InputFormat, Messages, cloudwatch_export, columns, jsonl, polars_io};
use crate::input::{self, Format, Input};
use crate::{Event, Progress};

/// Rows buffered per month before a part file is written.
pub const ROWS_PER_PART: usize = 200_000;

/// What a conversion wrote and skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConvertSummary {
    pub files_read: u64,
    pub rows_written: u64,
    pub parts_written: u64,
    /// Lines left out because `analyze` would count them malformed.
    pub malformed_lines: u64,
    /// The first [`MAX_MALFORMED_KEPT`] of them.
    pub malformed: Vec<Malformed>,
    /// The part files written, in the order they were written.
    pub parts: Vec<PathBuf>,
}

struct MonthBuffer {
    rows: Vec<LogRecord>,
    next_part: u32,
}

struct Writer<'o> {
    out: &'o Path,
    months: BTreeMap<Month, MonthBuffer>,
    summary: ConvertSummary,
}

fn polars_err(path: &Path, e: &PolarsError) -> AnalyticsError {
    AnalyticsError::Polars {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn to_i64(v: Option<u64>) -> Result<Option<i64>, String> {
    v.map(|n| i64::try_from(n).map_err(|_| format!("{n} does not fit Parquet's INT64")))
        .transpose()
}

/// The schema-v1 columns of a batch of records, in `LogRecord` order.
fn frame(rows: &[LogRecord]) -> PolarsResult<DataFrame> {
    use gwcost_log::Field as F;
    fn text<'r>(
        rows: &'r [LogRecord],
        field: F,
        f: impl Fn(&'r LogRecord) -> Option<&'r str>,
    ) -> Column {
        Column::new(field.name().into(), rows.iter().map(f).collect::<Vec<_>>())
    }
    fn int(rows: &[LogRecord], field: F, f: impl Fn(&LogRecord) -> Option<i64>) -> Column {
        Column::new(field.name().into(), rows.iter().map(f).collect::<Vec<_>>())
    }
    // Checked in `accept`: every u64 here fits an i64.
    let u = |v: Option<u64>| v.and_then(|n| i64::try_from(n).ok());
    DataFrame::new(
        rows.len(),
        vec![
            int(rows, F::Schema, |r| r.schema.map(i64::from)),
            text(rows, F::RequestId, |r| r.request_id.as_deref()),
            int(rows, F::RequestTimeEpoch, |r| r.request_time_epoch),
            text(rows, F::RequestTime, |r| r.request_time.as_deref()),
            text(rows, F::EventType, |r| r.event_type.map(|e| e.as_str())),
            text(rows, F::ApiId, |r| r.api_id.as_deref()),
            text(rows, F::Stage, |r| r.stage.as_deref()),
            text(rows, F::RouteKey, |r| r.route_key.as_deref()),
            text(rows, F::ResourcePath, |r| r.resource_path.as_deref()),
            text(rows, F::HttpMethod, |r| r.http_method.as_deref()),
            text(rows, F::Path, |r| r.path.as_deref()),
            text(rows, F::Protocol, |r| r.protocol.as_deref()),
            int(rows, F::Status, |r| r.status.map(i64::from)),
            int(rows, F::RequestLength, |r| u(r.request_length)),
            int(rows, F::ResponseLength, |r| u(r.response_length)),
            int(rows, F::DataProcessed, |r| u(r.data_processed)),
            int(rows, F::IntegrationLatency, |r| u(r.integration_latency)),
            int(rows, F::ResponseLatency, |r| u(r.response_latency)),
            int(rows, F::IntegrationStatus, |r| {
                r.integration_status.map(i64::from)
            }),
            text(rows, F::ErrorResponseType, |r| {
                r.error_response_type.as_deref()
            }),
            text(rows, F::Ip, |r| r.ip.as_deref()),
            text(rows, F::UserAgent, |r| r.user_agent.as_deref()),
            text(rows, F::ConnectionId, |r| r.connection_id.as_deref()),
            text(rows, F::Direction, |r| {
                r.direction.map(|d| match d {
                    gwcost_log::Direction::In => "in",
                    gwcost_log::Direction::Out => "out",
                })
            }),
            int(rows, F::MessageLength, |r| u(r.message_length)),
            int(rows, F::ConnectedAt, |r| r.connected_at),
            text(rows, F::MessageId, |r| r.message_id.as_deref()),
            int(rows, F::DisconnectStatusCode, |r| {
                r.disconnect_status_code.map(i64::from)
            }),
            text(rows, F::ClientConnectionId, |r| {
                r.client_connection_id.as_deref()
            }),
            int(rows, F::ClientConnectedAt, |r| r.client_connected_at),
        ],
    )
}

impl Writer<'_> {
    fn malformed(&mut self, file: &str, line: u64, reason: String) {
        self.summary.malformed_lines += 1;
        if self.summary.malformed.len() < MAX_MALFORMED_KEPT {
            self.summary.malformed.push(Malformed {
                file: file.to_owned(),
                line,
                reason,
            });
        }
    }

    /// Checks a record as `analyze` would and buffers it under its month.
    fn accept(&mut self, record: LogRecord) -> Result<Result<(), String>, AnalyticsError> {
        for v in [
            record.request_length,
            record.response_length,
            record.data_processed,
            record.integration_latency,
            record.response_latency,
            record.message_length,
        ] {
            if let Err(reason) = to_i64(v) {
                return Ok(Err(reason));
            }
        }
        let time_ms = match Event::from_record(record.clone()) {
            Ok(ev) => ev.time_ms,
            Err(reason) => return Ok(Err(reason)),
        };
        let month = Month::of_epoch_ms(time_ms);
        let buf = self.months.entry(month).or_insert_with(|| MonthBuffer {
            rows: Vec::new(),
            next_part: 0,
        });
        buf.rows.push(record);
        if buf.rows.len() >= ROWS_PER_PART {
            self.flush(month)?;
        }
        Ok(Ok(()))
    }

    fn flush(&mut self, month: Month) -> Result<(), AnalyticsError> {
        let Some(buf) = self.months.get_mut(&month) else {
            return Ok(());
        };
        if buf.rows.is_empty() {
            return Ok(());
        }
        let dir = self.out.join(format!("month={month}"));
        fs::create_dir_all(&dir).map_err(|e| AnalyticsError::io(&dir.display().to_string(), e))?;
        let path = dir.join(format!("part-{:05}.parquet", buf.next_part));
        buf.next_part += 1;
        let rows = std::mem::take(&mut buf.rows);
        let mut df = frame(&rows).map_err(|e| polars_err(&path, &e))?;
        let file = fs::File::create(&path)
            .map_err(|e| AnalyticsError::io(&path.display().to_string(), e))?;
        ParquetWriter::new(file)
            .finish(&mut df)
            .map_err(|e| polars_err(&path, &e))?;
        self.summary.rows_written += rows.len() as u64;
        self.summary.parts_written += 1;
        self.summary.parts.push(path);
        Ok(())
    }
}

/// Converts access-log inputs (any format `analyze` reads, gzipped or not) to month-partitioned Parquet under
/// `out`, which must not exist yet or be empty (a stale part would be billed twice).
pub fn convert_to_parquet(
    inputs: &[Input],
    out: &Path,
    progress: Option<&dyn Progress>,
) -> Result<ConvertSummary, AnalyticsError> {
    convert_to_parquet_with(inputs, out, &ConvertOptions::default(), progress)
}

/// [`convert_to_parquet`] with a stage template or a forced input format.
pub fn convert_to_parquet_with(
    inputs: &[Input],
    out: &Path,
    opts: &ConvertOptions,
    progress: Option<&dyn Progress>,
) -> Result<ConvertSummary, AnalyticsError> {
    let shown = out.display().to_string();
    if out.exists() {
        let mut entries = fs::read_dir(out).map_err(|e| AnalyticsError::io(&shown, e))?;
        if entries.next().is_some() {
            return Err(AnalyticsError::Io {
                path: shown,
                error: io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "output directory is not empty (converting into it could bill rows twice)",
                ),
            });
        }
    }
    fs::create_dir_all(out).map_err(|e| AnalyticsError::io(&shown, e))?;
    let files = input::expand(inputs)?.files;
    if let Some(p) = progress {
        let total = files.iter().try_fold(0u64, |sum, f| Some(sum + f.size()?));
        p.start(total);
    }
    let mut w = Writer {
        out,
        months: BTreeMap::new(),
        summary: ConvertSummary::default(),
    };
    let result = files
        .iter()
        .try_for_each(|file| convert_file(file, &mut w, opts, progress));
    if let Some(p) = progress {
        p.finish();
    }
    result?;
    let months: Vec<Month> = w.months.keys().copied().collect();
    for m in months {
        w.flush(m)?;
    }
    w.summary.files_read = files.len() as u64;
    Ok(w.summary)
}

/// How `convert` reads its inputs (the same choices as `analyze`'s).
#[derive(Debug, Clone, Default)]
pub struct ConvertOptions {
    /// The stage's access-log template (`--log-format`).
    pub log_format: Option<std::sync::Arc<LogFormat>>,
    /// Read every input as this format (`--input-format`).
    pub input_format: Option<InputFormat>,
}

/// Hands a container's messages to the writer as records.
struct RecordSink<'a, 'o, 'f> {
    name: &'a str,
    parser: MessageParser<'f>,
    w: &'a mut Writer<'o>,
    error: Option<AnalyticsError>,
}

impl formats::Sink for RecordSink<'_, '_, '_> {
    fn lines(&mut self, reader: &mut dyn Read, export: bool) -> Result<(), AnalyticsError> {
        let name = self.name;
        let io_err = |e: io::Error| AnalyticsError::io(name, e);
        let mut blocks = BlockReader::new(reader, BLOCK_BYTES);
        let mut buf = Vec::new();
        loop {
            let block = blocks.next_block(&mut buf).map_err(io_err)?;
            for line in blocks.overlong.drain(..) {
                self.w
                    .malformed(name, line, crate::blocks::overlong_reason());
            }
            let Some((len, first)) = block else {
                return Ok(());
            };
            for (this, line) in (first..).zip(buf[..len].split(|b| *b == b'\n')) {
                let Some(t) = jsonl::content(line) else {
                    continue;
                };
                let (fallback, msg) = match export {
                    true => cloudwatch_export::split(t).map_or((None, t), |(ms, m)| (Some(ms), m)),
                    false => (None, t),
                };
                let record = match self.parser.record(msg, fallback) {
                    Ok(r) => r,
                    Err(reason) => {
                        self.w.malformed(name, this, reason);
                        continue;
                    }
                };
                if let Err(reason) = self.w.accept(record)? {
                    self.w.malformed(name, this, reason);
                }
            }
        }
    }

    fn csv(&mut self, reader: &mut dyn Read) -> Result<(), AnalyticsError> {
        let mut error = None;
        columns::csv_rows(reader, &mut |line, row| self.row(line, row, &mut error));
        error.map_or(Ok(()), Err)
    }

    fn parquet(&mut self, reader: &mut dyn Read) -> Result<(), AnalyticsError> {
        let mut data = Vec::new();
        reader
            .read_to_end(&mut data)
            .map_err(|e| AnalyticsError::io(self.name, e))?;
        let name = self.name;
        let mut error = None;
        polars_io::parquet_objects(name, data, &mut |line, row| {
            self.row(line, Ok(row), &mut error);
        })?;
        error.map_or(Ok(()), Err)
    }
}

impl RecordSink<'_, '_, '_> {
    /// A CSV or Parquet row (the object of its columns), read like `analyze` reads it
    /// (`columns::record_from_object`), then checked and written like a line. The first write
    /// error stops the file (`error`).
    fn row(
        &mut self,
        line: u64,
        row: Result<serde_json::Map<String, serde_json::Value>, String>,
        error: &mut Option<AnalyticsError>,
    ) {
        if error.is_some() {
            return;
        }
        match row.and_then(columns::record_from_object) {
            Ok(record) => match self.w.accept(record) {
                Ok(Ok(())) => {}
                Ok(Err(reason)) => self.w.malformed(self.name, line, reason),
                Err(e) => *error = Some(e),
            },
            Err(reason) => self.w.malformed(self.name, line, reason),
        }
    }
}

impl Messages for RecordSink<'_, '_, '_> {
    fn message(&mut self, line: u64, msg: &[u8], fallback_ms: Option<i64>) {
        if self.error.is_some() {
            return;
        }
        match self.parser.record(msg, fallback_ms) {
            Ok(r) => match self.w.accept(r) {
                Ok(Ok(())) => {}
                Ok(Err(reason)) => self.w.malformed(self.name, line, reason),
                Err(e) => self.error = Some(e),
            },
            Err(reason) => self.w.malformed(self.name, line, reason),
        }
    }
    fn malformed(&mut self, line: u64, reason: String) {
        self.w.malformed(self.name, line, reason);
    }
}

fn convert_file(
    file: &input::SourceFile,
    w: &mut Writer<'_>,
    opts: &ConvertOptions,
    progress: Option<&dyn Progress>,
) -> Result<(), AnalyticsError> {
    let io_err = |e: io::Error| AnalyticsError::io(&file.name, e);
    let (mut decoded, _gz) = input::open_decoded(file, progress)?;
    let prefix = input::read_prefix(&mut decoded, input::SNIFF_BYTES).map_err(io_err)?;
    let format = input::choose(file, opts.input_format, opts.log_format.is_some(), &prefix);
    let mut reader = io::Cursor::new(prefix).chain(decoded);
    let parser = MessageParser {
        template: opts.log_format.as_deref(),
        clf: !matches!(
            file.format_by_name(),
            Some(Format::JsonLines { clf: false })
        ),
        reference: true,
    };
    let mut sink = RecordSink {
        name: &file.name,
        parser,
        w,
        error: None,
    };
    formats::read(&file.name, format, &mut reader, &mut sink)?;
    sink.error.map_or(Ok(()), Err)
}
