//! The one place that knows input formats: AWS's containers (CloudWatch Logs exports, Firehose
//! deliveries, `aws logs` JSON pages, Logs Insights results) and the line formats inside them.
//! Each format is a [`Spec`]: how to recognise it from the first bytes (after gunzipping) and a
//! description for messages; [`REGISTRY`] lists them in the order they are tried. Adding a
//! format is one file here, one [`InputFormat`] variant and one registry line.
//!
//! Containers hand their log events to a [`Messages`] sink as (number, message, timestamp)
//! triples; the message is then read like a log line (`message`).
//!
//! The readers live here too, beside the detection they answer to: `jsonl` (JSON lines,
//! folded a block at a time), `fastjson` (its scanner, which `template` also builds events
//! with), `clf` and `template` (`--log-format` lines), `message` (one line or container
//! message, whatever its layout), `columns` (CSV, and rows as objects), `polars_io` (Parquet
//! and the polars cross-check engine), `records` (the Firehose destination's back-to-back
//! records). What stays at the crate root is plumbing shared by every format and by no one
//! format: `blocks` (cutting any line stream into line-aligned blocks under the line limit, used
//! by the line readers, `records`, `columns`' record limit, `input` and `convert`), `tally`
//! (the counters a bill folds into), `input` and `convert` (where the two [`Sink`]s, metering and
//! the Parquet writer, are implemented). Nothing here imports `input` or `convert`, so the
//! crate's imports have no circle.

pub(crate) mod clf;
pub(crate) mod cloudwatch_export;
pub(crate) mod columns;
pub(crate) mod fastjson;
pub(crate) mod insights_csv;
pub(crate) mod json_docs;
pub(crate) mod jsonl;
pub(crate) mod message;
pub(crate) mod polars_io;
pub(crate) mod records;
pub(crate) mod template;

use std::fmt;
use std::io::Read;
use std::str::FromStr;

use crate::error::AnalyticsError;

/// An input's layout; `--input-format NAME` picks one instead of detecting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputFormat {
    /// One record per line: JSON (gwcost's schema or API Gateway's JSON access logs) or API
    /// Gateway CLF; also Firehose output with message extraction on.
    Lines,
    /// CSV with a header of schema names, or AWS's headerless REST CSV layout.
    Csv,
    /// Schema-v1 Parquet (what `gwcost convert` writes).
    Parquet,
    /// `aws logs create-export-task` to S3: `2026-10-20T12:34:56.789Z <message>` lines.
    CloudWatchExport,
    /// A CloudWatch Logs subscription delivered by Firehose: back-to-back gzip members, each a
    /// `DATA_MESSAGE` / `CONTROL_MESSAGE` JSON envelope.
    Firehose,
    /// `aws logs filter-log-events` / `get-log-events` JSON output: pages of `events[]`.
    LogEvents,
    /// Logs Insights results as CSV with `@timestamp` and `@message` columns.
    InsightsCsv,
    /// Logs Insights results as JSON (`aws logs get-query-results`, or an exported array of
    /// `{"@timestamp":…,"@message":…}`).
    InsightsJson,
    /// API Gateway's own Firehose destination: access-log records back to back (`{…}{…}`) or
    /// separated by any whitespace, not one per line.
    Records,
}

impl InputFormat {
    /// Every format, as `--input-format` lists them.
    pub const ALL: [InputFormat; 9] = [
        InputFormat::Lines,
        InputFormat::Csv,
        InputFormat::Parquet,
        InputFormat::CloudWatchExport,
        InputFormat::Firehose,
        InputFormat::LogEvents,
        InputFormat::InsightsCsv,
        InputFormat::InsightsJson,
        InputFormat::Records,
    ];

    /// The name `--input-format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Self::Lines => "lines",
            Self::Csv => "csv",
            Self::Parquet => "parquet",
            Self::CloudWatchExport => "cloudwatch-export",
            Self::Firehose => "firehose",
            Self::LogEvents => "log-events",
            Self::InsightsCsv => "insights-csv",
            Self::InsightsJson => "insights-json",
            Self::Records => "records",
        }
    }

    /// What the format is, for messages ("looks like …").
    pub fn describe(self) -> &'static str {
        match self {
            Self::Lines => "text lines (JSON or CLF)",
            Self::Csv => "CSV",
            Self::Parquet => "Parquet",
            Self::CloudWatchExport => "a CloudWatch Logs export to S3 (timestamped lines)",
            Self::Firehose => "a Firehose delivery of CloudWatch Logs (JSON envelopes)",
            Self::LogEvents => "`aws logs filter-log-events`/`get-log-events` JSON output",
            Self::InsightsCsv => "CloudWatch Logs Insights results (CSV)",
            Self::InsightsJson => "CloudWatch Logs Insights results (JSON)",
            Self::Records => "JSON records not one per line (API Gateway's Firehose destination)",
        }
    }

    /// The names, comma-separated (for errors and help).
    pub fn names() -> String {
        Self::ALL.map(Self::name).join(", ")
    }

    /// True for the formats whose records are log events inside a container (their messages
    /// are access-log lines).
    pub(crate) fn is_container(self) -> bool {
        !matches!(self, Self::Lines | Self::Csv | Self::Parquet)
    }
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for InputFormat {
    type Err = AnalyticsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| AnalyticsError::BadInputFormat {
                given: s.to_owned(),
                expected: Self::names(),
            })
    }
}

/// How a format is recognised.
pub(crate) struct Spec {
    pub(crate) format: InputFormat,
    /// True when the first bytes of the content (decompressed; leading whitespace and a UTF-8
    /// BOM removed) are this format's.
    pub(crate) sniff: fn(&[u8]) -> bool,
}

/// The formats in the order they are tried: the most specific first; plain lines and CSV last.
pub(crate) static REGISTRY: &[Spec] = &[
    Spec {
        format: InputFormat::Parquet,
        sniff: |d| d.starts_with(b"PAR1"),
    },
    Spec {
        format: InputFormat::Firehose,
        sniff: json_docs::sniff_firehose,
    },
    Spec {
        format: InputFormat::LogEvents,
        sniff: json_docs::sniff_log_events,
    },
    Spec {
        format: InputFormat::InsightsJson,
        sniff: json_docs::sniff_insights,
    },
    Spec {
        format: InputFormat::CloudWatchExport,
        sniff: cloudwatch_export::sniff,
    },
    Spec {
        format: InputFormat::InsightsCsv,
        sniff: insights_csv::sniff,
    },
    Spec {
        format: InputFormat::Records,
        sniff: records::sniff,
    },
    Spec {
        format: InputFormat::Lines,
        sniff: sniff_lines,
    },
    Spec {
        format: InputFormat::Csv,
        sniff: |_| true,
    },
];

/// JSON objects or CLF lines (or nothing at all).
fn sniff_lines(d: &[u8]) -> bool {
    let first_line = d.split(|b| *b == b'\n').map(<[u8]>::trim_ascii).next();
    match first_line {
        None => true,
        Some(l) if l.is_empty() || l.starts_with(b"{") => true,
        Some(l) => std::str::from_utf8(l)
            .ok()
            .is_some_and(|s| clf::parse(s).is_ok()),
    }
}

/// Recognises content: the first format of [`REGISTRY`] whose sniff accepts it.
pub(crate) fn detect(data: &[u8]) -> InputFormat {
    let d = data.trim_ascii_start();
    let d = d
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(d)
        .trim_ascii_start();
    REGISTRY
        .iter()
        .find(|s| (s.sniff)(d))
        .map_or(InputFormat::Csv, |s| s.format)
}

/// What every format's reader hands its content to: implemented once for metering (the tally,
/// `crate::input`) and once for the Parquet writer (`crate::convert`), so [`read`] is the one
/// place a format meets its reader, and a new format is one file here, one [`InputFormat`]
/// variant, one [`REGISTRY`] line and one arm of [`read`].
pub(crate) trait Sink: Messages {
    /// Text lines (JSON, CLF, a stage template's); `export`: each line is a CloudWatch Logs
    /// export's `<ISO-8601 time> <message>`.
    fn lines(&mut self, reader: &mut dyn Read, export: bool) -> Result<(), AnalyticsError>;
    /// CSV with a header of schema names, or AWS's headerless REST layout.
    fn csv(&mut self, reader: &mut dyn Read) -> Result<(), AnalyticsError>;
    /// Schema-v1 Parquet.
    fn parquet(&mut self, reader: &mut dyn Read) -> Result<(), AnalyticsError>;
}

/// Reads `reader`'s content (decompressed) as `format` into `sink`; `name` words I/O errors.
/// For a JSON container, returns what it saw (to name its shape when nothing in it was a log).
pub(crate) fn read(
    name: &str,
    format: InputFormat,
    reader: &mut dyn Read,
    sink: &mut dyn Sink,
) -> Result<Option<json_docs::Seen>, AnalyticsError> {
    let io_err = |e: std::io::Error| AnalyticsError::io(name, e);
    match format {
        InputFormat::Lines => sink.lines(reader, false)?,
        InputFormat::CloudWatchExport => sink.lines(reader, true)?,
        InputFormat::Csv => sink.csv(reader)?,
        InputFormat::Parquet => sink.parquet(reader)?,
        InputFormat::InsightsCsv => {
            insights_csv::read(reader, sink).map_err(io_err)?;
        }
        InputFormat::Records => records::read(reader, sink).map_err(io_err)?,
        InputFormat::Firehose | InputFormat::LogEvents | InputFormat::InsightsJson => {
            return json_docs::read(reader, sink).map(Some).map_err(io_err);
        }
    }
    Ok(None)
}

/// Where a container's log events go: each is read like a log line.
pub(crate) trait Messages {
    /// One log event's message (`line`: its 1-based number in the file), dated by the
    /// container's `fallback_ms` when the message carries no time.
    fn message(&mut self, line: u64, msg: &[u8], fallback_ms: Option<i64>);
    /// A log event (or a part of the container) that could not be read.
    fn malformed(&mut self, line: u64, reason: String);
}

/// Reads `YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z]` (UTC; CloudWatch Logs' and Logs Insights'
/// timestamps) to ms since the epoch.
pub(crate) fn iso_ms(s: &[u8]) -> Option<i64> {
    let s = s.trim_ascii();
    let s = s.strip_suffix(b"Z").unwrap_or(s);
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let b = s.get(r)?;
        if !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(b.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
    };
    if s.len() < 19
        || s[4] != b'-'
        || s[7] != b'-'
        || !matches!(s[10], b'T' | b' ')
        || s[13] != b':'
        || s[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut ms = 0;
    match s.get(19..) {
        None | Some([]) => {}
        Some([b'.', frac @ ..]) if !frac.is_empty() && frac.iter().all(u8::is_ascii_digit) => {
            // Milliseconds: the first three digits, padded.
            for k in 0..3 {
                ms = ms * 10 + frac.get(k).map_or(0, |d| i64::from(d - b'0'));
            }
        }
        _ => return None,
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let day = gwcost_log::epoch_ms_of_date(y, mo as u32, d as u32);
    Some(day + ((h * 60 + mi) * 60 + sec) * 1000 + ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_every_registered_shape() {
        let cases: &[(&[u8], InputFormat)] = &[
            (b"PAR1....", InputFormat::Parquet),
            (b"\n  {\"a\":1}\n", InputFormat::Lines),
            (
                b"1.2.3.4 - - [01/Dec/2025:00:00:00 +0000] \"GET / HTTP/1.1\" 200 5 id\n",
                InputFormat::Lines,
            ),
            (b"requestId,status\nx,200\n", InputFormat::Csv),
            (
                b"2026-10-20T12:34:56.789Z {\"requestId\":\"a\"}\n",
                InputFormat::CloudWatchExport,
            ),
            (
                b"{\"messageType\":\"DATA_MESSAGE\",\"owner\":\"1\",\"logEvents\":[]}",
                InputFormat::Firehose,
            ),
            (
                b"{\n    \"events\": [\n        {\n            \"logStreamName\": \"s\",",
                InputFormat::LogEvents,
            ),
            (
                b"{\"results\": [[{\"field\":\"@timestamp\"",
                InputFormat::InsightsJson,
            ),
            (
                b"[\n  {\"@timestamp\": \"2026-10-20 12:34:56.789\"",
                InputFormat::InsightsJson,
            ),
            (b"@timestamp,@message\n", InputFormat::InsightsCsv),
            (b"\"@timestamp\",\"@message\"\n", InputFormat::InsightsCsv),
        ];
        for (data, want) in cases {
            assert_eq!(detect(data), *want, "{}", String::from_utf8_lossy(data));
        }
    }

    #[test]
    fn iso_times() {
        assert_eq!(iso_ms(b"2025-12-01T00:00:00.000Z"), Some(1_764_547_200_000));
        assert_eq!(iso_ms(b"2025-12-01 00:00:01.5"), Some(1_764_547_201_500));
        assert_eq!(iso_ms(b"2025-12-01T00:00:00"), Some(1_764_547_200_000));
        for bad in [
            &b"2025-13-01T00:00:00Z"[..],
            b"2025-12-01",
            b"2025-12-01T00:00:00.Z",
            b"x",
        ] {
            assert_eq!(iso_ms(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn names_parse() {
        for f in InputFormat::ALL {
            assert_eq!(f.name().parse::<InputFormat>().unwrap(), f);
        }
        assert!("xml".parse::<InputFormat>().is_err());
    }
}
