//! The fast JSON-lines reader: the buffer is cut into line-aligned chunks, one per core, each
//! parsed and folded on its own thread, and the chunk tallies are merged in order. Line numbers
//! stay exact because each chunk knows how many lines precede it.

use gwcost_log::LogRecord;

use crate::{Event, Tally, clf};

/// Below this size one thread is faster than starting several.
const PARALLEL_MIN_BYTES: usize = 1 << 20;

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

/// Parses one line; `None` for a blank line.
pub(crate) fn parse_line(line: &[u8], clf_allowed: bool) -> Option<Result<Event, String>> {
    let line = line.trim_ascii();
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    if line.is_empty() {
        return None;
    }
    let record = if line[0] == b'{' || !clf_allowed {
        LogRecord::from_json(line).map_err(|e| json_reason(&e))
    } else {
        match std::str::from_utf8(line) {
            Ok(s) => clf::parse(s),
            Err(_) => Err("not UTF-8 text".to_owned()),
        }
    };
    Some(record.and_then(Event::from_record))
}

/// Parses and folds one chunk whose first line is line `first_line` (1-based).
fn fold_chunk(name: &str, chunk: &[u8], first_line: u64, clf: bool, tally: &mut Tally<'_>) {
    let mut lines = 0;
    for (line_no, line) in (first_line..).zip(chunk.split(|b| *b == b'\n')) {
        if let Some(parsed) = parse_line(line, clf) {
            lines += 1;
            match parsed {
                Ok(ev) => tally.push(ev),
                Err(reason) => tally.malformed(name, line_no, reason),
            }
        }
    }
    tally.add_lines(lines);
}

/// A chunk's non-blank line count and its parsed lines with their numbers.
type ParsedChunk = (u64, Vec<(u64, Result<Event, String>)>);

/// Parses one chunk into events in order (the `--dedupe` path, which must fold sequentially).
fn parse_chunk(chunk: &[u8], first_line: u64, clf: bool) -> ParsedChunk {
    let mut out = Vec::new();
    let mut lines = 0;
    for (i, line) in chunk.split(|b| *b == b'\n').enumerate() {
        if let Some(parsed) = parse_line(line, clf) {
            lines += 1;
            out.push((first_line + i as u64, parsed));
        }
    }
    (lines, out)
}

/// Cuts `data` into at most `n` pieces, each ending just after a `\n` (the last at the end).
/// Returns each piece with the 1-based number of its first line.
fn line_aligned_chunks(data: &[u8], n: usize) -> Vec<(&[u8], u64)> {
    let n = n.max(1);
    let target = data.len().div_ceil(n).max(1);
    let mut chunks = Vec::with_capacity(n);
    let mut start = 0;
    let mut line = 1u64;
    while start < data.len() {
        let tentative = (start + target).min(data.len());
        let end = if tentative >= data.len() {
            data.len()
        } else {
            match memchr::memchr(b'\n', &data[tentative..]) {
                Some(off) => tentative + off + 1,
                None => data.len(),
            }
        };
        let chunk = &data[start..end];
        chunks.push((chunk, line));
        line += memchr::memchr_iter(b'\n', chunk).count() as u64;
        start = end;
    }
    chunks
}

/// Reads a JSON-lines (optionally CLF) buffer into the tally, on up to `threads` threads.
pub(crate) fn read(name: &str, data: &[u8], clf: bool, threads: usize, tally: &mut Tally<'_>) {
    // A trailing "\n" ends the last line; it does not start another.
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    let n = if data.len() < PARALLEL_MIN_BYTES {
        1
    } else {
        threads.max(1)
    };
    let chunks = line_aligned_chunks(data, n);
    if chunks.len() <= 1 {
        if let Some((chunk, first)) = chunks.first() {
            fold_chunk(name, chunk, *first, clf, tally);
        }
        return;
    }
    if tally.dedupes() {
        let parsed: Vec<ParsedChunk> = std::thread::scope(|s| {
            let handles: Vec<_> = chunks
                .iter()
                .map(|(chunk, first)| s.spawn(move || parse_chunk(chunk, *first, clf)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        for (lines, events) in parsed {
            tally.add_lines(lines);
            for (line_no, ev) in events {
                match ev {
                    Ok(ev) => tally.push(ev),
                    Err(reason) => tally.malformed(name, line_no, reason),
                }
            }
        }
        return;
    }
    let parts: Vec<Tally<'_>> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|(chunk, first)| {
                let mut local = tally.empty_like();
                s.spawn(move || {
                    fold_chunk(name, chunk, *first, clf, &mut local);
                    local
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    for part in parts {
        tally.merge(part);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_line_aligned_and_numbered() {
        let data = b"a\nbb\nccc\ndddd\ne";
        for n in 1..8 {
            let chunks = line_aligned_chunks(data, n);
            let joined: Vec<u8> = chunks.iter().flat_map(|(c, _)| c.iter().copied()).collect();
            assert_eq!(joined, data.to_vec());
            for (c, first) in &chunks {
                assert!(c.ends_with(b"\n") || c.ends_with(b"e"));
                // The chunk's first line is the line with that number in the whole buffer.
                let expected = data
                    .split(|b| *b == b'\n')
                    .nth((*first - 1) as usize)
                    .unwrap();
                assert!(c.starts_with(expected));
            }
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
