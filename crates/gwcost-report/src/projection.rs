//! Projection of observed traffic to the volume it stands for (`--scale F`, `--project-month`,
//! `--window START..END`): each month's counters are multiplied by its own [`Factor`] *before*
//! any report prices them, so the tiers and the free tier see the projected volume.
//!
//! [`project`] returns the scaled [`Analysis`] (which every report model prices exactly as it
//! prices observed traffic) and one [`MonthProjection`] per month saying what was scaled and by
//! how much; the reports keep the observed figures beside the projected ones.

use std::collections::BTreeMap;

use gwcost_analytics::{Analysis, Breakdown, Day, Month};
use gwcost_pricing::{Factor, ProjectionError};
use rust_decimal::Decimal;
use serde::Serialize;

/// What to project.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectionSpec {
    /// `--scale F` (F > 0): replicas, or the inverse of a sampling rate.
    pub scale: Option<Decimal>,
    /// `--project-month`: stretch each month's covered days to the whole calendar month.
    pub project_month: bool,
    /// `--window START..END` (inclusive UTC days): the days the logs are known to cover, instead
    /// of the span from each month's first to its last event.
    pub window: Option<(Day, Day)>,
}

impl ProjectionSpec {
    /// True when nothing is projected (reports stay exactly as observed).
    pub fn is_none(&self) -> bool {
        self.scale.is_none() && !self.project_month
    }
}

/// What one month was scaled by; every format says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthProjection {
    /// `YYYY-MM`.
    pub month: String,
    /// The multiplier applied to every count, unit, minute and byte total of the month (exact
    /// when it terminates, else 28 significant digits; counts are scaled dividing last).
    pub factor: Decimal,
    /// `--scale` (1 without it).
    pub scale: Decimal,
    /// With `--project-month`: the days of the month the logs cover, first and last included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_covered: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_in_month: Option<u32>,
    /// The covered span (`YYYY-MM-DD`), from the events or from `--window`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub covered_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub covered_to: Option<String>,
    /// `events` (first to last event of the month) or `window` (`--window`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage_from: Option<String>,
}

impl MonthProjection {
    /// `2026-10: ×3.1 (31 days ÷ 10 covered, 2026-10-01..2026-10-10 from the events)`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.scale != Decimal::ONE {
            parts.push(format!("--scale {}", self.scale.normalize()));
        }
        if let (Some(c), Some(d)) = (self.days_covered, self.days_in_month) {
            let span = match (&self.covered_from, &self.covered_to) {
                (Some(a), Some(b)) => format!(
                    ", {a}..{b} from the {}",
                    self.coverage_from.as_deref().unwrap_or("events")
                ),
                _ => String::new(),
            };
            parts.push(format!("{d} days ÷ {c} covered{span}"));
        }
        format!(
            "{}: ×{} ({})",
            self.month,
            display_factor(self.factor),
            parts.join("; ")
        )
    }
}

/// A factor for people: exact when short, else 6 decimal places.
pub(crate) fn display_factor(f: Decimal) -> String {
    let rounded = f.round_dp(6).normalize();
    if rounded == f.normalize() {
        rounded.to_string()
    } else {
        format!("{rounded}…")
    }
}

/// Days in a calendar month of the proleptic Gregorian calendar.
pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            if leap { 29 } else { 28 }
        }
    }
}

/// Why a projection cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectError {
    #[error(transparent)]
    Factor(#[from] ProjectionError),
    #[error("--window {from}..{to} does not cover {month}, which has events")]
    WindowMissesMonth {
        from: String,
        to: String,
        month: String,
    },
    #[error("--window {from}..{to} ends before it starts")]
    WindowReversed { from: String, to: String },
    /// Events on days outside `--window`: stretching the window to the month would bill them on
    /// top of the projection (a fully logged October × 3.1), so this is refused, never guessed.
    #[error(
        "--window {from}..{to} leaves out {events} requests and messages logged on {days} days ({first}..{last}); \
         the window must hold every event it projects: widen --window, or leave those days out \
         with --since/--until"
    )]
    EventsOutsideWindow {
        from: String,
        to: String,
        events: u64,
        days: usize,
        first: String,
        last: String,
    },
}

/// Refuses a `--window` that misses days with events (see [`ProjectError::EventsOutsideWindow`]).
fn check_window(analysis: &Analysis, (from, to): (Day, Day)) -> Result<(), ProjectError> {
    let outside: Vec<(&Day, &gwcost_pricing::Usage)> = analysis
        .days
        .iter()
        .filter(|(d, _)| **d < from || **d > to)
        .collect();
    let (Some((first, _)), Some((last, _))) = (outside.first(), outside.last()) else {
        return Ok(());
    };
    Err(ProjectError::EventsOutsideWindow {
        from: from.to_string(),
        to: to.to_string(),
        events: outside
            .iter()
            .map(|(_, u)| u.requests + u.ws_messages)
            .sum(),
        days: outside.len(),
        first: first.to_string(),
        last: last.to_string(),
    })
}

/// The covered days of `month`: from `window` when given, else from the month's first to its
/// last day with events.
fn coverage(
    month: Month,
    days: &BTreeMap<Day, gwcost_pricing::Usage>,
    window: Option<(Day, Day)>,
) -> Result<(u32, u32, &'static str), ProjectError> {
    let dim = days_in_month(month.year, month.month);
    if let Some((from, to)) = window {
        let first = if from.month() == month {
            from.day
        } else if from.month() < month {
            1
        } else {
            dim + 1
        };
        let last = if to.month() == month {
            to.day
        } else if to.month() > month {
            dim
        } else {
            0
        };
        if first > last {
            return Err(ProjectError::WindowMissesMonth {
                from: from.to_string(),
                to: to.to_string(),
                month: month.to_string(),
            });
        }
        return Ok((first, last, "window"));
    }
    let first = days.keys().find(|d| d.month() == month).map(|d| d.day);
    let last = days
        .keys()
        .rev()
        .find(|d| d.month() == month)
        .map(|d| d.day);
    Ok(match (first, last) {
        (Some(a), Some(b)) => (a, b, "events"),
        // A month without dated days (cannot happen for metered events): as observed.
        _ => (1, dim, "events"),
    })
}

fn scale_breakdown(b: &mut Option<Breakdown>, f: &Factor) -> Result<(), ProjectionError> {
    for u in b.iter_mut().flat_map(|m| m.values_mut()) {
        *u = f.apply_usage(u)?;
    }
    Ok(())
}

/// The analysis as projected, and what each month was scaled by (empty when `spec` projects
/// nothing). Payload-size histograms stay as observed (their shape is the same).
pub fn project(
    analysis: &Analysis,
    spec: &ProjectionSpec,
) -> Result<(Analysis, Vec<MonthProjection>), ProjectError> {
    if spec.is_none() {
        return Ok((analysis.clone(), Vec::new()));
    }
    if let Some((from, to)) = spec.window
        && to < from
    {
        return Err(ProjectError::WindowReversed {
            from: from.to_string(),
            to: to.to_string(),
        });
    }
    let scale = spec.scale.unwrap_or(Decimal::ONE);
    let mut out = analysis.clone();
    let mut said = Vec::new();
    let mut factors: BTreeMap<Month, Factor> = BTreeMap::new();
    for (month, mu) in &mut out.months {
        let mut mp = MonthProjection {
            month: month.to_string(),
            factor: Decimal::ONE,
            scale,
            days_covered: None,
            days_in_month: None,
            covered_from: None,
            covered_to: None,
            coverage_from: None,
        };
        let factor = if spec.project_month {
            let (first, last, source) = coverage(*month, &analysis.days, spec.window)?;
            let dim = days_in_month(month.year, month.month);
            let day = |d: u32| {
                Day {
                    year: month.year,
                    month: month.month,
                    day: d,
                }
                .to_string()
            };
            mp.days_covered = Some(last - first + 1);
            mp.days_in_month = Some(dim);
            mp.covered_from = Some(day(first));
            mp.covered_to = Some(day(last));
            mp.coverage_from = Some(source.to_owned());
            Factor::project_month(scale, last - first + 1, dim)?
        } else {
            Factor::scale(scale)?
        };
        mp.factor = factor.value();
        mu.usage = factor.apply_usage(&mu.usage)?;
        scale_breakdown(&mut mu.by_route, &factor)?;
        scale_breakdown(&mut mu.by_stage, &factor)?;
        scale_breakdown(&mut mu.by_status, &factor)?;
        factors.insert(*month, factor);
        said.push(mp);
    }
    // After the months: a month the window misses entirely is said as such above.
    if let Some(window) = spec.window
        && spec.project_month
    {
        check_window(analysis, window)?;
    }
    for (day, u) in &mut out.days {
        if let Some(f) = factors.get(&day.month()) {
            *u = f.apply_usage(u)?;
        }
    }
    // The ALB's hours scale like the months they fall in (the same traffic, more of it).
    for (hour_ms, t) in &mut out.alb_hours {
        if let Some(f) = factors.get(&Day::of_epoch_ms(*hour_ms).month()) {
            t.requests = f.apply(t.requests)?;
            t.processed_bytes = f.apply(t.processed_bytes)?;
            t.new_connections = f.apply(t.new_connections)?;
            t.active_connection_minutes = f.apply(t.active_connection_minutes)?;
            t.requests_without_connection = f.apply(t.requests_without_connection)?;
        }
    }
    Ok((out, said))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use gwcost_analytics::MonthUsage;
    use gwcost_pricing::Usage;

    fn day(d: u32) -> Day {
        Day {
            year: 2026,
            month: 10,
            day: d,
        }
    }

    fn october(days: &[u32]) -> Analysis {
        let mut a = Analysis::default();
        let month = day(1).month();
        for &d in days {
            let u = Usage {
                requests: 1,
                billable_requests: 1,
                http_units: 1,
                rest_units: 1,
                ..Usage::default()
            };
            a.days.insert(day(d), u);
            a.months
                .entry(month)
                .or_insert_with(|| MonthUsage {
                    usage: Usage::default(),
                    by_route: None,
                    by_stage: None,
                    by_status: None,
                })
                .usage += u;
        }
        a
    }

    #[test]
    fn coverage_is_first_to_last_event_day() {
        let a = october(&[3, 5, 12]);
        let spec = ProjectionSpec {
            project_month: true,
            ..ProjectionSpec::default()
        };
        let (p, said) = project(&a, &spec).unwrap();
        // 3..12 is 10 days of 31: ×3.1; 3 requests → 9.3 → 9.
        assert_eq!(said[0].days_covered, Some(10));
        assert_eq!(said[0].factor, "3.1".parse::<Decimal>().unwrap());
        assert_eq!(p.months[&day(1).month()].usage.requests, 9);
        assert_eq!(
            said[0].describe(),
            "2026-10: ×3.1 (31 days ÷ 10 covered, 2026-10-03..2026-10-12 from the events)"
        );
    }

    #[test]
    fn a_window_must_hold_every_event() {
        // Events on 3, 5 and 12 October; a window of 1–10 October would stretch 3 and 5 to the
        // month (×3.1) and add the 12th on top.
        let a = october(&[3, 5, 12]);
        let spec = ProjectionSpec {
            project_month: true,
            window: Some((day(1), day(10))),
            ..ProjectionSpec::default()
        };
        let e = project(&a, &spec).unwrap_err();
        assert_eq!(
            e,
            ProjectError::EventsOutsideWindow {
                from: "2026-10-01".into(),
                to: "2026-10-10".into(),
                events: 1,
                days: 1,
                first: "2026-10-12".into(),
                last: "2026-10-12".into(),
            }
        );
        // Without --project-month a window is not used (clap requires it anyway).
        let spec = ProjectionSpec {
            scale: Some(Decimal::TWO),
            window: Some((day(1), day(10))),
            ..ProjectionSpec::default()
        };
        assert!(project(&a, &spec).is_ok());
    }

    #[test]
    fn a_window_overrides_the_event_span() {
        let a = october(&[3, 5, 12]);
        let spec = ProjectionSpec {
            project_month: true,
            window: Some((day(1), day(31))),
            ..ProjectionSpec::default()
        };
        let (p, said) = project(&a, &spec).unwrap();
        assert_eq!(said[0].days_covered, Some(31));
        assert_eq!(p.months[&day(1).month()].usage.requests, 3);
        let spec = ProjectionSpec {
            project_month: true,
            window: Some((
                Day {
                    year: 2026,
                    month: 11,
                    day: 1,
                },
                Day {
                    year: 2026,
                    month: 11,
                    day: 2,
                },
            )),
            ..ProjectionSpec::default()
        };
        assert!(matches!(
            project(&a, &spec),
            Err(ProjectError::WindowMissesMonth { .. })
        ));
    }
}
