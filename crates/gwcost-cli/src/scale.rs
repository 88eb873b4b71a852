//! The commands for logs at scale: `gwcost convert` (JSON lines to month-partitioned Parquet),
//! `gwcost sql` (the monthly bill as one query for Athena/Trino/Spark/DuckDB), and the progress
//! bar `analyze` and `convert` draw on stderr for inputs that take more than a moment.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Result, bail};
use gwcost_analytics::Progress;
use gwcost_analytics::sql::{self, Dialect};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{ConvertArgs, ConvertTo, DialectArg, SqlArgs};

/// Splits `convert A B OUT` into inputs and the output directory (the last path).
fn convert_paths(a: &ConvertArgs) -> Result<(crate::cloud::Resolved, PathBuf)> {
    let mut paths = a.paths.clone();
    let out = match paths.pop() {
        Some(o) if !paths.is_empty() => PathBuf::from(o),
        _ => bail!("convert needs at least one input and an output directory: PATH... OUT/"),
    };
    let resolved = crate::cloud::resolve(&paths, &a.cloud, a.region.as_deref(), (None, None))?;
    Ok((resolved, out))
}

pub fn convert(a: &ConvertArgs) -> Result<()> {
    let (resolved, out) = convert_paths(a)?;
    let inputs = &resolved.inputs;
    match a.to {
        ConvertTo::Parquet => {}
    }
    let bar = Bar::new(a.quiet);
    let (log_format, input_format) = crate::input_formats::resolve(&a.formats)?;
    let opts = gwcost_analytics::ConvertOptions {
        log_format,
        input_format,
    };
    // Written under a temporary name and renamed when whole: a failed run leaves no folder and
    // no half of a conversion that a later `analyze OUT/` would bill.
    let staged = crate::output::StagedDir::create(&out)?;
    let summary =
        gwcost_analytics::convert_to_parquet_with(inputs, staged.path(), &opts, bar.as_progress())?;
    staged.commit()?;
    if !a.quiet {
        resolved.say_what_was_read();
        for m in &summary.malformed {
            eprintln!("{m}");
        }
        let shown = summary.malformed.len() as u64;
        if summary.malformed_lines > shown {
            eprintln!(
                "… and {} more malformed lines",
                summary.malformed_lines - shown
            );
        }
        eprintln!(
            "gwcost: wrote {} rows in {} Parquet files under {} ({} malformed lines left out)",
            summary.rows_written,
            summary.parts_written,
            out.display(),
            summary.malformed_lines
        );
    }
    Ok(())
}

pub fn sql(a: &SqlArgs) -> Result<()> {
    let book =
        crate::common::load_book(a.pricing.price_book.as_deref(), a.pricing.region.as_deref())?;
    let dialect = match a.dialect {
        DialectArg::Athena => Dialect::Athena,
        DialectArg::Trino => Dialect::Trino,
        DialectArg::Spark => Dialect::Spark,
        DialectArg::Duckdb => Dialect::DuckDb,
    };
    let table = match (&a.json_glob, &a.table) {
        (Some(glob), _) if dialect == Dialect::DuckDb => sql::duckdb_json_source(glob),
        (Some(_), _) => bail!("--json-glob is for --dialect duckdb; give --table for {dialect}"),
        (None, Some(t)) => t.clone(),
        (None, None) => "access_logs".to_owned(),
    };
    let basis = a
        .metering_basis
        .map_or(book.http_api.metering_basis, crate::common::basis);
    let mut text = String::new();
    if let Some(location) = &a.athena_ddl {
        if dialect != Dialect::Athena {
            bail!("--athena-ddl is for --dialect athena");
        }
        text.push_str(&sql::athena_json_table_ddl(&table, location));
        text.push_str(";\n\n");
    }
    if let Some(path) = &a.spark_json {
        if dialect != Dialect::Spark {
            bail!("--spark-json is for --dialect spark");
        }
        text.push_str(&sql::spark_json_view_sql(&table, path));
        text.push_str(";\n\n");
    }
    text.push_str(&sql::monthly_metering_sql(
        dialect,
        &table,
        &book,
        a.pricing.free_tier,
        basis,
    ));
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Inputs smaller than this finish before a bar would be worth drawing.
const BAR_MIN_BYTES: u64 = 64 << 20;

/// An indicatif bar on stderr (bytes read, lines/s, ETA), drawn only when stderr is a terminal,
/// `--quiet` is off and the input is big enough to take a moment.
#[derive(Debug)]
pub struct Bar {
    bar: Option<ProgressBar>,
    lines: AtomicU64,
}

impl Bar {
    pub fn new(quiet: bool) -> Self {
        let show = !quiet && std::io::stderr().is_terminal();
        Self {
            bar: show.then(ProgressBar::hidden),
            lines: AtomicU64::new(0),
        }
    }

    pub fn as_progress(&self) -> Option<&dyn Progress> {
        self.bar.as_ref().map(|_| self as &dyn Progress)
    }
}

impl Progress for Bar {
    fn start(&self, total_bytes: Option<u64>) {
        let Some(bar) = &self.bar else { return };
        if total_bytes.is_some_and(|t| t < BAR_MIN_BYTES) {
            return;
        }
        let template = match total_bytes {
            Some(t) => {
                bar.set_length(t);
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} {msg} ETA {eta}"
            }
            None => "{spinner} [{elapsed_precise}] {bytes} {binary_bytes_per_sec} {msg}",
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar.enable_steady_tick(Duration::from_millis(200));
    }

    fn advance(&self, bytes: u64, lines: u64) {
        let Some(bar) = &self.bar else { return };
        if bytes > 0 {
            bar.inc(bytes);
        }
        if lines > 0 {
            let total = self.lines.fetch_add(lines, Ordering::Relaxed) + lines;
            let secs = bar.elapsed().as_secs_f64().max(1e-3);
            #[allow(clippy::cast_precision_loss)]
            let rate = total as f64 / secs;
            bar.set_message(format!("{total} lines, {:.0} k lines/s", rate / 1000.0));
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
