//! Sensitivity estimators (src/sensitivity) against their references:
//! SciPy's Sobol' points and SALib's estimators on the same numbers
//! (tests/fixtures/sensitivity/reference.json, made by
//! scripts/sensitivity_fixtures/generate.sh), the analytic Sobol' indices of
//! the Ishigami function, and the exact elementary effects of a linear
//! function.

use hfsim::rng::{DesignSlot, Purpose, StreamKey};
use hfsim::sensitivity::morris::{self, MorrisDesign};
use hfsim::sensitivity::saltelli::{self, SaltelliDesign};
use hfsim::sensitivity::sobol_directions::MAX_DIMS;
use hfsim::sensitivity::sobol_sequence::SobolSequence;
use std::f64::consts::PI;

fn reference() -> serde_json::Value {
    let text = std::fs::read_to_string("tests/fixtures/sensitivity/reference.json")
        .expect("fixture present");
    serde_json::from_str(&text).expect("fixture is JSON")
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn stream(replicate: u64) -> hfsim::rng::StreamRng {
    StreamKey {
        seed: 20261202,
        design: DesignSlot::Shared,
        replicate,
        patient: 0,
        purpose: Purpose::Sensitivity,
    }
    .rng()
}

#[test]
fn sobol_points_are_scipys() {
    let r = reference();
    let points = r["sobol_points"].as_array().unwrap();
    assert_eq!(points.len(), 256);
    let mut seq = SobolSequence::new(MAX_DIMS).unwrap();
    let mut p = vec![0.0; MAX_DIMS];
    for (n, row) in points.iter().enumerate() {
        seq.next_into(&mut p);
        assert_eq!(p, floats(row), "point {n}");
    }
}

#[test]
fn saltelli_estimators_are_salibs() {
    let r = &reference()["saltelli"];
    let (fa, fb) = (floats(&r["fa"]), floats(&r["fb"]));
    let fab: Vec<Vec<f64>> = r["fab"].as_array().unwrap().iter().map(floats).collect();
    let rows: Vec<usize> = (0..fa.len()).collect();
    let (s1, st, _) = saltelli::indices_of(&fa, &fb, &fab, &rows).unwrap();
    for (i, (a, b)) in s1.iter().zip(floats(&r["s1"])).enumerate() {
        assert!(
            (a - b).abs() <= 1e-12 * b.abs().max(1.0),
            "S1[{i}] {a} vs SALib {b}"
        );
    }
    for (i, (a, b)) in st.iter().zip(floats(&r["st"])).enumerate() {
        assert!(
            (a - b).abs() <= 1e-12 * b.abs().max(1.0),
            "ST[{i}] {a} vs SALib {b}"
        );
    }
}

#[test]
fn morris_statistics_are_salibs() {
    let r = &reference()["morris"];
    let x: Vec<Vec<f64>> = r["x"].as_array().unwrap().iter().map(floats).collect();
    let y = floats(&r["y"]);
    let design = MorrisDesign::new(4, x.len() / 5, 4).unwrap();
    let m = morris::analyze(&design, &x, &y).unwrap();
    for (what, ours, theirs) in [
        ("mu", &m.mu, floats(&r["mu"])),
        ("mu_star", &m.mu_star, floats(&r["mu_star"])),
        ("sigma", &m.sigma, floats(&r["sigma"])),
    ] {
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert!(
                (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                "{what}[{i}] {a} vs SALib {b}"
            );
        }
    }
}

fn ishigami(x: &[f64]) -> f64 {
    let (a, b) = (7.0, 0.1);
    let v: Vec<f64> = x.iter().map(|u| -PI + 2.0 * PI * u).collect();
    v[0].sin() + a * v[1].sin().powi(2) + b * v[2].powi(4) * v[0].sin()
}

#[test]
fn ishigami_indices_are_analytic_within_their_intervals() {
    let (a, b) = (7.0f64, 0.1f64);
    let pi4 = PI.powi(4);
    let var = a * a / 8.0 + b * pi4 / 5.0 + b * b * pi4 * pi4 / 18.0 + 0.5;
    let v1 = 0.5 * (1.0 + b * pi4 / 5.0).powi(2);
    let v2 = a * a / 8.0;
    let vt3 = 8.0 * b * b * pi4 * pi4 / 225.0;
    let first = [v1 / var, v2 / var, 0.0];
    let total = [(v1 + vt3) / var, v2 / var, vt3 / var];
    // the rounded values
    for (x, y) in first.iter().zip([0.314, 0.442, 0.0]) {
        assert!((x - y).abs() < 5e-4);
    }
    for (x, y) in total.iter().zip([0.558, 0.442, 0.244]) {
        assert!((x - y).abs() < 5e-4);
    }
    let design = SaltelliDesign::new(3, 8192).unwrap();
    let y: Vec<f64> = design.points().iter().map(|p| ishigami(p)).collect();
    let s = saltelli::analyze(&design, &y, 1000, &mut stream(1)).unwrap();
    for i in 0..3 {
        for (what, est, exact) in [
            ("first-order", s.first_order[i], first[i]),
            ("total", s.total[i], total[i]),
        ] {
            println!(
                "x{}: {what} {:.4} [{:.4}, {:.4}], analytic {exact:.4}",
                i + 1,
                est.value,
                est.ci_low,
                est.ci_high
            );
            assert!(
                est.ci_low <= exact && exact <= est.ci_high,
                "x{} {what}: {est:?}, analytic {exact}",
                i + 1
            );
            // and the interval is informative
            assert!(est.ci_high - est.ci_low < 0.1, "x{} {what}: {est:?}", i + 1);
        }
    }
}

#[test]
fn morris_ranks_a_linear_function_exactly() {
    let coef = [0.5, -4.0, 2.0, 0.0, 1.0];
    let f = |x: &[f64]| x.iter().zip(coef).map(|(v, c)| v * c).sum::<f64>();
    let design = MorrisDesign::new(5, 20, 4).unwrap();
    let points = design.points(&mut stream(2));
    assert_eq!(points.len(), design.evaluations());
    // each step moves exactly one input by Delta, every input once per trajectory
    for t in 0..20 {
        let mut moved = [0; 5];
        for s in 0..5 {
            let (x0, x1) = (&points[t * 6 + s], &points[t * 6 + s + 1]);
            let changed: Vec<usize> = (0..5).filter(|&i| x0[i] != x1[i]).collect();
            assert_eq!(changed.len(), 1);
            let i = changed[0];
            assert!(((x1[i] - x0[i]).abs() - design.delta()).abs() < 1e-12);
            moved[i] += 1;
        }
        assert_eq!(moved, [1; 5]);
        assert!(
            points[t * 6..t * 6 + 6]
                .iter()
                .flatten()
                .all(|&v| (0.0..=1.0).contains(&v))
        );
    }
    let y: Vec<f64> = points.iter().map(|p| f(p)).collect();
    let m = morris::analyze(&design, &points, &y).unwrap();
    for (i, c) in coef.iter().enumerate() {
        assert!((m.mu[i] - c).abs() < 1e-12, "mu[{i}] {}", m.mu[i]);
        assert!((m.mu_star[i] - c.abs()).abs() < 1e-12);
        assert!(m.sigma[i] < 1e-12);
    }
    let mut order: Vec<usize> = (0..5).collect();
    order.sort_by(|&a, &b| m.mu_star[b].total_cmp(&m.mu_star[a]));
    assert_eq!(order, vec![1, 2, 4, 0, 3]);
}

#[test]
fn morris_sees_interactions_in_sigma() {
    // x0 x1 interact, x2 acts alone: sigma is zero only for x2
    let f = |x: &[f64]| 3.0 * x[0] * x[1] + 2.0 * x[2];
    let design = MorrisDesign::new(3, 40, 6).unwrap();
    let points = design.points(&mut stream(3));
    let y: Vec<f64> = points.iter().map(|p| f(p)).collect();
    let m = morris::analyze(&design, &points, &y).unwrap();
    assert!(m.sigma[0] > 0.3 && m.sigma[1] > 0.3, "{m:?}");
    assert!(m.sigma[2] < 1e-12 && (m.mu_star[2] - 2.0).abs() < 1e-12);
}

#[test]
fn designs_refuse_what_they_cannot_do() {
    assert!(SaltelliDesign::new(0, 100).is_err());
    assert!(SaltelliDesign::new(MAX_DIMS / 2 + 1, 100).is_err());
    assert!(SaltelliDesign::new(3, 1).is_err());
    assert!(MorrisDesign::new(3, 10, 5).is_err());
    assert!(MorrisDesign::new(3, 1, 4).is_err());
    let d = SaltelliDesign::new(2, 4).unwrap();
    let mut rng = stream(4);
    assert!(saltelli::analyze(&d, &[1.0; 3], 10, &mut rng).is_err());
    assert!(saltelli::analyze(&d, &[1.0; 16], 10, &mut rng).is_err());
}

/// `hfsim sensitivity` on a small trial: the RV repair rate drives the RVESV
/// endpoint, the rate of non-HF serious adverse events does not; the
/// output is the same on 1 and 2 threads; the tornado and index charts
/// (SVG and PNG) name every parameter, for Morris and for Sobol'.
#[test]
fn the_command_finds_what_drives_an_endpoint() {
    let d = std::env::temp_dir().join(format!("hfsim-sensitivity-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    let text = std::fs::read_to_string("tests/fixtures/small_trial.toml").unwrap();
    let s = d.join("scenario.toml");
    std::fs::write(
        &s,
        format!(
            "{text}\n[uncertainty.parameters.rv_repair_emax_per_day]\ndistribution = \"log_normal\"\nmedian = 0.02\nsd_log = 1.0\n\n[uncertainty.parameters.sae_rate_per_year]\ndistribution = \"uniform\"\nlow = 0.05\nhigh = 0.5\n"
        ),
    )
    .unwrap();
    let run_method = |method: &str, samples: &str, threads: &str, out: &str| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_hfsim"))
            .args([
                "sensitivity",
                s.to_str().unwrap(),
                "--endpoint",
                "delta_rvesv_mri_d180",
                "--method",
                method,
            ])
            .args([
                "--samples",
                samples,
                "--replicates",
                "12",
                "--no-progress",
                "--threads",
                threads,
            ])
            .arg("--out")
            .arg(d.join(out))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        // the charts are written and named with the other files
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            stderr.contains("tornado.svg/.png, indices.svg/.png"),
            "{stderr}"
        );
        for chart in ["tornado", "indices"] {
            let svg = std::fs::read_to_string(d.join(out).join(format!("{chart}.svg"))).unwrap();
            assert!(svg.starts_with("<svg"), "{chart}.svg");
            for p in ["rv_repair_emax_per_day", "sae_rate_per_year"] {
                assert!(svg.contains(p), "{chart}.svg ({method}) does not name {p}");
            }
            let png = std::fs::read(d.join(out).join(format!("{chart}.png"))).unwrap();
            assert_eq!(&png[1..4], b"PNG", "{chart}.png");
        }
        let mut v: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(d.join(out).join("sensitivity.json")).unwrap(),
        )
        .unwrap();
        v.as_object_mut().unwrap().remove("wall_seconds");
        assert!(d.join(out).join("sensitivity.csv").exists());
        v
    };
    let run = |threads: &str, out: &str| run_method("morris", "6", threads, out);
    let one = run("1", "one");
    assert_eq!(one, run("2", "two"));
    assert_eq!(one["evaluations"], 6 * 3);
    let effect = &one["effect"]["mu_star"];
    let (emax, sae) = (effect[0].as_f64().unwrap(), effect[1].as_f64().unwrap());
    println!("effect mu*: rv_repair_emax {emax}, sae_rate {sae}");
    assert!(emax > 10.0 * sae, "mu* {emax} vs {sae}");
    // Sobol' indices: the charts too (the power output has no variance here:
    // one output analysed, one not)
    let sobol = run_method("sobol", "4", "2", "sobol");
    assert_eq!(sobol["method"], "sobol");
    // a sceptical factor of 0 removes the cell effect from every design
    // point, so the repair rate no longer moves the effect at all
    let sceptical = d.join("sceptical.toml");
    std::fs::write(
        &sceptical,
        std::fs::read_to_string(&s).unwrap().replace(
            "[uncertainty.parameters.rv_repair_emax_per_day]",
            "[uncertainty]\nsceptical = 0.0\n\n[uncertainty.parameters.rv_repair_emax_per_day]",
        ),
    )
    .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_hfsim"))
        .args([
            "sensitivity",
            sceptical.to_str().unwrap(),
            "--endpoint",
            "delta_rvesv_mri_d180",
            "--method",
            "morris",
            "--samples",
            "6",
            "--replicates",
            "12",
            "--no-progress",
        ])
        .arg("--out")
        .arg(d.join("sceptical"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("sceptical").join("sensitivity.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(v["effect"]["mu_star"][0].as_f64(), Some(0.0), "{v}");
    // a scenario without [uncertainty] is refused with a reason
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_hfsim"))
        .args([
            "sensitivity",
            "tests/fixtures/small_trial.toml",
            "--endpoint",
            "delta_rvesv_mri_d180",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no [uncertainty] section"));
}
