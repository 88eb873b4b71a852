//! gwcost-report: the report models and their renderers.
//!
//! One model per command — [`AnalyzeReport`] for `gwcost analyze`, [`Quote`] for `gwcost quote`
//! — built from metered usage and a price book, and rendered to JSON (the contract other tools
//! read), an aligned terminal table, Markdown and CSV. Every format is rendered from the same
//! model, so they cannot disagree. Money stays an exact `Decimal` in the model; only the table
//! and Markdown renderers round, half-even to cents, when printing.
//!
//! [`CompareReport`] (`gwcost compare` and `gwcost report`) prices the same traffic as HTTP API
//! and REST API (with an optional cache) and is also rendered to an infracost usage file, a
//! self-contained HTML page with inline SVG charts and Markdown with PNG charts (plotters, with
//! DejaVu Sans embedded so no system font is needed). Renderers return text and bytes; writing
//! them is the CLI's job.
//!
//! Depends on `gwcost-pricing` (billing) and `gwcost-analytics` (the usage it reports); it must
//! not read files, parse arguments or depend on the CLI.

mod analyze;
mod charts;
mod compare;
mod compare_render;
mod html;
mod infracost;
mod money;
mod prices;
mod quote;
mod render;
mod table;

pub use analyze::{
    AnalyzeReport, ApiLine, BreakdownRow, InputsLine, Lines, MonthReport, PriceBookLine,
    ReportContext, ReportOptions, SCHEMA_VERSION, TransferLine, WebSocketLine,
};
pub use charts::{CHART_SIZE, Chart, ChartError, chart_png, chart_svg};
pub use compare::{
    ALLOCATION_DP, CacheLine, CompareError, CompareInputs, CompareMonth, CompareOptions,
    CompareReport, Comparison, DayLine, HttpSide, Oversize, OversizeRoute, PayloadSizes, RestSide,
    RouteLine, SizeBucket, TransferSide, WebSocketSide,
};
pub use compare_render::{
    render_compare_csv, render_compare_json, render_compare_markdown, render_compare_table,
};
pub use html::{MarkdownReport, render_html, render_markdown_report};
pub use infracost::render_infracost_usage;
pub use money::{format_bytes, format_count, format_usd};
pub use prices::render_prices_table;
pub use quote::{Quote, QuoteError, QuoteLine, quote_http, quote_rest, quote_websocket};
pub use render::{render_csv, render_json, render_markdown, render_table};

/// Output formats every report can be rendered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
    Markdown,
}
