//! `hfsim sweep`: every design point of a scenario's `[sweep]`, then
//! sweep.csv, power curves and (with `--report`) report.html.

use super::output::write_atomic;
use super::run::{RunArgs, execute, load_points};
use super::{CliError, CliResult};
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub run: RunArgs,
}

pub fn sweep(a: SweepArgs) -> CliResult {
    let args = a.run;
    super::present::check_args(&args)?;
    let (loaded, points) = load_points(
        &args.scenario,
        &args.set,
        args.seed,
        args.replicates,
        args.force,
    )?;
    if loaded.spec.sweep.is_none() {
        return Err(CliError::Usage(format!(
            "{}: the scenario has no [sweep]: `hfsim sweep` runs the design points of a sweep (add a [sweep.axes] table, see docs/scenarios.md), `hfsim run` runs one design",
            args.scenario.display()
        )));
    }
    let ex = execute(&args, loaded, points)?;
    write_atomic(
        &ex.out.join("sweep.csv"),
        &super::present::sweep_csv(&ex.summary, &ex.points, &ex.state)?,
    )?;
    super::present::finish(&args, &ex, &["sweep.csv"])
}
