//! The JSON containers of CloudWatch Logs, read as a stream (one event at a time, so memory does
//! not grow with the file):
//! - Firehose deliveries of a subscription: envelopes `{"messageType":"DATA_MESSAGE",…,
//!   "logEvents":[{"id","timestamp","message"}]}` back to back with nothing between them
//!   (each was its own gzip member); `CONTROL_MESSAGE` envelopes carry no traffic;
//! - `aws logs filter-log-events` / `get-log-events` output: `{"events":[{…,"timestamp",
//!   "message"}],…}`, pretty-printed, one page or many concatenated;
//! - Logs Insights results: `aws logs get-query-results` (`{"results":[[{"field","value"}]]}`)
//!   or an exported array of `{"@timestamp":…,"@message":…}`.

use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::Messages;

/// The first key of the first object, skipping whitespace; `None` when `d` does not start with
/// `{"…"`.
fn first_key(d: &[u8]) -> Option<&[u8]> {
    let d = d.strip_prefix(b"{")?.trim_ascii_start();
    let d = d.strip_prefix(b"\"")?;
    let end = memchr::memchr(b'"', d)?;
    Some(&d[..end])
}

pub(crate) fn sniff_firehose(d: &[u8]) -> bool {
    // CloudWatch Logs writes `messageType` first; look a little further for other writers.
    first_key(d) == Some(b"messageType")
        || (d.starts_with(b"{")
            && memchr::memmem::find(&d[..d.len().min(4096)], b"\"messageType\"").is_some()
            && memchr::memmem::find(&d[..d.len().min(4096)], b"\"logGroup\"").is_some())
}

pub(crate) fn sniff_log_events(d: &[u8]) -> bool {
    matches!(
        first_key(d),
        Some(b"events" | b"searchedLogStreams" | b"nextForwardToken" | b"nextToken")
    )
}

pub(crate) fn sniff_insights(d: &[u8]) -> bool {
    if first_key(d) == Some(b"results") {
        return true;
    }
    // An exported array of result rows.
    d.strip_prefix(b"[")
        .map(<[u8]>::trim_ascii_start)
        .and_then(first_key)
        .is_some_and(|k| k.starts_with(b"@"))
}

/// What the reader saw, to name the shape when nothing in it was a log event.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    pub(crate) documents: u64,
    pub(crate) events: u64,
    pub(crate) control_messages: u64,
    /// Top-level keys of the first document, when it held no event list.
    pub(crate) first_keys: Vec<String>,
}

impl Seen {
    /// The shape, for the "nothing understood" error.
    pub(crate) fn shape(&self) -> String {
        if self.events > 0 {
            return format!(
                "{} log events whose messages are not access logs",
                self.events
            );
        }
        if self.control_messages > 0 {
            return format!(
                "only CONTROL_MESSAGE records ({}), no DATA_MESSAGE log events",
                self.control_messages
            );
        }
        if self.first_keys.is_empty() {
            "JSON with no log events".to_owned()
        } else {
            format!(
                "JSON envelope without logEvents, events or results (keys: {})",
                self.first_keys.join(", ")
            )
        }
    }
}

struct Ctx<'s> {
    sink: &'s mut dyn Messages,
    seen: Seen,
}

impl Ctx<'_> {
    fn event(&mut self, message: Option<String>, timestamp: Option<Value>) {
        self.seen.events += 1;
        let line = self.seen.events;
        let fallback = timestamp.as_ref().and_then(|t| match t {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => {
                super::iso_ms(s.as_bytes()).or_else(|| s.trim().parse::<i64>().ok())
            }
            _ => None,
        });
        match message {
            Some(m) if !m.trim().is_empty() => {
                self.sink.message(line, m.trim().as_bytes(), fallback)
            }
            Some(_) => self
                .sink
                .malformed(line, "log event with an empty message".to_owned()),
            None => self
                .sink
                .malformed(line, "log event without a message".to_owned()),
        }
    }
}

/// One document: an envelope, a page, a query result or an array of result rows.
struct Doc<'c, 's>(&'c mut Ctx<'s>, bool);

impl<'de> DeserializeSeed<'de> for Doc<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Doc<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a CloudWatch Logs JSON object or array")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.0;
        let top = self.1;
        let mut keys = Vec::new();
        let mut had_events = false;
        let mut control = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                // A CONTROL_MESSAGE's one log event is CloudWatch Logs checking the destination
                // (`messageType` comes first in what CloudWatch Logs writes).
                "logEvents" if control => {
                    had_events = true;
                    map.next_value::<IgnoredAny>()?;
                }
                "logEvents" | "events" | "results" => {
                    had_events = true;
                    map.next_value_seed(Events(&mut *ctx))?;
                }
                "messageType" => {
                    let t: Value = map.next_value()?;
                    if t.as_str() == Some("CONTROL_MESSAGE") {
                        control = true;
                        ctx.seen.control_messages += 1;
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            if top && keys.len() < 8 {
                keys.push(key);
            }
        }
        if top && !had_events && ctx.seen.first_keys.is_empty() {
            ctx.seen.first_keys = keys;
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // An exported array of Insights rows (or of pages).
        while seq.next_element_seed(Row(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// A list of events.
struct Events<'c, 's>(&'c mut Ctx<'s>);

impl<'de> DeserializeSeed<'de> for Events<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Events<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of log events")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Row(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// One event: `{"timestamp","message",…}` (either spelling, `@` or not), or a
/// `get-query-results` row `[{"field":"@message","value":…},…]`; a nested page or envelope
/// inside an exported array is read as a document.
struct Row<'c, 's>(&'c mut Ctx<'s>);

impl<'de> DeserializeSeed<'de> for Row<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Row<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a log event")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut message = None;
        let mut timestamp = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "message" | "@message" => message = map.next_value::<Option<String>>()?,
                "timestamp" | "@timestamp" => timestamp = map.next_value::<Option<Value>>()?,
                "events" | "logEvents" | "results" => {
                    map.next_value_seed(Events(&mut *self.0))?;
                    return drain(map);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        self.0.event(message, timestamp);
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        #[derive(serde::Deserialize)]
        struct Cell {
            field: String,
            value: Option<Value>,
        }
        let mut message = None;
        let mut timestamp = None;
        while let Some(c) = seq.next_element::<Cell>()? {
            match c.field.as_str() {
                "@message" => {
                    message = c.value.and_then(|v| match v {
                        Value::String(s) => Some(s),
                        _ => None,
                    });
                }
                "@timestamp" => timestamp = c.value,
                _ => {}
            }
        }
        self.0.event(message, timestamp);
        Ok(())
    }
}

fn drain<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_key::<IgnoredAny>()?.is_some() {
        map.next_value::<IgnoredAny>()?;
    }
    Ok(())
}

/// Reads every JSON document of `reader` (back to back, whitespace or nothing between them)
/// and hands each log event to `sink`. A syntax error ends the file: it is counted as one
/// malformed record at the event where it happened, and what was read before it stays.
pub(crate) fn read(reader: &mut dyn Read, sink: &mut dyn Messages) -> std::io::Result<Seen> {
    let mut ctx = Ctx {
        sink,
        seen: Seen::default(),
    };
    let mut de =
        serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 16, reader));
    loop {
        match Doc(&mut ctx, true).deserialize(&mut de) {
            Ok(()) => ctx.seen.documents += 1,
            Err(e) if e.is_io() => return Err(std::io::Error::other(e)),
            Err(e) if e.is_eof() && ctx.seen.documents > 0 => break,
            Err(e) => {
                let at = ctx.seen.events + 1;
                ctx.sink.malformed(
                    at,
                    format!(
                        "not JSON at line {} column {} of the file: {e}",
                        e.line(),
                        e.column()
                    ),
                );
                break;
            }
        }
        match de.end() {
            Ok(()) => break,
            Err(e) if e.is_io() => return Err(std::io::Error::other(e)),
            // More after this document: the next envelope or page.
            Err(_) => {}
        }
    }
    Ok(ctx.seen)
}
