//! A JWT authorizer like HTTP API's: exactly one `Authorization` header carries the token (with
//! or without `Bearer `); it must be signed by a key of the JWKS (RS256, ES256) or, only when a
//! secret is configured, HS256; `iss` must be present and be the issuer; `aud` must hold one of
//! the audiences, or — only when the token has no `aud`, as Cognito access tokens do — `client_id`
//! must be one of them; `exp` in the future and `nbf` in the past (with a small leeway); and when
//! the route lists scopes, the token's `scope` (space-separated) or `scp` (array) must hold at
//! least one of them. A bad token is 401 Unauthorized, a good one without the scope 403 Forbidden.
//!
//! A JWKS given by URL is fetched at start-up, refreshed on a timer, and refetched (at most every
//! `jwks_min_refetch_secs`, 30 s by default and never under 5 s) when a token names a key id it
//! does not know, so key rotation needs no restart. No lock is held while a fetch is in flight:
//! requests that arrive meanwhile wait for its result (bounded by the fetch timeout).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Request, Uri, header::AUTHORIZATION};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, Validation};
use serde::Deserialize;

use crate::config::{AuthorizerConfig, ConfigError, JwksSource};

/// The client used to fetch JWKS documents.
pub type FetchClient = Client<HttpsConnector<HttpConnector>, Empty<Bytes>>;

const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// No token, or a token that is not valid: 401.
    Unauthorized,
    /// A valid token without a required scope: 403.
    Forbidden,
}

#[derive(Debug)]
struct KeyEntry {
    kid: Option<String>,
    key: DecodingKey,
}

#[derive(Debug, Default)]
struct KeySet {
    keys: Vec<KeyEntry>,
}

impl KeySet {
    fn from_jwks(set: &JwkSet) -> Self {
        let keys = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let key = DecodingKey::from_jwk(jwk).ok()?;
                Some(KeyEntry {
                    kid: jwk.common.key_id.clone(),
                    key,
                })
            })
            .collect();
        Self { keys }
    }

    fn find(&self, kid: Option<&str>, family: AlgorithmFamily) -> Option<&DecodingKey> {
        self.keys
            .iter()
            .find(|k| {
                k.key.family() == family
                    && match kid {
                        Some(want) => k.kid.as_deref() == Some(want),
                        None => true,
                    }
            })
            .map(|k| &k.key)
    }
}

/// The claims the authorizer reads itself (jsonwebtoken checks `exp`, `nbf` and that `iss` is
/// there). A claim of the wrong type (`iss` as a list, `aud` as a number) fails to deserialize:
/// 401.
#[derive(Debug, Deserialize)]
struct ScopeClaims {
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    aud: Option<Aud>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    scp: Option<Scp>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Aud {
    One(String),
    List(Vec<String>),
}

impl ScopeClaims {
    /// API Gateway's rule: `iss` is the issuer; `aud` holds an audience, or, with no `aud`,
    /// `client_id` is one.
    fn issued_for(&self, issuer: &str, audiences: &[String]) -> bool {
        if self.iss.as_deref() != Some(issuer) {
            return false;
        }
        let known = |a: &str| audiences.iter().any(|w| w == a);
        match &self.aud {
            Some(Aud::One(a)) => known(a),
            Some(Aud::List(list)) => list.iter().any(|a| known(a)),
            None => self.client_id.as_deref().is_some_and(known),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Scp {
    List(Vec<String>),
    One(String),
}

impl ScopeClaims {
    fn has_any(&self, wanted: &[String]) -> bool {
        let from_scope = self
            .scope
            .as_deref()
            .into_iter()
            .flat_map(str::split_whitespace);
        let from_scp: Box<dyn Iterator<Item = &str>> = match &self.scp {
            Some(Scp::List(v)) => Box::new(v.iter().map(String::as_str)),
            Some(Scp::One(s)) => Box::new(s.split_whitespace()),
            None => Box::new(std::iter::empty()),
        };
        from_scope
            .chain(from_scp)
            .any(|s| wanted.iter().any(|w| w == s))
    }
}

#[derive(Debug)]
pub struct Authorizer {
    pub name: String,
    /// The claim checks for each accepted algorithm, built once (not per request).
    validations: [(Algorithm, Validation); 3],
    hs256: Option<DecodingKey>,
    keys: RwLock<Arc<KeySet>>,
    jwks_url: Option<Uri>,
    jwks_refresh: Duration,
    min_refetch: Duration,
    client: Option<FetchClient>,
    issuer: String,
    audiences: Vec<String>,
    /// When a token's unknown key id last caused a refetch (the periodic refresh does not
    /// count, so a rotation is picked up at the first new token). Held only to read and set.
    last_fetch: Mutex<Option<Instant>>,
    /// A refetch is in flight; [`Self::fetched`] is notified when it ends.
    fetching: AtomicBool,
    fetched: tokio::sync::Notify,
}

impl Authorizer {
    /// Builds the authorizer; a JWKS file is read now (errors name the config key).
    pub fn new(cfg: &AuthorizerConfig, client: FetchClient) -> Result<Self, ConfigError> {
        let key = |k: &str| format!("authorizers.{}.{k}", cfg.name);
        let (keys, jwks_url) = match &cfg.jwks {
            JwksSource::File(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| {
                    ConfigError::new(
                        key("jwks_file"),
                        format_args!("cannot read {}: {e}", p.display()),
                    )
                })?;
                let set: JwkSet = serde_json::from_str(&text).map_err(|e| {
                    ConfigError::new(
                        key("jwks_file"),
                        format_args!("{} is not a JWKS: {e}", p.display()),
                    )
                })?;
                let keys = KeySet::from_jwks(&set);
                if keys.keys.is_empty() {
                    return Err(ConfigError::new(
                        key("jwks_file"),
                        format_args!("{} holds no usable key", p.display()),
                    ));
                }
                (keys, None)
            }
            JwksSource::Url(u) => (KeySet::default(), Some(u.clone())),
            JwksSource::None => (KeySet::default(), None),
        };
        Ok(Self {
            name: cfg.name.clone(),
            validations: [Algorithm::HS256, Algorithm::RS256, Algorithm::ES256]
                .map(|alg| (alg, validation(cfg, alg))),
            hs256: cfg
                .hs256_secret
                .as_deref()
                .map(|s| DecodingKey::from_secret(s.as_bytes())),
            keys: RwLock::new(Arc::new(keys)),
            client: jwks_url.as_ref().map(|_| client),
            jwks_url,
            jwks_refresh: cfg.jwks_refresh,
            min_refetch: cfg.jwks_min_refetch,
            issuer: cfg.issuer.clone(),
            audiences: cfg.audiences.clone(),
            last_fetch: Mutex::new(None),
            fetching: AtomicBool::new(false),
            fetched: tokio::sync::Notify::new(),
        })
    }

    /// Starts the periodic JWKS refresh (URL sources only).
    pub fn spawn_refresh(self: &Arc<Self>) {
        if self.jwks_url.is_none() {
            return;
        }
        let me = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(a) = me.upgrade() else { return };
                let ok = a.refetch(true).await;
                let wait = if ok {
                    a.jwks_refresh
                } else {
                    Duration::from_secs(5)
                };
                drop(a);
                tokio::time::sleep(wait).await;
            }
        });
    }

    /// Fetches the JWKS again unless a token's unknown key id already did within `min_refetch`
    /// (`jwks_min_refetch_secs`; `force`, the periodic refresh, skips that). Returns whether new
    /// keys may be there. A request that finds a refetch in flight waits for it, holding no lock.
    async fn refetch(&self, force: bool) -> bool {
        let (Some(url), Some(client)) = (&self.jwks_url, &self.client) else {
            return false;
        };
        if !force {
            let recent = {
                let mut last = match self.last_fetch.lock() {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
                let recent = last.is_some_and(|t| t.elapsed() < self.min_refetch);
                if !recent {
                    *last = Some(Instant::now());
                }
                recent
            };
            if recent {
                if self.fetching.load(Ordering::Acquire) {
                    let wait = self.fetched.notified();
                    if self.fetching.load(Ordering::Acquire) {
                        let _ = tokio::time::timeout(FETCH_TIMEOUT, wait).await;
                        return true;
                    }
                }
                return false;
            }
        }
        self.fetching.store(true, Ordering::Release);
        let result = tokio::time::timeout(FETCH_TIMEOUT, fetch_jwks(client, url)).await;
        let ok = match result {
            Ok(Ok(set)) => {
                let keys = KeySet::from_jwks(&set);
                if let Ok(mut k) = self.keys.write() {
                    *k = Arc::new(keys);
                }
                true
            }
            Ok(Err(e)) => {
                tracing::warn!(authorizer = %self.name, url = %url, error = %e, "JWKS fetch failed");
                false
            }
            Err(_) => {
                tracing::warn!(authorizer = %self.name, url = %url, "JWKS fetch timed out");
                false
            }
        };
        self.fetching.store(false, Ordering::Release);
        self.fetched.notify_waiters();
        ok
    }

    fn current_keys(&self) -> Arc<KeySet> {
        match self.keys.read() {
            Ok(k) => k.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Decides a request from its headers; `scopes` are the route's required scopes.
    pub async fn check(&self, headers: &HeaderMap, scopes: &[String]) -> Result<(), Denied> {
        let token = bearer_token(headers).ok_or(Denied::Unauthorized)?;
        let header = jsonwebtoken::decode_header(token).map_err(|_| Denied::Unauthorized)?;
        let alg = header.alg;
        let claims = match alg {
            Algorithm::HS256 => {
                let key = self.hs256.as_ref().ok_or(Denied::Unauthorized)?;
                self.decode(token, alg, key)?
            }
            Algorithm::RS256 | Algorithm::ES256 => {
                let family = alg.family();
                let kid = header.kid.as_deref();
                let keys = self.current_keys();
                if let Some(key) = keys.find(kid, family) {
                    self.decode(token, alg, key)?
                } else {
                    // An unknown key id: the issuer may have rotated its keys.
                    if !self.refetch(false).await {
                        return Err(Denied::Unauthorized);
                    }
                    let keys = self.current_keys();
                    let key = keys.find(kid, family).ok_or(Denied::Unauthorized)?;
                    self.decode(token, alg, key)?
                }
            }
            _ => return Err(Denied::Unauthorized),
        };
        if !claims.issued_for(&self.issuer, &self.audiences) {
            tracing::debug!(authorizer = %self.name, "token refused: iss, aud or client_id");
            return Err(Denied::Unauthorized);
        }
        if scopes.is_empty() || claims.has_any(scopes) {
            Ok(())
        } else {
            Err(Denied::Forbidden)
        }
    }

    fn decode(
        &self,
        token: &str,
        alg: Algorithm,
        key: &DecodingKey,
    ) -> Result<ScopeClaims, Denied> {
        let (_, v) = self
            .validations
            .iter()
            .find(|(a, _)| *a == alg)
            .ok_or(Denied::Unauthorized)?;
        jsonwebtoken::decode::<ScopeClaims>(token, key, v)
            .map(|d| d.claims)
            .map_err(|e| {
                tracing::debug!(authorizer = %self.name, error = %e, "token refused");
                Denied::Unauthorized
            })
    }
}

/// The claim checks jsonwebtoken makes for tokens signed with `alg`: `exp` and `iss` required,
/// `nbf` checked, the issuer. The audience rule (`aud`, or `client_id` without `aud`) is not
/// jsonwebtoken's: [`ScopeClaims::issued_for`] makes it.
fn validation(cfg: &AuthorizerConfig, alg: Algorithm) -> Validation {
    let mut v = Validation::new(alg);
    v.leeway = cfg.leeway.as_secs();
    v.validate_nbf = true;
    v.set_required_spec_claims(&["exp", "iss"]);
    v.set_issuer(&[&cfg.issuer]);
    v.validate_aud = false;
    v
}

/// The token of `Authorization: Bearer <token>` (the `Bearer ` prefix is optional, as in HTTP
/// API). More than one `Authorization` header is no token: which one a service reads is its
/// own choice, so the one checked here might not be the one it trusts.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let mut all = headers.get_all(AUTHORIZATION).iter();
    let first = all.next()?;
    if all.next().is_some() {
        return None;
    }
    let v = first.to_str().ok()?.trim();
    let t = match v.get(..6) {
        Some(p)
            if p.eq_ignore_ascii_case("bearer") && (v.len() == 6 || v[6..].starts_with(' ')) =>
        {
            v[6..].trim_start()
        }
        _ => v,
    };
    (!t.is_empty()).then_some(t)
}

#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("{0}")]
    Http(#[from] hyper_util::client::legacy::Error),
    #[error("status {0}")]
    Status(http::StatusCode),
    #[error("reading the body: {0}")]
    Body(String),
    #[error("not a JWKS: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Request(#[from] http::Error),
}

async fn fetch_jwks(client: &FetchClient, url: &Uri) -> Result<JwkSet, FetchError> {
    let req = Request::get(url.clone())
        .header(http::header::ACCEPT, "application/json")
        .body(Empty::<Bytes>::new())?;
    let resp = client.request(req).await?;
    if !resp.status().is_success() {
        return Err(FetchError::Status(resp.status()));
    }
    let body = Limited::new(resp.into_body(), MAX_JWKS_BYTES)
        .collect()
        .await
        .map_err(|e| FetchError::Body(e.to_string()))?
        .to_bytes();
    Ok(serde_json::from_slice(&body)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_prefix_is_optional_and_case_insensitive() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer_token(&h), None);
        h.insert(AUTHORIZATION, "Bearer abc.def.ghi".parse().unwrap());
        assert_eq!(bearer_token(&h), Some("abc.def.ghi"));
        h.insert(AUTHORIZATION, "bearer   x.y.z".parse().unwrap());
        assert_eq!(bearer_token(&h), Some("x.y.z"));
        h.insert(AUTHORIZATION, "x.y.z".parse().unwrap());
        assert_eq!(bearer_token(&h), Some("x.y.z"));
        h.insert(AUTHORIZATION, "Bearer ".parse().unwrap());
        assert_eq!(bearer_token(&h), None);
        h.insert(AUTHORIZATION, "Bearer a.b.c".parse().unwrap());
        h.append(AUTHORIZATION, "Bearer x.y.z".parse().unwrap());
        assert_eq!(bearer_token(&h), None, "two Authorization headers");
    }

    #[test]
    fn scopes_from_scope_or_scp() {
        let c: ScopeClaims = serde_json::from_str(r#"{"scope":"a b c"}"#).unwrap();
        assert!(c.has_any(&["b".into()]));
        assert!(!c.has_any(&["d".into()]));
        let c: ScopeClaims = serde_json::from_str(r#"{"scp":["x","y"]}"#).unwrap();
        assert!(c.has_any(&["q".into(), "y".into()]));
        let c: ScopeClaims = serde_json::from_str(r#"{}"#).unwrap();
        assert!(!c.has_any(&["x".into()]));
    }
}
