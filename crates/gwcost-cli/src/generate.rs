//! `gwcost generate`: a deterministic synthetic access log of any size.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use anyhow::{Context, Result};

use crate::cli::GenerateArgs;

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
    let shown = g.output.display().to_string();
    let stats = if shown == "-" {
        let mut out = io::stdout().lock();
        let stats = gwcost_corpus::generate(&spec, &mut out)?;
        out.flush()?;
        stats
    } else {
        let file = File::create(&g.output).with_context(|| format!("creating {shown}"))?;
        let gz = g
            .output
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
        if gz {
            let mut enc =
                flate2::write::GzEncoder::new(BufWriter::new(file), flate2::Compression::default());
            let stats = gwcost_corpus::generate(&spec, &mut enc)
                .with_context(|| format!("writing {shown}"))?;
            enc.finish()
                .and_then(|mut w| w.flush())
                .with_context(|| format!("writing {shown}"))?;
            stats
        } else {
            let mut w = BufWriter::new(file);
            let stats = gwcost_corpus::generate(&spec, &mut w)
                .with_context(|| format!("writing {shown}"))?;
            w.flush().with_context(|| format!("writing {shown}"))?;
            stats
        }
    };
    eprintln!(
        "gwcost: wrote {} events ({} lines, {} malformed, {} bytes) to {shown}",
        stats.events, stats.lines, stats.malformed_lines, stats.bytes
    );
    Ok(())
}
