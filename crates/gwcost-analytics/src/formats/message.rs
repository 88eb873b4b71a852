//! One message — a log line, or the `message` of a CloudWatch Logs event inside a container —
//! to one billable event: the stage template (`--log-format`) or the schema's own names, the fast
//! scanner first and the reference parser for what it declines (and for every error message).

use gwcost_log::LogRecord;

use crate::formats::template::LogFormat;
use crate::formats::{clf, fastjson};
use crate::{Event, Tally};

/// How messages are read: under a stage template or the schema's names; `clf` also accepts API
/// Gateway's CLF lines (without a template).
#[derive(Debug, Clone, Copy)]
pub(crate) struct MessageParser<'f> {
    pub(crate) template: Option<&'f LogFormat>,
    pub(crate) clf: bool,
    /// Skip the fast scanner (the reference engine).
    pub(crate) reference: bool,
}

impl MessageParser<'_> {
    /// The record of one trimmed message; `fallback_ms` (the container's timestamp) dates it
    /// when it carries neither `requestTimeEpoch` nor `requestTime`.
    pub(crate) fn record(&self, msg: &[u8], fallback_ms: Option<i64>) -> Result<LogRecord, String> {
        let mut r = match self.template {
            Some(t) => t.record(msg)?,
            None => parse_record(msg, self.clf)?,
        };
        if r.request_time_epoch.is_none() && r.request_time.is_none() {
            r.request_time_epoch = fallback_ms;
        }
        Ok(r)
    }

    /// Meters one trimmed, non-blank message into `tally`, or counts it malformed at
    /// `name:line_no`. Returns whether it was understood.
    pub(crate) fn fold(
        &self,
        name: &str,
        line_no: u64,
        msg: &[u8],
        fallback_ms: Option<i64>,
        tally: &mut Tally<'_>,
    ) -> bool {
        if !self.reference {
            let fast = match self.template {
                None => fastjson::scan(msg, None, fallback_ms),
                Some(t) if t.is_json() => fastjson::scan(msg, t.keys(), fallback_ms),
                Some(t) => std::str::from_utf8(msg)
                    .ok()
                    .and_then(|s| t.scan_positional(s, fallback_ms)),
            };
            if let Some(ev) = fast {
                tally.push_ref(&ev);
                return true;
            }
        }
        match self.record(msg, fallback_ms).and_then(Event::from_record) {
            Ok(ev) => {
                tally.push(ev);
                true
            }
            Err(reason) => {
                tally.malformed(name, line_no, reason);
                false
            }
        }
    }
}

/// Turns serde_json's "… at line 1 column 17" (always line 1 here) into "… at column 17".
fn json_reason(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        Some(i) => format!("{} at column {}", &msg[..i], e.column()),
        None => msg,
    };
    match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            format!("not JSON: {msg}")
        }
        serde_json::error::Category::Data => format!("bad field: {msg}"),
        serde_json::error::Category::Io => msg,
    }
}

/// Parses one non-blank, trimmed line into a record; the error is why it is malformed.
pub(crate) fn parse_record(line: &[u8], clf_allowed: bool) -> Result<LogRecord, String> {
    if line.first() == Some(&b'{') || !clf_allowed {
        LogRecord::from_json(line).map_err(|e| json_reason(&e))
    } else {
        match std::str::from_utf8(line) {
            Ok(s) => clf::parse(s),
            Err(_) => Err("not UTF-8 text".to_owned()),
        }
    }
}
