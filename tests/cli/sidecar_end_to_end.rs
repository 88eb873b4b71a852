//! End to end: real clients through the real `gwcost-sidecar` to a real upstream on 127.0.0.1,
//! then the real `gwcost analyze` on the log the sidecar wrote. The bill must be the one
//! `shared/pricing.md` gives for that traffic, computed here by hand.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::util::{Scratch, assert_transfer_cost, dec, usd};

/// `gwcost-sidecar` is built beside `gwcost` by `cargo test --workspace` (the README's command).
fn sidecar_bin() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_BIN_EXE_gwcost")).with_file_name("gwcost-sidecar");
    assert!(
        p.exists(),
        "{} is missing: run the tests with `cargo test --workspace` (or `cargo build -p gwcost-sidecar` first)",
        p.display()
    );
    p
}

/// A minimal upstream: `GET /bytes/N` answers N bytes, `POST /echo` answers as many bytes as it
/// received, and a WebSocket upgrade is echoed message by message. One thread per connection;
/// every HTTP answer closes its connection, so an upgrade always arrives on a fresh one.
fn start_upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            std::thread::spawn(move || serve_upstream(conn));
        }
    });
    addr
}

fn serve_upstream(conn: TcpStream) {
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // Peek at the request head to tell a WebSocket upgrade from plain HTTP.
    let mut head = vec![0u8; 4096];
    let n = conn.peek(&mut head).unwrap_or(0);
    let head = String::from_utf8_lossy(&head[..n]).to_ascii_lowercase();
    if head.contains("upgrade: websocket") {
        let Ok(mut ws) = tungstenite::accept(conn) else {
            return;
        };
        while let Ok(msg) = ws.read() {
            if msg.is_text() || msg.is_binary() {
                if ws.send(msg).is_err() {
                    return;
                }
            } else if msg.is_close() {
                let _ = ws.flush();
            }
        }
        return;
    }
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut conn = conn;
    {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut content_length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                content_length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0u8; content_length];
        reader.read_exact(&mut body).unwrap();
        let path = request_line.split_whitespace().nth(1).unwrap_or("/");
        let answer_len = match path.strip_prefix("/bytes/") {
            Some(n) => n.parse::<usize>().unwrap(),
            None => body.len(),
        };
        let head =
            format!("HTTP/1.1 200 OK\r\ncontent-length: {answer_len}\r\nconnection: close\r\n\r\n");
        let _ = conn.write_all(head.as_bytes());
        let _ = conn.write_all(&vec![b'x'; answer_len]);
    }
}

struct SidecarProcess {
    child: Child,
    addr: SocketAddr,
}

impl Drop for SidecarProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sidecar(scratch: &Scratch, upstream: SocketAddr) -> SidecarProcess {
    let config = scratch.write(
        "sidecar.toml",
        br#"
stage = "prod"

[authorizers.main]
issuer = "https://issuer.example"
audiences = ["gwcost-tests"]
hs256_secret = "end-to-end-secret"

[[routes]]
key = "GET /private"
authorizer = "main"

[[routes]]
key = "$default"
"#,
    );
    let mut child = Command::new(sidecar_bin())
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--admin")
        .arg("127.0.0.1:0")
        .arg("--upstream")
        .arg(format!("http://{upstream}"))
        .arg("--access-log")
        .arg(scratch.path("access.log"))
        .arg("--config")
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.contains("listening on") {
                let _ = tx.send(line);
            }
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the sidecar did not print its listening line within 20 s");
    // `gwcost-sidecar listening on ADDR admin ADDR`
    let addr = line.split_whitespace().nth(3).unwrap().parse().unwrap();
    SidecarProcess { child, addr }
}

/// One HTTP/1.1 request on its own connection; returns (status, body length).
fn http(addr: SocketAddr, method: &str, path: &str, headers: &str, body: &[u8]) -> (u16, usize) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: gwcost.test\r\nconnection: close\r\ncontent-length: {}\r\n{headers}\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let status_line = String::from_utf8_lossy(&out[..split]).into_owned();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    (status, out.len() - split - 4)
}

#[test]
fn sidecar_log_is_billed_as_pricing_md_says() {
    let scratch = Scratch::new();
    let upstream = start_upstream();
    let mut sidecar = start_sidecar(&scratch, upstream);
    let a = sidecar.addr;

    // HTTP requests, each with its hand-computed HTTP API units (basis sum: request + response
    // body, 512 KiB = 524,288 B increments, at least 1).
    assert_eq!(http(a, "GET", "/bytes/1000", "", b""), (200, 1000)); // 1 unit
    assert_eq!(http(a, "GET", "/bytes/524288", "", b""), (200, 524_288)); // exactly 512 KiB: 1 unit
    assert_eq!(http(a, "GET", "/bytes/524289", "", b""), (200, 524_289)); // one byte over: 2 units
    assert_eq!(
        http(a, "POST", "/echo", "", &vec![b'u'; 300_000]),
        (200, 300_000)
    ); // 600,000 B processed: 2 units
    assert_eq!(http(a, "GET", "/bytes/1572864", "", b""), (200, 1_572_864)); // 1.5 MiB: 3 units
    // Rejected by the authorizer: not billed, but their 26-byte bodies are data transfer out.
    assert_eq!(http(a, "GET", "/private", "", b""), (401, 26));
    assert_eq!(
        http(
            a,
            "GET",
            "/private",
            "authorization: Bearer not.a.jwt\r\n",
            b""
        ),
        (401, 26)
    );

    // One WebSocket connection: a 40,000-byte text message (2 units of 32 KiB) and a 100-byte
    // binary message (1 unit) go in, the upstream echoes both out (2 + 1 units); a ping is a
    // control frame, not a message.
    let (mut ws, _) = tungstenite::connect(format!("ws://{a}/chat")).unwrap();
    ws.send(tungstenite::Message::text("t".repeat(40_000)))
        .unwrap();
    let echoed = ws.read().unwrap();
    assert_eq!(echoed.len(), 40_000);
    ws.send(tungstenite::Message::Ping(vec![1, 2, 3].into()))
        .unwrap();
    ws.send(tungstenite::Message::binary(vec![7u8; 100]))
        .unwrap();
    loop {
        let m = ws.read().unwrap();
        if m.is_binary() {
            assert_eq!(m.len(), 100);
            break;
        }
    }
    ws.close(None).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && ws.read().is_ok() {}

    // A clean stop flushes and fsyncs the log.
    let pid = sidecar.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let code = loop {
        if let Some(st) = sidecar.child.try_wait().unwrap() {
            break st.code();
        }
        assert!(Instant::now() < deadline, "sidecar did not exit on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, Some(0), "sidecar exit status after SIGTERM");

    let out = scratch
        .run(&["analyze", "--format", "json", "access.log"])
        .success();
    let bill = out.json();
    let total = &bill["total"];
    assert_eq!(bill["inputs"]["malformed_lines"], 0);

    // 7 requests; 5 billable: 1 + 1 + 2 + 2 + 3 = 9 HTTP units at $1.00/M; 5 REST at $3.50/M.
    assert_eq!(total["http_api"]["requests"], 7);
    assert_eq!(total["http_api"]["billed_units"], 9);
    assert_eq!(usd(&total["http_api"]["cost_usd"]), dec("0.000009"));
    assert_eq!(total["rest_api"]["requests"], 7);
    assert_eq!(total["rest_api"]["billed_units"], 5);
    assert_eq!(usd(&total["rest_api"]["cost_usd"]), dec("0.0000175"));

    // WebSocket: 4 messages, 2 + 1 + 2 + 1 = 6 units at $1.00/M, one connection of under a
    // minute = 1 connection minute at $0.25/M.
    let ws_bill = &total["websocket"];
    assert_eq!(ws_bill["connections"], 1);
    assert_eq!(ws_bill["messages"], 4);
    assert_eq!(ws_bill["billed_units"], 6);
    assert_eq!(ws_bill["connection_minutes"], 1);
    assert_eq!(usd(&ws_bill["cost_usd"]), dec("0.00000625"));

    // Data transfer out: every response body that passed, billed or not.
    let bytes = 1000 + 524_288 + 524_289 + 300_000 + 1_572_864 + 26 + 26;
    assert_eq!(total["data_transfer_out"]["bytes"], bytes);
    assert_transfer_cost(&total["data_transfer_out"]["cost_usd"], bytes);
}
