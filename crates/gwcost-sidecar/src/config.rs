//! Configuration: command-line flags for the one-service case, a TOML file for routes,
//! authorizers, TLS and limits, flags overriding the file. Every error names the key it is about
//! (`routes[1].key: ...`, `--listen: ...`) on one line, so a typo is found without reading docs.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use http::uri::{Authority, Scheme, Uri};
use serde::Deserialize;

use crate::routes::RoutePattern;

/// API Gateway's payload limit (HTTP and REST APIs): 10 MB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 10 * 1024 * 1024;
/// API Gateway's integration timeout for HTTP APIs: 30 seconds.
pub const DEFAULT_INTEGRATION_TIMEOUT_MS: u64 = 30_000;
/// Time a client gets to send a request's headers before its connection is closed.
pub const DEFAULT_HEADER_READ_TIMEOUT_MS: u64 = 10_000;
/// Largest request head accepted (431 above). API Gateway allows about 10 KB of headers; the
/// default leaves room for large cookies and tokens while keeping a connection's buffer small.
pub const DEFAULT_MAX_HEADER_BYTES: u64 = 64 * 1024;
/// API Gateway's WebSocket message limit: 128 KB.
pub const DEFAULT_WS_MAX_MESSAGE_BYTES: u64 = 128 * 1024;
/// API Gateway's WebSocket idle timeout: 10 minutes.
pub const DEFAULT_WS_IDLE_SECS: u64 = 600;
/// API Gateway's WebSocket connection duration limit: 2 hours.
pub const DEFAULT_WS_MAX_CONNECTION_SECS: u64 = 7200;
/// How long a WebSocket write may wait for a peer that does not read.
pub const DEFAULT_WS_WRITE_TIMEOUT_MS: u64 = 10_000;
/// Longest pause between two pieces of a response body from the upstream (API Gateway's
/// integration timeout again: it covers the whole answer there).
pub const DEFAULT_RESPONSE_IDLE_TIMEOUT_MS: u64 = 30_000;
/// Pooled upstream connections are closed after this idle time: below Node's 5 s keep-alive,
/// so the sidecar closes first instead of racing the service's close.
pub const DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS: u64 = 4_000;
/// The least time between two JWKS refetches caused by unknown key ids (and the floor of
/// `jwks_min_refetch_secs`).
pub const MIN_JWKS_REFETCH_SECS: u64 = 5;

/// A configuration problem, always tied to the key or flag that caused it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{key}: {message}")]
pub struct ConfigError {
    /// The TOML key path (`limits.max_body_bytes`) or flag (`--listen`).
    pub key: String,
    /// What is wrong, on one line.
    pub message: String,
}

impl ConfigError {
    pub fn new(key: impl Into<String>, message: impl std::fmt::Display) -> Self {
        let message = message.to_string();
        // One line, always: multi-line library messages keep only their first line.
        let message = message.lines().next().unwrap_or_default().trim().to_owned();
        Self {
            key: key.into(),
            message,
        }
    }
}

/// Command-line flags. Every flag overrides the same setting of `--config`.
#[derive(Debug, Parser, Default)]
#[command(
    name = "gwcost-sidecar",
    version,
    about = "A metering reverse proxy: logs, request by request, what AWS API Gateway would bill."
)]
pub struct Cli {
    /// Address to accept client connections on (e.g. 0.0.0.0:8080; port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// The service behind the sidecar (http:// or https:// URL); the `$default` route's upstream.
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
    /// Access log file (schema v1 JSON lines); reopened on SIGHUP.
    #[arg(long, value_name = "FILE")]
    pub access_log: Option<PathBuf>,
    /// Address of the admin listener (/metrics, /healthz, /ready).
    #[arg(long, value_name = "ADDR")]
    pub admin: Option<String>,
    /// Stage name written to every log line (default `$default`).
    #[arg(long)]
    pub stage: Option<String>,
    /// TOML configuration file (routes, authorizers, TLS, limits).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// PEM certificate chain for TLS termination.
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for TLS termination.
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Extra PEM CA certificates trusted for https:// upstreams.
    #[arg(long, value_name = "FILE")]
    pub upstream_ca: Option<PathBuf>,
    /// Integration timeout in milliseconds (API Gateway: 30000).
    #[arg(long, value_name = "MS")]
    pub integration_timeout_ms: Option<u64>,
    /// Seconds to let in-flight requests finish after SIGTERM/SIGINT.
    #[arg(long, value_name = "SECS")]
    pub drain_grace_secs: Option<u64>,
    /// Data-path threads, each with its own listener (SO_REUSEPORT), runtime and upstream pool
    /// (default: one per core).
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
}

/// The TOML file, as written. Unknown keys are errors (a misspelt key must not be ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    upstream: Option<String>,
    access_log: Option<PathBuf>,
    admin: Option<String>,
    stage: Option<String>,
    api_id: Option<String>,
    /// The authorizer applied to every route that does not name its own.
    authorizer: Option<String>,
    workers: Option<usize>,
    /// Peers (addresses or CIDR blocks) whose `X-Forwarded-For` is appended to, not replaced.
    #[serde(default)]
    trusted_proxies: Vec<String>,
    tls: Option<TlsFile>,
    upstream_tls: Option<UpstreamTlsFile>,
    #[serde(default)]
    limits: LimitsFile,
    #[serde(default)]
    log: LogFile,
    #[serde(default)]
    server: ServerFile,
    #[serde(default)]
    metrics: MetricsFile,
    #[serde(default)]
    throttle: ThrottleFile,
    #[serde(default)]
    upstream_pool: UpstreamPoolFile,
    #[serde(default)]
    routes: Vec<RouteFile>,
    #[serde(default)]
    authorizers: BTreeMap<String, AuthorizerFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFile {
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpstreamTlsFile {
    ca_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsFile {
    max_body_bytes: Option<u64>,
    integration_timeout_ms: Option<u64>,
    ws_max_message_bytes: Option<u64>,
    ws_idle_timeout_secs: Option<u64>,
    ws_max_connection_secs: Option<u64>,
    ws_write_timeout_ms: Option<u64>,
    response_idle_timeout_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThrottleFile {
    rate_limit: Option<f64>,
    burst: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpstreamPoolFile {
    max_connections: Option<u64>,
    max_waiting: Option<u64>,
    idle_timeout_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogFile {
    queue_capacity: Option<usize>,
    rotate_bytes: Option<u64>,
    retain: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerFile {
    drain_grace_secs: Option<u64>,
    header_read_timeout_ms: Option<u64>,
    max_header_bytes: Option<u64>,
    max_connections: Option<u64>,
    h2_keepalive_interval_secs: Option<u64>,
    h2_keepalive_timeout_secs: Option<u64>,
    idle_timeout_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricsFile {
    free_tier: Option<bool>,
    /// The region whose embedded price book prices `/metrics` (default us-east-1).
    region: Option<String>,
    /// A price-book TOML file (as `gwcost prices --format toml` or `gwcost prices import`
    /// write it); wins over `region`.
    price_book: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteFile {
    key: String,
    upstream: Option<String>,
    authorizer: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    rate_limit: Option<f64>,
    burst: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthorizerFile {
    issuer: Option<String>,
    #[serde(default)]
    audiences: Vec<String>,
    jwks_file: Option<PathBuf>,
    jwks_url: Option<String>,
    hs256_secret: Option<String>,
    leeway_secs: Option<u64>,
    jwks_refresh_secs: Option<u64>,
    jwks_min_refetch_secs: Option<u64>,
}

/// An upstream (an HTTP integration): scheme, authority and an optional base path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub scheme: Scheme,
    pub authority: Authority,
    /// Prefix prepended to the request path; `None` for `/`.
    pub base_path: Option<String>,
}

impl Upstream {
    /// Parses `http://host:port[/base]`; `key` names the setting in errors.
    pub fn parse(s: &str, key: &str) -> Result<Self, ConfigError> {
        let uri: Uri = s
            .parse()
            .map_err(|e| ConfigError::new(key, format_args!("{s:?} is not a URL: {e}")))?;
        let scheme = match uri.scheme_str() {
            Some("http") => Scheme::HTTP,
            Some("https") => Scheme::HTTPS,
            _ => {
                return Err(ConfigError::new(
                    key,
                    format_args!("{s:?} must start with http:// or https://"),
                ));
            }
        };
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| ConfigError::new(key, format_args!("{s:?} has no host")))?;
        if uri.query().is_some() {
            return Err(ConfigError::new(
                key,
                format_args!("{s:?} must not have a query"),
            ));
        }
        let path = uri.path().trim_end_matches('/');
        let base_path = (!path.is_empty()).then(|| path.to_owned());
        Ok(Self {
            scheme,
            authority,
            base_path,
        })
    }

    pub fn is_https(&self) -> bool {
        self.scheme == Scheme::HTTPS
    }
}

impl std::fmt::Display for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme,
            self.authority,
            self.base_path.as_deref().unwrap_or("")
        )
    }
}

/// One route: its key, where it goes, who may call it.
#[derive(Debug, Clone)]
pub struct RouteConfig {
    pub key: String,
    pub pattern: RoutePattern,
    pub upstream: Upstream,
    /// Name of the authorizer (already checked to exist), `None` for an open route.
    pub authorizer: Option<String>,
    /// Scopes of which the token must carry at least one (HTTP API's `authorizationScopes`).
    pub scopes: Vec<String>,
    /// The route's own throttle, when it sets one.
    pub throttle: Option<Throttle>,
}

/// A token bucket's settings: `rate_limit` requests a second, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttle {
    pub rate_limit: f64,
    pub burst: u64,
}

impl Default for Throttle {
    /// API Gateway's account default: 10,000 requests a second, burst 5,000.
    fn default() -> Self {
        Self {
            rate_limit: crate::throttle::DEFAULT_RATE_LIMIT,
            burst: crate::throttle::DEFAULT_BURST,
        }
    }
}

/// Addresses and CIDR blocks of proxies in front of the sidecar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses `10.0.0.0/8`, `192.0.2.7`, `::1`, `fd00::/8`; `key` names the setting in errors.
    pub fn parse(items: &[String], key: &str) -> Result<Self, ConfigError> {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let bad = || {
                ConfigError::new(
                    format!("{key}[{i}]"),
                    format_args!("{item:?} is not an address or CIDR block"),
                )
            };
            let (addr, len) = match item.split_once('/') {
                Some((a, l)) => (a, Some(l.parse::<u8>().map_err(|_| bad())?)),
                None => (item.as_str(), None),
            };
            let ip: IpAddr = addr.trim().parse().map_err(|_| bad())?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let len = len.unwrap_or(max);
            if len > max {
                return Err(bad());
            }
            out.push((ip, len));
        }
        Ok(Self(out))
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.0.iter().any(|&(net, len)| match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        })
    }
}

/// Where a JWT authorizer gets its keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksSource {
    File(PathBuf),
    Url(Uri),
    /// Only an HS256 secret, no public keys.
    None,
}

#[derive(Debug, Clone)]
pub struct AuthorizerConfig {
    pub name: String,
    pub issuer: String,
    pub audiences: Vec<String>,
    pub jwks: JwksSource,
    pub hs256_secret: Option<String>,
    pub leeway: Duration,
    pub jwks_refresh: Duration,
    /// Least time between two refetches caused by unknown key ids (a flood of forged kids must
    /// not become a flood of fetches).
    pub jwks_min_refetch: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_body_bytes: u64,
    pub integration_timeout: Duration,
    pub ws_max_message_bytes: u64,
    pub ws_idle_timeout: Duration,
    pub ws_max_connection: Duration,
    /// Longest a WebSocket write may wait for a peer that does not read: then the connection
    /// is closed, so the idle, duration and shutdown timers always run.
    pub ws_write_timeout: Duration,
    /// Longest pause between two pieces of an upstream response body.
    pub response_idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            integration_timeout: Duration::from_millis(DEFAULT_INTEGRATION_TIMEOUT_MS),
            ws_max_message_bytes: DEFAULT_WS_MAX_MESSAGE_BYTES,
            ws_idle_timeout: Duration::from_secs(DEFAULT_WS_IDLE_SECS),
            ws_max_connection: Duration::from_secs(DEFAULT_WS_MAX_CONNECTION_SECS),
            ws_write_timeout: Duration::from_millis(DEFAULT_WS_WRITE_TIMEOUT_MS),
            response_idle_timeout: Duration::from_millis(DEFAULT_RESPONSE_IDLE_TIMEOUT_MS),
        }
    }
}

/// Per-thread upstream connection pool settings (plain `http://` upstreams).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolConfig {
    /// Most connections one data thread opens to one upstream.
    pub max_connections: usize,
    /// Most requests waiting for one of them; beyond it, 503.
    pub max_waiting: usize,
    /// A pooled connection unused this long is closed before the upstream's keep-alive would.
    pub idle_timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_connections: 256,
            max_waiting: 1024,
            idle_timeout: Duration::from_millis(DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// `-` is standard output.
    pub path: PathBuf,
    /// Bounded queue between the request path and the writer thread.
    pub queue_capacity: usize,
    /// Rotate when the file reaches this size; `None` leaves rotation to logrotate.
    pub rotate_bytes: Option<u64>,
    /// Rotated files kept (`access.log.1` … `access.log.N`).
    pub retain: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The resolved configuration the sidecar runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub admin: Option<SocketAddr>,
    pub stage: String,
    pub api_id: Option<String>,
    pub tls: Option<TlsFiles>,
    pub upstream_ca_file: Option<PathBuf>,
    pub routes: Vec<RouteConfig>,
    pub authorizers: BTreeMap<String, AuthorizerConfig>,
    pub limits: Limits,
    pub log: LogConfig,
    pub drain_grace: Duration,
    /// How long a client may take to send a request's headers (slowloris defence); the
    /// connection is closed when it runs out.
    pub header_read_timeout: Duration,
    /// Largest request head (request line + headers) accepted on HTTP/1.1 and HTTP/2; a
    /// larger one is answered 431.
    pub max_header_bytes: usize,
    pub metrics_free_tier: bool,
    /// The prices behind `/metrics`' running month cost (`[metrics] region` or `price_book`).
    pub metrics_book: gwcost_pricing::PriceBook,
    pub workers: Option<usize>,
    /// Most client connections open at once (all threads); beyond it, new ones wait in the
    /// kernel's accept queue.
    pub max_connections: usize,
    /// HTTP/2 keep-alive ping interval and the time its answer may take.
    pub h2_keepalive_interval: Duration,
    pub h2_keepalive_timeout: Duration,
    /// A client connection (HTTP/1.1 or HTTP/2) without a new request for this long is closed
    /// once what is in flight has finished.
    pub idle_timeout: Duration,
    pub stage_throttle: Throttle,
    pub trusted_proxies: TrustedProxies,
    pub upstream_pool: PoolConfig,
}

/// What the binary should do after reading its arguments.
#[derive(Debug)]
pub enum Loaded {
    Run(Box<Config>),
    /// `--help` or `--version`: print this on stdout and exit 0.
    Print(String),
}

/// Parses the command line (including the program name) and the config file it names.
pub fn load<I, T>(args: I) -> Result<Loaded, ConfigError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                return Ok(Loaded::Print(e.render().to_string()));
            }
            return Err(clap_error(&e));
        }
    };
    let file = match &cli.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                ConfigError::new(
                    "--config",
                    format_args!("cannot read {}: {e}", path.display()),
                )
            })?;
            parse_file(&text, path)?
        }
        None => FileConfig::default(),
    };
    resolve(cli, file).map(|c| Loaded::Run(Box::new(c)))
}

/// Turns clap's multi-line error into `--flag: problem`.
fn clap_error(e: &clap::Error) -> ConfigError {
    use clap::error::{ContextKind, ContextValue};
    let key = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.split_whitespace().next().unwrap_or("arguments"),
        _ => "arguments",
    }
    .to_owned();
    let rendered = e.render().to_string();
    let first = rendered
        .lines()
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ");
    ConfigError::new(key, first)
}

/// Parses the TOML text; errors name the key path (`routes[0].upstream`) or the line.
fn parse_file(text: &str, path: &Path) -> Result<FileConfig, ConfigError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        let at = match line {
            Some(l) => format!("{} line {l}", path.display()),
            None => path.display().to_string(),
        };
        ConfigError::new(at, e.message())
    })?;
    serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
        let key = e.path().to_string();
        let key = if key == "." || key.is_empty() {
            path.display().to_string()
        } else {
            key
        };
        ConfigError::new(key, e.inner())
    })
}

fn parse_addr(s: &str, key: &str) -> Result<SocketAddr, ConfigError> {
    s.parse().map_err(|_| {
        ConfigError::new(
            key,
            format_args!("{s:?} is not an IP:port address (e.g. 127.0.0.1:8080)"),
        )
    })
}

/// `v` (or `default`) within `min..=max`, else an error naming `key` and the range. Every
/// duration and size is bounded so that no setting can overflow a deadline or an allocation.
fn bounded(
    v: Option<u64>,
    default: u64,
    min: u64,
    max: u64,
    key: &str,
) -> Result<u64, ConfigError> {
    let n = v.unwrap_or(default);
    if n < min || n > max {
        return Err(ConfigError::new(
            key,
            format_args!("must be between {min} and {max} (got {n})"),
        ));
    }
    Ok(n)
}

/// A rate in requests a second: finite, positive, at most a billion.
fn rate(v: Option<f64>, default: f64, key: &str) -> Result<f64, ConfigError> {
    let r = v.unwrap_or(default);
    if !r.is_finite() || r <= 0.0 || r > 1e9 {
        return Err(ConfigError::new(
            key,
            format_args!("must be between 0 (exclusive) and 1000000000 (got {r})"),
        ));
    }
    Ok(r)
}

/// Whether a JWKS URL's host is this machine (where plain http:// cannot be intercepted).
fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// An `authorizer = "<name>"` setting: `none` turns authorization off, any other name must
/// have its `[authorizers.<name>]` section.
fn named_authorizer(
    name: String,
    authorizers: &BTreeMap<String, AuthorizerConfig>,
    key: impl Into<String>,
) -> Result<Option<String>, ConfigError> {
    if name.eq_ignore_ascii_case("none") {
        Ok(None)
    } else if authorizers.contains_key(&name) {
        Ok(Some(name))
    } else {
        Err(ConfigError::new(
            key,
            format_args!("no [authorizers.{name}] section"),
        ))
    }
}

/// Resolves flags over the file, one section at a time: each section's settings are read,
/// defaulted, bounded and checked by that section's own `resolve` below, so a new setting
/// touches its section and the `Config` field it fills.
fn resolve(cli: Cli, file: FileConfig) -> Result<Config, ConfigError> {
    let (listen_s, listen_key) = match (&cli.listen, &file.listen) {
        (Some(s), _) => (s.as_str(), "--listen"),
        (None, Some(s)) => (s.as_str(), "listen"),
        (None, None) => ("127.0.0.1:8080", "--listen"),
    };
    let listen = parse_addr(listen_s, listen_key)?;
    let admin = match (&cli.admin, &file.admin) {
        (Some(s), _) => Some(parse_addr(s, "--admin")?),
        (None, Some(s)) => Some(parse_addr(s, "admin")?),
        (None, None) => None,
    };
    let default_upstream = match (&cli.upstream, &file.upstream) {
        (Some(s), _) => Some(Upstream::parse(s, "--upstream")?),
        (None, Some(s)) => Some(Upstream::parse(s, "upstream")?),
        (None, None) => None,
    };
    let log_path = cli.access_log.or(file.access_log).ok_or_else(|| {
        ConfigError::new("--access-log", "is required (or access_log in the config)")
    })?;
    let stage = cli
        .stage
        .or(file.stage)
        .unwrap_or_else(|| "$default".to_owned());
    if stage.is_empty() {
        return Err(ConfigError::new("stage", "must not be empty"));
    }
    let workers_key = if cli.workers.is_some() {
        "--workers"
    } else {
        "workers"
    };
    let workers = match cli.workers.or(file.workers) {
        Some(n) => Some(bounded(Some(n as u64), 1, 1, 1024, workers_key)? as usize),
        None => None,
    };

    let tls = file
        .tls
        .unwrap_or_default()
        .resolve(cli.tls_cert, cli.tls_key)?;
    let upstream_ca_file = cli
        .upstream_ca
        .or(file.upstream_tls.and_then(|t| t.ca_file));
    let authorizers = resolve_authorizers(file.authorizers)?;
    let routes = resolve_routes(
        file.routes,
        default_upstream.as_ref(),
        &authorizers,
        file.authorizer,
    )?;
    let limits = file.limits.resolve(cli.integration_timeout_ms)?;
    let server = file.server.resolve(cli.drain_grace_secs)?;
    let stage_throttle = file.throttle.resolve()?;
    let upstream_pool = file.upstream_pool.resolve()?;
    let log = file.log.resolve(log_path)?;
    let (metrics_free_tier, metrics_book) = file.metrics.resolve()?;
    let trusted_proxies = TrustedProxies::parse(&file.trusted_proxies, "trusted_proxies")?;
    let ServerSettings {
        drain_grace,
        header_read_timeout,
        max_header_bytes,
        max_connections,
        h2_keepalive_interval,
        h2_keepalive_timeout,
        idle_timeout,
    } = server;
    Ok(Config {
        listen,
        admin,
        stage,
        api_id: file.api_id,
        tls,
        upstream_ca_file,
        routes,
        authorizers,
        limits,
        log,
        drain_grace,
        header_read_timeout,
        max_header_bytes,
        metrics_free_tier,
        metrics_book,
        workers,
        max_connections,
        h2_keepalive_interval,
        h2_keepalive_timeout,
        idle_timeout,
        stage_throttle,
        trusted_proxies,
        upstream_pool,
    })
}

impl TlsFile {
    /// `[tls]` with `--tls-cert` / `--tls-key` over it: both files or neither.
    fn resolve(
        self,
        cli_cert: Option<PathBuf>,
        cli_key: Option<PathBuf>,
    ) -> Result<Option<TlsFiles>, ConfigError> {
        match (cli_cert.or(self.cert), cli_key.or(self.key)) {
            (Some(cert), Some(key)) => Ok(Some(TlsFiles { cert, key })),
            (None, None) => Ok(None),
            (Some(_), None) => Err(ConfigError::new("--tls-key", "is required with --tls-cert")),
            (None, Some(_)) => Err(ConfigError::new("--tls-cert", "is required with --tls-key")),
        }
    }
}

/// `[authorizers.NAME]`, each resolved by [`AuthorizerFile::resolve`].
fn resolve_authorizers(
    file: BTreeMap<String, AuthorizerFile>,
) -> Result<BTreeMap<String, AuthorizerConfig>, ConfigError> {
    let mut authorizers = BTreeMap::new();
    for (name, a) in file {
        let resolved = a.resolve(&name)?;
        authorizers.insert(name, resolved);
    }
    Ok(authorizers)
}

impl AuthorizerFile {
    /// One `[authorizers.NAME]`: API Gateway's JWT authorizer settings.
    fn resolve(self, name: &str) -> Result<AuthorizerConfig, ConfigError> {
        let key = |k: &str| format!("authorizers.{name}.{k}");
        if name.eq_ignore_ascii_case("none") {
            return Err(ConfigError::new(
                format!("authorizers.{name}"),
                "\"none\" is reserved (it turns authorization off for a route)",
            ));
        }
        let jwks = match (self.jwks_file, self.jwks_url) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::new(
                    key("jwks_url"),
                    "give jwks_file or jwks_url, not both",
                ));
            }
            (Some(p), None) => JwksSource::File(p),
            (None, Some(u)) => JwksSource::Url(jwks_url(&u, &key("jwks_url"))?),
            (None, None) => JwksSource::None,
        };
        if jwks == JwksSource::None && self.hs256_secret.is_none() {
            return Err(ConfigError::new(
                key("jwks_url"),
                "an authorizer needs jwks_file, jwks_url or hs256_secret",
            ));
        }
        if self.hs256_secret.as_deref().is_some_and(str::is_empty) {
            return Err(ConfigError::new(key("hs256_secret"), "must not be empty"));
        }
        let jwks_refresh = bounded(
            self.jwks_refresh_secs,
            600,
            1,
            7 * 86_400,
            &key("jwks_refresh_secs"),
        )?;
        let jwks_min_refetch = bounded(
            self.jwks_min_refetch_secs,
            30,
            MIN_JWKS_REFETCH_SECS,
            86_400,
            &key("jwks_min_refetch_secs"),
        )?;
        let leeway = bounded(self.leeway_secs, 60, 0, 3_600, &key("leeway_secs"))?;
        // API Gateway's JWT authorizer requires both: without them any token signed by the key
        // (another app, another environment of the same identity provider) would pass.
        let issuer = match self.issuer {
            Some(i) if !i.trim().is_empty() => i,
            _ => {
                return Err(ConfigError::new(
                    key("issuer"),
                    "is required (the token's iss must match it)",
                ));
            }
        };
        if self.audiences.is_empty() || self.audiences.iter().any(|x| x.trim().is_empty()) {
            return Err(ConfigError::new(
                key("audiences"),
                "needs at least one non-empty audience (the token's aud, or client_id without aud, must match one)",
            ));
        }
        Ok(AuthorizerConfig {
            name: name.to_owned(),
            issuer,
            audiences: self.audiences,
            jwks,
            hs256_secret: self.hs256_secret,
            leeway: Duration::from_secs(leeway),
            jwks_refresh: Duration::from_secs(jwks_refresh),
            jwks_min_refetch: Duration::from_secs(jwks_min_refetch),
        })
    }
}

/// A `jwks_url`: https, or http only where nothing is on the way (loopback).
fn jwks_url(u: &str, key: &str) -> Result<Uri, ConfigError> {
    let uri: Uri = u
        .parse()
        .map_err(|e| ConfigError::new(key, format_args!("{u:?} is not a URL: {e}")))?;
    let Some(host) = uri.host() else {
        return Err(ConfigError::new(key, format_args!("{u:?} has no host")));
    };
    match uri.scheme_str() {
        Some("https") => {}
        // Keys fetched in clear text could be swapped on the way: http:// only where nothing
        // is on the way.
        Some("http") if is_loopback_host(host) => {}
        _ => {
            return Err(ConfigError::new(
                key,
                format_args!("{u:?} must be an https:// URL (http:// only on loopback)"),
            ));
        }
    }
    Ok(uri)
}

/// `[[routes]]` (or the one `$default` route of `--upstream`), each resolved by
/// [`RouteFile::resolve`]; the global `authorizer` applies to routes that name none.
fn resolve_routes(
    file: Vec<RouteFile>,
    default_upstream: Option<&Upstream>,
    authorizers: &BTreeMap<String, AuthorizerConfig>,
    global_authorizer: Option<String>,
) -> Result<Vec<RouteConfig>, ConfigError> {
    let global_authorizer = match global_authorizer {
        Some(n) => named_authorizer(n, authorizers, "authorizer")?,
        None => None,
    };
    if file.is_empty() {
        let upstream = default_upstream.cloned().ok_or_else(|| {
            ConfigError::new(
                "--upstream",
                "is required (or upstream / [[routes]] in the config)",
            )
        })?;
        return Ok(vec![RouteConfig {
            key: "$default".to_owned(),
            pattern: RoutePattern::Default,
            upstream,
            authorizer: global_authorizer,
            scopes: Vec::new(),
            throttle: None,
        }]);
    }
    let mut routes: Vec<RouteConfig> = Vec::with_capacity(file.len());
    for (i, r) in file.into_iter().enumerate() {
        let written = r.key.clone();
        let route = r.resolve(i, default_upstream, authorizers, &global_authorizer)?;
        if let Some(j) = routes.iter().position(|o| o.pattern == route.pattern) {
            return Err(ConfigError::new(
                format!("routes[{i}].key"),
                format_args!("{written:?} repeats routes[{j}]"),
            ));
        }
        routes.push(route);
    }
    Ok(routes)
}

impl RouteFile {
    /// `routes[i]`: its key, upstream (or the top-level one), authorizer, scopes and throttle.
    fn resolve(
        self,
        i: usize,
        default_upstream: Option<&Upstream>,
        authorizers: &BTreeMap<String, AuthorizerConfig>,
        global_authorizer: &Option<String>,
    ) -> Result<RouteConfig, ConfigError> {
        let key = |k: &str| format!("routes[{i}].{k}");
        let pattern =
            RoutePattern::parse(&self.key).map_err(|m| ConfigError::new(key("key"), m))?;
        let upstream = match (&self.upstream, default_upstream) {
            (Some(u), _) => Upstream::parse(u, &key("upstream"))?,
            (None, Some(d)) => d.clone(),
            (None, None) => {
                return Err(ConfigError::new(
                    key("upstream"),
                    "is required when there is no top-level upstream",
                ));
            }
        };
        let authorizer = match self.authorizer {
            Some(n) => named_authorizer(n, authorizers, key("authorizer"))?,
            None => global_authorizer.clone(),
        };
        if !self.scopes.is_empty() && authorizer.is_none() {
            return Err(ConfigError::new(
                key("scopes"),
                "scopes need an authorizer on the route",
            ));
        }
        let throttle = match (self.rate_limit, self.burst) {
            (None, None) => None,
            (rl, b) => Some(Throttle::resolve(rl, b, &key("rate_limit"), &key("burst"))?),
        };
        Ok(RouteConfig {
            key: pattern.to_string(),
            pattern,
            upstream,
            authorizer,
            scopes: self.scopes,
            throttle,
        })
    }
}

impl Throttle {
    /// A token bucket's `rate_limit` and `burst` (API Gateway's account defaults when absent).
    fn resolve(
        rate_limit: Option<f64>,
        burst: Option<u64>,
        rate_key: &str,
        burst_key: &str,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            rate_limit: rate(rate_limit, crate::throttle::DEFAULT_RATE_LIMIT, rate_key)?,
            burst: bounded(
                burst,
                crate::throttle::DEFAULT_BURST,
                0,
                1_000_000_000,
                burst_key,
            )?,
        })
    }
}

impl ThrottleFile {
    /// `[throttle]`: the stage's bucket.
    fn resolve(&self) -> Result<Throttle, ConfigError> {
        Throttle::resolve(
            self.rate_limit,
            self.burst,
            "throttle.rate_limit",
            "throttle.burst",
        )
    }
}

impl LimitsFile {
    /// `[limits]`, `--integration-timeout-ms` over `integration_timeout_ms`.
    fn resolve(self, cli_integration_timeout_ms: Option<u64>) -> Result<Limits, ConfigError> {
        let (timeout_value, timeout_key) = match cli_integration_timeout_ms {
            Some(v) => (Some(v), "--integration-timeout-ms"),
            None => (self.integration_timeout_ms, "limits.integration_timeout_ms"),
        };
        let ms = |v, default, key| {
            Ok::<_, ConfigError>(Duration::from_millis(bounded(
                v, default, 1, 3_600_000, key,
            )?))
        };
        Ok(Limits {
            max_body_bytes: bounded(
                self.max_body_bytes,
                DEFAULT_MAX_BODY_BYTES,
                1,
                1 << 40,
                "limits.max_body_bytes",
            )?,
            integration_timeout: ms(timeout_value, DEFAULT_INTEGRATION_TIMEOUT_MS, timeout_key)?,
            ws_max_message_bytes: bounded(
                self.ws_max_message_bytes,
                DEFAULT_WS_MAX_MESSAGE_BYTES,
                1,
                64 << 20,
                "limits.ws_max_message_bytes",
            )?,
            ws_idle_timeout: Duration::from_secs(bounded(
                self.ws_idle_timeout_secs,
                DEFAULT_WS_IDLE_SECS,
                1,
                7 * 86_400,
                "limits.ws_idle_timeout_secs",
            )?),
            ws_max_connection: Duration::from_secs(bounded(
                self.ws_max_connection_secs,
                DEFAULT_WS_MAX_CONNECTION_SECS,
                1,
                30 * 86_400,
                "limits.ws_max_connection_secs",
            )?),
            ws_write_timeout: ms(
                self.ws_write_timeout_ms,
                DEFAULT_WS_WRITE_TIMEOUT_MS,
                "limits.ws_write_timeout_ms",
            )?,
            response_idle_timeout: ms(
                self.response_idle_timeout_ms,
                DEFAULT_RESPONSE_IDLE_TIMEOUT_MS,
                "limits.response_idle_timeout_ms",
            )?,
        })
    }
}

impl LogFile {
    /// `[log]` and the access log's path.
    fn resolve(self, path: PathBuf) -> Result<LogConfig, ConfigError> {
        let queue_capacity = bounded(
            self.queue_capacity.map(|n| n as u64),
            65_536,
            1,
            16 << 20,
            "log.queue_capacity",
        )? as usize;
        let rotate_bytes = match self.rotate_bytes {
            Some(0) | None => None,
            Some(n) => Some(n),
        };
        let retain = self.retain.unwrap_or(5);
        if rotate_bytes.is_some() && retain == 0 {
            return Err(ConfigError::new(
                "log.retain",
                "must be at least 1 with rotate_bytes",
            ));
        }
        Ok(LogConfig {
            path,
            queue_capacity,
            rotate_bytes,
            retain,
        })
    }
}

/// `[server]` resolved (these stay flat fields of [`Config`]).
struct ServerSettings {
    drain_grace: Duration,
    header_read_timeout: Duration,
    max_header_bytes: usize,
    max_connections: usize,
    h2_keepalive_interval: Duration,
    h2_keepalive_timeout: Duration,
    idle_timeout: Duration,
}

impl ServerFile {
    /// `[server]`, `--drain-grace-secs` over `drain_grace_secs`.
    fn resolve(&self, cli_drain_grace_secs: Option<u64>) -> Result<ServerSettings, ConfigError> {
        let secs = |v, default, key| {
            Ok::<_, ConfigError>(Duration::from_secs(bounded(v, default, 1, 86_400, key)?))
        };
        let drain_grace_key = if cli_drain_grace_secs.is_some() {
            "--drain-grace-secs"
        } else {
            "server.drain_grace_secs"
        };
        // hyper's HTTP/1 read buffer cannot be smaller than 8 KiB.
        let max_header_bytes = bounded(
            self.max_header_bytes,
            DEFAULT_MAX_HEADER_BYTES,
            8192,
            1 << 20,
            "server.max_header_bytes",
        )?;
        Ok(ServerSettings {
            drain_grace: Duration::from_secs(bounded(
                cli_drain_grace_secs.or(self.drain_grace_secs),
                30,
                0,
                3_600,
                drain_grace_key,
            )?),
            header_read_timeout: Duration::from_millis(bounded(
                self.header_read_timeout_ms,
                DEFAULT_HEADER_READ_TIMEOUT_MS,
                1,
                600_000,
                "server.header_read_timeout_ms",
            )?),
            max_header_bytes: usize::try_from(max_header_bytes).unwrap_or(usize::MAX),
            max_connections: bounded(
                self.max_connections,
                65_536,
                1,
                10_000_000,
                "server.max_connections",
            )? as usize,
            h2_keepalive_interval: secs(
                self.h2_keepalive_interval_secs,
                30,
                "server.h2_keepalive_interval_secs",
            )?,
            h2_keepalive_timeout: secs(
                self.h2_keepalive_timeout_secs,
                20,
                "server.h2_keepalive_timeout_secs",
            )?,
            idle_timeout: secs(self.idle_timeout_secs, 75, "server.idle_timeout_secs")?,
        })
    }
}

impl UpstreamPoolFile {
    /// `[upstream_pool]`: per data thread and plain-http upstream.
    fn resolve(&self) -> Result<PoolConfig, ConfigError> {
        Ok(PoolConfig {
            max_connections: bounded(
                self.max_connections,
                256,
                1,
                100_000,
                "upstream_pool.max_connections",
            )? as usize,
            max_waiting: bounded(
                self.max_waiting,
                1024,
                0,
                1_000_000,
                "upstream_pool.max_waiting",
            )? as usize,
            idle_timeout: Duration::from_millis(bounded(
                self.idle_timeout_ms,
                DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
                1,
                3_600_000,
                "upstream_pool.idle_timeout_ms",
            )?),
        })
    }
}

impl MetricsFile {
    /// `[metrics]`: the free tier, and the book behind the month cost — `price_book` (a TOML
    /// file) or else `region` (an embedded book).
    fn resolve(&self) -> Result<(bool, gwcost_pricing::PriceBook), ConfigError> {
        let free_tier = self.free_tier.unwrap_or(false);
        if let Some(path) = &self.price_book {
            let text = std::fs::read_to_string(path).map_err(|e| {
                ConfigError::new(
                    "metrics.price_book",
                    format_args!("cannot read {}: {e}", path.display()),
                )
            })?;
            let book = gwcost_pricing::PriceBook::from_toml_str(&text).map_err(|e| {
                ConfigError::new(
                    "metrics.price_book",
                    format_args!("{}: {e}", path.display()),
                )
            })?;
            return Ok((free_tier, book));
        }
        // The library's message names gwcost's --price-book flag; the sidecar's setting is a key
        // (the same words as main's fix for issue 18).
        let region = self.region.as_deref().unwrap_or("us-east-1");
        let book = gwcost_pricing::PriceBook::embedded(region).map_err(|e| {
            ConfigError::new(
                "metrics.region",
                format_args!(
                    "no embedded price book for {:?} (embedded: {}); build one with \
                     `gwcost prices import` and set [metrics] price_book to its path",
                    e.region, e.embedded
                ),
            )
        })?;
        Ok((free_tier, book))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_with(toml_text: &str, extra: &[&str]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sidecar.toml");
        std::fs::write(&p, toml_text).unwrap();
        let mut args = vec![
            "gwcost-sidecar".to_owned(),
            "--config".to_owned(),
            p.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        match load(args)? {
            Loaded::Run(c) => Ok(*c),
            Loaded::Print(_) => panic!("unexpected print"),
        }
    }

    #[test]
    fn flags_override_file() {
        let c = load_with(
            "listen = \"127.0.0.1:1\"\nupstream = \"http://127.0.0.1:2\"\naccess_log = \"a.log\"\nstage = \"dev\"\n",
            &["--listen", "127.0.0.1:3", "--stage", "prod"],
        )
        .unwrap();
        assert_eq!(c.listen, "127.0.0.1:3".parse().unwrap());
        assert_eq!(c.stage, "prod");
        assert_eq!(c.log.path, PathBuf::from("a.log"));
        assert_eq!(c.routes.len(), 1);
        assert_eq!(c.routes[0].key, "$default");
        assert_eq!(c.routes[0].upstream.to_string(), "http://127.0.0.1:2");
        assert_eq!(c.limits, Limits::default());
    }

    /// Each section checks its own settings and names the key of the first bad one.
    #[test]
    fn every_section_names_its_bad_key() {
        let base = "access_log = \"a\"\nupstream = \"http://127.0.0.1:2\"\n";
        let cases = [
            (
                "[server]\nmax_header_bytes = 100\n",
                "server.max_header_bytes",
            ),
            (
                "[server]\nidle_timeout_secs = 0\n",
                "server.idle_timeout_secs",
            ),
            ("[tls]\ncert = \"c.pem\"\n", "--tls-key"),
            (
                "[limits]\nws_write_timeout_ms = 0\n",
                "limits.ws_write_timeout_ms",
            ),
            ("[throttle]\nrate_limit = 0.0\n", "throttle.rate_limit"),
            (
                "[upstream_pool]\nmax_connections = 0\n",
                "upstream_pool.max_connections",
            ),
            ("[log]\nrotate_bytes = 10\nretain = 0\n", "log.retain"),
            ("[metrics]\nregion = \"xx-nowhere-9\"\n", "metrics.region"),
            (
                "[authorizers.a]\naudiences = [\"x\"]\njwks_file = \"j\"\n",
                "authorizers.a.issuer",
            ),
            (
                "[authorizers.a]\nissuer = \"i\"\naudiences = [\"x\"]\njwks_url = \"http://example.com/j\"\n",
                "authorizers.a.jwks_url",
            ),
            (
                "[[routes]]\nkey = \"GET /a\"\nburst = 5\nrate_limit = -1.0\n",
                "routes[0].rate_limit",
            ),
            (
                "[[routes]]\nkey = \"GET /a\"\nauthorizer = \"b\"\n",
                "routes[0].authorizer",
            ),
            (
                "[[routes]]\nkey = \"GET /a\"\n[[routes]]\nkey = \"GET  /a\"\n",
                "routes[1].key",
            ),
        ];
        for (section, key) in cases {
            let e = load_with(&format!("{base}{section}"), &[]).unwrap_err();
            assert_eq!(e.key, key, "{section}: {e}");
        }
        let e = load_with(
            &format!("{base}[[routes]]\nkey = \"GET /a\"\n[[routes]]\nkey = \"GET /a\"\n"),
            &[],
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "routes[1].key: \"GET /a\" repeats routes[0]");
    }

    #[test]
    fn unknown_key_is_named() {
        let e = load_with("access_log = \"a\"\n[limits]\nmax_body_byte = 3\n", &[]).unwrap_err();
        assert_eq!(e.key, "limits.max_body_byte");
        assert!(e.message.contains("unknown field"), "{e}");
    }

    #[test]
    fn wrong_type_names_the_key_path() {
        let e = load_with(
            "access_log = \"a\"\nupstream = \"http://x\"\n[[routes]]\nkey = \"GET /a\"\n[[routes]]\nkey = \"GET /b\"\nscopes = \"read\"\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.key, "routes[1].scopes");
        let e = load_with(
            "access_log = \"a\"\n[limits]\nmax_body_bytes = \"big\"\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.key, "limits.max_body_bytes");
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = load_with("access_log = \"a\"\nupstream = \"ftp://x\"\n", &[]).unwrap_err();
        assert_eq!(e.key, "upstream");
        let e = load_with(
            "access_log = \"a\"\nupstream = \"http://x\"\n[[routes]]\nkey = \"GET messages\"\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.key, "routes[0].key");
        let e = load_with(
            "access_log = \"a\"\nupstream = \"http://x\"\n[[routes]]\nkey = \"GET /a\"\nauthorizer = \"missing\"\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.key, "routes[0].authorizer");
        let e = load_with(
            "access_log = \"a\"\nupstream = \"http://x\"\n",
            &["--listen", "nope"],
        )
        .unwrap_err();
        assert_eq!(e.key, "--listen");
        let e = load_with("access_log = \"a\"\n", &[]).unwrap_err();
        assert_eq!(e.key, "--upstream");
        let e = load_with("access_log = [\n", &[]).unwrap_err();
        assert!(e.key.contains("line"), "{e}");
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn unknown_flag_is_one_line() {
        let e = load(["gwcost-sidecar", "--bogus", "1"]).unwrap_err();
        assert!(e.key.starts_with("--bogus"), "{e:?}");
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn the_example_config_is_valid() {
        let text = include_str!("../../../examples/sidecar.toml");
        let c = load_with(text, &[]).unwrap();
        assert_eq!(c.routes.len(), 5);
        assert_eq!(c.stage, "prod");
        assert_eq!(c.limits, Limits::default());
        assert_eq!(c.routes[2].upstream.to_string(), "http://127.0.0.1:3001");
        assert_eq!(c.routes[3].authorizer, None);
        assert_eq!(c.routes[0].authorizer.as_deref(), Some("main"));
    }

    #[test]
    fn routes_authorizers_and_limits() {
        let c = load_with(
            r#"
access_log = "a.log"
upstream = "http://127.0.0.1:3000/base/"
authorizer = "main"
[limits]
integration_timeout_ms = 1000
ws_max_message_bytes = 1024
[log]
rotate_bytes = 1000
retain = 2
[authorizers.main]
issuer = "https://issuer"
audiences = ["api"]
hs256_secret = "s3cret"
[[routes]]
key = "GET /messages"
scopes = ["read"]
[[routes]]
key = "ANY /files/{proxy+}"
upstream = "https://files.internal:8443"
authorizer = "none"
"#,
            &[],
        )
        .unwrap();
        assert_eq!(c.routes.len(), 2);
        assert_eq!(c.routes[0].authorizer.as_deref(), Some("main"));
        assert_eq!(c.routes[0].upstream.base_path.as_deref(), Some("/base"));
        assert_eq!(c.routes[1].authorizer, None);
        assert!(c.routes[1].upstream.is_https());
        assert_eq!(c.limits.integration_timeout, Duration::from_secs(1));
        assert_eq!(c.limits.ws_max_message_bytes, 1024);
        assert_eq!(c.log.rotate_bytes, Some(1000));
        assert_eq!(c.authorizers["main"].leeway, Duration::from_secs(60));
    }
}
