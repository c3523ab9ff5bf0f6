//! The console table of a finished run (standard output).

use crate::scenario::{DesignPoint, Loaded};
use crate::summary::Summary;

pub fn print_table(summary: &Summary, points: &[(DesignPoint, Loaded)]) {
    // control first, then treatment (scenario order, not key order)
    let arms: Vec<&String> = points
        .first()
        .map(|(_, l)| l.scenario.arms.iter().map(|a| &a.key).collect())
        .unwrap_or_default();
    let _ = &summary.arms;
    for (d, (p, _)) in summary.design_points.iter().zip(points) {
        if points.len() > 1 {
            println!("\ndesign point {}: {}", p.index, p.label());
        }
        println!(
            "{:<26} {:<9} {:>6} {:>17} {:>7} {:>6} {:>6} {:>11} {:>13}",
            "endpoint",
            "test",
            "power",
            "95% CI",
            "MCSE",
            "favour",
            "harm",
            "effect",
            format!(
                "n {}/{}",
                arms.first().map(|s| s.as_str()).unwrap_or(""),
                arms.get(1).map(|s| s.as_str()).unwrap_or("")
            )
        );
        for e in &d.endpoints {
            let n = arms
                .iter()
                .map(|a| format!("{:.1}", e.n_analyzed_mean.get(*a).copied().unwrap_or(0.0)))
                .collect::<Vec<_>>()
                .join("/");
            let na = if e.n_not_analysable > 0 {
                format!("  ({} not analysable)", e.n_not_analysable)
            } else {
                String::new()
            };
            let safety = if e.role == crate::analysis::direction::EndpointRole::Safety {
                "  (safety)"
            } else {
                ""
            };
            let geometric = if e.effect_scale == crate::analysis::direction::EffectScale::Ratio {
                " gm"
            } else {
                ""
            };
            println!(
                "{:<26} {:<9} {:>6.3} {:>17} {:>7.4} {:>6.3} {:>6.3} {:>11} {:>13}{na}{safety}",
                e.name,
                e.test,
                e.power.power,
                format!(
                    "[{:.3}, {:.3}]",
                    e.power.power_ci_low, e.power.power_ci_high
                ),
                e.power.power_mcse,
                e.power_favourable,
                e.power_harmful,
                e.effect_mean
                    .map(|x| format!("{x:.3}{geometric}"))
                    .unwrap_or_else(|| "-".into()),
                n
            );
        }
        for f in &d.families {
            println!(
                "family {:<19} {:<9} any {:.3} [{:.3}, {:.3}], all {:.3} [{:.3}, {:.3}]",
                f.name,
                serde_json::to_value(f.procedure)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                f.disjunctive.power,
                f.disjunctive.power_ci_low,
                f.disjunctive.power_ci_high,
                f.conjunctive.power,
                f.conjunctive.power_ci_low,
                f.conjunctive.power_ci_high
            );
        }
        if let Some(q) = &d.sequential {
            super::sequential::print(q);
        }
        let failed: u64 =
            d.patients_failed.values().sum::<u64>() + d.replicates_failed.values().sum::<u64>();
        if failed > 0 {
            println!(
                "failures: patients {:?}, replicates {:?}",
                d.patients_failed, d.replicates_failed
            );
        }
    }
}
