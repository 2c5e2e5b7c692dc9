//! `weft replay`: check that workflow code reproduces a recorded history.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::{exit, CliResult, Failure};
use crate::engine::{Engine, EngineConfig};
use crate::history::export;
use crate::replay::{replay as replay_history, ReplayError};

/// Replay a history file against a workflow component; no activity runs.
///
/// Exits 0 when the component makes the recorded decisions, 3 at the first
/// divergence (with the event, both commands and the source line that issued them).
#[derive(Args)]
#[command(after_help = "Example:\n  weft replay --module hello.wasm hello.history.json")]
pub struct ReplayArgs {
    /// The workflow component to check.
    #[arg(long)]
    module: PathBuf,
    /// A history file written by `weft history export`.
    history: PathBuf,
}

pub async fn replay(args: ReplayArgs) -> CliResult {
    let bytes = std::fs::read(&args.module).map_err(|e| {
        Failure::new(
            exit::NOT_FOUND,
            format!("cannot read {}: {e}", args.module.display()),
        )
    })?;
    let text = std::fs::read_to_string(&args.history).map_err(|e| {
        Failure::new(
            exit::NOT_FOUND,
            format!("cannot read {}: {e}", args.history.display()),
        )
    })?;
    let (workflow_id, _, events) = export::from_json(&text)
        .map_err(|e| Failure::new(exit::USAGE, format!("{}: {e}", args.history.display())))?;
    let engine = Engine::new(EngineConfig::default())?;
    let module = engine
        .load(&bytes)
        .map_err(|e| Failure::new(exit::REJECTED, format!("{}: {e}", args.module.display())))?;
    let started = Instant::now();
    match replay_history(&engine, &module, &events) {
        Ok(stats) => {
            eprintln!(
                "replay of {workflow_id} matches: {} events, {} tasks, {} commands in {:.1} ms",
                stats.events,
                stats.tasks,
                stats.commands,
                started.elapsed().as_secs_f64() * 1e3
            );
            Ok(())
        }
        Err(e @ (ReplayError::Nondeterminism { .. } | ReplayError::TaskFailed { .. })) => {
            Err(Failure::new(
                exit::WORKFLOW_FAILED,
                format!("replay of {workflow_id} diverged\n{e}"),
            ))
        }
        Err(e) => Err(Failure::new(exit::ERROR, e)),
    }
}
