//! `weft activity pause | unpause | reset | update-options`: an operator's acts on one
//! pending activity of a running execution, each recorded in its history.
//!
//! Each prints `<act> activity <seq> of <workflow id>` on stderr, or the answer as JSON
//! on stdout with `--json`. Exit codes: 4 no such execution or pending activity, 5
//! refused (closed, paused already, not paused, ended, several of the type).

use std::time::Duration;

use clap::{Args, Subcommand};

use super::human::parse_duration;
use super::pause::NoteArgs;
use super::remote::{api_failure, print_json};
use super::CliResult;
use weft_api::steer_types::ActivityOpBody;

/// Act on one pending activity of a running execution (recorded in its history).
#[derive(Subcommand)]
pub enum ActivityCommand {
    /// Pause it: no new attempt starts (one in flight finishes; its retry waits).
    #[command(
        after_help = "Example:\n  weft activity pause order-17 --activity charge_card --reason 'payments API is down'\n  weft describe order-17        # the activity's row says paused\n\nExit codes: 0 paused, 4 no such execution or activity, 5 refused (closed, already paused), 1 other errors."
    )]
    Pause(TargetArgs),
    /// Unpause it: its next attempt starts when its backoff (if any) has run out.
    #[command(
        after_help = "Example:\n  weft activity unpause order-17 --activity 3 --reason 'payments API is back'\n\nExit codes: 0 unpaused, 4 no such execution or activity, 5 refused (closed, not paused), 1 other errors."
    )]
    Unpause(TargetArgs),
    /// Reset it: attempts start again from 1, at once, without heartbeat details (an
    /// attempt in flight finishes first).
    #[command(
        after_help = "Example:\n  weft activity reset order-17 --activity charge_card --reason 'new card on file'\n\nExit codes: 0 reset, 4 no such execution or activity, 5 refused (closed, ended), 1 other errors."
    )]
    Reset(TargetArgs),
    /// Change its timeouts and retry policy from its next attempt (an attempt in flight
    /// finishes first).
    #[command(
        after_help = "Example:\n  weft activity update-options order-17 --activity charge_card --max-attempts 10 --initial-interval 1s\n  weft activity update-options order-17 --activity 3 --start-to-close 30s --heartbeat-timeout 0s\n\nA timeout of 0s removes it (start-to-close excepted). Exit codes: 0 updated, 4 no such execution or activity, 5 refused (closed, ended, bad options), 1 other errors."
    )]
    UpdateOptions(UpdateOptionsArgs),
}

/// Which activity of which execution, why, and who asks.
#[derive(Args)]
pub struct TargetArgs {
    /// Workflow id (its open run) or run id.
    execution: String,
    /// The pending activity: its seq (as `weft describe` lists it) or its type, when
    /// one pending activity has it.
    #[arg(long, value_name = "SEQ|TYPE")]
    activity: String,
    #[command(flatten)]
    note: NoteArgs,
}

/// The options `update-options` changes; at least one.
#[derive(Args)]
pub struct UpdateOptionsArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Longest one attempt may run.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    start_to_close: Option<Duration>,
    /// Longest the activity may take, all attempts together (0s: no limit).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    schedule_to_close: Option<Duration>,
    /// Longest between two heartbeats of an attempt (0s: no limit).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    heartbeat_timeout: Option<Duration>,
    /// Attempts in all, counting those already made (0: unlimited).
    #[arg(long, value_name = "N")]
    max_attempts: Option<u32>,
    /// Backoff before the first retry.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    initial_interval: Option<Duration>,
    /// Factor the backoff grows by after each retry (1 to 100).
    #[arg(long, value_name = "X")]
    backoff_coefficient: Option<f64>,
    /// Longest backoff.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    maximum_interval: Option<Duration>,
}

pub fn activity(command: ActivityCommand) -> CliResult {
    let ms = |d: Option<Duration>| d.map(|d| d.as_millis() as u64);
    let (target, op, mut body) = match command {
        ActivityCommand::Pause(t) => (t, "pause", ActivityOpBody::default()),
        ActivityCommand::Unpause(t) => (t, "unpause", ActivityOpBody::default()),
        ActivityCommand::Reset(t) => (t, "reset", ActivityOpBody::default()),
        ActivityCommand::UpdateOptions(u) => {
            let body = ActivityOpBody {
                start_to_close_ms: ms(u.start_to_close),
                schedule_to_close_ms: ms(u.schedule_to_close),
                heartbeat_timeout_ms: ms(u.heartbeat_timeout),
                maximum_attempts: u.max_attempts,
                initial_interval_ms: ms(u.initial_interval),
                backoff_coefficient: u.backoff_coefficient,
                maximum_interval_ms: ms(u.maximum_interval),
                ..ActivityOpBody::default()
            };
            (u.target, "update-options", body)
        }
    };
    let note = &target.note;
    body.reason = note.reason.clone();
    body.identity = Some(note.identity.clone());
    let answer = note
        .server
        .client()?
        .activity_op(&target.execution, &target.activity, op, &body)
        .map_err(api_failure)?;
    if note.json {
        return print_json(&answer);
    }
    eprintln!(
        "{op}: activity {} of {} (run {})",
        answer.seq, answer.workflow_id, answer.run_id
    );
    Ok(())
}
