//! Live counters for `/metrics` (Prometheus text format, names prefixed `gwcost_`): requests by
//! route and status, bytes in and out, billed HTTP units and WebSocket messages, open WebSocket
//! connections, dropped log lines, and the running cost of the current month priced as HTTP API
//! and as REST API by `gwcost-pricing`. Every update on the request path is a relaxed atomic add.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use gwcost_pricing::{BillOptions, PriceBook, Usage, bill_month};

use crate::access_log::LogCounters;

const STATUS_MIN: u16 = 100;
const STATUS_SLOTS: usize = 500;

/// Counters of one route (the last slot collects requests that matched no route).
#[derive(Debug)]
pub struct RouteMetrics {
    pub key: String,
    /// Requests by status 100..=599.
    statuses: Box<[AtomicU64]>,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    http_units: AtomicU64,
}

impl RouteMetrics {
    fn new(key: String) -> Self {
        Self {
            key,
            statuses: (0..STATUS_SLOTS).map(|_| AtomicU64::new(0)).collect(),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            http_units: AtomicU64::new(0),
        }
    }
}

/// The current calendar month's usage (UTC), reset when a new month's first event arrives.
#[derive(Debug, Default)]
struct MonthUsage {
    /// `year * 12 + month - 1` of the month counted.
    month: AtomicI64,
    requests: AtomicU64,
    billable_requests: AtomicU64,
    http_units: AtomicU64,
    rest_units: AtomicU64,
    oversize_requests: AtomicU64,
    response_bytes: AtomicU64,
    ws_connections: AtomicU64,
    ws_messages: AtomicU64,
    ws_message_units: AtomicU64,
    ws_connection_minutes: AtomicU64,
}

#[derive(Debug)]
pub struct Metrics {
    routes: Vec<RouteMetrics>,
    ws_open: AtomicI64,
    ws_connections: AtomicU64,
    ws_messages_in: AtomicU64,
    ws_messages_out: AtomicU64,
    ws_bytes_in: AtomicU64,
    ws_bytes_out: AtomicU64,
    ws_message_units: AtomicU64,
    responses_cut_off: AtomicU64,
    throttled: AtomicU64,
    connections_waited: AtomicU64,
    upstream_busy: AtomicU64,
    month: MonthUsage,
    month_reset: Mutex<()>,
    book: PriceBook,
    free_tier: bool,
}

fn month_key(epoch_ms: i64) -> i64 {
    let (y, m) = gwcost_log::utc_month(epoch_ms);
    y * 12 + i64::from(m) - 1
}

impl Metrics {
    /// `route_keys` in configuration order; an extra slot counts unmatched requests.
    pub fn new(
        route_keys: impl IntoIterator<Item = String>,
        book: PriceBook,
        free_tier: bool,
    ) -> Self {
        let mut routes: Vec<RouteMetrics> = route_keys.into_iter().map(RouteMetrics::new).collect();
        routes.push(RouteMetrics::new("-".to_owned()));
        Self {
            routes,
            ws_open: AtomicI64::new(0),
            ws_connections: AtomicU64::new(0),
            ws_messages_in: AtomicU64::new(0),
            ws_messages_out: AtomicU64::new(0),
            ws_bytes_in: AtomicU64::new(0),
            ws_bytes_out: AtomicU64::new(0),
            ws_message_units: AtomicU64::new(0),
            responses_cut_off: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            connections_waited: AtomicU64::new(0),
            upstream_busy: AtomicU64::new(0),
            month: MonthUsage::default(),
            month_reset: Mutex::new(()),
            book,
            free_tier,
        }
    }

    pub fn book(&self) -> &PriceBook {
        &self.book
    }

    /// The slot of requests that matched no route.
    pub fn unmatched_slot(&self) -> usize {
        self.routes.len() - 1
    }

    /// Makes sure the month counters are the month of `time_ms` (a new month starts from zero).
    fn month_for(&self, time_ms: i64) -> &MonthUsage {
        let key = month_key(time_ms);
        let m = &self.month;
        if m.month.load(Ordering::Acquire) != key {
            let _guard = self.month_reset.lock();
            if m.month.load(Ordering::Acquire) < key {
                for c in [
                    &m.requests,
                    &m.billable_requests,
                    &m.http_units,
                    &m.rest_units,
                    &m.oversize_requests,
                    &m.response_bytes,
                    &m.ws_connections,
                    &m.ws_messages,
                    &m.ws_message_units,
                    &m.ws_connection_minutes,
                ] {
                    c.store(0, Ordering::Relaxed);
                }
                m.month.store(key, Ordering::Release);
            }
        }
        m
    }

    /// Records one finished request.
    pub fn record_request(
        &self,
        slot: usize,
        time_ms: i64,
        status: u16,
        request_bytes: u64,
        response_bytes: u64,
        error_type: Option<&str>,
    ) {
        let Some(r) = self.routes.get(slot) else {
            return;
        };
        let i = usize::from(status.saturating_sub(STATUS_MIN)).min(STATUS_SLOTS - 1);
        r.statuses[i].fetch_add(1, Ordering::Relaxed);
        r.bytes_in.fetch_add(request_bytes, Ordering::Relaxed);
        r.bytes_out.fetch_add(response_bytes, Ordering::Relaxed);
        let m = self.month_for(time_ms);
        m.requests.fetch_add(1, Ordering::Relaxed);
        m.response_bytes
            .fetch_add(response_bytes, Ordering::Relaxed);
        if self.book.is_billable(error_type) {
            let units = self
                .book
                .request_units(request_bytes, response_bytes, None, None);
            r.http_units.fetch_add(units.http, Ordering::Relaxed);
            m.billable_requests.fetch_add(1, Ordering::Relaxed);
            m.http_units.fetch_add(units.http, Ordering::Relaxed);
            m.rest_units.fetch_add(units.rest, Ordering::Relaxed);
            if units.http > 1 {
                m.oversize_requests.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// A request refused by a throttle (429).
    pub fn throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }

    /// A new connection had to wait because `max_connections` were open.
    pub fn connection_waited(&self) {
        self.connections_waited.fetch_add(1, Ordering::Relaxed);
    }

    /// A request refused because the upstream's connections and wait queue were full (503).
    pub fn upstream_busy(&self) {
        self.upstream_busy.fetch_add(1, Ordering::Relaxed);
    }

    pub fn response_cut_off(&self) {
        self.responses_cut_off.fetch_add(1, Ordering::Relaxed);
    }

    pub fn ws_opened(&self) {
        self.ws_open.fetch_add(1, Ordering::Relaxed);
    }

    /// One whole WebSocket data message; `inbound` is client → service.
    pub fn ws_message(&self, time_ms: i64, inbound: bool, bytes: u64) {
        let (count, volume) = if inbound {
            (&self.ws_messages_in, &self.ws_bytes_in)
        } else {
            (&self.ws_messages_out, &self.ws_bytes_out)
        };
        count.fetch_add(1, Ordering::Relaxed);
        volume.fetch_add(bytes, Ordering::Relaxed);
        let units = self.book.message_units(Some(bytes));
        self.ws_message_units.fetch_add(units, Ordering::Relaxed);
        let m = self.month_for(time_ms);
        m.ws_messages.fetch_add(1, Ordering::Relaxed);
        m.ws_message_units.fetch_add(units, Ordering::Relaxed);
    }

    pub fn ws_closed(&self, connected_at_ms: i64, ended_at_ms: i64) {
        self.ws_open.fetch_sub(1, Ordering::Relaxed);
        self.ws_connections.fetch_add(1, Ordering::Relaxed);
        let m = self.month_for(ended_at_ms);
        m.ws_connections.fetch_add(1, Ordering::Relaxed);
        m.ws_connection_minutes.fetch_add(
            gwcost_pricing::connection_minutes(connected_at_ms, ended_at_ms),
            Ordering::Relaxed,
        );
    }

    pub fn ws_open(&self) -> i64 {
        self.ws_open.load(Ordering::Relaxed)
    }

    /// This month's usage so far.
    pub fn month_usage(&self, now_ms: i64) -> Usage {
        let m = self.month_for(now_ms);
        let l = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Usage {
            requests: l(&m.requests),
            billable_requests: l(&m.billable_requests),
            http_units: l(&m.http_units),
            rest_units: l(&m.rest_units),
            oversize_requests: l(&m.oversize_requests),
            response_bytes: l(&m.response_bytes),
            ws_connections: l(&m.ws_connections),
            ws_messages: l(&m.ws_messages),
            ws_message_units: l(&m.ws_message_units),
            ws_messages_unsized: 0,
            ws_connection_minutes: l(&m.ws_connection_minutes),
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self, log: &LogCounters, now_ms: i64) -> String {
        let mut out = String::with_capacity(4096);
        let l = |c: &AtomicU64| c.load(Ordering::Relaxed);

        header(
            &mut out,
            "gwcost_requests_total",
            "counter",
            "HTTP requests by route and status.",
        );
        for r in &self.routes {
            for (i, c) in r.statuses.iter().enumerate() {
                let n = l(c);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "gwcost_requests_total{{route=\"{}\",status=\"{}\"}} {n}",
                        escape(&r.key),
                        i + usize::from(STATUS_MIN)
                    );
                }
            }
        }
        for (name, help, get) in [
            (
                "gwcost_request_bytes_total",
                "Request body bytes received from clients, by route.",
                (|r: &RouteMetrics| &r.bytes_in) as fn(&RouteMetrics) -> &AtomicU64,
            ),
            (
                "gwcost_response_bytes_total",
                "Response body bytes sent to clients, by route.",
                |r: &RouteMetrics| &r.bytes_out,
            ),
            (
                "gwcost_http_billed_units_total",
                "HTTP API metered requests (512 KB increments) of billable requests, by route.",
                |r: &RouteMetrics| &r.http_units,
            ),
        ] {
            header(&mut out, name, "counter", help);
            for r in &self.routes {
                let _ = writeln!(out, "{name}{{route=\"{}\"}} {}", escape(&r.key), l(get(r)));
            }
        }
        for (name, help, inbound, outbound) in [
            (
                "gwcost_websocket_messages_total",
                "WebSocket data messages by direction.",
                &self.ws_messages_in,
                &self.ws_messages_out,
            ),
            (
                "gwcost_websocket_message_bytes_total",
                "WebSocket message payload bytes by direction.",
                &self.ws_bytes_in,
                &self.ws_bytes_out,
            ),
        ] {
            header(&mut out, name, "counter", help);
            let _ = writeln!(out, "{name}{{direction=\"in\"}} {}", l(inbound));
            let _ = writeln!(out, "{name}{{direction=\"out\"}} {}", l(outbound));
        }
        simple(
            &mut out,
            "gwcost_websocket_billed_messages_total",
            "counter",
            "WebSocket metered messages (32 KB increments).",
            l(&self.ws_message_units),
        );
        simple(
            &mut out,
            "gwcost_websocket_connections_total",
            "counter",
            "WebSocket connections closed.",
            l(&self.ws_connections),
        );
        header(
            &mut out,
            "gwcost_websocket_connections_open",
            "gauge",
            "WebSocket connections open now.",
        );
        let _ = writeln!(
            out,
            "gwcost_websocket_connections_open {}",
            self.ws_open.load(Ordering::Relaxed).max(0)
        );
        simple(
            &mut out,
            "gwcost_log_lines_written_total",
            "counter",
            "Access-log lines written to disk.",
            l(&log.written),
        );
        simple(
            &mut out,
            "gwcost_log_lines_dropped_total",
            "counter",
            "Access-log lines lost (queue full or write error).",
            l(&log.dropped),
        );
        simple(
            &mut out,
            "gwcost_log_write_errors_total",
            "counter",
            "Access-log write or reopen failures.",
            l(&log.write_errors),
        );
        simple(
            &mut out,
            "gwcost_responses_cut_off_total",
            "counter",
            "Responses whose body ended early (client gone or upstream broke).",
            l(&self.responses_cut_off),
        );
        simple(
            &mut out,
            "gwcost_requests_throttled_total",
            "counter",
            "Requests refused with 429 by the stage's or a route's throttle (not billed).",
            l(&self.throttled),
        );
        simple(
            &mut out,
            "gwcost_connections_waited_total",
            "counter",
            "Client connections that waited because max_connections were open.",
            l(&self.connections_waited),
        );
        simple(
            &mut out,
            "gwcost_upstream_busy_total",
            "counter",
            "Requests refused with 503: every upstream connection busy and the wait queue full.",
            l(&self.upstream_busy),
        );

        let usage = self.month_usage(now_ms);
        let bill = bill_month(
            &usage,
            &self.book,
            BillOptions {
                free_tier: self.free_tier,
            },
        );
        let (y, mo) = gwcost_log::utc_month(now_ms);
        let month = format!("{y:04}-{mo:02}");
        let meta = &self.book.meta;
        header(
            &mut out,
            "gwcost_price_book_info",
            "gauge",
            "The price book behind gwcost_month_cost_usd (always 1; its name, region and as-of date as labels).",
        );
        let _ = writeln!(
            out,
            "gwcost_price_book_info{{name=\"{}\",region=\"{}\",as_of=\"{}\"}} 1",
            escape(&meta.name),
            escape(&meta.region),
            escape(&meta.as_of)
        );
        header(
            &mut out,
            "gwcost_month_requests",
            "gauge",
            "Requests this calendar month (UTC).",
        );
        let _ = writeln!(
            out,
            "gwcost_month_requests{{month=\"{month}\"}} {}",
            usage.requests
        );
        header(
            &mut out,
            "gwcost_month_http_billed_units",
            "gauge",
            "HTTP API metered requests this month.",
        );
        let _ = writeln!(
            out,
            "gwcost_month_http_billed_units{{month=\"{month}\"}} {}",
            usage.http_units
        );
        header(
            &mut out,
            "gwcost_month_cost_usd",
            "gauge",
            "Running cost this month in USD: the requests priced as HTTP API and as REST API (alternatives), WebSocket, data transfer out.",
        );
        for (api, cost) in [
            ("http", bill.http_api.cost_usd),
            ("rest", bill.rest_api.cost_usd),
            ("websocket", bill.websocket.cost_usd),
            ("data_transfer_out", bill.data_transfer_out.cost_usd),
        ] {
            let _ = writeln!(
                out,
                "gwcost_month_cost_usd{{month=\"{month}\",api=\"{api}\"}} {cost}"
            );
        }
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn simple(out: &mut String, name: &str, kind: &str, help: &str, v: u64) {
    header(out, name, kind, help);
    let _ = writeln!(out, "{name} {v}");
}

/// Prometheus label-value escaping.
fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['\\', '"', '\n']) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n"),
    )
}
