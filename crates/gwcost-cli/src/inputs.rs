//! Reading and metering the inputs, as `analyze`, `compare` and `report` all do: the flags of
//! [`InputArgs`] become `AnalyzeOptions`, the progress bar is drawn, and what was skipped is said
//! on stderr (`FILE:LINE: reason` for the first few malformed lines, then a count).

use anyhow::{Context, Result, bail};
use gwcost_analytics::{Analysis, AnalyzeOptions, Breakdowns, Engine};
use gwcost_pricing::PriceBook;

use crate::cli::{EngineArg, InputArgs};
use crate::common::plural;

/// Set when some input was damaged: the output is written, and `gwcost` exits with status 3
/// (partial input, `docs/exit-codes.md`).
pub(crate) static PARTIAL: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// How many malformed lines are listed on stderr before only the count is given.
const MALFORMED_SHOWN: usize = 10;

/// Reads and meters the inputs with the asked breakdowns; `--strict` turns any malformed line
/// into an error.
pub(crate) fn read_inputs(a: &InputArgs, breakdowns: Breakdowns) -> Result<(PriceBook, Analysis)> {
    let book =
        crate::common::load_book(a.pricing.price_book.as_deref(), a.pricing.region.as_deref())?;
    let since_ms = a
        .since
        .as_deref()
        .map(gwcost_analytics::parse_date)
        .transpose()
        .context("--since")?;
    let until_ms = a
        .until
        .as_deref()
        .map(|d| gwcost_analytics::parse_date(d).map(|ms| ms + 86_400_000))
        .transpose()
        .context("--until")?;
    if let (Some(s), Some(u)) = (since_ms, until_ms)
        && u <= s
    {
        bail!("--until is before --since");
    }
    let (log_format, input_format) = crate::input_formats::resolve(&a.formats)?;
    let opts = AnalyzeOptions {
        metering_basis: a.metering_basis.map(crate::common::basis),
        since_ms,
        until_ms,
        breakdowns,
        dedupe: a.dedupe,
        engine: match a.engine {
            EngineArg::Fast => Engine::Fast,
            EngineArg::Polars => Engine::Polars,
        },
        threads: a.threads,
        log_format,
        input_format,
        strict: a.strict,
    };
    let resolved = crate::cloud::resolve(
        &a.paths,
        &a.cloud,
        a.pricing.region.as_deref(),
        (since_ms, until_ms),
    )?;
    let bar = crate::scale::Bar::new(a.quiet);
    let analysis =
        gwcost_analytics::analyze_with_progress(&resolved.inputs, &opts, &book, bar.as_progress())?;
    if !a.quiet {
        resolved.say_what_was_read();
        for s in &analysis.skipped {
            eprintln!("gwcost: skipped {s}");
        }
    }
    // Damage is said even under --quiet: the bill is partial, and the exit status says so too.
    for d in &analysis.damaged {
        eprintln!("gwcost: warning: {d}");
    }
    if !analysis.damaged.is_empty() {
        PARTIAL.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    let malformed = analysis.inputs.malformed_lines;
    if malformed > 0 && (!a.quiet || a.strict) {
        for m in analysis.malformed.iter().take(MALFORMED_SHOWN) {
            eprintln!("{m}");
        }
        let shown = analysis.malformed.len().min(MALFORMED_SHOWN) as u64;
        if malformed > shown {
            let more = malformed - shown;
            eprintln!(
                "… and {more} more malformed line{}",
                if more == 1 { "" } else { "s" }
            );
        }
    }
    if a.strict && malformed > 0 {
        bail!(
            "{} (--strict)",
            plural(malformed, "malformed line", "malformed lines")
        );
    }
    if !a.quiet {
        if malformed > 0 {
            eprintln!(
                "gwcost: skipped {} of {}",
                plural(malformed, "malformed line", "malformed lines"),
                plural(analysis.inputs.lines, "line", "lines")
            );
        }
        if malformed * 2 > analysis.inputs.lines {
            eprintln!(
                "gwcost: warning: most lines are malformed ({malformed} of {}); the bill below \
                 covers only the rest (is --log-format or --input-format needed?)",
                analysis.inputs.lines
            );
        }
        if analysis.inputs.duplicates_dropped > 0 {
            eprintln!(
                "gwcost: dropped {} (repeated requestId)",
                plural(
                    analysis.inputs.duplicates_dropped,
                    "duplicate event",
                    "duplicate events"
                )
            );
        }
    }
    Ok((book, analysis))
}
