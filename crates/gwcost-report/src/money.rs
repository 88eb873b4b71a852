//! Printing numbers for people: dollars rounded half-even to cents (only here, at print time),
//! counts with thousands separators, byte sizes in binary units.

use rust_decimal::{Decimal, RoundingStrategy};

fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1234567` → `1,234,567`.
pub fn format_count(n: u64) -> String {
    group_thousands(&n.to_string())
}

/// An exact amount as `$1,234.57`, rounded half-even to cents. A positive amount under half a
/// cent prints as `<$0.01`, so a real (if tiny) charge never reads as free.
pub fn format_usd(amount: Decimal) -> String {
    let r = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
    if r.is_zero() && amount > Decimal::ZERO {
        return "<$0.01".to_owned();
    }
    let neg = r.is_sign_negative() && !r.is_zero();
    let s = format!("{:.2}", r.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    format!(
        "{}${}.{}",
        if neg { "-" } else { "" },
        group_thousands(int),
        frac
    )
}

/// A byte count in binary units with two decimals, computed in integers: `1572864` → `1.50 MiB`.
pub fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut unit = 1024u128;
    let mut idx = 0;
    while idx + 1 < UNITS.len() && u128::from(n) >= unit * 1024 {
        unit *= 1024;
        idx += 1;
    }
    // Hundredths, rounded half-up.
    let hundredths = (u128::from(n) * 100 + unit / 2) / unit;
    format!(
        "{}.{:02} {}",
        hundredths / 100,
        hundredths % 100,
        UNITS[idx]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn usd_rounds_half_even_to_cents() {
        let d = |s| Decimal::from_str(s).unwrap();
        assert_eq!(format_usd(d("418.8")), "$418.80");
        assert_eq!(format_usd(d("0.125")), "$0.12");
        assert_eq!(format_usd(d("0.135")), "$0.14");
        assert_eq!(format_usd(d("3033.1")), "$3,033.10");
        assert_eq!(format_usd(d("49763.1")), "$49,763.10");
        assert_eq!(format_usd(d("0.000001")), "<$0.01");
        assert_eq!(format_usd(d("0.005")), "<$0.01");
        assert_eq!(format_usd(d("0.0051")), "$0.01");
        assert_eq!(format_usd(d("0")), "$0.00");
        assert_eq!(format_usd(d("1234567.891")), "$1,234,567.89");
    }

    #[test]
    fn counts_and_bytes() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(1000), "1,000");
        assert_eq!(format_count(432_000_000), "432,000,000");
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(1023), "1023 B");
        assert_eq!(format_bytes(1_572_864), "1.50 MiB");
        assert_eq!(format_bytes(1 << 30), "1.00 GiB");
    }
}
