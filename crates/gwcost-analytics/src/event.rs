//! One log record reduced to what billing needs, with the defaults the schema prescribes.

use gwcost_log::{EventType, LogRecord, parse_request_time};

/// A normalised, billable view of one log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// When it happened: `requestTimeEpoch`, else `requestTime` parsed (ms since epoch, UTC).
    pub time_ms: i64,
    pub kind: EventType,
    pub request_id: Option<String>,
    /// `stage`, `$default` when absent.
    pub stage: String,
    /// `routeKey`, else `httpMethod resourcePath`, else `-`.
    pub route: String,
    pub status: Option<u16>,
    /// Request body bytes (0 when not logged).
    pub request_bytes: u64,
    /// Response body bytes (0 when not logged).
    pub response_bytes: u64,
    pub data_processed: Option<u64>,
    pub error_response_type: Option<String>,
    pub connection_id: Option<String>,
    pub connected_at_ms: Option<i64>,
    /// WebSocket message payload size; `None` in real API Gateway logs.
    pub message_bytes: Option<u64>,
    /// The client connection the request came on (`clientConnectionId`, the sidecar's).
    pub client_connection_id: Option<String>,
    /// When that connection opened (`clientConnectedAt`, ms since epoch).
    pub client_connected_at_ms: Option<i64>,
}

/// A borrowed view of one event: what the fast readers build straight from the bytes of a line
/// or the cells of a column, so metering an event allocates nothing. Its defaults are
/// [`Event`]'s: `stage` falls back to `$default` and the route to `-` only when asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRef<'a> {
    pub time_ms: i64,
    pub kind: EventType,
    pub request_id: Option<&'a str>,
    pub stage: Option<&'a str>,
    pub route_key: Option<&'a str>,
    pub http_method: Option<&'a str>,
    pub resource_path: Option<&'a str>,
    pub status: Option<u16>,
    pub request_bytes: u64,
    pub response_bytes: u64,
    pub data_processed: Option<u64>,
    pub error_response_type: Option<&'a str>,
    pub connection_id: Option<&'a str>,
    pub connected_at_ms: Option<i64>,
    pub message_bytes: Option<u64>,
    pub client_connection_id: Option<&'a str>,
    pub client_connected_at_ms: Option<i64>,
}

impl EventRef<'_> {
    /// What the line is, decided by the line: API Gateway logs `eventType` as `-` both on an
    /// upgrade refused before route selection and on every line of an HTTP or REST stage whose
    /// template (shared across API types) names `$context.eventType`. Only a line with no
    /// request identity — no route key but `-`, no method, no resource path — is a refused
    /// upgrade (AWS's WebSocket sample lines are exactly that); anything else is a request.
    pub fn resolved_kind(&self) -> EventType {
        let identified = self.route_key.is_some_and(|r| r.trim() != "-")
            || self.http_method.is_some()
            || self.resource_path.is_some();
        match self.kind {
            EventType::Refused if identified => EventType::Request,
            k => k,
        }
    }

    /// `stage`, `$default` when absent.
    pub fn stage(&self) -> &str {
        self.stage.unwrap_or("$default")
    }

    /// The route as [`Event::route`] spells it: `routeKey`, else `httpMethod resourcePath`,
    /// else `resourcePath`, else `-`.
    pub fn route(&self) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        match (self.route_key, self.http_method, self.resource_path) {
            (Some(r), _, _) => Cow::Borrowed(r),
            (None, Some(m), Some(p)) => Cow::Owned(format!("{m} {p}")),
            (None, None, Some(p)) => Cow::Borrowed(p),
            _ => Cow::Borrowed("-"),
        }
    }
}

impl Event {
    /// The borrowed view of this event (its route is already resolved).
    pub fn as_ref(&self) -> EventRef<'_> {
        EventRef {
            time_ms: self.time_ms,
            kind: self.kind,
            request_id: self.request_id.as_deref(),
            stage: Some(&self.stage),
            route_key: Some(&self.route),
            http_method: None,
            resource_path: None,
            status: self.status,
            request_bytes: self.request_bytes,
            response_bytes: self.response_bytes,
            data_processed: self.data_processed,
            error_response_type: self.error_response_type.as_deref(),
            connection_id: self.connection_id.as_deref(),
            connected_at_ms: self.connected_at_ms,
            message_bytes: self.message_bytes,
            client_connection_id: self.client_connection_id.as_deref(),
            client_connected_at_ms: self.client_connected_at_ms,
        }
    }

    /// Normalises a record; the error is the reason the line is malformed.
    pub fn from_record(r: LogRecord) -> Result<Self, String> {
        let time_ms = match (r.request_time_epoch, &r.request_time) {
            (Some(ms), _) => ms,
            (None, Some(t)) => parse_request_time(t).map_err(|e| e.to_string())?,
            (None, None) => return Err("no timestamp (requestTimeEpoch or requestTime)".into()),
        };
        let kind = r.event();
        let route = r.route().unwrap_or_else(|| "-".to_owned());
        Ok(Self {
            time_ms,
            kind,
            route,
            request_id: r.request_id,
            stage: r.stage.unwrap_or_else(|| "$default".to_owned()),
            status: r.status,
            request_bytes: r.request_length.unwrap_or(0),
            response_bytes: r.response_length.unwrap_or(0),
            data_processed: r.data_processed,
            error_response_type: r.error_response_type,
            connection_id: r.connection_id,
            connected_at_ms: r.connected_at,
            message_bytes: r.message_length,
            client_connection_id: r.client_connection_id,
            client_connected_at_ms: r.client_connected_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_schema() {
        let r = LogRecord::from_json(
            br#"{"requestId":"a","requestTime":"01/Dec/2025:00:00:00 +0000","httpMethod":"GET","resourcePath":"/pets","status":"200","responseLength":"-"}"#,
        )
        .unwrap();
        let e = Event::from_record(r).unwrap();
        assert_eq!(e.time_ms, 1_764_547_200_000);
        assert_eq!(e.kind, EventType::Request);
        assert_eq!(e.stage, "$default");
        assert_eq!(e.route, "GET /pets");
        assert_eq!(e.status, Some(200));
        assert_eq!(e.response_bytes, 0);
    }

    #[test]
    fn epoch_wins_over_clf_time() {
        let r = LogRecord::from_json(
            br#"{"requestTimeEpoch":1000,"requestTime":"01/Dec/2025:00:00:00 +0000"}"#,
        )
        .unwrap();
        assert_eq!(Event::from_record(r).unwrap().time_ms, 1000);
    }

    #[test]
    fn no_time_is_malformed() {
        let r = LogRecord::from_json(br#"{"requestId":"a"}"#).unwrap();
        assert!(Event::from_record(r).unwrap_err().contains("no timestamp"));
        let r = LogRecord::from_json(br#"{"requestTime":"yesterday"}"#).unwrap();
        assert!(Event::from_record(r).unwrap_err().contains("requestTime"));
    }
}
