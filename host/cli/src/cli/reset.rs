//! `weft reset`: an execution goes on from one of its workflow tasks in a new run.

use clap::Args;

use super::remote::{api_failure, print_json, ServerArg};
use super::CliResult;

/// Reset an execution to one of its workflow tasks: a new run goes on from there.
///
/// The new run (same workflow id, a new run id) gets the events before the task,
/// copied, and runs the task again on the newest deployed module of its type, so a run
/// that a bug broke is repaired by deploying the fix and resetting it to a task before
/// the bug. Signals and updates recorded after the task are delivered again
/// (`--reapply`); activities pending at the task run again. An open run is closed as
/// terminated; a closed one (failed, completed, …) keeps its outcome. Both runs record
/// the link, shown by `weft describe` and `weft history show`. The reset is refused
/// when the history up to the task does not replay on the module (the divergence is
/// printed).
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft deploy order-fixed.component.wasm\n  weft reset order-17 --to last-task --reason 'fixed the tax rounding bug'\n  weft reset order-18 --to 5 --reapply none --reason 'replay from the payment step'\n  weft describe order-17\n\nExit codes: 0 reset, 4 no such execution, 5 refused (a bad point or reason, not the latest run, or the history does not replay on the module), 1 other errors."
)]
pub struct ResetArgs {
    /// Workflow id (its latest run) or the run id of its latest run.
    execution: String,
    /// The workflow task to go on from: `first-task`, `last-task`, or the index of a
    /// `task-started` event as `weft history show` numbers them.
    #[arg(long, value_name = "POINT")]
    to: String,
    /// Why: recorded in both runs' histories.
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// Which signals and updates recorded after the task the new run receives again:
    /// `all` (signals and updates), `signals`, `updates` or `none`.
    #[arg(long, value_name = "WHAT", default_value = "all",
          value_parser = ["all", "signals", "updates", "none"])]
    reapply: String,
    #[command(flatten)]
    server: ServerArg,
    /// Print what the reset did as JSON (`workflow_id`, `from_run_id`, `run_id`,
    /// `event_index`).
    #[arg(long)]
    json: bool,
}

pub fn reset(args: ResetArgs) -> CliResult {
    let done = args
        .server
        .client()?
        .reset(&args.execution, &args.to, &args.reason, Some(&args.reapply))
        .map_err(api_failure)?;
    if args.json {
        return print_json(&done);
    }
    eprintln!(
        "reset {} from run {} at event {}: new run {}",
        done.workflow_id, done.from_run_id, done.event_index, done.run_id
    );
    Ok(())
}
