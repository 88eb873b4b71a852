//! One output format and one dispatch: every report model (analyze, compare, quote, reconcile)
//! is turned into text here, and only here, so adding a format is one enum variant and one arm
//! per model in [`render`].

use serde::Serialize;

use crate::analyze::AnalyzeReport;
use crate::compare::CompareReport;
use crate::quote::Quote;
use crate::reconcile::ReconcileReport;

/// Output formats every report can be rendered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// An aligned terminal table with the notes under it.
    #[default]
    Table,
    /// The JSON contract: exact decimal strings.
    Json,
    /// One rectangular table, exact amounts.
    Csv,
    /// Markdown tables (pull requests, wikis).
    Markdown,
    /// One self-contained HTML page (no scripts, nothing fetched).
    Html,
    /// An infracost usage file (YAML) of the busiest month (`compare` only).
    InfracostUsage,
}

impl Format {
    /// The name users type (`--format NAME`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::InfracostUsage => "infracost-usage",
        }
    }
}

/// Any report gwcost renders.
#[derive(Debug, Clone, Copy)]
pub enum AnyReport<'a> {
    Analyze(&'a AnalyzeReport),
    Compare(&'a CompareReport),
    Quote(&'a Quote),
    Reconcile(&'a ReconcileReport),
}

impl AnyReport<'_> {
    fn command(self) -> &'static str {
        match self {
            AnyReport::Analyze(_) => "analyze",
            AnyReport::Compare(_) => "compare",
            AnyReport::Quote(_) => "quote",
            AnyReport::Reconcile(_) => "reconcile",
        }
    }

    fn title(self) -> &'static str {
        match self {
            AnyReport::Analyze(_) => "API Gateway bill (gwcost analyze)",
            AnyReport::Compare(_) => "HTTP API vs REST API (gwcost compare)",
            AnyReport::Quote(_) => "API Gateway quote (gwcost quote)",
            AnyReport::Reconcile(_) => "AWS invoice vs gwcost (gwcost reconcile)",
        }
    }
}

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Chart(#[from] crate::charts::ChartError),
    #[error("--format {format} is not available for gwcost {command}")]
    Unsupported {
        format: &'static str,
        command: &'static str,
    },
}

/// Pretty JSON with a trailing newline (keys in the models' field order).
pub(crate) fn pretty_json<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    Ok(s)
}

/// Renders `report` as `format`: the one place every command's output is made.
pub fn render(report: AnyReport<'_>, format: Format) -> Result<String, RenderError> {
    use AnyReport as R;
    Ok(match (report, format) {
        (R::Analyze(r), Format::Table) => crate::render::render_table(r),
        (R::Analyze(r), Format::Json) => pretty_json(r)?,
        (R::Analyze(r), Format::Csv) => crate::render::render_csv(r),
        (R::Analyze(r), Format::Markdown) => crate::render::render_markdown(r),

        (R::Compare(r), Format::Table) => crate::compare_render::render_compare_table(r),
        (R::Compare(r), Format::Json) => pretty_json(r)?,
        (R::Compare(r), Format::Csv) => crate::compare_render::render_compare_csv(r),
        (R::Compare(r), Format::Markdown) => crate::compare_render::render_compare_markdown(r),
        (R::Compare(r), Format::Html) => crate::html::render_html(r)?,
        (R::Compare(r), Format::InfracostUsage) => crate::infracost::render_infracost_usage(r),

        (R::Quote(q), Format::Table) => q.render_table(),
        (R::Quote(q), Format::Json) => pretty_json(q)?,
        (R::Quote(q), Format::Csv) => q.render_csv(),
        (R::Quote(q), Format::Markdown) => q.render_markdown(),

        (R::Reconcile(r), Format::Table) => crate::reconcile::render_table(r),
        (R::Reconcile(r), Format::Json) => pretty_json(r)?,
        (R::Reconcile(r), Format::Csv) => crate::reconcile::render_csv(r),
        (R::Reconcile(r), Format::Markdown) => crate::reconcile::render_markdown(r),

        // The reports without charts: their table in a self-contained page.
        (r @ (R::Analyze(_) | R::Quote(_) | R::Reconcile(_)), Format::Html) => {
            let table = render(r, Format::Table)?;
            crate::html::text_page(r.title(), &table)
        }
        (r @ (R::Analyze(_) | R::Quote(_) | R::Reconcile(_)), Format::InfracostUsage) => {
            return Err(RenderError::Unsupported {
                format: format.as_str(),
                command: r.command(),
            });
        }
    })
}
