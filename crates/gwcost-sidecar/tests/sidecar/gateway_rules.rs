//! What API Gateway refuses, tried with real clients and tokens forged by a JWT library, and the
//! upstream's hit counter proving none of it got through: a protected route reached by another
//! spelling of its path (curl `--path-as-is`, raw sockets), tokens without `iss` or `aud` or of
//! another app client, two `Authorization` headers, spoofed forwarding headers, and throttling.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::util::*;

const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TEST";
const AUDIENCE: &str = "app-client-1";
const SECRET: &str = "a-long-gateway-rules-test-secret";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An HS256 token with exactly these claims (plus `exp`), signed by jsonwebtoken.
fn token(claims: Value) -> String {
    let mut c = claims;
    c["exp"] = json!(now() + 600);
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &c,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

fn admin_config(upstream: &Upstream) -> String {
    format!(
        r#"
upstream = "{up}"
[authorizers.main]
issuer = "{ISSUER}"
audiences = ["{AUDIENCE}"]
hs256_secret = "{SECRET}"
[[routes]]
key = "ANY /admin/{{proxy+}}"
authorizer = "main"
[[routes]]
key = "$default"
"#,
        up = upstream.url()
    )
}

/// curl's status code and body for `path` sent exactly as written.
fn curl(url_base: &str, path: &str, headers: &[&str]) -> (u16, String) {
    let mut cmd = std::process::Command::new("curl");
    cmd.args([
        "-s",
        "--path-as-is",
        "-o",
        "-",
        "-w",
        "\n%{http_code}",
        "--max-time",
        "10",
    ]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd
        .arg(format!("{url_base}{path}"))
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.trim().parse().unwrap(), body.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protected_route_cannot_be_reached_by_another_spelling() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start(&admin_config(&upstream), &[]);
    let base = format!("http://{}", sc.addr);
    // Each of these reached the service's /admin/x without a token before paths were
    // canonicalized: now each is the protected route (401) or refused as ambiguous (400).
    for (path, want) in [
        ("/admin/x", 401),
        ("//admin/x", 401),
        ("/./admin/x", 401),
        ("/public/../admin/x", 401),
        ("/%61dmin/x", 401),
        ("/%2e/admin/x", 401),
        ("/public/%2e%2e/admin/x", 401),
        ("/public/%2E%2E/admin/x", 401),
        ("/ADMIN/../admin/x", 401),
        ("/admin%2fx", 400),
        ("/admin%2Fx/y", 400),
        ("/public/..%2fadmin/x", 400),
        ("/admin;jsessionid=1/x", 400),
        ("/admin%3b/x", 400),
        ("/admin%00/x", 400),
        ("/admin%5cx", 400),
        ("/%zz/admin/x", 400),
    ] {
        let (code, body) = curl(&base, path, &[]);
        assert_eq!(code, want, "{path}: {body}");
        assert_eq!(upstream.hits(), 0, "{path} reached the service");
    }
    // The same with a raw socket (no client normalization at all), and a backslash.
    for path in ["//admin//x", "/admin/./x", "/x/../../admin/x", "/admin\\x"] {
        let reply = raw_exchange(
            sc.addr,
            format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes(),
            Duration::from_secs(5),
        )
        .await;
        let status = reply.split_whitespace().nth(1).unwrap_or("");
        assert!(status == "401" || status == "400", "{path}: {reply}");
    }
    assert_eq!(upstream.hits(), 0);
    // With a token, the odd spelling reaches the service as the canonical path.
    let auth = format!(
        "Authorization: Bearer {}",
        token(json!({"iss": ISSUER, "aud": AUDIENCE}))
    );
    let (code, body) = curl(&base, "/public/%2e%2e/%61dmin//x", &[&auth]);
    assert_eq!((code, body.as_str()), (200, "path=/admin/x"));
    assert_eq!(upstream.hits(), 1);
    // The log shows the route and the path it was routed by.
    let recs = sc.wait_log(22).await;
    let ok: Vec<_> = recs.iter().filter(|r| r.status == Some(200)).collect();
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0].route_key.as_deref(), Some("ANY /admin/{proxy+}"));
    assert_eq!(ok[0].path.as_deref(), Some("/admin/x"));
    let bad = recs.iter().filter(|r| r.status == Some(400)).count();
    assert!(bad >= 9, "{bad} lines of 400");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_base_path_in_the_upstream_cannot_be_escaped() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start(&format!("upstream = \"{}/base/\"\n", upstream.url()), &[]);
    let base = format!("http://{}", sc.addr);
    for path in [
        "/../secret",
        "/a/../../secret",
        "/%2e%2e/secret",
        "/./../secret",
    ] {
        let (code, body) = curl(&base, path, &[]);
        assert_eq!((code, body.as_str()), (200, "path=/base/secret"), "{path}");
    }
    assert_eq!(upstream.hits(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_checked_like_api_gateways_jwt_authorizer() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start(&admin_config(&upstream), &[]);
    let base = format!("http://{}", sc.addr);
    let call = |claims: Value| {
        let auth = format!("Authorization: Bearer {}", token(claims));
        curl(&base, "/admin/x", &[&auth])
    };
    // Refused: validly signed, but not for this API.
    for (why, claims) in [
        ("no aud", json!({"iss": ISSUER, "sub": "u"})),
        ("no iss", json!({"aud": AUDIENCE})),
        (
            "iss of another pool",
            json!({"iss": "https://other.example", "aud": AUDIENCE}),
        ),
        (
            "Cognito access token of another app client",
            json!({"iss": ISSUER, "client_id": "another-app", "token_use": "access"}),
        ),
        (
            "client_id ignored when aud is there",
            json!({"iss": ISSUER, "aud": "another-app", "client_id": AUDIENCE}),
        ),
        ("iss as a list", json!({"iss": [ISSUER], "aud": AUDIENCE})),
        ("aud as a number", json!({"iss": ISSUER, "aud": 7})),
        ("empty aud list", json!({"iss": ISSUER, "aud": []})),
    ] {
        let (code, body) = call(claims);
        assert_eq!(code, 401, "{why}: {body}");
        assert_eq!(body, r#"{"message":"Unauthorized"}"#);
        assert_eq!(upstream.hits(), 0, "{why} reached the service");
    }
    // Accepted: aud (string or list) holds the audience; a Cognito access token (no aud)
    // whose client_id is the audience.
    for (why, claims) in [
        ("aud", json!({"iss": ISSUER, "aud": AUDIENCE})),
        ("aud list", json!({"iss": ISSUER, "aud": ["x", AUDIENCE]})),
        (
            "Cognito access token",
            json!({"iss": ISSUER, "client_id": AUDIENCE, "token_use": "access", "scope": "aws.cognito.signin.user.admin"}),
        ),
    ] {
        let before = upstream.hits();
        let (code, body) = call(claims);
        assert_eq!(code, 200, "{why}: {body}");
        assert_eq!(upstream.hits(), before + 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_authorization_headers_are_401() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start(&admin_config(&upstream), &[]);
    let good = format!("Bearer {}", token(json!({"iss": ISSUER, "aud": AUDIENCE})));
    let forged = "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.";
    for (first, second) in [
        (good.as_str(), forged),
        (forged, good.as_str()),
        (good.as_str(), good.as_str()),
    ] {
        let mut req = request("GET", sc.addr, "/admin/x", Proto::H1, full(Bytes::new()));
        req.headers_mut()
            .append("authorization", first.parse().unwrap());
        req.headers_mut()
            .append("authorization", second.parse().unwrap());
        let got = send(sc.addr, Proto::H1, req).await;
        assert_eq!(got.status, StatusCode::UNAUTHORIZED);
        // h2 too: header fields arrive as separate entries.
        let mut req = request("GET", sc.addr, "/admin/x", Proto::H2c, full(Bytes::new()));
        req.headers_mut()
            .append("authorization", first.parse().unwrap());
        req.headers_mut()
            .append("authorization", second.parse().unwrap());
        let got = send(sc.addr, Proto::H2c, req).await;
        assert_eq!(got.status, StatusCode::UNAUTHORIZED);
    }
    // curl sends both -H lines as two fields.
    let (code, _) = curl(
        &format!("http://{}", sc.addr),
        "/admin/x",
        &[
            &format!("Authorization: {good}"),
            &format!("Authorization: {forged}"),
        ],
    );
    assert_eq!(code, 401);
    assert_eq!(upstream.hits(), 0);
    // One good header passes.
    let mut req = request("GET", sc.addr, "/admin/x", Proto::H1, full(Bytes::new()));
    req.headers_mut()
        .insert("authorization", good.parse().unwrap());
    assert_eq!(send(sc.addr, Proto::H1, req).await.status, StatusCode::OK);
    assert_eq!(upstream.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarding_headers_cannot_be_spoofed() {
    let upstream = Upstream::start().await;
    let spoof = [
        "X-Forwarded-For: 10.9.9.9",
        "Forwarded: for=10.9.9.9;proto=https",
        "X-Real-IP: 10.9.9.9",
        "X-Forwarded-Host: admin.internal",
        "X-Forwarded-Port: 443",
        "X-Forwarded-Proto: https",
    ];
    let sc = Sidecar::start(&format!("upstream = \"{}\"\n", upstream.url()), &[]);
    let (code, body) = curl(&format!("http://{}", sc.addr), "/headers", &spoof);
    assert_eq!(code, 200);
    let lines: Vec<&str> = body.lines().collect();
    assert!(lines.contains(&"x-forwarded-for: 127.0.0.1"), "{body}");
    assert!(lines.contains(&"x-forwarded-proto: http"), "{body}");
    for gone in [
        "forwarded:",
        "x-real-ip:",
        "x-forwarded-host:",
        "x-forwarded-port:",
    ] {
        assert!(!body.contains(gone), "{gone} passed through: {body}");
    }
    assert!(!body.contains("10.9.9.9"), "{body}");
    // Behind a trusted proxy (here: loopback), its X-Forwarded-For is kept and the peer appended.
    let trusted = Sidecar::start(
        &format!(
            "upstream = \"{}\"\ntrusted_proxies = [\"127.0.0.0/8\"]\n",
            upstream.url()
        ),
        &[],
    );
    let (_, body) = curl(&format!("http://{}", trusted.addr), "/headers", &spoof);
    assert!(
        body.lines()
            .any(|l| l == "x-forwarded-for: 10.9.9.9, 127.0.0.1"),
        "{body}"
    );
    assert!(!body.contains("x-real-ip:"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_requests_are_429_logged_unbilled_and_counted() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start(
        &format!(
            r#"
upstream = "{up}"
[throttle]
rate_limit = 1000
burst = 1000
[[routes]]
key = "GET /limited"
rate_limit = 0.5
burst = 2
[[routes]]
key = "$default"
"#,
            up = upstream.url()
        ),
        &[],
    );
    let mut codes = Vec::new();
    for _ in 0..5 {
        let got = get(sc.addr, "/limited").await;
        if got.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(
                got.body,
                Bytes::from_static(br#"{"message":"Too Many Requests"}"#)
            );
        }
        codes.push(got.status.as_u16());
    }
    // Burst 2, then 0.5/s: within the ~100 ms these take, no new token.
    assert_eq!(codes, [200, 200, 429, 429, 429]);
    assert_eq!(upstream.hits(), 2);
    // Other routes use the stage's bucket, which has room.
    assert_eq!(get(sc.addr, "/other").await.status, StatusCode::OK);
    let recs = sc.wait_log(6).await;
    let throttled: Vec<_> = recs.iter().filter(|r| r.status == Some(429)).collect();
    assert_eq!(throttled.len(), 3);
    let book = gwcost_pricing::PriceBook::aws_us_east_1();
    for r in &throttled {
        assert_eq!(r.error_response_type.as_deref(), Some("THROTTLED"));
        assert_eq!(r.route_key.as_deref(), Some("GET /limited"));
        assert!(!book.is_billable(r.error_response_type.as_deref()));
    }
    assert_eq!(
        metric(sc.admin, "gwcost_requests_throttled_total").await,
        "3"
    );
    // Only the 3 requests that reached the service are billed.
    let month = metric_prefix(sc.admin, "gwcost_month_http_billed_units{").await;
    assert_eq!(month, "3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stage_throttle_applies_to_every_route() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start(
        &format!(
            "upstream = \"{}\"\n[throttle]\nrate_limit = 0.1\nburst = 3\n",
            upstream.url()
        ),
        &[],
    );
    let mut ok = 0;
    for i in 0..6 {
        if get(sc.addr, &format!("/p{i}")).await.status == StatusCode::OK {
            ok += 1;
        }
    }
    assert_eq!(ok, 3);
    assert_eq!(upstream.hits(), 3);
}
