//! Writing output files: atomically (temporary file, then rename), with
//! messages that name the path.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Write `bytes` to `path` atomically: an interrupted run never leaves a
/// half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    // Never replace a directory, device or pipe by renaming over it.
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        anyhow::bail!(
            "cannot write {}: it exists and is not a regular file",
            path.display()
        );
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let tmp: PathBuf = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// JSON with a trailing newline.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut s = serde_json::to_string_pretty(value).context("serializing JSON")?;
    s.push('\n');
    write_atomic(path, s.as_bytes())
}

/// Create the output folder (and parents), naming it on failure.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    if let Ok(link) = std::fs::read_link(dir)
        && !dir.exists()
    {
        anyhow::bail!(
            "cannot use {} as the output folder: it is a symbolic link to {}, which does not exist (create that folder, or remove the link)",
            dir.display(),
            link.display()
        );
    }
    if dir.exists() && !dir.is_dir() {
        anyhow::bail!(
            "cannot use {} as the output folder: it is a file",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create output folder {}", dir.display()))
}

/// CSV into memory, then written atomically.
pub fn csv_bytes(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for r in rows {
        w.write_record(&r)?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))
}

/// A float for CSV: shortest round-trip form; empty for None.
pub fn fmt_opt(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v}"),
        Some(v) => format!("{v}"),
        None => String::new(),
    }
}
