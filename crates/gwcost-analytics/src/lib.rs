//! gwcost-analytics: reads access logs and meters them into monthly API Gateway usage.
//!
//! Owns the readers (JSON lines — gwcost's schema v1 and API Gateway's own access-log formats,
//! including CLF lines — CSV with or without a header, Parquet, any of them gzipped, directories,
//! stdin), the normalisation of a log record into one billable [`Event`], and the metering fold
//! ([`Tally`]) that turns events into per-month and per-day [`gwcost_pricing::Usage`] counters.
//! Parsing and metering are kept apart so a faster parser can feed the same fold.
//!
//! It prices nothing itself (that is `gwcost-pricing`'s job, applied by `gwcost-report`) and must
//! not depend on the report, the CLI or anything networked.

mod alb;
mod analysis;
mod blocks;
mod convert;
mod error;
mod event;
mod formats;
mod input;
pub mod sql;
mod tally;

pub use alb::{AlbHourTraffic, AlbTraffic};
pub use analysis::{
    Analysis, Breakdown, Day, InputsSummary, MAX_MALFORMED_KEPT, Malformed, Month, MonthUsage,
    SizeHistogram,
};
pub use convert::{
    ConvertOptions, ConvertSummary, ROWS_PER_PART, convert_to_parquet, convert_to_parquet_with,
};
pub use error::AnalyticsError;
pub use event::{Event, EventRef};
pub use formats::InputFormat;
pub use formats::template::{LogFormat, read_log_format};
pub use input::{Input, OpenStream, StreamSource, parse_date};
pub use tally::Tally;

use gwcost_pricing::{MeteringBasis, PriceBook};

/// Which JSON-lines parser reads `.jsonl`/`.json`/`.log` inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    /// gwcost's own line parser, one thread per core over line-aligned chunks.
    #[default]
    Fast,
    /// polars' NDJSON reader: an independent parser, used to cross-check the fast path.
    Polars,
    /// Every line through serde_json into `LogRecord`: the definition of leniency the fast
    /// scanner is checked against (slower, same streaming).
    Reference,
}

/// Hears how far reading has got (the CLI draws a progress bar with it). Called from the
/// reading thread; implementations must be cheap.
pub trait Progress: Send + Sync + std::fmt::Debug {
    /// Before anything is read: the total size of the named files as stored (`None` when a
    /// size is unknown, e.g. stdin).
    fn start(&self, total_bytes: Option<u64>);
    /// `bytes` more bytes read as stored (before decompression) and `lines` more lines.
    fn advance(&self, bytes: u64, lines: u64);
    /// Reading is over.
    fn finish(&self);
}

/// Which extra per-month breakdowns to keep (months are always kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Breakdowns {
    pub route: bool,
    pub stage: bool,
    pub status: bool,
}

impl Breakdowns {
    /// True when any breakdown is asked for.
    pub fn any(self) -> bool {
        self.route || self.stage || self.status
    }
}

/// How to read and meter the inputs.
#[derive(Debug, Clone, Default)]
pub struct AnalyzeOptions {
    /// Overrides the price book's `http_api.metering_basis`.
    pub metering_basis: Option<MeteringBasis>,
    /// Keep events at or after this instant (ms since the epoch, UTC).
    pub since_ms: Option<i64>,
    /// Keep events strictly before this instant (ms since the epoch, UTC).
    pub until_ms: Option<i64>,
    pub breakdowns: Breakdowns,
    /// Drop events whose `requestId` was already seen (overlapping rotated files).
    pub dedupe: bool,
    pub engine: Engine,
    /// Worker threads for big JSON-lines inputs; `None` = one per core.
    pub threads: Option<usize>,
    /// The stage's access-log template (`--log-format`); `None`: the schema's names and AWS's
    /// documented example formats.
    pub log_format: Option<std::sync::Arc<LogFormat>>,
    /// Read every input as this format instead of recognising it (`--input-format`).
    pub input_format: Option<InputFormat>,
    /// Stop at the first damaged file (`--strict`) instead of billing what could be read.
    pub strict: bool,
}

/// Reads every input and meters it: the whole of `gwcost analyze` short of pricing.
///
/// Malformed lines are counted and kept (the first [`MAX_MALFORMED_KEPT`]), never fatal; a
/// missing or unreadable input is an error.
pub fn analyze(
    inputs: &[Input],
    opts: &AnalyzeOptions,
    book: &PriceBook,
) -> Result<Analysis, AnalyticsError> {
    analyze_with_progress(inputs, opts, book, None)
}

/// [`analyze`], telling `progress` how far reading has got.
pub fn analyze_with_progress(
    inputs: &[Input],
    opts: &AnalyzeOptions,
    book: &PriceBook,
    progress: Option<&dyn Progress>,
) -> Result<Analysis, AnalyticsError> {
    let input::Expanded { files, repeats } = input::expand(inputs)?;
    if let Some(p) = progress {
        let total = files.iter().try_fold(0u64, |sum, f| Some(sum + f.size()?));
        p.start(total);
    }
    let mut tally = Tally::new(book, opts);
    let threads = opts.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let mut result = Ok(());
    let mut i = 0;
    while i < files.len() && result.is_ok() {
        // Files that are each one block or less (AWS writes logs as many small objects: a
        // Firehose object per buffer interval, an export file per log stream) and Parquet parts
        // are read side by side by one pool of workers, a whole file per worker at a time, and
        // merged in file order; a big file is cut into blocks for every worker instead.
        let run = files[i..]
            .iter()
            .take_while(|f| input::read_whole_by_one_worker(f))
            .count();
        if run >= 2 && threads >= 2 && !opts.dedupe {
            result =
                input::read_side_by_side(&files[i..i + run], opts, threads, &mut tally, progress);
            i += run;
        } else {
            result = input::read_into(&files[i], opts, &mut tally, progress);
            i += 1;
        }
    }
    if let Some(p) = progress {
        p.finish();
    }
    result?;
    if let Some(shapes) = tally.nothing_understood() {
        return Err(AnalyticsError::NothingUnderstood { shapes });
    }
    for r in repeats {
        tally.skipped_repeat(r);
    }
    if let Some(seen) = tally.nothing_read(files.len(), inputs) {
        return Err(AnalyticsError::NothingReadable { seen });
    }
    let read = files.len() as u64 - tally.skipped_unread();
    Ok(tally.finish(read))
}
