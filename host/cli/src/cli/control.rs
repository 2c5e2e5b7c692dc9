//! Stopping an execution: `cancel` (asks the workflow, which decides how to end) and
//! `terminate` (closes the run at once).
//!
//! Both print `<verb> <workflow id> (run <run id>)` on stderr, or the run as JSON on
//! stdout with `--json`. Exit codes as for `signal`: 4 no such execution, 5 the
//! execution is closed (or the reason is refused).

use clap::Args;

use super::remote::{api_failure, print_json, ServerArg};
use super::CliResult;
use weft_api::types::RunRef;

/// Which execution, and why: shared by `cancel` and `terminate`.
#[derive(Args)]
pub struct StopArgs {
    /// Workflow id (its open run) or run id.
    execution: String,
    /// Why, recorded in the history and shown by `weft describe` (default: "cancelled
    /// by a client" or "terminated by a client").
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// Apply at most once: asked again with the same request id, even after the run
    /// closed, the server answers as it did first (a termination never reaches a later
    /// run of the id). Default: a fresh id, which the client reuses when it retries:
    /// `--request-id stop-order-17`.
    #[arg(long, value_name = "ID", value_parser = super::request_id_arg)]
    request_id: Option<String>,
    #[command(flatten)]
    server: ServerArg,
    /// Print the run the request went to as JSON.
    #[arg(long)]
    json: bool,
}

impl StopArgs {
    fn report(&self, what: &str, run: &RunRef) -> CliResult {
        if self.json {
            return print_json(run);
        }
        eprintln!("{what} {} (run {})", run.workflow_id, run.run_id);
        Ok(())
    }
}

/// Ask a running execution to cancel; returns once the request is durable.
///
/// The workflow receives the request, cancels what it waits for and decides how to
/// end (it may clean up first); `weft result <id>` waits for that, and reports a
/// cancelled execution with exit 3. Asking again is accepted and changes nothing.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft cancel order-17 --reason 'customer withdrew the order'\n  weft result order-17\n\nExit codes: 0 requested, 4 no such execution, 5 the execution is closed or the reason is blank, 1 other errors."
)]
pub struct CancelArgs {
    #[command(flatten)]
    stop: StopArgs,
}

pub fn cancel(args: CancelArgs) -> CliResult {
    let s = &args.stop;
    let run = s
        .server
        .client()?
        .cancel_with_request(&s.execution, s.reason.as_deref(), s.request_id.as_deref())
        .map_err(api_failure)?;
    s.report("cancel requested for", &run)
}

/// Close a running execution at once as terminated; returns once it is closed.
///
/// No workflow code runs: nothing is cleaned up, running activities are told to stop.
/// Prefer `weft cancel` when the workflow should decide. The reason is the run's
/// outcome, shown by `weft describe` and `weft result`.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft terminate order-17 --reason 'stuck on a bad deploy'\n  weft describe order-17\n\nExit codes: 0 terminated, 4 no such execution, 5 the execution is closed or the reason is blank, 1 other errors."
)]
pub struct TerminateArgs {
    #[command(flatten)]
    stop: StopArgs,
}

pub fn terminate(args: TerminateArgs) -> CliResult {
    let s = &args.stop;
    let run = s
        .server
        .client()?
        .terminate_with_request(&s.execution, s.reason.as_deref(), s.request_id.as_deref())
        .map_err(api_failure)?;
    s.report("terminated", &run)
}
