//! Output of sequential designs: the console table, `sequential.csv` (one
//! row per design point and look) and `looks.csv` (every look of the
//! exported replicates).

use super::CliResult;
use super::console::outln;
use super::output::{csv_bytes, fmt_opt};
use crate::runner::ReplicateExport;
use crate::scenario::{DesignPoint, Loaded};
use crate::sequential::SequentialSummary;
use crate::summary::Summary;
use crate::trial::accrual::DAYS_PER_MONTH;

/// Console lines of one design point's sequential design.
pub fn print(q: &SequentialSummary) -> CliResult {
    outln!("sequential: {}", q.design);
    outln!(
        "  {:>4} {:>9} {:>9} {:>10} {:>10} {:>24} {:>24} {:>13}",
        "look",
        "fraction",
        "month",
        "efficacy",
        "futility",
        "P(stop efficacy) [95%]",
        "P(stop futility) [95%]",
        "cum. reject"
    );
    for l in &q.per_look {
        let ci = |p: &crate::summary::PowerEstimate| {
            format!(
                "{:.3} [{:.3}, {:.3}]",
                p.power, p.power_ci_low, p.power_ci_high
            )
        };
        outln!(
            "  {:>4} {:>9.3} {:>9} {:>10} {:>10} {:>24} {:>24} {:>13.3}",
            l.look,
            l.planned_fraction,
            l.day_mean
                .map(|d| format!("{:.1}", d / DAYS_PER_MONTH))
                .unwrap_or_else(|| "-".into()),
            l.efficacy_bound
                .map(|c| format!("{c:.3}"))
                .unwrap_or_else(|| "-".into()),
            l.futility_bound
                .map(|f| format!("{f:.3}"))
                .unwrap_or_else(|| "-".into()),
            ci(&l.stop_efficacy),
            ci(&l.stop_futility),
            l.cumulative_rejection.power
        );
    }
    outln!(
        "  power {:.3} [{:.3}, {:.3}] (MCSE {:.4}); early stop {:.3}; expected patients {:.1} (MCSE {:.2}) of {}{}; expected duration {:.1} months (MCSE {:.2})",
        q.power.power,
        q.power.power_ci_low,
        q.power.power_ci_high,
        q.power.power_mcse,
        q.early_stop.power,
        q.expected_n_enrolled.mean,
        q.expected_n_enrolled.mcse,
        q.n_planned,
        if q.n_max > q.n_planned {
            format!(" (up to {})", q.n_max)
        } else {
            String::new()
        },
        q.expected_duration_months,
        q.expected_duration_days.mcse / DAYS_PER_MONTH
    );
    Ok(())
}

/// `sequential.csv`: one row per design point and look.
pub fn sequential_csv(
    summary: &Summary,
    points: &[(DesignPoint, Loaded)],
) -> anyhow::Result<Option<Vec<u8>>> {
    if summary.design_points.iter().all(|d| d.sequential.is_none()) {
        return Ok(None);
    }
    let axes: Vec<String> = points
        .first()
        .map(|(p, _)| p.assignments.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    let mut header: Vec<String> = vec!["design_point".into()];
    header.extend(axes.iter().cloned());
    header.extend(
        [
            "look",
            "planned_fraction",
            "fraction_mean",
            "day_mean",
            "efficacy_bound",
            "futility_bound",
            "alpha_spent",
            "held",
            "stop_efficacy",
            "stop_efficacy_mcse",
            "stop_futility",
            "stop_futility_mcse",
            "cumulative_rejection",
            "cumulative_rejection_mcse",
            "cumulative_stop",
            "power",
            "power_mcse",
            "expected_n_enrolled",
            "expected_n_enrolled_mcse",
            "expected_duration_days",
            "expected_duration_days_mcse",
            "replicates",
        ]
        .map(String::from),
    );
    let mut rows = Vec::new();
    for (i, d) in summary.design_points.iter().enumerate() {
        let Some(q) = &d.sequential else { continue };
        let design: Vec<String> = axes
            .iter()
            .map(|k| {
                d.design
                    .get(k)
                    .map(super::results::json_cell)
                    .unwrap_or_default()
            })
            .collect();
        for l in &q.per_look {
            let mut r = vec![i.to_string()];
            r.extend(design.iter().cloned());
            r.extend([
                l.look.to_string(),
                l.planned_fraction.to_string(),
                fmt_opt(l.fraction_mean),
                fmt_opt(l.day_mean),
                fmt_opt(l.efficacy_bound),
                fmt_opt(l.futility_bound),
                fmt_opt(l.alpha_spent),
                l.held.power.to_string(),
                l.stop_efficacy.power.to_string(),
                l.stop_efficacy.power_mcse.to_string(),
                l.stop_futility.power.to_string(),
                l.stop_futility.power_mcse.to_string(),
                l.cumulative_rejection.power.to_string(),
                l.cumulative_rejection.power_mcse.to_string(),
                l.cumulative_stop.power.to_string(),
                q.power.power.to_string(),
                q.power.power_mcse.to_string(),
                q.expected_n_enrolled.mean.to_string(),
                q.expected_n_enrolled.mcse.to_string(),
                q.expected_duration_days.mean.to_string(),
                q.expected_duration_days.mcse.to_string(),
                q.replicates.to_string(),
            ]);
            rows.push(r);
        }
    }
    let h: Vec<&str> = header.iter().map(|s| s.as_str()).collect();
    csv_bytes(&h, rows.into_iter()).map(Some)
}

/// `looks.csv`: the looks of the exported replicates.
pub fn looks_csv(exports: &[Vec<ReplicateExport>]) -> anyhow::Result<Option<Vec<u8>>> {
    if exports.iter().flatten().all(|e| e.looks.is_empty()) {
        return Ok(None);
    }
    let multi = exports.len() > 1;
    let mut header = vec![
        "replicate",
        "look",
        "day",
        "fraction",
        "information",
        "statistic",
        "efficacy_bound",
        "futility_bound",
        "conditional_power",
        "n_enrolled",
        "decision",
    ];
    if multi {
        header.insert(0, "design_point");
    }
    let mut rows = Vec::new();
    for (i, ex) in exports.iter().enumerate() {
        for (rep, l) in ex.iter().flat_map(|e| e.looks.iter()) {
            let mut r = if multi { vec![i.to_string()] } else { vec![] };
            r.extend([
                rep.to_string(),
                (l.look + 1).to_string(),
                l.day.to_string(),
                if l.fraction.is_nan() {
                    String::new()
                } else {
                    l.fraction.to_string()
                },
                l.information.to_string(),
                fmt_opt(l.statistic),
                fmt_opt(l.efficacy_bound),
                fmt_opt(l.futility_bound),
                fmt_opt(l.conditional_power),
                l.n_enrolled.to_string(),
                serde_json::to_value(l.decision)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
            ]);
            rows.push(r);
        }
    }
    csv_bytes(&header, rows.into_iter()).map(Some)
}
