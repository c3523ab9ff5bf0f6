//! No input makes hfsim panic or hang.
//!
//! Seeded mutations of valid scenario files (deleted, duplicated or swapped
//! lines, swapped values, random bytes, huge numbers, NaN and infinities,
//! negative numbers, deep nesting, truncation, `--set` overrides with odd
//! values) are loaded and validated; the ones that validate are simulated
//! (one replicate of a tiny trial). A panic or a case slower than the time
//! limit fails the test and prints the input.
//!
//! CI runs `HFSIM_FUZZ_CASES` cases (default 3,000); the documented long run
//! is `HFSIM_FUZZ_CASES=100000 cargo test --release --test fuzz_scenarios`
//! (see docs/validation.md for the counts).

use hfsim::model::fast::FastOptions;
use hfsim::rng::DesignSlot;
use hfsim::trial::{Method, TrialContext, Workspace};
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::{Duration, Instant};

const SOURCES: [&str; 2] = [
    "tests/fixtures/small_trial.toml",
    "scenarios/prime_hfref.toml",
];
const ODD_VALUES: [&str; 24] = [
    "nan",
    "inf",
    "-inf",
    "-1",
    "0",
    "1e308",
    "-1e308",
    "1e-320",
    "9223372036854775807",
    "-9223372036854775808",
    "\"\"",
    "\"x\"",
    "[]",
    "[1, 2]",
    "{}",
    "{ a = 1 }",
    "true",
    "false",
    "1979-05-27",
    "0.5",
    "1000000",
    "3.5e9",
    "[[1]]",
    "\"nan\"",
];

fn mutate(text: &str, rng: &mut ChaCha8Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let n_mut = rng.random_range(1..=4);
    for _ in 0..n_mut {
        if lines.is_empty() {
            lines.push("x = 1".into());
        }
        let i = rng.random_range(0..lines.len());
        match rng.random_range(0..12) {
            0 => {
                lines.remove(i);
            }
            1 => {
                let j = rng.random_range(0..lines.len());
                lines.swap(i, j);
            }
            2 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            3 => {
                // replace a value with an odd one
                if let Some(eq) = lines[i].find('=') {
                    let v = ODD_VALUES[rng.random_range(0..ODD_VALUES.len())];
                    lines[i] = format!("{}= {v}", &lines[i][..eq]);
                }
            }
            4 => {
                // swap the values of two assignments
                let j = rng.random_range(0..lines.len());
                if let (Some(a), Some(b)) = (lines[i].find('='), lines[j].find('=')) {
                    let (va, vb) = (lines[i][a..].to_string(), lines[j][b..].to_string());
                    lines[i] = format!("{}{}", &lines[i][..a], vb);
                    lines[j] = format!("{}{}", &lines[j][..b], va);
                }
            }
            5 => {
                // random bytes inside a line
                let mut bytes = lines[i].clone().into_bytes();
                for _ in 0..rng.random_range(1..4) {
                    let pos = rng.random_range(0..=bytes.len());
                    bytes.insert(pos, rng.random_range(0x20..0x7f));
                }
                lines[i] = String::from_utf8_lossy(&bytes).into_owned();
            }
            6 => {
                // scale a number
                if let Some(eq) = lines[i].find('=') {
                    let v = lines[i][eq + 1..]
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_string();
                    if let Ok(x) = v.parse::<f64>() {
                        let f = [1e6, -1.0, 0.0, 1e-9, 1000.0, 1.5][rng.random_range(0..6)];
                        lines[i] = format!("{}= {:e}", &lines[i][..eq], x * f);
                    }
                }
            }
            7 => {
                // deep nesting
                let depth = rng.random_range(10..200);
                lines.insert(
                    i,
                    format!("deep = {}1{}", "[".repeat(depth), "]".repeat(depth)),
                );
            }
            8 => {
                // a table header somewhere odd
                let headers = [
                    "[arms]",
                    "[[endpoints]]",
                    "[trial]",
                    "[sweep.axes]",
                    "[model]",
                    "[population.inclusion]",
                    "[[trial.visits]]",
                ];
                lines.insert(i, headers[rng.random_range(0..headers.len())].to_string());
            }
            9 => {
                // truncate the file
                lines.truncate(i);
            }
            10 => {
                // a sweep over a key, possibly nonsense
                let keys = [
                    "arms.msc.interval_days",
                    "trial.n_per_arm",
                    "arms.msc.nonsense",
                    "run.seed",
                    "arms.msc.route",
                    "endpoints[0].test",
                ];
                let vals = [
                    "[14, 28]",
                    "[0, -1]",
                    "[\"heparin\", \"x\"]",
                    "[1e300]",
                    "[]",
                ];
                lines.push(format!(
                    "[sweep.axes]\n\"{}\" = {}",
                    keys[rng.random_range(0..keys.len())],
                    vals[rng.random_range(0..vals.len())]
                ));
            }
            _ => {
                // duplicate key inside a table
                if let Some(eq) = lines[i].find('=') {
                    let k = lines[i][..eq].to_string();
                    lines.insert(i + 1, format!("{k}= 2"));
                }
            }
        }
    }
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

fn run_case(text: &str, overrides: &[hfsim::scenario::Override]) {
    let Ok(loaded) = hfsim::scenario::load_str("fuzz.toml", text, overrides) else {
        return;
    };
    let Ok(points) = hfsim::scenario::design_points(&loaded) else {
        return;
    };
    for (_, l) in points.into_iter().take(2) {
        let mut s = l.scenario.clone();
        // keep the simulation tiny whatever the file says
        s.trial.n_per_arm = s.trial.n_per_arm.min(3);
        s.run.replicates = 1;
        let ctx = TrialContext::new(s, DesignSlot::Shared, Method::Fast(FastOptions::default()));
        let mut ws = Workspace::default();
        let _ = hfsim::runner::run_replicate(&ctx, 0, &mut ws, true);
    }
}

#[test]
fn mutated_scenarios_never_panic_or_hang() {
    let cases: usize = std::env::var("HFSIM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let limit = Duration::from_secs(10);
    let sources: Vec<String> = SOURCES
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(20261121);
    let (mut validated, mut slowest) = (0usize, Duration::ZERO);
    for case in 0..cases {
        let src = &sources[case % sources.len()];
        let text = mutate(src, &mut rng);
        let overrides: Vec<hfsim::scenario::Override> = if rng.next_u32() % 4 == 0 {
            let keys = [
                "arms.msc.dose_cells_per_kg",
                "trial.n_per_arm",
                "run.follow_up_days",
                "model.rv_repair_emax_per_day",
                "endpoints[1].alpha",
                "nonsense.key",
                "arms.msc.n_doses",
            ];
            let k = keys[rng.random_range(0..keys.len())];
            let v = ODD_VALUES[rng.random_range(0..ODD_VALUES.len())];
            hfsim::scenario::Override::parse(&format!("{k}={v}"))
                .into_iter()
                .collect()
        } else {
            Vec::new()
        };
        let t0 = Instant::now();
        let outcome = std::panic::catch_unwind(|| run_case(&text, &overrides));
        let took = t0.elapsed();
        slowest = slowest.max(took);
        if outcome.is_err() {
            panic!(
                "case {case} panicked; input:\n{text}\noverrides: {:?}",
                overrides.iter().map(|o| &o.text).collect::<Vec<_>>()
            );
        }
        assert!(took < limit, "case {case} took {took:?}; input:\n{text}");
        if hfsim::scenario::load_str("fuzz.toml", &text, &overrides).is_ok() {
            validated += 1;
        }
    }
    eprintln!(
        "{cases} mutated scenarios: no panic, no hang; {validated} validated and were simulated; slowest case {slowest:?}"
    );
    assert!(
        validated > 0,
        "the mutations should leave some scenarios valid"
    );
}
