//! Reading input files: regular files only, each with a size cap.
//!
//! hfsim reads scenario files (and their `base` chain), checkpoints
//! (`state.json`), shard scenarios (`scenario.resolved.toml`) and
//! calibration files. None of these is ever a device, a pipe or a socket,
//! and none is large: reading `/dev/zero` or a FIFO would never finish, and
//! a huge file would exhaust memory. So the type is checked before the file
//! is opened, and at most the cap is read.

use std::io::Read;
use std::path::Path;
use thiserror::Error;

/// Largest scenario file (each file of a `base` chain): 1 MiB. The library's
/// largest scenario is about 15 kB; a sweep axis with 10,000 values is about
/// 70 kB.
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;
/// Largest checkpoint (`state.json`) or calibration file: 256 MiB.
pub const MAX_STATE_BYTES: u64 = 256 << 20;
/// Largest `--set KEY=VALUE` argument: 64 KiB.
pub const MAX_OVERRIDE_BYTES: usize = 64 << 10;

/// Why an input file could not be read.
#[derive(Debug, Error)]
pub enum InputError {
    #[error("file not found")]
    NotFound,
    #[error("permission denied")]
    PermissionDenied,
    #[error("is a directory, not a {what}")]
    Directory { what: &'static str },
    #[error(
        "is not a regular file (a device, pipe or socket): a {what} is read from a regular file only"
    )]
    NotRegular { what: &'static str },
    #[error("is {size} bytes, more than a {what} may have ({cap} bytes)")]
    TooLarge {
        what: &'static str,
        size: u64,
        cap: u64,
    },
    #[error(
        "not UTF-8 text: invalid byte 0x{byte:02x} at line {line}, column {column} (byte {offset})"
    )]
    NotUtf8 {
        byte: u8,
        line: usize,
        column: usize,
        offset: usize,
    },
    #[error("cannot read: {0}")]
    Io(std::io::Error),
}

fn io_error(e: std::io::Error, what: &'static str) -> InputError {
    match e.kind() {
        std::io::ErrorKind::NotFound => InputError::NotFound,
        std::io::ErrorKind::PermissionDenied => InputError::PermissionDenied,
        std::io::ErrorKind::IsADirectory => InputError::Directory { what },
        _ => InputError::Io(e),
    }
}

/// Read a regular file of at most `cap` bytes as UTF-8 text. `what` names
/// the kind of file in messages ("scenario file", "checkpoint").
pub fn read_text(path: &Path, cap: u64, what: &'static str) -> Result<String, InputError> {
    let bytes = read_bytes(path, cap, what)?;
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let offset = e.utf8_error().valid_up_to();
        let before = &bytes[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map(|i| i + 1)
            .unwrap_or(0);
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        InputError::NotUtf8 {
            byte: bytes[offset],
            line,
            column,
            offset,
        }
    })
}

/// Read a regular file of at most `cap` bytes.
pub fn read_bytes(path: &Path, cap: u64, what: &'static str) -> Result<Vec<u8>, InputError> {
    // The type first: opening a FIFO blocks until someone writes to it.
    let meta = std::fs::metadata(path).map_err(|e| io_error(e, what))?;
    if meta.is_dir() {
        return Err(InputError::Directory { what });
    }
    if !meta.is_file() {
        return Err(InputError::NotRegular { what });
    }
    if meta.len() > cap {
        return Err(InputError::TooLarge {
            what,
            size: meta.len(),
            cap,
        });
    }
    let file = std::fs::File::open(path).map_err(|e| io_error(e, what))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // at most one byte beyond the cap: a file that grew is refused too
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(e, what))?;
    if bytes.len() as u64 > cap {
        return Err(InputError::TooLarge {
            what,
            size: bytes.len() as u64,
            cap,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("hfsim-input-{}-{name}", std::process::id()))
    }

    #[test]
    fn devices_directories_and_large_files_are_refused_before_reading() {
        if Path::new("/dev/zero").exists() {
            assert!(matches!(
                read_text(Path::new("/dev/zero"), 100, "scenario file"),
                Err(InputError::NotRegular { .. })
            ));
        }
        assert!(matches!(
            read_text(&std::env::temp_dir(), 100, "scenario file"),
            Err(InputError::Directory { .. })
        ));
        let p = tmp("big");
        std::fs::write(&p, vec![b'a'; 101]).unwrap();
        let e = read_text(&p, 100, "scenario file").unwrap_err();
        assert_eq!(
            e.to_string(),
            "is 101 bytes, more than a scenario file may have (100 bytes)"
        );
        assert_eq!(read_text(&p, 101, "scenario file").unwrap().len(), 101);
        assert!(matches!(
            read_text(&tmp("missing"), 100, "x"),
            Err(InputError::NotFound)
        ));
        let _ = std::fs::remove_file(&p);
    }

    #[test]
    fn invalid_utf8_is_located_by_line_column_and_byte() {
        let p = tmp("utf8");
        std::fs::write(&p, b"[run]\nseed = 1 # \xc3\xa9 ok\nname = \"a\xffb\"\n").unwrap();
        let e = read_text(&p, 1000, "scenario file").unwrap_err();
        assert_eq!(
            e.to_string(),
            "not UTF-8 text: invalid byte 0xff at line 3, column 10 (byte 32)"
        );
        let _ = std::fs::remove_file(&p);
    }
}
