//! `gwcost reconcile --cur FILE LOGS...`: the AWS invoice beside what the logs meter.

use anyhow::Result;
use gwcost_analytics::Breakdowns;
use gwcost_report::{AnyReport, ReconcileOptions, ReconcileReport};

use crate::cli::ReconcileArgs;

pub(crate) fn reconcile(a: &ReconcileArgs) -> Result<()> {
    let projection = crate::common::projection(&a.projection)?;
    let (cur, summary) = crate::cur::read_cur(&a.cur)?;
    let (book, analysis) = crate::inputs::read_inputs(&a.input, Breakdowns::default())?;
    let report = ReconcileReport::new(
        &cur,
        summary,
        &analysis,
        &book,
        &ReconcileOptions {
            free_tier: a.input.pricing.free_tier,
            projection,
        },
    )?;
    crate::common::render_and_emit(AnyReport::Reconcile(&report), a.format, a.output.as_deref())
}
