//! `hfsim sweep`: every design point of a scenario's `[sweep]`, then
//! results.csv, power curves and (with `--report`) report.html.

use super::CliResult;
use super::run::{RunArgs, RunCommand, run_command};
use super::search::Criterion;
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// What the power curves show: the power at the central values, or the
    /// assurance over the worlds of [uncertainty] (with its 95% interval).
    #[arg(long, value_enum, default_value_t = Criterion::Power)]
    pub criterion: Criterion,
}

pub fn sweep(a: SweepArgs) -> CliResult {
    run_command(a.run, RunCommand::Sweep(a.criterion))
}
