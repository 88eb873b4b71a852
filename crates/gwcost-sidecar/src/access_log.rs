//! The access log: events leave the request path through a bounded queue (never blocking; a full
//! queue drops the event and counts it) and a dedicated writer thread turns them into schema-v1
//! lines (`gwcost_log::LogRecord`), batching writes in a `BufWriter` and flushing when the queue is
//! empty. The writer polls the queue every few milliseconds rather than being woken per line. The file keeps a fixed name: it is reopened on SIGHUP (logrotate's `postrotate`) and can
//! rotate itself by size with a retention count. Shutdown drains the queue, flushes and fsyncs.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[cfg(test)]
use gwcost_log::LogRecord;
use gwcost_log::{Direction, EventType};
use http::{HeaderValue, Method, Version};
use tokio::sync::mpsc;

use crate::config::LogConfig;

/// The writer's pause between polls of a busy queue.
const POLL_MIN: Duration = Duration::from_millis(2);
/// The longest pause (an idle queue): a line waits at most this long before it is written.
const POLL_MAX: Duration = Duration::from_millis(50);

/// One HTTP request, as the proxy saw it; formatted off the request path.
#[derive(Debug)]
pub struct RequestEvent {
    pub time_ms: i64,
    pub route_key: &'static str,
    pub method: Method,
    /// The request URI as received (its path is logged, not its query).
    pub uri: http::Uri,
    pub version: Version,
    pub status: u16,
    pub request_length: u64,
    pub response_length: u64,
    pub integration_latency: Option<u64>,
    pub response_latency: u64,
    pub integration_status: Option<u16>,
    pub error_type: Option<&'static str>,
    pub ip: IpAddr,
    pub user_agent: Option<HeaderValue>,
    /// The client connection's number in this process and when it was accepted (ms).
    pub client_connection: u64,
    pub client_connected_at: i64,
}

/// One step of a WebSocket connection.
#[derive(Debug)]
pub struct WsEvent {
    pub kind: EventType,
    pub time_ms: i64,
    pub connection_id: u64,
    pub connected_at: i64,
    pub direction: Option<Direction>,
    pub message_length: Option<u64>,
    pub status: Option<u16>,
    pub disconnect_status_code: Option<u16>,
    /// CONNECT only: the upgrade request.
    pub connect: Option<Box<ConnectInfo>>,
}

impl WsEvent {
    /// The CONNECT line of an upgrade request: `status` 101 when accepted, the gateway's own
    /// answer (with its `errorResponseType`) when refused.
    pub fn connect(connection_id: u64, time_ms: i64, status: u16, request: RequestEvent) -> Self {
        Self {
            kind: EventType::Connect,
            time_ms,
            connection_id,
            connected_at: time_ms,
            direction: None,
            message_length: None,
            status: Some(status),
            disconnect_status_code: None,
            connect: Some(Box::new(ConnectInfo {
                method: request.method,
                uri: request.uri,
                ip: request.ip,
                user_agent: request.user_agent,
                error_type: request.error_type,
                client_connection: request.client_connection,
                client_connected_at: request.client_connected_at,
            })),
        }
    }
}

#[derive(Debug)]
pub struct ConnectInfo {
    pub method: Method,
    pub uri: http::Uri,
    pub ip: IpAddr,
    pub user_agent: Option<HeaderValue>,
    pub error_type: Option<&'static str>,
    pub client_connection: u64,
    pub client_connected_at: i64,
}

/// Unboxed although `Request` is the large variant: it is nearly every event, and a box would
/// cost an allocation per request.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum LogEvent {
    Request(RequestEvent),
    Ws(WsEvent),
    /// Close and reopen the file by name (SIGHUP).
    Reopen,
    /// Write everything queued before this, flush, fsync, then answer.
    Shutdown(std::sync::mpsc::SyncSender<()>),
}

/// Counters the writer shares with `/metrics`.
#[derive(Debug, Default)]
pub struct LogCounters {
    pub written: AtomicU64,
    pub dropped: AtomicU64,
    pub write_errors: AtomicU64,
}

/// The request path's end of the queue. Cloning is cheap.
#[derive(Debug, Clone)]
pub struct LogHandle {
    tx: mpsc::Sender<LogEvent>,
    counters: Arc<LogCounters>,
}

impl LogHandle {
    /// Queues an event without waiting; a full or closed queue drops it and counts it.
    pub fn submit(&self, ev: LogEvent) {
        if self.tx.try_send(ev).is_err() {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn counters(&self) -> &Arc<LogCounters> {
        &self.counters
    }

    /// Asks the writer to reopen the file (waits only for queue space, never for the disk).
    pub async fn reopen(&self) {
        let _ = self.tx.send(LogEvent::Reopen).await;
    }

    /// Drains the queue to disk, fsyncs, and waits (at most `timeout`) for the writer to confirm.
    pub async fn shutdown(&self, timeout: Duration) -> bool {
        let (ack_tx, ack_rx) = std::sync::mpsc::sync_channel(1);
        if tokio::time::timeout(timeout, self.tx.send(LogEvent::Shutdown(ack_tx)))
            .await
            .is_err()
        {
            return false;
        }
        tokio::task::spawn_blocking(move || ack_rx.recv_timeout(timeout).is_ok())
            .await
            .unwrap_or(false)
    }
}

/// Static fields every line carries, and how ids are made unique across restarts.
#[derive(Debug, Clone)]
pub struct LogIdentity {
    pub stage: String,
    pub api_id: Option<String>,
    /// Random per process: ids are `{prefix}{counter}`.
    pub id_prefix: String,
}

impl LogIdentity {
    pub fn new(stage: String, api_id: Option<String>) -> Self {
        Self {
            stage,
            api_id,
            id_prefix: format!("{:012x}", process_nonce() & 0xffff_ffff_ffff),
        }
    }
}

/// A per-process random value without a random-number crate: std's hasher keys are random.
fn process_nonce() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(d.as_nanos());
    }
    h.finish()
}

/// Opens the log (creating it) and starts the writer thread.
pub fn start(
    cfg: &LogConfig,
    identity: LogIdentity,
) -> io::Result<(LogHandle, std::thread::JoinHandle<()>)> {
    let file = open_append(&cfg.path)?;
    let (tx, rx) = mpsc::channel(cfg.queue_capacity);
    let counters = Arc::new(LogCounters::default());
    let size = file.size();
    let mut writer = Writer {
        path: cfg.path.clone(),
        rotate_bytes: cfg.rotate_bytes,
        retain: cfg.retain,
        out: Some(BufWriter::with_capacity(64 * 1024, file)),
        size,
        unflushed_lines: 0,
        last_reopen_try: Instant::now(),
        counters: counters.clone(),
        identity,
        line: Vec::with_capacity(1024),
        seq: 0,
    };
    let handle = std::thread::Builder::new()
        .name("gwcost-log".into())
        .spawn(move || writer.run(rx))?;
    Ok((LogHandle { tx, counters }, handle))
}

/// Where lines go: a file, or standard output when the path is `-` (containers collect it).
#[derive(Debug)]
enum Sink {
    File(File),
    Stdout(io::Stdout),
}

impl Sink {
    fn size(&self) -> u64 {
        match self {
            Self::File(f) => f.metadata().map(|m| m.len()).unwrap_or(0),
            Self::Stdout(_) => 0,
        }
    }

    fn sync(&self) -> io::Result<()> {
        match self {
            Self::File(f) => f.sync_all(),
            Self::Stdout(_) => Ok(()),
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::File(f) => f.write(buf),
            Self::Stdout(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::File(f) => f.flush(),
            Self::Stdout(s) => s.flush(),
        }
    }
}

fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Opens the log for appending. A file that ends inside a line (a write cut off by a full disk
/// or a crash) first gets a newline, so the next line is never glued to the broken one: readers
/// report the broken line alone and keep everything after it.
fn open_append(path: &Path) -> io::Result<Sink> {
    if is_stdout(path) {
        return Ok(Sink::Stdout(io::stdout()));
    }
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)?;
    if ends_mid_line(&mut f)? {
        f.write_all(b"\n")?;
    }
    Ok(Sink::File(f))
}

fn ends_mid_line(f: &mut File) -> io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(false);
    }
    f.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    f.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

struct Writer {
    path: PathBuf,
    rotate_bytes: Option<u64>,
    retain: usize,
    /// `None` after a write error, until the file can be reopened.
    out: Option<BufWriter<Sink>>,
    size: u64,
    /// Lines written to the buffer since the last successful flush: lost if the flush fails.
    unflushed_lines: u64,
    last_reopen_try: Instant,
    counters: Arc<LogCounters>,
    identity: LogIdentity,
    /// Reused for every line so steady-state formatting does not allocate.
    line: Vec<u8>,
    seq: u64,
}

impl Writer {
    /// Polls the queue instead of parking on it: a parked receiver makes every `submit` on the
    /// request path wake this thread (a futex syscall and a context switch per line, the
    /// largest cost in a profile under load). Polled, producers never wake anybody; lines reach
    /// the kernel within `POLL_MAX` and batches grow with the load.
    fn run(&mut self, mut rx: mpsc::Receiver<LogEvent>) {
        let mut idle_polls: u32 = 0;
        loop {
            let mut wrote = false;
            loop {
                match rx.try_recv() {
                    Ok(LogEvent::Shutdown(ack)) => {
                        // Everything queued before the request is written; take what is left too.
                        while let Ok(ev) = rx.try_recv() {
                            if let LogEvent::Request(_) | LogEvent::Ws(_) = ev {
                                self.write_event(&ev);
                            }
                        }
                        self.flush(true);
                        let _ = ack.send(());
                        return;
                    }
                    Ok(LogEvent::Reopen) => {
                        self.flush(true);
                        self.reopen();
                    }
                    Ok(ev) => {
                        self.write_event(&ev);
                        wrote = true;
                    }
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        self.flush(true);
                        return;
                    }
                }
            }
            if wrote {
                // Queue empty: push the batch to the kernel.
                self.flush(false);
                self.maybe_rotate();
                idle_polls = 0;
            } else {
                idle_polls = idle_polls.saturating_add(1);
            }
            // Busy: poll again soon. Idle: back off so an idle sidecar costs nothing.
            let pause = POLL_MIN.saturating_mul(idle_polls.min(25)).max(POLL_MIN);
            std::thread::sleep(pause.min(POLL_MAX));
        }
    }

    fn write_event(&mut self, ev: &LogEvent) {
        if self.out.is_none() && self.last_reopen_try.elapsed() >= Duration::from_secs(1) {
            self.reopen();
        }
        if self.out.is_none() {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.seq += 1;
        self.line.clear();
        crate::log_line::write(&mut self.line, ev, &self.identity, self.seq);
        let ok = match self.out.as_mut() {
            Some(out) => out.write_all(&self.line).is_ok(),
            None => false,
        };
        if ok {
            self.unflushed_lines += 1;
            self.size += self.line.len() as u64;
        } else {
            self.fail();
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn flush(&mut self, sync: bool) {
        let Some(out) = self.out.as_mut() else {
            return;
        };
        let mut ok = out.flush().is_ok();
        if ok && sync {
            ok = out.get_ref().sync().is_ok();
        }
        if ok {
            self.counters
                .written
                .fetch_add(self.unflushed_lines, Ordering::Relaxed);
            self.unflushed_lines = 0;
        } else {
            self.fail();
        }
    }

    /// A write failed: the buffered lines are lost (counted), the file is reopened later (and
    /// then ends any half-written line, see [`open_append`]).
    fn fail(&mut self) {
        self.counters.write_errors.fetch_add(1, Ordering::Relaxed);
        self.counters
            .dropped
            .fetch_add(self.unflushed_lines, Ordering::Relaxed);
        self.unflushed_lines = 0;
        if let Some(out) = self.out.take() {
            // The buffer may hold part of a line; never write it after an error.
            let _ = out.into_parts();
        }
        self.last_reopen_try = Instant::now();
    }

    fn reopen(&mut self) {
        self.last_reopen_try = Instant::now();
        match open_append(&self.path) {
            Ok(f) => {
                self.size = f.size();
                self.out = Some(BufWriter::with_capacity(64 * 1024, f));
            }
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "cannot reopen the access log");
                self.counters.write_errors.fetch_add(1, Ordering::Relaxed);
                self.out = None;
            }
        }
    }

    /// Size rotation: `access.log` → `access.log.1` → … → `access.log.N` (the oldest removed).
    fn maybe_rotate(&mut self) {
        let Some(limit) = self.rotate_bytes else {
            return;
        };
        if is_stdout(&self.path) {
            return;
        }
        if self.size < limit || self.out.is_none() {
            return;
        }
        self.flush(true);
        self.out = None;
        let numbered = |n: usize| {
            let mut p = self.path.clone().into_os_string();
            p.push(format!(".{n}"));
            PathBuf::from(p)
        };
        let _ = std::fs::remove_file(numbered(self.retain));
        for n in (1..self.retain).rev() {
            let from = numbered(n);
            if from.exists() {
                let _ = std::fs::rename(&from, numbered(n + 1));
            }
        }
        if let Err(e) = std::fs::rename(&self.path, numbered(1)) {
            tracing::warn!(error = %e, "cannot rotate the access log");
        }
        self.reopen();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req_event(n: u64) -> LogEvent {
        LogEvent::Request(RequestEvent {
            time_ms: 1_764_547_200_123,
            route_key: "GET /messages",
            method: Method::GET,
            uri: "/messages?x=1".parse().unwrap(),
            version: Version::HTTP_2,
            status: 200,
            request_length: n,
            response_length: 2 * n,
            integration_latency: Some(3),
            response_latency: 4,
            integration_status: Some(200),
            error_type: None,
            ip: "127.0.0.1".parse().unwrap(),
            user_agent: Some(HeaderValue::from_static("t/1")),
            client_connection: 7,
            client_connected_at: 1_764_547_200_000,
        })
    }

    fn lines(p: &Path) -> Vec<LogRecord> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(|l| LogRecord::from_json(l.as_bytes()).unwrap())
            .collect()
    }

    #[tokio::test]
    async fn writes_schema_lines_and_flushes_on_shutdown() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        let cfg = LogConfig {
            path: path.clone(),
            queue_capacity: 16,
            rotate_bytes: None,
            retain: 1,
        };
        let (h, t) = start(&cfg, LogIdentity::new("prod".into(), None)).unwrap();
        for n in 0..10 {
            h.submit(req_event(n));
        }
        assert!(h.shutdown(Duration::from_secs(5)).await);
        t.join().unwrap();
        let recs = lines(&path);
        assert_eq!(recs.len(), 10);
        let ids: std::collections::HashSet<_> = recs.iter().map(|r| r.request_id.clone()).collect();
        assert_eq!(ids.len(), 10);
        let r = &recs[7];
        assert_eq!(r.request_length, Some(7));
        assert_eq!(r.response_length, Some(14));
        assert_eq!(r.path.as_deref(), Some("/messages"));
        assert_eq!(r.protocol.as_deref(), Some("HTTP/2.0"));
        assert_eq!(r.stage.as_deref(), Some("prod"));
        assert_eq!(r.event_type, Some(EventType::Request));
        // `k`, the process's id prefix, the connection's number in hex.
        let conn = r.client_connection_id.as_deref().unwrap();
        assert!(
            conn.starts_with('k') && conn.ends_with("7") && conn.len() == 14,
            "{conn}"
        );
        assert_eq!(r.client_connected_at, Some(1_764_547_200_000));
        assert_eq!(h.counters().written.load(Ordering::Relaxed), 10);
    }

    #[tokio::test]
    async fn full_queue_drops_and_counts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        // Not started: a queue nobody reads, capacity 2.
        let (tx, _rx) = mpsc::channel(2);
        let h = LogHandle {
            tx,
            counters: Arc::default(),
        };
        for n in 0..5 {
            h.submit(req_event(n));
        }
        assert_eq!(h.counters().dropped.load(Ordering::Relaxed), 3);
        drop(path);
    }

    #[tokio::test]
    async fn rotates_by_size_keeping_retain_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        let cfg = LogConfig {
            path: path.clone(),
            queue_capacity: 1024,
            rotate_bytes: Some(300),
            retain: 2,
        };
        let (h, t) = start(&cfg, LogIdentity::new("prod".into(), None)).unwrap();
        for n in 0..20 {
            h.submit(req_event(n));
            // One event per batch so each batch can rotate.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(h.shutdown(Duration::from_secs(5)).await);
        t.join().unwrap();
        let p1 = dir.path().join("access.log.1");
        let p2 = dir.path().join("access.log.2");
        assert!(p1.exists() && p2.exists());
        assert!(!dir.path().join("access.log.3").exists());
        let total = lines(&path).len() + lines(&p1).len() + lines(&p2).len();
        assert!(total < 20, "older files were removed");
        assert!(std::fs::metadata(&p1).unwrap().len() >= 300);
    }
}
