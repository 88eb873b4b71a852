//! The polars readers: Parquet files, and polars' NDJSON parser as an independent second
//! implementation of the JSON-lines path (`--engine polars`), used to cross-check the fast one.
//!
//! Both end in a DataFrame whose rows are turned into JSON objects and read by the same lenient
//! deserializer as every other format, so a column of strings (`"1024"`, `"-"`) reads like a
//! column of integers.

use std::io::Cursor;
use std::sync::Arc;

use polars::prelude::*;
use serde_json::{Map, Value};

use crate::Tally;
use crate::columns::{KNOWN_COLUMNS, event_from_object};
use crate::error::AnalyticsError;
use crate::fastjson::{Builder, Val, field_of, printable_ascii};

fn polars_err(name: &str, e: &PolarsError) -> AnalyticsError {
    AnalyticsError::Polars {
        path: name.to_owned(),
        message: e.to_string(),
    }
}

/// One column, cast to the few types a record needs.
enum Col {
    Int(Int64Chunked),
    Float(Float64Chunked),
    Bool(BooleanChunked),
    Text(StringChunked),
}

impl Col {
    fn from_column(c: &Column) -> PolarsResult<Self> {
        let dt = c.dtype();
        Ok(if dt.is_integer() {
            Self::Int(c.cast(&DataType::Int64)?.i64()?.rechunk().into_owned())
        } else if dt.is_float() {
            Self::Float(c.cast(&DataType::Float64)?.f64()?.rechunk().into_owned())
        } else if dt == &DataType::Boolean {
            Self::Bool(c.bool()?.rechunk().into_owned())
        } else {
            Self::Text(c.cast(&DataType::String)?.str()?.rechunk().into_owned())
        })
    }

    fn get(&self, i: usize) -> Option<Value> {
        match self {
            Self::Int(a) => a.get(i).map(Value::from),
            Self::Float(a) => a.get(i).map(Value::from),
            Self::Bool(a) => a.get(i).map(Value::Bool),
            Self::Text(a) => a.get(i).map(|s| Value::String(s.to_owned())),
        }
    }
}

/// The reference reading of one row: a JSON object of its known columns through `LogRecord`.
fn row_event(cols: &[(String, Col)], row: usize) -> Result<crate::Event, String> {
    let mut map = Map::new();
    for (col_name, col) in cols {
        if let Some(v) = col.get(row) {
            map.insert(col_name.clone(), v);
        }
    }
    event_from_object(map)
}

fn generic_columns(name: &str, df: &DataFrame) -> Result<Vec<(String, Col)>, AnalyticsError> {
    let mut cols = Vec::new();
    for c in df.columns() {
        let col_name = c.name().as_str();
        if KNOWN_COLUMNS.contains(&col_name) {
            cols.push((
                col_name.to_owned(),
                Col::from_column(c).map_err(|e| polars_err(name, &e))?,
            ));
        }
    }
    Ok(cols)
}

/// A schema column as the typed fast path reads it.
enum FastCol {
    Int(Int64Chunked),
    Text(StringChunked),
}

impl FastCol {
    /// The cell as the JSON scanner would see it; `None` for text the scanner leaves to the
    /// reference path (anything but printable ASCII).
    fn val(&self, row: usize) -> Option<Val<'_>> {
        Some(match self {
            Self::Int(a) => a.get(row).map_or(Val::Null, Val::Int),
            Self::Text(a) => match a.get(row) {
                None => Val::Null,
                Some(s) if printable_ascii(s.as_bytes()) => Val::Str(s),
                Some(_) => return None,
            },
        })
    }
}

/// Folds every row of `df` on up to `threads` threads: integer and text columns through the
/// fast path's field rules (no per-row allocation), any row it declines — and every row of a
/// frame with float or boolean schema columns — through the reference path.
fn fold_frame_fast(
    name: &str,
    df: &DataFrame,
    threads: usize,
    tally: &mut Tally<'_>,
) -> Result<(), AnalyticsError> {
    let mut cols = Vec::new();
    for c in df.columns() {
        let Some(field) = field_of(c.name().as_str().as_bytes()) else {
            continue;
        };
        let dt = c.dtype();
        let col = if dt.is_integer() {
            FastCol::Int(
                c.cast(&DataType::Int64)
                    .and_then(|c| Ok(c.i64()?.rechunk().into_owned()))
                    .map_err(|e| polars_err(name, &e))?,
            )
        } else if dt == &DataType::String {
            FastCol::Text(
                c.str()
                    .map(|a| a.rechunk().into_owned())
                    .map_err(|e| polars_err(name, &e))?,
            )
        } else {
            return fold_frame(name, df, |row| row as u64 + 1, tally);
        };
        cols.push((field, col));
    }
    let height = df.height();
    tally.add_lines(height as u64);
    let generic = std::sync::OnceLock::new();
    let fold_rows = |rows: std::ops::Range<usize>, t: &mut Tally<'_>| {
        for row in rows {
            let mut b = Builder::new();
            let fast = cols
                .iter()
                .try_for_each(|(f, col)| b.set(*f, col.val(row)?))
                .and_then(|()| b.finish());
            match fast {
                Some(ev) => t.push_ref(&ev),
                None => {
                    let generic = generic.get_or_init(|| generic_columns(name, df));
                    match generic {
                        Ok(g) => match row_event(g, row) {
                            Ok(ev) => t.push(ev),
                            Err(reason) => t.malformed(name, row as u64 + 1, reason),
                        },
                        Err(e) => t.malformed(name, row as u64 + 1, e.to_string()),
                    }
                }
            }
        }
    };
    let threads = threads.clamp(1, height.div_ceil(100_000).max(1));
    if threads == 1 || tally.dedupes() {
        fold_rows(0..height, tally);
        return Ok(());
    }
    let per = height.div_ceil(threads);
    let parts: Vec<Tally<'_>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let mut local = tally.empty_like();
                let fold_rows = &fold_rows;
                s.spawn(move || {
                    fold_rows(i * per..((i + 1) * per).min(height), &mut local);
                    local
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    tally.merge_unordered(parts);
    Ok(())
}

/// Reads a Parquet file from disk, only the schema's columns, folding it row group by row group
/// batch so memory stays near one batch.
pub(crate) fn read_parquet_file(
    name: &str,
    path: &std::path::Path,
    threads: usize,
    tally: &mut Tally<'_>,
) -> Result<(), AnalyticsError> {
    let file = std::fs::File::open(path).map_err(|e| AnalyticsError::io(name, e))?;
    tally.add_bytes(file.metadata().map_or(0, |m| m.len()));
    let mut reader = ParquetReader::new(file);
    let schema = reader.schema().map_err(|e| polars_err(name, &e))?;
    // Text columns no rule reads (any string is valid there) are not even decoded: they are
    // the widest ones (user agents, IPs, ids), and skipping them is most of Parquet's speed.
    // So are the route and stage columns when no breakdown by them was asked for.
    const TEXT_UNREAD: [&str; 6] = ["apiId", "path", "protocol", "ip", "userAgent", "messageId"];
    let b = tally.breakdowns();
    let unread = |n: &str| {
        TEXT_UNREAD.contains(&n)
            || (!b.stage && n == "stage")
            || (!b.route && matches!(n, "routeKey" | "resourcePath" | "httpMethod"))
    };
    let wanted: Vec<String> = schema
        .iter()
        .filter(|(n, f)| {
            KNOWN_COLUMNS.contains(&n.as_str())
                && !(unread(n.as_str())
                    && matches!(
                        f.dtype,
                        ArrowDataType::Utf8 | ArrowDataType::LargeUtf8 | ArrowDataType::Utf8View
                    ))
        })
        .map(|(n, _)| n.to_string())
        .collect();
    let df = reader
        .with_columns(Some(wanted))
        .finish()
        .map_err(|e| polars_err(name, &e))?;
    fold_frame_fast(name, &df, threads, tally)
}

/// Folds every row of `df`; `line_of(row)` gives the line number reported for a bad row.
fn fold_frame(
    name: &str,
    df: &DataFrame,
    line_of: impl Fn(usize) -> u64,
    tally: &mut Tally<'_>,
) -> Result<(), AnalyticsError> {
    let cols = generic_columns(name, df)?;
    let height = df.height();
    tally.add_lines(height as u64);
    for row in 0..height {
        match row_event(&cols, row) {
            Ok(ev) => tally.push(ev),
            Err(reason) => tally.malformed(name, line_of(row), reason),
        }
    }
    Ok(())
}

/// Reads a Parquet file whose columns carry schema-v1 names. Bad rows are reported by row
/// number (1-based).
pub(crate) fn read_parquet(
    name: &str,
    data: Vec<u8>,
    tally: &mut Tally<'_>,
) -> Result<(), AnalyticsError> {
    let df = ParquetReader::new(Cursor::new(data))
        .finish()
        .map_err(|e| polars_err(name, &e))?;
    fold_frame_fast(name, &df, 1, tally)
}

/// Reads JSON lines with polars' NDJSON parser. Lines that are not JSON objects would stop
/// polars, so they are reported first (with their line numbers) and left out; every schema
/// column is read as text and converted by the lenient deserializer.
pub(crate) fn read_ndjson(
    name: &str,
    data: &[u8],
    tally: &mut Tally<'_>,
) -> Result<(), AnalyticsError> {
    let mut kept = Vec::with_capacity(data.len());
    let mut line_numbers = Vec::new();
    let mut lines = 0;
    for (i, line) in data.split(|b| *b == b'\n').enumerate() {
        let t = line.trim_ascii();
        let t = t.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(t);
        if t.is_empty() {
            continue;
        }
        let line_no = i as u64 + 1;
        // Which lines are malformed is decided by the reference parser (polars would read a
        // `"status": true` as null where `LogRecord` refuses it); polars then reads the values.
        match crate::jsonl::parse_line(t, false) {
            Some(Ok(_)) if t.first() == Some(&b'{') => {
                kept.extend_from_slice(t);
                kept.push(b'\n');
                line_numbers.push(line_no);
            }
            Some(Err(reason)) => {
                lines += 1;
                tally.malformed(name, line_no, reason);
            }
            _ => {
                lines += 1;
                tally.malformed(name, line_no, "not a JSON object".to_owned());
            }
        }
    }
    tally.add_lines(lines);
    if line_numbers.is_empty() {
        return Ok(());
    }
    let schema: Schema = KNOWN_COLUMNS
        .iter()
        .map(|c| Field::new((*c).into(), DataType::String))
        .collect();
    let df = JsonReader::new(Cursor::new(kept))
        .with_json_format(JsonFormat::JsonLines)
        .with_schema(Arc::new(schema))
        .finish()
        .map_err(|e| polars_err(name, &e))?;
    fold_frame(
        name,
        &df,
        |row| line_numbers.get(row).copied().unwrap_or(0),
        tally,
    )
}
