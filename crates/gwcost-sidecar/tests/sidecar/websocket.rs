//! WebSocket through the sidecar: messages both ways with exact sizes (fragmented too), control
//! frames not counted, the 128 KB limit closing with 1009, close codes passing through, idle
//! timeout, and an upstream that refuses the upgrade.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use gwcost_log::{Direction, EventType, LogRecord};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};

use crate::util::*;

pub(crate) type Client = WebSocketStream<TcpStream>;

pub(crate) async fn connect(sc: &Sidecar, path: &str) -> Client {
    let stream = TcpStream::connect(sc.addr).await.unwrap();
    let url = format!("ws://{}{}", sc.addr, path);
    let (ws, resp) = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::client_async(url, stream),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(resp.status(), 101);
    ws
}

/// The next data or close message (pings and pongs skipped), bounded in time.
pub(crate) async fn next(ws: &mut Client) -> Message {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("message in time")
            .expect("stream open")
            .expect("no error");
        if !matches!(m, Message::Ping(_) | Message::Pong(_)) {
            return m;
        }
    }
}

fn messages(recs: &[LogRecord], dir: Direction) -> Vec<u64> {
    recs.iter()
        .filter(|r| r.event_type == Some(EventType::Message) && r.direction == Some(dir))
        .map(|r| r.message_length.unwrap())
        .collect()
}

pub(crate) async fn wait_disconnect(sc: &Sidecar) -> Vec<LogRecord> {
    for _ in 0..250 {
        let recs = sc.log();
        if recs
            .iter()
            .any(|r| r.event_type == Some(EventType::Disconnect))
        {
            return recs;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no DISCONNECT line: {:#?}", sc.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_both_ways_with_exact_sizes_and_1009_over_128_kb() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start("", &["--upstream", &upstream.url(), "--stage", "prod"]);
    let mut ws = connect(&sc, "/ws/chat").await;

    ws.send(Message::text("hello")).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::text("hello"));
    ws.send(Message::binary(pattern(1000))).await.unwrap();
    assert_eq!(next(&mut ws).await.len(), 1000);
    // A control frame is not a message.
    ws.send(Message::Ping(Bytes::from_static(b"p")))
        .await
        .unwrap();
    // One text message in three fragments: 100 + 200 + 300 bytes.
    ws.send(Message::Frame(Frame::message(
        pattern(100),
        OpCode::Data(Data::Text),
        false,
    )))
    .await
    .unwrap();
    ws.send(Message::Frame(Frame::message(
        pattern(200),
        OpCode::Data(Data::Continue),
        false,
    )))
    .await
    .unwrap();
    ws.send(Message::Frame(Frame::message(
        pattern(300),
        OpCode::Data(Data::Continue),
        true,
    )))
    .await
    .unwrap();
    let m = next(&mut ws).await;
    assert!(m.is_text());
    assert_eq!(m.len(), 600);
    // The service sends 40000 bytes (two 32 KB billing increments).
    ws.send(Message::text("big:40000")).await.unwrap();
    assert_eq!(next(&mut ws).await.len(), 40000);
    // Exactly at the limit passes; one byte over closes with 1009.
    ws.send(Message::binary(pattern(131072))).await.unwrap();
    assert_eq!(next(&mut ws).await.len(), 131072);
    ws.send(Message::binary(pattern(131073))).await.unwrap();
    match next(&mut ws).await {
        Message::Close(Some(f)) => assert_eq!(f.code, CloseCode::Size),
        other => panic!("expected close 1009, got {other:?}"),
    }

    let recs = wait_disconnect(&sc).await;
    assert_eq!(messages(&recs, Direction::In), [5, 1000, 600, 9, 131072]);
    assert_eq!(
        messages(&recs, Direction::Out),
        [5, 1000, 600, 40000, 131072]
    );
    let connect: Vec<_> = recs
        .iter()
        .filter(|r| r.event_type == Some(EventType::Connect))
        .collect();
    assert_eq!(connect.len(), 1);
    let c = connect[0];
    assert_eq!(c.status, Some(101));
    assert_eq!(c.route_key.as_deref(), Some("$connect"));
    assert_eq!(c.path.as_deref(), Some("/ws/chat"));
    assert_eq!(c.stage.as_deref(), Some("prod"));
    assert!(
        recs.iter()
            .all(|r| r.event_type != Some(EventType::Request)),
        "no REQUEST line for an upgrade"
    );
    let d = recs
        .iter()
        .find(|r| r.event_type == Some(EventType::Disconnect))
        .unwrap();
    assert_eq!(d.disconnect_status_code, Some(1009));
    assert_eq!(d.route_key.as_deref(), Some("$disconnect"));
    for r in &recs {
        assert_eq!(r.connection_id, c.connection_id);
        assert_eq!(r.connected_at, c.connected_at);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_codes_pass_through_both_ways() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start("", &["--upstream", &upstream.url()]);
    // The service closes with 4000: the client sees 4000.
    let mut ws = connect(&sc, "/ws").await;
    ws.send(Message::text("close:4000")).await.unwrap();
    match next(&mut ws).await {
        Message::Close(Some(f)) => assert_eq!(f.code, CloseCode::from(4000)),
        other => panic!("{other:?}"),
    }
    let recs = wait_disconnect(&sc).await;
    let d = recs
        .iter()
        .find(|r| r.event_type == Some(EventType::Disconnect))
        .unwrap();
    assert_eq!(d.disconnect_status_code, Some(4000));

    // The client closes with 4001: the close handshake completes and 4001 is logged.
    let mut ws = connect(&sc, "/ws").await;
    ws.send(Message::text("x")).await.unwrap();
    next(&mut ws).await;
    ws.close(Some(CloseFrame {
        code: CloseCode::from(4001),
        reason: "done".into(),
    }))
    .await
    .unwrap();
    match next(&mut ws).await {
        Message::Close(Some(f)) => assert_eq!(f.code, CloseCode::from(4001)),
        other => panic!("{other:?}"),
    }
    let mut codes = Vec::new();
    for _ in 0..250 {
        codes = sc
            .log()
            .iter()
            .filter(|r| r.event_type == Some(EventType::Disconnect))
            .map(|r| r.disconnect_status_code.unwrap())
            .collect();
        if codes.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(codes, [4000, 4001]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connection_is_closed_1001_and_refused_upgrade_is_502() {
    let upstream = Upstream::start().await;
    let sc = Sidecar::start(
        "[limits]\nws_idle_timeout_secs = 1\n",
        &["--upstream", &upstream.url()],
    );
    let mut ws = connect(&sc, "/ws").await;
    let t = std::time::Instant::now();
    match next(&mut ws).await {
        Message::Close(Some(f)) => assert_eq!(f.code, CloseCode::Away),
        other => panic!("{other:?}"),
    }
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    let recs = wait_disconnect(&sc).await;
    let d = recs
        .iter()
        .find(|r| r.event_type == Some(EventType::Disconnect))
        .unwrap();
    assert_eq!(d.disconnect_status_code, Some(1001));

    // The upstream answers 403 instead of 101: the client gets 502, logged as CONNECT.
    let stream = TcpStream::connect(sc.addr).await.unwrap();
    let err = tokio_tungstenite::client_async(format!("ws://{}/ws-refuse", sc.addr), stream)
        .await
        .unwrap_err();
    match err {
        tokio_tungstenite::tungstenite::Error::Http(resp) => assert_eq!(resp.status(), 502),
        other => panic!("{other:?}"),
    }
    let mut refused = None;
    for _ in 0..250 {
        refused = sc
            .log()
            .into_iter()
            .find(|r| r.event_type == Some(EventType::Connect) && r.status == Some(502));
        if refused.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = refused.expect("CONNECT 502 line");
    assert_eq!(
        r.error_response_type.as_deref(),
        Some("INTEGRATION_FAILURE")
    );
    assert_eq!(r.path.as_deref(), Some("/ws-refuse"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_websockets_with_1001_and_logs_the_disconnect() {
    let upstream = Upstream::start().await;
    let mut sc = Sidecar::start("", &["--upstream", &upstream.url()]);
    let mut ws = connect(&sc, "/ws").await;
    ws.send(Message::text("before stop")).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::text("before stop"));
    sc.signal("TERM");
    match next(&mut ws).await {
        Message::Close(Some(f)) => assert_eq!(f.code, CloseCode::Away),
        other => panic!("{other:?}"),
    }
    drop(ws);
    let code = tokio::task::block_in_place(|| sc.wait_exit(Duration::from_secs(15)));
    assert_eq!(code, Some(0), "{}", sc.stderr());
    let recs = sc.log();
    let kinds: Vec<_> = recs.iter().map(|r| r.event_type.unwrap()).collect();
    assert_eq!(
        kinds,
        [
            EventType::Connect,
            EventType::Message,
            EventType::Message,
            EventType::Disconnect
        ]
    );
    assert_eq!(recs[3].disconnect_status_code, Some(1001));
    assert_eq!(messages(&recs, Direction::In), [11]);
    assert_eq!(messages(&recs, Direction::Out), [11]);
}
