//! Statistical analysis of one simulated trial: the judge.
//!
//! Every kernel takes the treatment arm first and the control arm second and
//! states its alternative hypothesis for (treatment − control). A kernel
//! returns a [`TestOutcome`]: either a [`TestResult`] whose `p_value` is a
//! finite number in `[0, 1]`, or a [`NotAnalysable`] reason that the power
//! summary counts explicitly. No kernel panics or returns NaN on any input.
//!
//! | module | test | reference it is validated against |
//! |---|---|---|
//! | [`ttest`] | Student and Welch two-sample t-tests | `scipy.stats.ttest_ind` |
//! | [`wilcoxon`] | Wilcoxon rank-sum (Mann–Whitney U) | `scipy.stats.mannwhitneyu` |
//! | [`ancova`] | OLS `outcome ~ 1 + treatment + baseline` | `statsmodels` OLS |
//! | [`logrank`] | log-rank test, Pike and Cox (Efron) hazard ratios | `lifelines`, `statsmodels` `PHReg` |
//! | [`fisher`] | Fisher's exact test (2×2) | `scipy.stats.fisher_exact` |
//! | [`proportions`] | pooled two-proportion z-test | `statsmodels` `proportions_ztest` |
//! | [`multiplicity`] | Bonferroni, Holm, fixed sequence | `statsmodels` `multipletests` |
//! | [`negbin`] | negative binomial rate ratio (log follow-up offset) | R `MASS::glm.nb`, `statsmodels` `NegativeBinomial` |
//! | [`recurrent`] | Andersen–Gill / LWYY with robust variance | R `survival::coxph(... + cluster(id))` |
//! | [`win_ratio`] | win ratio, win odds, net benefit (U-statistic variance) | brute force, `statsmodels` `rank_compare_2indep` |
//! | [`mmrm`] | MMRM (unstructured, REML, Satterthwaite) | R `nlme::gls` + `emmeans` |
//! | [`interval`] | Wilson and Clopper–Pearson intervals | `statsmodels` `proportion_confint` |
//! | [`nct`] | noncentral t distribution | `scipy.stats.nct`, `mpmath` |
//! | [`power`] | analytic power and sample sizes | `statsmodels` power classes |
//!
//! The formulas, conventions and tolerances are in `docs/statistics.md`.

pub mod ancova;
pub mod direction;
mod erfc;
pub mod fisher;
pub mod interval;
pub mod logrank;
pub mod mmrm;
pub mod multiplicity;
pub mod nct;
pub mod negbin;
pub mod power;
pub mod proportions;
pub mod recurrent;
pub(crate) mod special;
pub mod ttest;
pub mod wilcoxon;
pub mod win_ratio;

/// Alternative hypothesis, always stated for (treatment − control).
///
/// `Greater` means the treatment value is larger than the control value (a
/// larger mean, a larger proportion, or for the log-rank test a larger
/// hazard); `Less` means it is smaller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Alternative {
    /// Treatment differs from control in either direction.
    TwoSided,
    /// Treatment is larger than control.
    Greater,
    /// Treatment is smaller than control.
    Less,
}

/// Result of one test on one data set.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TestResult {
    /// Effect estimate for (treatment vs control): the difference in means
    /// for the t-tests and the Wilcoxon rank-sum test, the adjusted treatment
    /// coefficient for ANCOVA, the hazard ratio for the log-rank test and the
    /// difference in proportions for Fisher's test and the z-test. May be
    /// infinite (a hazard ratio when all events are in one arm).
    pub estimate: f64,
    /// Test statistic; see each kernel for which one.
    pub statistic: f64,
    /// p-value for the requested alternative, always in `[0, 1]`.
    pub p_value: f64,
    /// Degrees of freedom where the test has them.
    pub df: Option<f64>,
}

/// Why a data set could not be analysed: counted explicitly in power
/// summaries, never NaN.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotAnalysable {
    /// An arm has too few observations for the test.
    #[error("fewer than {required} analysable observations in the {arm} arm ({found})")]
    TooFewObservations {
        /// The arm that is too small.
        arm: ArmRole,
        /// How many observations it has.
        found: usize,
        /// How many the test needs.
        required: usize,
    },
    /// No variability: both arms constant (t-tests), all pooled values tied
    /// (rank-sum), zero residual variance (ANCOVA), zero log-rank variance,
    /// or every patient had the event (binary endpoints).
    #[error("zero variance in both arms")]
    ZeroVariance,
    /// No events in either arm (time-to-event and binary endpoints).
    #[error("no events in either arm")]
    NoEvents,
    /// A NaN or infinite value in the data.
    #[error("non-finite value in the data")]
    NonFinite,
    /// The data are finite but so large in magnitude that a sum of squares
    /// overflows.
    #[error("arithmetic overflow: values too large in magnitude")]
    Overflow,
    /// The ANCOVA design matrix is singular: the baseline is constant within
    /// each arm, so its slope cannot be separated from the arm effect.
    #[error("singular design: the baseline does not vary within the arms")]
    SingularDesign,
    /// The maximum likelihood estimate of the effect is infinite (monotone
    /// likelihood: e.g. no events in one arm), so a Wald statistic does not
    /// exist.
    #[error(
        "the maximum likelihood estimate is infinite (monotone likelihood, e.g. no events in one arm)"
    )]
    MonotoneLikelihood,
    /// A win ratio or win odds of 0 or infinity (one arm wins every
    /// decided pair).
    #[error("the ratio is 0 or infinite: one arm wins every decided pair")]
    DegenerateRatio,
    /// A visit of a repeated-measures model has no more observations than
    /// the model has mean parameters at that visit, so its variance has no
    /// residual information (the REML likelihood is degenerate there).
    #[error("visit {visit}: {found} observations, the model needs at least {required}")]
    TooFewAtVisit {
        /// The visit (1-based among the post-baseline visits analysed).
        visit: usize,
        /// Observations at that visit (both arms).
        found: usize,
        /// Observations needed.
        required: usize,
    },
    /// The iterative fit did not converge.
    #[error("the model fit did not converge")]
    NotConverged,
    /// Event counts that do not fit the arm sizes (events > patients).
    #[error("{events} events in the {arm} arm, which has only {n} patients")]
    InvalidCounts {
        /// The arm with the impossible count.
        arm: ArmRole,
        /// Events reported.
        events: u64,
        /// Patients in the arm.
        n: u64,
    },
}

/// Which arm a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArmRole {
    /// The experimental arm.
    Treatment,
    /// The comparator arm.
    Control,
}

impl std::fmt::Display for ArmRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ArmRole::Treatment => "treatment",
            ArmRole::Control => "control",
        })
    }
}

/// What every kernel returns.
pub type TestOutcome = Result<TestResult, NotAnalysable>;

/// One time-to-event observation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurvivalObs {
    /// Time of the event or of censoring (any unit, the same in both arms).
    pub time: f64,
    /// `true` if the event was observed, `false` if censored at `time`.
    pub event: bool,
}

/// The p-value to pass to [`multiplicity`] for an endpoint: the test's
/// p-value, or 1.0 when the data set was not analysable (a non-analysable
/// endpoint never rejects).
#[must_use]
pub fn p_value_or_one(outcome: &TestOutcome) -> f64 {
    match outcome {
        Ok(result) => result.p_value,
        Err(_) => 1.0,
    }
}

/// p-value of a test whose statistic is standard normal under the null and
/// whose large values favour `Greater`.
pub fn normal_p_value(z: f64, alt: Alternative) -> f64 {
    let p = match alt {
        Alternative::TwoSided => 2.0 * special::norm_sf(z.abs()),
        Alternative::Greater => special::norm_sf(z),
        Alternative::Less => special::norm_cdf(z),
    };
    p.clamp(0.0, 1.0)
}

/// p-value of a test whose statistic has a Student t distribution with `df`
/// degrees of freedom under the null.
pub(crate) fn t_p_value(t: f64, df: f64, alt: Alternative) -> f64 {
    let p = match alt {
        Alternative::TwoSided => 2.0 * special::t_sf(t.abs(), df),
        Alternative::Greater => special::t_sf(t, df),
        Alternative::Less => special::t_sf(-t, df),
    };
    p.clamp(0.0, 1.0)
}

/// Checks that every value is finite.
pub(crate) fn all_finite(values: &[f64]) -> bool {
    values.iter().all(|v| v.is_finite())
}

/// Mean and sum of squared deviations (two-pass). The sum of squares is
/// exactly zero when all values are equal.
pub(crate) fn mean_and_ss(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let first = values[0];
    if values.iter().all(|&v| v == first) {
        return (first, 0.0);
    }
    let ss = values.iter().map(|&v| (v - mean) * (v - mean)).sum::<f64>();
    (mean, ss)
}
