//! The default scenario reproduces PRIME-HFrEF, and its fitted values are
//! what `hfsim calibrate fit` produces (a calibration that cannot be re-run
//! is a guess).

use std::process::Command;

const PRIME: &str = "scenarios/prime_hfref.toml";

fn hfsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hfsim"))
}

#[test]
fn default_scenario_passes_every_calibration_target() {
    let out_dir = std::env::temp_dir().join(format!("hfsim-calibration-{}", std::process::id()));
    let out = hfsim()
        .args([
            "calibrate",
            "check",
            PRIME,
            "--replicates",
            "1000",
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "calibration check failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("targets and 4 patterns pass"), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("calibration.json")).unwrap())
            .unwrap();
    let targets = json["targets"].as_array().unwrap();
    assert!(targets.len() >= 60);
    for t in targets {
        assert_eq!(
            t["simulated"].as_array().unwrap().len() as u64,
            t["n"].as_u64().unwrap()
        );
    }
    let csv = std::fs::read_to_string(out_dir.join("calibration.csv")).unwrap();
    assert!(csv.starts_with("name,group,description,unit,published,simulated_median,simulated_low,simulated_high,percentile,pass,n"));
    let _ = std::fs::remove_dir_all(&out_dir);
}

#[test]
fn a_scenario_without_the_prime_visits_is_refused_with_a_clear_message() {
    let out = hfsim()
        .args([
            "calibrate",
            "check",
            "tests/fixtures/small_trial.toml",
            "--set",
            "trial.visits[5].day=50",
            "--replicates",
            "50",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("a visit at day 49"));
}

/// Re-runs the fit recorded in the scenario file (about 3 minutes on 2
/// cores): `cargo test --release --test calibration -- --ignored`. CI runs it.
#[test]
#[ignore]
fn calibration_fit_reproduces_the_default_scenario() {
    let text = std::fs::read_to_string(PRIME).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("# model: fitted by `"))
        .expect("the scenario records its fit command");
    let command = line.split('`').nth(1).unwrap();
    let mut args: Vec<String> = command
        .split_whitespace()
        .skip(1)
        .map(String::from)
        .collect();
    let written = std::env::temp_dir().join(format!("hfsim-refit-{}.toml", std::process::id()));
    args.extend(["--write".into(), written.display().to_string()]);
    let out = hfsim().args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let model = |t: &str| -> Vec<(String, String)> {
        let doc: toml_edit::DocumentMut = t.parse().unwrap();
        doc["model"]
            .as_table_like()
            .unwrap()
            .iter()
            .filter(|(_, v)| v.is_value())
            .map(|(k, v)| (k.to_string(), v.to_string().trim().to_string()))
            .collect()
    };
    let refit = std::fs::read_to_string(&written).unwrap();
    assert_eq!(
        model(&refit),
        model(&text),
        "the fit gives other values than the scenario holds; stdout:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let _ = std::fs::remove_file(&written);
}

/// Every parameter the default calibration frees has a prior with a source,
/// and no fitted value in the default scenario sits at an edge: each lies
/// strictly inside the parameter table's allowed range and inside its
/// prior's central 99.8% (|z| < 3.09).
#[test]
fn fitted_values_have_priors_and_sit_inside_them() {
    use hfsim::model::params::P;
    use hfsim::model::priors;
    assert_eq!(
        hfsim::calibration::default_free_have_priors(),
        Vec::<&str>::new(),
        "free parameters without a prior"
    );
    let text = std::fs::read_to_string(PRIME).unwrap();
    let doc: toml_edit::DocumentMut = text.parse().unwrap();
    let model = doc["model"].as_table_like().unwrap();
    for name in hfsim::calibration::DEFAULT_FREE {
        let p = P::from_name(name).unwrap();
        let v = model
            .get(name)
            .and_then(|v| v.as_float())
            .unwrap_or_else(|| panic!("{PRIME} does not record the fitted {name}"));
        let info = p.info();
        assert!(
            v > info.min && v < info.max,
            "{name} = {v} at the edge of [{}, {}]",
            info.min,
            info.max
        );
        let prior = priors::prior_of(p).unwrap();
        let z = priors::deviate(&prior, v).unwrap();
        assert!(
            priors::inside(&prior, v, 0.998),
            "{name} = {v} outside its prior's central 99.8% (z = {z:.2})"
        );
        assert!(!priors::row_of(p).unwrap().source.is_empty());
    }
}
