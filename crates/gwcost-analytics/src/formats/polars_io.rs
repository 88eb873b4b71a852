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

use crate::EventRef;
use crate::Tally;
use crate::error::AnalyticsError;
use crate::formats::columns::event_from_object;
use crate::formats::fastjson::{Builder, Val, field_of, printable_ascii, text};
use gwcost_log::Field as LogField;
use gwcost_log::{Direction, EventType, KNOWN_FIELDS};

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

/// One row as a JSON object of its known columns (nulls left out).
fn row_object(cols: &[(String, Col)], row: usize) -> Map<String, Value> {
    let mut map = Map::new();
    for (col_name, col) in cols {
        if let Some(v) = col.get(row) {
            map.insert(col_name.clone(), v);
        }
    }
    map
}

/// The reference reading of one row: a JSON object of its known columns through `LogRecord`.
fn row_event(cols: &[(String, Col)], row: usize) -> Result<crate::Event, String> {
    event_from_object(row_object(cols, row))
}

/// Every row of a Parquet file with schema-v1 column names as the JSON object of its known
/// columns, numbered from 1 (what `convert` writes; `analyze` bills the same rows through
/// [`read_parquet`]).
pub(crate) fn parquet_objects(
    name: &str,
    data: Vec<u8>,
    row: &mut dyn FnMut(u64, Map<String, Value>),
) -> Result<(), AnalyticsError> {
    let df = ParquetReader::new(Cursor::new(data))
        .finish()
        .map_err(|e| polars_err(name, &e))?;
    let cols = generic_columns(name, &df)?;
    for r in 0..df.height() {
        row(r as u64 + 1, row_object(&cols, r));
    }
    Ok(())
}

fn generic_columns(name: &str, df: &DataFrame) -> Result<Vec<(String, Col)>, AnalyticsError> {
    let mut cols = Vec::new();
    for c in df.columns() {
        let col_name = c.name().as_str();
        if KNOWN_FIELDS.contains(&col_name) {
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
        let Some(field) = field_of(c.name().as_str(), None) else {
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
                .and_then(|()| b.finish(None));
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
                let mut local = tally.empty_part();
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
    tally.merge_parts(parts);
    Ok(())
}

type IntArr = <Int64Type as PolarsDataType>::Array;
type StrArr = <StringType as PolarsDataType>::Array;

/// A cell of an integer column (`None` when the column is absent or the cell null).
#[inline]
fn int_at(a: Option<&IntArr>, i: usize) -> Option<i64> {
    let a = a?;
    if a.validity().is_some_and(|v| !v.get_bit(i)) {
        return None;
    }
    a.values().get(i).copied()
}

/// A cell of a text column as the lenient readers see it (trimmed; `""`, `"-"` and null mean
/// absent); `Err` for text that is not printable ASCII, which only the reference path reads.
#[inline]
fn text_at(a: Option<&StrArr>, i: usize) -> Result<Option<&str>, ()> {
    match a.and_then(|a| a.get(i)) {
        None => Ok(None),
        Some(s) if printable_ascii(s.as_bytes()) => Ok(text(s)),
        Some(_) => Err(()),
    }
}

/// The range an integer column must stay in for every row to read as `LogRecord` reads it
/// (`u16` statuses, `u64` lengths, `u32` schema); `None` for any `i64`.
fn int_range(f: LogField) -> Option<Option<(i64, i64)>> {
    Some(match f {
        LogField::RequestTimeEpoch | LogField::ConnectedAt | LogField::ClientConnectedAt => None,
        LogField::Schema => Some((0, i64::from(u32::MAX))),
        LogField::Status | LogField::IntegrationStatus | LogField::DisconnectStatusCode => {
            Some((0, i64::from(u16::MAX)))
        }
        LogField::RequestLength
        | LogField::ResponseLength
        | LogField::DataProcessed
        | LogField::IntegrationLatency
        | LogField::ResponseLatency
        | LogField::MessageLength => Some((0, i64::MAX)),
        _ => return None,
    })
}

/// The last event type, direction and error type cells read (as their 16-byte views) and what they meant:
/// these columns hold a handful of distinct short values, so most cells are one comparison. Only
/// views of 12 bytes or fewer are kept: those hold their whole text, so equal views are equal
/// strings.
#[derive(Default)]
struct SeenText<'a> {
    kind: Option<(u128, EventType)>,
    direction: Option<u128>,
    error: Option<(u128, Option<&'a str>)>,
}

/// True when no valid cell of `ca` is outside `lo..=hi`. The raw values (null slots included,
/// whatever they hold) are checked first in one vectorised pass; only when that fails are the
/// valid cells checked one by one.
fn int_column_within(ca: &Int64Chunked, lo: i64, hi: i64) -> bool {
    let raw = ca.downcast_iter().all(|a| {
        let (min, max) = a
            .values()
            .iter()
            .fold((i64::MAX, i64::MIN), |(mn, mx), &v| (mn.min(v), mx.max(v)));
        a.values().is_empty() || (min >= lo && max <= hi)
    });
    raw || !(ca.min().is_some_and(|m| m < lo) || ca.max().is_some_and(|m| m > hi))
}

/// The columns the bill reads, each one typed array.
#[derive(Default, Clone, Copy)]
struct BillColumns<'a> {
    /// The frame has a route key, method or resource path column: an `eventType` of `-` may
    /// then be a request (see `EventRef::resolved_kind`), which only the row reader decides.
    identity: bool,
    epoch: Option<&'a IntArr>,
    kind: Option<&'a StrArr>,
    status: Option<&'a IntArr>,
    request_len: Option<&'a IntArr>,
    response_len: Option<&'a IntArr>,
    data_processed: Option<&'a IntArr>,
    error_type: Option<&'a StrArr>,
    connection_id: Option<&'a StrArr>,
    request_id: Option<&'a StrArr>,
    direction: Option<&'a StrArr>,
    message_len: Option<&'a IntArr>,
    connected_at: Option<&'a IntArr>,
}

impl<'a> BillColumns<'a> {
    /// Row `i` as the tally reads it without a breakdown (the fields it does not read for
    /// this kind of event are left empty), or `Err` when that needs the reference path (then
    /// the whole frame goes to the row-by-row reader).
    #[inline]
    fn event(&self, i: usize, seen: &mut SeenText<'a>) -> Result<EventRef<'a>, ()> {
        let kind = match self.kind {
            Some(a) if a.get(i).is_some() => {
                let v = a.views().get(i).copied().ok_or(())?;
                let (inline, view) = (v.length <= 12, v.as_u128());
                match seen.kind {
                    Some((last, k)) if last == view => k,
                    _ => {
                        // `-` is a refused upgrade unless the line names a route
                        // (`EventRef::resolved_kind`), which this reader does not read:
                        // such a frame goes to the row-by-row reader.
                        let k = match a.get(i).map(str::trim) {
                            Some("-") if self.identity => return Err(()),
                            Some("-") => EventType::Refused,
                            _ => match text_at(self.kind, i)? {
                                None => EventType::Request,
                                Some(t) => EventType::parse(t).ok_or(())?,
                            },
                        };
                        seen.kind = inline.then_some((view, k));
                        k
                    }
                }
            }
            _ => EventType::Request,
        };
        if let Some(a) = self.direction
            && a.get(i).is_some()
        {
            let v = a.views().get(i).copied().ok_or(())?;
            let (inline, view) = (v.length <= 12, v.as_u128());
            if seen.direction != Some(view) {
                if let Some(d) = text_at(self.direction, i)? {
                    Direction::parse(d).ok_or(())?;
                }
                seen.direction = inline.then_some(view);
            }
        }
        let u = |a: Option<&IntArr>| int_at(a, i).map(|n| n.unsigned_abs());
        let ws = kind != EventType::Request;
        let connection_id = if ws {
            text_at(self.connection_id, i)?
        } else {
            None
        };
        let request_id = if ws && connection_id.is_none() {
            // The connection is then known by its request id: a column this reader may have
            // left unread.
            if self.request_id.is_none() {
                return Err(());
            }
            text_at(self.request_id, i)?
        } else {
            None
        };
        Ok(EventRef {
            time_ms: int_at(self.epoch, i).ok_or(())?,
            kind,
            request_id,
            stage: None,
            route_key: None,
            http_method: None,
            resource_path: None,
            // Only what the tally reads for this kind without a breakdown is read: the status
            // of a CONNECT, the sizes of a request, a message's length, a connection's start.
            // Ranges were checked per column: these fit.
            status: if kind == EventType::Connect {
                int_at(self.status, i).map(|n| n as u16)
            } else {
                None
            },
            request_bytes: if ws {
                0
            } else {
                u(self.request_len).unwrap_or(0)
            },
            response_bytes: if ws {
                0
            } else {
                u(self.response_len).unwrap_or(0)
            },
            data_processed: if ws { None } else { u(self.data_processed) },
            error_response_type: match self.error_type {
                Some(a) if kind == EventType::Request || kind == EventType::Connect => {
                    match a.views().get(i).copied() {
                        // Null, or the same short text as the last one read.
                        _ if a.get(i).is_none() => None,
                        Some(v)
                            if v.length <= 12 && seen.error.is_some_and(|e| e.0 == v.as_u128()) =>
                        {
                            seen.error.and_then(|e| e.1)
                        }
                        Some(v) => {
                            let t = text_at(self.error_type, i)?;
                            seen.error = (v.length <= 12).then_some((v.as_u128(), t));
                            t
                        }
                        None => return Err(()),
                    }
                }
                _ => None,
            },
            connection_id,
            connected_at_ms: if ws {
                int_at(self.connected_at, i)
            } else {
                None
            },
            message_bytes: if kind == EventType::Message {
                u(self.message_len)
            } else {
                None
            },
            // The typed columnar path does not read the client connection columns yet: ALB
            // pricing applies its documented assumption to these requests.
            client_connection_id: None,
            client_connected_at_ms: None,
        })
    }
}

/// The columnar fold of a frame with no breakdown and no `--dedupe`: each column is checked
/// once (types, integer ranges, no missing timestamp), then rows are read straight from the
/// typed arrays on up to `threads` threads. `Ok(false)` when the frame needs the row-by-row
/// reader (anything the fast path would leave to the reference path); the tally is then
/// untouched.
fn fold_frame_columnar(
    name: &str,
    df: &DataFrame,
    threads: usize,
    tally: &mut Tally<'_>,
) -> Result<bool, AnalyticsError> {
    if tally.dedupes() || tally.breakdowns().any() {
        return Ok(false);
    }
    let mut ints = Vec::new();
    let mut strs = Vec::new();
    for c in df.columns() {
        let Some(field) = field_of(c.name().as_str(), None) else {
            continue;
        };
        let dt = c.dtype();
        match int_range(field) {
            Some(range) => {
                if !dt.is_integer() {
                    return Ok(false);
                }
                let ca = c
                    .cast(&DataType::Int64)
                    .and_then(|c| Ok(c.i64()?.rechunk().into_owned()))
                    .map_err(|e| polars_err(name, &e))?;
                if let Some((lo, hi)) = range
                    && !int_column_within(&ca, lo, hi)
                {
                    return Ok(false);
                }
                // A column of nulls reads as no column.
                if ca.null_count() < ca.len() {
                    ints.push((field as u32, ca));
                }
            }
            None => {
                if dt != &DataType::String {
                    return Ok(false);
                }
                let ca = c
                    .str()
                    .map(|a| a.rechunk().into_owned())
                    .map_err(|e| polars_err(name, &e))?;
                if ca.null_count() < ca.len() {
                    strs.push((field as u32, ca));
                }
            }
        }
    }
    let height = df.height();
    let mut cols = BillColumns::default();
    for (f, ca) in &ints {
        let arr = ca.downcast_iter().next();
        match *f {
            x if x == LogField::RequestTimeEpoch as u32 => {
                if ca.null_count() > 0 {
                    return Ok(false);
                }
                cols.epoch = arr;
            }
            x if x == LogField::Status as u32 => cols.status = arr,
            x if x == LogField::RequestLength as u32 => cols.request_len = arr,
            x if x == LogField::ResponseLength as u32 => cols.response_len = arr,
            x if x == LogField::DataProcessed as u32 => cols.data_processed = arr,
            x if x == LogField::MessageLength as u32 => cols.message_len = arr,
            x if x == LogField::ConnectedAt as u32 => cols.connected_at = arr,
            _ => {}
        }
    }
    for (f, ca) in &strs {
        let arr = ca.downcast_iter().next();
        match *f {
            x if x == LogField::EventType as u32 => cols.kind = arr,
            x if x == LogField::ErrorResponseType as u32 => cols.error_type = arr,
            x if x == LogField::ConnectionId as u32 => cols.connection_id = arr,
            x if x == LogField::RequestId as u32 => cols.request_id = arr,
            x if x == LogField::Direction as u32 => cols.direction = arr,
            x if x == LogField::RouteKey as u32
                || x == LogField::HttpMethod as u32
                || x == LogField::ResourcePath as u32 =>
            {
                cols.identity = true;
            }
            // Read only when there is no epoch, which sends the frame to the row reader.
            x if x == LogField::RequestTime as u32 => {}
            // Text no billing rule reads without a breakdown: any string is fine.
            _ => {}
        }
    }
    if height > 0 && cols.epoch.is_none() {
        return Ok(false);
    }
    let fold_rows = |rows: std::ops::Range<usize>, t: &mut Tally<'_>| -> Result<(), ()> {
        let mut seen = SeenText::default();
        for i in rows {
            t.push_ref(&cols.event(i, &mut seen)?);
        }
        Ok(())
    };
    let threads = threads.clamp(1, height.div_ceil(50_000).max(1));
    let per = height.div_ceil(threads).max(1);
    let parts: Vec<Option<Tally<'_>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                let mut local = tally.empty_part();
                let fold_rows = &fold_rows;
                s.spawn(move || {
                    fold_rows(k * per..((k + 1) * per).min(height), &mut local)
                        .ok()
                        .map(|()| local)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let Some(parts) = parts.into_iter().collect::<Option<Vec<_>>>() else {
        return Ok(false);
    };
    tally.add_lines(height as u64);
    tally.merge_parts(parts);
    Ok(true)
}

/// Whether the footer statistics of every row group prove that the signed integer column `col`
/// holds nothing outside `lo..=hi` (nulls aside).
fn stats_prove_within(
    md: &polars::io::parquet::read::FileMetadata,
    col: &str,
    lo: i64,
    hi: i64,
) -> bool {
    use polars_parquet::parquet::statistics::Statistics as S;
    !md.row_groups.is_empty()
        && md.row_groups.iter().all(|rg| {
            let Some(&[idx]) = rg.columns_idxs_under_root_iter(col) else {
                return false;
            };
            let Some(Ok(stats)) = rg
                .parquet_columns()
                .get(idx)
                .and_then(|c| c.statistics(&md.footer_buf))
            else {
                return false;
            };
            let (min, max, nulls) = match &stats {
                S::Int64(s) => (s.min_value, s.max_value, s.null_count),
                S::Int32(s) => (
                    s.min_value.map(i64::from),
                    s.max_value.map(i64::from),
                    s.null_count,
                ),
                _ => return false,
            };
            match (min, max) {
                (Some(min), Some(max)) => min >= lo && max <= hi,
                (None, None) => nulls == i64::try_from(rg.num_rows()).ok(),
                _ => false,
            }
        })
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
    // One thread asked for (as when files are read side by side): decode on this thread too.
    let strategy = if threads == 1 {
        ParallelStrategy::None
    } else {
        ParallelStrategy::Auto
    };
    let mut reader = ParquetReader::new(file).read_parallel(strategy);
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
            KNOWN_FIELDS.contains(&n.as_str())
                && !(unread(n.as_str())
                    && matches!(
                        f.dtype,
                        ArrowDataType::Utf8 | ArrowDataType::LargeUtf8 | ArrowDataType::Utf8View
                    ))
        })
        .map(|(n, _)| n.to_string())
        .collect();
    // First the columnar fold without the request ids and CLF times (long strings it reads
    // only for rare rows); a frame it declines is read again with every column.
    if !b.any() && !tally.dedupes() {
        let md = reader
            .get_metadata()
            .map_err(|e| polars_err(name, &e))?
            .clone();
        // Integer columns the bill only checks (their values must fit the record's types) are
        // not decoded when the footer statistics already prove they fit.
        let proven = |n: &str| {
            const CHECKED_ONLY: [LogField; 5] = [
                LogField::Schema,
                LogField::IntegrationLatency,
                LogField::ResponseLatency,
                LogField::IntegrationStatus,
                LogField::DisconnectStatusCode,
            ];
            field_of(n, None).is_some_and(|f| CHECKED_ONLY.contains(&f))
                && schema.get(n).is_some_and(|f| {
                    matches!(
                        f.dtype,
                        ArrowDataType::Int8
                            | ArrowDataType::Int16
                            | ArrowDataType::Int32
                            | ArrowDataType::Int64
                    )
                })
                && field_of(n, None)
                    .and_then(int_range)
                    .flatten()
                    .is_some_and(|(lo, hi)| stats_prove_within(&md, n, lo, hi))
        };
        let columnar: Vec<String> = wanted
            .iter()
            .filter(|n| !proven(n.as_str()))
            .filter(|n| {
                !(matches!(
                    field_of(n, None),
                    Some(LogField::RequestId | LogField::RequestTime)
                ) && schema.get(n.as_str()).is_some_and(|f| {
                    matches!(
                        f.dtype,
                        ArrowDataType::Utf8 | ArrowDataType::LargeUtf8 | ArrowDataType::Utf8View
                    )
                }))
            })
            .cloned()
            .collect();
        let df = reader
            .with_columns(Some(columnar))
            .finish()
            .map_err(|e| polars_err(name, &e))?;
        if fold_frame_columnar(name, &df, threads, tally)? {
            return Ok(());
        }
        let file = std::fs::File::open(path).map_err(|e| AnalyticsError::io(name, e))?;
        reader = ParquetReader::new(file).read_parallel(strategy);
    }
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
        let Some(t) = crate::formats::jsonl::content(line) else {
            continue;
        };
        let line_no = i as u64 + 1;
        // Which lines are malformed is decided by the reference parser (polars would read a
        // `"status": true` as null where `LogRecord` refuses it); polars then reads the values.
        match crate::formats::jsonl::parse_line(t, false) {
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
    let schema: Schema = KNOWN_FIELDS
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AnalyzeOptions;
    use gwcost_pricing::PriceBook;

    const T0: i64 = 1_790_000_000_000;

    /// Time, event type, connection id, status, error response type.
    type Row = (
        i64,
        &'static str,
        Option<&'static str>,
        Option<i64>,
        Option<&'static str>,
    );

    /// A frame of schema columns: every row a REQUEST unless `eventType` says otherwise.
    fn frame(rows: &[Row]) -> DataFrame {
        let n = rows.len();
        let epoch: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let kind: Vec<&str> = rows.iter().map(|r| r.1).collect();
        let conn: Vec<Option<&str>> = rows.iter().map(|r| r.2).collect();
        let status: Vec<Option<i64>> = rows.iter().map(|r| r.3).collect();
        let err: Vec<Option<&str>> = rows.iter().map(|r| r.4).collect();
        let req_id: Vec<String> = (0..n).map(|i| format!("req-{i}")).collect();
        let resp: Vec<Option<i64>> = (0..n as i64)
            .map(|i| (i % 3 != 0).then_some(i * 97_003))
            .collect();
        let msg: Vec<Option<i64>> = (0..n as i64)
            .map(|i| (i % 2 == 0).then_some(i * 40_001))
            .collect();
        // Each connection carries one `connectedAt` on all its events: c1's is the time of its
        // CONNECT (10 rows earlier at most), `open`'s the first hour; a refused c2 its own time.
        let connected: Vec<Option<i64>> = rows
            .iter()
            .map(|r| {
                r.2.map(|id| match id {
                    "c1" => r.0 - (r.0 - T0) % 36_000_000,
                    "open" => T0,
                    _ => r.0,
                })
            })
            .collect();
        let direction: Vec<Option<&str>> = rows
            .iter()
            .map(|r| (r.1 == "MESSAGE").then_some("in"))
            .collect();
        let latency: Vec<i64> = (0..n as i64).collect();
        DataFrame::new(
            n,
            vec![
                Column::new("requestTimeEpoch".into(), epoch),
                Column::new("eventType".into(), kind),
                Column::new("connectionId".into(), conn),
                Column::new("status".into(), status),
                Column::new("errorResponseType".into(), err),
                Column::new("requestId".into(), req_id),
                Column::new("responseLength".into(), resp),
                Column::new("messageLength".into(), msg),
                Column::new("connectedAt".into(), connected),
                Column::new("direction".into(), direction),
                Column::new("integrationLatency".into(), latency),
                Column::new("userAgent".into(), vec!["Mozilla ☃"; n]),
            ],
        )
        .unwrap()
    }

    fn clean_rows() -> Vec<Row> {
        let mut rows = Vec::new();
        for i in 0..300i64 {
            let t = T0 + i * 3_600_000;
            rows.push(match i % 10 {
                0 => (t, "CONNECT", Some("c1"), Some(200), None),
                1 => (t, "MESSAGE", Some("c1"), None, None),
                2 => (t, " disconnect ", Some("c1"), None, None),
                3 => (t, "CONNECT", Some("c2"), Some(401), Some("UNAUTHORIZED")),
                4 => (t, "REQUEST", None, Some(403), Some(" throttled ")),
                5 => (t, "-", None, Some(200), Some("-")),
                6 => (t, "MESSAGE", Some("open"), None, None),
                _ => (t, "REQUEST", None, Some(200), None),
            });
        }
        rows
    }

    /// The columnar fold and the row-by-row reference reading of `df`: the first is `None`
    /// when the columnar fold declined the frame.
    fn both(df: &DataFrame, threads: usize) -> (Option<crate::Analysis>, crate::Analysis) {
        let book = PriceBook::aws_us_east_1();
        let opts = AnalyzeOptions::default();
        let mut columnar = Tally::new(&book, &opts);
        let took = fold_frame_columnar("t", df, threads, &mut columnar).unwrap();
        let mut reference = Tally::new(&book, &opts);
        fold_frame("t", df, |row| row as u64 + 1, &mut reference).unwrap();
        (took.then(|| columnar.finish(1)), reference.finish(1))
    }

    #[test]
    fn columnar_fold_equals_the_reference_reading() {
        let df = frame(&clean_rows());
        for threads in [1, 2, 3] {
            let (columnar, reference) = both(&df, threads);
            let columnar = columnar.expect("a clean frame is folded by columns");
            assert_eq!(columnar, reference, "{threads} threads");
        }
        let (_, reference) = both(&df, 1);
        let total = reference.total_usage();
        // 30 connections reuse the id c1, each opened and closed (billed at its DISCONNECT, 2
        // hours each: 121 minutes); c2 is refused 30 times; `open` never closes.
        assert_eq!(reference.inputs.unclosed_connections, 1);
        assert_eq!(total.ws_connections, 31);
        assert!(total.ws_connection_minutes >= 30 * 121);
        // `eventType` `-` (30 rows) is a refused upgrade, not a request.
        assert_eq!(total.requests, 120);
        // The throttled requests (30) are not billed.
        assert_eq!(total.billable_requests, 90);
    }

    #[test]
    fn columnar_fold_declines_what_only_the_reference_path_reads() {
        let bad: [(usize, Row); 4] = [
            // A status that does not fit u16: the row is malformed.
            (7, (T0, "REQUEST", None, Some(70_000), None)),
            // An unknown event type: malformed.
            (8, (T0, "PING", None, None, None)),
            // Non-ASCII text in a column the bill reads.
            (9, (T0, "MESSAGE", Some("cönn"), None, None)),
            // A WebSocket row known only by its request id, a column this frame has.
            (10, (T0, "MESSAGE", None, None, None)),
        ];
        for (at, row) in bad {
            let mut rows = clean_rows();
            rows[at] = row;
            let df = frame(&rows);
            let (columnar, reference) = both(&df, 2);
            match columnar {
                // Only the request-id case can be read by columns (the column is there).
                Some(c) => {
                    assert_eq!(at, 10);
                    assert_eq!(c, reference);
                }
                None => assert_ne!(at, 10, "declined a frame it can read"),
            }
        }
        // Without the request-id column, that row needs the full read.
        let mut rows = clean_rows();
        rows[10] = (T0, "MESSAGE", None, None, None);
        let df = frame(&rows).drop("requestId").unwrap();
        assert!(both(&df, 1).0.is_none());
        // A null timestamp (the row would be dated by requestTime) also needs it.
        let mut df = frame(&clean_rows());
        let epoch: Vec<Option<i64>> = (0..df.height())
            .map(|i| (i != 5).then_some(T0 + i as i64))
            .collect();
        df.with_column(Column::new("requestTimeEpoch".into(), epoch))
            .unwrap();
        assert!(both(&df, 1).0.is_none());
    }

    /// A Parquet file on disk is read like its frame: an out-of-range latency (which the
    /// footer statistics reveal, so the column is decoded) makes that one row malformed.
    #[test]
    fn parquet_file_with_and_without_provable_columns() {
        let dir = tempfile::tempdir().unwrap();
        let book = PriceBook::aws_us_east_1();
        let opts = AnalyzeOptions::default();
        for bad_latency in [false, true] {
            let mut df = frame(&clean_rows());
            if bad_latency {
                let latency: Vec<i64> = (0..df.height() as i64)
                    .map(|i| if i == 17 { -5 } else { i })
                    .collect();
                df.with_column(Column::new("integrationLatency".into(), latency))
                    .unwrap();
            }
            let path = dir.path().join(format!("t{bad_latency}.parquet"));
            let file = std::fs::File::create(&path).unwrap();
            ParquetWriter::new(file).finish(&mut df).unwrap();
            for threads in [1, 2] {
                let mut from_file = Tally::new(&book, &opts);
                read_parquet_file("t", &path, threads, &mut from_file).unwrap();
                let mut reference = Tally::new(&book, &opts);
                fold_frame("t", &df, |row| row as u64 + 1, &mut reference).unwrap();
                let (a, r) = (from_file.finish(1), reference.finish(1));
                assert_eq!(a.months, r.months);
                assert_eq!(a.days, r.days);
                assert_eq!(a.malformed, r.malformed);
                assert_eq!(a.inputs.malformed_lines, u64::from(bad_latency));
            }
        }
    }
}
