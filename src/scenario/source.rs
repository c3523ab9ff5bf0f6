//! The scenario text, `--set` overrides and locating keys in the file.

use super::error::{Issue, IssueKind, Location};
use super::warning::{Warning, WarningKind};
use std::sync::Arc;
use toml_edit::{Document, DocumentMut, Item, Value};

/// A `--set key.path=value` override.
#[derive(Debug, Clone)]
pub struct Override {
    pub path: String,
    /// The value as TOML (a bare word that is not valid TOML is taken as a string).
    pub value: Value,
    /// How the user wrote it (for messages).
    pub text: String,
}

impl Override {
    /// Parse `key.path=value`. The value is one TOML value (a bare word that
    /// is not valid TOML is taken as a string); anything after it, a control
    /// character (a line break) or an integer beyond TOML's range is refused.
    pub fn parse(text: &str) -> Result<Override, String> {
        if text.len() > crate::input::MAX_OVERRIDE_BYTES {
            return Err(format!(
                "'{}...': {} bytes, more than an override may have ({} bytes)",
                text.chars().take(40).collect::<String>(),
                text.len(),
                crate::input::MAX_OVERRIDE_BYTES
            ));
        }
        if let Some(c) = text.chars().find(|c| c.is_control()) {
            return Err(format!(
                "{text:?}: contains a control character ({c:?}); give one key.path=value per --set, on one line"
            ));
        }
        let (path, raw) = text.split_once('=').ok_or_else(|| {
            format!("'{text}': expected key.path=value, e.g. arms.msc.interval_days=28")
        })?;
        let path = path.trim();
        if path.is_empty() {
            return Err(format!("'{text}': the key path before '=' is empty"));
        }
        parse_path(path).map_err(|e| format!("'{text}': {e}"))?;
        let raw = raw.trim();
        let value = match parse_value(raw) {
            Ok(v) => v,
            Err(ValueError::NotToml) if is_integer_text(raw) => {
                return Err(format!(
                    "'{text}': {raw} is beyond the range of TOML integers ({} to {})",
                    i64::MIN,
                    i64::MAX
                ));
            }
            Err(ValueError::NotToml) => Value::from(raw),
            Err(ValueError::TrailingContent) => {
                return Err(format!(
                    "'{text}': the value must be one TOML value with nothing after it"
                ));
            }
        };
        Ok(Override {
            path: path.to_string(),
            value,
            text: text.to_string(),
        })
    }
}

/// Why a `--set` value is not one TOML value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueError {
    /// Not valid TOML at all (a bare word: then it is taken as a string).
    NotToml,
    /// A value followed by more TOML (`9 [run] seed = 1` on several lines).
    TrailingContent,
}

/// Digits with an optional sign and `_` separators.
fn is_integer_text(raw: &str) -> bool {
    let digits = raw.strip_prefix(['+', '-']).unwrap_or(raw);
    digits.chars().any(|c| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_digit() || c == '_')
}

/// Parse a TOML value written on its own (`42`, `"x"`, `[1, 2]`, `true`).
pub fn parse_value(raw: &str) -> Result<Value, ValueError> {
    let doc: DocumentMut = format!("v = {raw}")
        .parse()
        .map_err(|_| ValueError::NotToml)?;
    if doc.len() != 1 {
        return Err(ValueError::TrailingContent);
    }
    doc.get("v")
        .and_then(|i| i.as_value())
        .cloned()
        .ok_or(ValueError::NotToml)
}

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// Split `a.b[2].c` into steps. Keys may be quoted (`model."odd.key"`).
pub fn parse_path(path: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    let mut chars = path.chars().peekable();
    let mut cur = String::new();
    let mut expect_key = true;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                for c2 in chars.by_ref() {
                    if c2 == '"' {
                        break;
                    }
                    cur.push(c2);
                }
            }
            '.' => {
                if !cur.is_empty() {
                    steps.push(Step::Key(std::mem::take(&mut cur)));
                } else if expect_key {
                    return Err(format!("empty key in path '{path}'"));
                }
                expect_key = true;
            }
            '[' => {
                if !cur.is_empty() {
                    steps.push(Step::Key(std::mem::take(&mut cur)));
                }
                let mut num = String::new();
                for c2 in chars.by_ref() {
                    if c2 == ']' {
                        break;
                    }
                    num.push(c2);
                }
                let i: usize = num
                    .trim()
                    .parse()
                    .map_err(|_| format!("'[{num}]' in '{path}' is not an index"))?;
                steps.push(Step::Index(i));
                expect_key = false;
            }
            c => {
                cur.push(c);
                expect_key = false;
            }
        }
    }
    if !cur.is_empty() {
        steps.push(Step::Key(cur));
    }
    if steps.is_empty() {
        return Err("empty key path".into());
    }
    Ok(steps)
}

/// The parts of a file that never change once parsed: shared by every
/// clone of its [`Source`] (the design points of a sweep), so that a clone
/// costs the document only.
#[derive(Debug)]
struct Original {
    text: String,
    /// Parsed with spans, for locating keys.
    doc: Document<String>,
    line_starts: Vec<usize>,
}

/// A scenario file's text and its parsed forms.
#[derive(Debug, Clone)]
pub struct Source {
    /// Display name of the file (as given on the command line).
    pub file: String,
    original: Option<Arc<Original>>,
    /// The document after overrides (what is read).
    pub doc: DocumentMut,
    /// Paths set by overrides, with how they were written.
    pub overridden: Vec<(String, String)>,
    /// Set when the document is a sweep design point.
    pub design_label: Option<String>,
    /// The scenario this one is based on (`[scenario] base`), merged under it.
    pub base: Option<Arc<Source>>,
    /// Index in `endpoints` of the first endpoint added by this file's
    /// `[[endpoints_extend]]` (appended to the base's list).
    extended_from: Option<usize>,
    /// Warnings of the overrides (one that replaced a sweep axis).
    pub warnings: Vec<Warning>,
}

impl Source {
    /// Parse `text`. A syntax error is returned as a located issue.
    pub fn parse(file: &str, text: &str) -> Result<Source, Issue> {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect::<Vec<_>>();
        let original: Document<String> = match Document::parse(text.to_string()) {
            Ok(d) => d,
            Err(e) => {
                let (line, column) = e
                    .span()
                    .map(|s| offset_to_line_col(&line_starts, text, s.start))
                    .unwrap_or((1, 1));
                let msg = e.message().trim().to_string();
                let mut issue =
                    Issue::new(IssueKind::Syntax, "", format!("TOML syntax error: {msg}"));
                issue.location = Location::File { line, column };
                return Err(issue);
            }
        };
        let doc: DocumentMut = original.clone().into_mut();
        Ok(Source {
            file: file.to_string(),
            original: Some(Arc::new(Original {
                text: text.to_string(),
                doc: original,
                line_starts,
            })),
            doc,
            overridden: Vec::new(),
            design_label: None,
            base: None,
            extended_from: None,
            warnings: Vec::new(),
        })
    }

    /// Apply overrides (in order). Problems with the paths are returned. An
    /// override of a key that is also a sweep axis wins: the axis is removed
    /// (with a warning), so every design point uses the override.
    pub fn apply_overrides(&mut self, overrides: &[Override]) -> Vec<Issue> {
        let mut issues = Vec::new();
        for o in overrides {
            let steps = parse_path(&o.path).unwrap_or_default();
            if steps.first() == Some(&Step::Key("scenario".into()))
                && steps.get(1) == Some(&Step::Key("base".into()))
            {
                let mut i = Issue::new(
                    IssueKind::Inconsistent,
                    o.path.clone(),
                    "the base is read with the file and cannot be set with --set; write a small scenario file with [scenario] base = \"...\" and the changes (docs/scenarios.md)",
                );
                i.location = Location::Override(o.text.clone());
                issues.push(i);
                continue;
            }
            match set_path(&mut self.doc, &o.path, o.value.clone()) {
                Ok(()) => {
                    self.overridden.push((o.path.clone(), o.text.clone()));
                    self.replace_axis(o, &steps);
                }
                Err(msg) => {
                    let mut i = Issue::new(IssueKind::UnknownKey, o.path.clone(), msg);
                    i.location = Location::Override(o.text.clone());
                    issues.push(i);
                }
            }
        }
        issues
    }

    /// Remove the sweep axis an override sets (the override wins).
    fn replace_axis(&mut self, o: &Override, steps: &[Step]) {
        let Some(axes) = self
            .doc
            .get_mut("sweep")
            .and_then(|s| s.as_table_like_mut())
            .and_then(|s| s.get_mut("axes"))
            .and_then(|a| a.as_table_like_mut())
        else {
            return;
        };
        let Some(key) = axes
            .iter()
            .map(|(k, _)| k.to_string())
            .find(|k| parse_path(k).is_ok_and(|s| s == steps))
        else {
            return;
        };
        let values = axes
            .get(&key)
            .map(|v| v.to_string().trim().to_string())
            .unwrap_or_default();
        axes.remove(&key);
        let left = axes.len();
        if left == 0
            && let Some(t) = self.doc.as_table_mut().get_mut("sweep")
        {
            *t = Item::None;
        }
        self.warnings.push(Warning::new(
            WarningKind::OverrideReplacesAxis,
            o.path.clone(),
            format!(
                "replaces the sweep axis `{key}` = {values}: every design point uses {}{}",
                o.value.to_string().trim(),
                if left == 0 {
                    " (no axis is left: one design point)"
                } else {
                    ""
                }
            ),
        ));
    }

    /// Where a key path is. Overridden paths point at the override.
    pub fn locate(&self, path: &str) -> Location {
        for (p, text) in self.overridden.iter().rev() {
            if path == p || path.starts_with(&format!("{p}.")) || path.starts_with(&format!("{p}["))
            {
                return Location::Override(text.clone());
            }
        }
        if let Some(label) = &self.design_label
            && self.span_of(&self.map_extended(path)).is_none()
        {
            return Location::DesignPoint(label.clone());
        }
        // Walk up the path until something is found in the original file
        // (or, for keys inherited from the base, in the base file).
        let mut p = path.to_string();
        loop {
            if let Some(l) = self.find(&p) {
                return l;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p.truncate(i),
                None => return Location::Unknown,
            }
        }
    }

    /// Where exactly `path` is written: in this file, or else (unless this
    /// file replaced what holds it) in the base chain.
    fn find(&self, path: &str) -> Option<Location> {
        let mapped = self.map_extended(path);
        if let (Some(o), Some(offset)) = (&self.original, self.span_of(&mapped)) {
            let (line, column) = offset_to_line_col(&o.line_starts, &o.text, offset);
            return Some(Location::File { line, column });
        }
        if self.owns(&mapped) {
            return None;
        }
        let b = self.base.as_ref()?;
        match b.find(path)? {
            Location::File { line, column } => Some(Location::OtherFile {
                file: b.file.clone(),
                line,
                column,
            }),
            other => Some(other),
        }
    }

    /// `endpoints[k]...` of an endpoint added by `[[endpoints_extend]]` is
    /// written as `endpoints_extend[k - first]...` in this file.
    fn map_extended(&self, path: &str) -> String {
        let Some(first) = self.extended_from else {
            return path.to_string();
        };
        let Some(rest) = path.strip_prefix("endpoints[") else {
            return path.to_string();
        };
        let Some((k, tail)) = rest.split_once(']') else {
            return path.to_string();
        };
        match k.trim().parse::<usize>() {
            Ok(k) if k >= first => format!("endpoints_extend[{}]{tail}", k - first),
            _ => path.to_string(),
        }
    }

    /// The file of the base chain (this one first) that writes the
    /// top-level table `key`, with its text as written.
    pub fn file_writing(&self, key: &str) -> Option<(&str, &str)> {
        if let Some(o) = &self.original
            && o.doc.as_table().contains_key(key)
        {
            return Some((&self.file, &o.text));
        }
        self.base.as_ref()?.file_writing(key)
    }

    /// The file (this one or a base) whose own text sets the value at
    /// `path` (a dotted key such as `uncertainty.posterior`): the nearest
    /// in the chain of bases, as the merge lets it win.
    pub fn file_setting(&self, path: &str) -> Option<&str> {
        if let Some(o) = &self.original
            && let Ok(steps) = parse_path(path)
        {
            let mut t: &dyn toml_edit::TableLike = o.doc.as_table();
            let mut found = !steps.is_empty();
            for (i, s) in steps.iter().enumerate() {
                let Step::Key(k) = s else {
                    found = false;
                    break;
                };
                match t.get(k) {
                    None => {
                        found = false;
                        break;
                    }
                    Some(item) if i + 1 == steps.len() => found = !item.is_none(),
                    Some(item) => match item.as_table_like() {
                        Some(sub) => t = sub,
                        None => {
                            found = false;
                            break;
                        }
                    },
                }
            }
            if found {
                return Some(&self.file);
            }
        }
        self.base.as_ref()?.file_setting(path)
    }

    /// Whether this file wrote (and so replaced) something holding `path`:
    /// an array of tables or a value on the way to it. Inherited keys under
    /// a table this file merely extends are not its own.
    fn owns(&self, path: &str) -> bool {
        let Some(o) = &self.original else {
            return false;
        };
        let Ok(steps) = parse_path(path) else {
            return false;
        };
        let mut t: &dyn toml_edit::TableLike = o.doc.as_table();
        for s in &steps {
            let Step::Key(k) = s else { return true };
            match t.get(k) {
                None => return false,
                Some(item) => match item.as_table_like() {
                    Some(sub) => t = sub,
                    None => return true,
                },
            }
        }
        false
    }

    /// Merge this scenario over its base: `self` becomes the derived
    /// scenario with `base` underneath (tables merge key by key, anything else
    /// in `self` replaces the base's value; arrays of tables are replaced
    /// whole, except that `[[endpoints_extend]]` tables are appended to the
    /// base's `[[endpoints]]`).
    pub fn with_base(mut self, base: Source) -> Result<Source, Issue> {
        let mut merged = base.doc.clone();
        merge_tables(merged.as_table_mut(), self.doc.as_table());
        if let Some(t) = merged
            .get_mut("scenario")
            .and_then(|i| i.as_table_like_mut())
        {
            t.remove("base");
        }
        self.doc = merged;
        self.base = Some(Arc::new(base));
        self.apply_extensions()?;
        Ok(self)
    }

    /// Append `[[endpoints_extend]]` to `[[endpoints]]`.
    pub fn apply_extensions(&mut self) -> Result<(), Issue> {
        let Some(ext) = self.doc.as_table_mut().remove("endpoints_extend") else {
            return Ok(());
        };
        let location = self.locate("endpoints_extend");
        let ext = ext.into_array_of_tables().map_err(|_| Issue {
            kind: IssueKind::WrongType,
            path: "endpoints_extend".into(),
            message: "expected [[endpoints_extend]] tables (endpoints added to the base's list)"
                .into(),
            location: location.clone(),
        })?;
        let table = self.doc.as_table_mut();
        if table.get("endpoints").is_none() {
            table.insert(
                "endpoints",
                Item::ArrayOfTables(toml_edit::ArrayOfTables::new()),
            );
        }
        let Some(list) = table
            .get_mut("endpoints")
            .and_then(|e| e.as_array_of_tables_mut())
        else {
            return Err(Issue {
                kind: IssueKind::Inconsistent,
                path: "endpoints_extend".into(),
                message: "extends `endpoints`, which is not a list of [[endpoints]] tables".into(),
                location,
            });
        };
        self.extended_from = Some(list.len());
        for t in ext.iter() {
            list.push(t.clone());
        }
        Ok(())
    }

    /// Whether this file (not its base) writes a top-level key.
    pub fn writes(&self, key: &str) -> bool {
        self.original
            .as_ref()
            .is_some_and(|o| o.doc.as_table().contains_key(key))
    }

    /// Byte offset of a key path in the original document.
    fn span_of(&self, path: &str) -> Option<usize> {
        let o = self.original.as_ref()?;
        let steps = parse_path(path).ok()?;
        find_in_table(o.doc.as_table(), &steps, None)
    }
}

/// Span of the deepest element of `steps` below a table (None if missing).
fn find_in_table(
    t: &dyn toml_edit::TableLike,
    steps: &[Step],
    best: Option<usize>,
) -> Option<usize> {
    let Some((first, rest)) = steps.split_first() else {
        return best;
    };
    let Step::Key(k) = first else { return None };
    let (key, item) = t.get_key_value(k)?;
    let here = key.span().map(|s| s.start).or(best);
    find_in_item(item, rest, here)
}

fn find_in_item(item: &Item, steps: &[Step], best: Option<usize>) -> Option<usize> {
    let Some((first, rest)) = steps.split_first() else {
        return best.or(item.span().map(|s| s.start));
    };
    match first {
        Step::Key(_) => find_in_table(item.as_table_like()?, steps, best),
        Step::Index(i) => {
            if let Some(aot) = item.as_array_of_tables() {
                let t = aot.get(*i)?;
                let here = t.span().map(|s| s.start).or(best);
                if rest.is_empty() {
                    here
                } else {
                    find_in_table(t, rest, here)
                }
            } else {
                let v = item.as_array()?.get(*i)?;
                let here = v.span().map(|s| s.start).or(best);
                match (rest.is_empty(), v.as_inline_table()) {
                    (true, _) => here,
                    (false, Some(t)) => find_in_table(t, rest, here),
                    (false, None) => None,
                }
            }
        }
    }
}

fn merge_tables(base: &mut dyn toml_edit::TableLike, over: &dyn toml_edit::TableLike) {
    for (k, item) in over.iter() {
        let both_tables = item.as_table_like().is_some()
            && base.get(k).is_some_and(|b| b.as_table_like().is_some());
        if both_tables {
            let b = base
                .get_mut(k)
                .and_then(|b| b.as_table_like_mut())
                .expect("checked");
            merge_tables(b, item.as_table_like().expect("checked"));
        } else {
            base.insert(k, item.clone());
        }
    }
}

fn offset_to_line_col(line_starts: &[usize], text: &str, offset: usize) -> (usize, usize) {
    let line = match line_starts.binary_search(&offset) {
        Ok(i) => i,
        Err(i) => i - 1,
    };
    let start = line_starts[line];
    let column = text
        .get(start..offset.min(text.len()))
        .map(|s| s.chars().count())
        .unwrap_or(0)
        + 1;
    (line + 1, column)
}

/// Set `path` to `value` in a document, creating tables for missing keys.
/// Indices must refer to existing array elements.
pub fn set_path(doc: &mut DocumentMut, path: &str, value: Value) -> Result<(), String> {
    let steps = parse_path(path)?;
    let mut item: &mut Item = doc.as_item_mut();
    let last = steps.len() - 1;
    for (n, step) in steps.iter().enumerate() {
        match step {
            Step::Key(k) => {
                if item.is_none() {
                    *item = Item::Table(toml_edit::Table::new());
                }
                let t = item
                    .as_table_like_mut()
                    .ok_or_else(|| format!("cannot set '{k}': its parent is not a table"))?;
                if n == last {
                    t.insert(k, Item::Value(value));
                    return Ok(());
                }
                if t.get(k).is_none() {
                    t.insert(k, Item::Table(toml_edit::Table::new()));
                    if let Some(tab) = t.get_mut(k).and_then(|i| i.as_table_mut()) {
                        tab.set_implicit(true);
                    }
                }
                item = t.get_mut(k).expect("just inserted");
            }
            Step::Index(i) => {
                let len;
                if let Some(aot) = item.as_array_of_tables_mut() {
                    len = aot.len();
                    if *i >= len {
                        return Err(format!(
                            "index [{i}] is out of range: there are {len} entries"
                        ));
                    }
                    let t = aot.get_mut(*i).expect("checked");
                    if n == last {
                        return Err(
                            "cannot replace a whole table entry; set one of its keys".into()
                        );
                    }
                    // continue inside the table
                    let rest: String = render_steps(&steps[n + 1..]);
                    let mut sub = DocumentMut::new();
                    std::mem::swap(sub.as_table_mut(), t);
                    let r = set_path(&mut sub, &rest, value);
                    std::mem::swap(sub.as_table_mut(), t);
                    return r;
                } else if let Some(arr) = item.as_array_mut() {
                    len = arr.len();
                    if *i >= len {
                        return Err(format!(
                            "index [{i}] is out of range: there are {len} entries"
                        ));
                    }
                    if n == last {
                        arr.replace(*i, value);
                        return Ok(());
                    }
                    return Err("cannot descend into an array value".into());
                } else {
                    return Err(format!("[{i}]: this key is not an array"));
                }
            }
        }
    }
    Ok(())
}

fn render_steps(steps: &[Step]) -> String {
    let mut s = String::new();
    for st in steps {
        match st {
            Step::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                if k.contains('.') {
                    s.push_str(&format!("\"{k}\""));
                } else {
                    s.push_str(k);
                }
            }
            Step::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[run]\nseed = 1\n\n[arms.msc]\ninterval_days = 42\n\n[[endpoints]]\nname = \"a\"\n\n[[endpoints]]\nname = \"b\"\ntest = \"welch\"\n";

    #[test]
    fn keys_are_located_at_their_line() {
        let s = Source::parse("x.toml", TEXT).unwrap();
        assert_eq!(s.locate("run.seed"), Location::File { line: 2, column: 1 });
        assert_eq!(
            s.locate("arms.msc.interval_days"),
            Location::File { line: 5, column: 1 }
        );
        assert_eq!(
            s.locate("endpoints[1].test"),
            Location::File {
                line: 12,
                column: 1
            }
        );
        // a missing key is located at its closest existing parent
        assert!(matches!(
            s.locate("arms.msc.n_doses"),
            Location::File { line: 4, .. }
        ));
    }

    #[test]
    fn overrides_change_values_and_are_reported_as_such() {
        let mut s = Source::parse("x.toml", TEXT).unwrap();
        let o = Override::parse("arms.msc.interval_days=28").unwrap();
        let o2 = Override::parse("endpoints[1].test=student").unwrap();
        assert!(s.apply_overrides(&[o, o2]).is_empty());
        assert_eq!(s.doc["arms"]["msc"]["interval_days"].as_integer(), Some(28));
        assert_eq!(s.doc["endpoints"][1]["test"].as_str(), Some("student"));
        assert_eq!(
            s.locate("arms.msc.interval_days"),
            Location::Override("arms.msc.interval_days=28".into())
        );
        let bad = Override::parse("endpoints[7].test=x").unwrap();
        assert_eq!(s.apply_overrides(&[bad]).len(), 1);
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = Source::parse("x.toml", "[run]\nseed = = 1\n").unwrap_err();
        assert!(
            matches!(e.location, Location::File { line: 2, .. }),
            "{e:?}"
        );
    }

    #[test]
    fn bad_override_syntax_is_explained() {
        assert!(
            Override::parse("no_equals_sign")
                .unwrap_err()
                .contains("key.path=value")
        );
        assert!(Override::parse("=3").is_err());
        assert_eq!(
            Override::parse("a.b=hello").unwrap().value.as_str(),
            Some("hello")
        );
        // one value, on one line, within TOML's integers
        assert!(
            Override::parse("a.b=9\n[run]\nseed=1")
                .unwrap_err()
                .contains("control character")
        );
        assert_eq!(
            parse_value("9\n[run]\nseed = 1").unwrap_err(),
            ValueError::TrailingContent
        );
        assert!(
            Override::parse("run.seed=18446744073709551615")
                .unwrap_err()
                .contains("beyond the range of TOML integers")
        );
        assert!(Override::parse(&format!("a.b={}", "x".repeat(70_000))).is_err());
    }
}
