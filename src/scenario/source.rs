//! The scenario text, `--set` overrides and locating keys in the file.

use super::error::{Issue, IssueKind, Location};
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
    /// Parse `key.path=value`.
    pub fn parse(text: &str) -> Result<Override, String> {
        let (path, raw) = text.split_once('=').ok_or_else(|| {
            format!("'{text}': expected key.path=value, e.g. arms.msc.interval_days=28")
        })?;
        let path = path.trim();
        if path.is_empty() {
            return Err(format!("'{text}': the key path before '=' is empty"));
        }
        parse_path(path).map_err(|e| format!("'{text}': {e}"))?;
        let raw = raw.trim();
        let value = parse_value(raw).unwrap_or_else(|| Value::from(raw));
        Ok(Override {
            path: path.to_string(),
            value,
            text: text.to_string(),
        })
    }
}

/// Parse a TOML value written on its own (`42`, `"x"`, `[1, 2]`, `true`).
pub fn parse_value(raw: &str) -> Option<Value> {
    let doc: DocumentMut = format!("v = {raw}").parse().ok()?;
    doc.get("v").and_then(|i| i.as_value()).cloned()
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

/// A scenario file's text and its parsed forms.
#[derive(Debug, Clone)]
pub struct Source {
    /// Display name of the file (as given on the command line).
    pub file: String,
    /// The original text.
    pub text: String,
    /// Parsed original (with spans, for locating keys).
    original: Option<Document<String>>,
    line_starts: Vec<usize>,
    /// The document after overrides (what is read).
    pub doc: DocumentMut,
    /// Paths set by overrides, with how they were written.
    pub overridden: Vec<(String, String)>,
    /// Set when the document is a sweep design point.
    pub design_label: Option<String>,
    /// The scenario this one is based on (`[scenario] base`), merged under it.
    pub base: Option<Box<Source>>,
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
            text: text.to_string(),
            original: Some(original),
            line_starts,
            doc,
            overridden: Vec::new(),
            design_label: None,
            base: None,
        })
    }

    /// Apply overrides (in order). Problems with the paths are returned.
    pub fn apply_overrides(&mut self, overrides: &[Override]) -> Vec<Issue> {
        let mut issues = Vec::new();
        for o in overrides {
            match set_path(&mut self.doc, &o.path, o.value.clone()) {
                Ok(()) => self.overridden.push((o.path.clone(), o.text.clone())),
                Err(msg) => {
                    let mut i = Issue::new(IssueKind::UnknownKey, o.path.clone(), msg);
                    i.location = Location::Override(o.text.clone());
                    issues.push(i);
                }
            }
        }
        issues
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
            && self.span_of(path).is_none()
        {
            return Location::DesignPoint(label.clone());
        }
        // Walk up the path until something is found in the original file
        // (or, for keys inherited from the base, in the base file).
        let mut p = path.to_string();
        loop {
            if let Some(offset) = self.span_of(&p) {
                let (line, column) = offset_to_line_col(&self.line_starts, &self.text, offset);
                return Location::File { line, column };
            }
            if let Some(b) = &self.base
                && b.span_of(&p).is_some()
            {
                return match b.locate(&p) {
                    Location::File { line, column } => Location::OtherFile {
                        file: b.file.clone(),
                        line,
                        column,
                    },
                    other => other,
                };
            }
            match p.rfind(['.', '[']) {
                Some(i) => p.truncate(i),
                None => return Location::Unknown,
            }
        }
    }

    /// Merge `over` into this scenario's base: `self` becomes the derived
    /// scenario with `base` underneath (tables merge key by key, anything else
    /// in `over` replaces the base's value; arrays of tables are replaced whole).
    pub fn with_base(mut self, base: Source) -> Source {
        let mut merged = base.doc.clone();
        merge_tables(merged.as_table_mut(), self.doc.as_table());
        if let Some(t) = merged
            .get_mut("scenario")
            .and_then(|i| i.as_table_like_mut())
        {
            t.remove("base");
        }
        self.doc = merged;
        self.base = Some(Box::new(base));
        self
    }

    /// Byte offset of a key path in the original document.
    fn span_of(&self, path: &str) -> Option<usize> {
        let doc = self.original.as_ref()?;
        let steps = parse_path(path).ok()?;
        find_in_table(doc.as_table(), &steps, None)
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
    }
}
