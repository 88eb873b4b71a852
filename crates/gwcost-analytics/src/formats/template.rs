//! `--log-format`: the stage's own access-log template (`accessLogSettings.format`, as
//! `aws apigateway get-stage` / `aws apigatewayv2 get-stage` print it) tells which key or position
//! of a log line holds which `$context` variable. JSON templates map keys; any other text (CLF,
//! CSV, a custom layout) is a positional template: literal text between variables.

use gwcost_log::{Field, LogRecord};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::AnalyticsError;
use crate::formats::fastjson::{Builder, KeyMap, Val};

/// A parsed `--log-format` template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFormat {
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// A JSON object template: each key of a line is read as the field its variable names.
    Json(KeyMap),
    /// Literal text between variables, e.g. CLF or CSV.
    Positional(Positional),
}

/// `literals[0] var[0] literals[1] var[1] … var[n-1] literals[n]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Positional {
    literals: Vec<String>,
    /// The field each variable fills (`None`: a variable the bill does not read).
    vars: Vec<Option<Field>>,
}

fn bad(msg: impl Into<String>) -> AnalyticsError {
    AnalyticsError::BadLogFormat(msg.into())
}

/// The `$context.*` variables of a template text, with their byte ranges.
fn variables(text: &str) -> Vec<(usize, usize, &str)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = text[i..].find('$') {
        let start = i + off;
        let braced = text[start..].starts_with("${context.");
        let plain = text[start..].starts_with("$context.");
        if !braced && !plain {
            i = start + 1;
            continue;
        }
        if braced {
            match text[start..].find('}') {
                Some(close) => {
                    out.push((start, start + close + 1, &text[start..start + close + 1]));
                    i = start + close + 1;
                }
                None => i = start + 1,
            }
            continue;
        }
        // `$context.a.b`: names are letters, digits and `_`, joined by dots; a trailing dot
        // (end of a sentence, `$context.status.`) is not part of it.
        let mut end = start + "$context.".len();
        while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_' || b[end] == b'.')
        {
            end += 1;
        }
        while end > start && b[end - 1] == b'.' {
            end -= 1;
        }
        out.push((start, end, &text[start..end]));
        i = end;
    }
    out
}

impl LogFormat {
    /// Parses a template; an error says what is wrong with it (no time variable, two variables
    /// with nothing between them, a key holding no variable, …).
    pub fn parse(template: &str) -> Result<Self, AnalyticsError> {
        let t = template.trim();
        if t.is_empty() {
            return Err(bad("the template is empty"));
        }
        // CLF, CSV and XML templates are all literal text between variables: API Gateway writes
        // the literal parts as they stand, so an XML line is split like a CLF one.
        let kind = if t.starts_with('{') {
            Kind::Json(Self::json_keys(t)?)
        } else {
            Kind::Positional(Self::positional(t)?)
        };
        let fields: Vec<Field> = match &kind {
            Kind::Json(keys) => keys.values().copied().collect(),
            Kind::Positional(p) => p.vars.iter().flatten().copied().collect(),
        };
        if !fields.iter().any(|f| f.is_time()) {
            return Err(bad(
                "the template names no time variable: it needs $context.requestTimeEpoch or \
                 $context.requestTime to date each line",
            ));
        }
        Ok(Self { kind })
    }

    fn json_keys(t: &str) -> Result<KeyMap, AnalyticsError> {
        // Stage templates may leave variables unquoted (`"status": $context.status`): quote them
        // so the template reads as JSON.
        let mut quoted = String::with_capacity(t.len() + 16);
        let mut last = 0;
        for (s, e, var) in variables(t) {
            quoted.push_str(&t[last..s]);
            let in_string = t[..s].matches('"').count() % 2 == 1;
            if in_string {
                quoted.push_str(var);
            } else {
                quoted.push('"');
                quoted.push_str(var);
                quoted.push('"');
            }
            last = e;
        }
        quoted.push_str(&t[last..]);
        let obj: Map<String, Value> = serde_json::from_str(&quoted)
            .map_err(|e| bad(format!("not a JSON object template: {e}")))?;
        let mut keys = KeyMap::new();
        for (k, v) in obj {
            let Value::String(v) = v else {
                return Err(bad(format!(
                    "key {k:?} holds {v}, not a \"$context.…\" variable (nested objects are not \
                     supported)"
                )));
            };
            let vars = variables(&v);
            let Some(&(_, _, var)) = vars.first() else {
                // A constant under a key (e.g. "source":"apigw") is read past.
                continue;
            };
            if vars.len() > 1 {
                return Err(bad(format!(
                    "key {k:?} holds more than one variable ({v:?}); give each its own key"
                )));
            }
            if let Some(f) = Field::from_context_variable(var) {
                if let Some((other, _)) = keys.iter().find(|(_, g)| **g == f) {
                    return Err(bad(format!(
                        "keys {:?} and {k:?} both hold {var}",
                        String::from_utf8_lossy(other)
                    )));
                }
                keys.insert(k.into_bytes().into_boxed_slice(), f);
            }
        }
        Ok(keys)
    }

    fn positional(t: &str) -> Result<Positional, AnalyticsError> {
        let vars = variables(t);
        if vars.is_empty() {
            return Err(bad("the template holds no $context variable"));
        }
        let mut literals = Vec::with_capacity(vars.len() + 1);
        let mut last = 0;
        for (i, (s, e, var)) in vars.iter().enumerate() {
            let lit = &t[last..*s];
            if i > 0 && lit.is_empty() {
                return Err(bad(format!(
                    "{} and {var} have nothing between them, so a line cannot be split",
                    vars[i - 1].2
                )));
            }
            literals.push(lit.to_owned());
            last = *e;
        }
        literals.push(t[last..].to_owned());
        Ok(Positional {
            literals,
            vars: vars
                .iter()
                .map(|(_, _, v)| Field::from_context_variable(v))
                .collect(),
        })
    }

    /// The key map of a JSON template (for the fast scanner); `None` for positional ones.
    pub(crate) fn keys(&self) -> Option<&KeyMap> {
        match &self.kind {
            Kind::Json(k) => Some(k),
            Kind::Positional(_) => None,
        }
    }

    /// True for a JSON template.
    pub(crate) fn is_json(&self) -> bool {
        matches!(self.kind, Kind::Json(_))
    }

    /// A JSON line read under this template: its keys renamed to the schema's, unknown keys
    /// dropped, then read leniently like any line.
    pub(crate) fn record(&self, line: &[u8]) -> Result<LogRecord, String> {
        match &self.kind {
            Kind::Json(keys) => {
                let obj: Map<String, Value> =
                    serde_json::from_slice(line).map_err(|e| format!("not a JSON object: {e}"))?;
                let renamed: Map<String, Value> = obj
                    .into_iter()
                    .filter_map(|(k, v)| keys.get(k.as_bytes()).map(|f| (f.name().to_owned(), v)))
                    .collect();
                LogRecord::deserialize(Value::Object(renamed))
                    .map_err(|e| format!("bad field: {e}"))
            }
            Kind::Positional(p) => {
                let text = std::str::from_utf8(line).map_err(|_| "not UTF-8 text".to_owned())?;
                let values = p
                    .split(text)
                    .ok_or_else(|| "does not match the --log-format template".to_owned())?;
                let obj: Map<String, Value> = values
                    .into_iter()
                    .map(|(f, v)| (f.name().to_owned(), Value::String(v.to_owned())))
                    .collect();
                LogRecord::deserialize(Value::Object(obj)).map_err(|e| format!("bad field: {e}"))
            }
        }
    }

    /// A positional line's fields straight into a builder (the fast path); `None` when the line
    /// does not match or a value needs the reference path's judgement.
    pub(crate) fn scan_positional<'a>(
        &self,
        line: &'a str,
        fallback_ms: Option<i64>,
    ) -> Option<crate::EventRef<'a>> {
        let Kind::Positional(p) = &self.kind else {
            return None;
        };
        let mut b = Builder::new();
        for (f, v) in p.split(line)? {
            b.set(f, Val::Str(v))?;
        }
        b.finish(fallback_ms)
    }
}

/// Fields whose values may hold the separator (a route key `GET /pets` holds a space): they
/// take the last possible split first; every other field the first.
fn greedy(f: Option<Field>) -> bool {
    matches!(
        f,
        Some(Field::RouteKey | Field::ResourcePath | Field::Path | Field::UserAgent)
    )
}

impl Positional {
    /// The (field, value) pairs of a line, or `None` when it does not match the template.
    fn split<'a>(&self, line: &'a str) -> Option<Vec<(Field, &'a str)>> {
        let rest = line.strip_prefix(self.literals[0].as_str())?;
        let mut out = Vec::with_capacity(self.vars.len());
        let mut budget = 4096u32;
        self.split_from(rest, 0, &mut out, &mut budget)
            .then_some(out)
    }

    /// Matches variable `i` onwards against `rest` with backtracking over where each value
    /// ends (bounded by `budget` steps, so a pathological line is refused, not slow).
    fn split_from<'a>(
        &self,
        rest: &'a str,
        i: usize,
        out: &mut Vec<(Field, &'a str)>,
        budget: &mut u32,
    ) -> bool {
        if *budget == 0 {
            return false;
        }
        *budget -= 1;
        let lit = self.literals[i + 1].as_str();
        let last = i + 1 == self.vars.len();
        let mut ends: Vec<usize> = if last && lit.is_empty() {
            vec![rest.len()]
        } else if last {
            rest.ends_with(lit)
                .then(|| rest.len() - lit.len())
                .into_iter()
                .collect()
        } else {
            rest.match_indices(lit).map(|(k, _)| k).collect()
        };
        if greedy(self.vars[i]) {
            ends.reverse();
        }
        for end in ends {
            let value = &rest[..end];
            let mark = out.len();
            if let Some(f) = self.vars[i] {
                out.push((f, value));
            }
            if last || self.split_from(&rest[end + lit.len()..], i + 1, out, budget) {
                return true;
            }
            out.truncate(mark);
        }
        false
    }
}

/// Reads `--log-format`'s value: the template itself, or `@FILE` holding it.
pub fn read_log_format(arg: &str) -> Result<LogFormat, AnalyticsError> {
    let text = match arg.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|e| AnalyticsError::io(path, e))?,
        None => arg.to_owned(),
    };
    // `aws apigateway get-stage --query accessLogSettings.format` prints the template as a JSON
    // string (quoted, escaped): unwrap it.
    let trimmed = text.trim();
    let text = if trimmed.starts_with('"') {
        serde_json::from_str::<String>(trimmed).map_err(|e| bad(format!("{e}")))?
    } else {
        text
    };
    LogFormat::parse(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_template_maps_renamed_keys() {
        let f = LogFormat::parse(
            r#"{"rid":"$context.requestId","t":"$context.requestTimeEpoch","len":"$context.responseLength","err":"$context.error.responseType","src":"${context.identity.sourceIp}","n": $context.status, "c":"apigw"}"#,
        )
        .unwrap();
        let keys = f.keys().unwrap();
        assert_eq!(keys.get(&b"rid"[..]), Some(&Field::RequestId));
        assert_eq!(keys.get(&b"err"[..]), Some(&Field::ErrorResponseType));
        assert_eq!(keys.get(&b"src"[..]), Some(&Field::Ip));
        assert_eq!(keys.get(&b"n"[..]), Some(&Field::Status));
        assert_eq!(keys.get(&b"c"[..]), None);
        let r = f
            .record(br#"{"rid":"a","t":"1000","len":"-","err":"THROTTLED","n":"429","other":1}"#)
            .unwrap();
        assert_eq!(r.request_id.as_deref(), Some("a"));
        assert_eq!(r.request_time_epoch, Some(1000));
        assert_eq!(r.response_length, None);
        assert_eq!(r.error_response_type.as_deref(), Some("THROTTLED"));
        assert_eq!(r.status, Some(429));
    }

    #[test]
    fn clf_and_csv_templates_split_lines() {
        let clf = LogFormat::parse(
            r#"$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod $context.routeKey $context.protocol" $context.status $context.responseLength $context.requestId"#,
        )
        .unwrap();
        let r = clf
            .record(br#"192.0.2.1 - - [01/Dec/2025:00:00:00 +0000] "GET GET /pets HTTP/1.1" 200 1572864 Ab3="#)
            .unwrap();
        assert_eq!(r.route_key.as_deref(), Some("GET /pets"));
        assert_eq!(r.http_method.as_deref(), Some("GET"));
        assert_eq!(r.protocol.as_deref(), Some("HTTP/1.1"));
        assert_eq!(r.response_length, Some(1_572_864));
        assert_eq!(r.request_id.as_deref(), Some("Ab3="));
        let ev = clf
            .scan_positional(
                r#"192.0.2.1 - - [01/Dec/2025:00:00:00 +0000] "GET GET /pets HTTP/1.1" 200 1572864 Ab3="#,
                None,
            )
            .unwrap();
        assert_eq!(ev.route_key, Some("GET /pets"));
        assert_eq!(ev.time_ms, 1_764_547_200_000);

        let csv = LogFormat::parse(
            "$context.requestTimeEpoch,$context.requestId,$context.status,$context.responseLength",
        )
        .unwrap();
        let r = csv.record(b"1000,x,200,-").unwrap();
        assert_eq!((r.request_time_epoch, r.status), (Some(1000), Some(200)));
        assert!(csv.record(b"1000;x").is_err());
    }

    #[test]
    fn bad_templates_say_why() {
        let e = LogFormat::parse(r#"{"rid":"$context.requestId"}"#).unwrap_err();
        assert!(e.to_string().contains("no time variable"), "{e}");
        let e = LogFormat::parse("$context.requestTime$context.status").unwrap_err();
        assert!(e.to_string().contains("nothing between"), "{e}");
        assert!(LogFormat::parse("").is_err());
        assert!(LogFormat::parse(r#"{"a":{"b":"$context.requestTime"}}"#).is_err());
    }

    #[test]
    fn xml_templates_split_like_clf() {
        let f = LogFormat::parse(
            "<request id=\"$context.requestId\"> <requestTime>$context.requestTime</requestTime> \
             <status>$context.status</status> </request>",
        )
        .unwrap();
        let r = f
            .record(
                b"<request id=\"a1\"> <requestTime>01/Oct/2026:00:43:30 +0000</requestTime> \
                  <status>404</status> </request>",
            )
            .unwrap();
        assert_eq!(r.request_id.as_deref(), Some("a1"));
        assert_eq!(r.status, Some(404));
        assert!(r.request_time_epoch.is_some() || r.request_time.is_some());
        assert!(
            f.record(b"<request id=\"a1\"> <status>404</status> </request>")
                .is_err()
        );
    }
}
