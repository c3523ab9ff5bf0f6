//! The console table of a finished run (standard output): for one design
//! point, a row per endpoint with alpha, sidedness, power, its interval and
//! Monte Carlo error, and the effect with its unit; for a sweep, one compact
//! table of power by design point and endpoint (every number is in
//! results.csv).

use super::CliResult;
use super::console::outln;
use super::results::json_cell;
use crate::analysis::Alternative;
use crate::plots::figures::effect_axis;
use crate::scenario::validate::Endpoint;
use crate::scenario::{DesignPoint, Loaded};
use crate::summary::Summary;

/// `0.05 two-sided`, `0.025 greater`.
fn alpha_text(alpha: f64, alt: Alternative) -> String {
    let sides = match alt {
        Alternative::TwoSided => "two-sided",
        Alternative::Greater => "greater",
        Alternative::Less => "less",
    };
    format!("{alpha} {sides}")
}

/// The unit of an endpoint's effect, short (`mL`, `EF points`, `HR`, `RR`).
fn effect_unit(ep: &Endpoint) -> String {
    let (label, _) = effect_axis(ep);
    if label == "hazard ratio" {
        return "HR".into();
    }
    if label.starts_with("rate ratio") {
        return "RR".into();
    }
    if label == "difference in proportions" {
        return "risk diff".into();
    }
    match (label.rfind('('), label.rfind(')')) {
        (Some(a), Some(b)) if b > a => label[a + 1..b].to_string(),
        _ => label,
    }
}

/// Width of the terminal for the sweep table ($COLUMNS, else 100).
fn width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
        .filter(|&c| c >= 40)
        .unwrap_or(100)
}

fn short_key(k: &str) -> &str {
    k.rsplit('.').next().unwrap_or(k)
}

pub fn print_table(summary: &Summary, points: &[(DesignPoint, Loaded)]) -> CliResult {
    if points.len() > 1 {
        return print_sweep(summary, points);
    }
    let (Some(d), Some((_, l))) = (summary.design_points.first(), points.first()) else {
        return Ok(());
    };
    let s = &l.scenario;
    let (c, t) = (&s.arms[0].key, &s.arms[1].key);
    let n_head = format!("n {c}/{t}");
    outln!(
        "{:<26} {:<9} {:<15} {:>6} {:>15} {:>7} {:>6} {:>6} {:>10} {:<12} {:>13}",
        "endpoint",
        "test",
        "alpha",
        "power",
        "95% CI",
        "MCSE",
        "favour",
        "harm",
        "effect",
        "unit",
        n_head
    );
    for (e, ep) in d.endpoints.iter().zip(&s.endpoints) {
        let n = [c, t]
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
        // a ratio is summarised by its geometric mean
        let unit = if e.effect_scale == crate::analysis::direction::EffectScale::Ratio {
            format!("{} (gm)", effect_unit(ep))
        } else {
            effect_unit(ep)
        };
        outln!(
            "{:<26} {:<9} {:<15} {:>6.3} {:>15} {:>7.4} {:>6.3} {:>6.3} {:>10} {:<12} {:>13}{na}{safety}",
            e.name,
            e.test,
            alpha_text(e.alpha, e.alternative),
            e.power.power,
            format!(
                "[{:.3}, {:.3}]",
                e.power.power_ci_low, e.power.power_ci_high
            ),
            e.power.power_mcse,
            e.power_favourable,
            e.power_harmful,
            e.effect_mean
                .map(|x| format!("{x:.3}"))
                .unwrap_or_else(|| "-".into()),
            unit,
            n
        );
    }
    for f in &d.families {
        outln!(
            "family {:<19} {:<9} alpha {} any {:.3} [{:.3}, {:.3}], all {:.3} [{:.3}, {:.3}]",
            f.name,
            super::console::word(&f.procedure),
            f.alpha,
            f.disjunctive.power,
            f.disjunctive.power_ci_low,
            f.disjunctive.power_ci_high,
            f.conjunctive.power,
            f.conjunctive.power_ci_low,
            f.conjunctive.power_ci_high
        );
    }
    if d.endpoints.iter().any(|e| e.assurance.is_some()) {
        outln!("assurance: the same trials, each run in a world drawn from [uncertainty]");
        for e in &d.endpoints {
            if let Some(a) = &e.assurance {
                outln!(
                    "  {:<24} assurance {:.3} [{:.3}, {:.3}] (MCSE {:.4}, {} worlds; favour {:.3}, harm {:.3}) against power {:.3} at the central values; effect {}",
                    e.name,
                    a.assurance,
                    a.assurance_ci_low,
                    a.assurance_ci_high,
                    a.assurance_mcse,
                    a.worlds,
                    a.assurance_favourable,
                    a.assurance_harmful,
                    e.power.power,
                    a.world_effect_mean
                        .map(|x| format!("{x:.3}"))
                        .unwrap_or_else(|| "-".into()),
                );
                if let (Some(t), Some(bins)) = (&a.true_effect, &a.power_by_true_effect) {
                    let rate = |b: Option<&crate::summary::TrueEffectBin>| {
                        b.map(|b| format!("{:.2} ({} worlds)", b.rejection_rate, b.worlds))
                            .unwrap_or_else(|| "-".into())
                    };
                    outln!(
                        "  {:<24} true effect (no measurement error) median {:.3}, 90% of worlds in [{:.3}, {:.3}]; rejection rate {} in the lowest bin, {} in the highest",
                        "",
                        t.q50,
                        t.q05,
                        t.q95,
                        rate(bins.iter().find(|b| b.worlds > 0)),
                        rate(bins.iter().rev().find(|b| b.worlds > 0)),
                    );
                }
                let clear: Vec<String> = a
                    .drivers
                    .iter()
                    .filter_map(|d| {
                        d.clear_share()
                            .map(|(i, se)| format!("{} {i:.3} ± {se:.3}", d.parameter))
                    })
                    .take(3)
                    .collect();
                if !clear.is_empty() {
                    outln!(
                        "  {:<24} true effect varies most with {} (share of its variance across worlds)",
                        "",
                        clear.join(", ")
                    );
                }
            }
        }
    }
    if let Some(q) = &d.sequential {
        super::sequential::print(q)?;
    }
    let at_central = match d.power_replicates {
        Some(n) => format!(
            "{n} simulated trials at the central values (uncertainty.power_every: every k-th of the {} replicates; assurance over all of them)",
            d.replicates
        ),
        None => format!("{} simulated trials", d.replicates),
    };
    outln!(
        "power: share of {at_central} rejecting at alpha (95% Wilson interval, MCSE: Monte Carlo standard error); favour/harm: rejecting in favour of treatment / of control; effect: mean estimate, treatment ({t}) minus control ({c}), a hazard ratio for log-rank (gm: geometric mean)"
    );
    failures(d)
}

fn failures(d: &crate::summary::DesignSummary) -> CliResult {
    let failed: u64 =
        d.patients_failed.values().sum::<u64>() + d.replicates_failed.values().sum::<u64>();
    if failed > 0 {
        let list = |m: &std::collections::BTreeMap<String, u64>| {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        outln!(
            "failures: patients: {}; replicates: {}",
            list(&d.patients_failed),
            list(&d.replicates_failed)
        );
    }
    Ok(())
}

/// Power by design point (rows) and endpoint (columns `E1`, `E2`, ...,
/// named below the table), in blocks that fit the width.
fn print_sweep(summary: &Summary, points: &[(DesignPoint, Loaded)]) -> CliResult {
    let axes: Vec<String> = points[0]
        .0
        .assignments
        .iter()
        .map(|(k, _)| k.clone())
        .collect();
    let cells: Vec<Vec<String>> = summary
        .design_points
        .iter()
        .map(|d| {
            axes.iter()
                .map(|k| d.design.get(k).map(json_cell).unwrap_or_default())
                .collect()
        })
        .collect();
    let widths: Vec<usize> = axes
        .iter()
        .enumerate()
        .map(|(a, k)| {
            cells
                .iter()
                .map(|r| r[a].chars().count())
                .chain(std::iter::once(short_key(k).chars().count()))
                .max()
                .unwrap_or(1)
        })
        .collect();
    let n_ep = summary.design_points[0].endpoints.len();
    let n_fam = summary.design_points[0].families.len();
    type Column<'a> = (String, Box<dyn Fn(usize) -> f64 + 'a>);
    let columns: Vec<Column> = (0..n_ep)
        .map(|e| {
            (
                format!("E{}", e + 1),
                Box::new(move |i: usize| summary.design_points[i].endpoints[e].power.power)
                    as Box<dyn Fn(usize) -> f64>,
            )
        })
        .chain((0..n_fam).map(|f| {
            (
                format!("F{}", f + 1),
                Box::new(move |i: usize| summary.design_points[i].families[f].disjunctive.power)
                    as Box<dyn Fn(usize) -> f64>,
            )
        }))
        .collect();
    let index_w = (points.len() - 1).to_string().len().max(1);
    let fixed: usize = index_w + widths.iter().map(|w| w + 2).sum::<usize>();
    let per_block = ((width().saturating_sub(fixed)) / 6).max(1);
    let mcse = summary
        .design_points
        .iter()
        .flat_map(|d| d.endpoints.iter().map(|e| e.power.power_mcse))
        .fold(0.0, f64::max);
    outln!(
        "power by design point: share of {} simulated trials per point rejecting at the endpoint's alpha (largest MCSE {mcse:.3}; 95% intervals and effects in results.csv)",
        summary.replicates
    );
    for block in columns.chunks(per_block) {
        let mut head = format!("{:>index_w$}", "#");
        for (k, w) in axes.iter().zip(&widths) {
            head.push_str(&format!("  {:<w$}", short_key(k)));
        }
        for (name, _) in block {
            head.push_str(&format!(" {name:>5}"));
        }
        outln!("\n{head}");
        for (i, row) in cells.iter().enumerate() {
            let mut line = format!("{i:>index_w$}");
            for (v, w) in row.iter().zip(&widths) {
                line.push_str(&format!("  {v:<w$}"));
            }
            for (_, f) in block {
                line.push_str(&format!(" {:>5.2}", f(i)));
            }
            outln!("{line}");
        }
    }
    outln!();
    let s = &points[0].1.scenario;
    let d0 = &summary.design_points[0];
    for (e, (es, ep)) in d0.endpoints.iter().zip(&s.endpoints).enumerate() {
        outln!(
            "E{:<3} {} ({}, alpha {}; effect in {})",
            e + 1,
            es.name,
            es.test,
            alpha_text(es.alpha, es.alternative),
            effect_unit(ep)
        );
    }
    for (f, fs) in d0.families.iter().enumerate() {
        outln!(
            "F{:<3} family {} ({}, alpha {}): at least one endpoint rejects",
            f + 1,
            fs.name,
            super::console::word(&fs.procedure),
            fs.alpha
        );
    }
    for (i, d) in summary.design_points.iter().enumerate() {
        if let Some(q) = &d.sequential {
            outln!("design point {i}:");
            super::sequential::print(q)?;
        }
        let failed: u64 =
            d.patients_failed.values().sum::<u64>() + d.replicates_failed.values().sum::<u64>();
        if failed > 0 {
            outln!("design point {i}:");
            failures(d)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha_states_the_sides() {
        assert_eq!(alpha_text(0.05, Alternative::TwoSided), "0.05 two-sided");
        assert_eq!(alpha_text(0.025, Alternative::Less), "0.025 less");
    }
}
