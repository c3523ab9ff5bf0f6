//! The `hfsim` binary: parse arguments, run, map errors to exit codes
//! (see `hfsim::cli`).

fn main() {
    std::process::exit(hfsim::cli::main_entry());
}
