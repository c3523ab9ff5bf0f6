//! Calendar time: when each patient enrols (`[trial.accrual]`).
//!
//! The enrolment rate is piecewise: one rate per month with an optional
//! linear ramp-up from zero, or a list of rates each starting at a given
//! month (the last continuing). Patients enrol in screening order; with
//! `arrivals = "poisson"` the enrolment days are the points of a Poisson
//! process with that rate (the j-th patient at `Lambda^{-1}(E_1 + ... +
//! E_j)`, `E_i ~ Exp(1)`, `Lambda` the expected number enrolled by a day),
//! with `"regular"` the j-th patient (from 0) enrols at `Lambda^{-1}(j)`.
//! The draws come from the trial-level stream of purpose
//! [`Purpose::Enrolment`](crate::rng::Purpose::Enrolment), so a scenario
//! without accrual (everyone on day 0) draws nothing and keeps its results.
//!
//! Months are `365.25 / 12` days.

use crate::rng::StreamRng;
use crate::scenario::error::IssueKind;
use crate::scenario::reader::{Issues, Reader};
use rand_distr::Exp1;
use serde::Serialize;

/// Days per month (the month convention of accrual rates and calendar looks).
pub const DAYS_PER_MONTH: f64 = 365.25 / 12.0;

/// How enrolment days are spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrivals {
    /// A Poisson process with the given rate (random gaps).
    Poisson,
    /// Deterministic: the j-th patient when j patients are expected.
    Regular,
}

pub const ARRIVALS: &[(&str, Arrivals)] = &[
    ("poisson", Arrivals::Poisson),
    ("regular", Arrivals::Regular),
];

/// `[trial.accrual]` as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccrualSpec {
    pub rate_per_month: Vec<f64>,
    pub period_start_months: Option<Vec<f64>>,
    pub ramp_up_months: f64,
    pub arrivals: Arrivals,
}

/// Read `[trial.accrual]`.
pub fn read(t: &Reader) -> AccrualSpec {
    let is_array = t
        .item("rate_per_month")
        .is_some_and(|i| i.as_array().is_some());
    let rate_per_month = if is_array {
        t.f64_array("rate_per_month").unwrap_or_default()
    } else {
        t.req_f64("rate_per_month")
            .map(|x| vec![x])
            .unwrap_or_default()
    };
    let spec = AccrualSpec {
        rate_per_month,
        period_start_months: t.f64_array("period_start_months"),
        ramp_up_months: t.f64_or("ramp_up_months", 0.0),
        arrivals: t.choice_or("arrivals", ARRIVALS, Arrivals::Poisson),
    };
    t.finish(&[
        "rate_per_month",
        "period_start_months",
        "ramp_up_months",
        "arrivals",
    ]);
    spec
}

/// One piece of the enrolment rate: linear from `rate0` to `rate1`
/// (patients per day) over `[start, end)` days.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
struct Piece {
    start: f64,
    end: f64,
    rate0: f64,
    rate1: f64,
}

impl Piece {
    fn slope(&self) -> f64 {
        if self.end.is_finite() {
            (self.rate1 - self.rate0) / (self.end - self.start)
        } else {
            0.0
        }
    }
    /// Expected enrolments in `[start, day]`.
    fn mass_to(&self, day: f64) -> f64 {
        let u = (day.min(self.end) - self.start).max(0.0);
        self.rate0 * u + 0.5 * self.slope() * u * u
    }
}

/// A checked accrual.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Accrual {
    pieces: Vec<Piece>,
    pub arrivals: Arrivals,
    /// In words (reports).
    pub description: String,
}

impl Accrual {
    /// Expected number of patients enrolled by `day`.
    pub fn expected_by(&self, day: f64) -> f64 {
        self.pieces.iter().map(|p| p.mass_to(day)).sum()
    }

    /// The day by which `n` patients are expected (inverse of [`expected_by`](Self::expected_by)).
    pub fn day_of(&self, n: f64) -> f64 {
        let mut left = n.max(0.0);
        for p in &self.pieces {
            let total = if p.end.is_finite() {
                p.mass_to(p.end)
            } else {
                f64::INFINITY
            };
            if left <= total && (p.rate0 > 0.0 || p.rate1 > 0.0) {
                // solve rate0 u + slope u^2 / 2 = left, stable for either sign
                let (b, a) = (p.rate0, 0.5 * p.slope());
                let disc = (b * b + 4.0 * a * left).max(0.0);
                let u = if left == 0.0 {
                    0.0
                } else {
                    2.0 * left / (b + disc.sqrt())
                };
                return p.start + u;
            }
            left -= total;
        }
        f64::INFINITY
    }

    /// Enrolment days of patients `0..n` (screening order).
    pub fn sample_days(&self, n: usize, rng: &mut StreamRng) -> Vec<f64> {
        match self.arrivals {
            Arrivals::Regular => (0..n).map(|j| self.day_of(j as f64)).collect(),
            Arrivals::Poisson => {
                let mut s = 0.0;
                (0..n)
                    .map(|_| {
                        let e: f64 = rand::RngExt::sample(rng, Exp1);
                        s += e;
                        self.day_of(s)
                    })
                    .collect()
            }
        }
    }
}

fn err(issues: &Issues, kind: IssueKind, path: &str, msg: impl Into<String>) {
    issues
        .borrow_mut()
        .push(crate::scenario::error::Issue::new(kind, path, msg));
}

/// Check `[trial.accrual]`.
pub fn validate(s: &AccrualSpec, issues: &Issues) -> Option<Accrual> {
    let before = issues.borrow().len();
    let p = "trial.accrual";
    if s.rate_per_month.is_empty() {
        return None; // reported by the reader
    }
    for (i, &r) in s.rate_per_month.iter().enumerate() {
        if !(0.0..=100_000.0).contains(&r) {
            let key = if s.rate_per_month.len() > 1 {
                format!("{p}.rate_per_month[{i}]")
            } else {
                format!("{p}.rate_per_month")
            };
            err(
                issues,
                IssueKind::OutOfRange,
                &key,
                format!("must be in [0, 100000] patients per month (got {r})"),
            );
        }
    }
    if s.rate_per_month.last().is_some_and(|&r| r <= 0.0) {
        err(
            issues,
            IssueKind::OutOfRange,
            &format!("{p}.rate_per_month"),
            "the last rate must be > 0 (it continues until the trial is full)",
        );
    }
    if !(0.0..=120.0).contains(&s.ramp_up_months) {
        err(
            issues,
            IssueKind::OutOfRange,
            &format!("{p}.ramp_up_months"),
            format!("must be in [0, 120] months (got {})", s.ramp_up_months),
        );
    }
    let mut pieces = Vec::new();
    let day_rate = |r: f64| r / DAYS_PER_MONTH;
    match (&s.period_start_months, s.rate_per_month.len()) {
        (None, 1) => {
            let r = day_rate(s.rate_per_month[0]);
            let ramp = s.ramp_up_months * DAYS_PER_MONTH;
            if ramp > 0.0 {
                pieces.push(Piece {
                    start: 0.0,
                    end: ramp,
                    rate0: 0.0,
                    rate1: r,
                });
            }
            pieces.push(Piece {
                start: ramp,
                end: f64::INFINITY,
                rate0: r,
                rate1: r,
            });
        }
        (None, _) => err(
            issues,
            IssueKind::Missing,
            &format!("{p}.period_start_months"),
            "with several rates, give the month each starts, e.g. period_start_months = [0, 6, 12] (the first 0)",
        ),
        (Some(starts), n) => {
            if s.ramp_up_months > 0.0 {
                err(
                    issues,
                    IssueKind::Inconsistent,
                    &format!("{p}.ramp_up_months"),
                    "a ramp-up goes with a single rate; with per-period rates give the rates of the ramp as periods",
                );
            }
            if starts.len() != n {
                err(
                    issues,
                    IssueKind::Inconsistent,
                    &format!("{p}.period_start_months"),
                    format!(
                        "needs one start per rate ({n} rates, {} starts)",
                        starts.len()
                    ),
                );
            } else if starts.first() != Some(&0.0)
                || starts.windows(2).any(|w| w[1] <= w[0])
                || starts.iter().any(|x| !(0.0..=1200.0).contains(x))
            {
                err(
                    issues,
                    IssueKind::OutOfRange,
                    &format!("{p}.period_start_months"),
                    format!(
                        "must start at 0 and increase strictly, within 1200 months (got {starts:?})"
                    ),
                );
            } else {
                for i in 0..n {
                    let r = day_rate(s.rate_per_month[i]);
                    pieces.push(Piece {
                        start: starts[i] * DAYS_PER_MONTH,
                        end: starts
                            .get(i + 1)
                            .map_or(f64::INFINITY, |x| x * DAYS_PER_MONTH),
                        rate0: r,
                        rate1: r,
                    });
                }
            }
        }
    }
    if issues.borrow().len() > before {
        return None;
    }
    let arrivals = match s.arrivals {
        Arrivals::Poisson => "Poisson arrivals",
        Arrivals::Regular => "regular arrivals",
    };
    let description = match &s.period_start_months {
        None if s.ramp_up_months > 0.0 => format!(
            "{} patients per month after a linear ramp-up over {} months ({arrivals})",
            s.rate_per_month[0], s.ramp_up_months
        ),
        None => format!("{} patients per month ({arrivals})", s.rate_per_month[0]),
        Some(starts) => format!(
            "{} patients per month from months {} ({arrivals})",
            s.rate_per_month
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            starts
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Some(Accrual {
        pieces,
        arrivals: s.arrivals,
        description,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{DesignSlot, Purpose, StreamKey, TRIAL_LEVEL};

    fn accrual(spec: AccrualSpec) -> Accrual {
        let issues = Issues::default();
        let a = validate(&spec, &issues);
        assert!(issues.borrow().is_empty(), "{:?}", issues.borrow());
        a.unwrap()
    }

    #[test]
    fn the_inverse_of_the_expected_count_is_exact_with_a_ramp_and_periods() {
        let ramp = accrual(AccrualSpec {
            rate_per_month: vec![6.0],
            period_start_months: None,
            ramp_up_months: 3.0,
            arrivals: Arrivals::Regular,
        });
        // during the ramp: 6/month * t^2 / (2 * 3 months)
        let d = DAYS_PER_MONTH;
        assert!((ramp.expected_by(3.0 * d) - 9.0).abs() < 1e-12);
        assert!((ramp.expected_by(5.0 * d) - 21.0).abs() < 1e-12);
        for n in [0.0, 0.5, 4.0, 9.0, 9.5, 40.0] {
            let day = ramp.day_of(n);
            assert!((ramp.expected_by(day) - n).abs() < 1e-9, "{n} -> {day}");
        }
        let periods = accrual(AccrualSpec {
            rate_per_month: vec![2.0, 0.0, 5.0],
            period_start_months: Some(vec![0.0, 6.0, 8.0]),
            ramp_up_months: 0.0,
            arrivals: Arrivals::Regular,
        });
        assert!((periods.expected_by(7.0 * d) - 12.0).abs() < 1e-12);
        // the pause: the 12th patient is due at month 6, the 13th after month 8
        assert!((periods.day_of(12.0) - 6.0 * d).abs() < 1e-9);
        assert!((periods.day_of(13.0) - 8.2 * d).abs() < 1e-9);
    }

    #[test]
    fn poisson_arrivals_have_the_expected_rate_and_regular_ones_start_at_day_0() {
        let a = accrual(AccrualSpec {
            rate_per_month: vec![10.0],
            period_start_months: None,
            ramp_up_months: 0.0,
            arrivals: Arrivals::Poisson,
        });
        let mut rng = StreamKey {
            seed: 3,
            design: DesignSlot::Shared,
            replicate: 0,
            patient: TRIAL_LEVEL,
            purpose: Purpose::Enrolment,
        }
        .rng();
        let days = a.sample_days(20_000, &mut rng);
        assert!(days.windows(2).all(|w| w[1] >= w[0]));
        // 20,000 arrivals at 10 per month take 2000 months (SD sqrt(20000)/10)
        let months = days[19_999] / DAYS_PER_MONTH;
        assert!((months - 2000.0).abs() < 4.0 * 14.2, "{months}");
        let r = Accrual {
            arrivals: Arrivals::Regular,
            ..a
        };
        let days = r.sample_days(3, &mut rng);
        assert_eq!(days[0], 0.0);
        assert!((days[2] - 2.0 * DAYS_PER_MONTH / 10.0).abs() < 1e-12);
    }

    #[test]
    fn bad_accruals_are_reported() {
        let issues = Issues::default();
        let out = validate(
            &AccrualSpec {
                rate_per_month: vec![2.0, 0.0],
                period_start_months: Some(vec![0.0]),
                ramp_up_months: 2.0,
                arrivals: Arrivals::Poisson,
            },
            &issues,
        );
        assert!(out.is_none());
        let msgs: Vec<String> = issues.borrow().iter().map(|i| i.path.clone()).collect();
        assert!(msgs.contains(&"trial.accrual.rate_per_month".to_string()));
        assert!(msgs.contains(&"trial.accrual.ramp_up_months".to_string()));
        assert!(msgs.contains(&"trial.accrual.period_start_months".to_string()));
    }
}
