//! `gwcost analyze`: the bill of the logs, month by month (projected when asked).

use anyhow::Result;
use gwcost_analytics::Breakdowns;
use gwcost_report::{AnalyzeReport, AnyReport, ReportOptions};

use crate::cli::{AnalyzeArgs, ByArg};

pub(crate) fn analyze(a: &AnalyzeArgs) -> Result<()> {
    let spec = crate::common::projection(&a.projection)?;
    let breakdowns = breakdowns(&a.by);
    let (book, analysis) = crate::inputs::read_inputs(&a.input, breakdowns)?;
    let opts = ReportOptions {
        free_tier: a.input.pricing.free_tier,
    };
    let (projected, said) = gwcost_report::project(&analysis, &spec)?;
    let observed = AnalyzeReport::new(&analysis, &book, opts);
    let report = if said.is_empty() {
        observed
    } else {
        AnalyzeReport::new(&projected, &book, opts).with_observed(&observed, &said)
    };
    crate::common::render_and_emit(AnyReport::Analyze(&report), a.format, a.output.as_deref())
}

/// `--by` as the analysis's breakdowns (shared by `analyze`, `compare` and `report`).
pub(crate) fn breakdowns(by: &[ByArg]) -> Breakdowns {
    Breakdowns {
        route: by.contains(&ByArg::Route),
        stage: by.contains(&ByArg::Stage),
        status: by.contains(&ByArg::Status),
    }
}
