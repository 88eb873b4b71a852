//! `gwcost generate`: a deterministic synthetic access log of any size.

use std::io::Write;

use anyhow::{Context, Result};

use crate::cli::GenerateArgs;
use crate::output::Output;

pub(crate) fn generate(g: &GenerateArgs) -> Result<()> {
    let start_ms = gwcost_analytics::parse_date(&g.start).context("--start")?;
    let spec = gwcost_corpus::CorpusSpec {
        events: g.events,
        seed: g.seed,
        start_ms,
        months: g.months,
        ws_fraction_percent: g.ws_percent,
        malformed_per_million: g.malformed_per_million,
        ..gwcost_corpus::CorpusSpec::default()
    };
    // Written to a temporary file and renamed at the end: a refused option or a full disk leaves
    // whatever was at `-o` untouched.
    let mut out = Output::create(Some(&g.output))?;
    let gz = !crate::output::is_stdout(&g.output)
        && g.output
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let stats = if gz {
        let mut enc = flate2::write::GzEncoder::new(&mut out, flate2::Compression::default());
        let stats = gwcost_corpus::generate(&spec, &mut enc).map_err(|e| error(e, &g.output))?;
        enc.finish()
            .and_then(|w| w.flush())
            .map_err(|e| error(e, &g.output))?;
        stats
    } else {
        gwcost_corpus::generate(&spec, &mut out).map_err(|e| error(e, &g.output))?
    };
    let shown = out.target().to_owned();
    out.commit()?;
    eprintln!(
        "gwcost: wrote {} events ({} lines, {} malformed, {} bytes) to {shown}",
        stats.events, stats.lines, stats.malformed_lines, stats.bytes
    );
    Ok(())
}

/// The generator's `InvalidInput` is a refused option (exit 2); anything else failed writing.
fn error(e: std::io::Error, path: &std::path::Path) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::InvalidInput {
        return anyhow::anyhow!("{e}");
    }
    crate::output::WriteFailed {
        target: path.display().to_string(),
        source: e,
    }
    .into()
}
