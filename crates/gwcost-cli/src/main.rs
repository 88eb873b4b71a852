//! `gwcost`: the command-line front end. Thin by design: it parses arguments (`args.rs`), loads
//! the price book, calls `gwcost-analytics` / `gwcost-report` / `gwcost-corpus`, and writes what
//! they return. Usage and input errors print one line and exit with status 2.

mod args;
mod cloud;
mod compare;
mod compare_args;
mod inputs;
mod report;
mod scale;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use gwcost_analytics::Breakdowns;
use gwcost_pricing::{MeteringBasis, PriceBook};
use gwcost_report::{AnalyzeReport, Quote, ReportOptions};

use crate::args::{
    AnalyzeArgs, BasisArg, ByArg, Cli, Command, GenerateArgs, OutputFormat, PricesArgs,
    PricesFormat, QuoteApi, QuoteArgs,
};

/// mimalloc keeps freed memory for reuse, where glibc returns polars' decoded Parquet columns to
/// the kernel and faults them in again for the next file (a fifth of a Parquet analysis).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A closed pipe (`gwcost analyze … | head`) is not an error worth reporting.
            if e.downcast_ref::<io::Error>()
                .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("gwcost: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Analyze(a) => analyze(&a),
        Command::Prices(p) => prices(&p),
        Command::Quote(q) => quote(&q),
        Command::Generate(g) => generate(&g),
        Command::Compare(c) => compare::compare(&c),
        Command::Report(r) => report::report(&r),
        Command::Convert(c) => scale::convert(&c),
        Command::Sql(s) => scale::sql(&s),
    }
}

fn load_book(path: Option<&Path>) -> Result<PriceBook> {
    match path {
        None => Ok(PriceBook::aws_us_east_1()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading price book {}", p.display()))?;
            PriceBook::from_toml_str(&text).with_context(|| format!("price book {}", p.display()))
        }
    }
}

fn basis(b: BasisArg) -> MeteringBasis {
    match b {
        BasisArg::Sum => MeteringBasis::Sum,
        BasisArg::Max => MeteringBasis::Max,
        BasisArg::Request => MeteringBasis::Request,
        BasisArg::Response => MeteringBasis::Response,
    }
}

/// Writes `text` to `-o FILE` or stdout.
fn emit(output: Option<&Path>, text: &str) -> Result<()> {
    match output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display())),
        None => {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(())
        }
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn analyze(a: &AnalyzeArgs) -> Result<()> {
    let breakdowns = Breakdowns {
        route: a.by.contains(&ByArg::Route),
        stage: a.by.contains(&ByArg::Stage),
        status: a.by.contains(&ByArg::Status),
    };
    let (book, analysis) = inputs::read_inputs(&a.input, breakdowns)?;

    let report = AnalyzeReport::new(
        &analysis,
        &book,
        ReportOptions {
            free_tier: a.input.pricing.free_tier,
        },
    );
    let text = match a.format {
        OutputFormat::Table => gwcost_report::render_table(&report),
        OutputFormat::Json => gwcost_report::render_json(&report)?,
        OutputFormat::Csv => gwcost_report::render_csv(&report),
        OutputFormat::Markdown => gwcost_report::render_markdown(&report),
    };
    emit(a.output.as_deref(), &text)
}

fn prices(p: &PricesArgs) -> Result<()> {
    let book = load_book(p.price_book.as_deref())?;
    let text = match p.format {
        PricesFormat::Table => gwcost_report::render_prices_table(&book),
        PricesFormat::Toml => book.to_toml_string(),
        PricesFormat::Json => {
            // The TOML layout (per-million and per-GB prices as written), as JSON.
            let value: toml::Value = toml::from_str(&book.to_toml_string())
                .context("re-reading the price book's TOML")?;
            let mut s = serde_json::to_string_pretty(&value)?;
            s.push('\n');
            s
        }
    };
    emit(None, &text)
}

fn render_quote(q: &Quote, format: OutputFormat) -> Result<String> {
    Ok(match format {
        OutputFormat::Table => q.render_table(),
        OutputFormat::Json => q.render_json()?,
        OutputFormat::Csv => q.render_csv(),
        OutputFormat::Markdown => q.render_markdown(),
    })
}

fn quote(q: &QuoteArgs) -> Result<()> {
    let common = q.api.common();
    let book = load_book(common.pricing.price_book.as_deref())?;
    let free_tier = common.pricing.free_tier;
    let quote = match &q.api {
        QuoteApi::Http(h) => gwcost_report::quote_http(
            &book,
            free_tier,
            h.metering_basis.map(basis),
            h.requests,
            h.request_bytes,
            h.response_bytes,
        )?,
        QuoteApi::Rest(r) => gwcost_report::quote_rest(
            &book,
            free_tier,
            r.requests,
            r.response_bytes,
            r.cache.map(|gb| (gb, r.hours)),
        )?,
        QuoteApi::Websocket(w) => gwcost_report::quote_websocket(
            &book,
            free_tier,
            w.messages,
            w.message_bytes,
            w.connection_minutes,
        )?,
    };
    emit(None, &render_quote(&quote, common.format)?)
}

fn generate(g: &GenerateArgs) -> Result<()> {
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
