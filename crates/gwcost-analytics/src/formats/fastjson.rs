//! The fast path for one JSON line: a scanner that reads the common shape of an access-log line
//! — one flat object of plain strings, integers and nulls — straight into a borrowed
//! [`EventRef`], without allocating and without building a [`gwcost_log::LogRecord`].
//!
//! It accepts a strict subset of what the reference path (serde_json into `LogRecord`, then
//! [`crate::Event::from_record`]) accepts, and gives the same event for it. Anything else —
//! escapes, non-ASCII or control bytes, floats, booleans, nested values, numbers of 19 digits or
//! more, duplicate schema fields, a value the lenient readers would refuse, a line with no usable
//! timestamp — makes it return `None`, and the caller hands the line to the reference path,
//! which decides and words the error. So leniency and error messages have one definition; this
//! module only has to be right about the lines it accepts (a property test checks it against
//! the reference path on random lines).

use gwcost_log::{Direction, EventType, Field};

use crate::EventRef;

/// A JSON value of the accepted subset; strings are the raw text between the quotes.
#[derive(Clone, Copy)]
pub(crate) enum Val<'a> {
    Null,
    Int(i64),
    Str(&'a str),
}

/// How a line's keys name schema fields: the schema's own names (`None`), or the keys of the
/// stage's access-log template (`--log-format`).
pub(crate) type KeyMap = std::collections::HashMap<Box<[u8]>, Field>;

/// The field `key` names under `keys`.
#[inline]
pub(crate) fn field_of(key: &str, keys: Option<&KeyMap>) -> Option<Field> {
    match keys {
        None => Field::from_name(key),
        Some(map) => map.get(key.as_bytes()).copied(),
    }
}

/// [`printable_ascii`] and no backslash (an escape is left to the reference path), in one
/// vectorised pass.
fn printable_ascii_no_backslash(line: &[u8]) -> bool {
    let (high, backslash) = line.iter().fold((0u8, 0u8), |(m, bs), &b| {
        (m.max(b.wrapping_sub(0x20)), bs | u8::from(b == b'\\'))
    });
    high < 0x60 && backslash == 0
}

/// True when every byte is printable ASCII (0x20..=0x7F): then the only JSON whitespace left is
/// the space, strings need no UTF-8 check and hold no raw control character (which JSON forbids).
pub(crate) fn printable_ascii(line: &[u8]) -> bool {
    // `max` over the whole line vectorises; an early-exit loop would not.
    line.iter().map(|b| b.wrapping_sub(0x20)).max().unwrap_or(0) < 0x60
}

/// The lenient text of a string value: trimmed, `""` and `"-"` meaning absent (`lenient::string`;
/// only spaces can surround it here).
pub(crate) fn text(s: &str) -> Option<&str> {
    let t = s.trim_ascii();
    (!t.is_empty() && t != "-").then_some(t)
}

/// `lenient::int` on the accepted subset: `Err` for anything it would refuse or that needs
/// more than 18 digits (the reference path then decides).
fn int(v: Val<'_>) -> Result<Option<i64>, ()> {
    match v {
        Val::Null => Ok(None),
        Val::Int(n) => Ok(Some(n)),
        Val::Str(s) => match text(s) {
            None => Ok(None),
            Some(t) => {
                let t = t.as_bytes();
                let (neg, digits) = match t.first() {
                    Some(b'-') => (true, &t[1..]),
                    Some(b'+') => (false, &t[1..]),
                    _ => (false, t),
                };
                if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit)
                {
                    return Err(());
                }
                let n = digits
                    .iter()
                    .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
                Ok(Some(if neg { -n } else { n }))
            }
        },
    }
}

fn int_in<T: TryFrom<i64>>(v: Val<'_>) -> Result<Option<T>, ()> {
    match int(v)? {
        None => Ok(None),
        Some(n) => T::try_from(n).map(Some).map_err(|_| ()),
    }
}

/// A string field the bill reads: a JSON number there would need `to_string`, so it is left to
/// the reference path.
fn string(v: Val<'_>) -> Result<Option<&str>, ()> {
    match v {
        Val::Null => Ok(None),
        Val::Int(_) => Err(()),
        Val::Str(s) => Ok(text(s)),
    }
}

/// The first `"` in `b`, eight bytes at a time (SWAR): keys and values are short, so a plain
/// word loop beats a SIMD search's setup per call, and beats a byte loop on ids and user agents.
fn find_quote(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const QUOTES: u64 = ONES * b'"' as u64;
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let x = u64::from_le_bytes(word) ^ QUOTES;
        // The lowest byte that was a quote is exact (carries only disturb bytes above it).
        let hit = x.wrapping_sub(ONES) & !x & HIGHS;
        if hit != 0 {
            return Some(i + (hit.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?.iter().position(|&c| c == b'"').map(|p| i + p)
}

/// The cursor over one line. The line holds no backslash, so the next `"` closes a string.
struct Scanner<'a> {
    b: &'a [u8],
    text: &'a str,
    i: usize,
}

impl<'a> Scanner<'a> {
    fn skip_spaces(&mut self) {
        while self.b.get(self.i) == Some(&b' ') {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.skip_spaces();
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    /// The text of a string whose opening quote was just read.
    fn string(&mut self) -> Option<&'a str> {
        let len = find_quote(self.b.get(self.i..)?)?;
        let end = self.i + len;
        let s = self.text.get(self.i..end)?;
        self.i = end + 1;
        Some(s)
    }

    /// An integer in JSON's grammar (no leading zeros), at most 18 digits, and not the start of
    /// a fraction or exponent.
    fn integer(&mut self) -> Option<i64> {
        let neg = self.b.get(self.i) == Some(&b'-');
        if neg {
            self.i += 1;
        }
        let start = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        let digits = &self.b[start..self.i];
        if digits.is_empty()
            || digits.len() > 18
            || (digits.len() > 1 && digits[0] == b'0')
            || matches!(self.b.get(self.i), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        let n = digits
            .iter()
            .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
        Some(if neg { -n } else { n })
    }

    fn value(&mut self) -> Option<Val<'a>> {
        self.skip_spaces();
        match *self.b.get(self.i)? {
            b'"' => {
                self.i += 1;
                self.string().map(Val::Str)
            }
            b'-' | b'0'..=b'9' => self.integer().map(Val::Int),
            b'n' if self.b[self.i..].starts_with(b"null") => {
                self.i += 4;
                Some(Val::Null)
            }
            _ => None,
        }
    }
}

/// Collects the fields of one record into an [`EventRef`], refusing (with `None`) whatever the
/// reference path would refuse or might read differently. Shared by the JSON scanner and the
/// Parquet reader, so both follow one definition of leniency.
pub(crate) struct Builder<'a> {
    ev: EventRef<'a>,
    seen: u32,
    epoch: Option<i64>,
    request_time: Option<&'a str>,
}

impl<'a> Builder<'a> {
    pub(crate) fn new() -> Self {
        Self {
            ev: EventRef {
                time_ms: 0,
                kind: EventType::Request,
                request_id: None,
                stage: None,
                route_key: None,
                http_method: None,
                resource_path: None,
                status: None,
                request_bytes: 0,
                response_bytes: 0,
                data_processed: None,
                error_response_type: None,
                connection_id: None,
                connected_at_ms: None,
                message_bytes: None,
                client_connection_id: None,
                client_connected_at_ms: None,
            },
            seen: 0,
            epoch: None,
            request_time: None,
        }
    }

    /// Sets a schema field (unknown names are ignored); `None` to refuse the record.
    pub(crate) fn set(&mut self, f: Field, v: Val<'a>) -> Option<()> {
        let bit = 1u32 << (f as u32);
        if self.seen & bit != 0 {
            return None;
        }
        self.seen |= bit;
        apply(f, v, &mut self.ev, &mut self.epoch, &mut self.request_time).ok()
    }

    /// The event, dated by `requestTimeEpoch`, else `requestTime`, else `fallback_ms` (the
    /// container's timestamp, e.g. a CloudWatch Logs event's).
    pub(crate) fn finish(mut self, fallback_ms: Option<i64>) -> Option<EventRef<'a>> {
        self.ev.time_ms = match (self.epoch, self.request_time) {
            (Some(ms), _) => ms,
            (None, Some(t)) => gwcost_log::parse_request_time(t).ok()?,
            (None, None) => fallback_ms?,
        };
        Some(self.ev)
    }
}

/// Reads one trimmed line (BOM removed) the fast way, its keys named by `keys` and dated by
/// `fallback_ms` when it carries no time; `None` means "ask the reference path".
pub(crate) fn scan<'a>(
    line: &'a [u8],
    keys: Option<&KeyMap>,
    fallback_ms: Option<i64>,
) -> Option<EventRef<'a>> {
    if line.first() != Some(&b'{') || !printable_ascii_no_backslash(line) {
        return None;
    }
    let text = std::str::from_utf8(line).ok()?;
    let mut s = Scanner {
        b: line,
        text,
        i: 1,
    };
    let mut builder = Builder::new();
    s.skip_spaces();
    if s.b.get(s.i) == Some(&b'}') {
        // `{}` has no timestamp: malformed, and the reference path says so.
        return None;
    }
    loop {
        s.eat(b'"')?;
        let key = s.string()?;
        s.eat(b':')?;
        let v = s.value()?;
        if let Some(f) = field_of(key, keys) {
            builder.set(f, v)?;
        }
        s.skip_spaces();
        match s.b.get(s.i)? {
            b',' => s.i += 1,
            b'}' => {
                s.i += 1;
                break;
            }
            _ => return None,
        }
    }
    s.skip_spaces();
    if s.i != line.len() {
        return None;
    }
    builder.finish(fallback_ms)
}

/// Stores one schema field's value, or refuses it as `LogRecord`'s lenient readers would.
fn apply<'a>(
    f: Field,
    v: Val<'a>,
    ev: &mut EventRef<'a>,
    epoch: &mut Option<i64>,
    request_time: &mut Option<&'a str>,
) -> Result<(), ()> {
    match f {
        Field::Schema => {
            int_in::<u32>(v)?;
        }
        Field::RequestId => ev.request_id = string(v)?,
        Field::RequestTimeEpoch => *epoch = int(v)?,
        Field::RequestTime => *request_time = string(v)?,
        Field::EventType => match v {
            // `-` is not "absent" here: it marks an upgrade refused before route selection.
            Val::Str(s) if s.trim_ascii() == "-" => ev.kind = EventType::Refused,
            _ => {
                if let Some(t) = string(v)? {
                    ev.kind = EventType::parse(t).ok_or(())?;
                }
            }
        },
        Field::Stage => ev.stage = string(v)?,
        Field::RouteKey => ev.route_key = string(v)?,
        Field::ResourcePath => ev.resource_path = string(v)?,
        Field::HttpMethod => ev.http_method = string(v)?,
        // Text fields the bill does not read: any string, number or null is fine.
        Field::ApiId
        | Field::Path
        | Field::Protocol
        | Field::Ip
        | Field::UserAgent
        | Field::MessageId => {}
        // Any string, number or null, as the other text fields; only a string names one.
        Field::ClientConnectionId => {
            if let Val::Str(s) = v {
                ev.client_connection_id = Some(s).filter(|s| !s.is_empty() && *s != "-");
            }
        }
        Field::ClientConnectedAt => ev.client_connected_at_ms = int(v)?,
        Field::Status => ev.status = int_in::<u16>(v)?,
        Field::RequestLength => ev.request_bytes = int_in::<u64>(v)?.unwrap_or(0),
        Field::ResponseLength => ev.response_bytes = int_in::<u64>(v)?.unwrap_or(0),
        Field::DataProcessed => ev.data_processed = int_in::<u64>(v)?,
        Field::IntegrationLatency | Field::ResponseLatency => {
            int_in::<u64>(v)?;
        }
        Field::IntegrationStatus | Field::DisconnectStatusCode => {
            int_in::<u16>(v)?;
        }
        Field::ErrorResponseType => ev.error_response_type = string(v)?,
        Field::ConnectionId => ev.connection_id = string(v)?,
        Field::Direction => {
            if let Val::Int(_) = v {
                return Err(());
            }
            if let Some(t) = string(v)? {
                Direction::parse(t).ok_or(())?;
            }
        }
        Field::MessageLength => ev.message_bytes = int_in::<u64>(v)?,
        Field::ConnectedAt => ev.connected_at_ms = int(v)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Event;
    use gwcost_log::LogRecord;

    /// The reference path's event for a line, or `None` when it calls the line malformed.
    fn reference(line: &[u8]) -> Option<Event> {
        LogRecord::from_json(line)
            .ok()
            .and_then(|r| Event::from_record(r).ok())
    }

    /// What the fast path accepts equals the reference path's event, field by field.
    fn check(line: &str) -> bool {
        let Some(fast) = scan(line.as_bytes(), None, None) else {
            return false;
        };
        let reference = reference(line.as_bytes())
            .unwrap_or_else(|| panic!("fast path accepted a line the reference refuses: {line}"));
        let r = reference.as_ref();
        assert_eq!(fast.time_ms, r.time_ms, "{line}");
        assert_eq!(fast.kind, r.kind, "{line}");
        assert_eq!(fast.request_id, r.request_id, "{line}");
        assert_eq!(fast.stage(), r.stage(), "{line}");
        assert_eq!(fast.route(), r.route(), "{line}");
        assert_eq!(fast.status, r.status, "{line}");
        assert_eq!(fast.request_bytes, r.request_bytes, "{line}");
        assert_eq!(fast.response_bytes, r.response_bytes, "{line}");
        assert_eq!(fast.data_processed, r.data_processed, "{line}");
        assert_eq!(fast.error_response_type, r.error_response_type, "{line}");
        assert_eq!(fast.connection_id, r.connection_id, "{line}");
        assert_eq!(fast.connected_at_ms, r.connected_at_ms, "{line}");
        assert_eq!(fast.message_bytes, r.message_bytes, "{line}");
        true
    }

    #[test]
    fn finds_the_first_quote_at_every_offset() {
        for len in 0..40 {
            for q in 0..=len {
                let mut b = vec![b'a'; len];
                if q < len {
                    b[q] = b'"';
                    // A second quote later never hides the first.
                    if q + 3 < len {
                        b[q + 3] = b'"';
                    }
                }
                let expected = b.iter().position(|&c| c == b'"');
                assert_eq!(find_quote(&b), expected, "len {len} quote {q}");
            }
        }
        assert_eq!(find_quote(b"\x22\x21\x23\x22"), Some(0));
        assert_eq!(find_quote(b"!#!#!#!#!#\""), Some(10));
    }

    #[test]
    fn reads_sidecar_and_api_gateway_lines() {
        assert!(check(
            r#"{"requestId":"vUiB6Wo2w0D42q/=","requestTimeEpoch":1788221176769,"eventType":"CONNECT","apiId":"a1b2c3d4e5","stage":"prod","routeKey":"$connect","httpMethod":"GET","path":"/ws","protocol":"HTTP/1.1","status":101,"ip":"192.0.2.98","userAgent":"curl/8.5.0","connectionId":"jwuM9J1j+8GGUhT=","connectedAt":1788221176769}"#
        ));
        assert!(check(
            r#"{ "requestId":"6sDI0F64eg8CCWQ=", "ip": "192.0.2.234", "requestTime":"01/Oct/2026:00:43:30 +0000", "httpMethod":"GET","routeKey":"GET /messages", "status":"200","protocol":"HTTP/1.1", "responseLength":"2558" }"#
        ));
        assert!(check(
            r#"{"requestTime":"01/Dec/2025:00:00:00 +0000","httpMethod":"GET","resourcePath":"/pets","status":"-","responseLength":" 12 ","requestLength":"+3","x":null,"y":-5}"#
        ));
    }

    #[test]
    fn hands_unusual_lines_to_the_reference_path() {
        for line in [
            r#"{"requestTimeEpoch":1,"stage":"a\"b"}"#,       // escape
            r#"{"requestTimeEpoch":1,"stage":"é"}"#,          // non-ASCII
            r#"{"requestTimeEpoch":1.5}"#,                    // float
            r#"{"requestTimeEpoch":1,"requestTimeEpoch":2}"#, // duplicate field
            r#"{"requestTimeEpoch":1,"x":true}"#,             // boolean
            r#"{"requestTimeEpoch":1,"x":{}}"#,               // nested
            r#"{"requestTimeEpoch":1,"status":70000}"#,       // out of range
            r#"{"requestTimeEpoch":1,"eventType":"PING"}"#,   // unknown event type
            r#"{"requestTimeEpoch":1,"direction":"up"}"#,
            r#"{"requestTimeEpoch":1,"stage":7}"#, // number as text field the bill reads
            r#"{"requestTimeEpoch":01}"#,          // leading zero
            r#"{"requestTimeEpoch":1,}"#,          // trailing comma
            r#"{"requestTimeEpoch":1} x"#,         // trailing bytes
            r#"{"requestTimeEpoch":1234567890123456789}"#, // 19 digits
            r#"{"requestId":"a"}"#,                // no timestamp
            r#"{"requestTime":"yesterday"}"#,
            "{\"requestTimeEpoch\":1,\t\"status\":200}", // tab
            r#"{}"#,
        ] {
            assert!(scan(line.as_bytes(), None, None).is_none(), "{line}");
        }
    }

    use proptest::prelude::*;

    /// Values that exercise the lenient readers: numbers in and out of range, numbers as strings,
    /// dashes, blanks, spaces, floats, booleans, escapes and junk.
    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            (0u64..100_000_000_000_000).prop_map(|n| n.to_string()),
            (-5i64..70_000).prop_map(|n| n.to_string()),
            (0u64..100_000).prop_map(|n| format!("\"{n}\"")),
            (0u64..100_000).prop_map(|n| format!("\" +{n} \"")),
            Just("\"-\"".to_owned()),
            Just("\"\"".to_owned()),
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("1.0".to_owned()),
            Just("-0".to_owned()),
            Just("007".to_owned()),
            Just("\"a\\\"b\"".to_owned()),
            Just("\"01/Oct/2026:00:43:30 +0000\"".to_owned()),
            Just("\"99/Oct/2026:00:43:30 +0000\"".to_owned()),
            prop_oneof![
                Just("REQUEST"),
                Just("message"),
                Just(" CONNECT "),
                Just("DISCONNECT"),
                Just("in"),
                Just("out"),
                Just("PING"),
                Just("UNAUTHORIZED"),
                Just("$default"),
                Just("GET /pets"),
            ]
            .prop_map(|s| format!("\"{s}\"")),
            "[a-z0-9 /$+=-]{0,12}".prop_map(|s| format!("\"{s}\"")),
        ]
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => prop_oneof![
                Just("schema"), Just("requestId"), Just("requestTimeEpoch"), Just("requestTime"),
                Just("eventType"), Just("apiId"), Just("stage"), Just("routeKey"),
                Just("resourcePath"), Just("httpMethod"), Just("path"), Just("status"),
                Just("requestLength"), Just("responseLength"), Just("dataProcessed"),
                Just("integrationLatency"), Just("integrationStatus"), Just("errorResponseType"),
                Just("connectionId"), Just("direction"), Just("messageLength"),
                Just("connectedAt"), Just("messageId"), Just("disconnectStatusCode"),
                Just("userAgent"),
            ].prop_map(str::to_owned),
            1 => "[a-zA-Z]{1,8}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn agrees_with_the_reference_path(
            fields in proptest::collection::vec((key(), value()), 0..10),
            epoch in proptest::option::of(1_700_000_000_000i64..1_800_000_000_000),
            space in any::<bool>(),
        ) {
            let sep = if space { ", " } else { "," };
            let mut parts: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("\"{k}\":{v}"))
                .collect();
            if let Some(e) = epoch {
                parts.insert(0, format!("\"requestTimeEpoch\":{e}"));
            }
            let line = format!("{{{}}}", parts.join(sep));
            // `check` panics if the fast path accepts what the reference refuses or reads it
            // differently; a line the fast path declines is always fine.
            check(&line);
        }
    }

    #[test]
    fn accepts_most_generated_lines() {
        // The fast path must actually be taken on ordinary lines, or it would be fast for nothing.
        let line = r#"{"requestId":"a","requestTimeEpoch":1788221176808,"eventType":"MESSAGE","stage":"prod","routeKey":"$default","connectionId":"c","direction":"out","messageLength":57536,"connectedAt":1788221176769}"#;
        assert!(check(line));
    }
}
