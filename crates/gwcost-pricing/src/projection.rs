//! Projection: a month's observed usage scaled to the volume it stands for, *before* tiers and
//! the free tier are applied (1% of 400 M requests is not priced like 4 M requests).
//!
//! A [`Factor`] is `scale × days_in_month ÷ days_covered` kept as a fraction, so 31 ÷ 10 is 3.1
//! exactly and 31 ÷ 3 is never rounded before it multiplies a count. Each scaled count is rounded
//! once, half to even.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::Usage;

/// Why a projection cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectionError {
    #[error("--scale must be a decimal greater than 0, not {0}")]
    NonPositiveScale(Decimal),
    #[error("a month cannot be covered by {covered} of its {days} days")]
    BadCoverage { covered: u32, days: u32 },
    #[error("{count} × {factor} overflows a 64-bit count")]
    Overflow { count: u64, factor: Decimal },
}

/// What a month's counts are multiplied by: `scale × days_in_month ÷ days_covered`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Factor {
    /// `--scale` (1 without it).
    pub scale: Decimal,
    /// Days of the month the observation stands for (`None`: no `--project-month`).
    pub days_covered: Option<u32>,
    /// Days in the calendar month (with `--project-month`).
    pub days_in_month: Option<u32>,
}

impl Factor {
    /// No projection: every count as observed.
    pub const ONE: Factor = Factor {
        scale: Decimal::ONE,
        days_covered: None,
        days_in_month: None,
    };

    /// `scale` alone.
    pub fn scale(scale: Decimal) -> Result<Factor, ProjectionError> {
        if scale <= Decimal::ZERO {
            return Err(ProjectionError::NonPositiveScale(scale));
        }
        Ok(Factor {
            scale,
            ..Factor::ONE
        })
    }

    /// `scale`, then the month's `days_covered` observed days stretched to its `days_in_month`.
    pub fn project_month(
        scale: Decimal,
        days_covered: u32,
        days_in_month: u32,
    ) -> Result<Factor, ProjectionError> {
        if days_covered == 0 || days_covered > days_in_month {
            return Err(ProjectionError::BadCoverage {
                covered: days_covered,
                days: days_in_month,
            });
        }
        Ok(Factor {
            days_covered: Some(days_covered),
            days_in_month: Some(days_in_month),
            ..Factor::scale(scale)?
        })
    }

    /// True when counts come out as observed.
    pub fn is_one(&self) -> bool {
        self.value() == Decimal::ONE
    }

    /// The multiplier as one decimal (28 significant digits; for display and JSON only: counts
    /// are scaled with [`Factor::apply`], which divides last).
    pub fn value(&self) -> Decimal {
        match (self.days_in_month, self.days_covered) {
            (Some(d), Some(c)) if c > 0 => {
                (self.scale * Decimal::from(d) / Decimal::from(c)).normalize()
            }
            _ => self.scale.normalize(),
        }
    }

    /// `count × factor`, rounded half to even; an exact product is never rounded.
    pub fn apply(&self, count: u64) -> Result<u64, ProjectionError> {
        let overflow = || ProjectionError::Overflow {
            count,
            factor: self.value(),
        };
        let mut x = Decimal::from(count)
            .checked_mul(self.scale)
            .ok_or_else(overflow)?;
        if let (Some(d), Some(c)) = (self.days_in_month, self.days_covered) {
            x = x
                .checked_mul(Decimal::from(d))
                .and_then(|x| x.checked_div(Decimal::from(c)))
                .ok_or_else(overflow)?;
        }
        let rounded = x.round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven);
        u64::try_from(rounded).map_err(|_| overflow())
    }

    /// Every counter of `usage` scaled (each rounded on its own, half to even).
    pub fn apply_usage(&self, u: &Usage) -> Result<Usage, ProjectionError> {
        Ok(Usage {
            requests: self.apply(u.requests)?,
            billable_requests: self.apply(u.billable_requests)?,
            http_units: self.apply(u.http_units)?,
            rest_units: self.apply(u.rest_units)?,
            oversize_requests: self.apply(u.oversize_requests)?,
            response_bytes: self.apply(u.response_bytes)?,
            ws_connections: self.apply(u.ws_connections)?,
            ws_messages: self.apply(u.ws_messages)?,
            ws_message_units: self.apply(u.ws_message_units)?,
            ws_messages_unsized: self.apply(u.ws_messages_unsized)?,
            ws_connection_minutes: self.apply(u.ws_connection_minutes)?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn scaled_counts_round_half_to_even() {
        let f = Factor::scale(d("2.5")).unwrap();
        assert_eq!(f.apply(1).unwrap(), 2); // 2.5 → 2
        assert_eq!(f.apply(3).unwrap(), 8); // 7.5 → 8
        assert_eq!(f.apply(5).unwrap(), 12); // 12.5 → 12
        assert_eq!(f.apply(0).unwrap(), 0);
        let f = Factor::scale(d("0.05")).unwrap();
        assert_eq!(f.apply(30).unwrap(), 2); // 1.5 → 2
        assert_eq!(f.apply(10).unwrap(), 0); // 0.5 → 0
    }

    #[test]
    fn a_month_covered_10_of_31_days_is_multiplied_by_3_1() {
        let f = Factor::project_month(Decimal::ONE, 10, 31).unwrap();
        assert_eq!(f.value(), d("3.1"));
        assert_eq!(f.apply(10).unwrap(), 31);
        assert_eq!(f.apply(1).unwrap(), 3); // 3.1
        assert_eq!(f.apply(5).unwrap(), 16); // 15.5 → 16
        // 31 ÷ 3 is not rounded before it multiplies: 3 × 31 ÷ 3 = 31 exactly.
        let f = Factor::project_month(Decimal::ONE, 3, 31).unwrap();
        assert_eq!(f.apply(3).unwrap(), 31);
        assert_eq!(f.apply(300).unwrap(), 3100);
    }

    #[test]
    fn scale_and_coverage_multiply() {
        let f = Factor::project_month(d("20"), 10, 31).unwrap();
        assert_eq!(f.value(), d("62"));
        assert_eq!(f.apply(7).unwrap(), 434);
    }

    #[test]
    fn bad_factors_are_errors() {
        assert!(Factor::scale(Decimal::ZERO).is_err());
        assert!(Factor::scale(d("-1")).is_err());
        assert!(Factor::project_month(Decimal::ONE, 0, 31).is_err());
        assert!(Factor::project_month(Decimal::ONE, 32, 31).is_err());
        assert!(Factor::scale(d("1e10")).unwrap().apply(u64::MAX).is_err());
    }

    #[test]
    fn every_usage_counter_is_scaled() {
        let u = Usage {
            requests: 1,
            billable_requests: 2,
            http_units: 3,
            rest_units: 4,
            oversize_requests: 5,
            response_bytes: 6,
            ws_connections: 7,
            ws_messages: 8,
            ws_message_units: 9,
            ws_messages_unsized: 10,
            ws_connection_minutes: 11,
        };
        let s = Factor::scale(d("10")).unwrap().apply_usage(&u).unwrap();
        assert_eq!(
            [
                s.requests,
                s.billable_requests,
                s.http_units,
                s.rest_units,
                s.oversize_requests,
                s.response_bytes,
                s.ws_connections,
                s.ws_messages,
                s.ws_message_units,
                s.ws_messages_unsized,
                s.ws_connection_minutes
            ],
            [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110]
        );
    }
}
