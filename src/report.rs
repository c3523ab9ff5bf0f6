//! `report.html`: one self-contained page per run (inline CSS and SVG, no
//! scripts, nothing fetched): the scenario, the power table, the plots, the
//! calibration if there is one, and the manifest. Pure: builds a string.

use crate::plots::figures::CalibrationFile;
use crate::scenario::spec::Measure;
use crate::scenario::{DesignPoint, Loaded};
use crate::sensitivity::table::{IndexTable, Method, RunInfo, statistic_label};
use crate::summary::Summary;
use std::fmt::Write;

/// The calibration shown in a report.
pub struct CalibrationSection<'a> {
    /// Where it was read from (shown).
    pub path: String,
    pub file: &'a CalibrationFile,
    /// The calibration panels as SVG, if drawn.
    pub panels_svg: Option<&'a str>,
}

/// Everything a report shows.
pub struct ReportInput<'a> {
    pub loaded: &'a Loaded,
    pub points: &'a [(DesignPoint, Loaded)],
    pub summary: &'a Summary,
    pub manifest: &'a serde_json::Value,
    /// `(caption, svg)` of each plot.
    pub figures: &'a [(String, String)],
    pub calibration: Option<CalibrationSection<'a>>,
    /// Where a calibration was looked for when none is shown.
    pub calibration_looked_for: &'a [String],
    /// The run's warnings (`summary.json` `warnings`).
    pub warnings: &'a [crate::scenario::Warning],
    /// A sensitivity analysis of the scenario, if one was found.
    pub sensitivity: Option<SensitivitySection>,
}

/// What drives an endpoint's answer, from `hfsim sensitivity` (its
/// `sensitivity.json` and `sensitivity.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct SensitivitySection {
    pub path: String,
    pub endpoint: String,
    /// "sobol" or "morris".
    pub method: String,
    /// `(parameter, index)` of the power output, largest first: total
    /// Sobol' index or Morris mu*.
    pub ranking: Vec<(String, f64)>,
    /// How the analysis was run (`None` if `sensitivity.json` does not say).
    pub info: Option<RunInfo>,
    /// Every output's indices, or why `sensitivity.csv` could not be read.
    pub table: Result<IndexTable, String>,
}

impl SensitivitySection {
    /// Read from the folder `hfsim sensitivity` wrote.
    pub fn read(dir: &std::path::Path) -> Option<SensitivitySection> {
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("sensitivity.json")).ok()?)
                .ok()?;
        let endpoint = json.get("endpoint")?.as_str()?.to_string();
        let method = json
            .get("method")
            .and_then(|m| m.as_str())
            .unwrap_or("")
            .to_lowercase();
        let stat = if method == "morris" {
            "mu_star"
        } else {
            "total"
        };
        let csv = std::fs::read_to_string(dir.join("sensitivity.csv")).ok()?;
        let mut ranking: Vec<(String, f64)> = csv
            .lines()
            .skip(1)
            .filter_map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f.len() >= 4 && f[0] == "power" && f[2] == stat)
                    .then(|| Some((f[1].to_string(), f[3].parse::<f64>().ok()?)))
                    .flatten()
            })
            .collect();
        ranking.sort_by(|a, b| b.1.total_cmp(&a.1));
        let info = RunInfo::from_json(&json);
        let table = match &info {
            Some(i) => IndexTable::parse_csv(&csv, i.method)
                .map_err(|e| format!("{}: {e}", dir.join("sensitivity.csv").display())),
            None => Err(format!(
                "{}: no endpoint or no known method (morris, sobol)",
                dir.join("sensitivity.json").display()
            )),
        };
        Some(SensitivitySection {
            path: dir.join("sensitivity.json").display().to_string(),
            endpoint,
            method,
            ranking,
            info,
            table,
        })
    }
}

/// The paragraph a protocol's sample-size section could quote: per
/// efficacy endpoint of the first design point, power at the calibrated
/// values, assurance over `[uncertainty]` when there is one, what drives the
/// answer (a sensitivity analysis, if found) and where the scenario leaves
/// the calibrated domain.
pub fn design_answer(r: &ReportInput) -> String {
    let s = &r.loaded.scenario;
    let Some(dp) = r.summary.design_points.first() else {
        return String::new();
    };
    let mut h = String::from("<h2 id=\"answer\">The design's answer</h2>\n");
    let n = format!(
        "{} patients per arm (allocation {}:{})",
        s.trial.n_per_arm, s.arms[0].weight, s.arms[1].weight
    );
    let efficacy: Vec<_> = dp
        .endpoints
        .iter()
        .filter(|e| e.role != crate::analysis::direction::EndpointRole::Safety)
        .collect();
    let _ = write!(
        h,
        "<p>With {n}{}:</p>\n<ul>",
        if r.points.len() > 1 {
            " (first design point)"
        } else {
            ""
        }
    );
    for e in &efficacy {
        let p = &e.power;
        let _ = write!(
            h,
            "<li><code>{}</code>: power {} (95% CI {} to {}, {} simulated trials) at the calibrated parameter values",
            esc(&e.name),
            f3(p.power),
            f3(p.power_ci_low),
            f3(p.power_ci_high),
            dp.power_replicates.unwrap_or(dp.replicates)
        );
        if let Some(a) = &e.assurance {
            let _ = write!(
                h,
                "; assurance {} (95% CI {} to {}, {} worlds) over the uncertainty of the model parameters in <code>[uncertainty]</code>",
                f3(a.assurance),
                f3(a.assurance_ci_low),
                f3(a.assurance_ci_high),
                a.worlds
            );
            // the parameters whose strata explain a share of the true
            // effect clearly above chance
            let clear: Vec<String> = a
                .drivers
                .iter()
                .filter_map(|d| {
                    d.clear_share().map(|(i, se)| {
                        format!(
                            "<code>{}</code> ({} ± {})",
                            esc(&d.parameter),
                            f3(i),
                            f3(se)
                        )
                    })
                })
                .take(3)
                .collect();
            if !clear.is_empty() {
                let _ = write!(
                    h,
                    "; across the worlds its true effect varies most with {}",
                    clear.join(", ")
                );
            }
        }
        h.push_str(".</li>");
    }
    h.push_str("</ul>\n<p>");
    if s.uncertainty.is_none() {
        h.push_str("The scenario has no <code>[uncertainty]</code>: the power is that of one parameter set, the calibrated one, and does not allow for what the published trials leave uncertain (add priors, or the posterior, to get assurance). ");
    } else if let Some(u) = &s.uncertainty {
        let _ = write!(
            h,
            "Assurance averages the power over {} uncertain parameter{}, each replicate in its own world. ",
            u.parameters.len(),
            if u.parameters.len() == 1 { "" } else { "s" }
        );
        if u.between_trial && crate::uncertainty::between_trial::is_heterogeneous(&s.model) {
            let _ = write!(
                h,
                "Each world is also a trial drawn from the population of trials: its cell effect differs from the typical trial's by a factor exp({} z) and its LV response splits differently between volume and EF (between-trial SDs calibrated across the published trials), which power at the calibrated values leaves out. ",
                f3(s.model.get(crate::model::params::P::BetweenTrialEfficacySd))
            );
        }
        if efficacy
            .iter()
            .any(|e| e.assurance.as_ref().is_some_and(|a| !a.drivers.is_empty()))
        {
            h.push_str("The shares after a parameter are first-order indices from the assurance worlds themselves: the part of the variance of a trial's true (noise-free) effect explained by which tenth of its prior the parameter's draw fell in, ± its standard error, named where it is clearly above chance; what no parameter explains is mostly which patients a trial of this size enrols. ");
        }
    }
    match &r.sensitivity {
        Some(sen) if !sen.ranking.is_empty() => {
            let what = if sen.method == "morris" {
                "Morris mu*"
            } else {
                "total Sobol' index"
            };
            let top: Vec<String> = sen
                .ranking
                .iter()
                .take(3)
                .map(|(p, v)| format!("<code>{}</code> ({what} {})", esc(p), f3(*v)))
                .collect();
            let _ = write!(
                h,
                "The uncertain parameters that drive the power of <code>{}</code> most are {} (<code>{}</code>). ",
                esc(&sen.endpoint),
                top.join(", "),
                esc(&sen.path)
            );
        }
        _ => h.push_str("No sensitivity analysis was found (<code>hfsim sensitivity</code> writes one into <code>out/&lt;name&gt;/sensitivity/</code>), so the parameters that drive the answer are not named here. "),
    }
    let domain: Vec<&crate::scenario::Warning> = r
        .warnings
        .iter()
        .filter(|w| w.kind == crate::scenario::WarningKind::ApplicabilityDomain)
        .collect();
    if domain.is_empty() {
        h.push_str("Every setting lies inside the domain the model was calibrated on (the published trials of <code>scenarios/trials/</code>).");
    } else {
        let keys: Vec<String> = domain
            .iter()
            .map(|w| format!("<code>{}</code>", esc(&w.key)))
            .collect();
        let _ = write!(
            h,
            "The scenario leaves the calibrated domain at {}: there the answer is an extrapolation of the model (<a href=\"#warnings\">Warnings</a>).",
            keys.join(", ")
        );
    }
    h.push_str("</p>\n");
    h
}

/// Escape text for HTML.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const CSS: &str = r#"
:root { --ink: #1d2330; --muted: #5b6475; --line: #d9dde5; --band: #f4f6f9; --accent: #1f77b4; --bad: #c81e1e; --good: #14823c; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: var(--ink); margin: 0; background: #fff; font-size: 15px; line-height: 1.45; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 32px 64px; }
header { border-bottom: 3px solid var(--accent); padding-bottom: 12px; margin-bottom: 8px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 22px 0 8px; }
p.lead { color: var(--muted); margin: 4px 0; }
nav { font-size: 14px; margin: 10px 0 0; }
nav a { color: var(--accent); margin-right: 14px; text-decoration: none; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13.5px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--band); font-weight: 600; white-space: nowrap; }
td { max-width: 520px; }
td.nowrap { white-space: nowrap; }
table.cal { font-size: 13px; }
table.cal td.desc { min-width: 240px; }
table.cal td:first-child { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
table.glance td.heat { min-width: 44px; text-align: center; }
p.scale { font-size: 13px; color: var(--muted); }
p.scale span { display: inline-block; min-width: 34px; text-align: center; padding: 1px 4px; margin-right: 2px; }
ul.warnings li { margin: 4px 0; }
ul.warnings code { font-size: 12.5px; }
th.rot { vertical-align: bottom; padding: 6px 4px; }
th.rot span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.fail td { background: #fdecec; }
tr.group td { background: var(--band); font-weight: 600; }
.pass { color: var(--good); font-weight: 600; }
.fail-text { color: var(--bad); font-weight: 600; }
.bar { display: inline-block; width: 90px; height: 10px; background: #e8ebf0; vertical-align: middle; margin-right: 6px; position: relative; }
.bar span { display: block; height: 10px; background: var(--accent); }
.bar i { position: absolute; top: -3px; width: 1px; height: 16px; background: #444; }
dl.kv { display: grid; grid-template-columns: max-content auto; gap: 3px 18px; font-size: 14px; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; }
figure { margin: 16px 0 28px; }
figure svg { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 13.5px; margin-top: 4px; }
details { margin: 10px 0; }
summary { cursor: pointer; color: var(--accent); }
pre { background: var(--band); padding: 10px; overflow-x: auto; font-size: 12.5px; }
.scroll { overflow-x: auto; }
footer { margin-top: 40px; color: var(--muted); font-size: 12.5px; }
"#;

fn f3(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        "-".into()
    }
}

fn num(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => {
            let a = v.abs();
            if a != 0.0 && !(0.001..100000.0).contains(&a) {
                format!("{v:.3e}")
            } else if a >= 100.0 {
                format!("{v:.1}")
            } else {
                format!("{v:.3}")
            }
        }
        _ => "-".into(),
    }
}

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "-".into(),
        other => other.to_string(),
    }
}

/// A power cell: the number and a small bar with the 95% interval.
fn power_cell(p: f64, lo: f64, hi: f64) -> String {
    format!(
        "<td class=\"num\"><span class=\"bar\" title=\"95% interval {:.3} to {:.3}\"><span style=\"width:{:.1}%\"></span><i style=\"left:{:.1}%\"></i><i style=\"left:{:.1}%\"></i></span>{}</td>",
        lo,
        hi,
        100.0 * p.clamp(0.0, 1.0),
        100.0 * lo.clamp(0.0, 1.0),
        100.0 * hi.clamp(0.0, 1.0),
        f3(p)
    )
}

/// Give an inline SVG a viewBox so that it scales with the page.
fn responsive_svg(svg: &str) -> String {
    let Some(start) = svg.find("<svg") else {
        return String::new();
    };
    let svg = &svg[start..];
    if svg[..svg.find('>').unwrap_or(0)].contains("viewBox") {
        return svg.to_string();
    }
    let attr = |name: &str| -> Option<String> {
        let head = &svg[..svg.find('>')?];
        let i = head.find(&format!("{name}=\""))? + name.len() + 2;
        let j = head[i..].find('"')? + i;
        Some(head[i..j].to_string())
    };
    match (attr("width"), attr("height")) {
        (Some(w), Some(h)) => svg.replacen("<svg", &format!("<svg viewBox=\"0 0 {w} {h}\""), 1),
        _ => svg.to_string(),
    }
}

fn measure_text(m: &Measure) -> (String, String) {
    match m {
        Measure::Continuous { quantity, modality } => (
            quantity.key().to_string(),
            serde_json::to_value(modality)
                .ok()
                .map(|v| json_text(&v))
                .unwrap_or_default(),
        ),
        Measure::Event { event } => (
            serde_json::to_value(event)
                .ok()
                .map(|v| json_text(&v))
                .unwrap_or_default(),
            "event".into(),
        ),
        Measure::Binary { outcome } => (
            serde_json::to_value(outcome)
                .ok()
                .map(|v| json_text(&v))
                .unwrap_or_default(),
            "yes/no".into(),
        ),
        Measure::Hierarchy => ("hierarchical_composite".into(), "win ratio".into()),
    }
}

fn enum_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .map(|v| json_text(&v))
        .unwrap_or_default()
}

/// The page.
pub fn render_html(r: &ReportInput) -> String {
    let s = &r.loaded.scenario;
    let sum = r.summary;
    let mut h = String::new();
    let title = format!("hfsim report: {}", s.name);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        esc(&title)
    );
    // header
    let when = r
        .manifest
        .get("started_utc")
        .map(json_text)
        .unwrap_or_default();
    let _ = write!(h, "<header><h1>{}</h1>", esc(&title));
    if !s.description.is_empty() {
        let _ = write!(h, "<p class=\"lead\">{}</p>", esc(&s.description));
    }
    let _ = write!(
        h,
        "<p class=\"lead\">hfsim {} &middot; {} simulated trials per design point &middot; {} design point{} &middot; seed {} &middot; scenario sha256 <code>{}</code> &middot; {}</p>",
        esc(sum.hfsim_version),
        sum.replicates,
        r.points.len(),
        if r.points.len() == 1 { "" } else { "s" },
        sum.seed,
        esc(&sum.scenario_sha256[..12.min(sum.scenario_sha256.len())]),
        esc(&when)
    );
    h.push_str("<nav>");
    if !r.warnings.is_empty() {
        h.push_str("<a href=\"#warnings\">Warnings</a>");
    }
    h.push_str("<a href=\"#answer\">Answer</a><a href=\"#scenario\">Scenario</a><a href=\"#endpoints\">Endpoints</a><a href=\"#power\">Power</a>");
    if sum.design_points.iter().any(|d| d.sequential.is_some()) {
        h.push_str("<a href=\"#sequential\">Sequential design</a>");
    }
    if r.sensitivity.is_some() {
        h.push_str("<a href=\"#sensitivity\">Sensitivity</a>");
    }
    // the calibration section is always there (it says when none is shown)
    h.push_str("<a href=\"#plots\">Plots</a><a href=\"#calibration\">Calibration</a><a href=\"#manifest\">Manifest</a></nav></header>\n");

    // warnings
    if !r.warnings.is_empty() {
        let _ = write!(
            h,
            "<h2 id=\"warnings\">Warnings</h2>\n<p>The scenario is valid, but {}:</p>\n<ul class=\"warnings\">",
            if r.warnings.len() == 1 {
                "this may be a slip"
            } else {
                "these may be slips"
            }
        );
        for w in r.warnings {
            let at = match (w.line, &w.origin) {
                (Some(l), _) => format!("{}:{l}", w.file),
                (None, Some(o)) => format!("{} ({o})", w.file),
                (None, None) => w.file.clone(),
            };
            let _ = write!(
                h,
                "<li><code>{}</code> <code>{}</code>: {}</li>",
                esc(&at),
                esc(&w.key),
                esc(&w.message)
            );
        }
        h.push_str("</ul>\n");
    }

    h.push_str(&design_answer(r));

    // scenario
    h.push_str("<h2 id=\"scenario\">Scenario</h2>\n<dl class=\"kv\">");
    let mut kv = |k: &str, v: String| {
        let _ = write!(h, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(&v));
    };
    kv("name", s.name.clone());
    kv(
        "patients per arm",
        format!(
            "{} x allocation weight ({} control : {} treatment)",
            s.trial.n_per_arm, s.arms[0].weight, s.arms[1].weight
        ),
    );
    kv(
        "randomization",
        match s.trial.randomization {
            crate::scenario::spec::Randomization::Simple => "simple".into(),
            crate::scenario::spec::Randomization::PermutedBlock { block_size } => {
                format!("permuted blocks of {block_size}")
            }
        },
    );
    kv(
        "follow-up",
        format!(
            "{} days, {} visits",
            s.run.follow_up_days,
            s.trial.visits.len()
        ),
    );
    kv(
        "early withdrawal / dropout",
        format!(
            "{} / {:.3} per year",
            s.trial.early_withdrawal_probability,
            s.trial.dropout_per_day * 365.25
        ),
    );
    kv(
        "common random numbers",
        if s.run.common_random_numbers {
            "yes: the same virtual patients in every design point".into()
        } else {
            "no: independent patients per design point".into()
        },
    );
    kv(
        "solver",
        r.manifest.get("solver").map(json_text).unwrap_or_default(),
    );
    if let Some(sw) = &r.loaded.spec.sweep {
        let axes = sw
            .axes
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k} = [{}]",
                    v.iter()
                        .map(|x| x.to_string().trim().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        kv(
            "sweep",
            format!("{} ({}): {axes}", enum_text(&sw.mode), r.points.len()),
        );
    }
    h.push_str("</dl>\n<h3>Arms</h3>\n<table><tr><th></th>");
    for a in &s.arms {
        let _ = write!(h, "<th>{}</th>", esc(&a.key));
    }
    h.push_str("</tr>");
    let dose = |x: f64| {
        if x == 0.0 {
            "0".to_string()
        } else {
            format!("{x:.2e}").replace("e", " x 10^")
        }
    };
    type ArmRow<'a> = (
        &'a str,
        Box<dyn Fn(&crate::scenario::validate::Arm) -> String + 'a>,
    );
    let rows: Vec<ArmRow> = vec![
        (
            "role",
            Box::new(|a| {
                if a.key == s.arms[0].key {
                    "control".into()
                } else {
                    "treatment".into()
                }
            }),
        ),
        ("label", Box::new(|a| a.label.clone())),
        ("route", Box::new(|a| enum_text(&a.spec.route))),
        (
            "cells/kg per dose",
            Box::new(move |a| dose(a.spec.dose_cells_per_kg)),
        ),
        ("doses", Box::new(|a| a.spec.n_doses.to_string())),
        (
            "interval (days)",
            Box::new(|a| {
                a.spec
                    .interval_days
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "-".into())
            }),
        ),
        (
            "first dose (day)",
            Box::new(|a| a.spec.first_dose_day.to_string()),
        ),
        (
            "dose days",
            Box::new(|a| {
                a.regimen
                    .dose_days
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
        ),
        (
            "infusion (hours)",
            Box::new(|a| a.spec.infusion_duration_hours.to_string()),
        ),
        (
            "premedication",
            Box::new(|a| enum_text(&a.spec.premedication)),
        ),
        (
            "anticoagulation at infusion",
            Box::new(|a| enum_text(&a.spec.infusion_anticoagulation)),
        ),
        ("product", Box::new(|a| a.spec.product.key().to_string())),
        ("donor", Box::new(|a| enum_text(&a.spec.donor))),
        (
            "immunosuppression",
            Box::new(|a| enum_text(&a.spec.immunosuppression)),
        ),
        ("allocation weight", Box::new(|a| a.weight.to_string())),
    ];
    for (name, f) in &rows {
        let _ = write!(h, "<tr><th>{}</th>", esc(name));
        for a in &s.arms {
            let _ = write!(h, "<td>{}</td>", esc(&f(a)));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>\n");
    if r.points.len() > 1 {
        h.push_str("<p>The sweep changes some of these values per design point (see the power table).</p>\n");
    }

    // endpoints
    h.push_str("<h2 id=\"endpoints\">Endpoints</h2>\n<div class=\"scroll\"><table><tr><th>endpoint</th><th>quantity</th><th>modality</th><th>visit</th><th>analysis</th><th>test</th><th class=\"num\">alpha</th><th>alternative</th><th>effect reported</th></tr>");
    for ep in &s.endpoints {
        let (q, m) = measure_text(&ep.measure);
        let visit = ep
            .visit
            .and_then(|v| s.trial.visits.get(v))
            .map(|v| format!("{}, day {}", v.name, v.day))
            .unwrap_or_else(|| format!("by day {}", ep.by_day));
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"nowrap\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&ep.name),
            esc(&q),
            esc(&m),
            esc(&visit),
            esc(&enum_text(&ep.analysis)),
            esc(ep.test.key()),
            ep.alpha,
            esc(&enum_text(&ep.alternative)),
            esc(&crate::plots::figures::effect_axis(ep).0)
        );
    }
    h.push_str("</table></div>\n");
    if !s.families.is_empty() {
        h.push_str("<h3>Multiplicity families</h3><table><tr><th>family</th><th>procedure</th><th class=\"num\">alpha</th><th>endpoints</th></tr>");
        for f in &s.families {
            let eps: Vec<&str> = f
                .endpoints
                .iter()
                .map(|&k| s.endpoints[k].name.as_str())
                .collect();
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                esc(&f.name),
                esc(&enum_text(&f.procedure)),
                f.alpha,
                esc(&eps.join(", "))
            );
        }
        h.push_str("</table>\n");
    }

    // power
    let arms: Vec<&str> = s.arms.iter().map(|a| a.key.as_str()).collect();
    let _ = write!(
        h,
        "<h2 id=\"power\">Power</h2>\n<p>Power is the share of the {} simulated trials whose analysis rejects at the endpoint's alpha; a trial an endpoint cannot analyse counts as not rejecting. The bar shows the power and the ticks its 95% Wilson interval. Effect: treatment minus control (hazard ratio for log-rank).</p>\n",
        sum.replicates
    );
    let axes: Vec<String> = r
        .points
        .first()
        .map(|(p, _)| p.assignments.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    if !axes.is_empty() {
        // at a glance: design points x endpoints, shaded by power
        h.push_str("<h3>At a glance</h3>\n<div class=\"scroll\"><table class=\"glance\"><tr><th class=\"num\">#</th>");
        for a in &axes {
            let _ = write!(h, "<th>{}</th>", esc(a.rsplit('.').next().unwrap_or(a)));
        }
        for e in sum
            .design_points
            .first()
            .map(|d| d.endpoints.as_slice())
            .unwrap_or(&[])
        {
            let _ = write!(h, "<th class=\"rot\"><span>{}</span></th>", esc(&e.name));
        }
        h.push_str("</tr>\n");
        for (i, d) in sum.design_points.iter().enumerate() {
            let _ = write!(h, "<tr><td class=\"num\">{i}</td>");
            for a in &axes {
                let _ = write!(
                    h,
                    "<td>{}</td>",
                    esc(&d.design.get(a).map(json_text).unwrap_or_default())
                );
            }
            for e in &d.endpoints {
                let p = e.power.power.clamp(0.0, 1.0);
                let _ = write!(
                    h,
                    "<td class=\"num heat\" style=\"background: rgba(31, 119, 180, {:.2}); color: {}\" title=\"{}: {:.3} (95% {:.3} to {:.3})\">{:.2}</td>",
                    0.08 + 0.85 * p,
                    if p > 0.55 { "#fff" } else { "#1d2330" },
                    esc(&e.name),
                    p,
                    e.power.power_ci_low,
                    e.power.power_ci_high,
                    p
                );
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table></div>\n<p class=\"scale\">Shading: power ");
        for k in 0..=5 {
            let p = k as f64 / 5.0;
            let _ = write!(
                h,
                "<span style=\"background: rgba(31, 119, 180, {:.2}); color: {}\">{p:.1}</span>",
                0.08 + 0.85 * p,
                if p > 0.55 { "#fff" } else { "#1d2330" }
            );
        }
        let _ = write!(
            h,
            " (each cell: the share of the {} simulated trials of a design point rejecting for an endpoint; hover for the 95% interval).</p>\n<details><summary>Every number per design point and endpoint</summary>\n",
            sum.replicates
        );
    }
    h.push_str("<div class=\"scroll\"><table><tr>");
    if !axes.is_empty() {
        h.push_str("<th class=\"num\">#</th>");
        for a in &axes {
            let _ = write!(h, "<th>{}</th>", esc(a.rsplit('.').next().unwrap_or(a)));
        }
    }
    let _ = writeln!(
        h,
        "<th>endpoint</th><th>test</th><th class=\"num\">power</th><th class=\"num\">95% interval</th><th class=\"num\">MCSE</th><th class=\"num\">effect mean (SD)</th><th class=\"num\">analysed {}/{}</th><th class=\"num\">not analysable</th><th class=\"num\">analytic power</th></tr>",
        esc(arms[0]),
        esc(arms[1])
    );
    for (i, d) in sum.design_points.iter().enumerate() {
        for e in &d.endpoints {
            h.push_str("<tr>");
            if !axes.is_empty() {
                let _ = write!(h, "<td class=\"num\">{i}</td>");
                for a in &axes {
                    let _ = write!(
                        h,
                        "<td>{}</td>",
                        esc(&d.design.get(a).map(json_text).unwrap_or_default())
                    );
                }
            }
            let n = arms
                .iter()
                .map(|a| {
                    e.n_analyzed_mean
                        .get(*a)
                        .map(|x| format!("{x:.1}"))
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(" / ");
            let _ = writeln!(
                h,
                "<td>{}</td><td>{}</td>{}<td class=\"num\">{} to {}</td><td class=\"num\">{}</td><td class=\"num\">{} ({})</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(&e.name),
                esc(e.test),
                power_cell(e.power.power, e.power.power_ci_low, e.power.power_ci_high),
                f3(e.power.power_ci_low),
                f3(e.power.power_ci_high),
                num(Some(e.power.power_mcse)),
                num(e.effect_mean),
                num(e.effect_sd),
                esc(&n),
                e.n_not_analysable,
                num(e.analytic_power)
            );
        }
    }
    h.push_str("</table></div>\n");
    if !axes.is_empty() {
        h.push_str("</details>\n");
    }
    if sum.design_points.iter().any(|d| !d.families.is_empty()) {
        h.push_str("<h3>Multiplicity families</h3><div class=\"scroll\"><table><tr>");
        if !axes.is_empty() {
            h.push_str("<th class=\"num\">#</th>");
            for a in &axes {
                let _ = write!(h, "<th>{}</th>", esc(a.rsplit('.').next().unwrap_or(a)));
            }
        }
        h.push_str("<th>family</th><th>procedure</th><th class=\"num\">at least one rejects</th><th class=\"num\">all reject</th></tr>");
        for (i, d) in sum.design_points.iter().enumerate() {
            for f in &d.families {
                h.push_str("<tr>");
                if !axes.is_empty() {
                    let _ = write!(h, "<td class=\"num\">{i}</td>");
                    for a in &axes {
                        let _ = write!(
                            h,
                            "<td>{}</td>",
                            esc(&d.design.get(a).map(json_text).unwrap_or_default())
                        );
                    }
                }
                let _ = write!(
                    h,
                    "<td>{}</td><td>{}</td>{}{}</tr>",
                    esc(&f.name),
                    esc(&enum_text(&f.procedure)),
                    power_cell(
                        f.disjunctive.power,
                        f.disjunctive.power_ci_low,
                        f.disjunctive.power_ci_high
                    ),
                    power_cell(
                        f.conjunctive.power,
                        f.conjunctive.power_ci_low,
                        f.conjunctive.power_ci_high
                    )
                );
            }
        }
        h.push_str("</table></div>\n");
    }

    sequential_section(&mut h, r);
    if let Some(sen) = &r.sensitivity {
        h.push_str(&sensitivity_section(sen, &s.name));
    }

    // plots
    h.push_str("<h2 id=\"plots\">Plots</h2>\n");
    if r.figures.is_empty() {
        h.push_str("<p>No plots were drawn.</p>\n");
    }
    for (caption, svg) in r.figures {
        let _ = writeln!(
            h,
            "<figure>{}<figcaption>{}</figcaption></figure>",
            responsive_svg(svg),
            esc(caption)
        );
    }

    // calibration
    if let Some(c) = &r.calibration {
        let f = c.file;
        let n_pass = f.targets.iter().filter(|t| t.pass).count();
        let p_pass = f.patterns.iter().filter(|p| p.pass).count();
        let _ = write!(
            h,
            "<h2 id=\"calibration\">Calibration to PRIME-HFrEF</h2>\n<p>From <code>{}</code>: scenario <b>{}</b>{}, {} simulated trials, seed {}. <span class=\"{}\">{} of {} targets pass</span> (the published value within the central 95% of the simulated trials or, for a bound, the simulated mean on the stated side); <span class=\"{}\">{} of {} qualitative patterns</span> hold.</p>\n",
            esc(&c.path),
            esc(&f.scenario),
            if f.scenario != s.name {
                " (not the scenario of this run)"
            } else {
                ""
            },
            f.replicates,
            f.seed,
            if n_pass == f.targets.len() {
                "pass"
            } else {
                "fail-text"
            },
            n_pass,
            f.targets.len(),
            if p_pass == f.patterns.len() {
                "pass"
            } else {
                "fail-text"
            },
            p_pass,
            f.patterns.len()
        );
        h.push_str("<div class=\"scroll\"><table class=\"cal\"><tr><th>target</th><th>description (unit)</th><th class=\"num\">published value or bound</th><th class=\"num\">simulated median</th><th class=\"num\">simulated 95%</th><th class=\"num\">pctl</th><th>criterion</th><th>result</th></tr>\n");
        let mut last_group = None;
        for t in &f.targets {
            if last_group != Some(&t.group) {
                let _ = write!(
                    h,
                    "<tr class=\"group\"><td colspan=\"8\">{}</td></tr>",
                    esc(&t.group)
                );
                last_group = Some(&t.group);
            }
            let _ = writeln!(
                h,
                "<tr{}><td>{}</td><td class=\"desc\">{} ({})</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} to {}</td><td class=\"num\">{}</td><td class=\"nowrap\">{}</td><td>{}</td></tr>",
                if t.pass { "" } else { " class=\"fail\"" },
                esc(&t.name),
                esc(&t.description),
                esc(&t.unit),
                match t.kind.as_str() {
                    "upper_bound" => format!("upper bound {}", num(Some(t.published))),
                    "lower_bound" => format!("lower bound {}", num(Some(t.published))),
                    _ => num(Some(t.published)),
                },
                num(t.simulated_median),
                num(t.simulated_low),
                num(t.simulated_high),
                t.percentile
                    .map(|p| format!("{p:.1}"))
                    .unwrap_or_else(|| "-".into()),
                esc(&t.criterion()),
                if t.pass {
                    "<span class=\"pass\">pass</span>"
                } else {
                    "<span class=\"fail-text\">FAIL</span>"
                }
            );
        }
        h.push_str("</table></div>\n");
        if !f.patterns.is_empty() {
            h.push_str("<h3>Qualitative patterns</h3><table><tr><th>pattern</th><th>description</th><th class=\"num\">value</th><th>criterion</th><th>result</th></tr>");
            for p in &f.patterns {
                let _ = write!(
                    h,
                    "<tr{}><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                    if p.pass { "" } else { " class=\"fail\"" },
                    esc(&p.name),
                    esc(&p.description),
                    num(p.value),
                    esc(&p.criterion),
                    if p.pass {
                        "<span class=\"pass\">pass</span>"
                    } else {
                        "<span class=\"fail-text\">FAIL</span>"
                    }
                );
            }
            h.push_str("</table>\n");
        }
        if let Some(svg) = c.panels_svg {
            let _ = writeln!(
                h,
                "<figure>{}<figcaption>Simulated distribution of each calibration target, its central 95% (shaded) and the published value (line); for a bound target the line is the bound (such as the upper limit of normal), not a published value.</figcaption></figure>",
                responsive_svg(svg)
            );
        }
    } else {
        let _ = write!(
            h,
            "<h2 id=\"calibration\">Calibration</h2>\n<p>No calibration is shown: no calibration.json was found{}. Write one with <code>hfsim calibrate check {}</code> (into <code>out/{}/calibration/</code>), or name one with <code>--calibration FILE</code>.</p>\n",
            if r.calibration_looked_for.is_empty() {
                String::new()
            } else {
                format!(
                    " (looked for {})",
                    r.calibration_looked_for
                        .iter()
                        .map(|p| format!("<code>{}</code>", esc(p)))
                        .collect::<Vec<_>>()
                        .join(" and ")
                )
            },
            esc(r
                .manifest
                .get("scenario_file")
                .and_then(|v| v.as_str())
                .unwrap_or("SCENARIO")),
            esc(&s.name)
        );
    }

    // manifest
    h.push_str("<h2 id=\"manifest\">Manifest</h2>\n<dl class=\"kv\">");
    if let Some(m) = r.manifest.as_object() {
        for (k, v) in m {
            let text = match v {
                serde_json::Value::Array(a) => {
                    a.iter().map(json_text).collect::<Vec<_>>().join(" ")
                }
                other => json_text(other),
            };
            let _ = write!(h, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(&text));
        }
    }
    h.push_str("</dl>\n");
    let _ = writeln!(
        h,
        "<details><summary>The scenario as run (scenario.resolved.toml)</summary><pre>{}</pre></details>",
        esc(&r.loaded.resolved)
    );
    let _ = write!(
        h,
        "<footer>Written by hfsim {}. Self-contained: no scripts, no external files.</footer>\n</main>\n</body>\n</html>\n",
        esc(sum.hfsim_version)
    );
    h
}

/// The statistics of a method in the order the report's tables show them:
/// the two the charts draw, then the rest.
fn shown_statistics(method: Method) -> Vec<&'static str> {
    let drawn = method.drawn();
    drawn
        .iter()
        .chain(method.statistics().iter().filter(|s| !drawn.contains(s)))
        .copied()
        .collect()
}

/// A sensitivity analysis of the scenario (`hfsim sensitivity`): how it was
/// run, per output a table of the indices sorted by importance, and the
/// tornado chart. `scenario`: the name of the scenario of the run.
pub fn sensitivity_section(sen: &SensitivitySection, scenario: &str) -> String {
    let mut h = String::from("<h2 id=\"sensitivity\">Sensitivity</h2>\n");
    let _ = write!(
        h,
        "<p>From <code>{}</code>: which of the uncertain parameters of <code>[uncertainty]</code> drive the answer for <code>{}</code>",
        esc(&sen.path),
        esc(&sen.endpoint)
    );
    if let Some(i) = &sen.info {
        if !i.scenario.is_empty() && i.scenario != scenario {
            let _ = write!(
                h,
                " (scenario <b>{}</b>, not the scenario of this run)",
                esc(&i.scenario)
            );
        }
        let _ = write!(h, ": {}", esc(&i.design_text()));
    }
    h.push_str(". <i>power</i> is the share of the trials rejecting in favour of treatment (any rejection for a safety endpoint), <i>effect</i> the mean estimated effect (on the log scale for ratios). ");
    let method = sen.info.as_ref().map(|i| i.method);
    match method {
        Some(Method::Sobol) => h.push_str("The first-order index is the share of an output's variance due to the parameter alone, the total index its share with all its interactions; the intervals are bootstrap 95% percentile intervals (with few base rows the estimates are noisy and can fall outside 0 to 1). "),
        Some(Method::Morris) => h.push_str("mu* is the mean absolute elementary effect of the parameter (its importance, in units of the output), sigma the standard deviation of the effects (interactions or nonlinearity), mu their mean (its sign: the direction). "),
        None => {}
    }
    if let Some(m) = method {
        let _ = write!(
            h,
            "Parameters are sorted by {}, the most important first. ",
            statistic_label(m.importance())
        );
    }
    h.push_str("The indices assume independent inputs (correlations in <code>[uncertainty]</code> are not used).</p>\n");
    let (t, info) = match (&sen.table, &sen.info) {
        (Ok(t), Some(i)) => (t, i),
        (Err(e), _) => {
            let _ = writeln!(h, "<p>The indices could not be read: {}.</p>", esc(e));
            return h;
        }
        (Ok(_), None) => return h,
    };
    if !info.not_analysed.is_empty() {
        let _ = writeln!(
            h,
            "<p>Not analysed: {}.</p>",
            esc(&info.not_analysed.join("; "))
        );
    }
    let stats = shown_statistics(t.method);
    for o in &t.outputs {
        let with_interval: Vec<bool> = stats
            .iter()
            .map(|s| {
                o.rows
                    .iter()
                    .any(|r| r.get(t.method, s).is_some_and(|v| v.interval.is_some()))
            })
            .collect();
        let _ = write!(
            h,
            "<h3>{}</h3>\n<div class=\"scroll\"><table class=\"sensitivity\"><tr><th>parameter</th>",
            esc(&o.output)
        );
        for (s, &ci) in stats.iter().zip(&with_interval) {
            let _ = write!(h, "<th class=\"num\">{}</th>", esc(statistic_label(s)));
            if ci {
                h.push_str("<th class=\"num\">95% interval</th>");
            }
        }
        h.push_str("</tr>\n");
        for r in o.ranked(t.method) {
            let _ = write!(h, "<tr><td><code>{}</code></td>", esc(&r.parameter));
            for (s, &ci) in stats.iter().zip(&with_interval) {
                let v = r.get(t.method, s);
                let _ = write!(h, "<td class=\"num\">{}</td>", num(v.map(|v| v.value)));
                if ci {
                    let _ = write!(
                        h,
                        "<td class=\"num\">{}</td>",
                        match v.and_then(|v| v.interval) {
                            Some((lo, hi)) => format!("{} to {}", num(Some(lo)), num(Some(hi))),
                            None => "-".into(),
                        }
                    );
                }
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table></div>\n");
    }
    match crate::plots::sensitivity::tornado(t, info).and_then(|f| crate::plots::render_svg(&f)) {
        Ok(svg) => {
            let _ = writeln!(
                h,
                "<figure>{}<figcaption>Tornado chart: one bar per uncertain parameter, the most important on top{}.</figcaption></figure>",
                responsive_svg(&svg),
                match t.method {
                    Method::Sobol =>
                        "; total index above the first-order index, whiskers their bootstrap 95% intervals",
                    Method::Morris => "; bars mu*, dots sigma",
                }
            );
        }
        Err(e) => {
            let _ = writeln!(
                h,
                "<p>The tornado chart was not drawn: {}.</p>",
                esc(&e.to_string())
            );
        }
    }
    h
}

/// `p [lo, hi] (MCSE)` of a probability.
fn prob_text(p: &crate::summary::PowerEstimate) -> String {
    format!(
        "{:.3} [{:.3}, {:.3}] (MCSE {:.4})",
        p.power, p.power_ci_low, p.power_ci_high, p.power_mcse
    )
}

/// The operating characteristics of a sequential design, per design point.
fn sequential_section(h: &mut String, r: &ReportInput) {
    let points: Vec<_> = r
        .summary
        .design_points
        .iter()
        .enumerate()
        .filter_map(|(i, d)| d.sequential.as_ref().map(|q| (i, q)))
        .collect();
    let Some(&(_, first)) = points.first() else {
        return;
    };
    let s = &r.loaded.scenario;
    let _ = write!(
        h,
        "<h2 id=\"sequential\">Sequential design</h2>\n<p>{}. Enrolment: {}. Each probability is the share of the {} simulated trials (with its 95% Wilson interval and Monte Carlo standard error); the bounds are those planned (the simulation recomputes spending-function bounds at the observed information); expected sample sizes and durations are means over the trials with their Monte Carlo standard errors.</p>\n",
        esc(&first.design),
        esc(&s
            .trial
            .accrual
            .as_ref()
            .map_or("all patients on day 0".to_string(), |a| a
                .description
                .clone())),
        first.replicates
    );
    for (i, q) in points {
        if r.points.len() > 1 {
            let _ = writeln!(
                h,
                "<h3>Design point {i}: {}</h3>",
                esc(&r.points[i].0.label())
            );
        }
        h.push_str("<dl class=\"kv\">");
        let mut kv = |k: &str, v: String| {
            let _ = write!(h, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(&v));
        };
        kv("P(reject H0 at any look)", prob_text(&q.power));
        kv("P(stop before the final look)", prob_text(&q.early_stop));
        kv(
            "expected patients enrolled",
            format!(
                "{:.1} (MCSE {:.2}; SD {:.1}) of {} planned, at most {}{}",
                q.expected_n_enrolled.mean,
                q.expected_n_enrolled.mcse,
                q.expected_n_enrolled.sd,
                q.n_planned,
                q.n_max,
                if q.n_max > q.n_planned {
                    format!(" (largest seen {})", q.n_enrolled_max_seen)
                } else {
                    String::new()
                }
            ),
        );
        kv(
            "expected patients analysed (primary)",
            format!(
                "{:.1} (MCSE {:.2})",
                q.expected_n_analysed.mean, q.expected_n_analysed.mcse
            ),
        );
        kv(
            "expected duration",
            format!(
                "{:.1} months (MCSE {:.2}); {:.0} days",
                q.expected_duration_months,
                q.expected_duration_days.mcse / crate::trial::accrual::DAYS_PER_MONTH,
                q.expected_duration_days.mean
            ),
        );
        if let Some(f) = q.inflation_factor {
            kv("inflation factor of the design", format!("{f:.4}"));
        }
        if let Some(p) = &q.reestimation_increased {
            kv(
                "sample size increased (promising zone)",
                format!(
                    "{}; mean final target {:.1} patients",
                    prob_text(p),
                    q.mean_n_target.unwrap_or(f64::NAN)
                ),
            );
        }
        if q.looks_skipped > 0 || q.final_not_analysable > 0 || q.replicates_failed > 0 {
            kv(
                "looks skipped / final not analysable / trials failed",
                format!(
                    "{} / {} / {}",
                    q.looks_skipped, q.final_not_analysable, q.replicates_failed
                ),
            );
        }
        h.push_str("</dl>\n");
        h.push_str("<div class=\"scroll\"><table><tr><th class=\"num\">look</th><th class=\"num\">planned fraction</th><th class=\"num\">mean fraction</th><th class=\"num\">mean month</th><th class=\"num\">efficacy bound</th><th class=\"num\">futility bound</th><th class=\"num\">alpha spent</th><th>P(stop for efficacy)</th><th>P(stop for futility)</th><th>P(rejected by this look)</th><th class=\"num\">held</th></tr>");
        for l in &q.per_look {
            let _ = write!(
                h,
                "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"nowrap\">{}</td><td class=\"nowrap\">{}</td><td class=\"nowrap\">{}</td><td class=\"num\">{:.3}</td></tr>",
                l.look,
                f3(l.planned_fraction),
                num(l.fraction_mean),
                num(l
                    .day_mean
                    .map(|d| d / crate::trial::accrual::DAYS_PER_MONTH)),
                num(l.efficacy_bound),
                num(l.futility_bound),
                num(l.alpha_spent),
                prob_text(&l.stop_efficacy),
                prob_text(&l.stop_futility),
                prob_text(&l.cumulative_rejection),
                l.held.power
            );
        }
        h.push_str("</table></div>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    /// A folder as `hfsim sensitivity` writes it (Sobol', two parameters,
    /// `second` the more important).
    fn sensitivity_folder(name: &str, csv: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!(
            "hfsim-report-sensitivity-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("sensitivity.json"),
            r#"{"scenario": "demo", "endpoint": "delta_rvesv", "method": "sobol", "samples": 8,
               "replicates_per_point": 12, "evaluations": 32, "seed": 5, "levels": null,
               "bootstrap": 100, "not_analysed": ["effect: no variance"]}"#,
        )
        .unwrap();
        std::fs::write(d.join("sensitivity.csv"), csv).unwrap();
        d
    }

    const SOBOL_CSV: &str = "output,parameter,statistic,value,ci_low,ci_high\n\
        power,first_param,first_order,0.1,0.02,0.2\n\
        power,first_param,total,0.15,0.05,0.25\n\
        power,second_param,first_order,0.55,0.4,0.7\n\
        power,second_param,total,0.75,0.6,0.9\n";

    #[test]
    fn sensitivity_section_tables_the_indices_by_importance() {
        let d = sensitivity_folder("ok", SOBOL_CSV);
        let sen = SensitivitySection::read(&d).expect("a sensitivity folder");
        assert_eq!(sen.ranking[0].0, "second_param");
        let h = sensitivity_section(&sen, "demo");
        assert!(h.starts_with("<h2 id=\"sensitivity\">Sensitivity</h2>"));
        assert!(h.contains("Saltelli design of 8 base rows"), "{h}");
        assert!(h.contains("32 design points x 12 simulated trials (seed 5)"));
        assert!(h.contains("Not analysed: effect: no variance."));
        assert!(h.contains("<th class=\"num\">first-order index</th><th class=\"num\">95% interval</th><th class=\"num\">total index</th>"));
        // the most important first, with its numbers and intervals
        let first = h.find("<code>second_param</code>").unwrap();
        let second = h.find("<code>first_param</code>").unwrap();
        assert!(first < second, "not sorted by the total index");
        assert!(h.contains("<td><code>second_param</code></td><td class=\"num\">0.550</td><td class=\"num\">0.400 to 0.700</td><td class=\"num\">0.750</td><td class=\"num\">0.600 to 0.900</td></tr>"), "{h}");
        // the tornado chart is embedded
        let fig = &h[h.find("<figure><svg ").expect("an inline SVG")..];
        assert!(
            fig.contains("viewBox=") && fig.contains("second_param") && fig.contains("first_param")
        );
        assert!(h.contains("Tornado chart"));
        assert!(!h.contains("not the scenario of this run"));
        assert!(sensitivity_section(&sen, "other").contains("not the scenario of this run"));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn sensitivity_section_says_why_indices_are_missing() {
        let d = sensitivity_folder(
            "bad",
            "output,parameter,statistic,value,ci_low,ci_high\npower,p,total,x,0,1\n",
        );
        let sen = SensitivitySection::read(&d).unwrap();
        assert!(sen.table.is_err());
        let h = sensitivity_section(&sen, "demo");
        assert!(
            h.contains("The indices could not be read") && h.contains("not a number"),
            "{h}"
        );
        assert!(!h.contains("<table"));
        // no folder: no section
        std::fs::remove_file(d.join("sensitivity.json")).unwrap();
        assert_eq!(SensitivitySection::read(&d), None);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn svgs_get_a_view_box() {
        let s = responsive_svg(
            "<?xml version=\"1.0\"?>\n<svg width=\"300\" height=\"200\" xmlns=\"http://www.w3.org/2000/svg\"><g/></svg>",
        );
        assert!(
            s.starts_with("<svg viewBox=\"0 0 300 200\" width=\"300\""),
            "{s}"
        );
    }
}
