//! Folding JSON lines (and API Gateway CLF lines) into a tally, one line-aligned chunk at a time.
//! [`crate::blocks`] cuts the input into such chunks and spreads them over threads; line numbers
//! stay exact because each chunk knows how many lines precede it.

use crate::Event;
use crate::Tally;
use crate::formats::message::{MessageParser, parse_record};

/// A line without surrounding whitespace and a leading UTF-8 byte order mark; `None` when
/// nothing is left (blank lines are skipped, not malformed).
pub(crate) fn content(line: &[u8]) -> Option<&[u8]> {
    let line = line.trim_ascii();
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    (!line.is_empty()).then_some(line)
}

/// Parses one line; `None` for a blank line.
pub(crate) fn parse_line(line: &[u8], clf_allowed: bool) -> Option<Result<Event, String>> {
    let line = content(line)?;
    Some(parse_record(line, clf_allowed).and_then(Event::from_record))
}

/// The lines of a chunk with their 1-based numbers; a chunk's trailing `\n` ends its last line
/// and starts no other.
fn numbered_lines(chunk: &[u8], first_line: u64) -> impl Iterator<Item = (u64, &[u8])> {
    let mut start = 0;
    let mut line_no = first_line;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let line = match memchr::memchr(b'\n', &chunk[start..]) {
            Some(off) => {
                let l = &chunk[start..start + off];
                start += off + 1;
                if start >= chunk.len() {
                    done = true;
                }
                l
            }
            None => {
                done = true;
                &chunk[start..]
            }
        };
        line_no += 1;
        Some((line_no - 1, line))
    })
}

/// Parses and folds one chunk whose first line is line `first_line` (1-based): each line's
/// message (after a CloudWatch Logs export's timestamp, when `export`) goes through `parser`,
/// fast scanner first; `reference` skips the scanner.
pub(crate) fn fold_chunk(
    name: &str,
    chunk: &[u8],
    first_line: u64,
    parser: &MessageParser<'_>,
    export: bool,
    tally: &mut Tally<'_>,
) {
    let mut lines = 0;
    for (line_no, line) in numbered_lines(chunk, first_line) {
        let Some(t) = content(line) else {
            continue;
        };
        lines += 1;
        let (fallback, msg) = if export {
            match crate::formats::cloudwatch_export::split(t) {
                Some((ms, msg)) => (Some(ms), msg),
                None => (None, t),
            }
        } else {
            (None, t)
        };
        parser.fold(name, line_no, msg, fallback, tally);
    }
    tally.add_lines(lines);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_numbered_like_split() {
        for data in [&b"a\nbb\n\nccc\n"[..], b"a", b"", b"\n", b"a\n\nb"] {
            let ours: Vec<(u64, &[u8])> = numbered_lines(data, 7).collect();
            let data = data.strip_suffix(b"\n").unwrap_or(data);
            let split: Vec<(u64, &[u8])> = (7..).zip(data.split(|b| *b == b'\n')).collect();
            // A trailing newline adds no line; an empty chunk is one empty line either way.
            assert_eq!(ours, split, "{:?}", String::from_utf8_lossy(data));
        }
    }

    #[test]
    fn reasons_are_specific() {
        let e = parse_line(b"not json", false).unwrap().unwrap_err();
        assert!(e.starts_with("not JSON"), "{e}");
        let e = parse_line(br#"{"requestTimeEpoch":1,"status":true}"#, false)
            .unwrap()
            .unwrap_err();
        assert!(e.starts_with("bad field"), "{e}");
        let e = parse_line(br#"{"requestTimeEpoch":1,"eventType":"PING"}"#, false)
            .unwrap()
            .unwrap_err();
        assert!(e.contains("PING"), "{e}");
        assert!(parse_line(b"   \r", false).is_none());
    }
}
