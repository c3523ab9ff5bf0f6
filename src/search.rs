//! Sample-size (or any monotone key) search: the smallest value of a numeric
//! scenario key whose power reaches a target, by stochastic root finding on
//! a grid.
//!
//! Power is estimated by simulation at each value the search visits, with
//! common random numbers (the same patients at every value), which keeps the
//! estimated curve close to monotone. The search
//!
//! 1. evaluates a coarse, evenly spaced set of grid values (including both
//!    ends) and decides from the ends whether power increases or decreases
//!    with the key;
//! 2. bisects on the grid for the first value whose estimated power reaches
//!    the target (in the direction of increasing power: the smallest value
//!    if power increases, the largest if it decreases);
//! 3. refines its uncertainty by two more bisections: the first value whose
//!    95% Wilson interval reaches the target (below it, the design clearly
//!    falls short) and the first whose interval lies entirely above it (from
//!    there on, it clearly reaches it).
//!
//! Every evaluation is cached, so the three bisections share work. The
//! simulation is behind a closure: this module decides where to look, the
//! caller runs the trials.

use crate::analysis::interval;
use serde::Serialize;
use std::collections::BTreeMap;
use thiserror::Error;

/// The values a search may visit: `min + k * step` for `k = 0..=count-1`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Grid {
    pub min: f64,
    pub step: f64,
    pub count: u64,
    /// Integer keys (values are whole numbers).
    pub integer: bool,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum SearchError {
    #[error("--min ({min}) must be below --max ({max})")]
    EmptyRange { min: f64, max: f64 },
    #[error("--step must be positive (got {0})")]
    BadStep(f64),
    #[error("the key is an integer: --min, --max and --step must be whole numbers")]
    NotInteger,
    #[error("the grid from {min} to {max} by {step} has {count} values; at most 1000000")]
    TooFine {
        min: f64,
        max: f64,
        step: f64,
        count: f64,
    },
    #[error("--target-power must be in (0, 1) (got {0})")]
    BadTarget(f64),
}

impl Grid {
    /// The grid from `min` to `max` (inclusive, rounded down to a whole
    /// number of steps).
    pub fn new(min: f64, max: f64, step: f64, integer: bool) -> Result<Grid, SearchError> {
        if !(step > 0.0 && step.is_finite()) {
            return Err(SearchError::BadStep(step));
        }
        if !(min.is_finite() && max.is_finite() && min < max) {
            return Err(SearchError::EmptyRange { min, max });
        }
        if integer && (min.fract() != 0.0 || max.fract() != 0.0 || step.fract() != 0.0) {
            return Err(SearchError::NotInteger);
        }
        let count = ((max - min) / step + 1e-9).floor() + 1.0;
        if count > 1e6 {
            return Err(SearchError::TooFine {
                min,
                max,
                step,
                count,
            });
        }
        Ok(Grid {
            min,
            step,
            count: count as u64,
            integer,
        })
    }
    pub fn value(&self, k: u64) -> f64 {
        let v = self.min + k as f64 * self.step;
        if self.integer { v.round() } else { v }
    }
    pub fn last(&self) -> u64 {
        self.count - 1
    }
}

/// Power increases or decreases with the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Increasing,
    Decreasing,
}

/// How the search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchStatus {
    /// A value inside the range reaches the target and its neighbour does not.
    Found,
    /// Already the weakest end of the range reaches the target.
    ReachedAtBound,
    /// Not even the strongest end of the range reaches the target.
    NotReached,
}

/// One simulated grid value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Evaluation {
    pub value: f64,
    pub rejections: u64,
    pub replicates: u64,
    pub power: f64,
    pub power_ci_low: f64,
    pub power_ci_high: f64,
    /// Order in which the search visited it (0 first).
    pub order: usize,
}

impl Evaluation {
    fn new(value: f64, rejections: u64, replicates: u64, order: usize) -> Evaluation {
        let (power, lo, hi) = if replicates == 0 {
            (0.0, 0.0, 1.0)
        } else {
            let (lo, hi) = interval::wilson(rejections, replicates, 0.95);
            (rejections as f64 / replicates as f64, lo, hi)
        };
        Evaluation {
            value,
            rejections,
            replicates,
            power,
            power_ci_low: lo,
            power_ci_high: hi,
            order,
        }
    }
    pub fn power_mcse(&self) -> f64 {
        if self.replicates == 0 {
            0.0
        } else {
            (self.power * (1.0 - self.power) / self.replicates as f64).sqrt()
        }
    }
}

/// The answer and everything evaluated on the way.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResult {
    pub target_power: f64,
    pub direction: Direction,
    pub status: SearchStatus,
    /// The first value (in the direction of increasing power) whose
    /// estimated power reaches the target; `None` if none does.
    pub answer: Option<f64>,
    /// The first value whose 95% interval reaches the target: designs
    /// weaker than it clearly fall short.
    pub plausible_from: Option<f64>,
    /// The first value whose 95% interval lies at or above the target: from
    /// it on the target is reached with 95% confidence (`None`: not within
    /// the range).
    pub confident_from: Option<f64>,
    /// Evaluations in order of the key.
    pub evaluations: Vec<Evaluation>,
}

impl SearchResult {
    pub fn at(&self, value: f64) -> Option<&Evaluation> {
        self.evaluations.iter().find(|e| e.value == value)
    }

    /// The uncertainty of the answer in words, values formatted by `f`.
    pub fn uncertainty(&self, f: &dyn Fn(f64) -> String) -> Option<String> {
        let a = self.plausible_from?;
        let (short, reach) = match self.direction {
            Direction::Increasing => ("below", "from"),
            Direction::Decreasing => ("above", "up to"),
        };
        Some(match self.confident_from {
            Some(b) => format!(
                "uncertain between {} and {}: {short} {} power is clearly short of the target, {reach} {} it clearly reaches it (95% Wilson intervals)",
                f(a.min(b)),
                f(a.max(b)),
                f(a),
                f(b)
            ),
            None => {
                let range = match self.direction {
                    Direction::Increasing => format!("from {} on", f(a)),
                    Direction::Decreasing => format!("up to {}", f(a)),
                };
                format!(
                    "uncertain {range}: {short} {} power is clearly short of the target; no value searched clearly reaches it (95% Wilson intervals)",
                    f(a)
                )
            }
        })
    }
}

/// Options of a search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchOptions {
    pub target_power: f64,
    /// Evenly spaced values evaluated first (at least 2: both ends).
    pub coarse_points: u64,
}

struct Cache<'a, E> {
    grid: Grid,
    evaluate: &'a mut dyn FnMut(f64) -> Result<(u64, u64), E>,
    seen: BTreeMap<u64, Evaluation>,
}

impl<E> Cache<'_, E> {
    fn get(&mut self, k: u64) -> Result<Evaluation, E> {
        if let Some(e) = self.seen.get(&k) {
            return Ok(*e);
        }
        let v = self.grid.value(k);
        let (rej, n) = (self.evaluate)(v)?;
        let e = Evaluation::new(v, rej, n, self.seen.len());
        self.seen.insert(k, e);
        Ok(e)
    }
}

/// Search the grid. `evaluate(value)` simulates the design at `value` and
/// returns `(rejections, replicates)` for the endpoint of interest.
pub fn search<E>(
    grid: Grid,
    opts: SearchOptions,
    evaluate: &mut dyn FnMut(f64) -> Result<(u64, u64), E>,
) -> Result<SearchResult, E>
where
    E: From<SearchError>,
{
    let target = opts.target_power;
    if !(target > 0.0 && target < 1.0) {
        return Err(SearchError::BadTarget(target).into());
    }
    let mut c = Cache {
        grid,
        evaluate,
        seen: BTreeMap::new(),
    };
    let last = grid.last();
    // 1. coarse scan (ends first, so the direction is known early)
    let coarse = opts.coarse_points.clamp(2, grid.count);
    let mut ks: Vec<u64> = vec![0, last];
    ks.extend(
        (1..coarse - 1).map(|j| ((j as f64 * last as f64 / (coarse - 1) as f64).round()) as u64),
    );
    for &k in &ks {
        c.get(k)?;
    }
    let (p0, p1) = (c.seen[&0].power, c.seen[&last].power);
    let direction = if p1 >= p0 {
        Direction::Increasing
    } else {
        Direction::Decreasing
    };
    // j runs in the direction of increasing power
    let k_of = |j: u64| {
        if direction == Direction::Increasing {
            j
        } else {
            last - j
        }
    };
    // 2. the answer
    let answer = first_passing(&mut c, direction, &|e| e.power >= target)?;
    // 3. its uncertainty
    let plausible = first_passing(&mut c, direction, &|e| e.power_ci_high >= target)?;
    let confident = first_passing(&mut c, direction, &|e| e.power_ci_low >= target)?;
    let status = match answer {
        None => SearchStatus::NotReached,
        Some(0) => SearchStatus::ReachedAtBound,
        Some(_) => SearchStatus::Found,
    };
    let value = |j: Option<u64>| j.map(|j| grid.value(k_of(j)));
    Ok(SearchResult {
        target_power: target,
        direction,
        status,
        answer: value(answer),
        plausible_from: value(plausible),
        confident_from: value(confident),
        evaluations: c.seen.into_values().collect(),
    })
}

/// The smallest `j` (grid index counted in the direction of increasing
/// power) whose evaluation satisfies `pred`, bisecting between the largest
/// known failure and the smallest known success.
fn first_passing<E>(
    c: &mut Cache<'_, E>,
    direction: Direction,
    pred: &dyn Fn(&Evaluation) -> bool,
) -> Result<Option<u64>, E> {
    let last = c.grid.last();
    let k_of = |j: u64| {
        if direction == Direction::Increasing {
            j
        } else {
            last - j
        }
    };
    let known: Vec<(u64, bool)> = c.seen.iter().map(|(&k, e)| (k_of(k), pred(e))).collect();
    let Some(mut hi) = known.iter().filter(|(_, ok)| *ok).map(|(j, _)| *j).min() else {
        return Ok(None);
    };
    let Some(mut lo) = known
        .iter()
        .filter(|(j, ok)| !*ok && *j < hi)
        .map(|(j, _)| *j)
        .max()
    else {
        return Ok(Some(hi));
    };
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if pred(&c.get(k_of(mid))?) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(Some(hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct E(#[allow(dead_code)] SearchError);
    impl From<SearchError> for E {
        fn from(e: SearchError) -> Self {
            E(e)
        }
    }

    /// Exact power curve (no noise): rejections = round(p * n).
    fn exact(f: impl Fn(f64) -> f64, n: u64) -> impl FnMut(f64) -> Result<(u64, u64), E> {
        move |x| Ok(((f(x) * n as f64).round() as u64, n))
    }

    fn opts() -> SearchOptions {
        SearchOptions {
            target_power: 0.8,
            coarse_points: 5,
        }
    }

    #[test]
    fn finds_the_smallest_integer_reaching_the_target() {
        // power of a two-sample z test with effect 0.5 SD: n = 63 per arm gives 0.80
        let power = |n: f64| {
            let z = 0.5 * (n / 2.0).sqrt() - 1.959964;
            crate::analysis::special::norm_cdf(z)
        };
        let grid = Grid::new(5.0, 200.0, 1.0, true).unwrap();
        let mut calls = 0;
        let mut f = exact(power, 100_000);
        let mut counted = |x: f64| {
            calls += 1;
            f(x)
        };
        let r = search(grid, opts(), &mut counted).unwrap();
        assert_eq!(r.direction, Direction::Increasing);
        assert_eq!(r.status, SearchStatus::Found);
        // 2 (1.959964 + 0.841621)^2 / 0.5^2 = 62.8 -> 63
        assert_eq!(r.answer, Some(63.0));
        assert!(r.at(62.0).unwrap().power < 0.8 && r.at(63.0).unwrap().power >= 0.8);
        let (a, b) = (r.plausible_from.unwrap(), r.confident_from.unwrap());
        assert!(a <= 63.0 && b >= 63.0 && b - a <= 2.0, "{a} {b}");
        assert!(calls < 30, "{calls} evaluations");
        assert!(r.evaluations.windows(2).all(|w| w[0].value < w[1].value));
    }

    #[test]
    fn a_decreasing_curve_gives_the_largest_value() {
        // power falls with the key: 0.95 at 0, 0.5 at 100
        let grid = Grid::new(0.0, 100.0, 0.5, false).unwrap();
        let r = search(grid, opts(), &mut exact(|x| 0.95 - 0.0045 * x, 1_000_000)).unwrap();
        assert_eq!(r.direction, Direction::Decreasing);
        assert_eq!(r.answer, Some(33.0)); // 0.95 - 0.0045 * 33.33 = 0.8
        assert!(r.plausible_from.unwrap() >= 33.0 && r.confident_from.unwrap() <= 33.0);
        let text = r.uncertainty(&|x| format!("{x}")).unwrap();
        assert!(
            text.starts_with("uncertain between 33 and 33") || text.contains("above"),
            "{text}"
        );
    }

    #[test]
    fn bounds_and_unreachable_targets_are_reported() {
        let grid = Grid::new(10.0, 20.0, 1.0, true).unwrap();
        let r = search(grid, opts(), &mut exact(|_| 0.3, 1000)).unwrap();
        assert_eq!(r.status, SearchStatus::NotReached);
        assert_eq!(r.answer, None);
        let r = search(grid, opts(), &mut exact(|x| 0.85 + x / 1000.0, 1000)).unwrap();
        assert_eq!(r.status, SearchStatus::ReachedAtBound);
        assert_eq!(r.answer, Some(10.0));
    }

    #[test]
    fn noisy_estimates_give_an_uncertainty_band_around_the_answer() {
        // 200 replicates: the band is several values wide and contains the truth
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let grid = Grid::new(10.0, 100.0, 1.0, true).unwrap();
        let truth = |n: f64| (n / 100.0).min(1.0); // 0.8 at 80
        let mut noisy = |x: f64| -> Result<(u64, u64), E> {
            Ok((
                (0..200).filter(|_| rng.random::<f64>() < truth(x)).count() as u64,
                200,
            ))
        };
        let r = search(grid, opts(), &mut noisy).unwrap();
        let (a, b) = (r.plausible_from.unwrap(), r.confident_from.unwrap_or(100.0));
        assert!(a < b, "{a} {b}");
        assert!((a..=b).contains(&80.0), "{a} {b}");
        assert!(a <= r.answer.unwrap() && r.answer.unwrap() <= b);
    }

    #[test]
    fn bad_grids_are_refused() {
        assert!(Grid::new(10.0, 5.0, 1.0, true).is_err());
        assert!(Grid::new(1.0, 5.0, 0.5, true).is_err());
        assert!(Grid::new(1.0, 5.0, 0.0, false).is_err());
        assert_eq!(Grid::new(1.0, 2.0, 0.3, false).unwrap().count, 4);
        assert!(
            search(
                Grid::new(1.0, 2.0, 1.0, true).unwrap(),
                SearchOptions {
                    target_power: 1.5,
                    coarse_points: 2
                },
                &mut exact(|_| 0.5, 10)
            )
            .is_err()
        );
    }
}
