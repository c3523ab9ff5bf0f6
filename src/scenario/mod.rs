//! Scenario files: read (`spec`), check (`validate`), sweep (`design`).
//!
//! Every problem in a file is reported at once, each with file, line, key
//! path and what is allowed; `--set` overrides are applied to the document
//! before reading and reported as such. What is allowed but probably a slip
//! is a warning ([`warning`]), located the same way.

pub mod calibration;
pub mod design;
pub mod endpoint_options;
pub mod error;
pub mod reader;
pub mod source;
pub mod spec;
pub mod validate;
pub mod warning;

pub use design::DesignPoint;
pub use error::{Issue, IssueKind, Location, ScenarioErrors};
pub use source::{Override, Source};
pub use spec::ScenarioSpec;
pub use validate::Scenario;
pub use warning::{Warning, WarningKind, Warnings};

use crate::input::{InputError, MAX_SCENARIO_BYTES};
use reader::Issues;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Deepest chain of `[scenario] base` files.
pub const MAX_BASE_DEPTH: usize = 16;

/// A loaded, checked scenario with the document it came from.
///
/// For a design point of a sweep ([`design_points`]) only `scenario`,
/// `spec`, `sha256` and `warnings` are kept: its document (`source.doc`,
/// `resolved`) is dropped once checked, so that memory grows with the
/// number of design points and not with its square. The run's document is
/// the scenario's own `Loaded`.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub scenario: Scenario,
    pub spec: ScenarioSpec,
    pub source: Source,
    /// The resolved document (after overrides), as TOML text.
    pub resolved: String,
    /// SHA-256 of `resolved` (hex).
    pub sha256: String,
    /// What the scenario may do but probably should not, located.
    pub warnings: Vec<Warning>,
}

fn io_issue(file: &str, e: InputError) -> ScenarioErrors {
    let mut issue = Issue::new(IssueKind::Io, "", e.to_string());
    if let InputError::NotUtf8 {
        byte,
        line,
        column,
        offset,
    } = e
    {
        issue.message = format!("not UTF-8 text: invalid byte 0x{byte:02x} (byte {offset})");
        issue.location = Location::File { line, column };
    }
    ScenarioErrors {
        file: file.to_string(),
        issues: vec![issue],
    }
}

/// Read a scenario file from disk: a regular file of at most
/// [`MAX_SCENARIO_BYTES`], UTF-8.
pub fn read_file(path: &Path) -> Result<String, ScenarioErrors> {
    crate::input::read_text(path, MAX_SCENARIO_BYTES, "scenario file")
        .map_err(|e| io_issue(&path.display().to_string(), e))
}

/// Load and check a scenario file with overrides. A file with
/// `[scenario] base = "other.toml"` (relative to its folder) is merged over
/// that base (bases may themselves have a base, up to [`MAX_BASE_DEPTH`]
/// levels; a cycle is refused).
pub fn load_file(path: &Path, overrides: &[Override]) -> Result<Loaded, ScenarioErrors> {
    let source = read_with_bases(path, &mut Vec::new())?;
    finish_load(source, overrides)
}

/// The file's identity, to find cycles (the path itself if it cannot be
/// resolved; reading it then says why).
fn identity(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn read_with_bases(path: &Path, chain: &mut Vec<PathBuf>) -> Result<Source, ScenarioErrors> {
    let file = path.display().to_string();
    chain.push(identity(path));
    let text = read_file(path)?;
    let mut source = Source::parse(&file, &text).map_err(|issue| ScenarioErrors {
        file: file.clone(),
        issues: vec![issue],
    })?;
    let base = source
        .doc
        .get("scenario")
        .and_then(|t| t.get("base"))
        .map(|b| (b.as_str().map(String::from), source.locate("scenario.base")));
    let one = |kind: IssueKind, message: String, location: Location| ScenarioErrors {
        file: file.clone(),
        issues: vec![Issue {
            kind,
            path: "scenario.base".into(),
            message,
            location,
        }],
    };
    match base {
        None => {
            source.apply_extensions().map_err(|i| ScenarioErrors {
                file: file.clone(),
                issues: vec![i],
            })?;
            Ok(source)
        }
        Some((None, location)) => Err(one(
            IssueKind::WrongType,
            "expected the path of the base scenario file (a string)".into(),
            location,
        )),
        Some((Some(rel), location)) => {
            let base_path = path.parent().unwrap_or(Path::new(".")).join(&rel);
            let id = identity(&base_path);
            if let Some(first) = chain.iter().position(|p| *p == id) {
                let names: Vec<String> = chain[first..]
                    .iter()
                    .chain(std::iter::once(&id))
                    .map(|p| p.display().to_string())
                    .collect();
                return Err(one(
                    IssueKind::Inconsistent,
                    format!("the base scenarios form a cycle: {}", names.join(" -> ")),
                    location,
                ));
            }
            if chain.len() >= MAX_BASE_DEPTH {
                return Err(one(
                    IssueKind::OutOfRange,
                    format!(
                        "more than {MAX_BASE_DEPTH} levels of base scenarios (each file's base has a base, and so on)"
                    ),
                    location,
                ));
            }
            let base = read_with_bases(&base_path, chain).map_err(|mut e| {
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
            source.with_base(base).map_err(|i| ScenarioErrors {
                file: file.clone(),
                issues: vec![i],
            })
        }
    }
}

/// Load and check scenario text. `file` names it in messages.
pub fn load_str(file: &str, text: &str, overrides: &[Override]) -> Result<Loaded, ScenarioErrors> {
    let err = |issue| ScenarioErrors {
        file: file.to_string(),
        issues: vec![issue],
    };
    let mut source = Source::parse(file, text).map_err(err)?;
    source.apply_extensions().map_err(err)?;
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

/// Sweep axes that cannot vary between design points.
fn fixed_key(path: &str) -> Option<&'static str> {
    let steps = source::parse_path(path).unwrap_or_default();
    let key = |i: usize| match steps.get(i) {
        Some(source::Step::Key(k)) => k.as_str(),
        _ => "",
    };
    match (key(0), key(1)) {
        ("run", "replicates") => Some(
            "every design point runs the same replicates: set run.replicates (or --replicates) for the whole sweep",
        ),
        ("scenario", _) => Some(
            "the [scenario] table names the run and its base file, which are the same for every design point",
        ),
        ("sweep", _) => Some("the sweep cannot sweep itself"),
        _ => None,
    }
}

/// Read and validate a (possibly overridden) source.
pub fn check(source: Source) -> Result<Loaded, ScenarioErrors> {
    let issues: Issues = Issues::default();
    let mut spec = spec::read(&source.doc, &issues);
    if let Some(u) = spec.uncertainty.as_mut()
        && let Some(rel) = &u.posterior
    {
        // relative to the folder of the file that sets it (a base's
        // posterior stays the base's when a derived file adds priors)
        let file = source
            .file_setting("uncertainty.posterior")
            .unwrap_or(source.file.as_str());
        let path = Path::new(file).parent().unwrap_or(Path::new(".")).join(rel);
        u.posterior_file = Some(
            std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read the posterior file {}: {e}", path.display()))
                .and_then(|text| {
                    crate::uncertainty::posterior::PosteriorFile::parse(&text)
                        .map_err(|e| format!("posterior file {}: {e}", path.display()))
                }),
        );
    }
    // Paths the reader could not read: the default that stood in for the
    // value is not checked again (one message per key).
    let unreadable: Vec<String> = issues
        .borrow()
        .iter()
        .filter(|i| i.kind != IssueKind::UnknownKey)
        .map(|i| i.path.clone())
        .collect();
    let n_read = issues.borrow().len();
    let scenario = if n_read == 0 {
        validate::validate(&spec, &issues)
    } else {
        // Validate anyway to report semantic problems in the same pass.
        let _ = validate::validate(&spec, &issues);
        None
    };
    let mut list = issues.into_inner();
    let mut seen = Vec::new();
    let mut k = 0;
    list.retain(|i| {
        let from_reader = k < n_read;
        k += 1;
        let keep = from_reader || !unreadable.contains(&i.path);
        let dup = seen.contains(&(i.path.clone(), i.message.clone()));
        seen.push((i.path.clone(), i.message.clone()));
        keep && !dup
    });
    if let Some(s) = &spec.sweep {
        if let Err(mut issue) = design::count(Some(s)) {
            issue.location = source.locate(&issue.path);
            list.push(issue);
        }
        for (k, _) in &s.axes {
            let path = format!("sweep.axes.\"{k}\"");
            if let Err(e) = source::parse_path(k) {
                list.push(Issue {
                    kind: IssueKind::Syntax,
                    location: source.locate(&path),
                    path,
                    message: e,
                });
            } else if let Some(why) = fixed_key(k) {
                list.push(Issue {
                    kind: IssueKind::Inconsistent,
                    location: source.locate(&path),
                    path,
                    message: format!("`{k}` cannot be a sweep axis: {why}"),
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
        explain_replaced_endpoints(&source, &mut list);
        list.sort_by_key(|i| match &i.location {
            Location::File { line, column } => (0, *line, *column),
            _ => (1, 0, 0),
        });
        return Err(ScenarioErrors {
            file: source.file.clone(),
            issues: list,
        });
    }
    let scenario = scenario.expect("checked");
    let mut warnings = source.warnings.clone();
    warnings.extend(warning::check(&scenario).0);
    for w in &mut warnings {
        let at = source.locate(&w.key);
        w.locate(&source.file, at);
    }
    let resolved = source.doc.to_string();
    let sha256 = hex(&Sha256::digest(resolved.as_bytes()));
    Ok(Loaded {
        scenario,
        spec,
        source,
        resolved,
        sha256,
        warnings,
    })
}

/// A multiplicity family of the base that names endpoints this file's
/// `[[endpoints]]` replaced: say so (and how to keep the base's list).
fn explain_replaced_endpoints(source: &Source, list: &mut [Issue]) {
    if source.base.is_none() || !source.writes("endpoints") || source.writes("multiplicity") {
        return;
    }
    let mut first = true;
    for i in list.iter_mut() {
        if i.path.starts_with("multiplicity.families[")
            && i.kind == IssueKind::UnknownKey
            && i.message.starts_with("no endpoint named")
        {
            let family = source::parse_path(&i.path)
                .ok()
                .and_then(|steps| match steps.get(2) {
                    Some(source::Step::Index(f)) => Some(*f),
                    _ => None,
                })
                .and_then(|f| {
                    source
                        .doc
                        .get("multiplicity")?
                        .get("families")?
                        .as_array_of_tables()?
                        .get(f)?
                        .get("name")?
                        .as_str()
                        .map(String::from)
                })
                .unwrap_or_default();
            if first {
                i.message.push_str(&format!(
                    ": the family \"{family}\" comes from the base scenario, and this file's [[endpoints]] replaces the base's list; add endpoints with [[endpoints_extend]] to keep the base's, or define [multiplicity] here"
                ));
                first = false;
            } else {
                i.message.push_str(&format!(
                    " (family \"{family}\" of the base scenario, as above)"
                ));
            }
        }
    }
}

/// Every design point of a loaded scenario, each checked. Problems in any
/// point are reported together (located at the sweep assignment). The
/// number of points is checked ([`design::MAX_DESIGN_POINTS`]) before any is
/// built, and each point keeps its checked scenario but not its document.
pub fn design_points(loaded: &Loaded) -> Result<Vec<(DesignPoint, Loaded)>, ScenarioErrors> {
    let located = |mut i: Issue| {
        i.location = loaded.source.locate(&i.path);
        ScenarioErrors {
            file: loaded.source.file.clone(),
            issues: vec![i],
        }
    };
    design::count(loaded.spec.sweep.as_ref()).map_err(located)?;
    let points = design::expand(loaded.spec.sweep.as_ref()).map_err(located)?;
    // each point starts from the scenario without its [sweep] table
    let mut template = loaded.source.clone();
    template.doc.as_table_mut().remove("sweep");
    template.warnings.clear();
    let mut out = Vec::with_capacity(points.len());
    let mut issues = Vec::new();
    for p in points {
        if p.assignments.is_empty() {
            out.push((p, loaded.clone()));
            continue;
        }
        let mut src = template.clone();
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
                let issue = Issue {
                    kind: IssueKind::UnknownKey,
                    path: format!("sweep.axes.\"{path}\""),
                    message: format!(
                        "the sweep axis `{path}` does not name a key of an existing table in this scenario"
                    ),
                    location: loaded.source.locate("sweep.axes"),
                };
                if !issues.contains(&issue) {
                    issues.push(issue);
                }
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
            Ok(mut l) => {
                l.source.doc = toml_edit::DocumentMut::new();
                l.resolved = String::new();
                out.push((p, l));
            }
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

/// The warnings of a run: the scenario's own (one design point) or those of
/// its design points, each once: a warning of some design points only names
/// them.
pub fn run_warnings(loaded: &Loaded, points: &[(DesignPoint, Loaded)]) -> Vec<Warning> {
    if points.len() == 1 && points[0].0.assignments.is_empty() {
        return points[0].1.warnings.clone();
    }
    // (warning as first found, design points, whether later messages differ)
    let mut out: Vec<(Warning, Vec<usize>, bool)> = Vec::new();
    // the overrides' own warnings (not repeated by the points)
    for w in &loaded.warnings {
        if w.kind == WarningKind::OverrideReplacesAxis {
            out.push((w.clone(), (0..points.len()).collect(), false));
        }
    }
    for (i, (_, l)) in points.iter().enumerate() {
        for w in &l.warnings {
            match out
                .iter_mut()
                .find(|(o, _, _)| o.kind == w.kind && o.key == w.key)
            {
                Some((o, at, differs)) => {
                    at.push(i);
                    *differs |= o.message != w.message;
                }
                None => out.push((w.clone(), vec![i], false)),
            }
        }
    }
    out.into_iter()
        .map(|(mut w, at, differs)| {
            let list = |at: &[usize]| {
                if at.len() <= 5 {
                    let l: Vec<String> = at.iter().map(|i| i.to_string()).collect();
                    format!(
                        "design point{} {} of {}",
                        if at.len() == 1 { "" } else { "s" },
                        l.join(", "),
                        points.len()
                    )
                } else {
                    format!("{} of {} design points", at.len(), points.len())
                }
            };
            if differs {
                w.message = format!(
                    "at design point {}: {} (and likewise at {})",
                    at[0],
                    w.message,
                    list(&at[1..])
                );
            } else if at.len() < points.len() {
                w.message.push_str(&format!(" ({})", list(&at)));
            }
            if at.len() > 1
                && w.origin
                    .as_deref()
                    .is_some_and(|o| o.starts_with("sweep point"))
            {
                w.origin = Some("sweep".into());
            }
            w
        })
        .collect()
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
