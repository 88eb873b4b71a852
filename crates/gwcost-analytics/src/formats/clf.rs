//! API Gateway's documented CLF access-log format (HTTP API):
//! `$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod $context.routeKey
//! $context.protocol" $context.status $context.responseLength $context.requestId`.

use gwcost_log::LogRecord;

fn field(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty() && s != "-").then(|| s.to_owned())
}

/// Parses one CLF line; the error says why it is not one.
pub(crate) fn parse(line: &str) -> Result<LogRecord, String> {
    let bad = || "neither a JSON object nor an API Gateway CLF line".to_owned();
    let line = line.trim();
    let (ip, rest) = line.split_once(' ').ok_or_else(bad)?;
    let open = rest.find('[').ok_or_else(bad)?;
    let close = rest[open..].find(']').ok_or_else(bad)? + open;
    let time = &rest[open + 1..close];
    let rest = &rest[close + 1..];
    let q1 = rest.find('"').ok_or_else(bad)?;
    let q2 = rest[q1 + 1..].find('"').ok_or_else(bad)? + q1 + 1;
    let request = &rest[q1 + 1..q2];
    let mut tail = rest[q2 + 1..].split_whitespace();
    let status = tail.next().ok_or_else(bad)?;
    let length = tail.next().ok_or_else(bad)?;
    let request_id = tail.next();

    // "GET GET /pets HTTP/1.1": the method, then the route key (which may hold spaces), then the
    // protocol.
    let request = request.trim();
    let (method, rest) = request.split_once(' ').unwrap_or((request, ""));
    let (route, protocol) = match rest.rsplit_once(' ') {
        Some((r, p)) if p.starts_with("HTTP/") => (r, p),
        _ => (rest, ""),
    };

    let status = match field(status) {
        None => None,
        Some(s) => Some(
            s.parse::<u16>()
                .map_err(|_| format!("CLF status {s:?} is not a status code"))?,
        ),
    };
    let response_length = match field(length) {
        None => None,
        Some(s) => Some(
            s.parse::<u64>()
                .map_err(|_| format!("CLF response length {s:?} is not a byte count"))?,
        ),
    };
    Ok(LogRecord {
        ip: field(ip),
        request_time: field(time),
        http_method: field(method),
        route_key: field(route),
        protocol: field(protocol),
        status,
        response_length,
        request_id: request_id.and_then(field),
        ..LogRecord::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_aws_clf_example() {
        let r = parse(
            r#"192.0.2.1 - - [01/Dec/2025:00:00:00 +0000] "GET GET /pets HTTP/1.1" 200 1572864 Ab3dEfGhIjKlMnO="#,
        )
        .unwrap();
        assert_eq!(r.ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(
            r.request_time.as_deref(),
            Some("01/Dec/2025:00:00:00 +0000")
        );
        assert_eq!(r.http_method.as_deref(), Some("GET"));
        assert_eq!(r.route_key.as_deref(), Some("GET /pets"));
        assert_eq!(r.protocol.as_deref(), Some("HTTP/1.1"));
        assert_eq!(r.status, Some(200));
        assert_eq!(r.response_length, Some(1_572_864));
        assert_eq!(r.request_id.as_deref(), Some("Ab3dEfGhIjKlMnO="));
    }

    #[test]
    fn dashes_are_absent() {
        let r = parse(r#"- - - [01/Dec/2025:00:00:00 +0000] "POST $default HTTP/2.0" 401 - -"#)
            .unwrap();
        assert_eq!(r.ip, None);
        assert_eq!(r.route_key.as_deref(), Some("$default"));
        assert_eq!(r.response_length, None);
        assert_eq!(r.request_id, None);
    }

    #[test]
    fn rejects_other_text() {
        assert!(parse("hello world").is_err());
        assert!(parse(r#"1.2.3.4 - - [x] "GET / HTTP/1.1" abc 0 id"#).is_err());
    }
}
