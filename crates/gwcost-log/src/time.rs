//! API Gateway's `$context.requestTime` (CLF form, `dd/MMM/yyyy:HH:mm:ss +hhmm`) to and from
//! milliseconds since the Unix epoch, UTC. Hand-written because it is one fixed format and the
//! civil-date arithmetic is a few lines; a date crate would be the sidecar's heaviest dependency.

use thiserror::Error;

/// Why a `requestTime` value could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("requestTime {value:?} is not dd/MMM/yyyy:HH:mm:ss +hhmm")]
pub struct TimeError {
    value: String,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month 1-12, day 1-31) of a day count from 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The UTC calendar month (`year`, `month` 1-12) of an instant in ms since the epoch.
pub fn utc_month(epoch_ms: i64) -> (i64, u32) {
    let (y, m, _) = civil_from_days(epoch_ms.div_euclid(86_400_000));
    (y, m)
}

/// The UTC calendar date (`year`, `month`, `day`) of an instant in ms since the epoch.
pub fn utc_date(epoch_ms: i64) -> (i64, u32, u32) {
    civil_from_days(epoch_ms.div_euclid(86_400_000))
}

/// Milliseconds since the epoch of 00:00 UTC on the given date.
pub fn epoch_ms_of_date(y: i64, m: u32, d: u32) -> i64 {
    days_from_civil(y, m, d) * 86_400_000
}

fn num(s: &str, lo: u32, hi: u32) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u32 = s.parse().ok()?;
    (lo..=hi).contains(&n).then_some(n)
}

/// The exact 26-byte form API Gateway writes (`26/Nov/2026:00:56:54 +0000`), read at fixed
/// offsets: the readers date millions of lines by it. `None` sends anything else (and any
/// out-of-range field) to the general parser, which decides and words the error.
fn fixed_request_time(b: &[u8]) -> Option<i64> {
    if b.len() != 26
        || b[2] != b'/'
        || b[6] != b'/'
        || b[11] != b':'
        || b[14] != b':'
        || b[17] != b':'
        || b[20] != b' '
    {
        return None;
    }
    let d = |i: usize| -> Option<u32> {
        let (x, y) = (b[i].wrapping_sub(b'0'), b[i + 1].wrapping_sub(b'0'));
        (x < 10 && y < 10).then(|| u32::from(x) * 10 + u32::from(y))
    };
    let (day, hh, mm, ss) = (d(0)?, d(12)?, d(15)?, d(18)?);
    let year = d(7)? * 100 + d(9)?;
    let (zh, zm) = (d(22)?, d(24)?);
    let sign = match b[21] {
        b'+' => 1i64,
        b'-' => -1,
        _ => return None,
    };
    let month = MONTHS
        .iter()
        .position(|m| m.as_bytes().eq_ignore_ascii_case(&b[3..6]))?;
    if !(1..=31).contains(&day)
        || hh > 23
        || mm > 59
        || ss > 60
        || !(1970..=9999).contains(&year)
        || zh > 23
        || zm > 59
    {
        return None;
    }
    #[allow(clippy::cast_possible_truncation)]
    let days = days_from_civil(i64::from(year), month as u32 + 1, day);
    let local = days * 86_400 + i64::from(hh) * 3600 + i64::from(mm) * 60 + i64::from(ss);
    let offset = sign * (i64::from(zh) * 3600 + i64::from(zm) * 60);
    Some((local - offset) * 1000)
}

/// Parses `26/Nov/2026:00:56:54 +0000` to ms since the epoch (UTC).
pub fn parse_request_time(value: &str) -> Result<i64, TimeError> {
    if let Some(ms) = fixed_request_time(value.as_bytes()) {
        return Ok(ms);
    }
    let err = || TimeError {
        value: value.to_owned(),
    };
    let v = value.trim();
    let (stamp, zone) = v.split_once(' ').ok_or_else(err)?;
    let mut parts = stamp.splitn(4, ':');
    let date = parts.next().ok_or_else(err)?;
    let hh = parts.next().and_then(|s| num(s, 0, 23)).ok_or_else(err)?;
    let mm = parts.next().and_then(|s| num(s, 0, 59)).ok_or_else(err)?;
    let ss = parts.next().and_then(|s| num(s, 0, 60)).ok_or_else(err)?;
    let mut dparts = date.splitn(3, '/');
    let day = dparts.next().and_then(|s| num(s, 1, 31)).ok_or_else(err)?;
    let mon = dparts.next().ok_or_else(err)?;
    let month = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(mon))
        .ok_or_else(err)?;
    let year = dparts
        .next()
        .and_then(|s| num(s, 1970, 9999))
        .ok_or_else(err)?;
    let zone = zone.trim();
    let (sign, digits) = match zone.as_bytes().first() {
        Some(b'+') => (1i64, &zone[1..]),
        Some(b'-') => (-1i64, &zone[1..]),
        _ => return Err(err()),
    };
    if digits.len() != 4 {
        return Err(err());
    }
    let zh = num(&digits[..2], 0, 23).ok_or_else(err)?;
    let zm = num(&digits[2..], 0, 59).ok_or_else(err)?;
    #[allow(clippy::cast_possible_truncation)]
    let month = month as u32 + 1;
    let days = days_from_civil(i64::from(year), month, day);
    let local = days * 86_400 + i64::from(hh) * 3600 + i64::from(mm) * 60 + i64::from(ss);
    let offset = sign * (i64::from(zh) * 3600 + i64::from(zm) * 60);
    Ok((local - offset) * 1000)
}

/// Formats ms since the epoch as API Gateway's `requestTime` in UTC (`+0000`).
pub fn format_request_time(epoch_ms: i64) -> String {
    let secs = epoch_ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let tod = secs.rem_euclid(86_400);
    let idx = usize::try_from(m.saturating_sub(1)).unwrap_or(0).min(11);
    format!(
        "{d:02}/{}/{y:04}:{:02}:{:02}:{:02} +0000",
        MONTHS[idx],
        tod / 3600,
        tod / 60 % 60,
        tod % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixed-offset reader agrees with the general one wherever it answers, and answers
    /// for every time API Gateway writes.
    #[test]
    fn fixed_offsets_agree_with_the_general_parser() {
        let mut t: i64 = 0;
        while t < 4_102_444_800_000 {
            let s = format_request_time(t);
            assert_eq!(
                fixed_request_time(s.as_bytes()),
                Some(t - t.rem_euclid(1000)),
                "{s}"
            );
            t += 7_919_993_317;
        }
        for s in [
            "30/Nov/2025:19:00:00 -0500",
            "01/dec/2025:00:00:00 +0130",
            "31/Dec/9999:23:59:60 -2359",
            "00/Dec/2025:00:00:00 +0000",
            "01/Dex/2025:00:00:00 +0000",
            "01/Dec/2025:24:00:00 +0000",
            "01/Dec/2025:00:00:00 *0000",
            "01/Dec/1969:00:00:00 +0000",
            "01/Dec/2025:00:0a:00 +0000",
        ] {
            if let Some(ms) = fixed_request_time(s.as_bytes()) {
                // Skip the fast path: call the general parser on a copy with a trailing space.
                assert_eq!(parse_request_time(&format!("{s} ")), Ok(ms), "{s}");
            } else {
                assert!(parse_request_time(&format!("{s} ")).is_err(), "{s}");
            }
        }
    }

    #[test]
    fn parses_aws_example_time() {
        // 2025-12-01T00:00:00Z is 1764547200 s, as in the schema's example lines.
        assert_eq!(
            parse_request_time("01/Dec/2025:00:00:00 +0000"),
            Ok(1_764_547_200_000)
        );
        // The same instant written in UTC-5.
        assert_eq!(
            parse_request_time("30/Nov/2025:19:00:00 -0500"),
            Ok(1_764_547_200_000)
        );
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "-",
            "01/Foo/2025:00:00:00 +0000",
            "01/Dec/2025 00:00:00",
            "1/Dec/2025:25:00:00 +0000",
        ] {
            assert!(parse_request_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn round_trips() {
        for ms in [0i64, 1_764_547_200_000, 951_782_400_000, 4_102_444_799_000] {
            assert_eq!(parse_request_time(&format_request_time(ms)), Ok(ms));
        }
    }

    #[test]
    fn months_are_utc() {
        assert_eq!(utc_month(1_764_547_200_000), (2025, 12));
        assert_eq!(utc_month(1_764_547_199_999), (2025, 11));
        assert_eq!(utc_date(951_782_400_000), (2000, 2, 29));
        assert_eq!(epoch_ms_of_date(2025, 12, 1), 1_764_547_200_000);
    }
}
