//! Test harness: a real upstream (hyper on 127.0.0.1:0, with a hit counter, fixed, chunked,
//! echo, slow and WebSocket endpoints), the real `gwcost-sidecar` binary on port 0, and clients
//! for HTTP/1.1, h2c and h2 over TLS. Everything is loopback, bounded in time, and killed on drop.

use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use gwcost_log::LogRecord;
use http::{Request, Response, StatusCode, Version, header};
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};

pub type TestBody = BoxBody<Bytes, Infallible>;
/// The upstream's response body: fixed bodies never fail, an echoed body may.
pub type UpBody = BoxBody<Bytes, hyper::Error>;

fn up(b: TestBody) -> UpBody {
    b.map_err(|never| match never {}).boxed()
}

/// A body of `n` bytes of a repeating pattern.
pub fn pattern(n: usize) -> Bytes {
    Bytes::from((0..n).map(|i| b'a' + (i % 26) as u8).collect::<Vec<u8>>())
}

pub fn full(b: impl Into<Bytes>) -> TestBody {
    Full::new(b.into()).boxed()
}

/// A body sent as several frames with no length: chunked on HTTP/1.1, DATA frames on HTTP/2.
pub fn chunked(parts: Vec<Bytes>) -> TestBody {
    let frames = parts
        .into_iter()
        .map(|b| Ok::<_, Infallible>(Frame::data(b)));
    BodyExt::boxed(StreamBody::new(futures_util::stream::iter(frames)))
}

// ---------------------------------------------------------------- upstream

/// The service behind the sidecar.
pub struct Upstream {
    pub addr: SocketAddr,
    pub hits: Arc<AtomicUsize>,
    /// TCP connections accepted (to check that the sidecar reuses pooled connections).
    pub conns: Arc<AtomicUsize>,
    /// Request body bytes read by `/sink` (to see how much of a cut body got through).
    pub sunk: Arc<AtomicU64>,
    /// Served at `/jwks.json`.
    pub jwks: Arc<Mutex<String>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Upstream {
    pub async fn start() -> Self {
        Self::start_with_tls(None).await
    }

    /// With `tls`, serves https with that certificate and key (PEM).
    pub async fn start_with_tls(tls: Option<(String, String)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let acceptor = tls.map(|(cert, key)| {
            use rustls_pki_types::pem::PemObject;
            let certs = rustls_pki_types::CertificateDer::pem_slice_iter(cert.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            let key = rustls_pki_types::PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
            let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
            tokio_rustls::TlsAcceptor::from(Arc::new(cfg))
        });
        let conns = Arc::new(AtomicUsize::new(0));
        let jwks = Arc::new(Mutex::new(String::new()));
        let sunk = Arc::new(AtomicU64::new(0));
        let h = hits.clone();
        let c = conns.clone();
        let j = jwks.clone();
        let k = sunk.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                c.fetch_add(1, Ordering::SeqCst);
                let h = h.clone();
                let j = j.clone();
                let k = k.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| {
                        upstream_handle(req, h.clone(), j.clone(), k.clone())
                    });
                    let builder =
                        hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    match acceptor {
                        Some(a) => {
                            if let Ok(s) = a.accept(stream).await {
                                let _ = builder
                                    .serve_connection_with_upgrades(TokioIo::new(s), svc)
                                    .await;
                            }
                        }
                        None => {
                            let _ = builder
                                .serve_connection_with_upgrades(TokioIo::new(stream), svc)
                                .await;
                        }
                    }
                });
            }
        });
        Self {
            addr,
            hits,
            conns,
            sunk,
            jwks,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn tail_number(path: &str) -> usize {
    path.rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

async fn upstream_handle(
    mut req: Request<Incoming>,
    hits: Arc<AtomicUsize>,
    jwks: Arc<Mutex<String>>,
    sunk: Arc<AtomicU64>,
) -> Result<Response<UpBody>, Infallible> {
    let path = req.uri().path().to_owned();
    if path == "/jwks.json" {
        let body = jwks.lock().unwrap().clone();
        return Ok(Response::new(up(full(body))));
    }
    hits.fetch_add(1, Ordering::SeqCst);
    if path.starts_with("/ws") {
        return Ok(ws_upgrade(&mut req, path == "/ws-refuse").map(up));
    }
    let resp = if path.starts_with("/fixed/") {
        // Drain the request first so a body sent with it is counted.
        let _ = req.into_body().collect().await;
        Response::new(full(pattern(tail_number(&path))))
    } else if path.starts_with("/chunked/") {
        let _ = req.into_body().collect().await;
        let n = tail_number(&path);
        let mut parts = Vec::new();
        let mut left = n;
        let mut size = 1000;
        while left > 0 {
            let take = size.min(left);
            parts.push(pattern(take));
            left -= take;
            size += 777;
        }
        Response::new(chunked(parts))
    } else if path == "/echo" || path.starts_with("/files/") || path.starts_with("/messages") {
        // Stream the request body back as it arrives.
        return Ok(Response::new(req.into_body().boxed()));
    } else if path == "/sink" {
        // Reads the body frame by frame, never holding it whole, and counts it.
        let mut body = req.into_body();
        while let Some(Ok(f)) = body.frame().await {
            if let Some(d) = f.data_ref() {
                sunk.fetch_add(d.len() as u64, Ordering::SeqCst);
            }
        }
        Response::new(full("sunk"))
    } else if let Some(rest) = path.strip_prefix("/drip/") {
        // `/drip/N/MS`: N chunks of 1000 bytes, one every MS milliseconds.
        let mut it = rest.split('/').map(|x| x.parse::<u64>().unwrap_or(0));
        let (n, ms) = (it.next().unwrap_or(0), it.next().unwrap_or(0));
        let frames = futures_util::stream::unfold(0u64, move |i| async move {
            if i >= n {
                return None;
            }
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            Some((Ok::<_, Infallible>(Frame::data(pattern(1000))), i + 1))
        });
        Response::new(BodyExt::boxed(StreamBody::new(frames)))
    } else if path.starts_with("/slow/") {
        tokio::time::sleep(Duration::from_millis(tail_number(&path) as u64)).await;
        Response::new(full("slow"))
    } else if path == "/headers" {
        let mut names: Vec<String> = req
            .headers()
            .iter()
            .map(|(k, v)| format!("{}: {}", k, v.to_str().unwrap_or("?")))
            .collect();
        names.sort();
        Response::new(full(names.join("\n")))
    } else if path == "/empty" {
        let mut r = Response::new(full(Bytes::new()));
        *r.status_mut() = StatusCode::NO_CONTENT;
        r
    } else {
        let _ = req.into_body().collect().await;
        Response::new(full(format!("path={path}")))
    };
    Ok(resp.map(up))
}

/// An echo WebSocket server: echoes data messages; `big:N` answers with N binary bytes;
/// `close:CODE` closes with that code; `vanish` drops the connection without a close frame.
fn ws_upgrade(req: &mut Request<Incoming>, refuse: bool) -> Response<TestBody> {
    if refuse {
        let mut r = Response::new(full("no"));
        *r.status_mut() = StatusCode::FORBIDDEN;
        return r;
    }
    let key = req.headers().get("sec-websocket-key").cloned().unwrap();
    assert!(req.headers().get("sec-websocket-extensions").is_none());
    let on = hyper::upgrade::on(req);
    tokio::spawn(async move {
        let io = on.await.unwrap();
        let mut ws = WebSocketStream::from_raw_socket(TokioIo::new(io), Role::Server, None).await;
        while let Some(Ok(m)) = ws.next().await {
            match m {
                Message::Text(t) if t.starts_with("big:") => {
                    let n: usize = t[4..].parse().unwrap();
                    let _ = ws.send(Message::Binary(pattern(n))).await;
                }
                // Vanish: drop the TCP connection without a close frame.
                Message::Text(t) if t.as_str() == "vanish" => return,
                Message::Text(t) if t.starts_with("close:") => {
                    let code: u16 = t[6..].parse().unwrap();
                    let _ = ws
                        .send(Message::Close(Some(CloseFrame {
                            code: CloseCode::from(code),
                            reason: "bye".into(),
                        })))
                        .await;
                }
                m @ (Message::Text(_) | Message::Binary(_)) => {
                    let _ = ws.send(m).await;
                }
                _ => {}
            }
        }
    });
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, "Upgrade")
        .header(header::UPGRADE, "websocket")
        .header("sec-websocket-accept", accept)
        .body(full(Bytes::new()))
        .unwrap()
}

// ---------------------------------------------------------------- sidecar process

pub struct Sidecar {
    pub child: Child,
    pub addr: SocketAddr,
    pub admin: SocketAddr,
    pub dir: tempfile::TempDir,
    pub log_path: PathBuf,
    pub stderr: Arc<Mutex<String>>,
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_gwcost-sidecar")
}

impl Sidecar {
    /// Starts the sidecar with `config` (TOML, may be empty) and extra flags; waits for it to listen.
    pub fn start(config: &str, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, config, extra)
    }

    pub fn start_in(dir: tempfile::TempDir, config: &str, extra: &[&str]) -> Self {
        let log_path = dir.path().join("access.log");
        Self::start_logging_to(dir, log_path, config, extra)
    }

    /// Starts the sidecar with its access log at `log_path` (e.g. `/dev/full`).
    pub fn start_logging_to(
        dir: tempfile::TempDir,
        log_path: PathBuf,
        config: &str,
        extra: &[&str],
    ) -> Self {
        let cfg_path = dir.path().join("sidecar.toml");
        std::fs::write(&cfg_path, config).unwrap();
        let mut child = Command::new(bin())
            .args([
                "--listen",
                "127.0.0.1:0",
                "--admin",
                "127.0.0.1:0",
                "--access-log",
            ])
            .arg(&log_path)
            .arg("--config")
            .arg(&cfg_path)
            .args(extra)
            .env("GWCOST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let collected = Arc::new(Mutex::new(String::new()));
        let c2 = collected.clone();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                c2.lock().unwrap().push_str(&line);
                c2.lock().unwrap().push('\n');
                if !sent && line.contains("listening on") {
                    sent = true;
                    let _ = tx.send(line);
                }
            }
        });
        let line = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "sidecar did not start; stderr:\n{}",
                    collected.lock().unwrap()
                );
            }
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        let addr = words[3].parse().unwrap();
        let admin = words[5].parse().unwrap();
        Self {
            child,
            addr,
            admin,
            dir,
            log_path,
            stderr: collected,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([format!("-{sig}"), self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig}");
    }

    /// Waits (bounded) for the process to exit and returns its exit code.
    pub fn wait_exit(&mut self, within: Duration) -> Option<i32> {
        let end = Instant::now() + within;
        while Instant::now() < end {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Log lines so far.
    pub fn log(&self) -> Vec<LogRecord> {
        read_log(&self.log_path)
    }

    /// Waits until the log has at least `n` lines (the writer flushes when its queue is empty).
    pub async fn wait_log(&self, n: usize) -> Vec<LogRecord> {
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            let recs = self.log();
            if recs.len() >= n || Instant::now() > end {
                return recs;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

pub fn read_log(path: &Path) -> Vec<LogRecord> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| {
            LogRecord::from_json(l.as_bytes())
                .unwrap_or_else(|e| panic!("not a whole JSON line: {l:?}: {e}"))
        })
        .collect()
}

// ---------------------------------------------------------------- clients

/// A response read whole.
#[derive(Debug)]
pub struct Got {
    pub status: StatusCode,
    pub version: Version,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// The protocol a client speaks to the sidecar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    H1,
    H2c,
}

/// One request over a fresh connection.
pub async fn send(addr: SocketAddr, proto: Proto, req: Request<TestBody>) -> Got {
    let stream = TcpStream::connect(addr).await.unwrap();
    let io = TokioIo::new(stream);
    let resp = match proto {
        Proto::H1 => {
            let (mut s, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
            tokio::spawn(conn);
            s.send_request(req).await.unwrap()
        }
        Proto::H2c => {
            let (mut s, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                .await
                .unwrap();
            tokio::spawn(conn);
            s.send_request(req).await.unwrap()
        }
    };
    read_whole(resp).await
}

pub async fn read_whole(resp: Response<Incoming>) -> Got {
    let (parts, body) = resp.into_parts();
    let body = tokio::time::timeout(Duration::from_secs(20), body.collect())
        .await
        .unwrap()
        .unwrap()
        .to_bytes();
    Got {
        status: parts.status,
        version: parts.version,
        headers: parts.headers,
        body,
    }
}

/// A request builder with the right URI form for the protocol.
pub fn request(
    method: &str,
    addr: SocketAddr,
    path: &str,
    proto: Proto,
    body: TestBody,
) -> Request<TestBody> {
    let uri = match proto {
        Proto::H1 => path.to_owned(),
        Proto::H2c => format!("http://{addr}{path}"),
    };
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header("user-agent", "gwcost-test/1");
    if proto == Proto::H1 {
        b = b.header(header::HOST, addr.to_string());
    }
    b.body(body).unwrap()
}

pub async fn get(addr: SocketAddr, path: &str) -> Got {
    send(
        addr,
        Proto::H1,
        request("GET", addr, path, Proto::H1, full(Bytes::new())),
    )
    .await
}

pub fn json(got: &Got) -> serde_json::Value {
    serde_json::from_slice(&got.body).unwrap()
}

/// A self-signed certificate for 127.0.0.1 and localhost: (cert PEM, key PEM).
pub fn self_signed() -> (String, String) {
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    (ck.cert.pem(), ck.signing_key.serialize_pem())
}

/// The log record of the request to `path` (exactly one expected).
pub fn only<'a>(recs: &'a [LogRecord], path: &str) -> &'a LogRecord {
    let found: Vec<&LogRecord> = recs
        .iter()
        .filter(|r| {
            r.path.as_deref() == Some(path) && r.event_type != Some(gwcost_log::EventType::Message)
        })
        .collect();
    assert_eq!(found.len(), 1, "one line for {path}: {recs:#?}");
    found[0]
}

// ---------------------------------------------------------------- raw sockets, processes

/// Writes `bytes` on a fresh connection and reads until the server closes it (or `within`).
pub async fn raw_exchange(addr: SocketAddr, bytes: &[u8], within: Duration) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 8192];
    let end = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(end, s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// A field of /proc/PID/status in kB (`VmRSS`, `VmHWM`).
pub fn proc_status_kb(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// One series' value from the sidecar's /metrics.
pub async fn metric(admin: SocketAddr, series: &str) -> String {
    let text = String::from_utf8(get(admin, "/metrics").await.body.to_vec()).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|r| r.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
        .to_owned()
}

/// The value of the first /metrics series starting with `prefix` (labels included).
pub async fn metric_prefix(admin: SocketAddr, prefix: &str) -> String {
    let text = String::from_utf8(get(admin, "/metrics").await.body.to_vec()).unwrap();
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
        .to_owned()
}
