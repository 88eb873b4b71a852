//! The schema's fields as a type: their names (spelled once, here and in [`crate::KNOWN_FIELDS`])
//! and the API Gateway `$context` variable each one is read from, so a reader of any format — a
//! JSON line, a Parquet column, a stage's own access-log template — maps names through one table.

use crate::KNOWN_FIELDS;

/// A schema-v1 field, in the order of [`crate::LogRecord`]; `Field as usize` indexes
/// [`KNOWN_FIELDS`] (and a bit mask in the fast readers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Schema,
    RequestId,
    RequestTimeEpoch,
    RequestTime,
    EventType,
    ApiId,
    Stage,
    RouteKey,
    ResourcePath,
    HttpMethod,
    Path,
    Protocol,
    Status,
    RequestLength,
    ResponseLength,
    DataProcessed,
    IntegrationLatency,
    ResponseLatency,
    IntegrationStatus,
    ErrorResponseType,
    Ip,
    UserAgent,
    ConnectionId,
    Direction,
    MessageLength,
    ConnectedAt,
    MessageId,
    DisconnectStatusCode,
}

impl Field {
    /// Every field, in schema order.
    pub const ALL: [Field; 28] = [
        Field::Schema,
        Field::RequestId,
        Field::RequestTimeEpoch,
        Field::RequestTime,
        Field::EventType,
        Field::ApiId,
        Field::Stage,
        Field::RouteKey,
        Field::ResourcePath,
        Field::HttpMethod,
        Field::Path,
        Field::Protocol,
        Field::Status,
        Field::RequestLength,
        Field::ResponseLength,
        Field::DataProcessed,
        Field::IntegrationLatency,
        Field::ResponseLatency,
        Field::IntegrationStatus,
        Field::ErrorResponseType,
        Field::Ip,
        Field::UserAgent,
        Field::ConnectionId,
        Field::Direction,
        Field::MessageLength,
        Field::ConnectedAt,
        Field::MessageId,
        Field::DisconnectStatusCode,
    ];

    /// The field's name in a log line (API Gateway's `$context` name).
    pub fn name(self) -> &'static str {
        KNOWN_FIELDS[self as usize]
    }

    /// The field a log line's key names, if any (exact, case-sensitive, as serde reads it).
    pub fn from_name(key: &[u8]) -> Option<Field> {
        // Dispatch on length first: one or two comparisons instead of a scan of 28 names.
        let candidates: &[Field] = match key.len() {
            2 => &[Field::Ip],
            4 => &[Field::Path],
            5 => &[Field::Stage, Field::ApiId],
            6 => &[Field::Schema, Field::Status],
            8 => &[Field::RouteKey, Field::Protocol],
            9 => &[
                Field::EventType,
                Field::RequestId,
                Field::UserAgent,
                Field::Direction,
                Field::MessageId,
            ],
            10 => &[Field::HttpMethod],
            11 => &[Field::RequestTime, Field::ConnectedAt],
            12 => &[Field::ResourcePath, Field::ConnectionId],
            13 => &[
                Field::RequestLength,
                Field::DataProcessed,
                Field::MessageLength,
            ],
            14 => &[Field::ResponseLength],
            15 => &[Field::ResponseLatency],
            16 => &[Field::RequestTimeEpoch],
            17 => &[Field::IntegrationStatus, Field::ErrorResponseType],
            18 => &[Field::IntegrationLatency],
            20 => &[Field::DisconnectStatusCode],
            _ => &[],
        };
        candidates
            .iter()
            .copied()
            .find(|f| f.name().as_bytes() == key)
    }

    /// The field an API Gateway `$context` variable fills (`$context.requestId`,
    /// `$context.identity.sourceIp`, `$context.error.responseType`, …; with or without braces,
    /// `${context.requestId}`). `None` for variables the bill does not read (they are skipped,
    /// not refused).
    pub fn from_context_variable(var: &str) -> Option<Field> {
        let v = var.trim();
        let v = v
            .strip_prefix("${")
            .and_then(|s| s.strip_suffix('}'))
            .map_or(v, |s| s);
        let v = v.strip_prefix('$').unwrap_or(v);
        let name = v.strip_prefix("context.")?;
        Some(match name {
            "requestId" => Field::RequestId,
            "requestTimeEpoch" => Field::RequestTimeEpoch,
            "requestTime" => Field::RequestTime,
            "eventType" => Field::EventType,
            "apiId" => Field::ApiId,
            "stage" => Field::Stage,
            "routeKey" => Field::RouteKey,
            "resourcePath" => Field::ResourcePath,
            "httpMethod" => Field::HttpMethod,
            "path" => Field::Path,
            "protocol" => Field::Protocol,
            "status" => Field::Status,
            "requestLength" => Field::RequestLength,
            "responseLength" => Field::ResponseLength,
            "dataProcessed" => Field::DataProcessed,
            "integrationLatency" | "integration.latency" => Field::IntegrationLatency,
            "responseLatency" => Field::ResponseLatency,
            "integrationStatus" | "integration.status" | "integration.integrationStatus" => {
                Field::IntegrationStatus
            }
            "error.responseType" => Field::ErrorResponseType,
            "identity.sourceIp" => Field::Ip,
            "identity.userAgent" => Field::UserAgent,
            "connectionId" => Field::ConnectionId,
            "connectedAt" => Field::ConnectedAt,
            "messageId" => Field::MessageId,
            "disconnectStatusCode" => Field::DisconnectStatusCode,
            _ => return None,
        })
    }

    /// True for the two fields that date an event.
    pub fn is_time(self) -> bool {
        matches!(self, Field::RequestTimeEpoch | Field::RequestTime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_follow_known_fields() {
        for (i, f) in Field::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i);
            assert_eq!(f.name(), KNOWN_FIELDS[i]);
            assert_eq!(Field::from_name(f.name().as_bytes()), Some(*f), "{f:?}");
        }
        for other in [
            "",
            "x",
            "caller",
            "user",
            "extendedRequestId",
            "requestid",
            "Status",
        ] {
            assert_eq!(Field::from_name(other.as_bytes()), None, "{other}");
        }
    }

    #[test]
    fn context_variables() {
        assert_eq!(
            Field::from_context_variable("$context.error.responseType"),
            Some(Field::ErrorResponseType)
        );
        assert_eq!(
            Field::from_context_variable("${context.identity.sourceIp}"),
            Some(Field::Ip)
        );
        assert_eq!(
            Field::from_context_variable("$context.integration.latency"),
            Some(Field::IntegrationLatency)
        );
        assert_eq!(
            Field::from_context_variable("$context.extendedRequestId"),
            None
        );
        assert_eq!(Field::from_context_variable("requestId"), None);
    }
}
