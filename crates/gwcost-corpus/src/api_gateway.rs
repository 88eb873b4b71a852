//! The same events written the way a real AWS API Gateway access log has them, in AWS's
//! documented example formats: every value a JSON string, `-` for an empty one, `requestTime`
//! in CLF form (`dd/MMM/yyyy:HH:mm:ss +hhmm`), the client address as `ip`. Readers must accept
//! these as they are, so fixtures and `sample-logs/api-gateway/` are made from this module.

use gwcost_log::{LogRecord, format_request_time};

fn quoted(value: Option<String>) -> String {
    let v = value
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "-".to_owned());
    // Serializing a &str cannot fail; fall back to a bare dash rather than panic.
    serde_json::to_string(&v).unwrap_or_else(|_| "\"-\"".to_owned())
}

fn num<T: ToString>(value: Option<T>) -> String {
    quoted(value.map(|v| v.to_string()))
}

fn request_time(rec: &LogRecord) -> String {
    quoted(rec.request_time_epoch.map(format_request_time))
}

/// One line of AWS's documented HTTP API JSON access-log format:
///
/// `{ "requestId":"$context.requestId", "ip": "$context.identity.sourceIp",
/// "requestTime":"$context.requestTime", "httpMethod":"$context.httpMethod",
/// "routeKey":"$context.routeKey", "status":"$context.status","protocol":"$context.protocol",
/// "responseLength":"$context.responseLength" }` — spacing as in AWS's template. A zero
/// `responseLength` is written `-`, as API Gateway does for an empty body.
pub fn http_api_json_line(rec: &LogRecord) -> String {
    format!(
        "{{ \"requestId\":{}, \"ip\": {}, \"requestTime\":{}, \"httpMethod\":{},\"routeKey\":{}, \"status\":{},\"protocol\":{}, \"responseLength\":{} }}",
        quoted(rec.request_id.clone()),
        quoted(rec.ip.clone()),
        request_time(rec),
        quoted(rec.http_method.clone()),
        quoted(rec.route_key.clone()),
        num(rec.status),
        quoted(rec.protocol.clone()),
        num(rec.response_length.filter(|&n| n > 0)),
    )
}

/// One line of a WebSocket API access log in AWS's JSON style: the documented example fields
/// (`requestId`, `ip`, `caller`, `user`, `requestTime`, `eventType`, `routeKey`, `status`,
/// `connectionId`) plus `requestTimeEpoch`, `connectedAt` and `messageId`. Like every real
/// WebSocket access log it carries no message size.
pub fn websocket_json_line(rec: &LogRecord) -> String {
    format!(
        "{{ \"requestId\":{}, \"ip\": {}, \"caller\":\"-\", \"user\":\"-\",\"requestTime\":{}, \"requestTimeEpoch\":{}, \"eventType\":{}, \"routeKey\":{}, \"status\":{}, \"connectionId\":{}, \"connectedAt\":{}, \"messageId\":{} }}",
        quoted(rec.request_id.clone()),
        quoted(rec.ip.clone()),
        request_time(rec),
        num(rec.request_time_epoch),
        quoted(rec.event_type.map(|e| e.as_str().to_owned())),
        quoted(rec.route_key.clone()),
        num(rec.status),
        quoted(rec.connection_id.clone()),
        num(rec.connected_at),
        quoted(rec.message_id.clone()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use gwcost_log::EventType;

    fn sample_request() -> LogRecord {
        LogRecord {
            request_id: Some("Ab1Cd2Ef3Gh4Ij5=".into()),
            request_time_epoch: Some(1_764_547_200_123),
            event_type: Some(EventType::Request),
            route_key: Some("GET /messages".into()),
            http_method: Some("GET".into()),
            protocol: Some("HTTP/1.1".into()),
            status: Some(200),
            response_length: Some(1_572_864),
            ip: Some("203.0.113.7".into()),
            ..LogRecord::default()
        }
    }

    #[test]
    fn http_line_is_awss_format_with_string_values() {
        let line = http_api_json_line(&sample_request());
        assert_eq!(
            line,
            r#"{ "requestId":"Ab1Cd2Ef3Gh4Ij5=", "ip": "203.0.113.7", "requestTime":"01/Dec/2025:00:00:00 +0000", "httpMethod":"GET","routeKey":"GET /messages", "status":"200","protocol":"HTTP/1.1", "responseLength":"1572864" }"#
        );
        // The lenient reader takes it back: CLF time to the second, numbers from strings.
        let back = LogRecord::from_json(line.as_bytes()).unwrap();
        assert_eq!(back.request_time_epoch, None);
        assert_eq!(
            gwcost_log::parse_request_time(back.request_time.as_deref().unwrap()),
            Ok(1_764_547_200_000)
        );
        assert_eq!(back.status, Some(200));
        assert_eq!(back.response_length, Some(1_572_864));
    }

    #[test]
    fn empty_values_are_dashes() {
        let mut rec = sample_request();
        rec.response_length = Some(0);
        rec.protocol = None;
        let line = http_api_json_line(&rec);
        assert!(line.contains(r#""responseLength":"-""#), "{line}");
        assert!(line.contains(r#""protocol":"-""#), "{line}");
        let back = LogRecord::from_json(line.as_bytes()).unwrap();
        assert_eq!(back.response_length, None);
        assert_eq!(back.protocol, None);
    }

    #[test]
    fn websocket_line_has_no_size() {
        let rec = LogRecord {
            request_id: Some("r".into()),
            request_time_epoch: Some(1_764_547_201_000),
            event_type: Some(EventType::Message),
            route_key: Some("$default".into()),
            connection_id: Some("c1".into()),
            message_length: Some(40_000),
            connected_at: Some(1_764_547_200_500),
            ..LogRecord::default()
        };
        let line = websocket_json_line(&rec);
        assert!(!line.contains("messageLength"), "{line}");
        let back = LogRecord::from_json(line.as_bytes()).unwrap();
        assert_eq!(back.event(), EventType::Message);
        assert_eq!(back.request_time_epoch, Some(1_764_547_201_000));
        assert_eq!(back.connected_at, Some(1_764_547_200_500));
        assert_eq!(back.status, None);
        assert_eq!(back.message_length, None);
    }
}
