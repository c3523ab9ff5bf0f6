//! Printing. Results go to standard output through [`outln!`]: when the
//! reader has gone away (`hfsim model | head`, a closed pipe) the command
//! ends quietly (exit code 0) instead of panicking. Notes and progress go
//! to standard error through [`errln!`], which never fails a command.

use super::CliError;
use std::io::Write;

/// Print a line to standard output; a closed pipe ends the command
/// (`?` in a function returning `Result<_, CliError>`).
macro_rules! outln {
    () => {
        $crate::cli::console::write_out(format_args!(""))?
    };
    ($($arg:tt)*) => {
        $crate::cli::console::write_out(format_args!($($arg)*))?
    };
}
pub(crate) use outln;

/// Print a line to standard error (errors writing it are ignored).
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::cli::console::write_err(format_args!($($arg)*))
    };
}
pub(crate) use errln;

/// One line to standard output.
pub fn write_out(args: std::fmt::Arguments) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(stdout_error)
}

/// Flush standard output (at the end of a command).
pub fn flush_out() -> Result<(), CliError> {
    std::io::stdout().lock().flush().map_err(stdout_error)
}

/// A closed pipe ends the command quietly; anything else is an error.
pub fn stdout_error(e: std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        CliError::OutputClosed
    } else {
        CliError::Runtime(anyhow::anyhow!("cannot write to standard output: {e}"))
    }
}

/// One line to standard error.
pub fn write_err(args: std::fmt::Arguments) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
}

/// How a value is spelled in scenario files and JSON (`none`, `vka`,
/// `heparin`), never Rust's debug spelling (`None`, `Vka`).
pub fn word<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Null) => "none".into(),
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// An optional day: the number, or "none".
pub fn day(d: Option<f64>) -> String {
    d.map(|d| format!("{d:.1}"))
        .unwrap_or_else(|| "none".into())
}
