//! One command at a time per output folder.
//!
//! A command that writes an output folder (`run`, `sweep`, `merge`,
//! `search`, `calibrate`) first creates `<folder>/.hfsim.lock` (exclusively)
//! naming its process id, host, start time and command, and removes it when
//! it ends. A second command on the same folder is refused with the holder
//! named. A lock left by a process that no longer runs (killed with
//! `kill -9`, a second Ctrl-C) on the same host is taken over with a note;
//! whether a process runs is read from `/proc` (Linux); where that cannot be
//! told (another host, or no `/proc`) the lock is respected.

use super::CliError;
use super::console::errln;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The lock file's name in the output folder.
pub const LOCK_FILE: &str = ".hfsim.lock";

/// Who holds a folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    pub started_utc: String,
    pub command: String,
}

impl Holder {
    fn this_process() -> Holder {
        Holder {
            pid: std::process::id(),
            host: host_name(),
            started_utc: super::execute::now_utc(),
            command: std::env::args().collect::<Vec<_>>().join(" "),
        }
    }

    fn describe(&self) -> String {
        format!(
            "process {} on host {} (started {}: {})",
            self.pid, self.host, self.started_utc, self.command
        )
    }
}

/// The lock of an output folder; released when dropped.
#[derive(Debug)]
pub struct OutputLock {
    path: PathBuf,
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The host name (from the kernel, /etc/hostname or $HOSTNAME).
pub fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| {
            crate::input::read_text(Path::new(p), 4096, "host name file")
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        })
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

/// Whether a process of this host is running: `Some(false)` only when that
/// is known.
fn running(pid: u32) -> Option<bool> {
    if !Path::new("/proc/self").exists() {
        return None;
    }
    Some(Path::new("/proc").join(pid.to_string()).exists())
}

/// Lock `dir` (which exists) for this process.
pub fn lock(dir: &Path) -> Result<OutputLock, CliError> {
    let path = dir.join(LOCK_FILE);
    let me = Holder::this_process();
    for attempt in 0..2 {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                let text = serde_json::to_string_pretty(&me).unwrap_or_default();
                f.write_all(text.as_bytes())
                    .and_then(|_| f.write_all(b"\n"))
                    .map_err(|e| {
                        CliError::Runtime(anyhow::anyhow!("cannot write {}: {e}", path.display()))
                    })?;
                return Ok(OutputLock { path });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt == 0 => {
                let holder = crate::input::read_text(&path, 64 << 10, "lock file")
                    .ok()
                    .and_then(|t| serde_json::from_str::<Holder>(&t).ok());
                let Some(holder) = holder else {
                    return Err(refuse(
                        dir,
                        &path,
                        "an unknown process (the lock file is not readable)",
                    ));
                };
                let stale = holder.host == me.host
                    && (holder.pid == me.pid || running(holder.pid) == Some(false));
                if !stale {
                    return Err(refuse(dir, &path, &holder.describe()));
                }
                errln!(
                    "note: {} holds a lock on {} but is no longer running; taking it over",
                    holder.describe(),
                    dir.display()
                );
                let _ = std::fs::remove_file(&path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(refuse(
                    dir,
                    &path,
                    "another process (it took the lock just now)",
                ));
            }
            Err(e) => {
                return Err(CliError::Runtime(anyhow::anyhow!(
                    "cannot create the lock file {}: {e}",
                    path.display()
                )));
            }
        }
    }
    Err(refuse(dir, &path, "another process"))
}

fn refuse(dir: &Path, path: &Path, who: &str) -> CliError {
    CliError::Runtime(anyhow::anyhow!(
        "{} is in use by {who}: wait for it to finish or write elsewhere with --out (if it is not running any more, delete {})",
        dir.display(),
        path.display()
    ))
}
