//! Two-sample t-tests: Student (pooled variance) and Welch (unequal
//! variances, Welch–Satterthwaite degrees of freedom).
//!
//! `estimate` is the difference in means (treatment − control), `statistic`
//! is t = estimate / SE (positive when the treatment mean is larger) and
//! `df` the degrees of freedom. Validated against `scipy.stats.ttest_ind`
//! (`equal_var=True` / `False`).
//!
//! Not analysable: fewer than 2 observations in an arm, any non-finite value,
//! or zero variance in both arms (the t statistic would be ±∞ or 0/0).

use super::{
    Alternative, ArmRole, NotAnalysable, TestOutcome, TestResult, all_finite, mean_and_ss,
    t_p_value,
};

/// Summary of one arm.
struct ArmSummary {
    n: f64,
    mean: f64,
    /// Sum of squared deviations from the mean.
    ss: f64,
}

fn summarise(values: &[f64], arm: ArmRole) -> Result<ArmSummary, NotAnalysable> {
    if values.len() < 2 {
        return Err(NotAnalysable::TooFewObservations {
            arm,
            found: values.len(),
            required: 2,
        });
    }
    if !all_finite(values) {
        return Err(NotAnalysable::NonFinite);
    }
    let (mean, ss) = mean_and_ss(values);
    if !mean.is_finite() || !ss.is_finite() {
        return Err(NotAnalysable::Overflow);
    }
    Ok(ArmSummary {
        n: values.len() as f64,
        mean,
        ss,
    })
}

fn summarise_both(
    treatment: &[f64],
    control: &[f64],
) -> Result<(ArmSummary, ArmSummary), NotAnalysable> {
    // Report the treatment arm first, but a non-finite value anywhere first.
    if !all_finite(treatment) || !all_finite(control) {
        return Err(NotAnalysable::NonFinite);
    }
    let t = summarise(treatment, ArmRole::Treatment)?;
    let c = summarise(control, ArmRole::Control)?;
    if t.ss == 0.0 && c.ss == 0.0 {
        return Err(NotAnalysable::ZeroVariance);
    }
    Ok((t, c))
}

fn finish(estimate: f64, se: f64, df: f64, alt: Alternative) -> TestOutcome {
    let statistic = estimate / se;
    if !statistic.is_finite() || !df.is_finite() {
        return Err(NotAnalysable::Overflow);
    }
    Ok(TestResult {
        estimate,
        statistic,
        p_value: t_p_value(statistic, df, alt),
        df: Some(df),
    })
}

/// Student's two-sample t-test with pooled variance, df = n_t + n_c − 2.
#[must_use = "the outcome says whether the test rejected"]
pub fn student(treatment: &[f64], control: &[f64], alt: Alternative) -> TestOutcome {
    let (t, c) = summarise_both(treatment, control)?;
    let df = t.n + c.n - 2.0;
    let pooled_var = (t.ss + c.ss) / df;
    let se = (pooled_var * (1.0 / t.n + 1.0 / c.n)).sqrt();
    finish(t.mean - c.mean, se, df, alt)
}

/// Welch's two-sample t-test: SE² = s_t²/n_t + s_c²/n_c and the
/// Welch–Satterthwaite degrees of freedom
/// (s_t²/n_t + s_c²/n_c)² / [(s_t²/n_t)²/(n_t − 1) + (s_c²/n_c)²/(n_c − 1)].
#[must_use = "the outcome says whether the test rejected"]
pub fn welch(treatment: &[f64], control: &[f64], alt: Alternative) -> TestOutcome {
    let (t, c) = summarise_both(treatment, control)?;
    let vt = t.ss / (t.n - 1.0) / t.n;
    let vc = c.ss / (c.n - 1.0) / c.n;
    let v = vt + vc;
    let df = v * v / (vt * vt / (t.n - 1.0) + vc * vc / (c.n - 1.0));
    finish(t.mean - c.mean, v.sqrt(), df, alt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn student_reproduces_a_textbook_example() {
        // scipy.stats.ttest_ind([1,2,3,4],[2,4,6,8,10]) → t = −2.0578
        let r = student(
            &[1.0, 2.0, 3.0, 4.0],
            &[2.0, 4.0, 6.0, 8.0, 10.0],
            Alternative::TwoSided,
        )
        .unwrap();
        assert!((r.statistic + 2.057_806_575_272_459_2).abs() < 1e-12);
        assert_eq!(r.df, Some(7.0));
        assert!((r.estimate + 3.5).abs() < 1e-15);
    }

    #[test]
    fn one_observation_in_an_arm_is_not_analysable() {
        assert_eq!(
            welch(&[1.0], &[1.0, 2.0], Alternative::TwoSided),
            Err(NotAnalysable::TooFewObservations {
                arm: ArmRole::Treatment,
                found: 1,
                required: 2
            })
        );
    }

    #[test]
    fn constant_arms_are_not_analysable() {
        assert_eq!(
            student(&[3.0, 3.0], &[5.0, 5.0, 5.0], Alternative::Less),
            Err(NotAnalysable::ZeroVariance)
        );
    }
}
