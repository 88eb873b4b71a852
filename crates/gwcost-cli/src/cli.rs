//! The whole command line, as clap derive structs, in this one module (the command modules
//! import from here, never the other way round). No logic here beyond parsing values: the
//! command modules turn these into calls on the libraries.

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
    Compare(CompareArgs),
    /// Write the comparison as a self-contained HTML page, or Markdown with PNG charts.
    Report(ReportArgs),
    /// Put an AWS Cost and Usage Report beside what the logs of the same months meter.
    Reconcile(ReconcileArgs),
    /// Convert access logs (any format analyze reads) to schema-v1 Parquet, partitioned by month.
    Convert(ConvertArgs),
    /// Print the monthly bill as one SQL query (Athena, Trino, Spark, DuckDB) for logs in S3.
    Sql(SqlArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell) on stdout.
    Completions(CompletionsArgs),
    /// Print the man page (roff) on stdout: `gwcost man | man -l -`.
    Man,
}

/// `gwcost completions SHELL`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The one output format of every report (`gwcost_report::Format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Csv,
    Markdown,
    /// A self-contained HTML page.
    Html,
    /// An infracost usage file (YAML) of the busiest month (`compare` only).
    InfracostUsage,
}

impl OutputFormat {
    pub fn format(self) -> gwcost_report::Format {
        use gwcost_report::Format;
        match self {
            OutputFormat::Table => Format::Table,
            OutputFormat::Json => Format::Json,
            OutputFormat::Csv => Format::Csv,
            OutputFormat::Markdown => Format::Markdown,
            OutputFormat::Html => Format::Html,
            OutputFormat::InfracostUsage => Format::InfracostUsage,
        }
    }
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
    /// A price book TOML file (overrides --region).
    #[arg(long, value_name = "FILE")]
    pub price_book: Option<PathBuf>,
    /// The AWS region whose embedded price book prices the traffic (default us-east-1); also
    /// the region of the s3:// and cloudwatch:// clients (default there: AWS_REGION, then the
    /// profile's).
    #[arg(long, value_name = "CODE")]
    pub region: Option<String>,
    /// Apply AWS's monthly free tier (first 12 months of older accounts; off by default).
    #[arg(long)]
    pub free_tier: bool,
}

/// Projection of observed traffic to the volume it stands for, before tiers.
#[derive(Debug, Args)]
pub struct ProjectionArgs {
    /// Multiply every count, unit, connection minute and byte of each month by F (> 0) before
    /// tiers: 20 for 20 replicas or a 1-in-20 sample.
    #[arg(long, value_name = "F", allow_hyphen_values = true, value_parser = parse_scale)]
    pub scale: Option<Decimal>,
    /// Scale each month's observed days to the whole calendar month (days in month ÷ days
    /// covered, from the month's first to its last event).
    #[arg(long)]
    pub project_month: bool,
    /// The UTC days the logs are known to cover (inclusive), instead of first to last event.
    #[arg(long, value_name = "START..END", requires = "project_month")]
    pub window: Option<String>,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Extra per-month breakdowns (repeatable or comma-separated); months are always shown.
    #[arg(long = "by", value_enum, value_delimiter = ',')]
    pub by: Vec<ByArg>,
    #[command(flatten)]
    pub projection: ProjectionArgs,
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
    pub cloud: CloudArgs,
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
    /// JSON-lines parser (polars: cross-check engine; it reads each file whole, so its memory
    /// grows with the file, unlike the default's line limit).
    #[arg(long, value_enum, default_value_t = EngineArg::Fast, hide = true)]
    pub engine: EngineArg,
    /// Worker threads for big JSON-lines files (default: one per core).
    #[arg(long, hide = true)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub formats: FormatArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PricesFormat {
    Table,
    Toml,
    Json,
}

#[derive(Debug, Args)]
pub struct PricesArgs {
    #[command(subcommand)]
    pub action: Option<PricesAction>,
    /// A price book TOML file (overrides --region).
    #[arg(long, value_name = "FILE")]
    pub price_book: Option<PathBuf>,
    /// The AWS region whose embedded price book to print.
    #[arg(long, value_name = "CODE", default_value = "us-east-1")]
    pub region: String,
    #[arg(long, value_enum, default_value_t = PricesFormat::Table)]
    pub format: PricesFormat,
    /// List the regions with an embedded price book (and those AWS's data could not make one for).
    #[arg(long, conflicts_with_all = ["price_book", "format"])]
    pub regions: bool,
}

#[derive(Debug, Subcommand)]
pub enum PricesAction {
    /// Write price-book TOML from AWS's price data for AmazonApiGateway: the Price List bulk
    /// offer file in its JSON (`index.json`) or CSV (`index.csv`) layout, `aws pricing
    /// get-products --service-code AmazonApiGateway` output, or the pricing page's JSON (with
    /// --tiers-from).
    Import(PricesImportArgs),
}

#[derive(Debug, Args)]
pub struct PricesImportArgs {
    /// The offer file or get-products output (`-` for stdin).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The region to import (default: the only region in FILE).
    #[arg(long, value_name = "CODE", conflicts_with = "all")]
    pub region: Option<String>,
    /// Import every region in FILE, one `aws-REGION.toml` each, into the directory `-o`.
    #[arg(long, requires = "output")]
    pub all: bool,
    /// The TOML file to write (stdout without it); with --all, the directory.
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Price List data (JSON or CSV, any one region) that says which tier each of the pricing
    /// page's rate codes is: its price-dimension codes and ranges are the same in every region.
    #[arg(long, value_name = "FILE")]
    pub tiers_from: Option<PathBuf>,
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
    /// An Application Load Balancer month: an average hour's traffic, billed every hour.
    Alb(QuoteAlbArgs),
}

impl QuoteApi {
    /// The price book, free tier and format flags every quote takes.
    pub fn common(&self) -> &QuoteCommon {
        match self {
            QuoteApi::Http(h) => &h.common,
            QuoteApi::Rest(r) => &r.common,
            QuoteApi::Websocket(w) => &w.common,
            QuoteApi::Alb(a) => &a.common,
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
    /// Hours the cache is provisioned (AWS's calculator month: 730; at most 744, a 31-day month).
    #[arg(long, default_value_t = 730, requires = "cache",
          value_parser = clap::value_parser!(u64).range(0..=744))]
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
pub struct QuoteAlbArgs {
    /// Hours the ALB runs in the month (AWS's calculator month: 730; at most 744).
    #[arg(long, default_value_t = 730, value_parser = clap::value_parser!(u64).range(0..=744))]
    pub hours: u64,
    /// Connections opened in an average hour.
    #[arg(long, value_parser = parse_count, default_value = "0")]
    pub new_connections: u64,
    /// Connections active in an average minute.
    #[arg(long, value_parser = parse_count, default_value = "0")]
    pub active_connections: u64,
    /// Request and response bytes through the ALB in an average hour (`1GB`, `500MB`, …).
    #[arg(long, value_parser = parse_bytes, default_value = "0")]
    pub processed_bytes: u64,
    /// Requests in an average hour.
    #[arg(long, value_parser = parse_count, default_value = "0")]
    pub requests: u64,
    /// Listener rules processed per request (the first 10 are free).
    #[arg(long, default_value_t = 1)]
    pub rules: u64,
    /// What the ALB forwards to.
    #[arg(long, value_enum, default_value_t = AlbTargetArg::Instance)]
    pub target: AlbTargetArg,
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

/// How to price the REST side and how much detail to give.
#[derive(Debug, Args)]
pub struct CompareOptionsArgs {
    /// Add a REST API cache of this size in GB (one of AWS's sizes: 0.5, 1.6, 6.1, 13.5, 28.4,
    /// 58.2, 118, 237), billed for every hour of each calendar month.
    #[arg(long, value_name = "SIZE_GB")]
    pub rest_cache: Option<Decimal>,
    /// Hours a month the cache is provisioned, instead of every hour of the month (at most the
    /// month's hours: 744 in a 31-day month; more is refused).
    #[arg(long, value_name = "N", requires = "rest_cache")]
    pub cache_hours: Option<u64>,
    /// How many routes to name where oversize payloads cost money.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub top_routes: usize,
    /// Break HTTP and REST costs down (all months, allocated like the per-route lines): table
    /// and Markdown sections, JSON `by_stage`/`by_status` (`routes` is always there), CSV `by`
    /// and `key` columns with one `total` row per key; HTML report sections. Refused with
    /// `--format infracost-usage`.
    #[arg(long = "by", value_enum, value_delimiter = ',')]
    pub by: Vec<ByArg>,
    /// What the ALB forwards to: instance (instances, containers, IPs: 1 GB per LCU-hour) or
    /// lambda (0.4 GB per LCU-hour).
    #[arg(long, value_enum, default_value_t = AlbTargetArg::Instance)]
    pub alb_target: AlbTargetArg,
    /// Listener rules processed per request (the first 10 are free); default: one per route
    /// seen in the logs.
    #[arg(long, value_name = "N")]
    pub alb_rules: Option<u64>,
    /// For log lines that name no client connection (API Gateway's own logs): requests one
    /// client connection carries, each connection active one minute. Default 1: every request
    /// opens a connection (the most an ALB could bill for them).
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub alb_requests_per_connection: u64,
}

/// `--alb-target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AlbTargetArg {
    Instance,
    Lambda,
}

impl AlbTargetArg {
    pub fn target(self) -> gwcost_pricing::AlbTarget {
        match self {
            AlbTargetArg::Instance => gwcost_pricing::AlbTarget::Instance,
            AlbTargetArg::Lambda => gwcost_pricing::AlbTarget::Lambda,
        }
    }
}

/// `gwcost compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub compare: CompareOptionsArgs,
    #[command(flatten)]
    pub projection: ProjectionArgs,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One self-contained HTML file (inline CSS and SVG charts, no scripts).
    Html,
    /// Markdown with PNG charts written beside it (`NAME-monthly-cost.png`, …).
    Markdown,
}

/// `gwcost report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub compare: CompareOptionsArgs,
    #[command(flatten)]
    pub projection: ProjectionArgs,
    /// Default: `markdown` when FILE ends in `.md`, else `html`.
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// The report file to write (`reports/NAME.html`, `reports/NAME.md`).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
}

/// `gwcost reconcile`.
#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// The Cost and Usage Report export (CUR 2.0 or legacy; CSV, gzipped CSV or Parquet): a
    /// file, `-` for stdin, or the export's folder as synced from S3 (read through its
    /// manifests).
    #[arg(long, value_name = "FILE|DIR")]
    pub cur: PathBuf,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub projection: ProjectionArgs,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConvertTo {
    Parquet,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Access logs in any format `analyze` reads (files, directories, `-` for stdin, s3://,
    /// cloudwatch://; gzip is fine), then the output directory (new or empty):
    /// `OUT/month=YYYY-MM/part-NNNNN.parquet`.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// The format to write.
    #[arg(long, value_enum)]
    pub to: ConvertTo,
    /// Do not draw a progress bar or list skipped lines.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub formats: FormatArgs,
    #[command(flatten)]
    pub cloud: CloudArgs,
    /// AWS region of the s3:// and cloudwatch:// clients (default: AWS_REGION, then the
    /// profile's).
    #[arg(long, value_name = "CODE")]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DialectArg {
    Athena,
    Trino,
    Spark,
    Duckdb,
}

#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The SQL engine the query is written for.
    #[arg(long, value_enum)]
    pub dialect: DialectArg,
    /// The table of schema-v1 logs (default `access_logs`; for DuckDB, `--json-glob` instead).
    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,
    /// DuckDB only: read JSON-lines files matching GLOB (e.g. `'logs/**/*.jsonl*'`) as the table.
    #[arg(long, value_name = "GLOB", conflicts_with = "table")]
    pub json_glob: Option<String>,
    /// Athena only: print the CREATE EXTERNAL TABLE for JSON-lines logs under this S3 prefix
    /// before the query.
    #[arg(long, value_name = "S3_URI")]
    pub athena_ddl: Option<String>,
    /// Spark only: print a CREATE TEMPORARY VIEW of the JSON-lines logs at PATH (file,
    /// directory or glob; `s3a://…` on a cluster) before the query, so `spark-sql -f` runs both.
    #[arg(long, value_name = "PATH")]
    pub spark_json: Option<String>,
    #[command(flatten)]
    pub pricing: PricingArgs,
    /// Which payload HTTP API's 512 KB increments count (default: the price book's, `sum`).
    #[arg(long, value_enum)]
    pub metering_basis: Option<BasisArg>,
}

/// A `--scale` factor: a decimal greater than 0 (`-1` is read here, not as a flag, so it can be
/// called negative).
pub fn parse_scale(s: &str) -> Result<Decimal, String> {
    let d: Decimal = s
        .trim()
        .parse()
        .or_else(|_| Decimal::from_scientific(s.trim()))
        .map_err(|_| format!("{s:?} is not a decimal factor (e.g. 20, 1.5)"))?;
    if d.is_sign_negative() && !d.is_zero() {
        return Err(format!(
            "{s} is negative; the factor must be greater than 0"
        ));
    }
    if d.is_zero() {
        return Err("0 would bill nothing: --scale must be a decimal greater than 0".to_owned());
    }
    Ok(d)
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
    fn scales() {
        assert_eq!(parse_scale("20"), Ok(Decimal::from(20)));
        assert_eq!(parse_scale("1.5"), Ok(Decimal::new(15, 1)));
        assert!(parse_scale("-1").unwrap_err().contains("negative"));
        assert!(parse_scale("0").unwrap_err().contains("greater than 0"));
        assert!(parse_scale("-0").unwrap_err().contains("greater than 0"));
        assert!(parse_scale("lots").is_err());
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

/// `--log-format` and `--input-format`, shared by every command that reads logs (`analyze`,
/// `compare`, `report`, `reconcile`, `convert`).
#[derive(Debug, Clone, Default, Args)]
pub struct FormatArgs {
    /// The stage's access-log format: the template text itself (`{"rid":"$context.requestId",
    /// …}`, CLF or CSV) or `@FILE` holding it, as `aws apigateway get-stage` prints it.
    /// Without it, the schema's names and AWS's documented example formats are read.
    #[arg(long, value_name = "TEMPLATE|@FILE")]
    pub log_format: Option<String>,
    /// Read every input as this format instead of recognising it: lines, csv, parquet,
    /// cloudwatch-export, firehose, log-events, insights-csv, insights-json.
    #[arg(long, value_name = "FORMAT")]
    pub input_format: Option<String>,
}

/// How `s3://` and `cloudwatch://` inputs reach AWS (the region is `--region`); everything else
/// comes from the AWS SDK's standard chain (environment, `~/.aws`, SSO, instance and container
/// roles, `AWS_ENDPOINT_URL`).
#[derive(Debug, Clone, Default, Args)]
pub struct CloudArgs {
    /// AWS profile for s3:// and cloudwatch:// inputs (default: AWS_PROFILE, then `default`).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}
