//! Faults with real processes: an upstream that hangs up, an upstream slower than the timeout,
//! a client that leaves mid-response, SIGTERM under load, logrotate under load, a full disk, and
//! WebSocket peers that vanish. (The plain unreachable-upstream 502 is in `limits.rs`.)

use std::collections::HashSet;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::SinkExt;
use gwcost_log::EventType;
use http::StatusCode;
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::util::*;
use crate::websocket::{connect, next, wait_disconnect};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_that_hangs_up_is_502_and_logged() {
    // Accepts connections and closes them at once, before any answer.
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            drop(s);
        }
    });
    let sc = Sidecar::start("", &["--upstream", &format!("http://127.0.0.1:{port}")]);
    let got = get(sc.addr, "/broken").await;
    assert_eq!(got.status, StatusCode::BAD_GATEWAY);
    assert_eq!(json(&got), serde_json::json!({"message": "Bad Gateway"}));
    let recs = sc.wait_log(1).await;
    let r = only(&recs, "/broken");
    assert_eq!(r.status, Some(502));
    assert_eq!(
        r.error_response_type.as_deref(),
        Some("INTEGRATION_FAILURE")
    );
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_upstream_is_504_within_the_timeout_plus_a_small_margin() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start(
        "[limits]\nintegration_timeout_ms = 500\n",
        &["--upstream", &upstream.url()],
    );
    // Three at once: each is timed on its own.
    let addr = sc.addr;
    let calls: Vec<_> = (0..3)
        .map(|i| {
            tokio::spawn(async move {
                let t = Instant::now();
                let got = get(addr, &format!("/slow/{}", 3000 + i)).await;
                (got.status, t.elapsed())
            })
        })
        .collect();
    for c in calls {
        let (status, took) = c.await.unwrap();
        assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
        assert!(
            took >= Duration::from_millis(490) && took < Duration::from_millis(900),
            "{took:?}"
        );
    }
    let recs = sc.wait_log(3).await;
    assert_eq!(recs.len(), 3);
    for r in &recs {
        assert_eq!(r.status, Some(504));
        let lat = r.integration_latency.unwrap();
        assert!((500..900).contains(&lat), "{lat}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_aborting_mid_response_logs_the_bytes_that_passed() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start("", &["--upstream", &upstream.url()]);
    // 30 chunks of 1000 bytes, one every 50 ms: the client leaves after about 5000 bytes.
    let stream = TcpStream::connect(sc.addr).await.unwrap();
    let (mut s, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    let conn = tokio::spawn(conn);
    let resp = s
        .send_request(request(
            "GET",
            sc.addr,
            "/drip/30/50",
            Proto::H1,
            full(Bytes::new()),
        ))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut body = resp.into_body();
    let mut received = 0u64;
    while received < 5000 {
        let f = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        received += f.data_ref().map_or(0, |d| d.len() as u64);
    }
    // Hang up: the connection task owns the socket.
    conn.abort();
    drop(body);
    drop(s);
    let recs = sc.wait_log(1).await;
    let r = only(&recs, "/drip/30/50");
    let logged = r.response_length.unwrap();
    // What was handed to the client's socket: at least what it read, far less than the whole.
    assert!(
        logged >= received && logged <= received + 3000,
        "logged {logged}, client read {received}"
    );
    assert_eq!(r.status, Some(200));
    assert_eq!(
        metric(sc.admin, "gwcost_responses_cut_off_total").await,
        "1"
    );
}

/// Requests `/load/{client}/{n}` over one keep-alive connection until it fails or `until`;
/// returns the paths whose whole answer arrived.
async fn load_client(addr: std::net::SocketAddr, client: usize, until: Instant) -> Vec<String> {
    let mut done = Vec::new();
    let Ok(stream) = TcpStream::connect(addr).await else {
        return done;
    };
    let Ok((mut s, conn)) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    else {
        return done;
    };
    tokio::spawn(conn);
    let mut n = 0;
    while Instant::now() < until {
        let path = format!("/load/{client}/{n}");
        n += 1;
        let req = request("GET", addr, &path, Proto::H1, full(Bytes::new()));
        let Ok(resp) = s.send_request(req).await else {
            break;
        };
        if resp.status() != StatusCode::OK {
            break;
        }
        let Ok(body) = resp.into_body().collect().await else {
            break;
        };
        // The default upstream answers `path=...`: a whole answer, checked.
        assert_eq!(body.to_bytes(), format!("path={path}").as_bytes());
        done.push(path);
    }
    done
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_exits_0_with_every_answer_in_the_log() {
    let upstream = Upstream::start().await;
    let mut sc = Sidecar::start(
        "",
        &["--upstream", &upstream.url(), "--drain-grace-secs", "5"],
    );
    let addr = sc.addr;
    let until = Instant::now() + Duration::from_secs(6);
    let clients: Vec<_> = (0..32)
        .map(|c| tokio::spawn(load_client(addr, c, until)))
        .collect();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let t = Instant::now();
    sc.signal("TERM");
    let code = tokio::task::block_in_place(|| sc.wait_exit(Duration::from_secs(10)));
    let took = t.elapsed();
    assert_eq!(code, Some(0), "stderr: {}", sc.stderr());
    assert!(
        took < Duration::from_secs(5) + Duration::from_millis(1500),
        "{took:?}"
    );
    let mut received = HashSet::new();
    for c in clients {
        received.extend(c.await.unwrap());
    }
    assert!(received.len() > 50, "the load ran: {}", received.len());
    // Every line whole JSON (read_log panics otherwise), the file ends with a newline.
    let raw = std::fs::read_to_string(&sc.log_path).unwrap();
    assert!(raw.ends_with('\n'));
    let recs = sc.log();
    let logged: HashSet<String> = recs.iter().filter_map(|r| r.path.clone()).collect();
    assert_eq!(logged.len(), recs.len(), "one line per request");
    let missing: Vec<_> = received.difference(&logged).collect();
    assert!(missing.is_empty(), "answered but not logged: {missing:?}");
    // Lines for requests whose answer did not reach a client: at most one per connection.
    assert!(recs.len() <= received.len() + 32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_rotated_under_load_then_sighup_loses_no_line() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start("", &["--upstream", &upstream.url()]);
    let addr = sc.addr;
    let until = Instant::now() + Duration::from_millis(1500);
    let clients: Vec<_> = (0..4)
        .map(|c| tokio::spawn(load_client(addr, c, until)))
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rotated = sc.dir.path().join("access.log.1");
    std::fs::rename(&sc.log_path, &rotated).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    sc.signal("HUP");
    let mut received = HashSet::new();
    for c in clients {
        received.extend(c.await.unwrap());
    }
    assert!(received.len() > 20, "the load ran: {}", received.len());
    let paths = |recs: Vec<gwcost_log::LogRecord>| -> Vec<String> {
        recs.into_iter().filter_map(|r| r.path).collect()
    };
    let end = Instant::now() + Duration::from_secs(10);
    let (old, new) = loop {
        let old = paths(read_log(&rotated));
        let new = paths(read_log(&sc.log_path));
        if old.len() + new.len() >= received.len() || Instant::now() > end {
            break (old, new);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        !old.is_empty() && !new.is_empty(),
        "{} {}",
        old.len(),
        new.len()
    );
    let all: Vec<String> = old.iter().chain(&new).cloned().collect();
    let unique: HashSet<String> = all.iter().cloned().collect();
    assert_eq!(unique.len(), all.len(), "no line twice");
    assert_eq!(unique, received, "every answered request once, none lost");
    assert_eq!(
        metric(sc.admin, "gwcost_log_lines_dropped_total").await,
        "0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_disk_keeps_serving_and_counts_dropped_lines() {
    if std::fs::OpenOptions::new()
        .append(true)
        .open("/dev/full")
        .is_err()
    {
        println!("skipped: /dev/full is not writable here");
        return;
    }
    let upstream = Upstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let sc = Sidecar::start_logging_to(
        dir,
        "/dev/full".into(),
        "",
        &["--upstream", &upstream.url()],
    );
    let wait_dropped = |want: u64| async move {
        let end = Instant::now() + Duration::from_secs(5);
        loop {
            let d: u64 = metric(sc.admin, "gwcost_log_lines_dropped_total")
                .await
                .parse()
                .unwrap();
            if d >= want || Instant::now() > end {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    for i in 0..20 {
        let got = get(sc.addr, &format!("/full/{i}")).await;
        assert_eq!(got.status, StatusCode::OK);
    }
    assert_eq!(wait_dropped(20).await, 20);
    // Past the writer's retry (it reopens the file after a second), still serving and counting.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for i in 20..30 {
        assert_eq!(
            get(sc.addr, &format!("/full/{i}")).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(wait_dropped(30).await, 30);
    let errors: u64 = metric(sc.admin, "gwcost_log_write_errors_total")
        .await
        .parse()
        .unwrap();
    assert!(errors >= 2, "{errors}");
    assert_eq!(
        metric(
            sc.admin,
            r#"gwcost_requests_total{route="$default",status="200"}"#
        )
        .await,
        "30"
    );
    assert_eq!(upstream.hits(), 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_client_that_vanishes_is_logged_disconnect_with_its_duration() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start("", &["--upstream", &upstream.url()]);
    let mut ws = connect(&sc, "/ws").await;
    ws.send(Message::Text("hello".into())).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::Text("hello".into()));
    tokio::time::sleep(Duration::from_millis(700)).await;
    // Gone without a close frame: the TCP connection is simply dropped.
    drop(ws);
    let recs = wait_disconnect(&sc).await;
    let d = recs
        .iter()
        .find(|r| r.event_type == Some(EventType::Disconnect))
        .unwrap();
    assert_eq!(d.disconnect_status_code, Some(1006));
    let connected_at = d.connected_at.unwrap();
    let lasted = d.request_time_epoch.unwrap() - connected_at;
    assert!((700..3000).contains(&lasted), "{lasted} ms");
    let c = recs
        .iter()
        .find(|r| r.event_type == Some(EventType::Connect))
        .unwrap();
    assert_eq!(c.connected_at, Some(connected_at));
    assert_eq!(c.connection_id, d.connection_id);
    assert_eq!(
        metric(sc.admin, "gwcost_websocket_connections_open").await,
        "0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_upstream_that_vanishes_closes_the_client_and_logs_disconnect() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start("", &["--upstream", &upstream.url()]);
    let mut ws = connect(&sc, "/ws").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    ws.send(Message::Text("vanish".into())).await.unwrap();
    match next(&mut ws).await {
        Message::Close(Some(f)) => assert_eq!(f.code, CloseCode::Error),
        m => panic!("expected a close frame, got {m:?}"),
    }
    let recs = wait_disconnect(&sc).await;
    let d = recs
        .iter()
        .find(|r| r.event_type == Some(EventType::Disconnect))
        .unwrap();
    assert_eq!(d.disconnect_status_code, Some(1006));
    let lasted = d.request_time_epoch.unwrap() - d.connected_at.unwrap();
    assert!((300..6000).contains(&lasted), "{lasted} ms");
    // `vanish` itself is a message the client sent.
    let msgs = recs
        .iter()
        .filter(|r| r.event_type == Some(EventType::Message))
        .count();
    assert_eq!(msgs, 1);
}
