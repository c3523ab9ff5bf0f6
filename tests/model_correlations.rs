//! `[[model.correlations]]`: correlated between-patient deviates, drawn from
//! the patients' own parameter streams. The sample correlation of the
//! deviates matches the stated one; a scenario without correlations draws
//! exactly what it drew before (every other deviate, and the first of the
//! correlated ones, unchanged patient by patient); bad pairs are refused
//! with the key.

use hfsim::model::P;
use hfsim::rng::DesignSlot;
use std::path::PathBuf;

fn write(name: &str, body: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hfsim-modelcorr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = std::fs::canonicalize("scenarios/prime_hfref.toml").unwrap();
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "[scenario]\nbase = \"{}\"\nname = \"{name}\"\n\n{body}",
            base.display()
        ),
    )
    .unwrap();
    path
}

fn load(name: &str, body: &str) -> Result<hfsim::scenario::Loaded, String> {
    hfsim::scenario::load_file(&write(name, body), &[]).map_err(|e| e.to_string())
}

/// Deviates `ln(value / typical) / omega` of the two log-normal repair rates
/// for `n` patients of replicate 0.
fn deviates(l: &hfsim::scenario::Loaded, n: u64) -> Vec<(f64, f64, f64)> {
    let s = &l.scenario;
    let sampler = hfsim::cohort::CohortSampler::new(s, DesignSlot::Shared);
    let eta = |v: f64, p: P, omega: f64| (v / s.model.get(p)).ln() / omega;
    // the spreads of the parameter table (both log-normal)
    let omega = |p: P| p.info().bpv.omega().expect("a between-patient spread");
    (0..n)
        .map(|i| {
            let p = sampler.sample_params(&s.model, 0, i);
            (
                eta(
                    p.get(P::RvRepairEmax),
                    P::RvRepairEmax,
                    omega(P::RvRepairEmax),
                ),
                eta(
                    p.get(P::LvRepairEmax),
                    P::LvRepairEmax,
                    omega(P::LvRepairEmax),
                ),
                p.get(P::GdmtResponse),
            )
        })
        .collect()
}

fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let syy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
    sxy / (sxx * syy).sqrt()
}

const PAIR: &str = "[[model.correlations]]\na = \"rv_repair_emax_per_day\"\nb = \"lv_repair_emax_per_day\"\nrho = 0.6\n";

#[test]
fn correlated_deviates_have_the_stated_correlation_and_leave_the_rest_unchanged() {
    let plain = load("plain", "").unwrap();
    let corr = load("correlated", PAIR).unwrap();
    let c = corr.scenario.model.correlation.as_ref().expect("parsed");
    assert_eq!(c.pairs, vec![(P::RvRepairEmax, P::LvRepairEmax, 0.6)]);
    assert!(plain.scenario.model.correlation.is_none());
    let n = 20_000;
    let (a, b) = (deviates(&plain, n), deviates(&corr, n));
    // unchanged: the first correlated parameter (table order) and every
    // other parameter, patient by patient
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.0, y.0);
        assert_eq!(x.2, y.2);
    }
    let (rv, lv0): (Vec<f64>, Vec<f64>) = a.iter().map(|x| (x.0, x.1)).unzip();
    let lv: Vec<f64> = b.iter().map(|x| x.1).collect();
    let r0 = correlation(&rv, &lv0);
    let r = correlation(&rv, &lv);
    // standard error of a correlation near 0.6 at n = 20,000: (1 - rho^2)/sqrt(n) = 0.0045
    assert!(r0.abs() < 0.03, "independent before: {r0}");
    assert!((r - 0.6).abs() < 0.02, "sample correlation {r}");
    // the marginal stays standard normal
    let sd = (lv.iter().map(|v| v * v).sum::<f64>() / n as f64).sqrt();
    assert!((sd - 1.0).abs() < 0.03, "{sd}");
}

#[test]
fn bad_correlations_are_refused_with_the_key() {
    for (body, expected) in [
        (
            "[[model.correlations]]\na = \"rv_repair_emax\"\nb = \"lv_repair_emax_per_day\"\nrho = 0.5\n",
            "model.correlations[0].a",
        ),
        (
            "[[model.correlations]]\na = \"rv_repair_emax_per_day\"\nb = \"lv_repair_emax_per_day\"\nrho = 1.5\n",
            "model.correlations[0].rho",
        ),
        (
            "[[model.correlations]]\na = \"rv_repair_emax_per_day\"\nb = \"rv_repair_emax_per_day\"\nrho = 0.5\n",
            "a parameter cannot be correlated with itself",
        ),
        (
            "[[model.correlations]]\na = \"rv_repair_emax_per_day\"\nb = \"repair_exposure_response\"\nrho = 0.5\n",
            "does not vary between patients",
        ),
        (
            "[[model.correlations]]\na = \"rv_repair_emax_per_day\"\nb = \"lv_repair_emax_per_day\"\nrho = 0.5\n[[model.correlations]]\na = \"lv_repair_emax_per_day\"\nb = \"rv_repair_emax_per_day\"\nrho = 0.2\n",
            "is given twice",
        ),
        (
            "[[model.correlations]]\na = \"rv_repair_emax_per_day\"\nb = \"lv_repair_emax_per_day\"\nrho = 0.9\n[[model.correlations]]\na = \"lv_repair_emax_per_day\"\nb = \"gdmt_response\"\nrho = 0.9\n[[model.correlations]]\na = \"rv_repair_emax_per_day\"\nb = \"gdmt_response\"\nrho = -0.9\n",
            "not positive definite",
        ),
        (
            "[[model.correlations]]\na = \"rv_repair_emax_per_day\"\nrho = 0.5\n",
            "model.correlations[0]",
        ),
    ] {
        let e = load("bad", body).expect_err(body);
        assert!(e.contains(expected), "{body}\n-> {e}");
    }
}
