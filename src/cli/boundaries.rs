//! `hfsim boundaries`: group-sequential critical values, alpha spent,
//! futility bounds and the inflation factor of a design (as rpact's
//! `getDesignGroupSequential` and `getDesignCharacteristics`).

use super::console::outln;
use super::{CliError, CliResult};
use crate::sequential::{Binding, Boundaries, Efficacy, Futility, GroupSequential, Spending};
use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EfficacyArg {
    /// Classical O'Brien-Fleming (C / sqrt(t)).
    Of,
    /// Classical Pocock (constant).
    Pocock,
    /// Lan-DeMets O'Brien-Fleming-type alpha spending.
    Asof,
    /// Lan-DeMets Pocock-type alpha spending.
    Asp,
    /// Hwang-Shih-DeCani alpha spending (--gamma).
    Ashsd,
    /// Kim-DeMets power alpha spending t^rho (--gamma is rho).
    Askd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BetaSpendingArg {
    /// O'Brien-Fleming type (rpact bsOF).
    #[value(alias = "bsof")]
    Asof,
    /// Pocock type (rpact bsP).
    #[value(alias = "bsp")]
    Asp,
    /// Hwang-Shih-DeCani (rpact bsHSD, --gamma-beta).
    #[value(alias = "bshsd")]
    Ashsd,
    /// Kim-DeMets power family (rpact bsKD, --gamma-beta is rho).
    #[value(alias = "bskd")]
    Askd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct BoundariesArgs {
    /// Number of looks (interim analyses plus the final one).
    #[arg(long, default_value_t = 3)]
    pub looks: usize,
    /// One-sided significance level.
    #[arg(long, default_value_t = 0.025)]
    pub alpha: f64,
    /// Efficacy boundary.
    #[arg(long, value_enum, default_value = "asof")]
    pub spending: EfficacyArg,
    /// Parameter of ashsd (gamma) or askd (rho).
    #[arg(long, allow_hyphen_values = true)]
    pub gamma: Option<f64>,
    /// Type II error: the power 1 - beta defines the drift and inflation factor (and beta spending).
    #[arg(long, default_value_t = 0.2)]
    pub beta: f64,
    /// Futility bounds by beta spending.
    #[arg(long, value_enum)]
    pub beta_spending: Option<BetaSpendingArg>,
    /// Parameter of the beta-spending function (ashsd: gamma, askd: rho).
    #[arg(long, allow_hyphen_values = true)]
    pub gamma_beta: Option<f64>,
    /// Information fractions of the looks, comma separated, ending with 1 (default: equally spaced).
    #[arg(long, value_name = "T1,T2,...")]
    pub information: Option<String>,
    /// Binding futility bounds (the efficacy bounds assume futility stops are obeyed).
    #[arg(long)]
    pub binding: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

fn parameter(name: &str, flag: &str, v: Option<f64>) -> Result<f64, CliError> {
    v.ok_or_else(|| CliError::Usage(format!("{name} needs {flag}")))
}

/// The design the arguments describe.
pub fn design_of(a: &BoundariesArgs) -> Result<GroupSequential, CliError> {
    if a.looks == 0 || a.looks > 20 {
        return Err(CliError::Usage(format!(
            "--looks must be 1 to 20 (got {})",
            a.looks
        )));
    }
    let fractions: Vec<f64> = match &a.information {
        None => (1..=a.looks).map(|k| k as f64 / a.looks as f64).collect(),
        Some(s) => {
            let v: Result<Vec<f64>, _> = s.split(',').map(|x| x.trim().parse::<f64>()).collect();
            let v = v.map_err(|_| {
                CliError::Usage(format!(
                    "--information '{s}': expected comma-separated numbers, e.g. 0.33,0.67,1"
                ))
            })?;
            if v.len() != a.looks {
                return Err(CliError::Usage(format!(
                    "--information has {} fractions but --looks is {}",
                    v.len(),
                    a.looks
                )));
            }
            v
        }
    };
    let efficacy = match a.spending {
        EfficacyArg::Of => Efficacy::OBrienFleming,
        EfficacyArg::Pocock => Efficacy::Pocock,
        EfficacyArg::Asof => Efficacy::Spending {
            spending: Spending::OBrienFleming,
        },
        EfficacyArg::Asp => Efficacy::Spending {
            spending: Spending::Pocock,
        },
        EfficacyArg::Ashsd => Efficacy::Spending {
            spending: Spending::HwangShihDeCani {
                gamma: parameter("--spending ashsd", "--gamma", a.gamma)?,
            },
        },
        EfficacyArg::Askd => Efficacy::Spending {
            spending: Spending::Power {
                rho: parameter("--spending askd", "--gamma (rho)", a.gamma)?,
            },
        },
    };
    let futility = match a.beta_spending {
        None => {
            if a.binding {
                return Err(CliError::Usage(
                    "--binding applies to futility bounds: give --beta-spending".into(),
                ));
            }
            Futility::None
        }
        Some(b) => Futility::BetaSpending {
            spending: match b {
                BetaSpendingArg::Asof => Spending::OBrienFleming,
                BetaSpendingArg::Asp => Spending::Pocock,
                BetaSpendingArg::Ashsd => Spending::HwangShihDeCani {
                    gamma: parameter("--beta-spending ashsd", "--gamma-beta", a.gamma_beta)?,
                },
                BetaSpendingArg::Askd => Spending::Power {
                    rho: parameter("--beta-spending askd", "--gamma-beta (rho)", a.gamma_beta)?,
                },
            },
            binding: if a.binding {
                Binding::Binding
            } else {
                Binding::NonBinding
            },
        },
    };
    Ok(GroupSequential {
        alpha: a.alpha,
        beta: a.beta,
        fractions,
        efficacy,
        futility,
    })
}

/// The table printed by `hfsim boundaries`.
pub fn table(d: &GroupSequential, b: &Boundaries) -> String {
    let mut s = String::new();
    let futility = match d.futility {
        Futility::BetaSpending { spending, binding } => format!(
            ", futility by beta spending {} ({})",
            spending.label().replacen("as", "bs", 1),
            match binding {
                Binding::Binding => "binding",
                Binding::NonBinding => "non-binding",
            }
        ),
        _ => String::new(),
    };
    s.push_str(&format!(
        "{} looks, one-sided alpha {}, efficacy {}{futility}; power {} at the drift below\n",
        d.looks(),
        d.alpha,
        d.efficacy.label(),
        1.0 - d.beta
    ));
    s.push_str(&format!(
        "{:>4} {:>11} {:>12} {:>12} {:>14} {:>12} {:>13} {:>14}\n",
        "look",
        "information",
        "efficacy Z",
        "nominal p",
        "alpha spent",
        "futility Z",
        "beta spent",
        "power (cum.)"
    ));
    for k in 0..d.looks() {
        let fut = b.futility[k]
            .map(|f| format!("{f:.6}"))
            .unwrap_or_else(|| "-".into());
        let bs = b
            .beta_spent
            .as_ref()
            .map(|v| format!("{:.8}", v[k]))
            .unwrap_or_else(|| "-".into());
        s.push_str(&format!(
            "{:>4} {:>11.4} {:>12.6} {:>12.8} {:>14.10} {:>12} {:>13} {:>14.8}\n",
            k + 1,
            b.fractions[k],
            b.efficacy[k],
            b.stage_levels[k],
            b.alpha_spent[k],
            fut,
            bs,
            b.power[k]
        ));
    }
    s.push_str(&format!(
        "drift {:.6} (expected Z at full information for power {}), inflation factor {:.9}\n",
        b.drift,
        1.0 - d.beta,
        b.inflation_factor
    ));
    s.push_str(&format!(
        "expected information relative to the fixed design: {:.6} under H0, {:.6} under H1 (futility stops obeyed)\n",
        b.expected_information_h0, b.expected_information_h1
    ));
    s
}

pub fn boundaries(a: BoundariesArgs) -> CliResult {
    let d = design_of(&a)?;
    let b = d.compute().map_err(|e| CliError::Usage(e.to_string()))?;
    match a.format {
        Format::Table => outln!("{}", table(&d, &b).trim_end_matches('\n')),
        Format::Json => {
            let v = serde_json::json!({ "design": d, "boundaries": b });
            outln!(
                "{}",
                serde_json::to_string_pretty(&v).map_err(|e| CliError::Runtime(e.into()))?
            );
        }
    }
    Ok(())
}
