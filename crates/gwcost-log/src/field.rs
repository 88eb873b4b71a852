//! The schema's fields as a type: their names (spelled once, in the list below, which also makes
//! [`KNOWN_FIELDS`]) and the API Gateway `$context` variable each one is read from, so a reader
//! of any format — a JSON line, a Parquet column, a stage's own access-log template — maps names
//! through one table.

/// Declares the schema's fields once: the enum, its names, the name lookup and
/// [`KNOWN_FIELDS`] all come from this one list.
macro_rules! schema_fields {
    ($($variant:ident = $name:literal,)*) => {
        /// A schema-v1 field, in the order of [`crate::LogRecord`]; `Field as usize` indexes
        /// [`KNOWN_FIELDS`] (and a bit mask in the fast readers).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Field {
            $($variant,)*
        }

        /// Every field name a reader recognises: the schema's own (`LogRecord`'s fields, as
        /// serialized) and the extra fields of AWS's documented REST example format
        /// (`extendedRequestId`, `caller`, `user`), which gwcost reads past but which tell a
        /// CSV header from a data row.
        pub const KNOWN_FIELDS: &[&str] = &[$($name,)* "extendedRequestId", "caller", "user"];

        impl Field {
            /// Every field, in schema order.
            pub const ALL: &'static [Field] = &[$(Field::$variant,)*];

            /// The field's name in a log line (API Gateway's `$context` name).
            pub fn name(self) -> &'static str {
                match self {
                    $(Field::$variant => $name,)*
                }
            }

            /// The field a log line's key names, if any (exact, case-sensitive, as serde reads
            /// it). A `match` on the literal names: the compiler turns it into a length switch
            /// and fixed-size compares, which the fast scanner needs for every key.
            #[inline]
            pub fn from_name(key: &str) -> Option<Field> {
                match key {
                    $($name => Some(Field::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

schema_fields! {
    Schema = "schema",
    RequestId = "requestId",
    RequestTimeEpoch = "requestTimeEpoch",
    RequestTime = "requestTime",
    EventType = "eventType",
    ApiId = "apiId",
    Stage = "stage",
    RouteKey = "routeKey",
    ResourcePath = "resourcePath",
    HttpMethod = "httpMethod",
    Path = "path",
    Protocol = "protocol",
    Status = "status",
    RequestLength = "requestLength",
    ResponseLength = "responseLength",
    DataProcessed = "dataProcessed",
    IntegrationLatency = "integrationLatency",
    ResponseLatency = "responseLatency",
    IntegrationStatus = "integrationStatus",
    ErrorResponseType = "errorResponseType",
    Ip = "ip",
    UserAgent = "userAgent",
    ConnectionId = "connectionId",
    Direction = "direction",
    MessageLength = "messageLength",
    ConnectedAt = "connectedAt",
    MessageId = "messageId",
    DisconnectStatusCode = "disconnectStatusCode",
    ClientConnectionId = "clientConnectionId",
    ClientConnectedAt = "clientConnectedAt",
}

impl Field {
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
            assert_eq!(Field::from_name(f.name()), Some(*f), "{f:?}");
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
            assert_eq!(Field::from_name(other), None, "{other}");
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
