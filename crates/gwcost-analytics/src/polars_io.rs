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

/// Folds every row of `df`; `line_of(row)` gives the line number reported for a bad row.
fn fold_frame(
    name: &str,
    df: &DataFrame,
    line_of: impl Fn(usize) -> u64,
    tally: &mut Tally<'_>,
) -> Result<(), AnalyticsError> {
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
    let height = df.height();
    tally.add_lines(height as u64);
    for row in 0..height {
        let mut map = Map::new();
        for (col_name, col) in &cols {
            if let Some(v) = col.get(row) {
                map.insert(col_name.clone(), v);
            }
        }
        match event_from_object(map) {
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
    fold_frame(name, &df, |row| row as u64 + 1, tally)
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
        let valid =
            t.first() == Some(&b'{') && serde_json::from_slice::<serde::de::IgnoredAny>(t).is_ok();
        if valid {
            kept.extend_from_slice(t);
            kept.push(b'\n');
            line_numbers.push(line_no);
        } else {
            lines += 1;
            let reason = match crate::jsonl::parse_line(t, false) {
                Some(Err(r)) => r,
                _ => "not JSON".to_owned(),
            };
            tally.malformed(name, line_no, reason);
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
