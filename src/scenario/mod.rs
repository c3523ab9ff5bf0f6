//! Scenario files: read (`spec`), check (`validate`), sweep (`design`).
//!
//! Every problem in a file is reported at once, each with file, line, key
//! path and what is allowed; `--set` overrides are applied to the document
//! before reading and reported as such.

pub mod design;
pub mod endpoint_options;
pub mod error;
pub mod reader;
pub mod source;
pub mod spec;
pub mod validate;

pub use design::DesignPoint;
pub use error::{Issue, IssueKind, Location, ScenarioErrors};
pub use source::{Override, Source};
pub use spec::ScenarioSpec;
pub use validate::Scenario;

use reader::Issues;
use sha2::{Digest, Sha256};
use std::path::Path;

/// A loaded, checked scenario with the document it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub scenario: Scenario,
    pub spec: ScenarioSpec,
    pub source: Source,
    /// The resolved document (after overrides), as TOML text.
    pub resolved: String,
    /// SHA-256 of `resolved` (hex).
    pub sha256: String,
}

/// Read a scenario file from disk.
pub fn read_file(path: &Path) -> Result<String, ScenarioErrors> {
    std::fs::read_to_string(path).map_err(|e| {
        let what = match e.kind() {
            std::io::ErrorKind::NotFound => "file not found".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            std::io::ErrorKind::IsADirectory => "is a directory, not a scenario file".to_string(),
            std::io::ErrorKind::InvalidData => "not UTF-8 text".to_string(),
            _ => format!("cannot read: {e}"),
        };
        ScenarioErrors {
            file: path.display().to_string(),
            issues: vec![Issue::new(IssueKind::Io, "", what)],
        }
    })
}

/// Load and check a scenario file with overrides. A file with
/// `[scenario] base = "other.toml"` (relative to its folder) is merged over
/// that base (bases may themselves have a base, up to 4 levels).
pub fn load_file(path: &Path, overrides: &[Override]) -> Result<Loaded, ScenarioErrors> {
    let source = read_with_bases(path, 0)?;
    finish_load(source, overrides)
}

fn read_with_bases(path: &Path, depth: usize) -> Result<Source, ScenarioErrors> {
    let file = path.display().to_string();
    let text = read_file(path)?;
    let source = Source::parse(&file, &text).map_err(|issue| ScenarioErrors {
        file: file.clone(),
        issues: vec![issue],
    })?;
    let base = source
        .doc
        .get("scenario")
        .and_then(|t| t.get("base"))
        .map(|b| (b.as_str().map(String::from), source.locate("scenario.base")));
    match base {
        None => Ok(source),
        Some((None, location)) => Err(ScenarioErrors {
            file,
            issues: vec![Issue {
                kind: IssueKind::WrongType,
                path: "scenario.base".into(),
                message: "expected the path of the base scenario file (a string)".into(),
                location,
            }],
        }),
        Some((Some(rel), location)) => {
            if depth >= 4 {
                return Err(ScenarioErrors {
                    file,
                    issues: vec![Issue {
                        kind: IssueKind::Inconsistent,
                        path: "scenario.base".into(),
                        message: "more than 4 levels of base scenarios (a cycle?)".into(),
                        location,
                    }],
                });
            }
            let base_path = path.parent().unwrap_or(Path::new(".")).join(&rel);
            let base = read_with_bases(&base_path, depth + 1).map_err(|mut e| {
                if e.issues.iter().all(|i| i.kind == IssueKind::Io) {
                    e.issues = vec![Issue {
                        kind: IssueKind::Io,
                        path: "scenario.base".into(),
                        message: format!(
                            "cannot read the base scenario {}: {}",
                            base_path.display(),
                            e.issues
                                .first()
                                .map(|i| i.message.clone())
                                .unwrap_or_default()
                        ),
                        location: location.clone(),
                    }];
                    e.file = file.clone();
                }
                e
            })?;
            Ok(source.with_base(base))
        }
    }
}

/// Load and check scenario text. `file` names it in messages.
pub fn load_str(file: &str, text: &str, overrides: &[Override]) -> Result<Loaded, ScenarioErrors> {
    let source = Source::parse(file, text).map_err(|issue| ScenarioErrors {
        file: file.to_string(),
        issues: vec![issue],
    })?;
    finish_load(source, overrides)
}

fn finish_load(mut source: Source, overrides: &[Override]) -> Result<Loaded, ScenarioErrors> {
    let file = source.file.clone();
    let file = file.as_str();
    let mut pre = source.apply_overrides(overrides);
    let loaded = check(source.clone());
    match loaded {
        Ok(l) if pre.is_empty() => Ok(l),
        Ok(_) => Err(ScenarioErrors {
            file: file.to_string(),
            issues: pre,
        }),
        Err(mut e) => {
            pre.append(&mut e.issues);
            e.issues = pre;
            Err(e)
        }
    }
}

/// Read and validate a (possibly overridden) source.
pub fn check(source: Source) -> Result<Loaded, ScenarioErrors> {
    let issues: Issues = Issues::default();
    let spec = spec::read(&source.doc, &issues);
    let scenario = if issues.borrow().is_empty() {
        validate::validate(&spec, &issues)
    } else {
        // Validate anyway to report semantic problems in the same pass.
        let _ = validate::validate(&spec, &issues);
        None
    };
    let mut list = issues.into_inner();
    // A key that could not be read gets one message: drop the follow-on
    // checks of the default that stood in for it.
    let unreadable: Vec<String> = list
        .iter()
        .filter(|i| matches!(i.kind, IssueKind::WrongType | IssueKind::Missing))
        .map(|i| i.path.clone())
        .collect();
    let mut seen = Vec::new();
    list.retain(|i| {
        let keep = matches!(i.kind, IssueKind::WrongType | IssueKind::Missing)
            || !unreadable.contains(&i.path);
        let dup = seen.contains(&(i.path.clone(), i.message.clone()));
        seen.push((i.path.clone(), i.message.clone()));
        keep && !dup
    });
    if let Some(s) = &spec.sweep {
        if let Err(mut issue) = design::expand(Some(s)) {
            issue.location = source.locate(&issue.path);
            list.push(issue);
        }
        for (k, _) in &s.axes {
            if let Err(e) = source::parse_path(k) {
                list.push(Issue {
                    kind: IssueKind::Syntax,
                    path: format!("sweep.axes.\"{k}\""),
                    message: e,
                    location: source.locate("sweep.axes"),
                });
            }
        }
    }
    if !list.is_empty() || scenario.is_none() {
        for issue in &mut list {
            if issue.location == Location::Unknown {
                issue.location = source.locate(&issue.path);
            }
        }
        list.sort_by_key(|i| match &i.location {
            Location::File { line, column } => (0, *line, *column),
            _ => (1, 0, 0),
        });
        return Err(ScenarioErrors {
            file: source.file.clone(),
            issues: list,
        });
    }
    let resolved = source.doc.to_string();
    let sha256 = hex(&Sha256::digest(resolved.as_bytes()));
    Ok(Loaded {
        scenario: scenario.expect("checked"),
        spec,
        source,
        resolved,
        sha256,
    })
}

/// Every design point of a loaded scenario, each checked. Problems in any
/// point are reported together (located at the sweep assignment).
pub fn design_points(loaded: &Loaded) -> Result<Vec<(DesignPoint, Loaded)>, ScenarioErrors> {
    let points = design::expand(loaded.spec.sweep.as_ref()).map_err(|mut i| {
        i.location = loaded.source.locate(&i.path);
        ScenarioErrors {
            file: loaded.source.file.clone(),
            issues: vec![i],
        }
    })?;
    let mut out = Vec::with_capacity(points.len());
    let mut issues = Vec::new();
    for p in points {
        if p.assignments.is_empty() {
            out.push((p, loaded.clone()));
            continue;
        }
        let mut src = loaded.source.clone();
        src.design_label = Some(p.label());
        for (path, value) in &p.assignments {
            // The axis must name a key under an existing table of the base scenario.
            let parent_exists = match path.rfind(['.', '[']) {
                Some(i) => {
                    let parent = &path[..i];
                    let steps = source::parse_path(parent).unwrap_or_default();
                    item_exists(&loaded.source.doc, &steps)
                }
                None => false,
            };
            if !parent_exists {
                issues.push(Issue {
                    kind: IssueKind::UnknownKey,
                    path: format!("sweep.axes.\"{path}\""),
                    message: format!("the sweep axis `{path}` does not name a key of an existing table in this scenario"),
                    location: loaded.source.locate("sweep.axes"),
                });
                continue;
            }
            if let Err(msg) = source::set_path(&mut src.doc, path, value.clone()) {
                issues.push(Issue {
                    kind: IssueKind::UnknownKey,
                    path: format!("sweep.axes.\"{path}\""),
                    message: msg,
                    location: loaded.source.locate("sweep.axes"),
                });
            }
        }
        match check(src) {
            Ok(l) => out.push((p, l)),
            Err(e) => {
                for mut i in e.issues {
                    if matches!(i.location, Location::Unknown) {
                        i.location = Location::DesignPoint(p.label());
                    }
                    if !issues
                        .iter()
                        .any(|j: &Issue| j.path == i.path && j.message == i.message)
                    {
                        issues.push(i);
                    }
                }
            }
        }
    }
    if issues.is_empty() {
        Ok(out)
    } else {
        Err(ScenarioErrors {
            file: loaded.source.file.clone(),
            issues,
        })
    }
}

fn item_exists(doc: &toml_edit::DocumentMut, steps: &[source::Step]) -> bool {
    let mut item = doc.as_item();
    for s in steps {
        match s {
            source::Step::Key(k) => match item.as_table_like().and_then(|t| t.get(k)) {
                Some(i) => item = i,
                None => return false,
            },
            source::Step::Index(i) => match item.as_array_of_tables() {
                Some(a) => match a.get(*i) {
                    Some(_) => return true,
                    None => return false,
                },
                None => return false,
            },
        }
    }
    true
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
