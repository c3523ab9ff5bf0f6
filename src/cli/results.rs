//! The files of a finished run: summary.json, results.csv, effects.csv,
//! scenario.resolved.toml and the replicate exports.

use super::CliError;
use super::checkpoint::RunState;
use super::output::{csv_bytes, fmt_opt, write_atomic, write_json};
use crate::plots::figures;
use crate::runner::ReplicateExport;
use crate::scenario::{DesignPoint, Loaded};
use crate::summary::{DesignAcc, EffectDistribution, Summary, summarize};
use std::collections::BTreeMap;
use std::path::Path;

pub fn build_summary(
    loaded: &Loaded,
    points: &[(DesignPoint, Loaded)],
    state: &RunState,
) -> Summary {
    let s = &loaded.scenario;
    Summary {
        hfsim_version: env!("CARGO_PKG_VERSION"),
        scenario: s.name.clone(),
        scenario_sha256: loaded.sha256.clone(),
        seed: s.run.seed,
        replicates: s.run.replicates,
        common_random_numbers: s.run.common_random_numbers,
        arms: s
            .arms
            .iter()
            .map(|a| (a.key.clone(), a.label.clone()))
            .collect::<BTreeMap<_, _>>(),
        design_points: points
            .iter()
            .zip(&state.design_points)
            .map(|((p, l), d)| summarize(&l.scenario, &d.acc, p.to_json()))
            .collect(),
        shard: None,
        warnings: Vec::new(),
    }
}

/// The plausibility warning of a finished run (or audit), if any: when more
/// than `plausibility::WARN_FRACTION` of the audited patient-visits of a
/// design point fall outside the physiological ranges. A sweep gets one
/// warning naming the design points concerned, with the details of the
/// worst. The warning names `file` (the scenario file as the run was
/// given it) and no line: it comes from the results, not from one key, and
/// a merge of shards must report it alike.
pub fn plausibility_warnings(
    file: &str,
    points: &[(DesignPoint, Loaded)],
    audits: &[crate::plausibility::ArmAudits],
) -> Vec<crate::scenario::Warning> {
    let over: Vec<(usize, f64)> = audits
        .iter()
        .map(crate::plausibility::fraction_outside)
        .enumerate()
        .filter(|(_, f)| *f > crate::plausibility::WARN_FRACTION)
        .collect();
    let Some(&(worst, _)) = over
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
    else {
        return Vec::new();
    };
    let (p, l) = &points[worst];
    let keys = [
        l.scenario.arms[0].key.as_str(),
        l.scenario.arms[1].key.as_str(),
    ];
    let Some(details) = crate::plausibility::warning_message(keys, &audits[worst]) else {
        return Vec::new();
    };
    let message = if points.len() == 1 {
        details
    } else {
        let list: Vec<String> = over
            .iter()
            .map(|(i, _)| points[*i].0.index.to_string())
            .collect();
        format!(
            "at {} of {} design points ({}); at design point {} ({}), the worst: {details}",
            over.len(),
            points.len(),
            list.join(", "),
            p.index,
            p.label()
        )
    };
    let mut w =
        crate::scenario::Warning::new(crate::scenario::WarningKind::Plausibility, "model", message);
    w.file = file.to_string();
    if points.len() > 1 {
        w.origin = Some("sweep".into());
    }
    vec![w]
}

pub fn write_outputs(
    out: &Path,
    loaded: &Loaded,
    points: &[(DesignPoint, Loaded)],
    summary: &Summary,
    exports: &[Vec<ReplicateExport>],
    accs: &[&DesignAcc],
) -> Result<(), CliError> {
    write_json(&out.join("summary.json"), summary)?;
    write_atomic(
        &out.join("results.csv"),
        &results_csv(summary, points, accs)?,
    )?;
    write_atomic(
        &out.join("effects.csv"),
        &effects_csv(summary, points, accs)?,
    )?;
    write_atomic(
        &out.join("scenario.resolved.toml"),
        loaded.resolved.as_bytes(),
    )?;
    if let Some(csv) = super::sequential::sequential_csv(summary, points)? {
        write_atomic(&out.join("sequential.csv"), &csv)?;
    }
    if let Some(csv) = super::sequential::looks_csv(exports)? {
        write_atomic(&out.join("looks.csv"), &csv)?;
    }
    if exports.iter().any(|e| !e.is_empty()) {
        let multi = points.len() > 1;
        let mut head_p = vec![
            "replicate",
            "patient",
            "arm",
            "endpoint",
            "value",
            "baseline",
            "time_days",
            "event",
            "visit",
        ];
        let mut head_t = vec![
            "replicate",
            "endpoint",
            "test",
            "estimate",
            "statistic",
            "p_value",
            "reject",
        ];
        if multi {
            head_p.insert(0, "design_point");
            head_t.insert(0, "design_point");
        }
        let prefix = |i: usize| if multi { vec![i.to_string()] } else { vec![] };
        let prows = exports.iter().enumerate().flat_map(|(i, ex)| {
            ex.iter().flat_map(move |e| {
                e.patients.iter().map(move |r| {
                    let mut v = prefix(i);
                    v.extend([
                        r.replicate.to_string(),
                        r.patient.to_string(),
                        r.arm.clone(),
                        r.endpoint.clone(),
                        fmt_opt(r.value),
                        fmt_opt(r.baseline),
                        fmt_opt(r.time_days),
                        r.event.map(|b| u8::from(b).to_string()).unwrap_or_default(),
                        r.visit.clone().unwrap_or_default(),
                    ]);
                    v
                })
            })
        });
        write_atomic(&out.join("patients.csv"), &csv_bytes(&head_p, prows)?)?;
        let trows = exports.iter().enumerate().flat_map(|(i, ex)| {
            ex.iter().flat_map(move |e| {
                e.tests.iter().map(move |r| {
                    let mut v = prefix(i);
                    v.extend([
                        r.replicate.to_string(),
                        r.endpoint.clone(),
                        r.test.to_string(),
                        fmt_opt(r.estimate),
                        fmt_opt(r.statistic),
                        fmt_opt(r.p_value),
                        u8::from(r.reject).to_string(),
                    ]);
                    v
                })
            })
        });
        write_atomic(&out.join("tests.csv"), &csv_bytes(&head_t, trows)?)?;
        if exports.iter().flatten().any(|e| !e.events.is_empty()) {
            let mut head_e = vec![
                "replicate",
                "patient",
                "arm",
                "endpoint",
                "start_days",
                "stop_days",
                "event",
                "kind",
            ];
            if multi {
                head_e.insert(0, "design_point");
            }
            let erows = exports.iter().enumerate().flat_map(|(i, ex)| {
                ex.iter().flat_map(move |e| {
                    e.events.iter().map(move |r| {
                        let mut v = prefix(i);
                        v.extend([
                            r.replicate.to_string(),
                            r.patient.to_string(),
                            r.arm.clone(),
                            r.endpoint.clone(),
                            r.start_days.to_string(),
                            r.stop_days.to_string(),
                            u8::from(r.event).to_string(),
                            r.kind.to_string(),
                        ]);
                        v
                    })
                })
            });
            write_atomic(&out.join("events.csv"), &csv_bytes(&head_e, erows)?)?;
        }
    }
    Ok(())
}

/// A design value as a CSV cell (strings unquoted).
pub fn json_cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn design_axes(points: &[(DesignPoint, Loaded)]) -> Vec<String> {
    points
        .first()
        .map(|(p, _)| p.assignments.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default()
}

/// `effects.csv`: the distribution of the estimated effect per design point
/// and endpoint, as display bins (`-inf`/`inf` rows count estimates beyond
/// them).
pub fn effects_csv(
    summary: &Summary,
    points: &[(DesignPoint, Loaded)],
    accs: &[&DesignAcc],
) -> anyhow::Result<Vec<u8>> {
    let axes = design_axes(points);
    let mut header: Vec<String> = vec!["design_point".into()];
    header.extend(axes.iter().cloned());
    header.extend(["endpoint", "effect", "bin_low", "bin_high", "count"].map(String::from));
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (i, ((d, (_, l)), ds)) in summary
        .design_points
        .iter()
        .zip(points)
        .zip(accs)
        .enumerate()
    {
        let design: Vec<String> = axes
            .iter()
            .map(|k| d.design.get(k).map(json_cell).unwrap_or_default())
            .collect();
        for (ep, acc) in l.scenario.endpoints.iter().zip(&ds.endpoints) {
            let Some(dist) = EffectDistribution::from_bins(&acc.estimate_bins)
                .map(|d| d.displayed(ep.options.effect_scale))
            else {
                continue;
            };
            let (label, _) = figures::effect_axis(ep);
            let mut row = |lo: String, hi: String, c: u64| {
                let mut r = vec![i.to_string()];
                r.extend(design.iter().cloned());
                r.extend([ep.name.clone(), label.clone(), lo, hi, c.to_string()]);
                rows.push(r);
            };
            if dist.below > 0 {
                row("-inf".into(), dist.edges[0].to_string(), dist.below);
            }
            for (k, &c) in dist.counts.iter().enumerate() {
                row(dist.edges[k].to_string(), dist.edges[k + 1].to_string(), c);
            }
            if dist.above > 0 {
                row(
                    dist.edges[dist.edges.len() - 1].to_string(),
                    "inf".into(),
                    dist.above,
                );
            }
        }
    }
    let h: Vec<&str> = header.iter().map(|s| s.as_str()).collect();
    csv_bytes(&h, rows.into_iter())
}

/// The columns of `results.csv` after the design point and its axes (see
/// docs/scenarios.md, "Outputs"). Arms appear by role: `control_arm` and
/// `treatment_arm` name them, so the columns are the same for every
/// scenario.
pub const RESULTS_COLUMNS: &[&str] = &[
    "endpoint",
    "role",
    "test",
    "alpha",
    "alternative",
    "replicates",
    "power",
    "power_mcse",
    "power_ci_low",
    "power_ci_high",
    "power_favourable",
    "power_favourable_mcse",
    "power_harmful",
    "power_harmful_mcse",
    "n_analysable",
    "n_not_analysable",
    "effect_measure",
    "effect_scale",
    "effect_mean",
    "effect_sd",
    "effect_median",
    "effect_q025",
    "effect_q975",
    "analytic_power",
    "control_arm",
    "treatment_arm",
    "control_n_mean",
    "treatment_n_mean",
    "control_mean",
    "treatment_mean",
    "control_sd",
    "treatment_sd",
    "control_event_rate",
    "treatment_event_rate",
    "assurance",
    "assurance_mcse",
    "assurance_ci_low",
    "assurance_ci_high",
];

/// `results.csv`: one row per design point and endpoint (a long table: the
/// design point's axes as columns, then [`RESULTS_COLUMNS`]).
pub fn results_csv(
    summary: &Summary,
    points: &[(DesignPoint, Loaded)],
    accs: &[&DesignAcc],
) -> anyhow::Result<Vec<u8>> {
    let axes = design_axes(points);
    let mut header: Vec<String> = vec!["design_point".into()];
    header.extend(axes.iter().cloned());
    header.extend(RESULTS_COLUMNS.iter().map(|s| s.to_string()));
    let mut rows = Vec::new();
    for (i, ((d, ds), (_, l))) in summary
        .design_points
        .iter()
        .zip(accs)
        .zip(points)
        .enumerate()
    {
        let design: Vec<String> = axes
            .iter()
            .map(|k| d.design.get(k).map(json_cell).unwrap_or_default())
            .collect();
        let s = &l.scenario;
        let (control, treatment) = (&s.arms[0].key, &s.arms[1].key);
        let per_arm = |m: &Option<BTreeMap<String, f64>>, arm: &String| {
            fmt_opt(m.as_ref().and_then(|m| m.get(arm)).copied())
        };
        for ((e, acc), ep) in d.endpoints.iter().zip(&ds.endpoints).zip(&s.endpoints) {
            let dist = EffectDistribution::from_bins(&acc.estimate_bins)
                .map(|d| d.displayed(e.effect_scale));
            let n = |arm: &String| fmt_opt(e.n_analyzed_mean.get(arm).copied());
            let alternative = serde_json::to_value(e.alternative)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            let mut r = vec![i.to_string()];
            r.extend(design.iter().cloned());
            r.extend([
                e.name.clone(),
                super::console::word(&e.role),
                e.test.to_string(),
                e.alpha.to_string(),
                alternative,
                e.replicates.to_string(),
                e.power.power.to_string(),
                e.power.power_mcse.to_string(),
                e.power.power_ci_low.to_string(),
                e.power.power_ci_high.to_string(),
                e.power_favourable.to_string(),
                e.power_favourable_mcse.to_string(),
                e.power_harmful.to_string(),
                e.power_harmful_mcse.to_string(),
                e.n_analysable.to_string(),
                e.n_not_analysable.to_string(),
                figures::effect_axis(ep).0,
                super::console::word(&e.effect_scale),
                fmt_opt(e.effect_mean),
                fmt_opt(e.effect_sd),
                fmt_opt(dist.as_ref().map(|d| d.median)),
                fmt_opt(dist.as_ref().map(|d| d.q025)),
                fmt_opt(dist.as_ref().map(|d| d.q975)),
                fmt_opt(e.analytic_power),
                control.clone(),
                treatment.clone(),
                n(control),
                n(treatment),
                per_arm(&e.arm_mean, control),
                per_arm(&e.arm_mean, treatment),
                per_arm(&e.arm_sd, control),
                per_arm(&e.arm_sd, treatment),
                per_arm(&e.event_rate, control),
                per_arm(&e.event_rate, treatment),
                fmt_opt(e.assurance.as_ref().map(|a| a.assurance)),
                fmt_opt(e.assurance.as_ref().map(|a| a.assurance_mcse)),
                fmt_opt(e.assurance.as_ref().map(|a| a.assurance_ci_low)),
                fmt_opt(e.assurance.as_ref().map(|a| a.assurance_ci_high)),
            ]);
            rows.push(r);
        }
    }
    let h: Vec<&str> = header.iter().map(|s| s.as_str()).collect();
    csv_bytes(&h, rows.into_iter())
}
