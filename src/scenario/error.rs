//! Scenario problems: every one is collected, located and reported at once.

use std::fmt;

/// What kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    Syntax,
    UnknownKey,
    WrongType,
    Missing,
    OutOfRange,
    Inconsistent,
    Io,
}

/// Where a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// In the scenario file.
    File {
        line: usize,
        column: usize,
    },
    /// In another file (the scenario's `base`).
    OtherFile {
        file: String,
        line: usize,
        column: usize,
    },
    /// In a `--set` override given on the command line.
    Override(String),
    /// In a sweep design point (the sweep assignment that produced it).
    DesignPoint(String),
    Unknown,
}

/// One problem with a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub kind: IssueKind,
    /// Dotted key path (`arms.msc.interval_days`, `endpoints[2].test`), or
    /// the table for a missing key.
    pub path: String,
    pub message: String,
    pub location: Location,
}

impl Issue {
    pub fn new(kind: IssueKind, path: impl Into<String>, message: impl Into<String>) -> Issue {
        Issue {
            kind,
            path: path.into(),
            message: message.into(),
            location: Location::Unknown,
        }
    }
}

/// All the problems of one scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioErrors {
    pub file: String,
    pub issues: Vec<Issue>,
}

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.issues.len();
        writeln!(
            f,
            "{}: {} problem{} found",
            self.file,
            n,
            if n == 1 { "" } else { "s" }
        )?;
        for issue in &self.issues {
            let at = match &issue.location {
                Location::File { line, column } => format!("{}:{}:{}", self.file, line, column),
                Location::OtherFile { file, line, column } => {
                    format!("{file}:{line}:{column} (base of {})", self.file)
                }
                Location::Override(s) => format!("--set {s}"),
                Location::DesignPoint(s) => format!("{} (sweep point {s})", self.file),
                Location::Unknown => self.file.clone(),
            };
            if issue.path.is_empty() {
                writeln!(f, "  {at}: {}", issue.message)?;
            } else {
                writeln!(f, "  {at}: {}: {}", issue.path, issue.message)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioErrors {}

/// Levenshtein distance (for "did you mean").
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Words people write for an allowed word (tests, routes, modalities).
const SYNONYMS: &[(&str, &str)] = &[
    ("t_test", "welch"),
    ("ttest", "welch"),
    ("welch_t_test", "welch"),
    ("students_t", "student"),
    ("mann_whitney", "wilcoxon"),
    ("mannwhitney", "wilcoxon"),
    ("wilcoxon_rank_sum", "wilcoxon"),
    ("rank_sum", "wilcoxon"),
    ("log_rank", "logrank"),
    ("cox", "logrank"),
    ("chi2", "proportions_z"),
    ("chisq", "proportions_z"),
    ("chi_square", "proportions_z"),
    ("z_test", "proportions_z"),
    ("fishers_exact", "fisher"),
    ("iv", "intravenous"),
    ("ic", "intracoronary"),
    ("te", "transendocardial"),
    ("cmr", "mri"),
    ("cardiac_mri", "mri"),
    ("echocardiography", "echo"),
    ("6mwt", "walk_test"),
    ("six_minute_walk", "walk_test"),
];

/// A word as compared for suggestions: lower case, `-` and spaces as `_`,
/// no apostrophes.
fn normalized(word: &str) -> String {
    word.trim()
        .to_lowercase()
        .replace(['-', ' '], "_")
        .replace('\'', "")
}

/// The allowed word meant, if it differs only in case or separators
/// (`"MRI"`, `"Proportions-Z"`) or is a common name of it (`"t-test"`).
fn same_or_synonym<'a>(word: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let w = normalized(word);
    if let Some(a) = allowed.iter().find(|a| normalized(a) == w) {
        return Some(a);
    }
    let target = SYNONYMS.iter().find(|(s, _)| *s == w).map(|(_, t)| *t)?;
    allowed.iter().find(|a| **a == target).copied()
}

/// The closest allowed word, if it is close enough to be a likely typo, or
/// else the shortest allowed word containing every `_`-separated part of it
/// (`rv_emax` suggests `rv_repair_emax_per_day`). Case, `-` for `_` and
/// common names (`t-test` for `welch`) are recognized first.
pub fn suggest<'a>(word: &str, allowed: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let allowed: Vec<&'a str> = allowed.into_iter().collect();
    if let Some(a) = same_or_synonym(word, &allowed) {
        return Some(a);
    }
    let limit = (word.chars().count() / 3).clamp(2, 6);
    let close = allowed
        .iter()
        .map(|a| (edit_distance(word, a), *a))
        .filter(|(d, a)| {
            *d <= limit
                || (a.contains(word) && word.len() >= 4)
                || (word.contains(a) && a.len() >= 4)
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a);
    if close.is_some() {
        return close;
    }
    let parts: Vec<&str> = word.split('_').filter(|p| p.len() >= 2).collect();
    if parts.len() < 2 {
        return None;
    }
    allowed
        .iter()
        .filter(|a| {
            let theirs: Vec<&str> = a.split('_').collect();
            parts.iter().all(|p| theirs.contains(p))
        })
        .min_by_key(|a| a.len())
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_catch_typos_but_not_unrelated_words() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(
            suggest("interval_day", ["interval_days", "n_doses"]),
            Some("interval_days")
        );
        assert_eq!(suggest("dose_mgg", ["dose_cells_per_kg", "route"]), None);
        assert_eq!(
            suggest("welsh", ["welch", "student", "wilcoxon"]),
            Some("welch")
        );
        assert_eq!(suggest("zzzzzz", ["welch", "student"]), None);
        assert_eq!(suggest("MRI", ["mri", "echo", "lab"]), Some("mri"));
        assert_eq!(
            suggest("t-test", ["welch", "student", "wilcoxon"]),
            Some("welch")
        );
        assert_eq!(
            suggest("Mann-Whitney", ["welch", "wilcoxon"]),
            Some("wilcoxon")
        );
        assert_eq!(
            suggest("Proportions-Z", ["fisher", "proportions_z"]),
            Some("proportions_z")
        );
        // a synonym is offered only where its word is allowed
        assert_eq!(suggest("t-test", ["logrank"]), None);
        assert_eq!(
            suggest(
                "rv_emax",
                ["lv_repair_emax_per_day", "rv_repair_emax_per_day"]
            ),
            Some("rv_repair_emax_per_day")
        );
    }
}
