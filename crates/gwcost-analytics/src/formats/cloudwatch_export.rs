//! `aws logs create-export-task` to S3: gzip objects under
//! `<prefix>/<task-id>/<log-stream>/000000.gz`, one log event per line:
//! `2026-10-20T12:34:56.789Z <message>`. The lines are read by the line reader (block by block,
//! on every core); this file only knows the timestamp prefix.

/// The timestamp and message of an export line; `None` when the line has no such prefix.
pub(crate) fn split(line: &[u8]) -> Option<(i64, &[u8])> {
    // `YYYY-MM-DDTHH:MM:SS.mmmZ` then one space.
    let sp = memchr::memchr(b' ', &line[..line.len().min(40)])?;
    let stamp = &line[..sp];
    if stamp.len() < 20 || stamp[10] != b'T' || !stamp.ends_with(b"Z") {
        return None;
    }
    let ms = super::iso_ms(stamp)?;
    Some((ms, line[sp + 1..].trim_ascii()))
}

/// The first line starts with an export timestamp.
pub(crate) fn sniff(d: &[u8]) -> bool {
    let first = d.split(|b| *b == b'\n').next().unwrap_or_default();
    split(first.trim_ascii()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_export_lines() {
        let (ms, msg) = split(b"2025-12-01T00:00:00.250Z {\"a\":1}").unwrap();
        assert_eq!(ms, 1_764_547_200_250);
        assert_eq!(msg, b"{\"a\":1}");
        assert!(split(b"{\"a\":1}").is_none());
        assert!(split(b"192.0.2.1 - - [01/Dec/2025:00:00:00 +0000] x").is_none());
        assert!(split(b"2025-12-01T00:00:00.250Z").is_none());
    }
}
