//! Bounded resources and operations: a WebSocket client that stops reading cannot hold the relay
//! (write timeouts let the timers run), the upstream pool's connection cap and wait queue (503),
//! its idle timeout, the response-body idle timeout, an upstream answer with both
//! `Content-Length` and `Transfer-Encoding`, `--access-log -`, the half-line guard of the log and
//! bounded settings refused with one line naming the key.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use gwcost_log::{EventType, LogRecord};
use http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use crate::util::*;
use crate::websocket::{connect, wait_disconnect};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_client_that_stops_reading_is_closed_by_the_write_timeout() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start(
        &format!(
            "upstream = \"{}\"\n[limits]\nws_write_timeout_ms = 500\n",
            upstream.url()
        ),
        &[],
    );
    let mut ws = connect(&sc, "/ws").await;
    // Ask the upstream for far more than the socket buffers hold, and never read.
    let t0 = Instant::now();
    for _ in 0..200 {
        if tokio::time::timeout(Duration::from_secs(2), ws.send(Message::text("big:120000")))
            .await
            .is_err()
        {
            break;
        }
    }
    let recs = wait_disconnect(&sc).await;
    let elapsed = t0.elapsed();
    assert!(elapsed < Duration::from_secs(8), "closed after {elapsed:?}");
    let d = recs
        .iter()
        .find(|r| r.event_type == Some(EventType::Disconnect))
        .unwrap();
    assert_eq!(d.disconnect_status_code, Some(1006));
    assert_eq!(
        metric(sc.admin, "gwcost_websocket_connections_open").await,
        "0"
    );
    drop(ws);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upstream_pool_caps_connections_and_its_wait_queue() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start(
        &format!(
            "upstream = \"{}\"\n[upstream_pool]\nmax_connections = 1\nmax_waiting = 1\n",
            upstream.url()
        ),
        &["--workers", "1"],
    );
    // Three at once on one thread: one is sent, one waits for the connection, one is refused.
    let a = sc.addr;
    let calls: Vec<_> = (0..3)
        .map(|i| {
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(50 * i)).await;
                get(a, "/slow/600").await.status
            })
        })
        .collect();
    let mut codes = Vec::new();
    for c in calls {
        codes.push(c.await.unwrap().as_u16());
    }
    codes.sort_unstable();
    assert_eq!(codes, [200, 200, 503]);
    assert_eq!(upstream.hits(), 2);
    assert_eq!(upstream.conns.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(metric(sc.admin, "gwcost_upstream_busy_total").await, "1");
    let recs = sc.wait_log(3).await;
    let refused: Vec<&LogRecord> = recs.iter().filter(|r| r.status == Some(503)).collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(
        refused[0].error_response_type.as_deref(),
        Some("INTEGRATION_FAILURE")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_upstream_connections_are_not_reused() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start(
        &format!(
            "upstream = \"{}\"\n[upstream_pool]\nidle_timeout_ms = 200\n",
            upstream.url()
        ),
        &["--workers", "1"],
    );
    let conns = || upstream.conns.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(get(sc.addr, "/a").await.status, StatusCode::OK);
    assert_eq!(get(sc.addr, "/b").await.status, StatusCode::OK);
    assert_eq!(conns(), 1, "reused while fresh");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(get(sc.addr, "/c").await.status, StatusCode::OK);
    assert_eq!(conns(), 2, "a new connection after the idle timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_response_body_is_cut_by_the_idle_timeout() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start(
        &format!(
            "upstream = \"{}\"\n[limits]\nresponse_idle_timeout_ms = 300\n",
            upstream.url()
        ),
        &[],
    );
    // 3 chunks of 1000 bytes, 2 s apart: the first arrives, then the body stalls.
    let t0 = Instant::now();
    let mut s = tokio::net::TcpStream::connect(sc.addr).await.unwrap();
    s.write_all(b"GET /drip/3/2000 HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut got)).await;
    assert!(
        t0.elapsed() < Duration::from_millis(1800),
        "{:?}",
        t0.elapsed()
    );
    let recs = sc.wait_log(1).await;
    let r = only(&recs, "/drip/3/2000");
    assert_eq!(r.response_length, Some(1000));
    assert_eq!(
        metric(sc.admin, "gwcost_responses_cut_off_total").await,
        "1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_length_with_transfer_encoding_from_the_upstream_is_not_forwarded() {
    // A raw upstream answering with both fields: chunked wins (RFC 9112 §6.3).
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
                    .await;
            });
        }
    });
    let sc = Sidecar::start(&format!("upstream = \"http://{addr}\"\n"), &[]);
    let reply = raw_exchange(
        sc.addr,
        b"GET /x HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        Duration::from_secs(5),
    )
    .await;
    let lower = reply.to_ascii_lowercase();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(!lower.contains("content-length: 100"), "{reply}");
    assert!(reply.contains("hello"), "{reply}");
    let recs = sc.wait_log(1).await;
    assert_eq!(only(&recs, "/x").response_length, Some(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_log_dash_writes_lines_to_stdout() {
    let upstream = Upstream::start().await;
    let mut child = Command::new(bin())
        .args(["--listen", "127.0.0.1:0", "--access-log", "-", "--upstream"])
        .arg(upstream.url())
        .env("GWCOST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let addr: std::net::SocketAddr = line.split_whitespace().nth(3).unwrap().parse().unwrap();
    assert_eq!(get(addr, "/via-stdout").await.status, StatusCode::OK);
    let out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut first = String::new();
        BufReader::new(out).read_line(&mut first).unwrap();
        first
    });
    let first = tokio::task::spawn_blocking(move || reader.join().unwrap())
        .await
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let rec = LogRecord::from_json(first.trim_end().as_bytes()).unwrap();
    assert_eq!(rec.path.as_deref(), Some("/via-stdout"));
    assert_eq!(rec.status, Some(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_written_line_is_never_glued_to_the_next() {
    let upstream = Upstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    // What a write cut by a full disk leaves behind.
    std::fs::write(&log, b"{\"requestId\":\"cut-off\",\"sta").unwrap();
    let sc = Sidecar::start_logging_to(dir, log.clone(), "", &["--upstream", &upstream.url()]);
    assert_eq!(get(sc.addr, "/after").await.status, StatusCode::OK);
    for _ in 0..100 {
        if std::fs::read_to_string(&log).unwrap().lines().count() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0], "{\"requestId\":\"cut-off\",\"sta");
    let rec = LogRecord::from_json(lines[1].as_bytes()).unwrap();
    assert_eq!(rec.path.as_deref(), Some("/after"));
}

#[test]
fn out_of_range_settings_are_one_line_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (toml, key) in [
        (
            "[limits]\nintegration_timeout_ms = 9223372036854775807\n",
            "limits.integration_timeout_ms",
        ),
        (
            "[limits]\nws_idle_timeout_secs = 9223372036854775807\n",
            "limits.ws_idle_timeout_secs",
        ),
        (
            "[server]\ndrain_grace_secs = 99999999999\n",
            "server.drain_grace_secs",
        ),
        ("[throttle]\nrate_limit = -1\n", "throttle.rate_limit"),
        (
            "[upstream_pool]\nmax_connections = 0\n",
            "upstream_pool.max_connections",
        ),
        (
            "trusted_proxies = [\"10.0.0.0/33\"]\n",
            "trusted_proxies[0]",
        ),
        (
            "[authorizers.a]\naudiences = [\"x\"]\nhs256_secret = \"s\"\n",
            "authorizers.a.issuer",
        ),
        (
            "[authorizers.a]\nissuer = \"https://i\"\nhs256_secret = \"s\"\n",
            "authorizers.a.audiences",
        ),
        (
            "[authorizers.a]\nissuer = \"https://i\"\naudiences = [\"x\"]\njwks_url = \"https://i/jwks\"\njwks_min_refetch_secs = 0\n",
            "authorizers.a.jwks_min_refetch_secs",
        ),
        (
            "[authorizers.a]\nissuer = \"https://i\"\naudiences = [\"x\"]\njwks_url = \"http://idp.example/jwks\"\n",
            "authorizers.a.jwks_url",
        ),
    ] {
        let p = dir.path().join("c.toml");
        std::fs::write(&p, format!("upstream = \"http://127.0.0.1:9\"\n{toml}")).unwrap();
        let out = Command::new(bin())
            .args(["--access-log", "/dev/null", "--config"])
            .arg(&p)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{toml}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(&format!("gwcost-sidecar: error: {key}: ")),
            "{toml}: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_max_connections_wait_and_are_counted() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start(
        &format!(
            "upstream = \"{}\"\n[server]\nmax_connections = 2\n",
            upstream.url()
        ),
        &["--workers", "1"],
    );
    let first = tokio::net::TcpStream::connect(sc.addr).await.unwrap();
    let _second = tokio::net::TcpStream::connect(sc.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let addr = sc.addr;
    let third = tokio::spawn(async move { get(addr, "/third").await.status });
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(!third.is_finished(), "a third connection was served");
    assert_eq!(upstream.hits(), 0);
    assert_eq!(
        metric(sc.admin, "gwcost_connections_waited_total").await,
        "1"
    );
    // One closes: the waiting connection is served.
    drop(first);
    let status = tokio::time::timeout(Duration::from_secs(5), third)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(upstream.hits(), 1);
}

/// An upstream that answers the first request of each connection with keep-alive and closes the
/// connection, without answering, when a second request arrives on it (a keep-alive close
/// racing the next request). Returns its address and its connection counter.
async fn closing_upstream() -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let conns = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = conns.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut seen = Vec::new();
                // Read one whole request head (and a small body, if any).
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(n) if n > 0 => seen.extend_from_slice(&buf[..n]),
                        _ => return,
                    }
                }
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .await;
                // The next request on this connection: close without an answer.
                let _ = s.read(&mut buf).await;
            });
        }
    });
    (addr, conns)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_that_meets_a_closing_upstream_connection_is_retried_once() {
    let (addr, conns) = closing_upstream().await;
    let sc = Sidecar::start(
        &format!("upstream = \"http://{addr}\"\n"),
        &["--workers", "1"],
    );
    assert_eq!(get(sc.addr, "/first").await.status, StatusCode::OK);
    // Reuses the pooled connection, which the upstream closes: sent again on a new one.
    assert_eq!(get(sc.addr, "/second").await.status, StatusCode::OK);
    assert_eq!(conns.load(std::sync::atomic::Ordering::SeqCst), 2);
    // A POST with a body is not sent twice: the client gets the 502.
    let req = request("POST", sc.addr, "/third", Proto::H1, full("body"));
    let got = send(sc.addr, Proto::H1, req).await;
    assert_eq!(got.status, StatusCode::BAD_GATEWAY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_http2_and_http11_connections_are_closed() {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let upstream = Upstream::start().await;
    let sc = Sidecar::start(
        &format!(
            "upstream = \"{}\"\n[server]\nidle_timeout_secs = 1\n",
            upstream.url()
        ),
        &[],
    );
    for proto in [Proto::H2c, Proto::H1] {
        let io = TokioIo::new(tokio::net::TcpStream::connect(sc.addr).await.unwrap());
        let t0 = Instant::now();
        // The sender is kept: dropping it would close the connection from the client's side.
        let (status, conn_task, _sender) = match proto {
            Proto::H2c => {
                let (mut s, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                    .await
                    .unwrap();
                let task = tokio::spawn(conn);
                let r = s
                    .send_request(request(
                        "GET",
                        sc.addr,
                        "/a",
                        proto,
                        full(bytes::Bytes::new()),
                    ))
                    .await
                    .unwrap();
                (
                    r.status(),
                    task,
                    Box::new(s) as Box<dyn std::any::Any + Send>,
                )
            }
            Proto::H1 => {
                let (mut s, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
                let task = tokio::spawn(conn);
                let r = s
                    .send_request(request(
                        "GET",
                        sc.addr,
                        "/a",
                        proto,
                        full(bytes::Bytes::new()),
                    ))
                    .await
                    .unwrap();
                (
                    r.status(),
                    task,
                    Box::new(s) as Box<dyn std::any::Any + Send>,
                )
            }
        };
        assert_eq!(status, StatusCode::OK);
        // The client keeps the connection open and idle: the sidecar ends it after ~1 s.
        let ended = tokio::time::timeout(Duration::from_secs(5), conn_task).await;
        assert!(ended.is_ok(), "{proto:?} connection still open after 5 s");
        let after = t0.elapsed();
        assert!(
            after >= Duration::from_millis(900),
            "{proto:?} closed after {after:?}"
        );
    }
}

/// HTTP/2 keep-alive: the sidecar pings an idle HTTP/2 connection every
/// `h2_keepalive_interval_secs` and closes it when a ping goes unanswered for
/// `h2_keepalive_timeout_secs`; a client that answers its pings keeps the connection. Raw frames
/// over TCP, since a real client (hyper, curl) always answers pings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_keepalive_pings_close_a_peer_that_never_answers() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start(
        &format!(
            "upstream = \"{}\"\n[server]\nh2_keepalive_interval_secs = 1\nh2_keepalive_timeout_secs = 1\nidle_timeout_secs = 60\n",
            upstream.url()
        ),
        &[],
    );
    // Frame header: 24-bit length, type, flags, 31-bit stream id.
    fn frame(kind: u8, flags: u8, payload: &[u8]) -> Vec<u8> {
        let len = u32::try_from(payload.len()).unwrap().to_be_bytes();
        let mut f = vec![len[1], len[2], len[3], kind, flags, 0, 0, 0, 0];
        f.extend_from_slice(payload);
        f
    }
    const SETTINGS: u8 = 4;
    const PING: u8 = 6;
    const ACK: u8 = 1;
    // Reads frames for up to `within`, answering SETTINGS (and PINGs when `answer`); returns
    // the pings seen and whether the sidecar closed the connection.
    async fn run(addr: std::net::SocketAddr, answer: bool, within: Duration) -> (usize, bool) {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        hello.extend(frame(SETTINGS, 0, &[]));
        s.write_all(&hello).await.unwrap();
        let end = Instant::now() + within;
        let mut pings = 0;
        loop {
            let mut head = [0u8; 9];
            let left = end.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, s.read_exact(&mut head)).await {
                Err(_) => return (pings, false),
                Ok(Err(_)) => return (pings, true),
                Ok(Ok(_)) => {}
            }
            let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
            let mut payload = vec![0u8; len];
            if s.read_exact(&mut payload).await.is_err() {
                return (pings, true);
            }
            match (head[3], head[4] & ACK) {
                (SETTINGS, 0) => s.write_all(&frame(SETTINGS, ACK, &[])).await.unwrap(),
                (PING, 0) => {
                    pings += 1;
                    if answer {
                        s.write_all(&frame(PING, ACK, &payload)).await.unwrap();
                    }
                }
                _ => {}
            }
        }
    }
    let t0 = Instant::now();
    let (pings, closed) = run(sc.addr, false, Duration::from_secs(8)).await;
    assert!(pings >= 1, "the sidecar sent no keep-alive ping");
    assert!(closed, "an unanswered ping did not close the connection");
    // Interval (1 s) + timeout (1 s), with slack for a loaded machine.
    assert!(t0.elapsed() < Duration::from_secs(7), "{:?}", t0.elapsed());
    let (pings, closed) = run(sc.addr, true, Duration::from_secs(5)).await;
    assert!(pings >= 2, "{pings} pings in 5 s at a 1 s interval");
    assert!(!closed, "a peer that answers its pings was closed");
    assert_eq!(upstream.hits(), 0);
}
