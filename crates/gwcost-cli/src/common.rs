//! Helpers every command shares: the price book in force, the metering basis, the projection
//! asked for, rendering a report in the asked format, and writing output.

use std::path::Path;

use anyhow::{Context, Result, bail};
use gwcost_pricing::{BookOrigin, MeteringBasis, PriceBook};
use gwcost_report::{AnyReport, ProjectionSpec};
use sha2::{Digest, Sha256};

use crate::cli::{BasisArg, OutputFormat, ProjectionArgs};

/// `--price-book FILE` when given, else the embedded book of `--region`.
/// The region whose embedded book prices traffic when `--region` is not given.
pub(crate) const DEFAULT_REGION: &str = "us-east-1";

/// `--price-book FILE`, or else the embedded book of `--region` (default us-east-1).
pub(crate) fn load_book(price_book: Option<&Path>, region: Option<&str>) -> Result<PriceBook> {
    match price_book {
        None => Ok(PriceBook::embedded(region.unwrap_or(DEFAULT_REGION))?),
        Some(p) => {
            let bytes =
                std::fs::read(p).with_context(|| format!("reading price book {}", p.display()))?;
            let text = String::from_utf8(bytes)
                .with_context(|| format!("price book {}: not UTF-8 text", p.display()))?;
            let mut book = PriceBook::from_toml_str(&text)
                .with_context(|| format!("price book {}", p.display()))?;
            book.meta.origin = BookOrigin::File {
                path: p.display().to_string(),
                sha256: sha256_hex(text.as_bytes()),
            };
            Ok(book)
        }
    }
}

/// Lowercase hex SHA-256 of `bytes`: what `sha256sum FILE` prints, so a user can check which
/// file priced a report.
fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(crate) fn basis(b: BasisArg) -> MeteringBasis {
    match b {
        BasisArg::Sum => MeteringBasis::Sum,
        BasisArg::Max => MeteringBasis::Max,
        BasisArg::Request => MeteringBasis::Request,
        BasisArg::Response => MeteringBasis::Response,
    }
}

/// `--scale`, `--project-month` and `--window START..END` as a projection.
pub(crate) fn projection(p: &ProjectionArgs) -> Result<ProjectionSpec> {
    if let Some(s) = p.scale
        && s <= rust_decimal::Decimal::ZERO
    {
        bail!("--scale must be a decimal greater than 0, not {s}");
    }
    let window = match &p.window {
        None => None,
        Some(w) => {
            let (a, b) = w.split_once("..").with_context(|| {
                format!("--window {w:?}: expected START..END (YYYY-MM-DD..YYYY-MM-DD)")
            })?;
            let day = |s: &str| -> Result<gwcost_analytics::Day> {
                let ms = gwcost_analytics::parse_date(s.trim())
                    .with_context(|| format!("--window {w:?}"))?;
                Ok(gwcost_analytics::Day::of_epoch_ms(ms))
            };
            Some((day(a)?, day(b)?))
        }
    };
    Ok(ProjectionSpec {
        scale: p.scale,
        project_month: p.project_month,
        window,
    })
}

/// Renders `report` in `format` and writes it to `-o FILE` or stdout.
pub(crate) fn render_and_emit(
    report: AnyReport<'_>,
    format: OutputFormat,
    output: Option<&Path>,
) -> Result<()> {
    let text = gwcost_report::render(report, format.format())?;
    emit(output, &text)
}

/// Writes `text` to `-o FILE` (`-`: stdout) or stdout, atomically (see `output.rs`).
pub(crate) fn emit(output: Option<&Path>, text: &str) -> Result<()> {
    crate::output::write(output, text.as_bytes())
}

pub(crate) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
