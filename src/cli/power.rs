//! `hfsim power`: classical power and sample size from summary statistics.

use super::console::outln;
use super::{CliError, CliResult};
use crate::analysis::Alternative;
use crate::analysis::power::{self, TKind};
use clap::{Args, Subcommand, ValueEnum};

#[derive(Debug, Clone, Args)]
pub struct PowerArgs {
    #[command(subcommand)]
    pub what: PowerCommand,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Sided {
    TwoSided,
    Greater,
    Less,
}

impl From<Sided> for Alternative {
    fn from(s: Sided) -> Self {
        match s {
            Sided::TwoSided => Alternative::TwoSided,
            Sided::Greater => Alternative::Greater,
            Sided::Less => Alternative::Less,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TTest {
    Welch,
    Student,
}

#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Significance level.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Alternative hypothesis for treatment minus control.
    #[arg(long, value_enum, default_value = "two-sided")]
    pub alternative: Sided,
    /// Solve for the sample size reaching this power instead of computing power.
    #[arg(long)]
    pub target_power: Option<f64>,
    /// Treatment:control allocation ratio (for sample size).
    #[arg(long, default_value_t = 1.0)]
    pub ratio: f64,
}

#[derive(Debug, Clone, Subcommand)]
pub enum PowerCommand {
    /// Two-sample comparison of means (t-test, noncentral t).
    /// Example (PRIME-HFrEF dRVESV at day 180): hfsim power means --mean-treatment -39.46 --mean-control 3.46
    ///   --sd-treatment 59.85 --sd-control 16.26 --n-treatment 20 --n-control 19
    Means {
        #[arg(long, allow_hyphen_values = true)]
        mean_treatment: f64,
        #[arg(long, allow_hyphen_values = true)]
        mean_control: f64,
        /// SD in both arms (or give --sd-treatment and --sd-control).
        #[arg(long, allow_hyphen_values = true)]
        sd: Option<f64>,
        #[arg(long, allow_hyphen_values = true)]
        sd_treatment: Option<f64>,
        #[arg(long, allow_hyphen_values = true)]
        sd_control: Option<f64>,
        /// Patients per arm (or give --n-treatment and --n-control).
        #[arg(long, allow_hyphen_values = true)]
        n: Option<f64>,
        #[arg(long, allow_hyphen_values = true)]
        n_treatment: Option<f64>,
        #[arg(long, allow_hyphen_values = true)]
        n_control: Option<f64>,
        #[arg(long, value_enum, default_value = "welch")]
        test: TTest,
        /// Null value of a one-sided test of the difference (non-inferiority:
        /// e.g. --margin -5 --alternative greater tests difference <= -5).
        #[arg(long, allow_hyphen_values = true)]
        margin: Option<f64>,
        #[command(flatten)]
        common: Common,
    },
    /// Two proportions (pooled z-test, normal approximation).
    Proportions {
        #[arg(long, allow_hyphen_values = true)]
        p_treatment: f64,
        #[arg(long, allow_hyphen_values = true)]
        p_control: f64,
        #[arg(long, allow_hyphen_values = true)]
        n: Option<f64>,
        #[arg(long, allow_hyphen_values = true)]
        n_treatment: Option<f64>,
        #[arg(long, allow_hyphen_values = true)]
        n_control: Option<f64>,
        #[command(flatten)]
        common: Common,
    },
    /// Log-rank test (Schoenfeld): power from the number of events, or events needed.
    Logrank {
        #[arg(long, allow_hyphen_values = true)]
        hazard_ratio: f64,
        #[arg(long, allow_hyphen_values = true)]
        events: Option<f64>,
        #[command(flatten)]
        common: Common,
    },
}

fn pair(
    both: Option<f64>,
    t: Option<f64>,
    c: Option<f64>,
    what: &str,
) -> Result<(f64, f64), CliError> {
    match (both, t, c) {
        (Some(x), None, None) => Ok((x, x)),
        (None, Some(a), Some(b)) => Ok((a, b)),
        (None, None, None) => Err(CliError::Usage(format!(
            "give --{what} or both --{what}-treatment and --{what}-control"
        ))),
        _ => Err(CliError::Usage(format!(
            "give either --{what} or both --{what}-treatment and --{what}-control, not a mix"
        ))),
    }
}

fn e(err: power::PowerError) -> CliError {
    CliError::Usage(err.to_string())
}

pub fn power(args: PowerArgs) -> CliResult {
    match args.what {
        PowerCommand::Means {
            mean_treatment,
            mean_control,
            sd,
            sd_treatment,
            sd_control,
            n,
            n_treatment,
            n_control,
            test,
            margin,
            common,
        } => {
            let (sd_t, sd_c) = pair(sd, sd_treatment, sd_control, "sd")?;
            let kind = match test {
                TTest::Welch => TKind::Welch,
                TTest::Student => TKind::Student,
            };
            if let Some(m) = margin {
                if !m.is_finite() {
                    return Err(CliError::Usage(format!(
                        "--margin must be finite (got {m})"
                    )));
                }
                if matches!(common.alternative, Sided::TwoSided) {
                    return Err(CliError::Usage(
                        "--margin is the null value of a one-sided test: give --alternative greater or less".into(),
                    ));
                }
            }
            // the test of difference = margin has the power of a test of 0
            // for the difference minus the margin
            let delta = mean_treatment - mean_control - margin.unwrap_or(0.0);
            if let Some(target) = common.target_power {
                let s = power::n_per_arm_for_power(
                    delta,
                    sd_t,
                    sd_c,
                    common.ratio,
                    target,
                    common.alpha,
                    common.alternative.into(),
                    kind,
                )
                .map_err(e)?;
                let achieved = power::t_two_sample(
                    delta,
                    sd_t,
                    sd_c,
                    s.n_treatment as f64,
                    s.n_control as f64,
                    common.alpha,
                    common.alternative.into(),
                    kind,
                )
                .map_err(e)?;
                outln!(
                    "n_treatment = {}, n_control = {} (power {:.4} for difference {delta} with SDs {sd_t}/{sd_c})",
                    s.n_treatment,
                    s.n_control,
                    achieved
                );
            } else {
                let (nt, nc) = pair(n, n_treatment, n_control, "n")?;
                let p = power::t_two_sample(
                    delta,
                    sd_t,
                    sd_c,
                    nt,
                    nc,
                    common.alpha,
                    common.alternative.into(),
                    kind,
                )
                .map_err(e)?;
                let margin_note = margin.map(|m| format!(", margin {m}")).unwrap_or_default();
                outln!(
                    "power = {p:.10} ({} t-test, difference {}{margin_note}, SDs {sd_t}/{sd_c}, n {nt}/{nc}, alpha {})",
                    match test {
                        TTest::Welch => "welch",
                        TTest::Student => "student",
                    },
                    mean_treatment - mean_control,
                    common.alpha
                );
            }
        }
        PowerCommand::Proportions {
            p_treatment,
            p_control,
            n,
            n_treatment,
            n_control,
            common,
        } => {
            if let Some(target) = common.target_power {
                let s = power::n_per_arm_for_power_proportions(
                    p_treatment,
                    p_control,
                    common.ratio,
                    target,
                    common.alpha,
                    common.alternative.into(),
                )
                .map_err(e)?;
                outln!(
                    "n_treatment = {}, n_control = {}",
                    s.n_treatment,
                    s.n_control
                );
            } else {
                let (nt, nc) = pair(n, n_treatment, n_control, "n")?;
                let p = power::proportions(
                    p_treatment,
                    p_control,
                    nt,
                    nc,
                    common.alpha,
                    common.alternative.into(),
                )
                .map_err(e)?;
                outln!(
                    "power = {p:.4} (proportions {p_treatment} vs {p_control}, n {nt}/{nc}, alpha {})",
                    common.alpha
                );
            }
        }
        PowerCommand::Logrank {
            hazard_ratio,
            events,
            common,
        } => {
            let share = common.ratio / (1.0 + common.ratio);
            if let Some(target) = common.target_power {
                let d = power::logrank_events_for_power(
                    hazard_ratio,
                    share,
                    target,
                    common.alpha,
                    common.alternative.into(),
                )
                .map_err(e)?;
                outln!("events needed = {d} (hazard ratio {hazard_ratio}, power {target})");
            } else {
                let d = events
                    .ok_or_else(|| CliError::Usage("give --events or --target-power".into()))?;
                let p = power::logrank_schoenfeld(
                    hazard_ratio,
                    d,
                    share,
                    common.alpha,
                    common.alternative.into(),
                )
                .map_err(e)?;
                outln!(
                    "power = {p:.4} (hazard ratio {hazard_ratio}, {d} events, alpha {})",
                    common.alpha
                );
            }
        }
    }
    Ok(())
}
