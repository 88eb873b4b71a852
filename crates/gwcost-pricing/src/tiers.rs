//! Monthly volume tiers and the free tier, as exact decimal arithmetic.
//!
//! AWS prices requests, messages, connection minutes and transferred bytes in volume tiers that
//! restart every UTC calendar month and count *all* units of the month; the free tier covers the
//! month's first units, and those free units still count towards the tier thresholds. Everything
//! here is a pure function of a unit count and a tier table.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::price_book::GB;

/// One volume tier: units up to `up_to` (cumulative within the month, None = no upper bound) cost
/// `unit_price` each.
///
/// In TOML tiers are written per million units (`up_to_millions`, `price_per_million`) for
/// requests/messages/minutes, and per GB (`up_to_gb`, `price_per_gb`, GB = 2^30 bytes) for data
/// transfer; in memory everything is per unit (exact Decimal), so one tier walk serves all of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    /// Cumulative upper bound of this tier within the month (exclusive of later tiers); `None` for
    /// the last, unbounded tier.
    pub up_to: Option<u64>,
    /// Price of one unit (one request, message, minute or byte) in this tier.
    pub unit_price: Decimal,
}

/// The units of one tier that a month's usage fell into, and what they cost.
///
/// A bucket with `unit_price` zero that comes first is the free tier's share (see
/// [`tier_breakdown`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierUse {
    /// Units billed at `unit_price`.
    pub units: u64,
    /// Price of one unit in this bucket (zero for the free-tier bucket).
    pub unit_price: Decimal,
    /// `units * unit_price`, unrounded.
    pub cost: Decimal,
}

/// The half-open unit range `[lower, upper)` each tier covers; `upper` is `None` when unbounded.
///
/// Units above the last bound of a table whose last tier is bounded (a validated price book never
/// has one) are priced at the last tier's price: charging them is safer than dropping them, and it
/// keeps cost monotonic in units.
fn tier_ranges(tiers: &[Tier]) -> impl Iterator<Item = (u64, Option<u64>, Decimal)> + '_ {
    let mut lower = 0u64;
    let last = tiers.len().saturating_sub(1);
    tiers.iter().enumerate().map(move |(i, tier)| {
        let upper = if i == last {
            None
        } else {
            tier.up_to.map(|u| u.max(lower))
        };
        let range = (lower, upper, tier.unit_price);
        lower = upper.unwrap_or(u64::MAX);
        range
    })
}

/// Units of `[from, to)` that fall into the tier range `[lower, upper)`.
fn overlap(from: u64, to: u64, lower: u64, upper: Option<u64>) -> u64 {
    let start = from.max(lower);
    let end = upper.map_or(to, |u| to.min(u));
    end.saturating_sub(start)
}

/// `units * price`, saturating instead of panicking on a (pathological) overflow.
fn line_cost(units: u64, unit_price: Decimal) -> Decimal {
    Decimal::from(units).saturating_mul(unit_price)
}

/// What the month's first `units` units cost under `tiers`, exactly (no free tier).
///
/// An empty tier table prices nothing (zero).
pub fn tiered_cost(units: u64, tiers: &[Tier]) -> Decimal {
    tier_ranges(tiers)
        .map(|(lower, upper, price)| line_cost(overlap(0, units, lower, upper), price))
        .fold(Decimal::ZERO, Decimal::saturating_add)
}

/// What `units` cost when the month's first `free_units` are free.
///
/// The free units are the month's first units and still count towards the tier thresholds, so
/// this is `tiered_cost(units) - tiered_cost(min(units, free_units))`.
pub fn tiered_cost_after_free(units: u64, free_units: u64, tiers: &[Tier]) -> Decimal {
    tiered_cost(units, tiers).saturating_sub(tiered_cost(units.min(free_units), tiers))
}

/// The month's units split by tier: first, when any unit is free, one bucket of free units
/// (`unit_price` zero), then one bucket per tier that billed units fell into, in tier order.
///
/// Empty buckets are left out. The buckets' units add up to `units` and their costs to
/// [`tiered_cost_after_free`]`(units, free_units, tiers)`.
pub fn tier_breakdown(units: u64, free_units: u64, tiers: &[Tier]) -> Vec<TierUse> {
    let free = units.min(free_units);
    let mut buckets = Vec::new();
    if free > 0 {
        buckets.push(TierUse {
            units: free,
            unit_price: Decimal::ZERO,
            cost: Decimal::ZERO,
        });
    }
    for (lower, upper, unit_price) in tier_ranges(tiers) {
        let in_tier = overlap(free, units, lower, upper);
        if in_tier > 0 {
            buckets.push(TierUse {
                units: in_tier,
                unit_price,
                cost: line_cost(in_tier, unit_price),
            });
        }
    }
    buckets
}

/// The per-GB price a per-byte data-transfer price was made from: the shortest decimal (at most
/// 18 places) that divides back to the same per-byte price, else the exact product.
///
/// Per-byte prices are a per-GB price divided by 2^30 and rounded to `Decimal`'s 28 places, so
/// multiplying back gives e.g. 0.0899999999999999999…; for any price book read from TOML this
/// recovers the price as written ("0.09").
pub fn per_gb_price(unit_price_per_byte: Decimal) -> Decimal {
    let gb = Decimal::from(GB);
    let exact = unit_price_per_byte.saturating_mul(gb);
    let short = exact.round_dp(18);
    if short / gb == unit_price_per_byte {
        short
    } else {
        exact
    }
}

/// `bytes * per_gb / 2^30`, dividing last so that whole (and most fractional) GB amounts are
/// exact; a result that needs more than 28 decimal places is rounded once.
fn transfer_line_cost(bytes: u64, unit_price_per_byte: Decimal) -> Decimal {
    let gb = Decimal::from(GB);
    match Decimal::from(bytes).checked_mul(per_gb_price(unit_price_per_byte)) {
        Some(product) => product / gb,
        None => line_cost(bytes, unit_price_per_byte),
    }
}

/// [`tier_breakdown`] for data transfer (units = bytes, per-byte tier prices), with each bucket's
/// cost computed from the per-GB price as `bytes * price_per_gb / 2^30`.
///
/// Multiplying bytes by the rounded per-byte price would make 150 GB at $0.09 cost
/// $13.499999999999999992 instead of $13.50; dividing last keeps whole GB amounts exact.
pub fn transfer_breakdown(bytes: u64, free_bytes: u64, tiers: &[Tier]) -> Vec<TierUse> {
    let mut buckets = tier_breakdown(bytes, free_bytes, tiers);
    for b in &mut buckets {
        b.cost = transfer_line_cost(b.units, b.unit_price);
    }
    buckets
}

/// The cost of `bytes` transferred out in a month whose first `free_bytes` are free, priced per
/// GB (see [`transfer_breakdown`]); the bucket costs add up to it.
pub fn transfer_cost_after_free(bytes: u64, free_bytes: u64, tiers: &[Tier]) -> Decimal {
    transfer_breakdown(bytes, free_bytes, tiers)
        .iter()
        .map(|b| b.cost)
        .fold(Decimal::ZERO, Decimal::saturating_add)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// HTTP API, per request: $1.00/M up to 300 M, $0.90/M after.
    fn http() -> Vec<Tier> {
        vec![
            Tier {
                up_to: Some(300_000_000),
                unit_price: d("0.000001"),
            },
            Tier {
                up_to: None,
                unit_price: d("0.0000009"),
            },
        ]
    }

    #[test]
    fn cost_inside_the_first_tier_is_units_times_price() {
        assert_eq!(tiered_cost(1_000_000, &http()), d("1"));
        assert_eq!(tiered_cost(0, &http()), Decimal::ZERO);
    }

    #[test]
    fn cost_crossing_a_threshold_prices_each_side_at_its_own_rate() {
        // 300 M at $1/M plus 1 M at $0.90/M.
        assert_eq!(tiered_cost(301_000_000, &http()), d("300.90"));
    }

    #[test]
    fn empty_tier_table_prices_nothing() {
        assert_eq!(tiered_cost(1_000, &[]), Decimal::ZERO);
        assert!(tier_breakdown(1_000, 0, &[]).is_empty());
    }

    #[test]
    fn units_beyond_a_bounded_last_tier_are_charged_at_its_price() {
        let tiers = vec![Tier {
            up_to: Some(10),
            unit_price: d("2"),
        }];
        assert_eq!(tiered_cost(15, &tiers), d("30"));
    }

    #[test]
    fn free_units_count_towards_thresholds() {
        // 1 M free, 301 M used: the free million is taken from the $1 tier, so 299 M at $1 and
        // 1 M at $0.90 remain.
        assert_eq!(
            tiered_cost_after_free(301_000_000, 1_000_000, &http()),
            d("299.90")
        );
    }

    #[test]
    fn breakdown_lists_the_free_bucket_then_each_billed_tier() {
        let got = tier_breakdown(301_000_000, 1_000_000, &http());
        assert_eq!(
            got,
            vec![
                TierUse {
                    units: 1_000_000,
                    unit_price: Decimal::ZERO,
                    cost: Decimal::ZERO
                },
                TierUse {
                    units: 299_000_000,
                    unit_price: d("0.000001"),
                    cost: d("299")
                },
                TierUse {
                    units: 1_000_000,
                    unit_price: d("0.0000009"),
                    cost: d("0.9")
                },
            ]
        );
    }

    #[test]
    fn breakdown_of_usage_inside_the_free_tier_is_one_free_bucket() {
        let got = tier_breakdown(500_000, 1_000_000, &http());
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].units, 500_000);
        assert_eq!(got[0].cost, Decimal::ZERO);
    }

    /// Ascending bounds with arbitrary prices (a later tier may even be dearer), the last one
    /// unbounded, like a validated price book.
    fn arb_tiers() -> impl Strategy<Value = Vec<Tier>> {
        proptest::collection::vec((1u64..1_000_000, 0u64..5_000_000, 0u32..10), 1..6).prop_map(
            |parts| {
                let mut bound = 0u64;
                let n = parts.len();
                parts
                    .into_iter()
                    .enumerate()
                    .map(|(i, (step, mantissa, scale))| {
                        bound += step;
                        Tier {
                            up_to: (i + 1 < n).then_some(bound),
                            unit_price: Decimal::new(i64::try_from(mantissa).unwrap(), scale),
                        }
                    })
                    .collect()
            },
        )
    }

    proptest! {
        #[test]
        fn buckets_add_up_to_the_units_and_the_cost(
            tiers in arb_tiers(), units in 0u64..5_000_000, free in 0u64..3_000_000,
        ) {
            let buckets = tier_breakdown(units, free, &tiers);
            let unit_sum: u64 = buckets.iter().map(|b| b.units).sum();
            let cost_sum: Decimal = buckets.iter().map(|b| b.cost).sum();
            prop_assert_eq!(unit_sum, units);
            prop_assert_eq!(cost_sum, tiered_cost_after_free(units, free, &tiers));
            for b in &buckets {
                prop_assert_eq!(b.cost, Decimal::from(b.units) * b.unit_price);
            }
        }

        #[test]
        fn cost_never_falls_as_units_rise(
            tiers in arb_tiers(), units in 0u64..5_000_000, more in 0u64..5_000_000,
            free in 0u64..3_000_000,
        ) {
            prop_assert!(tiered_cost(units + more, &tiers) >= tiered_cost(units, &tiers));
            prop_assert!(
                tiered_cost_after_free(units + more, free, &tiers)
                    >= tiered_cost_after_free(units, free, &tiers)
            );
        }

        #[test]
        fn free_tier_never_raises_cost(
            tiers in arb_tiers(), units in 0u64..5_000_000, free in 0u64..3_000_000,
            more_free in 0u64..3_000_000,
        ) {
            let with_free = tiered_cost_after_free(units, free, &tiers);
            prop_assert!(with_free <= tiered_cost(units, &tiers));
            prop_assert!(with_free >= Decimal::ZERO);
            prop_assert!(tiered_cost_after_free(units, free + more_free, &tiers) <= with_free);
        }

        #[test]
        fn transfer_buckets_add_up_and_stay_within_a_rounding_of_per_byte_pricing(
            tiers in arb_tiers(), bytes in 0u64..u64::MAX / 2, free in 0u64..u64::MAX / 2,
        ) {
            let buckets = transfer_breakdown(bytes, free, &tiers);
            let unit_sum: u64 = buckets.iter().map(|b| b.units).sum();
            let cost_sum: Decimal = buckets.iter().map(|b| b.cost).sum();
            prop_assert_eq!(unit_sum, bytes);
            prop_assert_eq!(cost_sum, transfer_cost_after_free(bytes, free, &tiers));
            let per_byte = tiered_cost_after_free(bytes, free, &tiers);
            // Both sides are exact to Decimal's 28-29 significant digits: absolute 1e-6 for
            // ordinary amounts, relative 1e-20 for the astronomically large ones.
            let tolerance = Decimal::new(1, 6).max(per_byte.abs() * Decimal::new(1, 20));
            prop_assert!(
                (cost_sum - per_byte).abs() <= tolerance,
                "{} vs {}",
                cost_sum,
                per_byte
            );
        }

        #[test]
        fn cost_is_the_sum_of_units_in_each_range_times_its_price(
            tiers in arb_tiers(), units in 0u64..5_000_000,
        ) {
            // Independent, unit-by-range recomputation: price every unit by the first tier whose
            // bound lies above it.
            let mut expected = Decimal::ZERO;
            let mut lower = 0u64;
            for tier in &tiers {
                let upper = tier.up_to.unwrap_or(u64::MAX).min(units);
                if upper > lower {
                    expected += Decimal::from(upper - lower) * tier.unit_price;
                    lower = upper;
                }
            }
            prop_assert_eq!(tiered_cost(units, &tiers), expected);
        }
    }
}
