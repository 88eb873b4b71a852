//! Attacks, each answered the way API Gateway would and none reaching the upstream: forged and
//! malformed JWTs (alg none, algorithm confusion, expired, not yet valid, wrong issuer/audience,
//! unknown key id, tampered payload, garbage), oversized headers (431), request smuggling with
//! conflicting Content-Length/Transfer-Encoding (400), slowloris (closed after the header read
//! timeout) and an endless upload (413 with memory bounded well below the body size).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;

use bytes::Bytes;
use http::StatusCode;
use hyper::body::Frame;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::util::*;

const ISSUER: &str = "https://issuer.test";
const AUDIENCE: &str = "api://gwcost";
const RSA_PEM: &str = include_str!("fixtures/rsa-test-key.pem");

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// base64url without padding, as JWTs use it.
fn b64url(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn good_claims() -> Value {
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "iat": now(), "exp": now() + 600})
}

fn with(extra: Value) -> Value {
    let mut c = good_claims();
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

fn sign(alg: Algorithm, kid: Option<&str>, key: &EncodingKey, claims: &Value) -> String {
    let mut h = Header::new(alg);
    h.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&h, claims, key).unwrap()
}

/// A token with a hand-written header and signature (what a forger sends).
fn forged(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes()),
        b64url(signature)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_malformed_tokens_are_401_and_never_reach_the_upstream() {
    let rsa = EncodingKey::from_rsa_pem(RSA_PEM.as_bytes()).unwrap();
    let mut jwk = Jwk::from_encoding_key(&rsa, Algorithm::RS256).unwrap();
    jwk.common.key_id = Some("rsa1".into());
    let jwks = serde_json::to_string(&JwkSet { keys: vec![jwk] }).unwrap();
    // The public half, as PEM: what an attacker can download and use as an HMAC secret.
    let public_pem = rcgen::KeyPair::from_pem(RSA_PEM).unwrap().public_key_pem();
    let other_rsa = {
        // Another RSA key is not at hand without a generator: an EC key stands in for
        // "a key the issuer never published".
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        EncodingKey::from_ec_pem(pair.serialize_pem().as_bytes()).unwrap()
    };

    let upstream = Upstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let jwks_path = dir.path().join("jwks.json");
    std::fs::write(&jwks_path, &jwks).unwrap();
    let config = format!(
        "upstream = \"{}\"\nauthorizer = \"main\"\n[authorizers.main]\nissuer = \"{ISSUER}\"\n\
         audiences = [\"{AUDIENCE}\"]\njwks_file = \"{}\"\nleeway_secs = 5\n\
         [[routes]]\nkey = \"$default\"\n",
        upstream.url(),
        jwks_path.display()
    );
    let sc = Sidecar::start_in(dir, &config, &[]);

    let valid = sign(Algorithm::RS256, Some("rsa1"), &rsa, &good_claims());
    let (vh, rest) = valid.split_once('.').unwrap();
    let (_, vsig) = rest.split_once('.').unwrap();
    let tampered_payload = format!(
        "{vh}.{}.{vsig}",
        b64url(with(json!({"sub": "admin"})).to_string().as_bytes())
    );
    let hmac_with_public_key = EncodingKey::from_secret(public_pem.as_bytes());

    let cases: Vec<(&str, String)> = vec![
        (
            "alg-none",
            forged(&json!({"alg": "none", "typ": "JWT"}), &good_claims(), b""),
        ),
        (
            "alg-None-with-kid",
            forged(&json!({"alg": "None", "kid": "rsa1"}), &good_claims(), b""),
        ),
        (
            "hs256-public-key-as-secret",
            sign(
                Algorithm::HS256,
                Some("rsa1"),
                &hmac_with_public_key,
                &good_claims(),
            ),
        ),
        (
            "hs256-public-key-as-secret-no-kid",
            sign(
                Algorithm::HS256,
                None,
                &hmac_with_public_key,
                &good_claims(),
            ),
        ),
        (
            "expired",
            sign(
                Algorithm::RS256,
                Some("rsa1"),
                &rsa,
                &with(json!({"exp": now() - 3600})),
            ),
        ),
        (
            "nbf-future",
            sign(
                Algorithm::RS256,
                Some("rsa1"),
                &rsa,
                &with(json!({"nbf": now() + 3600})),
            ),
        ),
        (
            "wrong-iss",
            sign(
                Algorithm::RS256,
                Some("rsa1"),
                &rsa,
                &with(json!({"iss": "https://evil.test"})),
            ),
        ),
        (
            "wrong-aud",
            sign(
                Algorithm::RS256,
                Some("rsa1"),
                &rsa,
                &with(json!({"aud": "api://other"})),
            ),
        ),
        (
            "unknown-kid",
            sign(Algorithm::RS256, Some("rsa-unknown"), &rsa, &good_claims()),
        ),
        (
            "unpublished-key-known-kid",
            sign(Algorithm::ES256, Some("rsa1"), &other_rsa, &good_claims()),
        ),
        ("tampered-payload", tampered_payload),
        ("garbage-base64", "!!!.@@@.###".into()),
        ("garbage-segments", "eyJhbGciOiJSUzI1NiJ9.%%%%.x".into()),
        ("two-segments", format!("{vh}.{vh}")),
        ("empty", String::new()),
        (
            "header-not-json",
            format!("{}.{}.{vsig}", b64url(b"{alg"), b64url(b"{}")),
        ),
    ];
    for (name, tok) in &cases {
        let mut req = request(
            "GET",
            sc.addr,
            &format!("/attack/{name}"),
            Proto::H1,
            full(Bytes::new()),
        );
        req.headers_mut()
            .insert("authorization", format!("Bearer {tok}").parse().unwrap());
        let got = send(sc.addr, Proto::H1, req).await;
        assert_eq!(got.status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(json(&got), json!({"message": "Unauthorized"}), "{name}");
    }
    assert_eq!(upstream.hits(), 0, "no forged token reached the upstream");
    let recs = sc.wait_log(cases.len()).await;
    assert_eq!(recs.len(), cases.len());
    for r in &recs {
        assert_eq!(r.status, Some(401), "{r:?}");
        assert_eq!(r.error_response_type.as_deref(), Some("UNAUTHORIZED"));
        assert!(r.integration_status.is_none());
    }
    // The valid token passes (the setup is not refusing everything).
    let mut req = request(
        "GET",
        sc.addr,
        "/attack/valid",
        Proto::H1,
        full(Bytes::new()),
    );
    req.headers_mut()
        .insert("authorization", format!("Bearer {valid}").parse().unwrap());
    assert_eq!(send(sc.addr, Proto::H1, req).await.status, StatusCode::OK);
    assert_eq!(upstream.hits(), 1);
}

/// Reads an HTTP/1.1 answer on a raw socket until the server closes it (bounded).
async fn raw(addr: std::net::SocketAddr, bytes: &[u8]) -> String {
    raw_exchange(addr, bytes, Duration::from_secs(5)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_header_is_431_not_a_dropped_connection() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start(
        "[server]\nmax_header_bytes = 16384\n",
        &["--upstream", &upstream.url()],
    );
    let big = "a".repeat(20_000);
    let text = raw(
        sc.addr,
        format!("GET /big HTTP/1.1\r\nhost: x\r\nx-big: {big}\r\n\r\n").as_bytes(),
    )
    .await;
    assert!(text.starts_with("HTTP/1.1 431"), "{text:.200}");
    // Many small headers adding up to the same size: 431 too.
    let many: String = (0..90)
        .map(|i| format!("x-h{i}: {}\r\n", "b".repeat(200)))
        .collect();
    let text = raw(
        sc.addr,
        format!("GET /many HTTP/1.1\r\nhost: x\r\n{many}\r\n").as_bytes(),
    )
    .await;
    assert!(text.starts_with("HTTP/1.1 431"), "{text:.200}");
    // HTTP/2: the header list is limited the same way (the stream is refused with 431).
    let stream = TcpStream::connect(sc.addr).await.unwrap();
    let (mut s, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let mut req = request("GET", sc.addr, "/big2", Proto::H2c, full(Bytes::new()));
    req.headers_mut().insert("x-big", big.parse().unwrap());
    let resp = s.send_request(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    // A head just under the limit passes.
    let ok = raw(
        sc.addr,
        format!(
            "GET /fits HTTP/1.1\r\nhost: x\r\nconnection: close\r\nx-fits: {}\r\n\r\n",
            "c".repeat(12_000)
        )
        .as_bytes(),
    )
    .await;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok:.200}");
    assert_eq!(upstream.hits(), 1);
}

/// Request smuggling. hyper never lets both framings through: two different lengths or a
/// transfer coding that is not `chunked` last are answered 400; `Content-Length` together with
/// `Transfer-Encoding: chunked` is read as chunked, the length is dropped and the connection is
/// closed after the answer (RFC 9112 §6.1's alternative to a 400, and what hyper exposes: the
/// service never sees the conflicting length, so the sidecar cannot answer 400 itself). Either
/// way nothing hidden in a body reaches the upstream as a request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicting_content_length_and_transfer_encoding_never_smuggles() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start("", &["--upstream", &upstream.url()]);
    let rejected: [&[u8]; 3] = [
        // Two different lengths.
        b"POST /sink HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\ncontent-length: 5\r\n\r\nabcdeGET /smuggled HTTP/1.1\r\nhost: x\r\n\r\n",
        // A transfer coding that is not chunked last: the length is unknowable.
        b"POST /sink HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked, identity\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        // Transfer-Encoding on HTTP/1.0, which has no chunked coding.
        b"POST /sink HTTP/1.0\r\nhost: x\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\nabc",
    ];
    for (i, bytes) in rejected.iter().enumerate() {
        let text = raw(sc.addr, bytes).await;
        assert!(text.starts_with("HTTP/1.1 400"), "case {i}: {text:.300}");
        assert!(!text.contains("/smuggled"), "case {i}: {text}");
    }
    assert_eq!(upstream.hits(), 0);
    // CL.TE and TE.CL: a front end trusting Content-Length would see one request and a back end
    // trusting chunked a second one hidden in the body.
    let both: [&[u8]; 2] = [
        b"POST /sink HTTP/1.1\r\nhost: x\r\ncontent-length: 40\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nhost: x\r\n\r\n",
        b"POST /sink HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nhost: x\r\n\r\n",
    ];
    for (i, bytes) in both.iter().enumerate() {
        let text = raw(sc.addr, bytes).await;
        assert!(text.starts_with("HTTP/1.1 200"), "case {i}: {text:.300}");
        assert_eq!(text.matches("HTTP/1.1 ").count(), 1, "one answer: {text}");
        assert!(
            text.to_ascii_lowercase().contains("connection: close"),
            "{text}"
        );
    }
    // Each body was read as chunked (3 bytes), and no hidden request was served.
    assert_eq!(upstream.hits(), 2);
    assert_eq!(upstream.sunk.load(std::sync::atomic::Ordering::SeqCst), 6);
    let recs = sc.wait_log(2).await;
    assert_eq!(recs.len(), 2);
    assert!(
        recs.iter()
            .all(|r| r.path.as_deref() == Some("/sink") && r.request_length == Some(3))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_is_closed_after_the_header_read_timeout() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start(
        "[server]\nheader_read_timeout_ms = 1000\n",
        &["--upstream", &upstream.url()],
    );
    let mut s = TcpStream::connect(sc.addr).await.unwrap();
    let head = b"GET /slow-headers HTTP/1.1\r\nhost: x\r\nx-a: 1\r\nx-b: 2\r\nx-c: 3\r\n\r\n";
    let t = Instant::now();
    let mut closed_at = None;
    let mut buf = [0u8; 1024];
    for b in head {
        // One byte every 150 ms: the whole head would need about 9 s.
        if s.write_all(&[*b]).await.is_err() {
            closed_at = Some(t.elapsed());
            break;
        }
        // Anything read (0 bytes at close, an error, or an answer) means the server gave up.
        if tokio::time::timeout(Duration::from_millis(150), s.read(&mut buf))
            .await
            .is_ok()
        {
            closed_at = Some(t.elapsed());
            break;
        }
    }
    let closed_at = closed_at.expect("the connection was not closed");
    assert!(
        closed_at >= Duration::from_millis(900) && closed_at < Duration::from_millis(2500),
        "{closed_at:?}"
    );
    assert_eq!(upstream.hits(), 0);
    // An ordinary client on another connection is served meanwhile and after.
    assert_eq!(get(sc.addr, "/after").await.status, StatusCode::OK);
}

/// The header read timeout's timers are reused from request to request (a data thread's
/// spares): a slow head after ordinary requests, and on a connection that already served one,
/// still gets exactly its timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_after_served_requests_is_closed_after_the_header_read_timeout() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start(
        "[server]\nheader_read_timeout_ms = 1000\n",
        &["--upstream", &upstream.url()],
    );
    for _ in 0..4 {
        assert_eq!(get(sc.addr, "/warm").await.status, StatusCode::OK);
    }
    let mut s = TcpStream::connect(sc.addr).await.unwrap();
    s.write_all(b"GET /first HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{:?}", &buf[..n]);
    let head = b"GET /slow-headers HTTP/1.1\r\nhost: x\r\nx-a: 1\r\nx-b: 2\r\nx-c: 3\r\n\r\n";
    let t = Instant::now();
    let mut closed_at = None;
    for b in head {
        if s.write_all(&[*b]).await.is_err() {
            closed_at = Some(t.elapsed());
            break;
        }
        if tokio::time::timeout(Duration::from_millis(150), s.read(&mut buf))
            .await
            .is_ok()
        {
            closed_at = Some(t.elapsed());
            break;
        }
    }
    let closed_at = closed_at.expect("the connection was not closed");
    assert!(
        closed_at >= Duration::from_millis(900) && closed_at < Duration::from_millis(2500),
        "{closed_at:?}"
    );
    assert_eq!(upstream.hits(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_mb_upload_is_413_without_buffering_it() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start("", &["--upstream", &upstream.url()]);
    let pid = sc.child.id();
    // Warm up (first connections, pools) before reading the high-water mark.
    assert_eq!(get(sc.addr, "/warm").await.status, StatusCode::OK);
    let hwm_before = proc_status_kb(pid, "VmHWM");
    // 50 MiB in 256 KiB frames with no declared length, made lazily: chunked on HTTP/1.1.
    let frames = futures_util::stream::iter(0..200)
        .map(|_| Ok::<_, std::convert::Infallible>(Frame::data(pattern(256 * 1024))));
    let body = http_body_util::BodyExt::boxed(http_body_util::StreamBody::new(frames));
    let stream = TcpStream::connect(sc.addr).await.unwrap();
    let (mut s, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = request("POST", sc.addr, "/sink", Proto::H1, body);
    // The sidecar may answer before the client finished sending (then the client sees 413)
    // or reset the connection under the sender (then only the log tells).
    if let Ok(resp) = tokio::time::timeout(Duration::from_secs(15), s.send_request(req))
        .await
        .unwrap()
    {
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    let recs = sc.wait_log(2).await;
    let r = only(&recs, "/sink");
    assert_eq!(r.status, Some(413));
    assert_eq!(r.error_response_type.as_deref(), Some("REQUEST_TOO_LARGE"));
    let limit = 10u64 << 20;
    assert!(r.request_length.unwrap() <= limit, "{:?}", r.request_length);
    let sunk = upstream.sunk.load(std::sync::atomic::Ordering::SeqCst);
    assert!(sunk <= limit, "the upstream got {sunk} bytes");
    let hwm_after = proc_status_kb(pid, "VmHWM");
    let grew_kb = hwm_after.saturating_sub(hwm_before);
    // Buffering the body whole would take 10 MiB at least (50 MiB without the cut).
    assert!(
        grew_kb < 6 * 1024,
        "peak RSS grew by {grew_kb} kB ({hwm_before} -> {hwm_after})"
    );
    // Still serving.
    assert_eq!(get(sc.addr, "/after").await.status, StatusCode::OK);
}
