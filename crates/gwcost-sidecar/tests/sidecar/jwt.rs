//! The JWT authorizer: every rejection case answers as API Gateway does and never reaches the
//! upstream; valid tokens (RS256, ES256, HS256 where configured, JWKS from a file or a URL) pass.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::StatusCode;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::util::*;

const ISSUER: &str = "https://issuer.test";
const AUDIENCE: &str = "api://gwcost";

struct Keys {
    rsa: EncodingKey,
    ec: EncodingKey,
    jwks: String,
}

fn keys() -> Keys {
    let rsa_pem = include_str!("fixtures/rsa-test-key.pem");
    let rsa = EncodingKey::from_rsa_pem(rsa_pem.as_bytes()).unwrap();
    let ec_pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let ec = EncodingKey::from_ec_pem(ec_pair.serialize_pem().as_bytes()).unwrap();
    let mut rsa_jwk = Jwk::from_encoding_key(&rsa, Algorithm::RS256).unwrap();
    rsa_jwk.common.key_id = Some("rsa1".into());
    let mut ec_jwk = Jwk::from_encoding_key(&ec, Algorithm::ES256).unwrap();
    ec_jwk.common.key_id = Some("ec1".into());
    let jwks = serde_json::to_string(&JwkSet {
        keys: vec![rsa_jwk, ec_jwk],
    })
    .unwrap();
    Keys { rsa, ec, jwks }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn claims(extra: Value) -> Value {
    let mut c = json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "iat": now(),
        "exp": now() + 600,
    });
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn token(alg: Algorithm, kid: Option<&str>, key: &EncodingKey, extra: Value) -> String {
    let mut h = Header::new(alg);
    h.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&h, &claims(extra), key).unwrap()
}

/// Flips one character of the signature: same header and claims, invalid signature.
fn tamper(tok: &str) -> String {
    let (head, sig) = tok.rsplit_once('.').unwrap();
    let mut sig: Vec<char> = sig.chars().collect();
    sig[5] = if sig[5] == 'A' { 'B' } else { 'A' };
    format!("{head}.{}", sig.into_iter().collect::<String>())
}

async fn call(addr: std::net::SocketAddr, path: &str, tok: Option<&str>) -> Got {
    let mut req = request("GET", addr, path, Proto::H1, full(Bytes::new()));
    if let Some(t) = tok {
        req.headers_mut()
            .insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    send(addr, Proto::H1, req).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_cases_from_a_jwks_file() {
    let k = keys();
    let upstream = Upstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let jwks_path = dir.path().join("jwks.json");
    std::fs::write(&jwks_path, &k.jwks).unwrap();
    let config = format!(
        r#"
upstream = "{up}"
authorizer = "main"
[authorizers.main]
issuer = "{ISSUER}"
audiences = ["{AUDIENCE}", "other-audience"]
jwks_file = "{jwks}"
leeway_secs = 5
[authorizers.shared]
issuer = "{ISSUER}"
audiences = ["{AUDIENCE}"]
hs256_secret = "a-long-shared-test-secret"
[[routes]]
key = "GET /messages"
scopes = ["messages:read"]
[[routes]]
key = "GET /users/{{id}}"
authorizer = "shared"
[[routes]]
key = "GET /public"
authorizer = "none"
[[routes]]
key = "$default"
"#,
        up = upstream.url(),
        jwks = jwks_path.display()
    );
    let sc = Sidecar::start_in(dir, &config, &[]);
    let hs = EncodingKey::from_secret(b"a-long-shared-test-secret");
    let scoped = json!({"scope": "profile messages:read"});
    let good_rs = token(Algorithm::RS256, Some("rsa1"), &k.rsa, scoped.clone());
    let good_es = token(
        Algorithm::ES256,
        Some("ec1"),
        &k.ec,
        json!({"scp": ["x", "messages:read"]}),
    );
    let good_hs = token(Algorithm::HS256, None, &hs, json!({}));

    // (path, token, expected status, expected errorResponseType)
    let cases: Vec<(&str, Option<String>, u16, Option<&str>)> = vec![
        ("/messages?ok-rs", Some(good_rs.clone()), 200, None),
        ("/messages?ok-es", Some(good_es), 200, None),
        (
            "/anything?no-scope-needed",
            Some(token(Algorithm::RS256, Some("rsa1"), &k.rsa, json!({}))),
            200,
            None,
        ),
        ("/users/7?ok-hs", Some(good_hs.clone()), 200, None),
        ("/public?no-token", None, 200, None),
        ("/messages?missing", None, 401, Some("UNAUTHORIZED")),
        (
            "/messages?garbage",
            Some("not-a-jwt".into()),
            401,
            Some("UNAUTHORIZED"),
        ),
        (
            "/messages?expired",
            Some(token(
                Algorithm::RS256,
                Some("rsa1"),
                &k.rsa,
                json!({"scope": "messages:read", "exp": now() - 3600}),
            )),
            401,
            Some("UNAUTHORIZED"),
        ),
        (
            "/messages?not-yet",
            Some(token(
                Algorithm::RS256,
                Some("rsa1"),
                &k.rsa,
                json!({"scope": "messages:read", "nbf": now() + 3600}),
            )),
            401,
            Some("UNAUTHORIZED"),
        ),
        (
            "/messages?no-exp",
            Some(token(
                Algorithm::RS256,
                Some("rsa1"),
                &k.rsa,
                json!({"scope": "messages:read", "exp": null}),
            )),
            401,
            Some("UNAUTHORIZED"),
        ),
        (
            "/messages?wrong-issuer",
            Some(token(
                Algorithm::RS256,
                Some("rsa1"),
                &k.rsa,
                json!({"scope": "messages:read", "iss": "https://evil.test"}),
            )),
            401,
            Some("UNAUTHORIZED"),
        ),
        (
            "/messages?wrong-audience",
            Some(token(
                Algorithm::RS256,
                Some("rsa1"),
                &k.rsa,
                json!({"scope": "messages:read", "aud": "api://else"}),
            )),
            401,
            Some("UNAUTHORIZED"),
        ),
        (
            "/messages?bad-signature",
            Some(tamper(&good_rs)),
            401,
            Some("UNAUTHORIZED"),
        ),
        (
            "/messages?unknown-kid",
            Some(token(
                Algorithm::RS256,
                Some("nope"),
                &k.rsa,
                scoped.clone(),
            )),
            401,
            Some("UNAUTHORIZED"),
        ),
        // HS256 signed with the public JWKS text is the classic algorithm-confusion attack.
        (
            "/messages?hs-on-rs-route",
            Some(token(
                Algorithm::HS256,
                None,
                &EncodingKey::from_secret(k.jwks.as_bytes()),
                scoped.clone(),
            )),
            401,
            Some("UNAUTHORIZED"),
        ),
        (
            "/users/7?rs-on-hs-route",
            Some(good_rs.clone()),
            401,
            Some("UNAUTHORIZED"),
        ),
        (
            "/messages?missing-scope",
            Some(token(
                Algorithm::RS256,
                Some("rsa1"),
                &k.rsa,
                json!({"scope": "profile"}),
            )),
            403,
            Some("ACCESS_DENIED"),
        ),
        (
            "/messages?scp-missing-scope",
            Some(token(
                Algorithm::ES256,
                Some("ec1"),
                &k.ec,
                json!({"scp": ["profile"]}),
            )),
            403,
            Some("ACCESS_DENIED"),
        ),
    ];
    let mut passed = 0;
    for (path, tok, status, _) in &cases {
        let before = upstream.hits();
        let got = call(sc.addr, path, tok.as_deref()).await;
        assert_eq!(got.status.as_u16(), *status, "{path}: {:?}", got.body);
        match *status {
            200 => {
                passed += 1;
                assert_eq!(upstream.hits(), before + 1, "{path}");
            }
            401 => {
                assert_eq!(json(&got), json!({"message": "Unauthorized"}), "{path}");
                assert_eq!(upstream.hits(), before, "{path} reached the upstream");
            }
            403 => {
                assert_eq!(json(&got), json!({"message": "Forbidden"}), "{path}");
                assert_eq!(upstream.hits(), before, "{path} reached the upstream");
            }
            _ => unreachable!(),
        }
    }
    assert_eq!(upstream.hits(), passed);
    let recs = sc.wait_log(cases.len()).await;
    assert_eq!(recs.len(), cases.len());
    for (path, _, status, kind) in &cases {
        let query = path.split_once('?').unwrap().1;
        // Lines carry the path without the query: find by order instead.
        let idx = cases.iter().position(|c| c.0 == *path).unwrap();
        let r = &recs[idx];
        assert_eq!(r.status, Some(*status), "{query}");
        assert_eq!(r.error_response_type.as_deref(), *kind, "{query}");
        if *status != 200 {
            assert!(
                r.integration_status.is_none() && r.integration_latency.is_none(),
                "{query}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_from_a_url_is_fetched_and_refetched_for_a_new_key_id() {
    let k = keys();
    let idp = Upstream::start().await;
    *idp.jwks.lock().unwrap() = k.jwks.clone();
    let upstream = Upstream::start().await;
    let config = format!(
        r#"
upstream = "{up}"
authorizer = "main"
[authorizers.main]
issuer = "{ISSUER}"
audiences = ["{AUDIENCE}"]
jwks_url = "{idp}/jwks.json"
"#,
        up = upstream.url(),
        idp = idp.url()
    );
    let sc = Sidecar::start(&config, &[]);
    let tok = token(Algorithm::ES256, Some("ec1"), &k.ec, json!({}));
    // The first fetch runs at start-up; retry briefly in case it is still in flight.
    let mut status = 0;
    for _ in 0..50 {
        status = call(sc.addr, "/a", Some(&tok)).await.status.as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, 200);
    assert_eq!(upstream.hits(), 1);
    // Rotation: the issuer publishes a new key id; the sidecar refetches on the unknown kid.
    let mut set: JwkSet = serde_json::from_str(&k.jwks).unwrap();
    set.keys[1].common.key_id = Some("ec2".into());
    *idp.jwks.lock().unwrap() = serde_json::to_string(&set).unwrap();
    let rotated = token(Algorithm::ES256, Some("ec2"), &k.ec, json!({}));
    let got = call(sc.addr, "/b", Some(&rotated)).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(upstream.hits(), 2);
    // The old key id is gone from the new set.
    let got = call(sc.addr, "/c", Some(&tok)).await;
    assert_eq!(got.status, StatusCode::UNAUTHORIZED);
    assert_eq!(upstream.hits(), 2);
}
