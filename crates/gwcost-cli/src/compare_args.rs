//! The command line of `gwcost compare` and `gwcost report` (clap derive, no logic): the same
//! inputs and flags as `gwcost analyze`, plus the REST cache to price and the output format.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use rust_decimal::Decimal;

use crate::args::InputArgs;

/// How to price the REST side and how much detail to give.
#[derive(Debug, Args)]
pub struct CompareOptionsArgs {
    /// Add a REST API cache of this size in GB (one of AWS's sizes: 0.5, 1.6, 6.1, 13.5, 28.4,
    /// 58.2, 118, 237), billed for every hour of each calendar month.
    #[arg(long, value_name = "SIZE_GB")]
    pub rest_cache: Option<Decimal>,
    /// Hours a month the cache is provisioned, instead of every hour of the month.
    #[arg(long, value_name = "N", requires = "rest_cache")]
    pub cache_hours: Option<u64>,
    /// How many routes to name where oversize payloads cost money.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub top_routes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    Table,
    Json,
    Csv,
    Markdown,
    /// An infracost usage file (YAML) of the busiest month.
    InfracostUsage,
}

/// `gwcost compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub compare: CompareOptionsArgs,
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    pub format: CompareFormat,
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
    /// Default: `markdown` when FILE ends in `.md`, else `html`.
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// The report file to write (`reports/NAME.html`, `reports/NAME.md`).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
}
