//! `weft pause` and `weft unpause`: stop a running execution's workflow tasks and let
//! them go again.
//!
//! Both print `<verb> <workflow id> (run <run id>)` on stderr, or the run as JSON on
//! stdout with `--json`. Exit codes: 4 no such execution, 5 refused (closed, already
//! paused, not paused, a blank reason).

use clap::Args;

use super::remote::{api_failure, print_json, ServerArg};
use super::CliResult;

/// Why and who asks, where, and how to answer: shared by the verbs that steer a run
/// (`pause`, `unpause`, `activity ...`).
#[derive(Args)]
pub struct NoteArgs {
    /// Why, recorded in the history and shown by `weft history show` (default: "paused
    /// by a client", "unpaused by a client", or "asked by a client").
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Who asks, recorded with the reason (default: `cli`).
    #[arg(long, value_name = "NAME", default_value = "cli")]
    pub identity: String,
    #[command(flatten)]
    pub server: ServerArg,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Which execution: shared by `pause` and `unpause`.
#[derive(Args)]
pub struct SteerArgs {
    /// Workflow id (its open run) or run id.
    execution: String,
    #[command(flatten)]
    note: NoteArgs,
}

impl SteerArgs {
    fn run(&self, unpause: bool) -> CliResult {
        let note = &self.note;
        let client = note.server.client()?;
        let (id, reason, identity) = (
            &self.execution,
            note.reason.as_deref(),
            Some(&*note.identity),
        );
        let run = match unpause {
            false => client.pause(id, reason, identity),
            true => client.unpause(id, reason, identity),
        }
        .map_err(api_failure)?;
        if note.json {
            return print_json(&run);
        }
        let verb = if unpause { "unpaused" } else { "paused" };
        eprintln!("{verb} {} (run {})", run.workflow_id, run.run_id);
        Ok(())
    }
}

/// Pause a running execution: no workflow task runs until `weft unpause`.
///
/// Signals, timers that come due, activity and child results that arrive meanwhile are
/// recorded and delivered in the first task after unpause; an update's caller waits
/// until then (or its own timeout); queries are answered on the state of the last task.
/// Activities already running go on. Terminate closes a paused run at once; a
/// cancellation is delivered at unpause. The pause survives a restart of the server.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft pause order-17 --reason 'payments API is down'\n  weft describe order-17        # status: running, paused\n  weft unpause order-17 --reason 'payments API is back'\n\nExit codes: 0 paused, 4 no such execution, 5 refused (closed, already paused, blank reason), 1 other errors."
)]
pub struct PauseArgs {
    #[command(flatten)]
    steer: SteerArgs,
}

pub fn pause(args: PauseArgs) -> CliResult {
    args.steer.run(false)
}

/// Unpause a paused execution: its next task delivers what arrived while paused.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft unpause order-17 --reason 'payments API is back'\n  weft result order-17\n\nExit codes: 0 unpaused, 4 no such execution, 5 refused (closed, not paused, blank reason), 1 other errors."
)]
pub struct UnpauseArgs {
    #[command(flatten)]
    steer: SteerArgs,
}

pub fn unpause(args: UnpauseArgs) -> CliResult {
    args.steer.run(true)
}
