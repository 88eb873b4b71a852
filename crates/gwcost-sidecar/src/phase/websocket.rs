//! WebSocket proxying: the HTTP/1.1 upgrade is forwarded to the upstream; only when the upstream
//! answers 101 *and* its connection is really handed over does the client get its 101 (else 502,
//! never a panic). Then both sides are read as WebSocket streams (tokio-tungstenite) and every
//! whole data message — text or binary, fragmented or not — is relayed and logged as one MESSAGE
//! line with its payload size. Control frames are answered per hop and never counted. API
//! Gateway's limits apply: a message over the limit closes with 1009, idle and maximum duration
//! close with 1001; close codes from either side pass through.

use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use gwcost_log::{Direction, EventType};
use http::header::{self, HeaderMap, HeaderValue};
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Sleep, sleep, sleep_until};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::access_log::{LogEvent, WsEvent};
use crate::answer::{self, Refusal};
use crate::body::{CountingBody, MeteredBody, ProxyBody};
use crate::conn::ConnInfo;
use crate::logging::{PendingLog, RequestBodyStats};
use crate::phase::rewrite::{remove_hop_by_hop, set_forwarded, upstream_uri};
use crate::state::{RouteEntry, State, now_ms};

static SEC_WEBSOCKET_EXTENSIONS: header::HeaderName =
    header::HeaderName::from_static("sec-websocket-extensions");

/// Read buffer of each side of a relayed connection (tungstenite's default is 128 KiB).
const WS_READ_BUFFER: usize = 4096;

/// How long a close handshake may take before the sockets are simply dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Whether the request asks for a WebSocket upgrade (HTTP/1.1 `Upgrade: websocket` with
/// `Connection: upgrade`).
pub fn is_upgrade<B>(req: &Request<B>) -> bool {
    req.version() == http::Version::HTTP_11
        && req
            .headers()
            .get(header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("websocket"))
            })
        && req
            .headers()
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| {
                v.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
            })
}

/// Takes the hop-by-hop headers out of an upgrade request or response, keeping its `Upgrade`
/// protocol (`websocket` if it named none) to send on.
fn strip_hop_by_hop(headers: &mut HeaderMap) -> HeaderValue {
    let upgrade = headers
        .get(header::UPGRADE)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("websocket"));
    remove_hop_by_hop(headers);
    upgrade
}

/// Marks a forwarded request or response as the upgrade to `upgrade`.
fn set_upgrade(headers: &mut HeaderMap, upgrade: HeaderValue) {
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, upgrade);
}

/// Forwards an upgrade request; answers 101 and starts the relay, or answers an error.
pub async fn proxy_upgrade(
    mut req: Request<Incoming>,
    conn: &Arc<ConnInfo>,
    state: &Arc<State>,
    entry: &RouteEntry,
    pending: Box<PendingLog>,
) -> Response<MeteredBody> {
    let client_upgrade = hyper::upgrade::on(&mut req);
    let (mut parts, body) = req.into_parts();
    let upgrade = strip_hop_by_hop(&mut parts.headers);
    // Extensions (permessage-deflate) would change frame payloads: none are negotiated, so the
    // sizes logged are the message sizes.
    parts.headers.remove(&SEC_WEBSOCKET_EXTENSIONS);
    parts.headers.remove(header::HOST);
    set_upgrade(&mut parts.headers, upgrade);
    set_forwarded(&mut parts.headers, conn, state);
    parts.uri = match upstream_uri(&entry.upstream, parts.uri.path_and_query()) {
        Ok(u) => u,
        Err(_) => {
            return answer::respond(state, pending, Refusal::IntegrationFailure);
        }
    };
    let body = CountingBody::new(
        body,
        Arc::new(RequestBodyStats::default()),
        state.limits.max_body_bytes,
    );
    let upstream_req = Request::from_parts(parts, body);
    let deadline = Instant::now() + state.limits.integration_timeout;
    let mut pending = pending;
    let resp = match tokio::time::timeout_at(deadline, conn.client.request(upstream_req)).await {
        Err(_) => return answer::respond(state, pending, Refusal::IntegrationTimeout),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "WebSocket upstream unreachable");
            return answer::respond(state, pending, Refusal::IntegrationFailure);
        }
        Ok(Ok(r)) => r,
    };
    pending.event.integration_status = Some(resp.status().as_u16());
    if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
        tracing::debug!(status = %resp.status(), "upstream refused the WebSocket upgrade");
        return answer::respond(state, pending, Refusal::IntegrationFailure);
    }
    let mut resp = resp;
    let upstream_io = match tokio::time::timeout_at(deadline, hyper::upgrade::on(&mut resp)).await {
        Ok(Ok(io)) => io,
        _ => {
            return answer::respond(state, pending, Refusal::IntegrationFailure);
        }
    };
    let (mut parts, _) = resp.into_parts();
    let upgrade = strip_hop_by_hop(&mut parts.headers);
    set_upgrade(&mut parts.headers, upgrade);

    let id = state.next_connection.fetch_add(1, Ordering::Relaxed);
    let connected_at = now_ms();
    // No errorResponseType: `pending` never went through `answer::respond`.
    state.log.submit(LogEvent::Ws(WsEvent::connect(
        id,
        connected_at,
        101,
        pending.event,
    )));
    state.metrics.ws_opened();
    let relay_state = state.clone();
    // The relay holds the client connection's share of `max_connections` until it ends.
    let relay_conn = conn.clone();
    tokio::spawn(async move {
        let st = relay_state;
        let _conn = relay_conn;
        let code = match tokio::time::timeout(Duration::from_secs(10), client_upgrade).await {
            Ok(Ok(client_io)) => {
                let conn = Relay {
                    state: &st,
                    id,
                    connected_at,
                };
                conn.run(TokioIo::new(client_io), TokioIo::new(upstream_io))
                    .await
            }
            _ => {
                tracing::debug!("client upgrade never completed");
                CloseCode::Abnormal
            }
        };
        let ended = now_ms();
        st.metrics.ws_closed(connected_at, ended);
        st.log.submit(LogEvent::Ws(WsEvent {
            kind: EventType::Disconnect,
            time_ms: ended,
            connection_id: id,
            connected_at,
            direction: None,
            message_length: None,
            status: Some(200),
            disconnect_status_code: Some(u16::from(code)),
            connect: None,
        }));
    });
    Response::from_parts(
        parts,
        MeteredBody::unlogged(ProxyBody::empty(), state.clone()),
    )
}

struct Relay<'a> {
    state: &'a Arc<State>,
    id: u64,
    connected_at: i64,
}

/// One side of the relay.
struct Side<S> {
    ws: WebSocketStream<S>,
    /// Still yielding frames (false after its stream ended).
    open: bool,
    /// We sent it a Close frame.
    close_sent: bool,
    /// The direction of the messages read from this side (client: in, upstream: out).
    direction: Direction,
    /// The close the other side gets when this side is gone.
    gone: (CloseCode, &'static str),
    /// A message over tungstenite's hard cap from this side closes the other with 1009; for the
    /// upstream it counts as the upstream failing (an abnormal end).
    oversize_is_size: bool,
    /// Longest a write to this side may wait (a peer that stops reading).
    write_timeout: Duration,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Side<S> {
    /// The client's side: its messages go in; when it is gone the upstream gets 1001.
    async fn client(io: S, cfg: WebSocketConfig, write_timeout: Duration) -> Self {
        Self::new(
            io,
            Role::Server,
            cfg,
            Direction::In,
            (CloseCode::Away, "client gone"),
            true,
            write_timeout,
        )
        .await
    }

    /// The upstream's side: its messages go out; when it is gone the client gets 1011.
    async fn upstream(io: S, cfg: WebSocketConfig, write_timeout: Duration) -> Self {
        Self::new(
            io,
            Role::Client,
            cfg,
            Direction::Out,
            (CloseCode::Error, "upstream gone"),
            false,
            write_timeout,
        )
        .await
    }

    async fn new(
        io: S,
        role: Role,
        cfg: WebSocketConfig,
        direction: Direction,
        gone: (CloseCode, &'static str),
        oversize_is_size: bool,
        write_timeout: Duration,
    ) -> Self {
        Side {
            ws: WebSocketStream::from_raw_socket(io, role, Some(cfg)).await,
            open: true,
            close_sent: false,
            direction,
            gone,
            oversize_is_size,
            write_timeout,
        }
    }

    /// Sends one message within the write timeout. A side whose write failed or timed out is
    /// abandoned: nothing more is read from or written to it.
    async fn send(&mut self, msg: Message) -> bool {
        match tokio::time::timeout(self.write_timeout, self.ws.send(msg)).await {
            Ok(Ok(())) => true,
            Ok(Err(_)) | Err(_) => {
                self.open = false;
                self.close_sent = true;
                false
            }
        }
    }

    async fn close(&mut self, frame: Option<CloseFrame>) {
        if !self.close_sent && self.open {
            self.close_sent = true;
            let _ = self.send(Message::Close(frame)).await;
        }
    }
}

/// What the relay loop does after one side yielded something.
enum Step {
    /// Nothing more (a message relayed, a ping or a pong).
    Continue,
    /// Close both sides with this code and reason.
    CloseBoth(CloseCode, &'static str),
    /// One side closed or ended: this is the connection's code unless one is already known, and
    /// the close grace starts.
    Closing(CloseCode),
}

fn close_frame((code, reason): (CloseCode, &'static str)) -> CloseFrame {
    CloseFrame {
        code,
        reason: reason.into(),
    }
}

impl Relay<'_> {
    fn log_message(&self, direction: Direction, len: u64) {
        let t = now_ms();
        self.state
            .metrics
            .ws_message(t, direction == Direction::In, len);
        self.state.log.submit(LogEvent::Ws(WsEvent {
            kind: EventType::Message,
            time_ms: t,
            connection_id: self.id,
            connected_at: self.connected_at,
            direction: Some(direction),
            message_length: Some(len),
            status: None,
            disconnect_status_code: None,
            connect: None,
        }));
    }

    /// Handles what `from` yielded, in either direction: a data message is metered and relayed
    /// to `to`; a close is passed on; an error or the end of `from` closes `to`.
    async fn forward<F, T>(
        &self,
        read: Option<Result<Message, WsError>>,
        from: &mut Side<F>,
        to: &mut Side<T>,
        idle: Pin<&mut Sleep>,
        limit: usize,
    ) -> Step
    where
        F: AsyncRead + AsyncWrite + Unpin,
        T: AsyncRead + AsyncWrite + Unpin,
    {
        match read {
            Some(Ok(msg @ (Message::Text(_) | Message::Binary(_)))) => {
                let len = msg.len();
                if len > limit {
                    return Step::CloseBoth(CloseCode::Size, "Message too big");
                }
                self.log_message(from.direction, len as u64);
                idle.reset(Instant::now() + self.state.limits.ws_idle_timeout);
                if !to.close_sent && !to.send(msg).await {
                    // `to` is gone or stopped reading: `from` is told so, and the connection
                    // ends without waiting for `to` again.
                    from.close(Some(close_frame(to.gone))).await;
                    return Step::Closing(CloseCode::Abnormal);
                }
                Step::Continue
            }
            Some(Ok(Message::Close(frame))) => {
                let code = frame.as_ref().map_or(CloseCode::Status, |f| f.code);
                // tungstenite answers this side's close; pass it on to the other.
                to.close(frame).await;
                Step::Closing(code)
            }
            Some(Ok(_)) => Step::Continue, // ping, pong: answered per hop, not messages
            Some(Err(WsError::Capacity(_))) if from.oversize_is_size => {
                from.open = false;
                to.close(Some(close_frame((CloseCode::Size, "Message too big"))))
                    .await;
                Step::Closing(CloseCode::Size)
            }
            Some(Err(_)) | None => {
                from.open = false;
                to.close(Some(close_frame(from.gone))).await;
                Step::Closing(CloseCode::Abnormal)
            }
        }
    }

    /// Relays until both sides are closed; returns the close code of the connection.
    async fn run<C, U>(&self, client_io: C, upstream_io: U) -> CloseCode
    where
        C: AsyncRead + AsyncWrite + Unpin,
        U: AsyncRead + AsyncWrite + Unpin,
    {
        let limits = &self.state.limits;
        let limit = usize::try_from(limits.ws_max_message_bytes).unwrap_or(usize::MAX);
        // tungstenite's own cap is far above the limit, so an oversized message is read whole
        // and answered with a clean 1009 close instead of a reset mid-frame.
        let hard_cap = limit.saturating_mul(8).max(1 << 20);
        // tungstenite's defaults (128 KiB read buffer, 128 KiB write target per side) cost an
        // idle connection about 270 KB; WebSocket APIs hold many idle connections. A small read
        // buffer only means more reads for large messages, and writes go out at once.
        let cfg = WebSocketConfig::default()
            .read_buffer_size(WS_READ_BUFFER)
            .write_buffer_size(0)
            .max_message_size(Some(hard_cap))
            .max_frame_size(Some(hard_cap));
        let wt = limits.ws_write_timeout;
        let mut client = Side::client(client_io, cfg, wt).await;
        let mut upstream = Side::upstream(upstream_io, cfg, wt).await;
        let mut code: Option<CloseCode> = None;
        let mut max = pin!(sleep_until(Instant::now() + limits.ws_max_connection));
        let mut idle = pin!(sleep(limits.ws_idle_timeout));
        let mut closing = pin!(sleep(Duration::from_secs(u64::from(u32::MAX))));
        let mut is_closing = false;
        let mut shutdown = self.state.shutdown.clone();
        let mut shutdown_seen = *shutdown.borrow();

        macro_rules! start_closing {
            () => {{
                if !is_closing {
                    is_closing = true;
                    closing.as_mut().reset(Instant::now() + CLOSE_GRACE);
                }
            }};
        }

        macro_rules! close_both {
            ($c:expr, $reason:expr) => {{
                let c: CloseCode = $c;
                code.get_or_insert(c);
                let frame = close_frame((c, $reason));
                client.close(Some(frame.clone())).await;
                upstream.close(Some(frame)).await;
                start_closing!();
            }};
        }

        macro_rules! apply {
            ($step:expr) => {{
                match $step {
                    Step::Continue => {}
                    Step::CloseBoth(c, reason) => close_both!(c, reason),
                    Step::Closing(c) => {
                        code.get_or_insert(c);
                        start_closing!();
                    }
                }
            }};
        }

        if shutdown_seen {
            close_both!(CloseCode::Away, "going away");
        }
        while client.open || upstream.open {
            tokio::select! {
                m = client.ws.next(), if client.open => {
                    apply!(self.forward(m, &mut client, &mut upstream, idle.as_mut(), limit).await)
                }
                m = upstream.ws.next(), if upstream.open => {
                    apply!(self.forward(m, &mut upstream, &mut client, idle.as_mut(), limit).await)
                }
                () = &mut idle, if !is_closing => close_both!(CloseCode::Away, "idle timeout"),
                () = &mut max, if !is_closing => close_both!(CloseCode::Away, "connection duration limit"),
                r = shutdown.changed(), if !shutdown_seen => {
                    shutdown_seen = true;
                    if r.is_err() || *shutdown.borrow() {
                        close_both!(CloseCode::Away, "going away");
                    }
                }
                () = &mut closing, if is_closing => break,
            }
        }
        code.unwrap_or(CloseCode::Abnormal)
    }
}

#[cfg(test)]
mod fuzz {
    //! proptest on the relay itself (in memory, over duplex pipes): any sequence of messages —
    //! text or binary, whole or fragmented, under or over the limit — is metered exactly, and
    //! arbitrary bytes from a client never panic it and end it in bounded time.
    use std::sync::atomic::{AtomicBool, AtomicU64};

    use super::*;
    use crate::access_log::{self, LogIdentity};
    use crate::config::{Limits, LogConfig};
    use crate::metrics::Metrics;
    use crate::routes::RouteTable;
    use gwcost_log::LogRecord;
    use proptest::prelude::*;
    use tokio::io::{AsyncWriteExt, DuplexStream, duplex};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

    const LIMIT: u64 = 1000;

    struct Harness {
        state: Arc<State>,
        _shutdown: tokio::sync::watch::Sender<bool>,
        log_thread: std::thread::JoinHandle<()>,
        path: std::path::PathBuf,
        _dir: tempfile::TempDir,
    }

    fn harness() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        let cfg = LogConfig {
            path: path.clone(),
            queue_capacity: 4096,
            rotate_bytes: None,
            retain: 1,
        };
        let (log, log_thread) =
            access_log::start(&cfg, LogIdentity::new("t".into(), None)).unwrap();
        let (tx, rx) = tokio::sync::watch::channel(false);
        let state = Arc::new(State {
            routes: RouteTable::new(std::iter::empty()),
            entries: Vec::new(),
            stage_throttle: None,
            trusted_proxies: crate::config::TrustedProxies::default(),
            log,
            metrics: Metrics::new(
                std::iter::empty(),
                gwcost_pricing::PriceBook::aws_us_east_1(),
                false,
            ),
            limits: Limits {
                ws_max_message_bytes: LIMIT,
                ..Limits::default()
            },
            draining: AtomicBool::new(false),
            shutdown: rx,
            next_connection: AtomicU64::new(1),
            next_client_connection: AtomicU64::new(1),
        });
        Harness {
            state,
            _shutdown: tx,
            log_thread,
            path,
            _dir: dir,
        }
    }

    impl Harness {
        /// Flushes the log and returns the MESSAGE lines as (direction, length).
        async fn messages(self) -> Vec<(Direction, u64)> {
            assert!(self.state.log.shutdown(Duration::from_secs(5)).await);
            self.log_thread.join().unwrap();
            std::fs::read_to_string(&self.path)
                .unwrap()
                .lines()
                .map(|l| LogRecord::from_json(l.as_bytes()).unwrap())
                .filter(|r| r.event_type == Some(EventType::Message))
                .map(|r| (r.direction.unwrap(), r.message_length.unwrap()))
                .collect()
        }
    }

    /// An echo server on the upstream end of a pipe.
    fn echo_upstream(io: DuplexStream) {
        tokio::spawn(async move {
            let mut ws = WebSocketStream::from_raw_socket(io, Role::Server, None).await;
            while let Some(Ok(m)) = ws.next().await {
                if m.is_text() || m.is_binary() {
                    let _ = ws.send(m).await;
                }
            }
        });
    }

    /// One message as the client sends it: its payload length, text or binary, and how many
    /// frames it is cut into.
    #[derive(Debug, Clone)]
    struct Msg {
        len: usize,
        text: bool,
        fragments: usize,
    }

    fn msg() -> impl Strategy<Value = Msg> {
        (
            prop_oneof![0..=64usize, 900..=1100usize, 0..=3000usize],
            any::<bool>(),
            1..4usize,
        )
            .prop_map(|(len, text, fragments)| Msg {
                len,
                text,
                fragments,
            })
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn every_message_is_metered_exactly_both_ways(msgs in prop::collection::vec(msg(), 1..8)) {
            let (logged, expect) = rt().block_on(async move {
                let h = harness();
                let (client_end, relay_client) = duplex(1 << 16);
                let (relay_upstream, upstream_end) = duplex(1 << 16);
                echo_upstream(upstream_end);
                let st = h.state.clone();
                let relay = tokio::spawn(async move {
                    let r = Relay { state: &st, id: 1, connected_at: 0 };
                    r.run(relay_client, relay_upstream).await
                });
                let mut client =
                    WebSocketStream::from_raw_socket(client_end, Role::Client, None).await;
                let mut expect = Vec::new();
                for m in &msgs {
                    let payload = vec![b'x'; m.len];
                    let opcode = if m.text { Data::Text } else { Data::Binary };
                    // Fragmented as the client chooses: first frame carries the opcode, the
                    // rest are continuations; only the whole message counts.
                    let step = m.len.div_ceil(m.fragments).max(1);
                    let parts: Vec<&[u8]> =
                        if m.len == 0 { vec![&[][..]] } else { payload.chunks(step).collect() };
                    for (i, p) in parts.iter().enumerate() {
                        let code = if i == 0 { opcode } else { Data::Continue };
                        let f = Frame::message(p.to_vec(), OpCode::Data(code), i + 1 == parts.len());
                        client.send(Message::Frame(f)).await.unwrap();
                    }
                    if m.len as u64 > LIMIT {
                        // Over the limit: closed with 1009, nothing more is relayed.
                        loop {
                            match tokio::time::timeout(Duration::from_secs(5), client.next()).await {
                                Ok(Some(Ok(Message::Close(f)))) => {
                                    assert_eq!(f.map(|f| f.code), Some(CloseCode::Size));
                                    break;
                                }
                                Ok(Some(Ok(_))) => {}
                                other => panic!("expected a 1009 close, got {other:?}"),
                            }
                        }
                        break;
                    }
                    expect.push((Direction::In, m.len as u64));
                    expect.push((Direction::Out, m.len as u64));
                    // Wait for the echo so the order of lines is fixed.
                    loop {
                        match tokio::time::timeout(Duration::from_secs(5), client.next()).await {
                            Ok(Some(Ok(e))) if e.is_text() || e.is_binary() => {
                                assert_eq!(e.len(), m.len);
                                break;
                            }
                            Ok(Some(Ok(_))) => {}
                            other => panic!("no echo: {other:?}"),
                        }
                    }
                }
                let _ = client.close(None).await;
                drop(client);
                tokio::time::timeout(Duration::from_secs(10), relay).await.unwrap().unwrap();
                (h.messages().await, expect)
            });
            prop_assert_eq!(logged, expect);
        }

        #[test]
        fn arbitrary_client_bytes_never_panic_and_end(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
            let fed = bytes.len() as u64;
            let logged = rt().block_on(async move {
                let h = harness();
                let (mut client_end, relay_client) = duplex(1 << 16);
                let (relay_upstream, upstream_end) = duplex(1 << 16);
                echo_upstream(upstream_end);
                let st = h.state.clone();
                let relay = tokio::spawn(async move {
                    let r = Relay { state: &st, id: 1, connected_at: 0 };
                    r.run(relay_client, relay_upstream).await
                });
                let _ = client_end.write_all(&bytes).await;
                let _ = client_end.shutdown().await;
                // Keep reading what the relay answers so it never blocks on a full pipe.
                let drain = tokio::spawn(async move {
                    let mut sink = tokio::io::sink();
                    let _ = tokio::io::copy(&mut client_end, &mut sink).await;
                });
                let code = tokio::time::timeout(Duration::from_secs(10), relay)
                    .await
                    .expect("the relay ended in time")
                    .unwrap();
                drain.abort();
                let _ = code;
                h.messages().await
            });
            let inbound: u64 = logged.iter().filter(|(d, _)| *d == Direction::In).map(|(_, n)| n).sum();
            prop_assert!(inbound <= fed, "{} metered from {} bytes", inbound, fed);
            for (_, n) in &logged {
                prop_assert!(*n <= LIMIT);
            }
        }
    }
}
