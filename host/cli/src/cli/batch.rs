//! `weft batch`: one operation applied to every execution a list query finds, as a
//! durable job on the server; and `list`, `describe`, `stop` for those jobs.

use clap::{Args, Subcommand};

use super::human::{table, truncate, utc};
use super::remote::{api_failure, print_json, ServerArg};
use super::start::json_arg;
use super::CliResult;
use crate::client::Client;
use weft_api::batch_types::{BatchBody, BatchInfo};

/// Batch jobs: act on every execution a list query finds.
#[derive(Subcommand)]
pub enum BatchCommand {
    /// Send a signal to every execution the query finds.
    Signal(SignalBatchArgs),
    /// Ask every execution the query finds to cancel.
    Cancel(OperationArgs),
    /// Terminate every execution the query finds.
    Terminate(OperationArgs),
    /// Reset every execution the query finds (see `weft reset`).
    Reset(ResetBatchArgs),
    /// Delete every closed execution the query finds (see `weft delete`).
    Delete(OperationArgs),
    /// Pause every running execution the query finds (see `weft pause`).
    Pause(OperationArgs),
    /// Unpause every paused execution the query finds.
    Unpause(OperationArgs),
    /// List the server's batches, newest first.
    List(ListArgs),
    /// Show a batch: its operation, state, progress and failures.
    Describe(IdArgs),
    /// Stop a running batch: it acts on no more executions.
    Stop(StopArgs),
}

/// What every batch operation takes.
#[derive(Args)]
pub struct OperationArgs {
    /// A list filter, as `weft list --query` takes it: every execution it finds now
    /// is acted on, once.
    #[arg(long, value_name = "FILTER")]
    query: String,
    /// Why: recorded with every operation (the batch's id is added).
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// At most this many executions a second (default: as fast as they go).
    #[arg(long, value_name = "N")]
    rps: Option<f64>,
    /// The batch's id (default: `batch-<random>`).
    #[arg(long, value_parser = super::name_arg::<weft_model::names::BatchId>)]
    id: Option<String>,
    /// Wait until the batch has ended, showing its progress.
    #[arg(long)]
    wait: bool,
    #[command(flatten)]
    server: ServerArg,
    /// Print the batch as JSON (`id`, `state`, `total`, `done`, `failed`, …).
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
#[command(
    after_help = "Example:\n  weft batch signal --query \"WorkflowType = 'order'\" --name recheck --input '{\"force\": true}' --reason 'prices changed'\n\nExit codes: 0 submitted (or, with --wait, ended), 2 --input is not JSON, 5 refused (a bad query, signal name or rate), 1 other errors."
)]
pub struct SignalBatchArgs {
    /// The signal's name.
    #[arg(long)]
    name: String,
    /// The signal's input as JSON.
    #[arg(long, default_value = "null")]
    input: String,
    #[command(flatten)]
    op: OperationArgs,
}

#[derive(Args)]
#[command(
    after_help = "Example:\n  weft batch terminate --query \"WorkflowType = 'order' AND ExecutionStatus = 'Running'\" --reason 'bad deploy' --rps 20\n  weft batch describe batch-4f2a9c01d2e3 --json\n\nExit codes: 0 submitted (or, with --wait, ended), 5 refused (a bad query or rate), 1 other errors."
)]
pub struct ResetBatchArgs {
    /// The workflow task to go on from: `first-task`, `last-task` or an event index.
    #[arg(long, value_name = "POINT")]
    to: String,
    /// Which signals and updates after the task are delivered again.
    #[arg(long, value_name = "WHAT", default_value = "all",
          value_parser = ["all", "signals", "updates", "none"])]
    reapply: String,
    #[command(flatten)]
    op: OperationArgs,
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    server: ServerArg,
    /// Print the batches as a JSON array.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
#[command(
    after_help = "Example:\n  weft batch describe batch-4f2a9c01d2e3\n\nExit codes: 0 shown, 4 no such batch, 1 other errors."
)]
pub struct IdArgs {
    /// The batch's id.
    id: String,
    #[command(flatten)]
    server: ServerArg,
    /// Print the batch as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
#[command(
    after_help = "Example:\n  weft batch stop batch-4f2a9c01d2e3 --reason 'wrong query'\n\nExit codes: 0 stopped (or already ended), 4 no such batch, 1 other errors."
)]
pub struct StopArgs {
    /// The batch's id.
    id: String,
    /// Why (default: "stopped by a client").
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    #[command(flatten)]
    server: ServerArg,
    /// Print the batch as JSON.
    #[arg(long)]
    json: bool,
}

pub fn batch(command: BatchCommand) -> CliResult {
    match command {
        BatchCommand::Signal(a) => {
            let input = json_arg("--input", &a.input)?;
            submit(&a.op, "signal", |b| {
                b.signal = Some(a.name.clone());
                b.input = Some(input.clone());
            })
        }
        BatchCommand::Cancel(op) => submit(&op, "cancel", |_| {}),
        BatchCommand::Terminate(op) => submit(&op, "terminate", |_| {}),
        BatchCommand::Delete(op) => submit(&op, "delete", |_| {}),
        BatchCommand::Pause(op) => submit(&op, "pause", |_| {}),
        BatchCommand::Unpause(op) => submit(&op, "unpause", |_| {}),
        BatchCommand::Reset(a) => submit(&a.op, "reset", |b| {
            b.reset_to = Some(a.to.clone());
            b.reapply = Some(a.reapply.clone());
        }),
        BatchCommand::List(a) => {
            let all = a.server.client()?.batches().map_err(api_failure)?;
            if a.json {
                return print_json(&all);
            }
            print!("{}", list_table(&all));
            Ok(())
        }
        BatchCommand::Describe(a) => {
            let batch = a
                .server
                .client()?
                .describe_batch(&a.id)
                .map_err(api_failure)?;
            show(&batch, a.json)
        }
        BatchCommand::Stop(a) => {
            let client = a.server.client()?;
            let batch = client
                .stop_batch(&a.id, a.reason.as_deref())
                .map_err(api_failure)?;
            show(&batch, a.json)
        }
    }
}

fn submit(op: &OperationArgs, operation: &str, fill: impl FnOnce(&mut BatchBody)) -> CliResult {
    let mut body = BatchBody {
        id: op.id.clone(),
        operation: operation.to_string(),
        query: op.query.clone(),
        reason: op.reason.clone(),
        rps: op.rps,
        ..BatchBody::default()
    };
    fill(&mut body);
    let client = op.server.client()?;
    let mut batch = client.submit_batch(&body).map_err(api_failure)?;
    eprintln!(
        "batch {}: {} {} execution(s)",
        batch.id, batch.operation, batch.total
    );
    if op.wait {
        batch = wait(&client, batch)?;
    }
    if op.json {
        return print_json(&batch);
    }
    println!("{}", batch.id);
    Ok(())
}

/// Poll until the batch has ended, showing its progress when it changes.
fn wait(client: &Client, mut batch: BatchInfo) -> Result<BatchInfo, super::Failure> {
    let mut shown = None;
    while batch.state == "running" {
        let progress = (batch.done, batch.failed);
        if shown != Some(progress) {
            eprintln!(
                "  {} done, {} failed of {}",
                batch.done, batch.failed, batch.total
            );
            shown = Some(progress);
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        batch = client.describe_batch(&batch.id).map_err(api_failure)?;
    }
    eprintln!(
        "batch {} {}: {} done, {} failed of {}",
        batch.id, batch.state, batch.done, batch.failed, batch.total
    );
    Ok(batch)
}

fn show(batch: &BatchInfo, json: bool) -> CliResult {
    if json {
        return print_json(batch);
    }
    let mut out = String::new();
    let mut line = |k: &str, v: String| out.push_str(&format!("{k:<11}{v}\n"));
    line("batch", batch.id.clone());
    line("operation", batch.operation.clone());
    line("state", batch.state.clone());
    line("query", batch.query.clone());
    line("reason", batch.reason.clone());
    if let Some(rps) = batch.rps {
        line("rate", format!("{rps} a second"));
    }
    line(
        "progress",
        format!(
            "{} done, {} failed of {}",
            batch.done, batch.failed, batch.total
        ),
    );
    line("created", utc(batch.created_ms));
    if let Some(t) = batch.finished_ms {
        line("ended", utc(t));
    }
    if let Some(why) = &batch.stop_reason {
        line("why ended", why.clone());
    }
    for f in &batch.failures {
        line(
            "failed",
            format!("{}: {}", f.workflow_id, truncate(&f.message, 100)),
        );
    }
    print!("{out}");
    Ok(())
}

fn list_table(all: &[BatchInfo]) -> String {
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|b| {
            vec![
                b.id.clone(),
                b.operation.clone(),
                b.state.clone(),
                format!("{}/{}", b.done, b.total),
                b.failed.to_string(),
                utc(b.created_ms),
            ]
        })
        .collect();
    table(
        &["ID", "OPERATION", "STATE", "DONE", "FAILED", "CREATED"],
        &rows,
    )
}
