//! Typed reading of TOML tables that collects every problem instead of
//! stopping at the first: wrong types, missing keys (named with their table),
//! unknown keys (with a "did you mean").

use super::error::{Issue, IssueKind, suggest};
use std::cell::RefCell;
use std::collections::BTreeSet;
use toml_edit::{Item, TableLike, Value};

/// Shared list of problems.
pub type Issues = RefCell<Vec<Issue>>;

/// Largest whole number a key takes (counts, seeds): exact as a float too.
pub const MAX_WHOLE: u64 = 9_000_000_000_000_000;

/// Reads one table.
pub struct Reader<'a> {
    pub path: String,
    table: &'a dyn TableLike,
    issues: &'a Issues,
    used: RefCell<BTreeSet<String>>,
}

/// Join a table path and a key.
pub fn join(path: &str, key: &str) -> String {
    let key = if key.contains('.') || key.contains(' ') {
        format!("\"{key}\"")
    } else {
        key.to_string()
    };
    if path.is_empty() {
        key
    } else {
        format!("{path}.{key}")
    }
}

fn type_name(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "an array of tables",
        Item::Value(v) => match v {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Boolean(_) => "a boolean",
            Value::Datetime(_) => "a date",
            Value::Array(_) => "an array",
            Value::InlineTable(_) => "a table",
        },
    }
}

impl<'a> Reader<'a> {
    pub fn new(
        path: impl Into<String>,
        table: &'a dyn TableLike,
        issues: &'a Issues,
    ) -> Reader<'a> {
        Reader {
            path: path.into(),
            table,
            issues,
            used: RefCell::new(BTreeSet::new()),
        }
    }

    pub fn key_path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// Record a problem at `key` of this table.
    pub fn issue(&self, kind: IssueKind, key: &str, message: impl Into<String>) {
        let path = if key.is_empty() {
            self.path.clone()
        } else {
            self.key_path(key)
        };
        self.issues
            .borrow_mut()
            .push(Issue::new(kind, path, message));
    }

    fn mark(&self, key: &str) {
        self.used.borrow_mut().insert(key.to_string());
    }

    pub fn has(&self, key: &str) -> bool {
        self.table.get(key).is_some()
    }

    /// The keys present, in file order.
    pub fn keys(&self) -> Vec<String> {
        self.table.iter().map(|(k, _)| k.to_string()).collect()
    }

    pub fn item(&self, key: &str) -> Option<&'a Item> {
        self.mark(key);
        self.table.get(key)
    }

    fn value(&self, key: &str, expected: &str) -> Option<&'a Value> {
        let item = self.item(key)?;
        match item.as_value() {
            Some(v) => Some(v),
            None => {
                self.issue(
                    IssueKind::WrongType,
                    key,
                    format!("expected {expected}, found {}", type_name(item)),
                );
                None
            }
        }
    }

    /// A number (integers accepted).
    pub fn f64(&self, key: &str) -> Option<f64> {
        let v = self.value(key, "a number")?;
        match v {
            Value::Float(f) => {
                let x = *f.value();
                if x.is_finite() {
                    Some(x)
                } else {
                    self.issue(
                        IssueKind::OutOfRange,
                        key,
                        format!("must be a finite number (found {x})"),
                    );
                    None
                }
            }
            Value::Integer(i) => Some(*i.value() as f64),
            _ => {
                self.issue(
                    IssueKind::WrongType,
                    key,
                    format!(
                        "expected a number, found {}",
                        type_name(&Item::Value(v.clone()))
                    ),
                );
                None
            }
        }
    }

    pub fn f64_or(&self, key: &str, default: f64) -> f64 {
        self.f64(key).unwrap_or(default)
    }

    pub fn req_f64(&self, key: &str) -> Option<f64> {
        if !self.has(key) {
            self.missing(key, "a number");
            return None;
        }
        self.f64(key)
    }

    /// A non-negative whole number up to [`MAX_WHOLE`] (a float with an
    /// integral value is accepted).
    pub fn u64(&self, key: &str) -> Option<u64> {
        let v = self.value(key, "a whole number")?;
        let x = match v {
            Value::Integer(i) => {
                let x = *i.value();
                if x < 0 {
                    self.issue(
                        IssueKind::OutOfRange,
                        key,
                        format!("must be a whole number >= 0 (found {x})"),
                    );
                    return None;
                }
                if x as u64 > MAX_WHOLE {
                    self.issue(
                        IssueKind::OutOfRange,
                        key,
                        format!("must be at most {MAX_WHOLE} (found {x})"),
                    );
                    return None;
                }
                return Some(x as u64);
            }
            Value::Float(f) => *f.value(),
            _ => {
                self.issue(
                    IssueKind::WrongType,
                    key,
                    format!(
                        "expected a whole number, found {}",
                        type_name(&Item::Value(v.clone()))
                    ),
                );
                return None;
            }
        };
        let shown = if x.is_finite() && x.abs() >= 1e6 {
            format!("{x:e}")
        } else {
            format!("{x}")
        };
        let problem = if !x.is_finite() || x.fract() != 0.0 {
            format!("must be a whole number (found {shown})")
        } else if x < 0.0 {
            format!("must be a whole number >= 0 (found {shown})")
        } else if x > MAX_WHOLE as f64 {
            format!("must be at most {MAX_WHOLE} (found {shown})")
        } else {
            return Some(x as u64);
        };
        self.issue(IssueKind::OutOfRange, key, problem);
        None
    }

    pub fn u64_or(&self, key: &str, default: u64) -> u64 {
        self.u64(key).unwrap_or(default)
    }

    pub fn req_u64(&self, key: &str) -> Option<u64> {
        if !self.has(key) {
            self.missing(key, "a whole number");
            return None;
        }
        self.u64(key)
    }

    pub fn bool(&self, key: &str) -> Option<bool> {
        let v = self.value(key, "true or false")?;
        match v.as_bool() {
            Some(b) => Some(b),
            None => {
                self.issue(
                    IssueKind::WrongType,
                    key,
                    format!(
                        "expected true or false, found {}",
                        type_name(&Item::Value(v.clone()))
                    ),
                );
                None
            }
        }
    }

    pub fn bool_or(&self, key: &str, default: bool) -> bool {
        self.bool(key).unwrap_or(default)
    }

    pub fn string(&self, key: &str) -> Option<String> {
        let v = self.value(key, "a string")?;
        match v.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.issue(
                    IssueKind::WrongType,
                    key,
                    format!(
                        "expected a string, found {}",
                        type_name(&Item::Value(v.clone()))
                    ),
                );
                None
            }
        }
    }

    pub fn req_string(&self, key: &str) -> Option<String> {
        if !self.has(key) {
            self.missing(key, "a string");
            return None;
        }
        self.string(key)
    }

    /// One of a fixed set of words.
    pub fn choice<T: Copy>(&self, key: &str, options: &[(&str, T)]) -> Option<T> {
        let s = self.string(key)?;
        match options.iter().find(|(name, _)| *name == s) {
            Some((_, v)) => Some(*v),
            None => {
                let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
                let hint = suggest(&s, names.iter().copied())
                    .map(|m| format!(" (did you mean \"{m}\"?)"))
                    .unwrap_or_default();
                self.issue(
                    IssueKind::OutOfRange,
                    key,
                    format!("\"{s}\" is not allowed{hint}; allowed: {}", quoted(&names)),
                );
                None
            }
        }
    }

    pub fn choice_or<T: Copy>(&self, key: &str, options: &[(&str, T)], default: T) -> T {
        if self.has(key) {
            self.choice(key, options).unwrap_or(default)
        } else {
            default
        }
    }

    pub fn req_choice<T: Copy>(&self, key: &str, options: &[(&str, T)]) -> Option<T> {
        if !self.has(key) {
            let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
            self.missing(key, &format!("one of {}", quoted(&names)));
            return None;
        }
        self.choice(key, options)
    }

    fn array(&self, key: &str, what: &str) -> Option<&'a toml_edit::Array> {
        let v = self.value(key, what)?;
        match v.as_array() {
            Some(a) => Some(a),
            None => {
                self.issue(
                    IssueKind::WrongType,
                    key,
                    format!(
                        "expected {what}, found {}",
                        type_name(&Item::Value(v.clone()))
                    ),
                );
                None
            }
        }
    }

    pub fn f64_array(&self, key: &str) -> Option<Vec<f64>> {
        let a = self.array(key, "an array of numbers")?;
        let mut out = Vec::with_capacity(a.len());
        for (i, v) in a.iter().enumerate() {
            match v {
                Value::Integer(x) => out.push(*x.value() as f64),
                Value::Float(x) if x.value().is_finite() => out.push(*x.value()),
                _ => {
                    self.issue(
                        IssueKind::WrongType,
                        &format!("{key}[{i}]"),
                        "expected a finite number",
                    );
                    return None;
                }
            }
        }
        Some(out)
    }

    pub fn string_array(&self, key: &str) -> Option<Vec<String>> {
        let a = self.array(key, "an array of strings")?;
        let mut out = Vec::with_capacity(a.len());
        for (i, v) in a.iter().enumerate() {
            match v.as_str() {
                Some(s) => out.push(s.to_string()),
                None => {
                    self.issue(
                        IssueKind::WrongType,
                        &format!("{key}[{i}]"),
                        "expected a string",
                    );
                    return None;
                }
            }
        }
        Some(out)
    }

    /// A sub-table (standard or inline).
    pub fn table(&self, key: &str) -> Option<Reader<'a>> {
        let item = self.item(key)?;
        match item.as_table_like() {
            Some(t) => Some(Reader::new(self.key_path(key), t, self.issues)),
            None => {
                self.issue(
                    IssueKind::WrongType,
                    key,
                    format!("expected a table, found {}", type_name(item)),
                );
                None
            }
        }
    }

    pub fn req_table(&self, key: &str) -> Option<Reader<'a>> {
        if !self.has(key) {
            self.missing(key, "a table");
            return None;
        }
        self.table(key)
    }

    /// An array of tables (`[[key]]` or an array of inline tables).
    pub fn tables(&self, key: &str) -> Vec<Reader<'a>> {
        let Some(item) = self.item(key) else {
            return Vec::new();
        };
        if let Some(aot) = item.as_array_of_tables() {
            return aot
                .iter()
                .enumerate()
                .map(|(i, t)| Reader::new(format!("{}[{i}]", self.key_path(key)), t, self.issues))
                .collect();
        }
        if let Some(arr) = item.as_array() {
            let mut out = Vec::new();
            for (i, v) in arr.iter().enumerate() {
                match v.as_inline_table() {
                    Some(t) => out.push(Reader::new(
                        format!("{}[{i}]", self.key_path(key)),
                        t,
                        self.issues,
                    )),
                    None => self.issue(
                        IssueKind::WrongType,
                        &format!("{key}[{i}]"),
                        "expected a table",
                    ),
                }
            }
            return out;
        }
        self.issue(
            IssueKind::WrongType,
            key,
            format!("expected an array of tables, found {}", type_name(item)),
        );
        Vec::new()
    }

    pub fn missing(&self, key: &str, what: &str) {
        let table = if self.path.is_empty() {
            "the top level".to_string()
        } else {
            format!("[{}]", self.path)
        };
        self.issue(
            IssueKind::Missing,
            key,
            format!("required key `{key}` ({what}) is missing in {table}"),
        );
    }

    /// Report keys present but never read. `known` lists every key this
    /// table may hold (for suggestions, including ones not read on this
    /// path through the code).
    pub fn finish(&self, known: &[&str]) {
        let used = self.used.borrow();
        for (k, _) in self.table.iter() {
            if used.contains(k) {
                continue;
            }
            let mut candidates: Vec<&str> = known.to_vec();
            candidates.extend(used.iter().map(|s| s.as_str()));
            let hint = suggest(k, candidates.iter().copied())
                .map(|m| format!("; did you mean `{m}`?"))
                .unwrap_or_default();
            let allowed: BTreeSet<&str> = candidates.into_iter().collect();
            let allowed: Vec<&str> = allowed.into_iter().collect();
            let list = if allowed.is_empty() {
                String::new()
            } else {
                format!(" (allowed here: {})", allowed.join(", "))
            };
            self.issue(IssueKind::UnknownKey, k, format!("unknown key{hint}{list}"));
        }
    }
}

pub fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
