//! The report's charts, drawn with plotters from a [`CompareReport`]: as SVG (inline in the HTML
//! report) or as PNG (beside the Markdown report).
//!
//! Text is laid out with DejaVu Sans, embedded in the binary and registered with plotters'
//! `ab_glyph` font support, so charts render the same on a machine without any system fonts
//! (the SVG names the `sans-serif` family; the browser draws it with its own sans-serif).
//!
//! Money is drawn from integer micro-dollars (rounded half-even from the exact amounts): chart
//! geometry is the only place amounts become pixels, and no `f64` touches them.

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::compare::{CompareReport, SizeBucket};
use crate::money::format_count;

/// DejaVu Sans 2.37 (Bitstream Vera license, see `assets/DejaVuSans-LICENSE.txt`).
static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// The family every chart's text uses.
const FAMILY: &str = "sans-serif";

const HTTP_COLOR: RGBColor = RGBColor(31, 119, 180);
const REST_COLOR: RGBColor = RGBColor(230, 126, 34);
const CACHE_COLOR: RGBColor = RGBColor(241, 196, 15);
const TRANSFER_COLOR: RGBColor = RGBColor(149, 165, 166);
const WS_COLOR: RGBColor = RGBColor(39, 174, 96);
const LIMIT_COLOR: RGBColor = RGBColor(192, 57, 43);
const TEXT_COLOR: RGBColor = RGBColor(33, 37, 41);

/// Width and height of every chart, in pixels.
pub const CHART_SIZE: (u32, u32) = (900, 380);

/// A chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("the embedded chart font could not be loaded")]
    Font,
    #[error("drawing the {chart} chart failed: {message}")]
    Draw {
        chart: &'static str,
        message: String,
    },
    #[error("encoding the {chart} chart as PNG failed: {message}")]
    Png {
        chart: &'static str,
        message: String,
    },
}

/// The charts of a report, in the order they appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// Monthly cost by API type (stacked bars: requests, cache, data transfer out).
    MonthlyCost,
    /// Billed units per day (lines).
    DailyUnits,
    /// Payload-size histogram with the 32 KB and 512 KB increments marked.
    PayloadSizes,
    /// Cost by route (HTTP vs REST).
    RouteCost,
}

impl Chart {
    pub const ALL: [Chart; 4] = [
        Chart::MonthlyCost,
        Chart::DailyUnits,
        Chart::PayloadSizes,
        Chart::RouteCost,
    ];

    /// A file-name stem for the chart (`monthly-cost`).
    pub fn slug(self) -> &'static str {
        match self {
            Chart::MonthlyCost => "monthly-cost",
            Chart::DailyUnits => "daily-units",
            Chart::PayloadSizes => "payload-sizes",
            Chart::RouteCost => "route-cost",
        }
    }

    /// What the chart shows, for alt text and headings.
    pub fn title(self) -> &'static str {
        match self {
            Chart::MonthlyCost => "Monthly cost by API type",
            Chart::DailyUnits => "Billed units per day",
            Chart::PayloadSizes => "Payload sizes (metered bytes per request or message)",
            Chart::RouteCost => "Cost by route",
        }
    }
}

fn ensure_font() -> Result<(), ChartError> {
    static LOADED: OnceLock<bool> = OnceLock::new();
    let ok = *LOADED.get_or_init(|| register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok());
    if ok { Ok(()) } else { Err(ChartError::Font) }
}

/// An exact amount in whole micro-dollars, rounded half-even, for drawing only.
fn micro_usd(d: Decimal) -> u64 {
    (d * Decimal::from(1_000_000u32))
        .round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven)
        .to_u64()
        .unwrap_or(0)
}

/// An axis label for micro-dollars: as many decimals as the axis scale needs.
fn usd_label(micro: u64, max_micro: u64) -> String {
    let dp = if max_micro >= 10_000_000 {
        0
    } else if max_micro >= 100_000 {
        2
    } else if max_micro >= 1_000 {
        4
    } else {
        6
    };
    let d = Decimal::new(i64::try_from(micro).unwrap_or(i64::MAX), 6)
        .round_dp_with_strategy(dp, RoundingStrategy::MidpointNearestEven);
    format!("${d:.prec$}", prec = dp as usize)
}

/// A size label for a power of two (`32 KiB`).
fn size_label(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = bytes;
    let mut i = 0;
    while v >= 1024 && v.is_multiple_of(1024) && i + 1 < UNITS.len() {
        v /= 1024;
        i += 1;
    }
    format!("{v} {}", UNITS[i])
}

fn font(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&TEXT_COLOR)
}

type DrawResult<E> = Result<(), DrawingAreaErrorKind<E>>;

/// Rounds a maximum up to a "nice" axis end (1, 2 or 5 × a power of ten), at least 1.
fn nice_max(v: u64) -> u64 {
    let v = v.max(1);
    let mut p = 1u64;
    while p.saturating_mul(10) <= v {
        p *= 10;
    }
    for m in [1u64, 2, 5, 10] {
        let c = p.saturating_mul(m);
        if c >= v {
            return c;
        }
    }
    u64::MAX
}

fn no_data<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> DrawResult<DB::ErrorType> {
    root.draw(&Text::new(format!("{title}: no data"), (20, 40), font(16)))
}

/// A chart's frame: its title as caption, the common margin and the x label area; the y label
/// area is as wide as the chart's y labels need.
fn chart_builder<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    chart: Chart,
    y_label_area: u32,
) -> ChartBuilder<'a, 'static, DB> {
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(chart.title(), font(20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(y_label_area);
    builder
}

/// A legend entry's filled square in `color`.
fn legend_swatch(color: RGBColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 6), (x + 12, y + 6)], color.filled())
}

/// Draws the legend of the labelled series at `position`.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> DrawResult<DB::ErrorType> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .label_font(font(13))
        .draw()
}

fn draw_monthly_cost<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: &CompareReport,
) -> DrawResult<DB::ErrorType> {
    if r.months.is_empty() {
        return no_data(root, Chart::MonthlyCost.title());
    }
    let n = r.months.len() as u32;
    // Each month takes 3 slots: HTTP bar, REST bar, gap.
    let max = r
        .months
        .iter()
        .map(|m| {
            micro_usd(m.comparison.rest_api.total_usd)
                .max(micro_usd(m.comparison.http_api.total_usd))
        })
        .max()
        .unwrap_or(0);
    // Headroom above the tallest bar for the legend.
    let y_max = nice_max(max.saturating_add(max / 3));
    let labels: Vec<String> = r.months.iter().map(|m| m.month.clone()).collect();
    let mut chart =
        chart_builder(root, Chart::MonthlyCost, 80).build_cartesian_2d(0u32..n * 3, 0u64..y_max)?;
    let x_fmt = |x: &u32| {
        if x % 3 == 1 {
            labels.get((x / 3) as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    let y_fmt = |y: &u64| usd_label(*y, y_max);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels((n * 3) as usize + 1)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .y_desc("USD")
        .label_style(font(13))
        .axis_desc_style(font(13))
        .draw()?;

    let mut segments: Vec<(u32, u64, u64, RGBColor)> = Vec::new();
    for (i, m) in r.months.iter().enumerate() {
        let c = &m.comparison;
        let x = i as u32 * 3;
        let http = micro_usd(c.http_api.cost_usd);
        let dto = micro_usd(c.data_transfer_out.cost_usd);
        segments.push((x, 0, http, HTTP_COLOR));
        segments.push((x, http, http.saturating_add(dto), TRANSFER_COLOR));
        let rest = micro_usd(c.rest_api.cost_usd);
        let cache = micro_usd(c.rest_api.cache_cost_usd);
        segments.push((x + 1, 0, rest, REST_COLOR));
        let rest_cache = rest.saturating_add(cache);
        segments.push((x + 1, rest, rest_cache, CACHE_COLOR));
        segments.push((
            x + 1,
            rest_cache,
            rest_cache.saturating_add(dto),
            TRANSFER_COLOR,
        ));
    }
    chart.draw_series(segments.iter().filter(|(_, lo, hi, _)| hi > lo).map(
        |(x, lo, hi, color)| {
            let mut bar = Rectangle::new([(*x, *lo), (*x + 1, *hi)], color.filled());
            bar.set_margin(0, 0, 6, 6);
            bar
        },
    ))?;
    let mut legend = vec![
        ("HTTP API requests", HTTP_COLOR),
        ("REST API requests", REST_COLOR),
    ];
    if r.rest_cache.is_some() {
        legend.push(("REST cache", CACHE_COLOR));
    }
    legend.push(("Data transfer out", TRANSFER_COLOR));
    for (label, color) in legend {
        chart
            .draw_series(std::iter::empty::<Rectangle<(u32, u64)>>())?
            .label(label)
            .legend(legend_swatch(color));
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// Picks one series' value from a day.
type DayPick = fn(&crate::compare::DayLine) -> u64;

fn draw_daily_units<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: &CompareReport,
) -> DrawResult<DB::ErrorType> {
    if r.daily.is_empty() {
        return no_data(root, Chart::DailyUnits.title());
    }
    let n = r.daily.len() as u32;
    let max = r
        .daily
        .iter()
        .map(|d| d.http_units.max(d.rest_units).max(d.ws_message_units))
        .max()
        .unwrap_or(0);
    let y_max = nice_max(max.saturating_add(max / 3));
    let days: Vec<String> = r.daily.iter().map(|d| d.day.clone()).collect();
    let mut chart = chart_builder(root, Chart::DailyUnits, 80)
        .margin_right(40)
        .build_cartesian_2d(0u32..n.saturating_sub(1).max(1), 0u64..y_max)?;
    let x_fmt = |x: &u32| days.get(*x as usize).cloned().unwrap_or_default();
    let y_fmt = |y: &u64| format_count(*y);
    chart
        .configure_mesh()
        .x_labels(8)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .y_desc("units")
        .label_style(font(13))
        .axis_desc_style(font(13))
        .draw()?;
    let series: [(&str, RGBColor, DayPick); 3] = [
        ("HTTP API units (512 KB increments)", HTTP_COLOR, |d| {
            d.http_units
        }),
        ("REST API units", REST_COLOR, |d| d.rest_units),
        ("WebSocket message units (32 KB)", WS_COLOR, |d| {
            d.ws_message_units
        }),
    ];
    for (label, color, pick) in series {
        if r.daily.iter().all(|d| pick(d) == 0) {
            continue;
        }
        chart
            .draw_series(LineSeries::new(
                r.daily.iter().enumerate().map(|(i, d)| (i as u32, pick(d))),
                color.stroke_width(2),
            ))?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
            });
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// Index of a bucket's lowest size (bucket 0 holds 0 bytes, bucket k holds [2^(k-1), 2^k)).
fn bucket_index(b: &SizeBucket) -> u32 {
    if b.min_bytes == 0 {
        0
    } else {
        64 - b.min_bytes.leading_zeros()
    }
}

fn draw_payload_sizes<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: &CompareReport,
) -> DrawResult<DB::ErrorType> {
    let http = &r.payload_sizes.http;
    let ws = &r.payload_sizes.websocket;
    if http.is_empty() && ws.is_empty() {
        return no_data(root, Chart::PayloadSizes.title());
    }
    // Always show both increments (bucket 16 starts at 32 KiB, bucket 20 at 512 KiB).
    let lo = http
        .iter()
        .chain(ws)
        .map(bucket_index)
        .min()
        .unwrap_or(16)
        .min(14);
    let hi = http
        .iter()
        .chain(ws)
        .map(bucket_index)
        .max()
        .unwrap_or(20)
        .max(21)
        + 1;
    let max = http.iter().chain(ws).map(|b| b.count).max().unwrap_or(1);
    let y_max = nice_max(max).saturating_mul(2);
    let mut chart = chart_builder(root, Chart::PayloadSizes, 80)
        .build_cartesian_2d(lo..hi, (1u64..y_max).log_scale())?;
    // Every other bucket edge, so the labels do not overlap; the even ones include both
    // increments (bucket 16 starts at 32 KiB, bucket 20 at 512 KiB).
    let x_fmt = |k: &u32| match *k {
        0 => "0 B".to_owned(),
        k if k % 2 == 0 => size_label(1u64 << (k - 1).min(63)),
        _ => String::new(),
    };
    let y_fmt = |y: &u64| format_count(*y);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels((hi - lo) as usize + 1)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .y_desc("count (log scale)")
        .label_style(font(11))
        .axis_desc_style(font(13))
        .draw()?;
    let bars = |buckets: &Vec<SizeBucket>, color: RGBColor, left: bool| {
        buckets
            .iter()
            .map(|b| {
                let k = bucket_index(b);
                // Log scale: a bar starts at 1 and reaches count + 1 so a count of 1 shows.
                let mut bar =
                    Rectangle::new([(k, 1), (k + 1, b.count.saturating_add(1))], color.filled());
                if left {
                    bar.set_margin(0, 0, 3, 24);
                } else {
                    bar.set_margin(0, 0, 24, 3);
                }
                bar
            })
            .collect::<Vec<_>>()
    };
    for (buckets, color, left, label) in [
        (http, HTTP_COLOR, true, "HTTP requests"),
        (ws, WS_COLOR, false, "WebSocket messages"),
    ] {
        if !buckets.is_empty() {
            chart
                .draw_series(bars(buckets, color, left))?
                .label(label)
                .legend(legend_swatch(color));
        }
    }
    for (k, label) in [(16u32, "32 KB (WebSocket)"), (20u32, "512 KB (HTTP API)")] {
        if k > lo && k < hi {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(k, 1), (k, y_max)],
                LIMIT_COLOR.stroke_width(2),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                label.to_owned(),
                (k, y_max / 3),
                font(12).color(&LIMIT_COLOR),
            )))?;
        }
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)
}

/// Picks one API's cost from a route line.
type RoutePick = fn(&crate::compare::RouteLine) -> Decimal;

/// How many routes the route chart shows.
const ROUTE_CHART_ROUTES: usize = 10;

fn draw_route_cost<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: &CompareReport,
) -> DrawResult<DB::ErrorType> {
    let routes: Vec<_> = r.routes.iter().take(ROUTE_CHART_ROUTES).collect();
    if routes.is_empty() {
        return no_data(root, Chart::RouteCost.title());
    }
    let n = routes.len() as u32;
    let max = routes
        .iter()
        .map(|l| micro_usd(l.http_cost_usd).max(micro_usd(l.rest_cost_usd)))
        .max()
        .unwrap_or(0);
    let x_max = nice_max(max.saturating_add(max / 10));
    let names: Vec<String> = routes.iter().map(|l| l.route.clone()).collect();
    let mut chart =
        chart_builder(root, Chart::RouteCost, 190).build_cartesian_2d(0u64..x_max, 0u32..n)?;
    // Busiest route at the top: row 0 is drawn at the top (y = n - 1).
    let y_fmt = |y: &u32| {
        n.checked_sub(y + 1)
            .and_then(|i| names.get(i as usize))
            .cloned()
            .unwrap_or_default()
    };
    let x_fmt = |x: &u64| usd_label(*x, x_max);
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n as usize + 1)
        .y_label_formatter(&y_fmt)
        .x_label_formatter(&x_fmt)
        .x_desc("USD, all months")
        .label_style(font(12))
        .axis_desc_style(font(13))
        .y_label_offset(-12)
        .draw()?;
    let row = |i: usize| n - 1 - i as u32;
    // HTTP in the upper half of each row, REST in the lower.
    let apis: [(&str, RGBColor, (u32, u32), RoutePick); 2] = [
        ("HTTP API", HTTP_COLOR, (4, 16), |l| l.http_cost_usd),
        ("REST API", REST_COLOR, (16, 4), |l| l.rest_cost_usd),
    ];
    for (label, color, (top, bottom), pick) in apis {
        chart
            .draw_series(routes.iter().enumerate().map(|(i, l)| {
                let mut bar = Rectangle::new(
                    [(0, row(i)), (micro_usd(pick(l)), row(i) + 1)],
                    color.filled(),
                );
                bar.set_margin(top, bottom, 0, 0);
                bar
            }))?
            .label(label)
            .legend(legend_swatch(color));
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerRight)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: &CompareReport,
    chart: Chart,
) -> DrawResult<DB::ErrorType> {
    root.fill(&WHITE)?;
    match chart {
        Chart::MonthlyCost => draw_monthly_cost(root, r),
        Chart::DailyUnits => draw_daily_units(root, r),
        Chart::PayloadSizes => draw_payload_sizes(root, r),
        Chart::RouteCost => draw_route_cost(root, r),
    }?;
    root.present()
}

fn draw_error<E: std::error::Error + Send + Sync>(
    chart: Chart,
    e: DrawingAreaErrorKind<E>,
) -> ChartError {
    ChartError::Draw {
        chart: chart.slug(),
        message: e.to_string(),
    }
}

/// Draws the chart on a fresh drawing area of `backend`.
fn draw_on<DB: DrawingBackend>(
    backend: DB,
    r: &CompareReport,
    chart: Chart,
) -> Result<(), ChartError> {
    draw(&backend.into_drawing_area(), r, chart).map_err(|e| draw_error(chart, e))
}

/// The chart as an SVG document (`<svg …>…</svg>`), ready to inline in HTML.
pub fn chart_svg(r: &CompareReport, chart: Chart) -> Result<String, ChartError> {
    ensure_font()?;
    let mut svg = String::new();
    draw_on(SVGBackend::with_string(&mut svg, CHART_SIZE), r, chart)?;
    Ok(svg)
}

/// The chart as a PNG file's bytes.
pub fn chart_png(r: &CompareReport, chart: Chart) -> Result<Vec<u8>, ChartError> {
    ensure_font()?;
    let (w, h) = CHART_SIZE;
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    draw_on(BitMapBackend::with_buffer(&mut rgb, CHART_SIZE), r, chart)?;
    let png_error = |e: png::EncodingError| ChartError::Png {
        chart: chart.slug(),
        message: e.to_string(),
    };
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_compression(png::Compression::Best);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(png_error)?;
        writer.write_image_data(&rgb).map_err(png_error)?;
        writer.finish().map_err(png_error)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(size_label(32 * 1024), "32 KiB");
        assert_eq!(size_label(512 * 1024), "512 KiB");
        assert_eq!(size_label(1), "1 B");
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(7), 10);
        assert_eq!(nice_max(11), 20);
        assert_eq!(nice_max(4_999), 5_000);
        assert_eq!(usd_label(24_500, 30_000), "$0.0245");
        assert_eq!(usd_label(1_500_000, 2_000_000), "$1.50");
        assert_eq!(micro_usd("0.0000035".parse().unwrap()), 4);
        assert_eq!(micro_usd("0.0000025".parse().unwrap()), 2);
    }
}
