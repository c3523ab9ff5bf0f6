//! The model is declared once: every rate constant, gain and coefficient of
//! a mechanism is used only inside its own module (`src/model/<mechanism>.rs`)
//! and the parameter table (`src/model/params.rs`). Everything else (the
//! assembled right-hand side, the fast path, the analyses) goes through the
//! functions the mechanism declares: its right-hand side, its closed forms,
//! its rates. This test reads the mechanisms' structs, collects their numeric
//! fields, and scans every file of `src/` for an access to one of them from
//! outside.

use std::path::{Path, PathBuf};

/// The mechanism modules and the structs that hold their constants.
const MECHANISMS: [(&str, &[&str]); 8] = [
    ("kinetics", &["Kinetics", "Delivery"]),
    ("paracrine", &["Paracrine"]),
    ("coagulation", &["Coagulation"]),
    ("immune", &["Immune"]),
    ("remodelling", &["Remodelling"]),
    ("gdmt", &["Gdmt"]),
    ("biomarkers", &["Biomarkers"]),
    ("events", &["Hazards"]),
];

/// Names of the `f64` fields of `pub struct name` in `source` (the scalar
/// constants; state vectors such as the initial state are not constants).
fn numeric_fields(source: &str, name: &str) -> Vec<String> {
    let start = source
        .find(&format!("pub struct {name} {{"))
        .unwrap_or_else(|| panic!("struct {name} not found"));
    let body = &source[start..];
    let end = body.find("\n}").expect("end of struct");
    body[..end]
        .lines()
        .skip(1)
        .filter_map(|line| {
            let line = line.trim();
            if line.starts_with("//") {
                return None;
            }
            let line = line
                .strip_prefix("pub(crate) ")
                .or_else(|| line.strip_prefix("pub "))
                .unwrap_or(line);
            let (field, ty) = line.split_once(':')?;
            let ty = ty.trim().trim_end_matches(',');
            (ty == "f64").then(|| field.trim().to_string())
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Accesses `.field` (not a method call `.field(`) in `text`, as line numbers.
fn accesses(text: &str, field: &str) -> Vec<usize> {
    let needle = format!(".{field}");
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find(&needle) {
        let at = from + i;
        let after = at + needle.len();
        let next = bytes.get(after).copied().unwrap_or(b' ');
        let ident = next.is_ascii_alphanumeric() || next == b'_';
        // `a..field` is a range, not an access
        let range = at > 0 && bytes[at - 1] == b'.';
        let rest = text[after..].trim_start();
        if !ident && !range && !rest.starts_with('(') && !rest.starts_with("::") {
            found.push(text[..at].matches('\n').count() + 1);
        }
        from = after;
    }
    found
}

/// Every access to a mechanism's constant from outside its module.
fn violations(files: &[(String, String)], fields: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (path, text) in files {
        for (module, field) in fields {
            let own = path.ends_with(&format!("src/model/{module}.rs"));
            if own || path.ends_with("src/model/params.rs") {
                continue;
            }
            for line in accesses(text, field) {
                out.push(format!("{path}:{line}: `.{field}` of {module}"));
            }
        }
    }
    out
}

fn mechanism_fields() -> Vec<(String, String)> {
    let mut fields = Vec::new();
    for (module, structs) in MECHANISMS {
        let source = std::fs::read_to_string(format!("src/model/{module}.rs")).expect("module");
        for s in structs {
            for f in numeric_fields(&source, s) {
                fields.push((module.to_string(), f));
            }
        }
    }
    fields
}

#[test]
fn no_mechanism_constant_is_used_outside_its_module() {
    let fields = mechanism_fields();
    let names: Vec<&str> = fields.iter().map(|(_, f)| f.as_str()).collect();
    // the scan sees the constants it is about
    for expected in [
        "k_lung",
        "k_transit",
        "k_rv_repair_off",
        "k_acute",
        "injury_rate",
        "k_lv",
        "k_rv",
        "priming_gain",
        "onset_rate",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} not collected: {names:?}"
        );
    }
    assert!(fields.len() >= 50, "only {} fields collected", fields.len());
    let mut paths = Vec::new();
    rust_files(Path::new("src"), &mut paths);
    assert!(paths.len() > 30);
    let files: Vec<(String, String)> = paths
        .iter()
        .map(|p| {
            (
                p.to_string_lossy().replace('\\', "/"),
                std::fs::read_to_string(p).expect("source"),
            )
        })
        .collect();
    let found = violations(&files, &fields);
    assert!(
        found.is_empty(),
        "mechanism constants used outside their modules (use or add a function of the mechanism):\n{}",
        found.join("\n")
    );
}

/// The scan finds what it should: an access from another file, not a
/// method call of the same name, not the module's own use, not a longer
/// name that starts with the field's.
#[test]
fn the_scan_sees_an_access_from_outside() {
    let fields = vec![("paracrine".to_string(), "k_transit".to_string())];
    let files = vec![
        (
            "src/model/fast.rs".to_string(),
            "let a = 1.0;\nlet k = model.paracrine.k_transit * p3;\n".to_string(),
        ),
        (
            "src/model/paracrine.rs".to_string(),
            "self.k_transit * y[0]".to_string(),
        ),
        (
            "src/other.rs".to_string(),
            "x.k_transit(); y.k_transit_days; Z::k_transit; (0..k_transit)".to_string(),
        ),
    ];
    let found = violations(&files, &fields);
    assert_eq!(
        found,
        vec!["src/model/fast.rs:2: `.k_transit` of paracrine"]
    );
}
