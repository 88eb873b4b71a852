//! `gwcost compare`: reads and meters the inputs like `gwcost analyze` (always with the route
//! breakdown), builds one `CompareReport` and renders it in the asked format.

use anyhow::{Context, Result};
use gwcost_analytics::Breakdowns;
use gwcost_report::{CompareOptions, CompareReport};

use crate::args::InputArgs;
use crate::compare_args::{CompareArgs, CompareFormat, CompareOptionsArgs};

/// Reads the inputs and compares HTTP API with REST API.
pub(crate) fn build_report(input: &InputArgs, c: &CompareOptionsArgs) -> Result<CompareReport> {
    // Per-route lines and the routes behind oversize payloads need the route breakdown.
    let breakdowns = Breakdowns {
        route: true,
        ..Breakdowns::default()
    };
    let (book, analysis) = crate::inputs::read_inputs(input, breakdowns)?;
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
