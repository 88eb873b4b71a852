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
//! Every report goes out through one dispatch, [`render`] with one [`Format`]. A projection
//! ([`project`], `--scale` / `--project-month`) scales the analysis before any report prices it,
//! and the reports keep the observed figures beside the projected ones. [`ReconcileReport`]
//! (`gwcost reconcile`) puts an AWS Cost and Usage Report beside what the logs meter.
//!
//! Depends on `gwcost-pricing` (billing) and `gwcost-analytics` (the usage it reports); it must
//! not read files, parse arguments or depend on the CLI.

mod analyze;
mod charts;
mod compare;
mod compare_render;
mod format;
mod front_door;
mod html;
mod infracost;
mod money;
mod prices;
mod projection;
mod quote;
mod reconcile;
mod render;
mod table;

pub use analyze::{
    Accounting, AnalyzeReport, ApiLine, BreakdownRow, InputsLine, Lines, MonthReport,
    PRICES_SCHEMA_VERSION, PriceBookLine, ReportContext, ReportOptions, SCHEMA_VERSION,
    TransferLine, WebSocketLine,
};
pub use charts::{CHART_SIZE, Chart, ChartError, chart_png, chart_svg};
pub use compare::{
    ALLOCATION_DP, CacheLine, CompareError, CompareInputs, CompareMonth, CompareOptions,
    CompareReport, Comparison, DayLine, HttpSide, KeyLine, Oversize, OversizeRoute, PayloadSizes,
    RestSide, RouteLine, SizeBucket, TransferSide, WebSocketSide,
};
pub use format::{AnyReport, Format, RenderError, render};
pub use front_door::{AlbOptions, AlbSide, FrontDoor};
pub use html::{MarkdownReport, render_markdown_report};
pub use money::{format_bytes, format_count, format_usd};
pub use prices::{render_prices_table, render_regions};
pub use projection::{MonthProjection, ProjectError, ProjectionSpec, project};
pub use quote::{Quote, QuoteError, QuoteLine, quote_alb, quote_http, quote_rest, quote_websocket};
pub use reconcile::{
    CurColumns, CurError, CurLayout, CurLine, CurSummary, ReconcileError, ReconcileLine,
    ReconcileMonth, ReconcileOptions, ReconcileReport,
};
