//! Every kernel on random and degenerate inputs: never a panic, never a NaN
//! p-value. Each call either returns a result with p ∈ [0, 1] (and a
//! non-NaN estimate and statistic) or a `NotAnalysable` reason.
//!
//! Validation level: property test (seeded, deterministic; no proptest).

use hfsim::analysis::{
    Alternative, NotAnalysable, SurvivalObs, TestOutcome, ancova, fisher, interval, logrank,
    multiplicity, nct, power, proportions, ttest, wilcoxon,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SPECIAL: [f64; 18] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    3.0,
    3.0,
    0.1,
    1e-300,
    -1e-300,
    1e300,
    -1e300,
    f64::MAX,
    f64::MIN,
    f64::MIN_POSITIVE,
    f64::EPSILON,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
];

const ALTERNATIVES: [Alternative; 3] = [
    Alternative::TwoSided,
    Alternative::Greater,
    Alternative::Less,
];

fn value(r: &mut ChaCha8Rng) -> f64 {
    match r.random_range(0..4) {
        0 => SPECIAL[r.random_range(0..SPECIAL.len())],
        1 => f64::from(r.random_range(-3i32..4)),
        _ => r.random::<f64>() * 10.0 - 5.0,
    }
}

fn slice(r: &mut ChaCha8Rng, finite_only: bool) -> Vec<f64> {
    let n = r.random_range(0..8);
    (0..n)
        .map(|_| {
            loop {
                let v = value(r);
                if !finite_only || v.is_finite() {
                    break v;
                }
            }
        })
        .collect()
}

fn check(outcome: &TestOutcome, context: &str) {
    match outcome {
        Ok(res) => {
            assert!(
                (0.0..=1.0).contains(&res.p_value),
                "{context}: p = {} for {res:?}",
                res.p_value
            );
            assert!(!res.statistic.is_nan(), "{context}: NaN statistic {res:?}");
            assert!(!res.estimate.is_nan(), "{context}: NaN estimate {res:?}");
            if let Some(df) = res.df {
                assert!(df > 0.0 && df.is_finite(), "{context}: df {df}");
            }
        }
        Err(reason) => {
            // Every reason has a message.
            assert!(!reason.to_string().is_empty());
        }
    }
}

#[test]
fn continuous_kernels_never_panic_or_return_nan_p_values() {
    let mut r = ChaCha8Rng::seed_from_u64(1);
    for i in 0..4000 {
        let finite_only = i % 2 == 0;
        let t = slice(&mut r, finite_only);
        let c = slice(&mut r, finite_only);
        let ctx = format!("{t:?} vs {c:?}");
        for alt in ALTERNATIVES {
            check(&ttest::student(&t, &c, alt), &format!("student {ctx}"));
            check(&ttest::welch(&t, &c, alt), &format!("welch {ctx}"));
            for method in [
                wilcoxon::Method::Auto,
                wilcoxon::Method::Exact,
                wilcoxon::Method::Normal,
            ] {
                check(
                    &wilcoxon::rank_sum(&t, &c, alt, method),
                    &format!("rank-sum {ctx}"),
                );
            }
            let pairs = |v: &[f64]| -> Vec<(f64, f64)> {
                v.chunks(2)
                    .filter(|p| p.len() == 2)
                    .map(|p| (p[0], p[1]))
                    .collect()
            };
            check(
                &ancova::treatment_effect(&pairs(&t), &pairs(&c), alt),
                &format!("ancova {ctx}"),
            );
        }
        let _ = wilcoxon::hodges_lehmann(&t, &c);
    }
}

#[test]
fn degenerate_continuous_data_are_not_analysable() {
    let a = Alternative::TwoSided;
    for kernel in [ttest::student, ttest::welch] {
        assert!(matches!(
            kernel(&[], &[1.0, 2.0], a),
            Err(NotAnalysable::TooFewObservations { .. })
        ));
        assert!(matches!(
            kernel(&[1.0], &[1.0, 2.0], a),
            Err(NotAnalysable::TooFewObservations { .. })
        ));
        assert_eq!(
            kernel(&[2.0, 2.0], &[1.0, 1.0], a),
            Err(NotAnalysable::ZeroVariance)
        );
        assert_eq!(
            kernel(&[2.0, f64::NAN], &[1.0, 3.0], a),
            Err(NotAnalysable::NonFinite)
        );
        assert_eq!(
            kernel(&[1e300, -1e300], &[1.0, 3.0], a),
            Err(NotAnalysable::Overflow)
        );
    }
    assert_eq!(
        wilcoxon::rank_sum(&[4.0], &[4.0, 4.0], a, wilcoxon::Method::Auto),
        Err(NotAnalysable::ZeroVariance)
    );
}

#[test]
fn survival_kernels_never_panic_or_return_nan_p_values() {
    let mut r = ChaCha8Rng::seed_from_u64(2);
    for i in 0..3000 {
        let arm = |r: &mut ChaCha8Rng| -> Vec<SurvivalObs> {
            let n = r.random_range(0..9);
            (0..n)
                .map(|_| SurvivalObs {
                    time: if i % 3 == 0 {
                        value(r)
                    } else {
                        f64::from(r.random_range(0i32..5))
                    },
                    event: r.random_bool(0.5),
                })
                .collect()
        };
        let t = arm(&mut r);
        let c = arm(&mut r);
        for alt in ALTERNATIVES {
            check(
                &logrank::test(&t, &c, alt),
                &format!("log-rank {t:?} vs {c:?}"),
            );
        }
        if let Some(hr) = logrank::pike_hazard_ratio(&t, &c) {
            assert!(hr >= 0.0, "Pike HR {hr}");
        }
        if let Some(hr) = logrank::cox_hazard_ratio(&t, &c) {
            assert!(hr > 0.0 && hr.is_finite(), "Cox HR {hr}");
        }
    }
    let none = [SurvivalObs {
        time: 1.0,
        event: false,
    }];
    assert_eq!(
        logrank::test(&none, &none, Alternative::Less),
        Err(NotAnalysable::NoEvents)
    );
}

#[test]
fn count_kernels_never_panic_or_return_nan_p_values() {
    let mut r = ChaCha8Rng::seed_from_u64(3);
    let special = [0u64, 1, 2, 7, 1_000_000, 1_000_001, u64::MAX - 1, u64::MAX];
    let count = |r: &mut ChaCha8Rng| -> u64 {
        if r.random_bool(0.2) {
            special[r.random_range(0..special.len())]
        } else {
            r.random_range(0..40)
        }
    };
    for _ in 0..5000 {
        let (a, n_t, c, n_c) = (count(&mut r), count(&mut r), count(&mut r), count(&mut r));
        for alt in ALTERNATIVES {
            let ctx = format!("{a}/{n_t} vs {c}/{n_c}");
            check(
                &fisher::exact(a, n_t, c, n_c, alt),
                &format!("fisher {ctx}"),
            );
            check(
                &proportions::diff_z(a, n_t, c, n_c, alt),
                &format!("z {ctx}"),
            );
        }
        let level = [0.95, 0.0, 1.0, -1.0, f64::NAN, 0.5][r.random_range(0..6)];
        for (lo, hi) in [
            interval::wilson(a, n_t, level),
            interval::clopper_pearson(a, n_t, level),
        ] {
            assert!(
                (0.0..=1.0).contains(&lo) && (0.0..=1.0).contains(&hi) && lo <= hi,
                "{a}/{n_t} {level}: ({lo}, {hi})"
            );
        }
    }
    assert_eq!(
        fisher::exact(0, 5, 0, 7, Alternative::TwoSided),
        Err(NotAnalysable::NoEvents)
    );
    assert_eq!(
        proportions::diff_z(5, 5, 7, 7, Alternative::TwoSided),
        Err(NotAnalysable::ZeroVariance)
    );
}

#[test]
fn multiplicity_and_distribution_functions_never_panic() {
    let mut r = ChaCha8Rng::seed_from_u64(4);
    for _ in 0..2000 {
        let p: Vec<f64> = (0..r.random_range(0..6)).map(|_| value(&mut r)).collect();
        for procedure in [
            multiplicity::Procedure::Bonferroni,
            multiplicity::Procedure::Holm,
            multiplicity::Procedure::FixedSequence,
        ] {
            assert_eq!(multiplicity::reject(&p, 0.05, procedure).len(), p.len());
            assert_eq!(
                multiplicity::adjusted_p_values(&p, procedure).len(),
                p.len()
            );
        }
        let (t, df, ncp) = (value(&mut r), value(&mut r).abs(), value(&mut r));
        for v in [nct::cdf(t, df, ncp), nct::sf(t, df, ncp)] {
            assert!(
                v.is_nan() || (0.0..=1.0).contains(&v),
                "nct({t}, {df}, {ncp}) = {v}"
            );
            if df > 0.0 && df.is_finite() && !t.is_nan() && ncp.is_finite() {
                assert!(
                    !v.is_nan(),
                    "nct({t}, {df}, {ncp}) is NaN for valid parameters"
                );
            }
        }
    }
}

#[test]
fn power_functions_return_a_probability_or_a_typed_error() {
    let mut r = ChaCha8Rng::seed_from_u64(5);
    for _ in 0..300 {
        let v: Vec<f64> = (0..6).map(|_| value(&mut r)).collect();
        let alt = ALTERNATIVES[r.random_range(0..3)];
        let results = [
            power::t_two_sample(v[0], v[1], v[2], v[3], v[4], v[5], alt, power::TKind::Welch),
            power::t_two_sample(
                v[0],
                v[1],
                v[2],
                v[3],
                v[4],
                v[5],
                alt,
                power::TKind::Student,
            ),
            power::proportions(v[0], v[1], v[2], v[3], v[4], alt),
            power::logrank_schoenfeld(v[0], v[1], v[2], v[3], alt),
        ];
        for p in results.into_iter().flatten() {
            assert!((0.0..=1.0).contains(&p), "power {p} from {v:?}");
        }
    }
    // A few valid but awkward inputs, including sample-size searches.
    assert!(
        power::t_two_sample(
            1e-12,
            1.0,
            1e6,
            2.0,
            1e9,
            0.05,
            Alternative::Less,
            power::TKind::Welch
        )
        .is_ok()
    );
    assert!(
        power::n_per_arm_for_power(
            1.0,
            1.0,
            1.0,
            0.001,
            0.9,
            0.05,
            Alternative::TwoSided,
            power::TKind::Student
        )
        .is_ok()
    );
    assert!(
        power::n_per_arm_for_power_proportions(0.3, 0.3, 1.0, 0.8, 0.05, Alternative::Greater)
            .is_err()
    );
    assert!(power::logrank_events_for_power(1.0, 0.5, 0.8, 0.05, Alternative::TwoSided).is_err());
}
