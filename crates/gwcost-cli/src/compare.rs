//! `gwcost compare`: reads and meters the inputs like `gwcost analyze` (always with the route
//! breakdown), builds one `CompareReport` (projected when asked) and renders it in the asked
//! format.

use anyhow::Result;
use gwcost_analytics::Breakdowns;
use gwcost_report::{AnyReport, CompareOptions, CompareReport};

use crate::cli::{CompareArgs, CompareOptionsArgs, InputArgs, OutputFormat, ProjectionArgs};

/// Reads the inputs and compares HTTP API with REST API, projected when asked.
pub(crate) fn build_report(
    input: &InputArgs,
    c: &CompareOptionsArgs,
    projection: &ProjectionArgs,
) -> Result<CompareReport> {
    let spec = crate::common::projection(projection)?;
    // Per-route lines and the routes behind oversize payloads need the route breakdown.
    let by = crate::analyze::breakdowns(&c.by);
    let breakdowns = Breakdowns { route: true, ..by };
    let (book, analysis) = crate::inputs::read_inputs(input, breakdowns)?;
    let opts = CompareOptions {
        free_tier: input.pricing.free_tier,
        rest_cache_gb: c.rest_cache,
        cache_hours: c.cache_hours,
        top_routes: c.top_routes,
        alb: gwcost_report::AlbOptions {
            target: c.alb_target.target(),
            rules: c.alb_rules,
            requests_per_connection: c.alb_requests_per_connection,
        },
        by,
    };
    let observed = CompareReport::new(&analysis, &book, &opts)?;
    let (projected, said) = gwcost_report::project(&analysis, &spec)?;
    if said.is_empty() {
        return Ok(observed);
    }
    Ok(CompareReport::new(&projected, &book, &opts)?.with_observed(&observed, &said))
}

pub(crate) fn compare(a: &CompareArgs) -> Result<()> {
    // The infracost usage file has no place for a breakdown: refuse rather than drop it.
    if a.format == OutputFormat::InfracostUsage && !a.compare.by.is_empty() {
        anyhow::bail!(
            "--by: --format infracost-usage has no breakdown (use table, json, csv or markdown)"
        );
    }
    let report = build_report(&a.input, &a.compare, &a.projection)?;
    crate::common::render_and_emit(AnyReport::Compare(&report), a.format, a.output.as_deref())
}
