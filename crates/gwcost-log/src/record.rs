//! The one record type of schema v1, for writing and (leniently) reading.

use serde::{Deserialize, Serialize};

use crate::lenient;

/// The schema version this crate writes. A reader treats an absent `schema` field as 1.
pub const SCHEMA_VERSION: u32 = 1;

/// What happened: an HTTP request, or one step of a WebSocket connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum EventType {
    /// An HTTP request (the default when `eventType` is absent).
    #[default]
    Request,
    /// A WebSocket upgrade accepted or refused.
    Connect,
    /// One whole WebSocket data message.
    Message,
    /// A WebSocket connection ended.
    Disconnect,
    /// A WebSocket upgrade refused before route selection (e.g. a 403 on the upgrade): API
    /// Gateway logs its `eventType` as `-`. Neither an HTTP request nor a connection, so
    /// nothing is billed. Only read, never written by the sidecar.
    #[serde(rename = "-")]
    Refused,
}

impl EventType {
    /// Parses API Gateway's spelling, case-insensitively (`MESSAGE`, `message`); `-` is a
    /// refused upgrade ([`EventType::Refused`]).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("REQUEST") {
            Some(Self::Request)
        } else if s.eq_ignore_ascii_case("CONNECT") {
            Some(Self::Connect)
        } else if s.eq_ignore_ascii_case("MESSAGE") {
            Some(Self::Message)
        } else if s.eq_ignore_ascii_case("DISCONNECT") {
            Some(Self::Disconnect)
        } else if s == "-" {
            Some(Self::Refused)
        } else {
            None
        }
    }

    /// The schema's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "REQUEST",
            Self::Connect => "CONNECT",
            Self::Message => "MESSAGE",
            Self::Disconnect => "DISCONNECT",
            Self::Refused => "-",
        }
    }
}

/// Which way a WebSocket message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Client to service.
    In,
    /// Service to client.
    Out,
}

impl Direction {
    /// Parses `in` / `out`, case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("in") {
            Some(Self::In)
        } else if s.eq_ignore_ascii_case("out") {
            Some(Self::Out)
        } else {
            None
        }
    }
}

/// One access-log line of schema v1.
///
/// Every field but `requestId` is optional on input because real API Gateway logs carry whatever
/// the user configured; the sidecar fills every field that applies to the event. Field names are
/// API Gateway's `$context` names and must never be renamed (add a field and bump `schema`).
/// Deserialization is lenient: numbers may be JSON strings, `"-"` and `""` mean absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogRecord {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::u32"
    )]
    pub schema: Option<u32>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub request_id: Option<String>,
    /// Milliseconds since the Unix epoch, UTC. Dates the event when present.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::i64"
    )]
    pub request_time_epoch: Option<i64>,
    /// API Gateway's CLF time (`dd/MMM/yyyy:HH:mm:ss +hhmm`); used only without `requestTimeEpoch`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::string"
    )]
    pub request_time: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::event_type"
    )]
    pub event_type: Option<EventType>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::string"
    )]
    pub api_id: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::string"
    )]
    pub stage: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::string"
    )]
    pub route_key: Option<String>,
    /// REST API's `$context.resourcePath`, read where HTTP APIs log `routeKey`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::string"
    )]
    pub resource_path: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::string"
    )]
    pub http_method: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::string"
    )]
    pub path: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::string"
    )]
    pub protocol: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::u16"
    )]
    pub status: Option<u16>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::u64"
    )]
    pub request_length: Option<u64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::u64"
    )]
    pub response_length: Option<u64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::u64"
    )]
    pub data_processed: Option<u64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::u64"
    )]
    pub integration_latency: Option<u64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::u64"
    )]
    pub response_latency: Option<u64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::u16"
    )]
    pub integration_status: Option<u16>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::string"
    )]
    pub error_response_type: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::string"
    )]
    pub ip: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::string"
    )]
    pub user_agent: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::string"
    )]
    pub connection_id: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::direction"
    )]
    pub direction: Option<Direction>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::u64"
    )]
    pub message_length: Option<u64>,
    /// When the WebSocket connection was accepted, ms since the Unix epoch.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::i64"
    )]
    pub connected_at: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::string"
    )]
    pub message_id: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::u16"
    )]
    pub disconnect_status_code: Option<u16>,
    /// Which client TCP (or TLS) connection the request or upgrade came on: an id unique per
    /// connection within one sidecar process. gwcost's own field (API Gateway has no such
    /// variable); with `clientConnectedAt` it tells how many connections a front door like an
    /// ALB would see (new per hour, active per minute).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::string"
    )]
    pub client_connection_id: Option<String>,
    /// When that client connection was accepted, ms since the Unix epoch (gwcost's own field).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::i64"
    )]
    pub client_connected_at: Option<i64>,
}

impl LogRecord {
    /// The event type, `REQUEST` when absent (as the schema says).
    pub fn event(&self) -> EventType {
        self.event_type.unwrap_or_default()
    }

    /// The route the event matched: `routeKey`, else REST's `httpMethod resourcePath`.
    pub fn route(&self) -> Option<String> {
        if let Some(r) = &self.route_key {
            return Some(r.clone());
        }
        match (&self.http_method, &self.resource_path) {
            (Some(m), Some(p)) => Some(format!("{m} {p}")),
            (None, Some(p)) => Some(p.clone()),
            _ => None,
        }
    }

    /// Appends this record as one JSON line (with the trailing `\n`) to `out`.
    ///
    /// The sidecar calls this on its log-writer path; it never fails for this type, but the
    /// `serde_json` error is passed on rather than hidden.
    pub fn write_json_line(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        serde_json::to_writer(&mut *out, self)?;
        out.push(b'\n');
        Ok(())
    }

    /// Parses one JSON line leniently.
    pub fn from_json(line: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KNOWN_FIELDS;

    /// `KNOWN_FIELDS` names exactly what `LogRecord` writes, plus AWS's three REST extras.
    #[test]
    fn known_fields_are_the_record_fields() {
        let full = LogRecord {
            schema: Some(1),
            request_id: Some("r".into()),
            request_time_epoch: Some(1),
            request_time: Some("t".into()),
            event_type: Some(EventType::Message),
            api_id: Some("a".into()),
            stage: Some("s".into()),
            route_key: Some("k".into()),
            resource_path: Some("/p".into()),
            http_method: Some("GET".into()),
            path: Some("/p".into()),
            protocol: Some("HTTP/1.1".into()),
            status: Some(200),
            request_length: Some(1),
            response_length: Some(1),
            data_processed: Some(1),
            integration_latency: Some(1),
            response_latency: Some(1),
            integration_status: Some(200),
            error_response_type: Some("E".into()),
            ip: Some("127.0.0.1".into()),
            user_agent: Some("u".into()),
            connection_id: Some("c".into()),
            direction: Some(Direction::In),
            message_length: Some(1),
            connected_at: Some(1),
            message_id: Some("m".into()),
            disconnect_status_code: Some(1000),
            client_connection_id: Some("k".into()),
            client_connected_at: Some(1),
        };
        let value = serde_json::to_value(&full).unwrap();
        let mut written: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        written.extend(["extendedRequestId", "caller", "user"]);
        written.sort_unstable();
        let mut known = KNOWN_FIELDS.to_vec();
        known.sort_unstable();
        assert_eq!(written, known);
    }
}
