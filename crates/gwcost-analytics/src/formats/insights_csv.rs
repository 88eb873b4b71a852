//! CloudWatch Logs Insights results downloaded as CSV: a header naming `@timestamp`,
//! `@message` (and whatever else the query kept), one row per log event.

use std::io::Read;

use super::Messages;

/// The first line is a CSV header naming `@message`.
pub(crate) fn sniff(d: &[u8]) -> bool {
    let first = d.split(|b| *b == b'\n').next().unwrap_or_default();
    first.split(|b| *b == b',').any(|c| {
        let c = c.trim_ascii();
        c == b"@message" || c == b"\"@message\""
    })
}

/// Hands each row's `@message` (dated by `@timestamp`) to `sink`; returns the number of rows.
pub(crate) fn read(reader: &mut dyn Read, sink: &mut dyn Messages) -> std::io::Result<u64> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(reader);
    let headers = csv.byte_headers().map_err(std::io::Error::other)?.clone();
    let col = |name: &[u8]| headers.iter().position(|h| h.trim_ascii() == name);
    let (Some(message), timestamp) = (col(b"@message"), col(b"@timestamp")) else {
        sink.malformed(1, "Logs Insights CSV without an @message column".to_owned());
        return Ok(0);
    };
    let mut rows = 0;
    let mut record = csv::ByteRecord::new();
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(rows + 2, csv::Position::line);
                sink.malformed(line, format!("bad CSV: {e}"));
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        }
        rows += 1;
        let line = record.position().map_or(rows + 1, csv::Position::line);
        let fallback = timestamp
            .and_then(|t| record.get(t))
            .and_then(super::iso_ms);
        match record.get(message).map(<[u8]>::trim_ascii) {
            Some(m) if !m.is_empty() => sink.message(line, m, fallback),
            _ => sink.malformed(line, "row without an @message".to_owned()),
        }
    }
    Ok(rows)
}
