//! API Gateway's own Firehose destination (a stage's access logs sent straight to a Firehose
//! stream named `amazon-apigateway-…`): the access-log records written to S3 back to back with
//! no separator (`{…}{…}`), or with any whitespace between them, gzipped or not, under any object
//! name. Split into records by a byte scanner that tracks strings and nesting, so the stream is
//! read a buffer at a time and a record is held only up to the line limit.

use std::io::{self, BufRead, BufReader, Read};

use super::Messages;
use crate::blocks::{MAX_LINE_BYTES, overlong_reason};

/// JSON objects not one per line: the first object of the content spans lines (pretty-printed
/// records) or is followed on its line by the next one.
pub(crate) fn sniff(d: &[u8]) -> bool {
    if !d.starts_with(b"{") {
        return false;
    }
    let mut it = serde_json::Deserializer::from_slice(d).into_iter::<serde::de::IgnoredAny>();
    if !matches!(it.next(), Some(Ok(_))) {
        return false;
    }
    let end = it.byte_offset();
    let spans_lines = memchr::memchr(b'\n', &d[..end]).is_some();
    let rest = &d[end..];
    let rest_of_line = &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())];
    spans_lines || rest_of_line.trim_ascii_start().starts_with(b"{")
}

/// Reads every record of `reader` and hands it to `sink` as one message (numbered from 1).
/// Bytes between records that are neither whitespace nor a record are one malformed entry per
/// run; a record over [`MAX_LINE_BYTES`] is malformed and never held; a record cut short by the
/// end of the content is malformed.
pub(crate) fn read(reader: &mut dyn Read, sink: &mut dyn Messages) -> io::Result<()> {
    read_buffered(&mut BufReader::with_capacity(1 << 16, reader), sink)
}

fn read_buffered(reader: &mut dyn BufRead, sink: &mut dyn Messages) -> io::Result<()> {
    let mut record: Vec<u8> = Vec::new();
    let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
    let mut overlong = false;
    let mut junk = false;
    let mut n = 0u64;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let len = buf.len();
        let mut start = 0;
        for (i, &b) in buf.iter().enumerate() {
            if depth == 0 {
                if b == b'{' {
                    depth = 1;
                    start = i;
                    junk = false;
                } else if !b.is_ascii_whitespace() && !junk {
                    junk = true;
                    n += 1;
                    sink.malformed(
                        n,
                        "text between records that is not a JSON object".to_owned(),
                    );
                }
                continue;
            }
            if in_str {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_str = false;
                }
                continue;
            }
            match b {
                b'"' => in_str = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        n += 1;
                        if !overlong {
                            record.extend_from_slice(&buf[start..=i]);
                        }
                        if overlong || record.len() > MAX_LINE_BYTES {
                            sink.malformed(n, overlong_reason());
                        } else {
                            sink.message(n, &record, None);
                        }
                        record.clear();
                        overlong = false;
                    }
                }
                _ => {}
            }
        }
        if depth > 0 && !overlong {
            // The record goes on in the next buffer: keep what this one holds of it.
            record.extend_from_slice(&buf[start..]);
            if record.len() > MAX_LINE_BYTES {
                overlong = true;
                record = Vec::new();
            }
        }
        reader.consume(len);
    }
    if depth > 0 {
        n += 1;
        sink.malformed(n, "record cut short by the end of the content".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Got {
        messages: Vec<(u64, String)>,
        malformed: Vec<(u64, String)>,
    }

    impl Messages for Got {
        fn message(&mut self, line: u64, msg: &[u8], _: Option<i64>) {
            self.messages
                .push((line, String::from_utf8_lossy(msg).into_owned()));
        }
        fn malformed(&mut self, line: u64, reason: String) {
            self.malformed.push((line, reason));
        }
    }

    #[test]
    fn records_back_to_back_or_spaced_whatever_the_buffer() {
        let data = br#"{ "requestId":"a", "routeKey":"GET /{id}", "q":"}\"{" }{"requestId":"b","n":[1,{"x":2}]}
  {"requestId":"c"}junk{"requestId":"d""#;
        for cap in [1usize, 2, 3, 7, 64, 1 << 16] {
            let mut got = Got::default();
            let mut r = BufReader::with_capacity(cap, &data[..]);
            read_buffered(&mut r, &mut got).unwrap();
            let ids: Vec<u64> = got.messages.iter().map(|m| m.0).collect();
            assert_eq!(ids, vec![1, 2, 3], "cap {cap}");
            assert_eq!(
                got.messages[0].1,
                r#"{ "requestId":"a", "routeKey":"GET /{id}", "q":"}\"{" }"#
            );
            assert_eq!(got.messages[1].1, r#"{"requestId":"b","n":[1,{"x":2}]}"#);
            assert_eq!(got.messages[2].1, r#"{"requestId":"c"}"#);
            assert_eq!(got.malformed.len(), 2, "cap {cap}: {:?}", got.malformed);
            assert_eq!(got.malformed[0].0, 4);
            assert!(got.malformed[1].1.contains("cut short"));
        }
    }

    #[test]
    fn sniffs_records_not_lines() {
        assert!(sniff(br#"{"a":1}{"a":2}"#));
        assert!(sniff(b"{\"a\":1}   {\"a\":2}\n"));
        assert!(sniff(b"{\n  \"a\": 1\n}\n{\n  \"a\": 2\n}\n"));
        assert!(!sniff(b"{\"a\":1}\n{\"a\":2}\n"));
        assert!(!sniff(b"{\"a\":1}\n"));
        assert!(!sniff(b"not json"));
    }

    #[test]
    fn an_overlong_record_is_never_held() {
        let mut data = b"{\"requestId\":\"a\"}{\"junk\":\"".to_vec();
        data.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 10));
        data.extend_from_slice(b"\"}{\"requestId\":\"b\"}");
        let mut got = Got::default();
        read(&mut &data[..], &mut got).unwrap();
        assert_eq!(got.messages.len(), 2);
        assert_eq!(got.messages[1].0, 3);
        assert_eq!(got.malformed, vec![(2, overlong_reason())]);
    }
}
