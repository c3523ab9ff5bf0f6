//! Group-sequential boundaries against rpact 3.3.4: every design of the grid
//! in `tests/fixtures/sequential/rpact_boundaries.json` (written by
//! `scripts/sequential_fixtures/rpact_boundaries.R`), critical values,
//! futility bounds and inflation factors to 1e-6, plus the values the issue
//! lists explicitly.

use hfsim::sequential::{Binding, Efficacy, Futility, GroupSequential, Spending};
use serde_json::Value;

fn nums(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().map(|x| x.as_f64().unwrap()).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap()],
        _ => Vec::new(),
    }
}

fn spending(name: &str, gamma: Option<f64>) -> Spending {
    match name {
        "asOF" | "bsOF" => Spending::OBrienFleming,
        "asP" | "bsP" => Spending::Pocock,
        "asHSD" | "bsHSD" => Spending::HwangShihDeCani {
            gamma: gamma.unwrap(),
        },
        "asKD" | "bsKD" => Spending::Power {
            rho: gamma.unwrap(),
        },
        other => panic!("unknown spending {other}"),
    }
}

fn design_of(d: &Value) -> GroupSequential {
    let ty = d["typeOfDesign"].as_str().unwrap();
    let efficacy = match ty {
        "OF" => Efficacy::OBrienFleming,
        "P" => Efficacy::Pocock,
        s => Efficacy::Spending {
            spending: spending(s, d["gammaA"].as_f64()),
        },
    };
    let futility = match d["typeBetaSpending"].as_str().unwrap() {
        "none" => Futility::None,
        s => Futility::BetaSpending {
            spending: spending(s, d["gammaB"].as_f64()),
            binding: if d["bindingFutility"].as_bool().unwrap() {
                Binding::Binding
            } else {
                Binding::NonBinding
            },
        },
    };
    GroupSequential {
        alpha: d["alpha"].as_f64().unwrap(),
        beta: d["beta"].as_f64().unwrap(),
        fractions: nums(&d["informationRates"]),
        efficacy,
        futility,
    }
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn boundaries_match_rpact_over_the_grid_of_designs() {
    let text = std::fs::read_to_string("tests/fixtures/sequential/rpact_boundaries.json").unwrap();
    let fx: Value = serde_json::from_str(&text).unwrap();
    let designs = fx["designs"].as_array().unwrap();
    assert!(designs.len() >= 100, "{} designs", designs.len());
    let mut worst = [0.0f64; 6];
    for d in designs {
        let g = design_of(d);
        let b = g.compute().unwrap_or_else(|e| panic!("{e} for {}", d));
        let label = format!(
            "{} K={} t={:?} alpha={} beta={} {} binding={}",
            d["typeOfDesign"],
            g.looks(),
            g.fractions,
            g.alpha,
            g.beta,
            d["typeBetaSpending"],
            d["bindingFutility"]
        );
        let c = max_diff(&b.efficacy, &nums(&d["criticalValues"]));
        let a = max_diff(&b.alpha_spent, &nums(&d["alphaSpent"]));
        let infl = (b.inflation_factor - nums(&d["inflationFactor"])[0]).abs();
        let drift2 = (b.drift * b.drift - nums(&d["shift"])[0]).abs();
        let power = max_diff(&b.power, &nums(&d["power"]));
        let mut fut: f64 = 0.0;
        if d["futilityBounds"].is_array() {
            let f: Vec<f64> = b.futility[..g.looks() - 1]
                .iter()
                .map(|x| x.unwrap_or(f64::NEG_INFINITY))
                .collect();
            fut = max_diff(&f, &nums(&d["futilityBounds"]));
            let bs = max_diff(b.beta_spent.as_ref().unwrap(), &nums(&d["betaSpent"]));
            assert!(bs < 1e-6, "{label}: beta spent differs by {bs}");
        }
        for (w, v) in worst.iter_mut().zip([c, fut, a, infl, drift2, power]) {
            *w = w.max(v);
        }
        assert!(c < 1e-6, "{label}: critical values differ by {c}");
        assert!(fut < 1e-6, "{label}: futility bounds differ by {fut}");
        assert!(a < 1e-7, "{label}: alpha spent differs by {a}");
        assert!(infl < 1e-6, "{label}: inflation factor differs by {infl}");
        assert!(drift2 < 1e-5, "{label}: drift^2 differs by {drift2}");
        assert!(power < 1e-6, "{label}: power differs by {power}");
        if g.looks() > 1 {
            for (mine, key) in [
                (b.expected_information_h0, "averageSampleNumber0"),
                (b.expected_information_half, "averageSampleNumber01"),
                (b.expected_information_h1, "averageSampleNumber1"),
            ] {
                let r = nums(&d[key])[0];
                assert!((mine - r).abs() < 1e-6, "{label}: {key} {mine} vs {r}");
            }
        }
    }
    eprintln!(
        "{} designs; largest differences from rpact: critical values {:.1e}, futility bounds {:.1e}, alpha spent {:.1e}, inflation factor {:.1e}, drift^2 {:.1e}, power {:.1e}",
        designs.len(),
        worst[0],
        worst[1],
        worst[2],
        worst[3],
        worst[4],
        worst[5]
    );
}

fn approx(a: &[f64], b: &[f64], tol: f64, what: &str) {
    let d = max_diff(a, b);
    assert!(d < tol, "{what}: {a:?} vs {b:?} (difference {d})");
}

#[test]
fn the_values_listed_in_the_issue_are_reproduced() {
    let thirds = vec![1.0 / 3.0, 2.0 / 3.0, 1.0];
    let asof = GroupSequential {
        alpha: 0.025,
        beta: 0.2,
        fractions: thirds.clone(),
        efficacy: Efficacy::Spending {
            spending: Spending::OBrienFleming,
        },
        futility: Futility::None,
    }
    .compute()
    .unwrap();
    approx(
        &asof.efficacy,
        &[3.710302873, 2.511427484, 1.993047483],
        1e-6,
        "asOF K=3",
    );
    assert!((asof.inflation_factor - 1.012794813).abs() < 1e-6);
    approx(
        &asof.alpha_spent,
        &[0.0001035, 0.006048, 0.025],
        1e-6,
        "asOF K=3 alpha spent",
    );
    let of = GroupSequential {
        efficacy: Efficacy::OBrienFleming,
        fractions: thirds.clone(),
        alpha: 0.025,
        beta: 0.2,
        futility: Futility::None,
    }
    .compute()
    .unwrap();
    approx(
        &of.efficacy,
        &[3.471091445, 2.454432299, 2.004035580],
        1e-6,
        "OF K=3",
    );
    let asp = GroupSequential {
        efficacy: Efficacy::Spending {
            spending: Spending::Pocock,
        },
        fractions: thirds,
        alpha: 0.025,
        beta: 0.2,
        futility: Futility::None,
    }
    .compute()
    .unwrap();
    approx(
        &asp.efficacy,
        &[2.279428239, 2.294911139, 2.295939587],
        1e-6,
        "asP K=3",
    );
    let bs = GroupSequential {
        efficacy: Efficacy::Spending {
            spending: Spending::OBrienFleming,
        },
        fractions: vec![0.5, 1.0],
        alpha: 0.025,
        beta: 0.2,
        futility: Futility::BetaSpending {
            spending: Spending::OBrienFleming,
            binding: Binding::NonBinding,
        },
    }
    .compute()
    .unwrap();
    approx(
        &bs.efficacy,
        &[2.962588043, 1.968595646],
        1e-6,
        "asOF + bsOF K=2",
    );
    assert!((bs.futility[0].unwrap() - 0.5593914957).abs() < 1e-6);
}

#[test]
fn the_boundaries_command_prints_the_table_and_json() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_hfsim"))
            .arg("boundaries")
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["--looks", "3", "--alpha", "0.025", "--spending", "asof"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for v in [
        "3.710303",
        "2.511427",
        "1.993047",
        "inflation factor 1.0127948",
    ] {
        assert!(text.contains(v), "{v} missing from\n{text}");
    }
    let out = run(&[
        "--looks",
        "2",
        "--information",
        "0.5,1",
        "--beta",
        "0.2",
        "--beta-spending",
        "asof",
        "--format",
        "json",
    ]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let b = &v["boundaries"];
    assert!((b["futility"][0].as_f64().unwrap() - 0.5593914957).abs() < 1e-6);
    assert!((b["efficacy"][1].as_f64().unwrap() - 1.968595646).abs() < 1e-6);
    assert!(b["futility"][1].is_null());
    // usage errors exit with code 2 and say what is wrong
    let bad = run(&["--looks", "3", "--information", "0.5,1"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--information has 2 fractions"));
    let bad = run(&["--spending", "ashsd"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--gamma"));
    let bad = run(&["--spending", "of", "--beta-spending", "asof"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("alpha-spending"));
}
