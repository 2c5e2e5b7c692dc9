//! Talking to a running execution: `signal`, `query`, `update`.
//!
//! `query` and `update` print the returned JSON value alone on stdout (the whole
//! answer with `--json`). A failed query, a rejected update and an update whose handler
//! returned an error exit 3, like a failed workflow.

use clap::Args;

use super::remote::{exit_code, print_json, ServerArg};
use super::start::json_arg;
use super::{exit, CliResult, Failure};
use crate::client::ClientError;
use weft_api::types::{ErrorCode, UpdateBody};

/// A client error as the command's failure; a failed query or update exits 3.
pub(super) fn message_failure(e: ClientError) -> Failure {
    let code = match e.code() {
        Some(ErrorCode::QueryFailed | ErrorCode::UpdateRejected | ErrorCode::UpdateFailed) => {
            exit::WORKFLOW_FAILED
        }
        _ => exit_code(&e),
    };
    Failure::new(code, e)
}

/// Which execution, which handler, what input: shared by `signal`, `query`, `update`.
#[derive(Args)]
pub struct MessageArgs {
    /// Workflow id (for a query, its latest run; otherwise its open run) or run id.
    execution: String,
    /// The name of the workflow's handler (signal, query or update).
    name: String,
    /// The input as JSON.
    #[arg(long, default_value = "null", value_name = "JSON")]
    input: String,
    #[command(flatten)]
    server: ServerArg,
    /// Print the whole answer as JSON.
    #[arg(long)]
    json: bool,
}

impl MessageArgs {
    fn input(&self) -> Result<serde_json::Value, Failure> {
        json_arg("--input", &self.input)
    }
}

/// Send a signal to a running execution; returns once it is durable in its history.
///
/// The workflow's signal handler (or signal channel) of that name receives the input;
/// a signal sent before the workflow handles its name waits, in order, until it does.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft signal account-1 deposit --input '{\"amount\": 50}'\n\nExit codes: 0 delivered, 2 --input is not JSON, 4 no such execution, 5 the execution is closed, 1 other errors."
)]
pub struct SignalArgs {
    #[command(flatten)]
    message: MessageArgs,
    /// Deliver at most once: sent again with the same request id, the signal is not
    /// delivered again. Default: a fresh id, which the client reuses when it retries:
    /// `--request-id deposit-0042`.
    #[arg(long, value_name = "ID", value_parser = super::request_id_arg)]
    request_id: Option<String>,
}

pub fn signal(args: SignalArgs) -> CliResult {
    let m = &args.message;
    let input = m.input()?;
    let answer = m
        .server
        .client()?
        .signal_with_request(&m.execution, &m.name, input, args.request_id.as_deref())
        .map_err(message_failure)?;
    if m.json {
        return print_json(&answer);
    }
    eprintln!("signalled {} (run {})", answer.workflow_id, answer.run_id);
    Ok(())
}

/// Ask a running or closed execution a query; prints the answer as JSON.
///
/// A query reads the workflow's state and is never recorded. A closed execution (or
/// one whose instance was evicted) is answered by replaying its history.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft query account-1 balance\n\nExit codes: 0 answered, 2 --input is not JSON, 3 the query failed (unknown name, the handler failed), 4 no such execution, 1 other errors."
)]
pub struct QueryArgs {
    #[command(flatten)]
    message: MessageArgs,
}

pub fn query(args: QueryArgs) -> CliResult {
    let m = &args.message;
    let input = m.input()?;
    let result = m
        .server
        .client()?
        .query(&m.execution, &m.name, input)
        .map_err(message_failure)?;
    if m.json {
        return print_json(&serde_json::json!({ "result": result }));
    }
    println!("{}", serde_json::to_string(&result)?);
    Ok(())
}

/// Send an update to a running execution and wait for it; prints its result as JSON.
///
/// The workflow's validator may reject it (nothing is recorded; exit 3). An accepted
/// update runs its handler as part of the workflow. Sending the same `--update-id`
/// again answers the first outcome without running the handler twice. An update that
/// has not reached the stage asked for within `--timeout` is a failure (exit 1) that
/// changes nothing: the update goes on, and asking again with its id answers it.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft update account-1 withdraw --input '{\"amount\": 30}'\n  weft update account-1 withdraw --input '{\"amount\": 30}' --update-id w-7 --wait accepted\n  weft update account-1 withdraw --update-id w-7 --timeout 5s\n\nExit codes: 0 accepted/completed, 2 --input is not JSON, 3 rejected or the handler failed, 4 no such execution, 5 the execution is closed, 1 not at the stage within --timeout, or other errors."
)]
pub struct UpdateArgs {
    #[command(flatten)]
    message: MessageArgs,
    /// Deduplicates: the same id again answers the first outcome (default: a fresh id).
    #[arg(long, value_name = "ID")]
    update_id: Option<String>,
    /// Answer once the update is accepted, or once its handler has returned.
    #[arg(long, default_value = "completed", value_parser = ["accepted", "completed"])]
    wait: String,
    /// How long to wait for that stage, whole seconds up to 300 (`5s`, `2m`; `0` answers
    /// with the stage reached at once). [default: until it is reached]
    #[arg(long, value_name = "DURATION", value_parser = update_timeout)]
    timeout: Option<u64>,
}

/// `--timeout` in whole seconds, at most the server's 300.
fn update_timeout(s: &str) -> Result<u64, String> {
    let duration = super::human::parse_duration(s)?;
    if duration.subsec_nanos() != 0 || duration.as_secs() > 300 {
        return Err(format!(
            "`{s}` is not a whole number of seconds from 0 to 300 (the longest the server waits)"
        ));
    }
    Ok(duration.as_secs())
}

pub fn update(args: UpdateArgs) -> CliResult {
    let m = &args.message;
    let input = m.input()?;
    let body = UpdateBody {
        input,
        update_id: args.update_id.clone(),
        wait: Some(args.wait.clone()),
        wait_s: None,
    };
    let client = m.server.client()?;
    let answer = match args.timeout {
        Some(deadline_s) => client.update_within(&m.execution, &m.name, body, deadline_s),
        None => client.update(&m.execution, &m.name, body),
    };
    let answer = answer.map_err(message_failure)?;
    if m.json {
        print_json(&answer)?;
    }
    if let (Some(waited), "pending") = (args.timeout, answer.stage.as_str()) {
        return Err(Failure::new(
            exit::ERROR,
            format!(
                "update {id} timed out: not {wait} within {waited}s; it goes on, ask again \
                 with --update-id {id}",
                id = answer.update_id,
                wait = args.wait
            ),
        ));
    }
    if let Some(f) = &answer.failure {
        return Err(Failure::new(
            exit::WORKFLOW_FAILED,
            format!(
                "update {} failed ({}): {}",
                answer.update_id, f.error_type, f.message
            ),
        ));
    }
    if !m.json {
        match &answer.result {
            Some(value) => println!("{}", serde_json::to_string(value)?),
            None => eprintln!("update {} {}", answer.update_id, answer.stage),
        }
    }
    Ok(())
}
