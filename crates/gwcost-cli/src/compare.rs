//! `gwcost compare`: reads and meters the inputs like `gwcost analyze` (always with the route
//! breakdown), builds one `CompareReport` and renders it in the asked format.

use anyhow::{Context, Result, bail};
use gwcost_analytics::{Analysis, AnalyzeOptions, Breakdowns, Engine, Input};
use gwcost_pricing::PriceBook;
use gwcost_report::{CompareOptions, CompareReport};

use crate::args::EngineArg;
use crate::compare_args::{CompareArgs, CompareFormat, CompareOptionsArgs, InputArgs};

/// How many malformed lines are listed on stderr before only the count is given.
const MALFORMED_SHOWN: usize = 10;

/// Reads and meters the inputs; says on stderr what was skipped (unless `--quiet`).
pub(crate) fn read_inputs(a: &InputArgs) -> Result<(PriceBook, Analysis)> {
    let book = crate::load_book(a.pricing.price_book.as_deref())?;
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
    let opts = AnalyzeOptions {
        metering_basis: a.metering_basis.map(crate::basis),
        since_ms,
        until_ms,
        // Per-route lines and the routes behind oversize payloads need it.
        breakdowns: Breakdowns {
            route: true,
            ..Breakdowns::default()
        },
        dedupe: a.dedupe,
        engine: match a.engine {
            EngineArg::Fast => Engine::Fast,
            EngineArg::Polars => Engine::Polars,
        },
        threads: a.threads,
    };
    let inputs: Vec<Input> = a.paths.iter().map(|p| Input::parse(p)).collect();
    let analysis = gwcost_analytics::analyze(&inputs, &opts, &book)?;

    let malformed = analysis.inputs.malformed_lines;
    if malformed > 0 && (!a.quiet || a.strict) {
        for m in analysis.malformed.iter().take(MALFORMED_SHOWN) {
            eprintln!("{m}");
        }
        let shown = analysis.malformed.len().min(MALFORMED_SHOWN) as u64;
        if malformed > shown {
            eprintln!(
                "… and {}",
                crate::plural(
                    malformed - shown,
                    "more malformed line",
                    "more malformed lines"
                )
            );
        }
    }
    if a.strict && malformed > 0 {
        bail!(
            "{} (--strict)",
            crate::plural(malformed, "malformed line", "malformed lines")
        );
    }
    if !a.quiet && malformed > 0 {
        eprintln!(
            "gwcost: skipped {} of {}",
            crate::plural(malformed, "malformed line", "malformed lines"),
            crate::plural(analysis.inputs.lines, "line", "lines")
        );
    }
    Ok((book, analysis))
}

/// Reads the inputs and compares HTTP API with REST API.
pub(crate) fn build_report(input: &InputArgs, c: &CompareOptionsArgs) -> Result<CompareReport> {
    let (book, analysis) = read_inputs(input)?;
    let opts = CompareOptions {
        free_tier: input.pricing.free_tier,
        rest_cache_gb: c.rest_cache,
        cache_hours: c.cache_hours,
        top_routes: c.top_routes,
    };
    CompareReport::new(&analysis, &book, &opts).context("--rest-cache")
}

pub(crate) fn compare(a: &CompareArgs) -> Result<()> {
    let report = build_report(&a.input, &a.compare)?;
    let text = match a.format {
        CompareFormat::Table => gwcost_report::render_compare_table(&report),
        CompareFormat::Json => gwcost_report::render_compare_json(&report)?,
        CompareFormat::Csv => gwcost_report::render_compare_csv(&report),
        CompareFormat::Markdown => gwcost_report::render_compare_markdown(&report),
        CompareFormat::InfracostUsage => gwcost_report::render_infracost_usage(&report),
    };
    crate::emit(a.output.as_deref(), &text)
}
