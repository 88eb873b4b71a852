//! The generator: a time-ordered stream of schema-v1 events shaped like a small production API.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::io::{self, Write};

use gwcost_log::{Direction, EventType, LogRecord, epoch_ms_of_date, utc_month};

use crate::rng::{SplitMix64, mix};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
/// API Gateway's largest payload (10 MB); no generated body exceeds it.
pub const MAX_PAYLOAD_BYTES: u64 = 10 * MIB;
/// API Gateway's largest WebSocket message (128 KB).
pub const MAX_MESSAGE_BYTES: u64 = 128 * KIB;
/// API Gateway's longest WebSocket connection (2 hours).
pub const MAX_CONNECTION_MS: i64 = 2 * 3600 * 1000;
const HTTP_INCREMENT: u64 = 512 * KIB;
const MESSAGE_INCREMENT: u64 = 32 * KIB;
/// The gateway rejections this generator writes; AWS does not bill them (`pricing.md`).
const UNBILLED: [&str; 3] = ["UNAUTHORIZED", "ACCESS_DENIED", "THROTTLED"];

/// What to generate. Two specs that compare equal produce byte-identical output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorpusSpec {
    /// Valid events to write (malformed lines come on top).
    pub events: u64,
    /// Fixes every random choice.
    pub seed: u64,
    /// First instant, ms since the epoch (UTC); normally the first day of a month.
    pub start_ms: i64,
    /// Events spread from `start_ms` to the start of the UTC month `months` after its month.
    pub months: u32,
    /// Share of events that are WebSocket (CONNECT, MESSAGE, DISCONNECT), in percent (0-100).
    pub ws_fraction_percent: u32,
    /// Extra broken lines (truncated JSON, not JSON, wrong types, no timestamp) per million
    /// events. Drawn from a separate stream, so the valid events do not depend on this rate.
    pub malformed_per_million: u32,
    /// Share of REQUEST events that carry HTTP API's `dataProcessed` (request + response bytes),
    /// in percent. 0 by default: the sidecar does not write it.
    pub data_processed_percent: u32,
    /// The `apiId` written on every event.
    pub api_id: String,
}

impl Default for CorpusSpec {
    /// The benchmark corpus of issue 5: 5 M events over 2026-09 and 2026-10, 10 % WebSocket,
    /// about 2.0 GB of JSON lines (some 405 bytes an event). Equal to `gwcost generate --events
    /// 5000000` with its defaults.
    fn default() -> Self {
        Self {
            events: 5_000_000,
            // The seed `gwcost generate` defaults to, so its output is this spec's.
            seed: 2026,
            start_ms: epoch_ms_of_date(2026, 9, 1),
            months: 2,
            ws_fraction_percent: 10,
            malformed_per_million: 0,
            data_processed_percent: 0,
            api_id: "a1b2c3d4e5".to_owned(),
        }
    }
}

impl CorpusSpec {
    /// The spec behind `sample-logs/`: 12,000 events over 2026-09 and 2026-10 (a few MB).
    pub fn sample() -> Self {
        Self {
            events: 12_000,
            seed: 2026,
            ..Self::default()
        }
    }

    /// The first instant after the corpus: 00:00 UTC on the first day of the month `months`
    /// after the month of `start_ms`.
    pub fn end_ms(&self) -> i64 {
        let (y, m) = utc_month(self.start_ms);
        let total = y * 12 + i64::from(m) - 1 + i64::from(self.months);
        let em = u32::try_from(total.rem_euclid(12)).unwrap_or(0) + 1;
        epoch_ms_of_date(total.div_euclid(12), em, 1)
    }

    fn validate(&self) -> io::Result<()> {
        let bad = |what: &str| Err(io::Error::new(io::ErrorKind::InvalidInput, what.to_owned()));
        if self.months == 0 {
            return bad("corpus months must be at least 1");
        }
        if self.ws_fraction_percent > 100 || self.data_processed_percent > 100 {
            return bad("corpus percentages must be 0-100");
        }
        if self.malformed_per_million > 1_000_000 {
            return bad("corpus malformed_per_million must be at most 1,000,000");
        }
        Ok(())
    }
}

/// One UTC month of the corpus as the generator itself meters it, with gwcost's default rules
/// (512 KB HTTP increments of request + response, or `dataProcessed` when written; 32 KB message
/// increments; connection minutes rounded up per connection, in the month it ends; gateway
/// rejections unbilled). Computed from the values as generated, not from the written text, so
/// it is an independent answer for tests of the readers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonthStats {
    /// `YYYY-MM`.
    pub month: String,
    /// REQUEST events.
    pub requests: u64,
    /// REQUEST events that are billed (not UNAUTHORIZED / ACCESS_DENIED / THROTTLED).
    pub billable_requests: u64,
    /// HTTP API units of the billable requests.
    pub http_units: u64,
    /// WebSocket connections that ended this month (AWS bills a connection's minutes in the
    /// month it ends; refused CONNECTs are not connections).
    pub connections: u64,
    /// MESSAGE events.
    pub messages: u64,
    /// 32 KB message units.
    pub message_units: u64,
    /// Connection minutes of the connections that ended this month.
    pub connection_minutes: u64,
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorpusStats {
    /// Lines written (events + malformed lines).
    pub lines: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Valid events (= `spec.events`).
    pub events: u64,
    /// REQUEST events.
    pub requests: u64,
    /// CONNECT events, accepted or refused.
    pub connects: u64,
    /// CONNECT events refused with 401 UNAUTHORIZED.
    pub refused_connects: u64,
    /// MESSAGE events.
    pub messages: u64,
    /// DISCONNECT events (one per accepted connection).
    pub disconnects: u64,
    /// Broken lines.
    pub malformed_lines: u64,
    /// Requests rejected with 401 UNAUTHORIZED.
    pub unauthorized: u64,
    /// Requests rejected with 403 ACCESS_DENIED.
    pub access_denied: u64,
    /// Requests rejected with 429 THROTTLED.
    pub throttled: u64,
    /// Requests answered with a 5xx.
    pub server_errors: u64,
    /// Requests whose response body is over 512 KB.
    pub responses_over_512k: u64,
    /// Requests whose request body is over 512 KB.
    pub requests_over_512k: u64,
    /// Messages over 32 KB.
    pub messages_over_32k: u64,
    /// Requests that carry `dataProcessed`.
    pub with_data_processed: u64,
    /// Per UTC month, in order.
    pub months: Vec<MonthStats>,
}

/// Writes the corpus described by `spec` to `out` as schema-v1 JSON lines, in time order.
///
/// Output is buffered internally (64 KB writes), so `out` need not be a `BufWriter`. The only
/// errors are `out`'s, and `InvalidInput` for a spec that makes no sense (0 months, a
/// percentage over 100).
pub fn generate(spec: &CorpusSpec, out: &mut impl Write) -> io::Result<CorpusStats> {
    spec.validate()?;
    let mut g = Generator::new(spec, out);
    g.run()?;
    g.finish()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Conn {
    id: u64,
    stage: &'static str,
    connected_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum WsEvent {
    Message {
        conn: Conn,
        outbound: bool,
        length: u64,
        route: &'static str,
        message_no: u64,
    },
    Disconnect {
        conn: Conn,
        code: u16,
    },
}

/// A WebSocket event scheduled for later; ordered by time, then by scheduling order.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Pending {
    time: i64,
    seq: u64,
    event: WsEvent,
}

#[derive(Clone, Copy)]
enum Outcome {
    Ok,
    Unauthorized,
    AccessDenied,
    Throttled,
    NotFound,
    UpstreamError,
    IntegrationFailure,
    IntegrationTimeout,
}

/// Outcomes per 10,000 requests.
const OUTCOMES: [(Outcome, u32); 8] = [
    (Outcome::Ok, 9_520),
    (Outcome::Unauthorized, 150),
    (Outcome::AccessDenied, 20),
    (Outcome::Throttled, 50),
    (Outcome::NotFound, 150),
    (Outcome::UpstreamError, 60),
    (Outcome::IntegrationFailure, 30),
    (Outcome::IntegrationTimeout, 20),
];

/// Size buckets: (weight, lowest, highest); log-uniform inside a bucket.
type Buckets = [(u32, u64, u64)];
const MESSAGES_RESPONSE: &Buckets = &[
    (70, 256, 16 * KIB),
    (28, 16 * KIB, 256 * KIB),
    (2, 256 * KIB, 1536 * KIB),
];
const USERS_RESPONSE: &Buckets = &[(100, 180, 4 * KIB)];
const UPLOAD_REQUEST: &Buckets = &[
    (60, KIB, 64 * KIB),
    (30, 64 * KIB, 512 * KIB),
    (8, 512 * KIB + 1, 4 * MIB),
    (2, 4 * MIB, MAX_PAYLOAD_BYTES),
];
const UPLOAD_RESPONSE: &Buckets = &[(100, 60, 400)];
const FILES_RESPONSE: &Buckets = &[
    (45, 4 * KIB, 256 * KIB),
    (35, 256 * KIB, MIB),
    (15, MIB, 4 * MIB),
    (5, 4 * MIB, MAX_PAYLOAD_BYTES),
];
const DEFAULT_RESPONSE: &Buckets = &[(100, 20, 2 * KIB)];
const MESSAGE_SIZES: &Buckets = &[
    (70, 16, KIB),
    (22, KIB, 16 * KIB),
    (5, 16 * KIB, 32 * KIB),
    (3, 32 * KIB + 1, MAX_MESSAGE_BYTES),
];
/// Messages per accepted connection: (weight, fewest, most), uniform inside.
const MESSAGES_PER_CONNECTION: &Buckets = &[(55, 0, 5), (30, 6, 25), (12, 26, 100), (3, 101, 300)];
/// Connection lifetimes in ms, uniform inside a bucket, never over two hours.
const CONNECTION_MS: &Buckets = &[
    (50, 2_000, 120_000),
    (30, 120_001, 1_200_000),
    (15, 1_200_001, 3_600_000),
    (5, 3_600_001, 7_200_000),
];

const ROUTES: [(&str, u32); 5] = [
    ("GET /messages", 45),
    ("GET /users/{id}", 28),
    ("POST /upload", 7),
    ("GET /files/{proxy+}", 11),
    ("$default", 9),
];
const FILES: [&str; 6] = [
    "reports/2026/q3.pdf",
    "images/hero.jpg",
    "exports/users.csv",
    "videos/intro.mp4",
    "docs/manual.html",
    "backups/db-snapshot.tar.gz",
];
const DEFAULT_PATHS: [&str; 6] = [
    "/",
    "/health",
    "/favicon.ico",
    "/robots.txt",
    "/v0/legacy/orders",
    "/.well-known/security.txt",
];
const USER_AGENTS: [&str; 6] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "okhttp/4.12.0",
    "python-requests/2.32.3",
    "curl/8.5.0",
    "Go-http-client/2.0",
];
/// Documentation address ranges (RFC 5737): realistic, and nobody's real clients.
const IP_PREFIXES: [&str; 3] = ["203.0.113", "198.51.100", "192.0.2"];
const ID_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// An API Gateway-looking id (`L0SM9cOFvHcCIhw=`): 15 base64 characters and `=`.
fn aws_id(bits: u64, salt: u64) -> String {
    let mut s = String::with_capacity(16);
    let mut x = u128::from(bits) << 64 | u128::from(mix(salt ^ bits));
    for _ in 0..15 {
        s.push(char::from(
            ID_ALPHABET[usize::try_from(x & 63).unwrap_or(0)],
        ));
        x >>= 6;
    }
    s.push('=');
    s
}

fn units(bytes: u64, increment: u64) -> u64 {
    bytes.div_ceil(increment).max(1)
}

struct Generator<'a, W: Write> {
    spec: &'a CorpusSpec,
    out: &'a mut W,
    rng: SplitMix64,
    /// A separate stream for broken lines, so valid events do not depend on their rate.
    broken_rng: SplitMix64,
    start: i64,
    span: u128,
    /// Events emitted or reserved by open connections.
    consumed: u64,
    ws_consumed: u64,
    seq: u64,
    ids: u64,
    pending: BinaryHeap<Reverse<Pending>>,
    stats: CorpusStats,
    months: BTreeMap<(i64, u32), MonthStats>,
    buf: Vec<u8>,
    line: Vec<u8>,
}

impl<'a, W: Write> Generator<'a, W> {
    fn new(spec: &'a CorpusSpec, out: &'a mut W) -> Self {
        let start = spec.start_ms;
        let span = u128::try_from(spec.end_ms() - start).unwrap_or(0);
        Self {
            spec,
            out,
            rng: SplitMix64::new(spec.seed),
            broken_rng: SplitMix64::new(mix(spec.seed ^ 0xB40C_E11E)),
            start,
            span,
            consumed: 0,
            ws_consumed: 0,
            seq: 0,
            ids: 0,
            pending: BinaryHeap::new(),
            stats: CorpusStats::default(),
            months: BTreeMap::new(),
            buf: Vec::with_capacity(80 * 1024),
            line: Vec::with_capacity(1024),
        }
    }

    fn end(&self) -> i64 {
        self.spec.end_ms()
    }

    /// A time inside the slot of the `c`-th event: events are spread evenly over the span
    /// with jitter, so any `events`/`months` fills the months and stays in order.
    fn slot_time(&mut self, c: u64) -> i64 {
        let n = u128::from(self.spec.events.max(1));
        let lo = u128::from(c) * self.span / n;
        let hi = (u128::from(c) + 1) * self.span / n;
        let off = lo + u128::from(self.rng.below(u64::try_from(hi - lo).unwrap_or(0)));
        self.start + i64::try_from(off).unwrap_or(0)
    }

    fn sized(&mut self, buckets: &Buckets) -> u64 {
        let weights: Vec<u32> = buckets.iter().map(|b| b.0).collect();
        let (_, lo, hi) = buckets[self.rng.weighted(&weights)];
        self.rng.log_uniform(lo, hi)
    }

    fn uniform(&mut self, buckets: &Buckets) -> u64 {
        let weights: Vec<u32> = buckets.iter().map(|b| b.0).collect();
        let (_, lo, hi) = buckets[self.rng.weighted(&weights)];
        self.rng.range(lo, hi)
    }

    fn next_request_id(&mut self) -> String {
        self.ids += 1;
        // mix is a bijection: ids are unique within a corpus, and the per-seed base keeps
        // corpora of different seeds (merged in one directory) apart.
        aws_id(mix(mix(self.spec.seed).wrapping_add(self.ids)), 0x0052_4551)
    }

    fn stage(&mut self) -> &'static str {
        if self.rng.percent(80) {
            "prod"
        } else {
            "staging"
        }
    }

    fn client(&mut self) -> (String, String) {
        let prefix = self.rng.pick(&IP_PREFIXES).copied().unwrap_or("192.0.2");
        let ip = format!("{prefix}.{}", self.rng.range(1, 254));
        let ua = self.rng.pick(&USER_AGENTS).copied().unwrap_or("curl/8.5.0");
        (ip, ua.to_owned())
    }

    fn run(&mut self) -> io::Result<()> {
        let events = self.spec.events;
        let ws_percent = u64::from(self.spec.ws_fraction_percent);
        while self.consumed < events {
            let remaining = events - self.consumed;
            let want_ws = ws_percent > 0
                && self.ws_consumed * 100 < ws_percent * (self.consumed + 1)
                && remaining >= 2;
            let t = self.slot_time(self.consumed);
            self.flush_pending(t)?;
            if want_ws {
                self.connection(t, remaining)?;
            } else {
                let rec = self.request(t);
                self.consumed += 1;
                self.emit(&rec)?;
            }
        }
        self.flush_pending(i64::MAX)
    }

    fn flush_pending(&mut self, until: i64) -> io::Result<()> {
        while self.pending.peek().is_some_and(|p| p.0.time <= until) {
            if let Some(Reverse(p)) = self.pending.pop() {
                let rec = self.ws_record(p.time, p.event);
                self.emit(&rec)?;
            }
        }
        Ok(())
    }

    fn schedule(&mut self, time: i64, event: WsEvent) {
        self.seq += 1;
        self.pending.push(Reverse(Pending {
            time,
            seq: self.seq,
            event,
        }));
    }

    fn request(&mut self, t: i64) -> LogRecord {
        let weights: Vec<u32> = ROUTES.iter().map(|r| r.1).collect();
        let route = ROUTES[self.rng.weighted(&weights)].0;
        let stage = self.stage();
        let (method, path, mut req_len, ok_len, ok_status): (&str, String, u64, u64, u16) =
            match route {
                "GET /messages" => (
                    "GET",
                    "/messages".into(),
                    0,
                    self.sized(MESSAGES_RESPONSE),
                    200,
                ),
                "GET /users/{id}" => {
                    let id = self.rng.range(1, 99_999);
                    (
                        "GET",
                        format!("/users/{id}"),
                        0,
                        self.sized(USERS_RESPONSE),
                        200,
                    )
                }
                "POST /upload" => {
                    let body = self.sized(UPLOAD_REQUEST);
                    (
                        "POST",
                        "/upload".into(),
                        body,
                        self.sized(UPLOAD_RESPONSE),
                        201,
                    )
                }
                "GET /files/{proxy+}" => {
                    let f = self.rng.pick(&FILES).copied().unwrap_or("index.html");
                    (
                        "GET",
                        format!("/files/{f}"),
                        0,
                        self.sized(FILES_RESPONSE),
                        200,
                    )
                }
                _ => {
                    let p = self.rng.pick(&DEFAULT_PATHS).copied().unwrap_or("/");
                    let m = if self.rng.percent(85) { "GET" } else { "HEAD" };
                    (m, p.to_owned(), 0, self.sized(DEFAULT_RESPONSE), 200)
                }
            };
        let weights: Vec<u32> = OUTCOMES.iter().map(|o| o.1).collect();
        let outcome = OUTCOMES[self.rng.weighted(&weights)].0;
        // (status, response bytes, integration status, gateway error type)
        let (status, resp_len, integration_status, error): (u16, u64, Option<u16>, Option<&str>) =
            match outcome {
                Outcome::Ok => (ok_status, ok_len, Some(ok_status), None),
                Outcome::Unauthorized => (401, 26, None, Some("UNAUTHORIZED")),
                Outcome::AccessDenied => (403, 23, None, Some("ACCESS_DENIED")),
                Outcome::Throttled => (429, 31, None, Some("THROTTLED")),
                Outcome::NotFound => (404, self.rng.range(40, 200), Some(404), None),
                Outcome::UpstreamError => (500, self.rng.range(50, 300), Some(500), None),
                Outcome::IntegrationFailure => (502, 35, None, Some("INTEGRATION_FAILURE")),
                Outcome::IntegrationTimeout => (504, 33, None, Some("INTEGRATION_TIMEOUT")),
            };
        if method == "HEAD" {
            req_len = 0;
        }
        let resp_len = if method == "HEAD" { 0 } else { resp_len };
        let (integration_latency, response_latency) = match outcome {
            Outcome::Unauthorized | Outcome::AccessDenied | Outcome::Throttled => {
                (None, self.rng.range(0, 4))
            }
            Outcome::IntegrationFailure => (None, self.rng.range(5, 60)),
            Outcome::IntegrationTimeout => {
                let l = self.rng.range(30_000, 30_030);
                (Some(l), l + self.rng.range(1, 5))
            }
            _ => {
                // Transfer time grows with size: about 5 ms per 256 KB.
                let l = self.rng.log_uniform(3, 250) + (req_len + resp_len) / (256 * KIB) * 5;
                (Some(l), l + self.rng.range(1, 6))
            }
        };
        let protocol = if self.rng.percent(70) {
            "HTTP/1.1"
        } else {
            "HTTP/2.0"
        };
        let (ip, ua) = self.client();
        let data_processed = (self.spec.data_processed_percent > 0
            && self.rng.percent(self.spec.data_processed_percent))
        .then_some(req_len + resp_len);
        LogRecord {
            request_id: Some(self.next_request_id()),
            request_time_epoch: Some(t),
            event_type: Some(EventType::Request),
            api_id: Some(self.spec.api_id.clone()),
            stage: Some(stage.to_owned()),
            route_key: Some(route.to_owned()),
            http_method: Some(method.to_owned()),
            path: Some(path),
            protocol: Some(protocol.to_owned()),
            status: Some(status),
            request_length: Some(req_len),
            response_length: Some(resp_len),
            data_processed,
            integration_latency,
            response_latency: Some(response_latency),
            integration_status,
            error_response_type: error.map(str::to_owned),
            ip: Some(ip),
            user_agent: Some(ua),
            ..LogRecord::default()
        }
    }

    /// Emits a CONNECT now and schedules the connection's messages and DISCONNECT, reserving
    /// their share of the event budget so the total comes out exact.
    fn connection(&mut self, t: i64, remaining: u64) -> io::Result<()> {
        self.ids += 1;
        let conn = Conn {
            id: mix(mix(self.spec.seed ^ 0xC044_EC71).wrapping_add(self.ids)),
            stage: self.stage(),
            connected_at: t,
        };
        let (ip, ua) = self.client();
        let refused = self.rng.below(1000) < 15;
        let mut rec = LogRecord {
            request_id: Some(self.next_request_id()),
            request_time_epoch: Some(t),
            event_type: Some(EventType::Connect),
            api_id: Some(self.spec.api_id.clone()),
            stage: Some(conn.stage.to_owned()),
            route_key: Some("$connect".to_owned()),
            http_method: Some("GET".to_owned()),
            path: Some("/ws".to_owned()),
            protocol: Some("HTTP/1.1".to_owned()),
            status: Some(101),
            ip: Some(ip),
            user_agent: Some(ua),
            connection_id: Some(aws_id(conn.id, 0xC0)),
            connected_at: Some(t),
            ..LogRecord::default()
        };
        if refused {
            rec.status = Some(401);
            rec.error_response_type = Some("UNAUTHORIZED".to_owned());
            rec.connected_at = None;
            self.consumed += 1;
            self.ws_consumed += 1;
            return self.emit(&rec);
        }
        let messages = self.uniform(MESSAGES_PER_CONNECTION).min(remaining - 2);
        let lifetime = i64::try_from(self.uniform(CONNECTION_MS)).unwrap_or(MAX_CONNECTION_MS);
        let ends = (t + lifetime).min(self.end() - 1).max(t);
        self.consumed += 2 + messages;
        self.ws_consumed += 2 + messages;
        self.emit(&rec)?;
        let lived = u64::try_from(ends - t).unwrap_or(0);
        for message_no in 0..messages {
            let at = t + i64::try_from(self.rng.below(lived + 1)).unwrap_or(0);
            let outbound = self.rng.percent(60);
            let length = self.sized(MESSAGE_SIZES);
            let route = if !outbound && self.rng.percent(60) {
                "sendMessage"
            } else {
                "$default"
            };
            self.schedule(
                at,
                WsEvent::Message {
                    conn,
                    outbound,
                    length,
                    route,
                    message_no,
                },
            );
        }
        let code = [1000u16, 1001, 1006, 1011][self.rng.weighted(&[60, 25, 10, 5])];
        self.schedule(ends, WsEvent::Disconnect { conn, code });
        Ok(())
    }

    fn ws_record(&mut self, t: i64, event: WsEvent) -> LogRecord {
        let request_id = Some(self.next_request_id());
        match event {
            WsEvent::Message {
                conn,
                outbound,
                length,
                route,
                message_no,
            } => LogRecord {
                request_id,
                request_time_epoch: Some(t),
                event_type: Some(EventType::Message),
                api_id: Some(self.spec.api_id.clone()),
                stage: Some(conn.stage.to_owned()),
                route_key: Some(route.to_owned()),
                connection_id: Some(aws_id(conn.id, 0xC0)),
                direction: Some(if outbound {
                    Direction::Out
                } else {
                    Direction::In
                }),
                message_length: Some(length),
                connected_at: Some(conn.connected_at),
                message_id: Some(aws_id(conn.id ^ mix(message_no), 0x4D)),
                ..LogRecord::default()
            },
            WsEvent::Disconnect { conn, code } => LogRecord {
                request_id,
                request_time_epoch: Some(t),
                event_type: Some(EventType::Disconnect),
                api_id: Some(self.spec.api_id.clone()),
                stage: Some(conn.stage.to_owned()),
                route_key: Some("$disconnect".to_owned()),
                status: Some(200),
                connection_id: Some(aws_id(conn.id, 0xC0)),
                connected_at: Some(conn.connected_at),
                disconnect_status_code: Some(code),
                ..LogRecord::default()
            },
        }
    }

    /// Writes one event (perhaps preceded by a broken line) and meters it into the stats.
    fn emit(&mut self, rec: &LogRecord) -> io::Result<()> {
        self.line.clear();
        rec.write_json_line(&mut self.line)
            .map_err(io::Error::other)?;
        if self.spec.malformed_per_million > 0
            && self.broken_rng.per_million(self.spec.malformed_per_million)
        {
            self.broken_line();
        }
        self.buf.extend_from_slice(&self.line);
        self.stats.lines += 1;
        self.stats.events += 1;
        self.meter(rec);
        if self.buf.len() >= 64 * 1024 {
            self.drain()?;
        }
        Ok(())
    }

    /// Appends one line a reader must reject or flag: the usual damage in real log files.
    fn broken_line(&mut self) {
        let n = self.stats.malformed_lines;
        match self.broken_rng.below(4) {
            0 => {
                // A line cut short (a crash mid-write, or a truncated copy).
                let body = self.line.len().saturating_sub(1);
                let cut = usize::try_from(self.broken_rng.below(u64::try_from(body).unwrap_or(0)))
                    .unwrap_or(0);
                self.buf.extend_from_slice(&self.line[..cut.max(1)]);
                self.buf.push(b'\n');
            }
            1 => self
                .buf
                .extend_from_slice(b"upstream connect error or disconnect/reset before headers\n"),
            2 => {
                let s = format!(
                    "{{\"requestId\":\"broken-{n}\",\"requestTimeEpoch\":\"yesterday\",\"eventType\":\"REQUEST\",\"status\":200}}\n"
                );
                self.buf.extend_from_slice(s.as_bytes());
            }
            _ => {
                let s = format!(
                    "{{\"requestId\":\"broken-{n}\",\"eventType\":\"REQUEST\",\"stage\":\"prod\",\"status\":200,\"responseLength\":10}}\n"
                );
                self.buf.extend_from_slice(s.as_bytes());
            }
        }
        self.stats.lines += 1;
        self.stats.malformed_lines += 1;
    }

    fn meter(&mut self, rec: &LogRecord) {
        let t = rec.request_time_epoch.unwrap_or(self.start);
        let key = utc_month(t);
        let m = self.months.entry(key).or_default();
        let s = &mut self.stats;
        match rec.event() {
            EventType::Request => {
                s.requests += 1;
                m.requests += 1;
                let req = rec.request_length.unwrap_or(0);
                let resp = rec.response_length.unwrap_or(0);
                if resp > 512 * KIB {
                    s.responses_over_512k += 1;
                }
                if req > 512 * KIB {
                    s.requests_over_512k += 1;
                }
                if rec.data_processed.is_some() {
                    s.with_data_processed += 1;
                }
                match rec.error_response_type.as_deref() {
                    Some("UNAUTHORIZED") => s.unauthorized += 1,
                    Some("ACCESS_DENIED") => s.access_denied += 1,
                    Some("THROTTLED") => s.throttled += 1,
                    _ => {}
                }
                if rec.status.is_some_and(|st| st >= 500) {
                    s.server_errors += 1;
                }
                let billed = !rec
                    .error_response_type
                    .as_deref()
                    .is_some_and(|e| UNBILLED.contains(&e));
                if billed {
                    m.billable_requests += 1;
                    let bytes = rec.data_processed.unwrap_or(req + resp);
                    m.http_units += units(bytes, HTTP_INCREMENT);
                }
            }
            EventType::Connect => {
                s.connects += 1;
                if rec.status != Some(101) {
                    s.refused_connects += 1;
                }
            }
            EventType::Message => {
                s.messages += 1;
                m.messages += 1;
                let len = rec.message_length.unwrap_or(0);
                if len > 32 * KIB {
                    s.messages_over_32k += 1;
                }
                m.message_units += units(len, MESSAGE_INCREMENT);
            }
            EventType::Disconnect => {
                s.disconnects += 1;
                m.connections += 1;
                let lived = u64::try_from(t - rec.connected_at.unwrap_or(t)).unwrap_or(0);
                m.connection_minutes += lived.div_ceil(60_000).max(1);
            }
            // The generator never writes refused upgrades.
            EventType::Refused => {}
        }
    }

    fn drain(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.stats.bytes += u64::try_from(self.buf.len()).unwrap_or(0);
        self.buf.clear();
        Ok(())
    }

    fn finish(mut self) -> io::Result<CorpusStats> {
        self.drain()?;
        self.out.flush()?;
        let mut stats = self.stats;
        stats.months = self
            .months
            .into_iter()
            .map(|((y, m), mut ms)| {
                ms.month = format!("{y:04}-{m:02}");
                ms
            })
            .collect();
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    fn corpus(spec: &CorpusSpec) -> (Vec<u8>, CorpusStats) {
        let mut out = Vec::new();
        let stats = generate(spec, &mut out).unwrap();
        (out, stats)
    }

    fn small(events: u64) -> CorpusSpec {
        CorpusSpec {
            events,
            ..CorpusSpec::default()
        }
    }

    /// FNV-1a, written out so the pinned value below cannot move with std's hasher.
    fn fnv1a(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }

    fn parsed(bytes: &[u8]) -> Vec<LogRecord> {
        bytes
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| LogRecord::from_json(l).unwrap())
            .collect()
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let (a, sa) = corpus(&small(3_000));
        let (b, sb) = corpus(&small(3_000));
        assert_eq!(a, b);
        assert_eq!(sa, sb);
        let (c, _) = corpus(&CorpusSpec {
            seed: 1,
            ..small(3_000)
        });
        assert_ne!(a, c);
        // Corpora of neighbouring seeds share no request or connection id, so merging them
        // (as sample-logs/ does) never looks like a duplicated event.
        let ids = |bytes: &[u8]| -> HashSet<String> {
            parsed(bytes)
                .into_iter()
                .flat_map(|r| [r.request_id, r.connection_id])
                .flatten()
                .collect()
        };
        let (seven, eight) = (
            corpus(&CorpusSpec {
                seed: 7,
                ..small(2_000)
            })
            .0,
            corpus(&CorpusSpec {
                seed: 8,
                ..small(2_000)
            })
            .0,
        );
        assert!(ids(&seven).is_disjoint(&ids(&eight)));
    }

    #[test]
    fn first_lines_are_pinned() {
        // Changing this value changes every corpus and sample-logs/: regenerate the samples
        // (cargo run -p gwcost-corpus --example make_sample_logs) and say so in the commit.
        let (out, _) = corpus(&small(2_000));
        let first: Vec<&[u8]> = out.split_inclusive(|&b| b == b'\n').take(200).collect();
        assert_eq!(first.len(), 200);
        assert_eq!(fnv1a(&first.concat()), 11_839_800_743_820_296_534);
    }

    #[test]
    fn every_line_parses_in_time_order_inside_the_months() {
        let spec = small(20_000);
        let (out, stats) = corpus(&spec);
        let recs = parsed(&out);
        assert_eq!(recs.len(), 20_000);
        assert_eq!(stats.events, 20_000);
        assert_eq!(stats.lines, 20_000);
        assert_eq!(stats.bytes, out.len() as u64);
        let times: Vec<i64> = recs.iter().map(|r| r.request_time_epoch.unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "not in time order");
        assert!(times[0] >= epoch_ms_of_date(2026, 9, 1));
        assert!(*times.last().unwrap() < epoch_ms_of_date(2026, 11, 1));
        // Both months are populated roughly evenly.
        let sept = times
            .iter()
            .filter(|&&t| t < epoch_ms_of_date(2026, 10, 1))
            .count();
        assert!((9_000..11_000).contains(&sept), "{sept}");
        let ids: HashSet<&str> = recs
            .iter()
            .map(|r| r.request_id.as_deref().unwrap())
            .collect();
        assert_eq!(ids.len(), recs.len(), "request ids repeat");
    }

    #[test]
    fn sizes_stay_within_api_gateway_limits() {
        let (out, _) = corpus(&small(20_000));
        for r in parsed(&out) {
            match r.event() {
                EventType::Request => {
                    assert!(r.request_length.unwrap() <= MAX_PAYLOAD_BYTES);
                    assert!(r.response_length.unwrap() <= MAX_PAYLOAD_BYTES);
                    assert!(r.status.is_some() && r.route_key.is_some() && r.stage.is_some());
                }
                EventType::Message => {
                    let n = r.message_length.unwrap();
                    assert!((1..=MAX_MESSAGE_BYTES).contains(&n), "{n}");
                }
                EventType::Disconnect => {
                    let lived = r.request_time_epoch.unwrap() - r.connected_at.unwrap();
                    assert!((0..=MAX_CONNECTION_MS).contains(&lived), "{lived}");
                }
                EventType::Connect => {}
                EventType::Refused => panic!("the generator writes no refused upgrades"),
            }
        }
    }

    #[test]
    fn has_the_traffic_a_bill_needs() {
        let (out, s) = corpus(&small(50_000));
        let recs = parsed(&out);
        let ws = s.connects + s.messages + s.disconnects;
        assert!((4_500..=5_500).contains(&ws), "websocket events {ws}");
        assert_eq!(s.requests + ws, 50_000);
        assert!(s.unauthorized > 300 && s.throttled > 100 && s.access_denied > 0);
        assert!(s.server_errors > 100);
        assert!(s.refused_connects > 0);
        assert!(s.responses_over_512k > 1_000, "{}", s.responses_over_512k);
        assert!(s.requests_over_512k > 50);
        assert!(s.messages_over_32k > 50);
        let multi_mb = recs
            .iter()
            .filter(|r| r.response_length.unwrap_or(0) > 4 * MIB)
            .count();
        assert!(multi_mb > 50, "{multi_mb}");
        let stages: HashSet<&str> = recs.iter().map(|r| r.stage.as_deref().unwrap()).collect();
        assert_eq!(stages, HashSet::from(["prod", "staging"]));
        let routes: HashSet<&str> = recs
            .iter()
            .filter(|r| r.event() == EventType::Request)
            .map(|r| r.route_key.as_deref().unwrap())
            .collect();
        assert_eq!(routes.len(), 5, "{routes:?}");
        let dirs: HashSet<Direction> = recs.iter().filter_map(|r| r.direction).collect();
        assert_eq!(dirs.len(), 2);
    }

    #[test]
    fn connections_open_before_they_talk_and_close_once() {
        let (out, s) = corpus(&small(30_000));
        // connectionId -> (connected at, disconnected)
        let mut open: HashMap<String, (i64, bool)> = HashMap::new();
        for r in parsed(&out) {
            let t = r.request_time_epoch.unwrap();
            match r.event() {
                EventType::Connect if r.status == Some(101) => {
                    let prev = open.insert(r.connection_id.clone().unwrap(), (t, false));
                    assert!(prev.is_none(), "connection id reused");
                }
                EventType::Message | EventType::Disconnect => {
                    let id = r.connection_id.clone().unwrap();
                    let (at, closed) = open.get_mut(&id).expect("event before its CONNECT");
                    assert!(!*closed, "event after DISCONNECT");
                    assert_eq!(r.connected_at, Some(*at));
                    if r.event() == EventType::Disconnect {
                        *closed = true;
                    }
                }
                _ => {}
            }
        }
        assert!(
            open.values().all(|&(_, closed)| closed),
            "a connection never closed"
        );
        assert_eq!(open.len() as u64, s.disconnects);
    }

    #[test]
    #[allow(clippy::manual_div_ceil)] // written out differently from the generator on purpose
    fn stats_match_a_recount_of_the_text() {
        let (out, s) = corpus(&CorpusSpec {
            data_processed_percent: 30,
            ..small(20_000)
        });
        let mut by_month: BTreeMap<String, [u64; 6]> = BTreeMap::new();
        for r in parsed(&out) {
            let t = r.request_time_epoch.unwrap();
            let (y, m) = utc_month(t);
            let e = by_month.entry(format!("{y:04}-{m:02}")).or_default();
            match r.event() {
                EventType::Request => {
                    e[0] += 1;
                    let rejected = matches!(
                        r.error_response_type.as_deref(),
                        Some("UNAUTHORIZED" | "ACCESS_DENIED" | "THROTTLED")
                    );
                    if !rejected {
                        let bytes = r
                            .data_processed
                            .unwrap_or(r.request_length.unwrap() + r.response_length.unwrap());
                        // ceil(bytes / 512 KiB), at least 1, written out differently on purpose.
                        e[1] += std::cmp::max(1, (bytes + 524_287) / 524_288);
                    }
                }
                EventType::Message => {
                    e[2] += 1;
                    e[3] += std::cmp::max(1, (r.message_length.unwrap() + 32_767) / 32_768);
                }
                EventType::Disconnect => {
                    let ms = t - r.connected_at.unwrap();
                    e[4] += std::cmp::max(1, (ms + 59_999) / 60_000) as u64;
                    e[5] += 1;
                }
                EventType::Connect => {}
                EventType::Refused => panic!("the generator writes no refused upgrades"),
            }
        }
        assert!(s.with_data_processed > 4_000);
        let got: BTreeMap<String, [u64; 6]> = s
            .months
            .iter()
            .map(|m| {
                let v = [
                    m.requests,
                    m.http_units,
                    m.messages,
                    m.message_units,
                    m.connection_minutes,
                    m.connections,
                ];
                (m.month.clone(), v)
            })
            .collect();
        assert_eq!(got, by_month);
        assert_eq!(got.keys().collect::<Vec<_>>(), ["2026-09", "2026-10"]);
    }

    #[test]
    fn broken_lines_come_on_top_of_the_same_events() {
        let clean = corpus(&small(5_000)).0;
        let (dirty, s) = corpus(&CorpusSpec {
            malformed_per_million: 20_000,
            ..small(5_000)
        });
        assert!(
            (50..=160).contains(&s.malformed_lines),
            "{}",
            s.malformed_lines
        );
        assert_eq!(s.lines, 5_000 + s.malformed_lines);
        let mut kept = Vec::new();
        let mut rejected = 0;
        for line in dirty.split_inclusive(|&b| b == b'\n') {
            match LogRecord::from_json(line) {
                Ok(r) if r.request_time_epoch.is_some() => kept.extend_from_slice(line),
                _ => rejected += 1,
            }
        }
        assert_eq!(rejected, s.malformed_lines);
        assert_eq!(kept, clean);
    }

    #[test]
    fn edge_specs() {
        let (out, s) = corpus(&small(0));
        assert!(out.is_empty());
        assert_eq!(s.events, 0);
        let err = generate(
            &CorpusSpec {
                months: 0,
                ..small(10)
            },
            &mut Vec::new(),
        )
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        // A corpus of one event, and one entirely WebSocket.
        assert_eq!(parsed(&corpus(&small(1)).0).len(), 1);
        let (ws, s) = corpus(&CorpusSpec {
            ws_fraction_percent: 100,
            ..small(500)
        });
        assert_eq!(parsed(&ws).len(), 500);
        assert!(s.requests <= 2, "{}", s.requests);
    }

    #[test]
    fn end_is_the_start_of_a_later_month() {
        let spec = CorpusSpec::default();
        assert_eq!(spec.end_ms(), epoch_ms_of_date(2026, 11, 1));
        let dec = CorpusSpec {
            start_ms: epoch_ms_of_date(2026, 12, 15),
            months: 1,
            ..CorpusSpec::default()
        };
        assert_eq!(dec.end_ms(), epoch_ms_of_date(2027, 1, 1));
        let long = CorpusSpec {
            months: 14,
            ..CorpusSpec::default()
        };
        assert_eq!(long.end_ms(), epoch_ms_of_date(2027, 11, 1));
    }
}
