//! Byte counts, protocols, headers, routes and pooling over HTTP/1.1 and h2c.

use std::collections::HashSet;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::SinkExt;
use gwcost_log::EventType;
use http::{StatusCode, Version};

use crate::util::*;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exact_body_sizes_fixed_chunked_and_http2_both_directions() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start("", &["--upstream", &upstream.url(), "--stage", "prod"]);
    let t0 = now_ms();
    let mut expected = Vec::new();
    for (proto, tag) in [(Proto::H1, "h1"), (Proto::H2c, "h2")] {
        // Fixed-length request body, fixed-length response.
        let path = format!("/fixed/5000?{tag}");
        let got = send(
            sc.addr,
            proto,
            request("POST", sc.addr, &path, proto, full(pattern(1234))),
        )
        .await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.body.len(), 5000);
        expected.push(("/fixed/5000", tag, 1234u64, 5000u64));
        // Chunked request body, chunked response (no Content-Length either way).
        let path = format!("/chunked/70000?{tag}");
        let body = chunked(vec![pattern(1000), pattern(2000), pattern(3333)]);
        let got = send(sc.addr, proto, request("PUT", sc.addr, &path, proto, body)).await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.body.len(), 70000);
        assert!(got.headers.get("content-length").is_none());
        expected.push(("/chunked/70000", tag, 6333, 70000));
        // Streamed echo: the response is the request, as it arrives.
        let path = format!("/echo?{tag}");
        let body = chunked(vec![pattern(4096), pattern(1), pattern(60000)]);
        let got = send(sc.addr, proto, request("POST", sc.addr, &path, proto, body)).await;
        assert_eq!(got.body.len(), 64097);
        assert_eq!(
            got.version,
            if proto == Proto::H1 {
                Version::HTTP_11
            } else {
                Version::HTTP_2
            }
        );
        expected.push(("/echo", tag, 64097, 64097));
        // No bodies at all.
        let path = format!("/empty?{tag}");
        let got = send(
            sc.addr,
            proto,
            request("GET", sc.addr, &path, proto, full(Bytes::new())),
        )
        .await;
        assert_eq!(got.status, StatusCode::NO_CONTENT);
        expected.push(("/empty", tag, 0, 0));
    }
    let recs = sc.wait_log(expected.len()).await;
    assert_eq!(recs.len(), expected.len(), "{recs:#?}");
    let ids: HashSet<_> = recs.iter().map(|r| r.request_id.clone().unwrap()).collect();
    assert_eq!(ids.len(), recs.len(), "requestId unique");
    for (path, tag, req_len, resp_len) in expected {
        let protocol = if tag == "h1" { "HTTP/1.1" } else { "HTTP/2.0" };
        let r = recs
            .iter()
            .find(|r| r.path.as_deref() == Some(path) && r.protocol.as_deref() == Some(protocol))
            .unwrap_or_else(|| panic!("no line for {path} {protocol}: {recs:#?}"));
        assert_eq!(
            r.request_length,
            Some(req_len),
            "{path} {protocol} requestLength"
        );
        assert_eq!(
            r.response_length,
            Some(resp_len),
            "{path} {protocol} responseLength"
        );
        assert_eq!(r.event_type, Some(EventType::Request));
        assert_eq!(r.stage.as_deref(), Some("prod"));
        assert_eq!(r.route_key.as_deref(), Some("$default"));
        assert_eq!(r.ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(r.user_agent.as_deref(), Some("gwcost-test/1"));
        assert_eq!(r.status, r.integration_status);
        assert!(r.error_response_type.is_none());
        let t = r.request_time_epoch.unwrap();
        assert!(t >= t0 - 5 && t <= now_ms(), "requestTimeEpoch {t}");
        assert!(r.integration_latency.unwrap() <= r.response_latency.unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hop_by_hop_headers_removed_and_forwarded_headers_added() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start("", &["--upstream", &upstream.url()]);
    let req = http::Request::builder()
        .uri("/headers")
        .header("host", "public.example")
        .header("connection", "keep-alive, x-private")
        .header("x-private", "secret")
        .header("keep-alive", "timeout=5")
        .header("te", "trailers")
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-end-to-end", "kept")
        .body(full(Bytes::new()))
        .unwrap();
    let got = send(sc.addr, Proto::H1, req).await;
    let text = String::from_utf8(got.body.to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.contains(&"x-end-to-end: kept"), "{text}");
    // The client is no trusted proxy: its X-Forwarded-For is replaced by its own address.
    assert!(lines.contains(&"x-forwarded-for: 127.0.0.1"), "{text}");
    assert!(lines.contains(&"x-forwarded-proto: http"), "{text}");
    assert!(
        lines.contains(&format!("host: {}", upstream.addr).as_str()),
        "{text}"
    );
    for gone in ["x-private", "keep-alive", "te:"] {
        assert!(!text.contains(gone), "{gone} forwarded: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_form_most_specific_first_with_per_route_upstreams() {
    let a = Upstream::start().await;
    let b = Upstream::start().await;
    let config = format!(
        r#"
stage = "prod"
upstream = "{a}"
[[routes]]
key = "ANY /files/{{proxy+}}"
[[routes]]
key = "GET /users/{{id}}"
[[routes]]
key = "GET /messages"
[[routes]]
key = "GET /users/me"
[[routes]]
key = "$default"
upstream = "{b}"
"#,
        a = a.url(),
        b = b.url()
    );
    let sc = Sidecar::start(&config, &[]);
    let cases = [
        ("GET", "/messages", "GET /messages", 'a'),
        ("GET", "/users/42", "GET /users/{id}", 'a'),
        ("GET", "/users/me", "GET /users/me", 'a'),
        ("DELETE", "/files/a/b/c.txt", "ANY /files/{proxy+}", 'a'),
        ("POST", "/users/43", "$default", 'b'),
        ("GET", "/elsewhere", "$default", 'b'),
    ];
    for (m, p, _, _) in cases {
        let got = send(
            sc.addr,
            Proto::H1,
            request(m, sc.addr, p, Proto::H1, full(Bytes::new())),
        )
        .await;
        assert_eq!(got.status, StatusCode::OK, "{m} {p}");
    }
    assert_eq!(a.hits(), 4);
    assert_eq!(b.hits(), 2);
    let recs = sc.wait_log(cases.len()).await;
    for (m, p, key, _) in cases {
        let r = only(&recs, p);
        assert_eq!(r.http_method.as_deref(), Some(m));
        assert_eq!(r.route_key.as_deref(), Some(key), "{m} {p}");
    }

    // Without $default, an unmatched request is API Gateway's 404 and never reaches a service.
    let config = format!(
        "upstream = \"{}\"\n[[routes]]\nkey = \"GET /messages\"\n",
        a.url()
    );
    let sc = Sidecar::start(&config, &[]);
    let before = a.hits();
    let got = get(sc.addr, "/nothing/here").await;
    assert_eq!(got.status, StatusCode::NOT_FOUND);
    assert_eq!(json(&got), serde_json::json!({"message": "Not Found"}));
    assert_eq!(a.hits(), before);
    let got = send(
        sc.addr,
        Proto::H1,
        request("POST", sc.addr, "/messages", Proto::H1, full(Bytes::new())),
    )
    .await;
    assert_eq!(got.status, StatusCode::NOT_FOUND);
    let recs = sc.wait_log(2).await;
    let r = only(&recs, "/nothing/here");
    assert_eq!(r.status, Some(404));
    assert_eq!(r.error_response_type.as_deref(), Some("RESOURCE_NOT_FOUND"));
    assert_eq!(r.response_length, Some(23));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_connections_are_pooled_and_reused() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start("", &["--upstream", &upstream.url()]);
    for i in 0..20 {
        let got = get(sc.addr, &format!("/fixed/{}", 100 + i)).await;
        assert_eq!(got.body.len(), 100 + i);
    }
    assert_eq!(upstream.hits(), 20);
    let conns = upstream.conns.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        conns <= 2,
        "20 sequential requests used {conns} upstream connections"
    );
}

fn curl_features() -> Option<String> {
    let out = std::process::Command::new("curl").arg("-V").output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_http1_chunked_and_h2c_prior_knowledge() {
    let Some(features) = curl_features() else {
        println!("curl not found: skipped");
        return;
    };
    let upstream = Upstream::start().await;
    let sc = Sidecar::start("", &["--upstream", &upstream.url()]);
    let body_file = sc.dir.path().join("body.bin");
    std::fs::write(&body_file, pattern(12345)).unwrap();
    let url = sc.url("/echo");
    let curl = |args: Vec<String>| {
        let out = std::process::Command::new("curl")
            .args(&args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "curl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let out = curl(vec![
        "-sS".into(),
        "--max-time".into(),
        "10".into(),
        "-H".into(),
        "Transfer-Encoding: chunked".into(),
        "--data-binary".into(),
        format!("@{}", body_file.display()),
        format!("{url}?curl1"),
    ]);
    assert_eq!(out.len(), 12345);
    let mut n = 1;
    if features.contains("HTTP2") {
        let out = curl(vec![
            "-sS".into(),
            "--max-time".into(),
            "10".into(),
            "--http2-prior-knowledge".into(),
            "--data-binary".into(),
            format!("@{}", body_file.display()),
            format!("{url}?curl2"),
        ]);
        assert_eq!(out.len(), 12345);
        n = 2;
    } else {
        println!("curl without HTTP2: h2c part skipped");
    }
    let recs = sc.wait_log(n).await;
    assert_eq!(recs.len(), n);
    assert_eq!(recs[0].protocol.as_deref(), Some("HTTP/1.1"));
    for r in &recs {
        assert_eq!(r.request_length, Some(12345));
        assert_eq!(r.response_length, Some(12345));
        assert!(r.user_agent.as_deref().unwrap().starts_with("curl/"));
    }
    if n == 2 {
        assert_eq!(recs[1].protocol.as_deref(), Some("HTTP/2.0"));
    }
}

/// Runs curl with `urls` on one keep-alive connection; returns curl's own count of new
/// connections per transfer (`%{num_connects}`: 1 for the first, 0 for each reuse).
fn curl_keep_alive(urls: &[String]) -> Vec<u32> {
    let mut args: Vec<String> = vec!["-sS".into(), "--max-time".into(), "10".into()];
    for u in urls {
        args.extend([
            "-o".into(),
            "/dev/null".into(),
            "-w".into(),
            "%{num_connects}\\n".into(),
            u.clone(),
        ]);
    }
    let out = std::process::Command::new("curl")
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect()
}

/// `clientConnectionId` / `clientConnectedAt` (what an ALB's new and active connections are
/// counted from): real keep-alive clients — one curl with three URLs on one connection, a
/// second curl with two — give requests on one connection one id and one time, and different
/// connections different ids; a WebSocket CONNECT carries its connection's too, its MESSAGE and
/// DISCONNECT lines do not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_connection_fields_from_keep_alive_clients() {
    if curl_features().is_none() {
        println!("curl not found: skipped");
        return;
    }
    let upstream = Upstream::start().await;
    let sc = Sidecar::start("", &["--upstream", &upstream.url()]);
    let before = now_ms();
    let a: Vec<String> = (1..=3).map(|i| sc.url(&format!("/fixed/{i}?a"))).collect();
    assert_eq!(curl_keep_alive(&a), [1, 0, 0], "curl reused its connection");
    // Another connection, accepted at least a few milliseconds later.
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let b: Vec<String> = (1..=2).map(|i| sc.url(&format!("/fixed/{i}?b"))).collect();
    assert_eq!(curl_keep_alive(&b), [1, 0]);
    let mut ws = crate::websocket::connect(&sc, "/ws").await;
    ws.send(tokio_tungstenite::tungstenite::Message::text("hi"))
        .await
        .unwrap();
    let _ = crate::websocket::next(&mut ws).await;
    ws.close(None).await.unwrap();
    drop(ws);
    // 5 requests, CONNECT, 2 messages, DISCONNECT.
    let recs = sc.wait_log(9).await;
    let after = now_ms();
    let requests: Vec<_> = recs
        .iter()
        .filter(|r| r.event() == EventType::Request)
        .collect();
    assert_eq!(requests.len(), 5);
    let conn_of = |r: &gwcost_log::LogRecord| {
        (
            r.client_connection_id.clone().expect("clientConnectionId"),
            r.client_connected_at.expect("clientConnectedAt"),
        )
    };
    // Lines are queued in the order requests finished: curl A's three, then curl B's two.
    let (first, second) = requests.split_at(3);
    let ca = conn_of(first[0]);
    let cb = conn_of(second[0]);
    assert!(first.iter().all(|r| conn_of(r) == ca), "{first:?}");
    assert!(second.iter().all(|r| conn_of(r) == cb), "{second:?}");
    assert_ne!(ca.0, cb.0);
    assert!(cb.1 >= ca.1 + 30, "{ca:?} then {cb:?}");
    for (id, at) in [&ca, &cb] {
        assert!(before <= *at && *at <= after, "{at} in {before}..{after}");
        assert!(id.len() > 1);
    }
    // A connection is accepted before its first request arrives.
    assert!(ca.1 <= first[0].request_time_epoch.unwrap());
    let connect = recs
        .iter()
        .find(|r| r.event() == EventType::Connect)
        .expect("CONNECT line");
    let cw = conn_of(connect);
    assert!(cw.0 != ca.0 && cw.0 != cb.0 && cw.1 >= cb.1);
    for r in recs
        .iter()
        .filter(|r| matches!(r.event(), EventType::Message | EventType::Disconnect))
    {
        assert_eq!(r.client_connection_id, None);
        assert_eq!(r.client_connected_at, None);
    }
}
