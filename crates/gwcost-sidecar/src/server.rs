//! Start-up, the accept loops and the signals. The data path runs nginx-style: one thread per
//! core, each with its own `SO_REUSEPORT` listener, current-thread runtime and upstream pool, so
//! a request and its upstream connection never change threads. SIGTERM/SIGINT stop accepting,
//! drain in-flight requests (bounded by the grace period; hyper's graceful shutdown), close
//! WebSocket connections with 1001, then flush and fsync the log; SIGHUP reopens the log file and
//! reloads the TLS certificate. At most `max_connections` client connections are open at once
//! (WebSocket connections included, until their relay ends).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context as _;
use http_body_util::Empty;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio_rustls::TlsAcceptor;

use crate::access_log::{self, LogIdentity};
use crate::auth::Authorizer;
use crate::config::{Config, ConfigError};
use crate::conn::{ConnInfo, UpstreamClient};
use crate::metrics::Metrics;
use crate::phase;
use crate::routes::RouteTable;
use crate::state::{RouteEntry, State, millis};
use crate::throttle::TokenBucket;
use crate::{admin, tls, upstream_pool};

/// Why the sidecar could not start or stopped badly.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A setting is wrong (exit 2).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Anything else: a port in use, an unwritable log (exit 1).
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

fn http_connector() -> HttpConnector {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(Duration::from_secs(10)));
    http.set_keepalive(Some(Duration::from_secs(60)));
    http
}

/// Runs until SIGTERM or SIGINT. `on_listening` gets the bound proxy and admin addresses.
pub async fn run(
    cfg: Config,
    on_listening: impl FnOnce(SocketAddr, Option<SocketAddr>),
) -> Result<(), RunError> {
    upstream_pool::configure(cfg.upstream_pool);
    let client_tls = tls::client_config(cfg.upstream_ca_file.as_deref())?;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(client_tls.clone())
        .https_or_http()
        .enable_http1()
        .wrap_connector(http_connector());
    let make_client = || -> UpstreamClient {
        Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(usize::MAX)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(https.clone())
    };
    let fetch_client: Client<_, Empty<bytes::Bytes>> =
        Client::builder(TokioExecutor::new()).build(https.clone());

    let mut authorizers = std::collections::BTreeMap::new();
    for (name, a) in &cfg.authorizers {
        authorizers.insert(
            name.clone(),
            Arc::new(Authorizer::new(a, fetch_client.clone())?),
        );
    }
    let entries: Vec<RouteEntry> = cfg
        .routes
        .iter()
        .map(|r| RouteEntry {
            key: Box::leak(r.key.clone().into_boxed_str()),
            upstream: r.upstream.clone(),
            host: http::HeaderValue::from_str(r.upstream.authority.as_str())
                .unwrap_or_else(|_| http::HeaderValue::from_static("localhost")),
            plain_http: r.upstream.scheme == http::uri::Scheme::HTTP,
            authorizer: r
                .authorizer
                .as_ref()
                .and_then(|n| authorizers.get(n).cloned()),
            scopes: r.scopes.clone(),
            throttle: r.throttle.map(|t| TokenBucket::new(t.rate_limit, t.burst)),
        })
        .collect();
    let routes = RouteTable::new(cfg.routes.iter().map(|r| &r.pattern));
    let metrics = Metrics::new(
        cfg.routes.iter().map(|r| r.key.clone()),
        cfg.metrics_book.clone(),
        cfg.metrics_free_tier,
    );
    let server_tls = match &cfg.tls {
        Some(t) => Some(Arc::new(RwLock::new(TlsAcceptor::from(
            tls::server_config(&t.cert, &t.key)?,
        )))),
        None => None,
    };
    let (log, log_thread) = access_log::start(
        &cfg.log,
        LogIdentity::new(cfg.stage.clone(), cfg.api_id.clone()),
    )
    // A log that cannot be opened is a setting to fix (exit 2), not a failure to retry.
    .map_err(|e| {
        crate::config::ConfigError::new(
            "--access-log",
            format_args!("cannot open {} for appending: {e}", cfg.log.path.display()),
        )
    })?;

    let threads = cfg.workers.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let listeners = bind_data_listeners(cfg.listen, threads)
        .with_context(|| format!("cannot listen on {}", cfg.listen))?;
    let admin_listener = match cfg.admin {
        Some(a) => Some(
            TcpListener::bind(a)
                .await
                .with_context(|| format!("cannot listen on {a} (admin)"))?,
        ),
        None => None,
    };
    let mut sigterm = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let mut sigint = signal(SignalKind::interrupt()).context("SIGINT handler")?;
    let mut sighup = signal(SignalKind::hangup()).context("SIGHUP handler")?;

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let state = Arc::new(State {
        routes,
        entries,
        log: log.clone(),
        metrics,
        limits: cfg.limits.clone(),
        stage_throttle: Some(TokenBucket::new(
            cfg.stage_throttle.rate_limit,
            cfg.stage_throttle.burst,
        )),
        trusted_proxies: cfg.trusted_proxies.clone(),
        draining: AtomicBool::new(false),
        shutdown: shutdown_rx,
        next_connection: AtomicU64::new(1),
        next_client_connection: AtomicU64::new(1),
    });
    for a in authorizers.values() {
        a.spawn_refresh();
    }
    let local = listeners
        .first()
        .context("no listener")?
        .local_addr()
        .context("local address")?;
    let admin_local = match &admin_listener {
        Some(l) => Some(l.local_addr().context("admin local address")?),
        None => None,
    };
    let admin_task = admin_listener.map(|l| tokio::spawn(serve_admin(l, state.clone())));
    let hup_log = log.clone();
    let hup_tls = server_tls.clone().zip(cfg.tls.clone());
    let hup_task = tokio::spawn(async move {
        while sighup.recv().await.is_some() {
            // Renewed certificates (cert-manager, certbot) without a restart; a pair that does
            // not load keeps the one in use.
            if let Some((acceptor, files)) = &hup_tls {
                match tls::server_config(&files.cert, &files.key) {
                    Ok(c) => {
                        if let Ok(mut a) = acceptor.write() {
                            *a = TlsAcceptor::from(c);
                            tracing::info!("SIGHUP: TLS certificate reloaded");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "SIGHUP: TLS certificate not reloaded"),
                }
            }
            tracing::info!("SIGHUP: reopening the access log");
            hup_log.reopen().await;
        }
    });
    on_listening(local, admin_local);

    let mut builder = auto::Builder::new(TokioExecutor::new());
    // A request head over `max_header_bytes` is answered 431 by hyper (HTTP/1.1: the read
    // buffer's cap; HTTP/2: the header list size), and a client that dribbles its headers is
    // cut off after `header_read_timeout` (slowloris).
    builder
        .http1()
        .timer(crate::spare_timer::SpareTimer)
        .max_buf_size(cfg.max_header_bytes)
        .header_read_timeout(cfg.header_read_timeout);
    // HTTP/2 has no header read timeout: keep-alive pings find dead peers instead.
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(cfg.h2_keepalive_interval))
        .keep_alive_timeout(cfg.h2_keepalive_timeout)
        .max_header_list_size(u32::try_from(cfg.max_header_bytes).unwrap_or(u32::MAX));
    let builder = Arc::new(builder);

    let connections = Arc::new(Semaphore::new(cfg.max_connections));
    // The data path: one thread per listener, each with its own runtime and upstream pool.
    let (stop_tx, stop_rx) = watch::channel(false);
    let (exit_tx, exit_rx) = watch::channel(false);
    let mut drained = Vec::with_capacity(listeners.len());
    let mut data_threads = Vec::with_capacity(listeners.len());
    for (i, l) in listeners.into_iter().enumerate() {
        let (drained_tx, drained_rx) = tokio::sync::oneshot::channel();
        drained.push(drained_rx);
        let ctx = DataContext {
            tls: server_tls.clone(),
            builder: builder.clone(),
            state: state.clone(),
            client: make_client(),
            connections: connections.clone(),
            idle_timeout: cfg.idle_timeout,
            stop: stop_rx.clone(),
            exit: exit_rx.clone(),
        };
        let t = std::thread::Builder::new()
            .name(format!("gwcost-data-{i}"))
            .spawn(move || run_data_thread(l, ctx, drained_tx))
            .context("cannot start a data thread")?;
        data_threads.push(t);
    }

    tokio::select! {
        _ = sigterm.recv() => {}
        _ = sigint.recv() => {}
    }

    // Drain: stop accepting, let in-flight requests finish, then close WebSockets and the log.
    state.draining.store(true, Ordering::Relaxed);
    let _ = stop_tx.send(true);
    let grace = cfg.drain_grace;
    let deadline = tokio::time::Instant::now() + grace;
    for d in drained {
        if tokio::time::timeout_at(deadline, d).await.is_err() {
            tracing::warn!("grace period over with requests still in flight");
            break;
        }
    }
    let _ = shutdown_tx.send(true);
    let ws_deadline = deadline.max(tokio::time::Instant::now() + Duration::from_secs(6));
    while state.metrics.ws_open() > 0 && tokio::time::Instant::now() < ws_deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = exit_tx.send(true);
    for t in data_threads {
        let _ = tokio::task::spawn_blocking(move || t.join()).await;
    }
    if let Some(t) = admin_task {
        t.abort();
    }
    hup_task.abort();
    if !log.shutdown(Duration::from_secs(10)).await {
        return Err(anyhow::anyhow!("the access log could not be flushed").into());
    }
    let _ = tokio::task::spawn_blocking(move || log_thread.join()).await;
    Ok(())
}

/// The TLS acceptor, replaced on SIGHUP.
type SharedAcceptor = Arc<RwLock<TlsAcceptor>>;

/// What a data thread needs; everything but the upstream pool is shared.
struct DataContext {
    tls: Option<SharedAcceptor>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    state: Arc<State>,
    client: UpstreamClient,
    /// One permit per open client connection, shared by all data threads.
    connections: Arc<Semaphore>,
    idle_timeout: Duration,
    /// Turns `true` at SIGTERM/SIGINT: stop accepting and drain.
    stop: watch::Receiver<bool>,
    /// Turns `true` when the process is about to exit (after WebSockets closed).
    exit: watch::Receiver<bool>,
}

/// Binds `n` listeners to one address with `SO_REUSEPORT`, so the kernel spreads connections
/// over the data threads (nginx's worker model: no request ever changes threads, no
/// work-stealing or cross-thread wake-ups on the hot path).
///
/// `SO_REUSEPORT` would also let a second sidecar (same user) silently share a port already in
/// use, so the address is first bound by a socket without it: that fails with "address in use"
/// if anything listens there, and picks the port when the address says port 0. The probe is
/// dropped and the `SO_REUSEPORT` listeners take the address it proved free.
fn bind_data_listeners(addr: SocketAddr, n: usize) -> std::io::Result<Vec<std::net::TcpListener>> {
    let socket = || {
        let sock = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        sock.set_reuseaddr(true)?;
        Ok::<_, std::io::Error>(sock)
    };
    let n = n.max(1);
    if n == 1 {
        let sock = socket()?;
        sock.bind(addr)?;
        return Ok(vec![sock.listen(1024)?.into_std()?]);
    }
    let probe = socket()?;
    probe.bind(addr)?;
    let actual = probe.local_addr()?;
    drop(probe);
    (0..n)
        .map(|_| {
            let sock = socket()?;
            sock.set_reuseport(true)?;
            sock.bind(actual)?;
            sock.listen(1024)?.into_std()
        })
        .collect()
}

/// One data thread: a current-thread runtime serving one listener until the process exits.
fn run_data_thread(
    listener: std::net::TcpListener,
    ctx: DataContext,
    drained: tokio::sync::oneshot::Sender<()>,
) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start a data thread's runtime");
            return;
        }
    };
    rt.block_on(data_loop(listener, ctx, drained));
    // Do not wait for tasks parked on finished connections.
    rt.shutdown_timeout(Duration::from_millis(100));
}

async fn data_loop(
    listener: std::net::TcpListener,
    mut ctx: DataContext,
    drained: tokio::sync::oneshot::Sender<()>,
) {
    let listener = match TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "cannot register a listener");
            return;
        }
    };
    // Every connection task holds a clone; the drain is over when the last one is dropped.
    let (alive_tx, mut alive_rx) = tokio::sync::mpsc::channel::<()>(1);
    loop {
        tokio::select! {
            r = ctx.stop.changed() => {
                if r.is_err() || *ctx.stop.borrow() {
                    break;
                }
            }
            permit = connection_permit(&ctx.connections, &ctx.state) => {
                let Some(permit) = permit else { break };
                let accepted = tokio::select! {
                    a = listener.accept() => a,
                    r = ctx.stop.changed() => {
                        if r.is_err() || *ctx.stop.borrow() {
                            break;
                        }
                        continue;
                    }
                };
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let tls = ctx.tls.as_ref().and_then(|t| t.read().ok().map(|a| a.clone()));
                // A counter and a clock read per connection: what the log's
                // `clientConnectionId` / `clientConnectedAt` need, nothing per request.
                let id = ctx.state.next_client_connection.fetch_add(1, Ordering::Relaxed);
                let info = ConnInfo::new(peer, tls.is_some(), id, ctx.client.clone(), permit);
                tokio::spawn(serve_connection(
                    stream,
                    info,
                    tls,
                    ctx.builder.clone(),
                    ctx.state.clone(),
                    Lifetime {
                        stop: ctx.stop.clone(),
                        idle_timeout: ctx.idle_timeout,
                        _alive: alive_tx.clone(),
                    },
                ));
            }
        }
    }
    drop(listener);
    // In-flight requests finish here; WebSocket relays and upstream connections keep running on
    // this runtime until the main thread says exit (the grace period bounds it there).
    drop(alive_tx);
    let drain = async {
        let _ = alive_rx.recv().await;
        let _ = drained.send(());
        std::future::pending::<()>().await;
    };
    tokio::select! {
        () = drain => {}
        _ = ctx.exit.wait_for(|v| *v) => {}
    }
}

/// A permit for one more client connection; when all `max_connections` are taken, waits for
/// one (new connections wait in the kernel's accept queue meanwhile) and counts the wait.
async fn connection_permit(
    connections: &Arc<Semaphore>,
    state: &State,
) -> Option<OwnedSemaphorePermit> {
    if let Ok(p) = connections.clone().try_acquire_owned() {
        return Some(p);
    }
    state.metrics.connection_waited();
    connections.clone().acquire_owned().await.ok()
}

/// What ends a client connection besides the client: the drain signal and the idle timeout.
struct Lifetime {
    /// Turns `true` at SIGTERM/SIGINT: finish what is in flight, then close.
    stop: watch::Receiver<bool>,
    /// No new request for this long: finish what is in flight, then close (HTTP/1.1's idle
    /// keep-alive connections also meet the header read timeout; HTTP/2 has only this).
    idle_timeout: Duration,
    /// Dropped when the connection ends (see the drain in [`data_loop`]).
    _alive: tokio::sync::mpsc::Sender<()>,
}

/// Drives a connection until it ends; on the drain signal or after `idle_timeout` without a new
/// request, starts hyper's graceful shutdown (HTTP/1.1: close after the response in flight;
/// HTTP/2: GOAWAY, open streams finish).
macro_rules! drive {
    ($conn:expr, $life:expr, $last:expr, $born:expr) => {{
        let conn = $conn;
        tokio::pin!(conn);
        let mut life = $life;
        let mut closing = false;
        let idle = tokio::time::sleep(life.idle_timeout);
        tokio::pin!(idle);
        loop {
            tokio::select! {
                r = conn.as_mut() => break r,
                _ = life.stop.changed(), if !closing => {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
                () = &mut idle, if !closing => {
                    let since_last = $born.elapsed().saturating_sub(Duration::from_millis(
                        $last.load(Ordering::Relaxed),
                    ));
                    if since_last >= life.idle_timeout {
                        closing = true;
                        conn.as_mut().graceful_shutdown();
                    } else {
                        idle.as_mut().reset(
                            tokio::time::Instant::now() + (life.idle_timeout - since_last),
                        );
                    }
                }
            }
        }
    }};
}

async fn serve_connection(
    stream: TcpStream,
    info: ConnInfo,
    tls: Option<TlsAcceptor>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    state: Arc<State>,
    life: Lifetime,
) {
    let peer = info.peer;
    let info = Arc::new(info);
    // When the last request arrived, in milliseconds after `born`.
    let born = std::time::Instant::now();
    let last = Arc::new(AtomicU64::new(0));
    let seen = last.clone();
    let svc = service_fn(move |req| {
        seen.store(millis(born.elapsed()), Ordering::Relaxed);
        let state = state.clone();
        let info = info.clone();
        async move { phase::handle(req, &info, &state).await }
    });
    let result =
        match tls {
            Some(acceptor) => {
                let tls_stream =
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(%peer, "TLS handshake timed out");
                            return;
                        }
                    };
                drive!(
                    builder.serve_connection_with_upgrades(TokioIo::new(tls_stream), svc),
                    life,
                    last,
                    born
                )
            }
            None => {
                drive!(
                    builder.serve_connection_with_upgrades(TokioIo::new(stream), svc),
                    life,
                    last,
                    born
                )
            }
        };
    if let Err(e) = result {
        // Clients hanging up are routine, not errors.
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

async fn serve_admin(listener: TcpListener, state: Arc<State>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| admin::handle(req, state.clone()));
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}
