//! `weft delete`: remove a closed execution from the server's store.

use clap::Args;

use super::remote::{api_failure, print_json, ServerArg};
use super::CliResult;

/// Delete a closed execution: its run and the runs it continued as new from, with
/// their histories, search attributes, outcomes and request ids.
///
/// An open execution is refused (exit 5): terminate it first. Afterwards `weft
/// describe <id>` exits 4 and `weft list` no longer shows it; a new start may reuse the
/// workflow id. Nothing is archived: `weft history export` first to keep a copy (or
/// let `weft server --retention --archive-dir` remove old executions).
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft terminate order-17 --reason 'test order'\n  weft delete order-17\n  weft describe order-17     # exits 4: not found\n\nExit codes: 0 deleted, 4 no such execution, 5 the execution is still running, 1 other errors."
)]
pub struct DeleteArgs {
    /// Workflow id (its latest run) or run id.
    execution: String,
    #[command(flatten)]
    server: ServerArg,
    /// Print the workflow id and the run ids removed as JSON.
    #[arg(long)]
    json: bool,
}

pub fn delete(args: DeleteArgs) -> CliResult {
    let deleted = args
        .server
        .client()?
        .delete_execution(&args.execution)
        .map_err(api_failure)?;
    if args.json {
        return print_json(&deleted);
    }
    eprintln!(
        "deleted {} ({} run{}: {})",
        deleted.workflow_id,
        deleted.run_ids.len(),
        if deleted.run_ids.len() == 1 { "" } else { "s" },
        deleted.run_ids.join(", ")
    );
    Ok(())
}
