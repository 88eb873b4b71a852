//! `gwcost report`: the comparison as a self-contained HTML page, or Markdown with PNG charts
//! written beside it.

use std::path::Path;

use anyhow::{Context, Result};

use crate::cli::{ReportArgs, ReportFormat};
use crate::compare::build_report;

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

pub(crate) fn report(a: &ReportArgs) -> Result<()> {
    let report = build_report(&a.input, &a.compare, &a.projection)?;
    if let Some(dir) = a.output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
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
            write(&a.output, html.as_bytes())?;
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
            for (name, png) in &md.images {
                write(&dir.join(name), png)?;
            }
            write(&a.output, md.markdown.as_bytes())?;
            eprintln!(
                "gwcost: wrote {} and {} PNG charts beside it",
                a.output.display(),
                md.images.len()
            );
        }
    }
    Ok(())
}
