//! `gwcost report`: the comparison as a self-contained HTML page, or Markdown with PNG charts
//! written beside it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cli::{ReportArgs, ReportFormat};
use crate::compare::build_report;

pub(crate) fn report(a: &ReportArgs) -> Result<()> {
    let report = build_report(&a.input, &a.compare, &a.projection)?;
    if crate::output::is_stdout(&a.output) {
        anyhow::bail!(
            "-o - : the report is a file (HTML, or Markdown with PNG charts beside it); \
             `gwcost compare --format html` writes the page to stdout"
        );
    }
    let by_extension = a
        .output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"));
    let format = a.format.unwrap_or(if by_extension {
        ReportFormat::Markdown
    } else {
        ReportFormat::Html
    });
    match format {
        ReportFormat::Html => {
            let html = gwcost_report::render(
                gwcost_report::AnyReport::Compare(&report),
                gwcost_report::Format::Html,
            )?;
            crate::output::write(Some(&a.output), html.as_bytes())?;
            eprintln!("gwcost: wrote {}", a.output.display());
        }
        ReportFormat::Markdown => {
            let stem = a
                .output
                .file_stem()
                .and_then(|s| s.to_str())
                .filter(|s| !s.is_empty())
                .context("the Markdown report needs a file name with a UTF-8 stem (-o NAME.md)")?;
            let md = gwcost_report::render_markdown_report(&report, stem)?;
            let dir = a.output.parent().unwrap_or(Path::new(""));
            let mut files: Vec<(PathBuf, &[u8])> = md
                .images
                .iter()
                .map(|(name, png)| (dir.join(name), png.as_slice()))
                .collect();
            files.push((a.output.clone(), md.markdown.as_bytes()));
            crate::output::write_all(&files)?;
            eprintln!(
                "gwcost: wrote {} and {} PNG charts beside it",
                a.output.display(),
                md.images.len()
            );
        }
    }
    Ok(())
}
