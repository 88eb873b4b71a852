//! The metering fold: events in, usage counters out. Independent of how the events were parsed,
//! and mergeable, so readers can fold line-aligned chunks on several threads and add the results.

use std::collections::{BTreeMap, HashMap, HashSet};

use gwcost_log::EventType;
use gwcost_pricing::{MeteringBasis, PriceBook, Usage, connection_minutes};

use crate::analysis::{
    Analysis, Breakdown, Day, InputsSummary, MAX_MALFORMED_KEPT, Malformed, Month, MonthUsage,
    SizeHistogram,
};
use crate::{AnalyzeOptions, Breakdowns, EventRef};

/// What the fold needs from the price book and the options, copied once.
#[derive(Debug, Clone)]
struct MeterConfig {
    basis: MeteringBasis,
    count_connect_disconnect: bool,
    since_ms: Option<i64>,
    until_ms: Option<i64>,
    breakdowns: Breakdowns,
    dedupe: bool,
}

/// One WebSocket connection as seen so far (its events may be spread over chunks and files).
#[derive(Debug, Clone)]
struct Conn {
    /// `connectedAt` as logged on any of its events.
    connected_at: Option<i64>,
    /// Time of its CONNECT event.
    connect_time: Option<i64>,
    first_seen: i64,
    last_seen: i64,
    /// Time of its DISCONNECT event.
    disconnect_time: Option<i64>,
    stage: String,
    status: Option<u16>,
    /// False while the only thing seen is a refused CONNECT (a 4xx/5xx or a gateway rejection):
    /// such an attempt never becomes a connection and bills no minutes.
    accepted: bool,
}

impl Conn {
    /// Whether two sightings can be one connection: an id is reused only by a connection
    /// accepted at another instant, so different `connectedAt`s are different connections.
    fn same_as(&self, o: &Conn) -> bool {
        match (self.connected_at, o.connected_at) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }

    fn merge(&mut self, o: Conn) {
        self.connected_at = min_opt(self.connected_at, o.connected_at);
        self.connect_time = min_opt(self.connect_time, o.connect_time);
        self.first_seen = self.first_seen.min(o.first_seen);
        self.last_seen = self.last_seen.max(o.last_seen);
        self.disconnect_time = max_opt(self.disconnect_time, o.disconnect_time);
        if self.status.is_none() {
            self.status = o.status;
        }
        self.accepted |= o.accepted;
    }
}

/// The running totals of an analysis; see the module doc.
#[derive(Debug)]
pub struct Tally<'a> {
    book: &'a PriceBook,
    cfg: MeterConfig,
    /// The same traffic hour by hour as an ALB would see it (see `alb.rs`).
    alb: crate::alb::AlbTally,
    lines: u64,
    bytes: u64,
    malformed_count: u64,
    malformed: Vec<Malformed>,
    months: BTreeMap<Month, MonthUsage>,
    days: BTreeMap<Day, Usage>,
    http_sizes: SizeHistogram,
    ws_sizes: SizeHistogram,
    first_ms: Option<i64>,
    last_ms: Option<i64>,
    duplicates_dropped: u64,
    filtered_out: u64,
    /// Connections still open (no DISCONNECT carrying `connectedAt` seen yet).
    conns: HashMap<String, Conn>,
    /// A part of the input (a block read by a worker thread, a Parquet file read side by side):
    /// a DISCONNECT whose connection it never saw opening is kept in `closed_elsewhere` for the
    /// merge, which joins it with the open connection of the parts before.
    part: bool,
    closed_elsewhere: Vec<(String, Conn)>,
    /// Connections billed without a DISCONNECT (their id was reused, or the input ended).
    unclosed: u64,
    /// Connections already billed at their DISCONNECT, by a 64-bit hash of (id, connectedAt):
    /// 8 bytes each instead of the connection, so an event that comes after its DISCONNECT
    /// (Logs Insights lists the newest first) or a repeated DISCONNECT bills nothing again.
    closed: HashSet<u64>,
    seen_ids: HashSet<String>,
    /// Events that bill something (`inputs.billed_lines`).
    billed_lines: u64,
    /// Events read but not billed, by reason (`inputs.not_billed`).
    not_billed: BTreeMap<String, u64>,
    /// Malformed lines by the kind of their reason (`inputs.malformed`).
    malformed_by: BTreeMap<String, u64>,
    /// Files that broke partway, each `FILE: where and why`.
    damaged: Vec<String>,
    /// Files found under a directory and not read, each `FILE: why`, and files reached twice.
    skipped: Vec<String>,
    /// How many of `skipped` are files reached twice.
    repeats: usize,
    /// Inputs in which nothing was understood, with the shape that was seen.
    not_understood: Vec<String>,
    /// The day (days since the epoch) events are being added to, and its usage so far.
    current_day: Option<(i64, Usage)>,
}

const MS_PER_DAY: i64 = 86_400_000;

/// The earlier of two optional times (either one when the other is unknown).
fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The later of two optional times (either one when the other is unknown).
fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// The key of a closed connection: SipHash (fixed keys, so runs agree) of its id and
/// `connectedAt`.
fn closed_key(id: &str, connected_at: i64) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    id.hash(&mut h);
    connected_at.hash(&mut h);
    h.finish()
}

/// Adds one to `map[key]`, allocating the key only the first time.
fn bump_count(map: &mut BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_owned(), 1);
        }
    }
}

/// The kind of a malformed line's reason, for counting by reason: its first clause, before any
/// `:` or `(` that brings the particulars (a column, a value), so `not JSON: expected value at
/// column 5` and `not JSON: EOF at column 9` are one kind.
pub(crate) fn reason_kind(reason: &str) -> &str {
    let end = reason.find([':', '(']).unwrap_or(reason.len());
    let kind = reason[..end].trim();
    if kind.is_empty() { "malformed" } else { kind }
}

fn status_key(status: Option<u16>) -> String {
    status.map_or_else(|| "-".to_owned(), |s| s.to_string())
}

impl<'a> Tally<'a> {
    /// An empty tally metering with `book` under `opts`.
    pub fn new(book: &'a PriceBook, opts: &AnalyzeOptions) -> Self {
        let cfg = MeterConfig {
            basis: opts.metering_basis.unwrap_or(book.http_api.metering_basis),
            count_connect_disconnect: book.websocket.count_connect_disconnect,
            since_ms: opts.since_ms,
            until_ms: opts.until_ms,
            breakdowns: opts.breakdowns,
            dedupe: opts.dedupe,
        };
        Self::with_config(book, cfg)
    }

    /// An empty tally with the same book and options (for a worker thread).
    pub fn empty_like(&self) -> Self {
        Self::with_config(self.book, self.cfg.clone())
    }

    /// An empty tally for a part of the input that will be merged, in input order, into this
    /// one (see `closed_elsewhere`).
    pub(crate) fn empty_part(&self) -> Self {
        let mut t = self.empty_like();
        t.part = true;
        t
    }

    /// Lines read and lines malformed so far.
    pub(crate) fn line_counts(&self) -> (u64, u64) {
        (self.lines, self.malformed_count)
    }

    /// The reason of the first kept malformed line of `file`.
    pub(crate) fn first_malformed_reason(&self, file: &str) -> Option<&str> {
        self.malformed
            .iter()
            .find(|m| m.file == file)
            .map(|m| m.reason.as_str())
    }

    /// Notes that `file` broke partway (what was read before is kept).
    pub(crate) fn damaged(&mut self, file: &str, what: String) {
        self.damaged.push(format!("{file}: {what}"));
    }

    /// The last damage noted, as said.
    pub(crate) fn damage_said(&self) -> Option<String> {
        self.damaged.last().cloned()
    }

    /// Notes that `file`, found under a directory, was not read, and why.
    pub(crate) fn skipped(&mut self, file: &str, why: String) {
        self.skipped.push(format!("{file}: {why}"));
    }

    /// Notes a file reached more than once (read once): said with the skipped files.
    pub(crate) fn skipped_repeat(&mut self, said: String) {
        self.skipped.push(said);
        self.repeats += 1;
    }

    /// Files looked at and not read (skipped for their content; repeats were never counted
    /// among the files to read).
    pub(crate) fn skipped_unread(&self) -> u64 {
        (self.skipped.len() - self.repeats) as u64
    }

    /// What was seen, when not one line of any of `files` could be read: every file skipped or
    /// damaged from its start, or no file at all under the directories named.
    pub(crate) fn nothing_read(
        &self,
        files: usize,
        inputs: &[crate::Input],
    ) -> Option<Vec<String>> {
        if self.lines > 0 {
            return None;
        }
        let unread = self.skipped_unread() as usize + self.damaged.len();
        if files > 0 && unread < files {
            return None;
        }
        let mut seen: Vec<String> = self.skipped.iter().chain(&self.damaged).cloned().collect();
        if files == 0 {
            for i in inputs {
                if let crate::Input::Path(p) = i {
                    seen.push(format!("{}: no files", p.display()));
                }
            }
        }
        Some(seen)
    }

    /// Notes that nothing in `file` was understood, and what it looked like.
    pub(crate) fn not_understood(&mut self, file: &str, shape: String) {
        self.not_understood.push(format!("{file}: {shape}"));
    }

    /// The inputs noted by [`Self::not_understood`], when nothing at all was understood.
    pub(crate) fn nothing_understood(&self) -> Option<Vec<String>> {
        let understood = self.lines - self.malformed_count;
        (understood == 0 && !self.not_understood.is_empty()).then(|| self.not_understood.clone())
    }

    fn with_config(book: &'a PriceBook, cfg: MeterConfig) -> Self {
        Self {
            book,
            cfg,
            alb: crate::alb::AlbTally::default(),
            lines: 0,
            bytes: 0,
            malformed_count: 0,
            malformed: Vec::new(),
            months: BTreeMap::new(),
            days: BTreeMap::new(),
            http_sizes: SizeHistogram::default(),
            ws_sizes: SizeHistogram::default(),
            first_ms: None,
            last_ms: None,
            duplicates_dropped: 0,
            filtered_out: 0,
            conns: HashMap::new(),
            part: false,
            closed_elsewhere: Vec::new(),
            unclosed: 0,
            closed: HashSet::new(),
            seen_ids: HashSet::new(),
            billed_lines: 0,
            not_billed: BTreeMap::new(),
            malformed_by: BTreeMap::new(),
            not_understood: Vec::new(),
            damaged: Vec::new(),
            skipped: Vec::new(),
            repeats: 0,
            current_day: None,
        }
    }

    /// The breakdowns being kept (readers skip the columns no one asked for).
    pub(crate) fn breakdowns(&self) -> Breakdowns {
        self.cfg.breakdowns
    }

    /// Whether `--dedupe` is on: then events must be pushed in input order on one tally.
    pub fn dedupes(&self) -> bool {
        self.cfg.dedupe
    }

    /// Counts `n` lines read (malformed or not).
    pub fn add_lines(&mut self, n: u64) {
        self.lines += n;
    }

    /// Counts `n` bytes read.
    pub fn add_bytes(&mut self, n: u64) {
        self.bytes += n;
    }

    /// Records a line that could not be read.
    pub fn malformed(&mut self, file: &str, line: u64, reason: String) {
        self.malformed_count += 1;
        bump_count(&mut self.malformed_by, reason_kind(&reason));
        if self.malformed.len() < MAX_MALFORMED_KEPT {
            self.malformed.push(Malformed {
                file: file.to_owned(),
                line,
                reason,
            });
        }
    }

    /// Meters one event.
    pub fn push(&mut self, ev: crate::Event) {
        self.push_ref(&ev.as_ref());
    }

    /// Meters one borrowed event (the fast readers' entry: nothing is allocated unless a
    /// breakdown, a new WebSocket connection or `--dedupe` needs it).
    pub fn push_ref(&mut self, ev: &EventRef<'_>) {
        let resolved;
        let ev = if ev.kind == EventType::Refused {
            resolved = EventRef {
                kind: ev.resolved_kind(),
                ..*ev
            };
            &resolved
        } else {
            ev
        };
        if self.cfg.since_ms.is_some_and(|s| ev.time_ms < s)
            || self.cfg.until_ms.is_some_and(|u| ev.time_ms >= u)
        {
            self.filtered_out += 1;
            self.not_billed("outside_window");
            return;
        }
        if self.cfg.dedupe
            && let Some(id) = ev.request_id
            && !self.seen_ids.insert(id.to_owned())
        {
            self.duplicates_dropped += 1;
            self.not_billed("duplicate");
            return;
        }
        if ev.kind == EventType::Refused {
            // An upgrade refused before route selection: neither a request nor a connection.
            self.not_billed("refused_upgrade");
            return;
        }
        self.first_ms = Some(self.first_ms.map_or(ev.time_ms, |f| f.min(ev.time_ms)));
        self.last_ms = Some(self.last_ms.map_or(ev.time_ms, |l| l.max(ev.time_ms)));

        let mut delta = Usage::default();
        match ev.kind {
            EventType::Request => {
                delta.requests = 1;
                delta.response_bytes = ev.response_bytes;
                let units = self.book.request_units(
                    ev.request_bytes,
                    ev.response_bytes,
                    ev.data_processed,
                    Some(self.cfg.basis),
                );
                self.http_sizes.add(units.metered_bytes);
                self.alb.request(
                    ev.time_ms,
                    ev.request_bytes.saturating_add(ev.response_bytes),
                    ev.client_connection_id,
                    ev.client_connected_at_ms,
                );
                if self.book.is_billable(ev.error_response_type) {
                    self.billed_lines += 1;
                    delta.billable_requests = 1;
                    delta.http_units = units.http;
                    delta.oversize_requests = u64::from(units.http > 1);
                    delta.rest_units = units.rest;
                } else {
                    self.not_billed(ev.error_response_type.map_or("-", str::trim));
                }
            }
            EventType::Message => {
                self.billed_lines += 1;
                delta.ws_messages = 1;
                self.alb.message(ev.time_ms, ev.message_bytes.unwrap_or(0));
                delta.ws_message_units = self.book.message_units(ev.message_bytes);
                match ev.message_bytes {
                    Some(b) => self.ws_sizes.add(b),
                    None => delta.ws_messages_unsized = 1,
                }
                self.track_connection(ev);
            }
            EventType::Connect | EventType::Disconnect => {
                if self.cfg.count_connect_disconnect {
                    delta.ws_message_units = 1;
                }
                // A refused CONNECT opens no connection and bills nothing unless CONNECTs
                // count as messages.
                let refused = ev.kind == EventType::Connect
                    && (ev.status.is_some_and(|s| s >= 400)
                        || !self.book.is_billable(ev.error_response_type));
                if refused && !self.cfg.count_connect_disconnect {
                    let reason = match ev.error_response_type.map(str::trim) {
                        Some(t) if !self.book.is_billable(Some(t)) => t,
                        _ => "refused_connect",
                    };
                    self.not_billed(reason);
                } else {
                    self.billed_lines += 1;
                }
                self.track_connection(ev);
            }
            EventType::Refused => return,
        }
        let b = self.cfg.breakdowns;
        if b.any() {
            let route = if b.route { ev.route() } else { "".into() };
            self.add_usage(ev.time_ms, &route, ev.stage(), ev.status, delta);
        } else {
            self.add_usage(ev.time_ms, "", "", None, delta);
        }
    }

    /// Counts one event read but not billed, under `reason`.
    fn not_billed(&mut self, reason: &str) {
        bump_count(&mut self.not_billed, reason);
    }

    fn track_connection(&mut self, ev: &EventRef<'_>) {
        let Some(id) = ev.connection_id.or(ev.request_id) else {
            return;
        };
        let seen = Conn {
            connected_at: ev.connected_at_ms,
            connect_time: (ev.kind == EventType::Connect).then_some(ev.time_ms),
            first_seen: ev.time_ms,
            last_seen: ev.time_ms,
            disconnect_time: (ev.kind == EventType::Disconnect).then_some(ev.time_ms),
            // Filled in only when the connection is first held or billed (no allocation per
            // message of a known connection).
            stage: String::new(),
            status: if ev.kind == EventType::Connect {
                ev.status
            } else {
                None
            },
            accepted: !(ev.kind == EventType::Connect
                && (ev.status.is_some_and(|s| s >= 400)
                    || !self.book.is_billable(ev.error_response_type))),
        };
        if ev.kind == EventType::Disconnect && ev.connected_at_ms.is_some() {
            // Its own duration is known: bill it now and hold nothing.
            self.close(id.to_owned(), seen, ev.stage());
        } else {
            self.open(id, seen, ev.stage());
        }
    }

    /// Adds a sighting of a connection that is not over yet (`stage` names its stage when it
    /// is new here).
    fn open(&mut self, id: &str, mut seen: Conn, stage: &str) {
        if let Some(at) = seen.connected_at
            && self.closed.contains(&closed_key(id, at))
        {
            // Seen after its DISCONNECT, which billed its whole duration.
            return;
        }
        match self.conns.get_mut(id) {
            Some(c) if c.same_as(&seen) => c.merge(seen),
            Some(c) => {
                // The id was reused: the earlier connection ended without a DISCONNECT.
                if seen.stage.is_empty() {
                    seen.stage = stage.to_owned();
                }
                let old = std::mem::replace(c, seen);
                self.bill_unclosed(old);
            }
            None => {
                if seen.stage.is_empty() {
                    seen.stage = stage.to_owned();
                }
                self.conns.insert(id.to_owned(), seen);
            }
        }
    }

    /// A connection's DISCONNECT (with its `connectedAt`): joined with what was seen of it and
    /// billed, or kept for the merge when this part never saw it open.
    fn close(&mut self, id: String, mut closed: Conn, stage: &str) {
        if let Some(at) = closed.connected_at
            && !self.closed.insert(closed_key(&id, at))
        {
            // The same DISCONNECT again (overlapping inputs): billed once.
            return;
        }
        if closed.stage.is_empty() {
            closed.stage = stage.to_owned();
        }
        match self.conns.remove(&id) {
            Some(mut c) if c.same_as(&closed) => {
                c.merge(closed);
                if self.part && c.connect_time.is_none() {
                    // Opened before this part: the parts before may hold its CONNECT.
                    self.closed_elsewhere.push((id, c));
                } else {
                    self.bill_connection(c);
                }
            }
            other => {
                if let Some(old) = other {
                    self.bill_unclosed(old);
                }
                if self.part {
                    self.closed_elsewhere.push((id, closed));
                } else {
                    self.bill_connection(closed);
                }
            }
        }
    }

    /// Bills a connection that will be seen no more; without a DISCONNECT it counts as
    /// unclosed (billed up to its last event).
    fn bill_unclosed(&mut self, c: Conn) {
        if c.accepted && c.disconnect_time.is_none() {
            self.unclosed += 1;
        }
        self.bill_connection(c);
    }

    /// Bills one connection's minutes in the month (and day) it ends; a refused upgrade bills
    /// nothing.
    fn bill_connection(&mut self, c: Conn) {
        if !c.accepted {
            return;
        }
        let start = c.connected_at.or(c.connect_time).unwrap_or(c.first_seen);
        let end = c.disconnect_time.unwrap_or(c.last_seen);
        self.alb.socket(start, end);
        let d = Usage {
            ws_connections: 1,
            ws_connection_minutes: connection_minutes(start, end),
            ..Usage::default()
        };
        self.add_usage(end, "$connect", &c.stage, c.status, d);
    }

    /// Flushes the running day's usage into the day and month maps.
    fn flush_day(&mut self) {
        if let Some((day_index, usage)) = self.current_day.take() {
            let day = Day::of_epoch_ms(day_index * MS_PER_DAY);
            *self.days.entry(day).or_default() += usage;
            self.months.entry(day.month()).or_default().usage += usage;
        }
    }

    fn add_usage(&mut self, time_ms: i64, route: &str, stage: &str, status: Option<u16>, d: Usage) {
        // Logs are mostly in time order: add to the running day and touch the maps only when
        // the day changes (a map lookup and a calendar conversion per event cost more than the
        // rest of the fold).
        let day_index = time_ms.div_euclid(MS_PER_DAY);
        match &mut self.current_day {
            Some((i, u)) if *i == day_index => *u += d,
            _ => {
                self.flush_day();
                self.current_day = Some((day_index, d));
            }
        }
        let b = self.cfg.breakdowns;
        if !b.any() {
            return;
        }
        let month = self.months.entry(Month::of_epoch_ms(time_ms)).or_default();
        fn bump(slot: &mut Option<Breakdown>, key: &str, d: Usage) {
            let map = slot.get_or_insert_with(Breakdown::new);
            match map.get_mut(key) {
                Some(u) => *u += d,
                None => {
                    map.insert(key.to_owned(), d);
                }
            }
        }
        if b.route {
            bump(&mut month.by_route, route, d);
        }
        if b.stage {
            bump(&mut month.by_stage, stage, d);
        }
        if b.status {
            bump(&mut month.by_status, &status_key(status), d);
        }
    }

    /// Adds another tally's totals to this one. Merge chunk tallies in input order so the kept
    /// malformed lines stay in order.
    pub fn merge(&mut self, mut o: Tally<'a>) {
        o.flush_day();
        self.lines += o.lines;
        self.bytes += o.bytes;
        self.malformed_count += o.malformed_count;
        let room = MAX_MALFORMED_KEPT.saturating_sub(self.malformed.len());
        self.malformed.extend(o.malformed.into_iter().take(room));
        for (m, mu) in o.months {
            let slot = self.months.entry(m).or_default();
            slot.usage += mu.usage;
            for (mine, theirs) in [
                (&mut slot.by_route, mu.by_route),
                (&mut slot.by_stage, mu.by_stage),
                (&mut slot.by_status, mu.by_status),
            ] {
                if let Some(theirs) = theirs {
                    let map = mine.get_or_insert_with(Breakdown::new);
                    for (k, u) in theirs {
                        *map.entry(k).or_default() += u;
                    }
                }
            }
        }
        for (d, u) in o.days {
            *self.days.entry(d).or_default() += u;
        }
        self.http_sizes.merge(&o.http_sizes);
        self.ws_sizes.merge(&o.ws_sizes);
        self.first_ms = min_opt(self.first_ms, o.first_ms);
        self.last_ms = max_opt(self.last_ms, o.last_ms);
        self.duplicates_dropped += o.duplicates_dropped;
        self.filtered_out += o.filtered_out;
        // `o` comes after everything merged so far: its DISCONNECTs close connections opened
        // here, then its open connections join (or, on a reused id, follow) the ones here.
        for (id, c) in o.closed_elsewhere {
            self.close(id, c, "");
        }
        for (id, c) in o.conns {
            self.open(&id, c, "");
        }
        self.unclosed += o.unclosed;
        self.closed.extend(o.closed);
        self.seen_ids.extend(o.seen_ids);
        self.billed_lines += o.billed_lines;
        for (mine, theirs) in [
            (&mut self.not_billed, o.not_billed),
            (&mut self.malformed_by, o.malformed_by),
        ] {
            for (k, n) in theirs {
                *mine.entry(k).or_default() += n;
            }
        }
        self.not_understood.extend(o.not_understood);
        self.damaged.extend(o.damaged);
        self.skipped.extend(o.skipped);
        self.alb.merge(o.alb);
    }

    /// Adds tallies of consecutive parts of one input (made by [`Self::empty_part`]), in input
    /// order.
    pub(crate) fn merge_parts(&mut self, parts: Vec<Tally<'a>>) {
        for part in parts {
            self.merge(part);
        }
    }

    /// Closes the books: bills every connection still open (up to its last event) in the month
    /// it ends and returns the analysis.
    pub fn finish(mut self, files: u64) -> Analysis {
        self.flush_day();
        for (_, c) in std::mem::take(&mut self.closed_elsewhere) {
            self.bill_connection(c);
        }
        let conns = std::mem::take(&mut self.conns);
        for (_, c) in conns {
            self.bill_unclosed(c);
        }
        self.flush_day();
        let unclosed = self.unclosed;
        let ws_unsized = self
            .months
            .values()
            .map(|m| m.usage.ws_messages_unsized)
            .sum();
        Analysis {
            inputs: InputsSummary {
                files,
                lines: self.lines,
                malformed_lines: self.malformed_count,
                billed_lines: self.billed_lines,
                not_billed: std::mem::take(&mut self.not_billed),
                malformed_by_reason: std::mem::take(&mut self.malformed_by),
                skipped_files: self.skipped.len() as u64,
                damaged_files: self.damaged.len() as u64,
                bytes: self.bytes,
                first_event_ms: self.first_ms,
                last_event_ms: self.last_ms,
                ws_message_sizes_unknown: ws_unsized,
                duplicates_dropped: self.duplicates_dropped,
                filtered_out: self.filtered_out,
                unclosed_connections: unclosed,
            },
            malformed: self.malformed,
            damaged: self.damaged,
            skipped: self.skipped,
            months: self.months,
            days: self.days,
            http_sizes: self.http_sizes,
            ws_sizes: self.ws_sizes,
            metering_basis: self.cfg.basis,
            alb_hours: self.alb.finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Event;

    fn ev(kind: EventType, time_ms: i64, conn: &str) -> Event {
        Event {
            time_ms,
            kind,
            request_id: None,
            stage: "prod".to_owned(),
            route: "$default".to_owned(),
            status: None,
            request_bytes: 0,
            response_bytes: 0,
            data_processed: None,
            error_response_type: None,
            connection_id: Some(conn.to_owned()),
            connected_at_ms: None,
            message_bytes: None,
            client_connection_id: None,
            client_connected_at_ms: None,
        }
    }

    const DEC_1: i64 = 1_764_547_200_000; // 2025-12-01T00:00:00Z

    fn events() -> Vec<Event> {
        let mut refused = ev(EventType::Connect, DEC_1 + 5_000, "r");
        refused.status = Some(401);
        refused.error_response_type = Some("UNAUTHORIZED".to_owned());
        let mut msg = ev(EventType::Message, DEC_1 + 30_000, "a");
        msg.message_bytes = Some(65_537); // 3 units of 32 KB
        let mut req = ev(EventType::Request, DEC_1 + 40_000, "-");
        req.connection_id = None;
        req.response_bytes = 524_289; // 2 units
        vec![
            ev(EventType::Connect, DEC_1, "a"),
            refused,
            msg,
            req,
            // 2025-12-31T23:59:00Z → 2026-01-01T00:00:00.001Z: 60.001 s → 2 minutes, in January.
            ev(EventType::Connect, DEC_1 + 31 * 86_400_000 - 60_000, "b"),
            ev(EventType::Disconnect, DEC_1 + 31 * 86_400_000 + 1, "b"),
            ev(EventType::Disconnect, DEC_1 + 61_000, "a"),
        ]
    }

    fn fold(book: &PriceBook, evs: &[Event]) -> Analysis {
        let mut t = Tally::new(book, &AnalyzeOptions::default());
        for e in evs {
            t.push(e.clone());
        }
        t.finish(1)
    }

    #[test]
    fn connections_refusals_and_months() {
        let book = PriceBook::aws_us_east_1();
        let a = fold(&book, &events());
        let dec = a.months[&Month::of_epoch_ms(DEC_1)].usage;
        // Connection a: 61 s → 2 minutes in December; the refused CONNECT is no connection.
        assert_eq!(dec.ws_connections, 1);
        assert_eq!(dec.ws_connection_minutes, 2);
        assert_eq!(dec.ws_messages, 1);
        assert_eq!(dec.ws_message_units, 3);
        assert_eq!(dec.requests, 1);
        assert_eq!(dec.http_units, 2);
        let jan = a.months[&Month::of_epoch_ms(DEC_1 + 31 * 86_400_000)].usage;
        assert_eq!(jan.ws_connections, 1);
        assert_eq!(jan.ws_connection_minutes, 2);
        assert_eq!(a.inputs.unclosed_connections, 0);
        // Days add up to months.
        let mut days = Usage::default();
        for u in a.days.values() {
            days += *u;
        }
        assert_eq!(days, a.total_usage());
    }

    #[test]
    fn merging_chunks_equals_one_fold() {
        let book = PriceBook::aws_us_east_1();
        let evs = events();
        let whole = fold(&book, &evs);
        for cut in 0..=evs.len() {
            let opts = AnalyzeOptions::default();
            let mut first = Tally::new(&book, &opts);
            let mut second = first.empty_like();
            for e in &evs[..cut] {
                first.push(e.clone());
            }
            for e in &evs[cut..] {
                second.push(e.clone());
            }
            first.merge(second);
            assert_eq!(first.finish(1), whole, "cut at {cut}");
        }
    }

    /// WebSocket events carrying `connectedAt`, with id `a` reused a week later and `b`
    /// never closed.
    fn ws_events() -> Vec<Event> {
        let with = |kind, t: i64, conn: &str, at: i64| {
            let mut e = ev(kind, t, conn);
            e.connected_at_ms = Some(at);
            if kind == EventType::Connect {
                e.status = Some(101);
            }
            e
        };
        let week = 7 * 86_400_000;
        vec![
            with(EventType::Connect, DEC_1, "a", DEC_1),
            with(EventType::Message, DEC_1 + 10_000, "a", DEC_1),
            with(EventType::Connect, DEC_1 + 20_000, "b", DEC_1 + 20_000),
            with(EventType::Disconnect, DEC_1 + 90_000, "a", DEC_1),
            with(EventType::Message, DEC_1 + 95_000, "b", DEC_1 + 20_000),
            with(EventType::Connect, DEC_1 + week, "a", DEC_1 + week),
            with(EventType::Message, DEC_1 + week + 1_000, "a", DEC_1 + week),
            with(
                EventType::Disconnect,
                DEC_1 + week + 30_000,
                "a",
                DEC_1 + week,
            ),
        ]
    }

    #[test]
    fn a_reused_id_is_two_connections_however_the_input_is_cut() {
        let book = PriceBook::aws_us_east_1();
        let evs = ws_events();
        let whole = fold(&book, &evs);
        let u = whole.total_usage();
        // a: 90 s → 2 min; a again: 30 s → 1 min; b: 20 s → 95 s, unclosed → 2 min.
        assert_eq!(u.ws_connections, 3);
        assert_eq!(u.ws_connection_minutes, 5);
        assert_eq!(whole.inputs.unclosed_connections, 1);
        // Cut into three parts anywhere (blocks on worker threads), merged in input order.
        for i in 0..=evs.len() {
            for j in i..=evs.len() {
                let opts = AnalyzeOptions::default();
                let mut main = Tally::new(&book, &opts);
                for range in [0..i, i..j, j..evs.len()] {
                    let mut part = main.empty_part();
                    for e in &evs[range] {
                        part.push(e.clone());
                    }
                    main.merge(part);
                }
                assert_eq!(main.finish(1), whole, "cut at {i}, {j}");
            }
        }
        // Newest first (Logs Insights' order): the same connections and minutes.
        let mut reversed = evs.clone();
        reversed.reverse();
        let r = fold(&book, &reversed).total_usage();
        assert_eq!(
            (r.ws_connections, r.ws_connection_minutes),
            (u.ws_connections, u.ws_connection_minutes)
        );
    }

    #[test]
    fn connect_and_disconnect_can_count_as_messages() {
        let mut book = PriceBook::aws_us_east_1();
        let plain = fold(&book, &events()).total_usage();
        book.websocket.count_connect_disconnect = true;
        let counted = fold(&book, &events()).total_usage();
        // 3 CONNECTs (one refused) and 2 DISCONNECTs each add one unit.
        assert_eq!(counted.ws_message_units, plain.ws_message_units + 5);
        assert_eq!(counted.ws_messages, plain.ws_messages);
    }

    #[test]
    fn unclosed_connection_billed_to_last_event() {
        let book = PriceBook::aws_us_east_1();
        let mut m = ev(EventType::Message, DEC_1 + 150_000, "x");
        m.connected_at_ms = Some(DEC_1);
        let a = fold(&book, &[m]);
        assert_eq!(a.inputs.unclosed_connections, 1);
        // connectedAt 00:00:00 to the message at 00:02:30 → 3 minutes.
        assert_eq!(a.total_usage().ws_connection_minutes, 3);
        assert_eq!(a.total_usage().ws_messages_unsized, 1);
    }
}
