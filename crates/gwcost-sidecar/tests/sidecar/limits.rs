//! API Gateway's own answers: 413, 502, 504.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::util::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_body_over_10_mb_is_413_without_reaching_the_upstream() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start("", &["--upstream", &upstream.url()]);
    // Only the headers are sent: the sidecar must answer from Content-Length alone.
    let mut s = tokio::net::TcpStream::connect(sc.addr).await.unwrap();
    s.write_all(b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 10485761\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let mut got = Vec::new();
    let end = Instant::now() + Duration::from_secs(10);
    while !String::from_utf8_lossy(&got).contains("Too Large\"}") && Instant::now() < end {
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(
        text.ends_with(r#"{"message":"Request Entity Too Large"}"#),
        "{text}"
    );
    assert_eq!(upstream.hits(), 0);
    let recs = sc.wait_log(1).await;
    let r = only(&recs, "/echo");
    assert_eq!(r.status, Some(413));
    assert_eq!(r.error_response_type.as_deref(), Some("REQUEST_TOO_LARGE"));
    assert_eq!(r.request_length, Some(0));
    assert!(r.integration_status.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_body_over_10_mb_is_cut_and_answered_413() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start("", &["--upstream", &upstream.url()]);
    // 10 MiB + 1 byte in 1 MiB DATA frames with no length: the limit is found while streaming.
    let mut parts: Vec<Bytes> = (0..10).map(|_| pattern(1 << 20)).collect();
    parts.push(Bytes::from_static(b"x"));
    let got = send(
        sc.addr,
        Proto::H2c,
        request("POST", sc.addr, "/fixed/10", Proto::H2c, chunked(parts)),
    )
    .await;
    assert_eq!(got.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        json(&got),
        serde_json::json!({"message": "Request Entity Too Large"})
    );
    let recs = sc.wait_log(1).await;
    let r = only(&recs, "/fixed/10");
    assert_eq!(r.error_response_type.as_deref(), Some("REQUEST_TOO_LARGE"));
    assert!(r.request_length.unwrap() <= 10 << 20);

    // Exactly 10 MiB passes.
    let parts: Vec<Bytes> = (0..10).map(|_| pattern(1 << 20)).collect();
    let got = send(
        sc.addr,
        Proto::H2c,
        request("POST", sc.addr, "/fixed/7", Proto::H2c, chunked(parts)),
    )
    .await;
    assert_eq!(got.status, StatusCode::OK);
    let recs = sc.wait_log(2).await;
    assert_eq!(only(&recs, "/fixed/7").request_length, Some(10 << 20));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_upstream_is_504_after_the_configured_timeout() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start(
        "[limits]\nintegration_timeout_ms = 1000\n",
        &["--upstream", &upstream.url()],
    );
    let t = Instant::now();
    let got = get(sc.addr, "/slow/4000").await;
    let took = t.elapsed();
    assert_eq!(got.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(
        json(&got),
        serde_json::json!({"message": "Endpoint request timed out"})
    );
    assert!(
        took >= Duration::from_millis(950) && took < Duration::from_millis(3000),
        "{took:?}"
    );
    let got = get(sc.addr, "/slow/10").await;
    assert_eq!(got.status, StatusCode::OK);
    let recs = sc.wait_log(2).await;
    let r = only(&recs, "/slow/4000");
    assert_eq!(r.status, Some(504));
    assert_eq!(
        r.error_response_type.as_deref(),
        Some("INTEGRATION_TIMEOUT")
    );
    assert!(r.integration_status.is_none());
    assert!(r.integration_latency.unwrap() >= 1000);
}

/// Requests on one keep-alive connection share a timer (pushed later for each request): each
/// must still get its own full timeout, after an earlier request's deadline and after the timer
/// fired for a previous one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_on_a_keep_alive_connection_gets_the_whole_timeout() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start(
        "[limits]\nintegration_timeout_ms = 1000\n",
        &["--upstream", &upstream.url()],
    );
    let stream = tokio::net::TcpStream::connect(sc.addr).await.unwrap();
    let (mut s, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut timed = async |path: &str| {
        s.ready().await.unwrap();
        let t = Instant::now();
        let resp = s
            .send_request(request("GET", sc.addr, path, Proto::H1, full(Bytes::new())))
            .await
            .unwrap();
        let got = read_whole(resp).await;
        (got.status, t.elapsed())
    };
    // Deadline A = now + 1 s; then, 600 ms later, a slow request's own deadline is 1.6 s.
    assert_eq!(timed("/slow/10").await.0, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(600)).await;
    // 800 ms is past deadline A but within its own second: answered.
    let (status, took) = timed("/slow/800").await;
    assert_eq!(status, StatusCode::OK, "{took:?}");
    // Timed out after a full second of its own.
    let (status, took) = timed("/slow/4000").await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    assert!(
        took >= Duration::from_millis(950) && took < Duration::from_millis(3000),
        "{took:?}"
    );
    // After the timer fired: again a whole second, and a quick answer still passes.
    let (status, took) = timed("/slow/700").await;
    assert_eq!(status, StatusCode::OK, "{took:?}");
    let (status, took) = timed("/slow/4000").await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    assert!(
        took >= Duration::from_millis(950) && took < Duration::from_millis(3000),
        "{took:?}"
    );
    let recs = sc.wait_log(5).await;
    let statuses: Vec<_> = recs.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [Some(200), Some(200), Some(504), Some(200), Some(504)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_upstream_is_502() {
    // A port that was free a moment ago and has no listener now.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let sc = Sidecar::start("", &["--upstream", &format!("http://127.0.0.1:{port}")]);
    let got = get(sc.addr, "/anything").await;
    assert_eq!(got.status, StatusCode::BAD_GATEWAY);
    assert_eq!(json(&got), serde_json::json!({"message": "Bad Gateway"}));
    let recs = sc.wait_log(1).await;
    let r = only(&recs, "/anything");
    assert_eq!(r.status, Some(502));
    assert_eq!(
        r.error_response_type.as_deref(),
        Some("INTEGRATION_FAILURE")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_leaving_before_the_answer_is_still_logged() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start("", &["--upstream", &upstream.url()]);
    let mut s = tokio::net::TcpStream::connect(sc.addr).await.unwrap();
    s.write_all(b"GET /slow/1500 HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(upstream.hits(), 1);
    drop(s);
    let recs = sc.wait_log(1).await;
    let r = only(&recs, "/slow/1500");
    assert_eq!(r.status, Some(499));
    assert_eq!(r.response_length, Some(0));
    assert!(r.integration_status.is_none());
}
