//! One schema-v1 access-log line from an event, written straight into the writer's buffer.
//!
//! Byte for byte what `gwcost_log::LogRecord::write_json_line` writes for the same record (same
//! keys, order, escaping and numbers: a property test compares the two), without filling a
//! record and going through serde first: under load the log writer's thread spent more
//! instructions per request serializing the record (serde's per-field dispatch, `fmt` for ids and
//! addresses) than the request path spent routing it.

use std::net::IpAddr;

use gwcost_log::EventType;
use http::{HeaderValue, Version};

use crate::access_log::{LogEvent, LogIdentity, RequestEvent, WsEvent};

/// `,"name":` for a field after the first.
macro_rules! key {
    ($name:literal) => {
        concat!(",\"", $name, "\":")
    };
}

/// Appends the line of `ev` (with its newline) to `out`; `seq` numbers the line's `requestId`.
/// `Reopen` and `Shutdown` write nothing.
pub fn write(out: &mut Vec<u8>, ev: &LogEvent, id: &LogIdentity, seq: u64) {
    match ev {
        LogEvent::Request(e) => request(out, e, id, seq),
        LogEvent::Ws(e) => ws(out, e, id, seq),
        LogEvent::Reopen | LogEvent::Shutdown(_) => {}
    }
}

fn request(out: &mut Vec<u8>, e: &RequestEvent, id: &LogIdentity, seq: u64) {
    let mut l = Line::start(out, id, seq, e.time_ms, EventType::Request);
    l.str(key!("routeKey"), e.route_key);
    l.str(key!("httpMethod"), e.method.as_str());
    l.str(key!("path"), e.uri.path());
    l.str(key!("protocol"), protocol_str(e.version));
    l.uint(key!("status"), u64::from(e.status));
    l.uint(key!("requestLength"), e.request_length);
    l.uint(key!("responseLength"), e.response_length);
    l.opt_uint(key!("integrationLatency"), e.integration_latency);
    l.uint(key!("responseLatency"), e.response_latency);
    l.opt_uint(
        key!("integrationStatus"),
        e.integration_status.map(u64::from),
    );
    l.opt_str(key!("errorResponseType"), e.error_type);
    l.ip(e.ip);
    l.user_agent(e.user_agent.as_ref());
    l.client_connection(id, e.client_connection, e.client_connected_at);
    l.end();
}

fn ws(out: &mut Vec<u8>, e: &WsEvent, id: &LogIdentity, seq: u64) {
    let mut l = Line::start(out, id, seq, e.time_ms, e.kind);
    l.str(
        key!("routeKey"),
        match e.kind {
            EventType::Connect => "$connect",
            EventType::Disconnect => "$disconnect",
            _ => "$default",
        },
    );
    if let Some(c) = &e.connect {
        l.str(key!("httpMethod"), c.method.as_str());
        l.str(key!("path"), c.uri.path());
        l.str(key!("protocol"), "HTTP/1.1");
    }
    l.opt_uint(key!("status"), e.status.map(u64::from));
    if let Some(c) = &e.connect {
        l.opt_str(key!("errorResponseType"), c.error_type);
        l.ip(c.ip);
        l.user_agent(c.user_agent.as_ref());
    }
    l.key(key!("connectionId"));
    l.out.extend_from_slice(b"\"c");
    l.out.extend_from_slice(id.id_prefix.as_bytes());
    hex(l.out, e.connection_id, 1);
    l.out.push(b'"');
    if let Some(d) = e.direction {
        l.str(
            key!("direction"),
            match d {
                gwcost_log::Direction::In => "in",
                gwcost_log::Direction::Out => "out",
            },
        );
    }
    l.opt_uint(key!("messageLength"), e.message_length);
    l.int(key!("connectedAt"), e.connected_at);
    l.opt_uint(
        key!("disconnectStatusCode"),
        e.disconnect_status_code.map(u64::from),
    );
    if let Some(c) = &e.connect {
        l.client_connection(id, c.client_connection, c.client_connected_at);
    }
    l.end();
}

pub(crate) fn protocol_str(v: Version) -> &'static str {
    match v {
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    }
}

/// A JSON object being written, fields in `LogRecord`'s order.
struct Line<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> Line<'a> {
    /// `{"requestId":…,"requestTimeEpoch":…,"eventType":…[,"apiId":…],"stage":…`
    fn start(
        out: &'a mut Vec<u8>,
        id: &LogIdentity,
        seq: u64,
        time_ms: i64,
        kind: EventType,
    ) -> Self {
        out.extend_from_slice(b"{\"requestId\":\"");
        out.extend_from_slice(id.id_prefix.as_bytes());
        hex(out, seq, 8);
        out.push(b'"');
        let mut l = Self { out };
        l.int(key!("requestTimeEpoch"), time_ms);
        l.str(key!("eventType"), kind.as_str());
        l.opt_str(key!("apiId"), id.api_id.as_deref());
        l.str(key!("stage"), &id.stage);
        l
    }

    fn end(self) {
        self.out.extend_from_slice(b"}\n");
    }

    /// `,"name":` as one piece made at compile time by [`key!`] (never the first field:
    /// `requestId` is).
    fn key(&mut self, key: &'static str) {
        self.out.extend_from_slice(key.as_bytes());
    }

    fn str(&mut self, key: &'static str, v: &str) {
        self.key(key);
        escaped(self.out, v);
    }

    fn opt_str(&mut self, key: &'static str, v: Option<&str>) {
        if let Some(v) = v {
            self.str(key, v);
        }
    }

    fn uint(&mut self, key: &'static str, v: u64) {
        self.key(key);
        decimal(self.out, v);
    }

    fn opt_uint(&mut self, key: &'static str, v: Option<u64>) {
        if let Some(v) = v {
            self.uint(key, v);
        }
    }

    fn int(&mut self, key: &'static str, v: i64) {
        self.key(key);
        if v < 0 {
            self.out.push(b'-');
        }
        decimal(self.out, v.unsigned_abs());
    }

    /// `"ip"`: IPv4 written by hand (the common case), IPv6 by std's formatter.
    fn ip(&mut self, ip: IpAddr) {
        self.key(key!("ip"));
        self.out.push(b'"');
        match ip {
            IpAddr::V4(v4) => {
                for (i, octet) in v4.octets().into_iter().enumerate() {
                    if i > 0 {
                        self.out.push(b'.');
                    }
                    decimal(self.out, u64::from(octet));
                }
            }
            IpAddr::V6(v6) => {
                use std::io::Write as _;
                let _ = write!(self.out, "{v6}");
            }
        }
        self.out.push(b'"');
    }

    /// `"userAgent"` when the header is visible ASCII (as `HeaderValue::to_str` decides).
    fn user_agent(&mut self, v: Option<&HeaderValue>) {
        self.opt_str(key!("userAgent"), v.and_then(|v| v.to_str().ok()));
    }

    /// `"clientConnectionId":"k{prefix}{number:x}","clientConnectedAt":ms`.
    fn client_connection(&mut self, id: &LogIdentity, number: u64, connected_at: i64) {
        self.key(key!("clientConnectionId"));
        self.out.extend_from_slice(b"\"k");
        self.out.extend_from_slice(id.id_prefix.as_bytes());
        hex(self.out, number, 1);
        self.out.push(b'"');
        self.int(key!("clientConnectedAt"), connected_at);
    }
}

/// `v` in decimal.
fn decimal(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// `v` in lowercase hex, zero-padded to at least `width` digits (as `{:0width$x}`).
fn hex(out: &mut Vec<u8>, mut v: u64, width: usize) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [b'0'; 16];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = DIGITS[(v & 0xf) as usize];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    let start = i.min(buf.len() - width.min(buf.len()));
    out.extend_from_slice(&buf[start..]);
}

/// A JSON string as serde_json writes it: `"` and `\` escaped, the control characters below
/// 0x20 as `\b \t \n \f \r` or `\u00xx`, everything else (UTF-8 included) as is.
fn escaped(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0a => b"\\n",
            0x0c => b"\\f",
            0x0d => b"\\r",
            0x00..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                const DIGITS: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(DIGITS[usize::from(b >> 4)]);
                out.push(DIGITS[usize::from(b & 0xf)]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access_log::ConnectInfo;
    use gwcost_log::{Direction, LogRecord};
    use http::{Method, Uri};
    use proptest::prelude::*;

    /// The reference: the line as `LogRecord` (serde) writes it for the same event.
    fn reference(ev: &LogEvent, id: &LogIdentity, seq: u64) -> Vec<u8> {
        let mut r = LogRecord {
            request_id: Some(format!("{}{:08x}", id.id_prefix, seq)),
            stage: Some(id.stage.clone()),
            api_id: id.api_id.clone(),
            ..LogRecord::default()
        };
        let ua =
            |v: &Option<HeaderValue>| v.as_ref().and_then(|v| v.to_str().ok()).map(str::to_owned);
        let client = |n: u64| Some(format!("k{}{:x}", id.id_prefix, n));
        match ev {
            LogEvent::Request(e) => {
                r.request_time_epoch = Some(e.time_ms);
                r.event_type = Some(EventType::Request);
                r.route_key = Some(e.route_key.to_owned());
                r.http_method = Some(e.method.as_str().to_owned());
                r.path = Some(e.uri.path().to_owned());
                r.protocol = Some(protocol_str(e.version).to_owned());
                r.status = Some(e.status);
                r.request_length = Some(e.request_length);
                r.response_length = Some(e.response_length);
                r.integration_latency = e.integration_latency;
                r.response_latency = Some(e.response_latency);
                r.integration_status = e.integration_status;
                r.error_response_type = e.error_type.map(str::to_owned);
                r.ip = Some(e.ip.to_string());
                r.user_agent = ua(&e.user_agent);
                r.client_connection_id = client(e.client_connection);
                r.client_connected_at = Some(e.client_connected_at);
            }
            LogEvent::Ws(e) => {
                r.request_time_epoch = Some(e.time_ms);
                r.event_type = Some(e.kind);
                r.route_key = Some(
                    match e.kind {
                        EventType::Connect => "$connect",
                        EventType::Disconnect => "$disconnect",
                        _ => "$default",
                    }
                    .to_owned(),
                );
                r.connection_id = Some(format!("c{}{:x}", id.id_prefix, e.connection_id));
                r.connected_at = Some(e.connected_at);
                r.direction = e.direction;
                r.message_length = e.message_length;
                r.status = e.status;
                r.disconnect_status_code = e.disconnect_status_code;
                if let Some(c) = &e.connect {
                    r.http_method = Some(c.method.as_str().to_owned());
                    r.path = Some(c.uri.path().to_owned());
                    r.protocol = Some("HTTP/1.1".to_owned());
                    r.ip = Some(c.ip.to_string());
                    r.user_agent = ua(&c.user_agent);
                    r.error_response_type = c.error_type.map(str::to_owned);
                    r.client_connection_id = client(c.client_connection);
                    r.client_connected_at = Some(c.client_connected_at);
                }
            }
            LogEvent::Reopen | LogEvent::Shutdown(_) => return Vec::new(),
        }
        let mut out = Vec::new();
        r.write_json_line(&mut out).unwrap();
        out
    }

    fn ours(ev: &LogEvent, id: &LogIdentity, seq: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out, ev, id, seq);
        out
    }

    const KEYS: [&str; 4] = ["GET /messages", "$default", "ANY /files/{proxy+}", "-"];
    const ERRORS: [Option<&str>; 3] = [None, Some("THROTTLED"), Some("INTEGRATION_FAILURE")];

    fn ip_strategy() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<[u8; 4]>().prop_map(IpAddr::from),
            any::<[u16; 8]>().prop_map(IpAddr::from),
        ]
    }

    /// Paths as the router passes them (any byte a URI path may hold, `"` and `\` included);
    /// user agents with tabs, quotes, backslashes and bytes `to_str` refuses.
    fn uri_strategy() -> impl Strategy<Value = Uri> {
        "/[a-zA-Z0-9._~!$&'()*+,;=:@%\"\\\\{}|^`\\[\\]-]{0,40}(\\?[a-z=&]{0,10})?"
            .prop_filter_map("a URI http accepts", |s| s.parse::<Uri>().ok())
    }

    fn ua_strategy() -> impl Strategy<Value = Option<HeaderValue>> {
        proptest::option::of(
            proptest::collection::vec(any::<u8>(), 0..40)
                .prop_filter_map("a header value", |b| HeaderValue::from_bytes(&b).ok()),
        )
    }

    fn identity_strategy() -> impl Strategy<Value = LogIdentity> {
        (
            "[a-z0-9\"\\\\\t é-]{0,12}",
            proptest::option::of("[a-z0-9\"]{0,10}"),
        )
            .prop_map(|(stage, api_id)| LogIdentity::new(stage, api_id))
    }

    fn request_strategy() -> impl Strategy<Value = LogEvent> {
        (
            (
                any::<i64>(),
                0..KEYS.len(),
                uri_strategy(),
                0..4usize,
                100u16..600,
            ),
            (
                any::<u64>(),
                any::<u64>(),
                any::<Option<u64>>(),
                any::<u64>(),
            ),
            (
                any::<Option<u16>>(),
                0..ERRORS.len(),
                ip_strategy(),
                ua_strategy(),
            ),
            (any::<u64>(), any::<i64>()),
        )
            .prop_map(
                |((t, k, uri, v, status), (rq, rs, il, rl), (is, er, ip, ua), (cn, ca))| {
                    let methods = [Method::GET, Method::POST, Method::DELETE, Method::OPTIONS];
                    let versions = [
                        Version::HTTP_11,
                        Version::HTTP_2,
                        Version::HTTP_10,
                        Version::HTTP_09,
                    ];
                    LogEvent::Request(RequestEvent {
                        time_ms: t,
                        route_key: KEYS[k],
                        method: methods[v].clone(),
                        uri,
                        version: versions[v],
                        status,
                        request_length: rq,
                        response_length: rs,
                        integration_latency: il,
                        response_latency: rl,
                        integration_status: is,
                        error_type: ERRORS[er],
                        ip,
                        user_agent: ua,
                        client_connection: cn,
                        client_connected_at: ca,
                    })
                },
            )
    }

    fn ws_strategy() -> impl Strategy<Value = LogEvent> {
        let connect = proptest::option::of(
            (
                uri_strategy(),
                ip_strategy(),
                ua_strategy(),
                0..ERRORS.len(),
                any::<u64>(),
                any::<i64>(),
            )
                .prop_map(|(uri, ip, ua, er, cn, ca)| {
                    Box::new(ConnectInfo {
                        method: Method::GET,
                        uri,
                        ip,
                        user_agent: ua,
                        error_type: ERRORS[er],
                        client_connection: cn,
                        client_connected_at: ca,
                    })
                }),
        );
        (
            0..4usize,
            (any::<i64>(), any::<u64>(), any::<i64>()),
            (
                any::<Option<bool>>(),
                any::<Option<u64>>(),
                any::<Option<u16>>(),
                any::<Option<u16>>(),
            ),
            connect,
        )
            .prop_map(|(k, (t, id, at), (dir, len, st, dc), connect)| {
                let kinds = [
                    EventType::Connect,
                    EventType::Message,
                    EventType::Disconnect,
                    EventType::Refused,
                ];
                LogEvent::Ws(WsEvent {
                    kind: kinds[k],
                    time_ms: t,
                    connection_id: id,
                    connected_at: at,
                    direction: dir.map(|i| if i { Direction::In } else { Direction::Out }),
                    message_length: len,
                    status: st,
                    disconnect_status_code: dc,
                    connect,
                })
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        #[test]
        fn request_lines_are_what_log_record_writes(
            ev in request_strategy(), id in identity_strategy(), seq in any::<u64>()
        ) {
            let (line, want) = (ours(&ev, &id, seq), reference(&ev, &id, seq));
            prop_assert_eq!(String::from_utf8_lossy(&line), String::from_utf8_lossy(&want));
        }

        #[test]
        fn websocket_lines_are_what_log_record_writes(
            ev in ws_strategy(), id in identity_strategy(), seq in any::<u64>()
        ) {
            let (line, want) = (ours(&ev, &id, seq), reference(&ev, &id, seq));
            prop_assert_eq!(String::from_utf8_lossy(&line), String::from_utf8_lossy(&want));
        }
    }

    /// A hand-written line: every field, in the schema's order, escapes and all.
    #[test]
    fn a_request_line_by_hand() {
        let id = LogIdentity {
            stage: "prod".into(),
            api_id: Some("a1".into()),
            id_prefix: "0123456789ab".into(),
        };
        let ev = LogEvent::Request(RequestEvent {
            time_ms: 1_764_547_200_123,
            route_key: "GET /messages",
            method: Method::GET,
            uri: "/m%22x?q=1".parse().unwrap(),
            version: Version::HTTP_2,
            status: 200,
            request_length: 0,
            response_length: 1024,
            integration_latency: Some(3),
            response_latency: 4,
            integration_status: Some(200),
            error_type: None,
            ip: "10.0.0.255".parse().unwrap(),
            user_agent: Some(HeaderValue::from_static("t\"1\\\t")),
            client_connection: 0x1f,
            client_connected_at: 1_764_547_200_000,
        });
        assert_eq!(
            String::from_utf8(ours(&ev, &id, 0x1_0000_0001)).unwrap(),
            concat!(
                r#"{"requestId":"0123456789ab100000001","requestTimeEpoch":1764547200123,"#,
                r#""eventType":"REQUEST","apiId":"a1","stage":"prod","routeKey":"GET /messages","#,
                r#""httpMethod":"GET","path":"/m%22x","protocol":"HTTP/2.0","status":200,"#,
                r#""requestLength":0,"responseLength":1024,"integrationLatency":3,"#,
                r#""responseLatency":4,"integrationStatus":200,"ip":"10.0.0.255","#,
                r#""userAgent":"t\"1\\\t","clientConnectionId":"k0123456789ab1f","#,
                r#""clientConnectedAt":1764547200000}"#,
                "\n"
            )
        );
        let mut small = Vec::new();
        hex(&mut small, 7, 8);
        assert_eq!(small, b"00000007");
    }
}
