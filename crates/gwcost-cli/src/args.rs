//! The command line, as clap derive structs. No logic here: `main.rs` turns these into calls on
//! the libraries.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use rust_decimal::Decimal;

/// What API traffic costs on AWS API Gateway: the exact bill of observed traffic, month by month.
#[derive(Debug, Parser)]
#[command(name = "gwcost", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Bill access logs (files, directories, `-` for stdin) month by month.
    Analyze(AnalyzeArgs),
    /// Print the price book in force.
    Prices(PricesArgs),
    /// Price assumed monthly traffic from counts (a calculator).
    Quote(QuoteArgs),
    /// Write a deterministic synthetic access log (schema v1 JSON lines).
    Generate(GenerateArgs),
    /// Price the same traffic as an HTTP API and as a REST API (optionally with a cache).
    Compare(crate::compare_args::CompareArgs),
    /// Write the comparison as a self-contained HTML page, or Markdown with PNG charts.
    Report(crate::compare_args::ReportArgs),
    /// Convert JSON-lines logs to schema-v1 Parquet, partitioned by month.
    Convert(crate::scale::ConvertArgs),
    /// Print the monthly bill as one SQL query (Athena, Trino, Spark, DuckDB) for logs in S3.
    Sql(crate::scale::SqlArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Csv,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BasisArg {
    Sum,
    Max,
    Request,
    Response,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ByArg {
    Route,
    Stage,
    Status,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum EngineArg {
    #[default]
    Fast,
    Polars,
}

/// The price book and whether the free tier applies, shared by every pricing command.
#[derive(Debug, Args)]
pub struct PricingArgs {
    /// A price book TOML file replacing the embedded AWS us-east-1 one.
    #[arg(long, value_name = "FILE")]
    pub price_book: Option<PathBuf>,
    /// Apply AWS's monthly free tier (first 12 months of older accounts; off by default).
    #[arg(long)]
    pub free_tier: bool,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Extra per-month breakdowns (repeatable or comma-separated); months are always shown.
    #[arg(long = "by", value_enum, value_delimiter = ',')]
    pub by: Vec<ByArg>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// What to read and how to meter it: the inputs and flags `analyze`, `compare` and `report` share.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Log files or directories (read recursively); `-` reads stdin; `s3://BUCKET/PREFIX`
    /// every object under a prefix; `cloudwatch://LOG_GROUP[?stream=PREFIX]` a log group.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    #[command(flatten)]
    pub cloud: crate::cloud::CloudArgs,
    #[command(flatten)]
    pub pricing: PricingArgs,
    /// Which payload HTTP API's 512 KB increments count (default: the price book's, `sum`).
    #[arg(long, value_enum)]
    pub metering_basis: Option<BasisArg>,
    /// Only events on or after this UTC date.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub since: Option<String>,
    /// Only events on or before this UTC date (inclusive).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub until: Option<String>,
    /// Treat any malformed line as an error (exit status 2).
    #[arg(long)]
    pub strict: bool,
    /// Drop events whose requestId was already seen (overlapping inputs).
    #[arg(long)]
    pub dedupe: bool,
    /// Do not list malformed lines on stderr nor draw a progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// JSON-lines parser (polars: cross-check engine).
    #[arg(long, value_enum, default_value_t = EngineArg::Fast, hide = true)]
    pub engine: EngineArg,
    /// Worker threads for big JSON-lines files (default: one per core).
    #[arg(long, hide = true)]
    pub threads: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PricesFormat {
    Table,
    Toml,
    Json,
}

#[derive(Debug, Args)]
pub struct PricesArgs {
    /// A price book TOML file replacing the embedded AWS us-east-1 one.
    #[arg(long, value_name = "FILE")]
    pub price_book: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = PricesFormat::Table)]
    pub format: PricesFormat,
}

#[derive(Debug, Args)]
pub struct QuoteArgs {
    #[command(subcommand)]
    pub api: QuoteApi,
}

#[derive(Debug, Subcommand)]
pub enum QuoteApi {
    /// An HTTP API month: requests (and body sizes, for 512 KB increments and data transfer).
    Http(QuoteHttpArgs),
    /// A REST API month: requests, optionally a cache.
    Rest(QuoteRestArgs),
    /// A WebSocket API month: messages and connection minutes.
    Websocket(QuoteWebSocketArgs),
}

impl QuoteApi {
    /// The price book, free tier and format flags every quote takes.
    pub fn common(&self) -> &QuoteCommon {
        match self {
            QuoteApi::Http(h) => &h.common,
            QuoteApi::Rest(r) => &r.common,
            QuoteApi::Websocket(w) => &w.common,
        }
    }
}

/// Shared by every quote.
#[derive(Debug, Args)]
pub struct QuoteCommon {
    #[command(flatten)]
    pub pricing: PricingArgs,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct QuoteHttpArgs {
    /// Requests in the month (`432000000`, `432_000_000` or `432M`).
    #[arg(long, value_parser = parse_count)]
    pub requests: u64,
    /// Request body size of each request (`0`, `2048`, `600KB`, `1.5MB`; KB = 1024 B).
    #[arg(long, value_parser = parse_bytes, default_value = "0")]
    pub request_bytes: u64,
    /// Response body size of each request.
    #[arg(long, value_parser = parse_bytes, default_value = "0")]
    pub response_bytes: u64,
    /// Which payload the 512 KB increments count (default: the price book's).
    #[arg(long, value_enum)]
    pub metering_basis: Option<BasisArg>,
    #[command(flatten)]
    pub common: QuoteCommon,
}

#[derive(Debug, Args)]
pub struct QuoteRestArgs {
    /// Requests in the month.
    #[arg(long, value_parser = parse_count)]
    pub requests: u64,
    /// Response body size of each request (for data transfer out).
    #[arg(long, value_parser = parse_bytes, default_value = "0")]
    pub response_bytes: u64,
    /// Cache size in GB (one of AWS's sizes: 0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237).
    #[arg(long, value_name = "GB")]
    pub cache: Option<Decimal>,
    /// Hours the cache is provisioned (AWS's calculator month: 730).
    #[arg(long, default_value_t = 730, requires = "cache")]
    pub hours: u64,
    #[command(flatten)]
    pub common: QuoteCommon,
}

#[derive(Debug, Args)]
pub struct QuoteWebSocketArgs {
    /// Messages in the month, both directions.
    #[arg(long, value_parser = parse_count, default_value = "0")]
    pub messages: u64,
    /// Size of each message (default: unknown, one 32 KB unit each).
    #[arg(long, value_parser = parse_bytes)]
    pub message_bytes: Option<u64>,
    /// Connection minutes in the month.
    #[arg(long, value_parser = parse_count, default_value = "0")]
    pub connection_minutes: u64,
    #[command(flatten)]
    pub common: QuoteCommon,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Valid events to write.
    #[arg(long, value_parser = parse_count, default_value = "100000")]
    pub events: u64,
    /// Seed: the same seed and options give byte-identical output.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Whole UTC months to spread the events over, from the start date.
    #[arg(long, default_value_t = 2)]
    pub months: u32,
    /// First day (UTC).
    #[arg(long, value_name = "YYYY-MM-DD", default_value = "2026-09-01")]
    pub start: String,
    /// Share of WebSocket events, in percent.
    #[arg(long, default_value_t = 10)]
    pub ws_percent: u32,
    /// Broken lines per million events (for testing readers).
    #[arg(long, default_value_t = 0)]
    pub malformed_per_million: u32,
    /// Output file (`-` for stdout); `.gz` compresses.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
}

/// A count: digits with optional `_`/`,` separators, or a decimal with a `K`/`M`/`B`
/// (thousand, million, billion) suffix that comes out whole (`1.5M`).
pub fn parse_count(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 1_000u64),
        Some('M') => (&t[..t.len() - 1], 1_000_000),
        Some('B') => (&t[..t.len() - 1], 1_000_000_000),
        _ => (t, 1),
    };
    whole(num, mult)
        .ok_or_else(|| format!("{s:?} is not a count (e.g. 432000000, 432_000_000, 432M)"))
}

/// A byte size: digits, or a decimal with `KB`/`MB`/`GB` (binary: KB = 1024 B) that comes out
/// whole.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let (num, mult) = if let Some(n) = upper.strip_suffix("KB") {
        (n.to_owned(), 1024u64)
    } else if let Some(n) = upper.strip_suffix("MB") {
        (n.to_owned(), 1024 * 1024)
    } else if let Some(n) = upper.strip_suffix("GB") {
        (n.to_owned(), 1024 * 1024 * 1024)
    } else if let Some(n) = upper.strip_suffix('B') {
        (n.to_owned(), 1)
    } else {
        (upper.clone(), 1)
    };
    whole(num.trim(), mult)
        .ok_or_else(|| format!("{s:?} is not a byte size (e.g. 0, 2048, 600KB, 1.5MB)"))
}

/// `num × mult` when `num` is a non-negative decimal and the product is a whole `u64`.
fn whole(num: &str, mult: u64) -> Option<u64> {
    let cleaned: String = num.chars().filter(|c| *c != '_' && *c != ',').collect();
    if cleaned.is_empty() || cleaned.starts_with('-') || cleaned.starts_with('+') {
        return None;
    }
    let d: Decimal = cleaned.parse().ok()?;
    let product = d.checked_mul(Decimal::from(mult))?;
    if product.fract() != Decimal::ZERO {
        return None;
    }
    u64::try_from(product).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(parse_count("432000000"), Ok(432_000_000));
        assert_eq!(parse_count("432_000_000"), Ok(432_000_000));
        assert_eq!(parse_count("432,000,000"), Ok(432_000_000));
        assert_eq!(parse_count("432M"), Ok(432_000_000));
        assert_eq!(parse_count("1.5m"), Ok(1_500_000));
        assert_eq!(parse_count("21B"), Ok(21_000_000_000));
        assert!(parse_count("1.5").is_err());
        assert!(parse_count("-3").is_err());
        assert!(parse_count("lots").is_err());
    }

    #[test]
    fn bytes() {
        assert_eq!(parse_bytes("0"), Ok(0));
        assert_eq!(parse_bytes("513KB"), Ok(525_312));
        assert_eq!(parse_bytes("1.5MB"), Ok(1_572_864));
        assert_eq!(parse_bytes("33kb"), Ok(33_792));
        assert_eq!(parse_bytes("100 B"), Ok(100));
        assert!(parse_bytes("0.3KB").is_err());
        assert!(parse_bytes("big").is_err());
    }
}
