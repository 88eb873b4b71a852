//! The result of reading and metering: usage counters per UTC month and day, plus what the reader
//! saw (files, lines, rejected lines), so a report can both bill and earn trust.

use std::collections::BTreeMap;
use std::fmt;

use gwcost_pricing::{MeteringBasis, Usage};
use serde::{Serialize, Serializer};

/// How many malformed lines an [`Analysis`] keeps verbatim (the rest are only counted).
pub const MAX_MALFORMED_KEPT: usize = 20;

/// A UTC calendar month; displays and serializes as `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i64,
    pub month: u32,
}

impl Month {
    /// The UTC month of an instant (ms since the epoch).
    pub fn of_epoch_ms(ms: i64) -> Self {
        let (year, month) = gwcost_log::utc_month(ms);
        Self { year, month }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A UTC calendar day; displays and serializes as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day {
    pub year: i64,
    pub month: u32,
    pub day: u32,
}

impl Day {
    /// The UTC day of an instant (ms since the epoch).
    pub fn of_epoch_ms(ms: i64) -> Self {
        let (year, month, day) = gwcost_log::utc_date(ms);
        Self { year, month, day }
    }

    /// The month this day belongs to.
    pub fn month(self) -> Month {
        Month {
            year: self.year,
            month: self.month,
        }
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One line that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Malformed {
    /// The file as named on the command line (or found under a directory); `-` for stdin.
    pub file: String,
    /// 1-based line number (CSV: the record's line; Parquet: the row number).
    pub line: u64,
    pub reason: String,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// What the readers saw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InputsSummary {
    pub files: u64,
    /// Non-blank lines (CSV records, Parquet rows) read, malformed or not.
    pub lines: u64,
    pub malformed_lines: u64,
    /// Lines whose event bills something. Every line read is in exactly one bucket:
    /// `billed_lines + sum(not_billed) + malformed_lines == lines`.
    pub billed_lines: u64,
    /// Events read but not billed, by reason: a gateway rejection by its `errorResponseType`
    /// (`UNAUTHORIZED`, `THROTTLED`, …), `refused_upgrade`, `refused_connect`,
    /// `outside_window` (`--since`/`--until`), `duplicate` (`--dedupe`).
    pub not_billed: BTreeMap<String, u64>,
    /// Malformed lines by the kind of their reason (its first clause).
    pub malformed_by_reason: BTreeMap<String, u64>,
    /// Files found under a directory that hold no access log (named on stderr).
    pub skipped_files: u64,
    /// Files that broke partway (a truncated gzip, a read error): what came before the break
    /// is billed, and the bill is partial.
    pub damaged_files: u64,
    /// Bytes read, after decompression.
    pub bytes: u64,
    pub first_event_ms: Option<i64>,
    pub last_event_ms: Option<i64>,
    /// WebSocket messages logged without a size (billed one unit each).
    pub ws_message_sizes_unknown: u64,
    /// Events dropped by `--dedupe` because their `requestId` was already seen.
    pub duplicates_dropped: u64,
    /// Events outside `--since`/`--until`.
    pub filtered_out: u64,
    /// WebSocket connections with no DISCONNECT: billed up to their last seen event.
    pub unclosed_connections: u64,
}

/// Usage of one breakdown key (a route, a stage or a status) within a month.
pub type Breakdown = BTreeMap<String, Usage>;

/// One month's usage and the breakdowns that were asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MonthUsage {
    pub usage: Usage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_route: Option<Breakdown>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_stage: Option<Breakdown>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_status: Option<Breakdown>,
}

/// Counts of metered payload sizes in power-of-two buckets: bucket 0 holds 0 bytes, bucket `k`
/// (1..=64) holds sizes in `[2^(k-1), 2^k)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeHistogram {
    pub buckets: [u64; 65],
}

impl Default for SizeHistogram {
    fn default() -> Self {
        Self { buckets: [0; 65] }
    }
}

impl SizeHistogram {
    /// The bucket a size falls into.
    pub fn bucket_of(bytes: u64) -> usize {
        (64 - bytes.leading_zeros()) as usize
    }

    pub fn add(&mut self, bytes: u64) {
        self.buckets[Self::bucket_of(bytes)] += 1;
    }

    pub fn merge(&mut self, other: &Self) {
        for (a, b) in self.buckets.iter_mut().zip(other.buckets.iter()) {
            *a += b;
        }
    }

    /// Non-empty buckets as (lowest size, highest size, count).
    pub fn non_empty(&self) -> Vec<(u64, u64, u64)> {
        self.buckets
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(k, c)| match k {
                0 => (0, 0, *c),
                64 => (1 << 63, u64::MAX, *c),
                _ => (1 << (k - 1), (1u64 << k) - 1, *c),
            })
            .collect()
    }

    pub fn total(&self) -> u64 {
        self.buckets.iter().sum()
    }
}

impl Serialize for SizeHistogram {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Bucket {
            min_bytes: u64,
            max_bytes: u64,
            count: u64,
        }
        s.collect_seq(self.non_empty().into_iter().map(|(lo, hi, count)| Bucket {
            min_bytes: lo,
            max_bytes: hi,
            count,
        }))
    }
}

/// Everything `gwcost analyze` learned from its inputs, before pricing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Analysis {
    pub inputs: InputsSummary,
    /// The first [`MAX_MALFORMED_KEPT`] malformed lines, in input order.
    pub malformed: Vec<Malformed>,
    /// Each damaged file, `FILE: where it broke and why` (its lines before the break are in).
    pub damaged: Vec<String>,
    /// Each file found under a directory and not read, `FILE: why`.
    pub skipped: Vec<String>,
    pub months: BTreeMap<Month, MonthUsage>,
    /// Per UTC day usage (connections counted on the day they end).
    pub days: BTreeMap<Day, Usage>,
    /// Metered bytes of HTTP requests (the metering basis, or `dataProcessed`).
    pub http_sizes: SizeHistogram,
    /// Sizes of WebSocket messages whose size was logged.
    pub ws_sizes: SizeHistogram,
    /// The basis HTTP requests were metered on.
    pub metering_basis: MeteringBasis,
    /// Hour by hour, the traffic as an Application Load Balancer would see it.
    pub alb_hours: crate::AlbTraffic,
}

impl Analysis {
    /// The sum of every month's usage (for counts only: tiers restart each month, so never bill
    /// this sum; bill each month and add the costs).
    pub fn total_usage(&self) -> Usage {
        let mut u = Usage::default();
        for m in self.months.values() {
            u += m.usage;
        }
        u
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_powers_of_two() {
        assert_eq!(SizeHistogram::bucket_of(0), 0);
        assert_eq!(SizeHistogram::bucket_of(1), 1);
        assert_eq!(SizeHistogram::bucket_of(2), 2);
        assert_eq!(SizeHistogram::bucket_of(3), 2);
        assert_eq!(SizeHistogram::bucket_of(524_288), 20);
        assert_eq!(SizeHistogram::bucket_of(524_287), 19);
        assert_eq!(SizeHistogram::bucket_of(u64::MAX), 64);
        let mut h = SizeHistogram::default();
        h.add(524_288);
        h.add(1_048_575);
        assert_eq!(h.non_empty(), vec![(524_288, 1_048_575, 2)]);
    }

    #[test]
    fn months_and_days_format() {
        assert_eq!(Month::of_epoch_ms(1_764_547_200_000).to_string(), "2025-12");
        assert_eq!(
            Day::of_epoch_ms(1_764_547_199_999).to_string(),
            "2025-11-30"
        );
    }
}
