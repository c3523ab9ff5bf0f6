//! `hfsim sweep`: every design point of a scenario's `[sweep]`, then
//! results.csv, power curves and (with `--report`) report.html.

use super::CliResult;
use super::run::{RunArgs, RunCommand, run_command};
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub run: RunArgs,
}

pub fn sweep(a: SweepArgs) -> CliResult {
    run_command(a.run, RunCommand::Sweep)
}
