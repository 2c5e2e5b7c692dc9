//! `weft schedule`: create, list, describe, update, pause, unpause, trigger, backfill
//! and delete the server's schedules.

use clap::{Args, Subcommand};
use weft_model::names::ScheduleId;

use super::human::{parse_duration, table, utc};
use super::remote::{api_failure, print_json, ServerArg};
use super::start::{json_arg, memo_args};
use super::{exit, CliResult, Failure};
use crate::runtime::clock::millis;
use crate::schedules::{parse_rfc3339, CompiledSpec, Interval, OverlapPolicy, ScheduleSpec};
use weft_api::schedule_types::{ActionBody, BackfillBody, ScheduleBody, ScheduleInfo};

/// Schedules: workflows started on cron expressions and intervals.
#[derive(Subcommand)]
pub enum ScheduleCommand {
    /// Create a schedule on the server.
    Create(CreateArgs),
    /// List the server's schedules.
    List(ListArgs),
    /// Show a schedule: spec, action, state, recent and next actions, running runs.
    Describe(IdArgs),
    /// Replace a schedule's spec, action and policies (its state and counters stay).
    Update(UpdateArgs),
    /// Pause a schedule: no action comes due until it is unpaused.
    Pause(NoteArgs),
    /// Unpause a schedule; slots that passed while it was paused are not acted on.
    Unpause(NoteArgs),
    /// Take an action now, paused or not.
    Trigger(TriggerArgs),
    /// Act on every slot in a past time range (both ends included).
    Backfill(BackfillArgs),
    /// Delete a schedule; the runs it started go on.
    Delete(IdArgs),
}

/// What a schedule does and when: shared by `create` and `update`.
#[derive(Args)]
pub struct DefinitionArgs {
    /// The workflow type each action starts.
    #[arg(long)]
    workflow_type: String,
    /// The workflow's input as JSON (a JSON string needs its quotes: '"world"').
    #[arg(long, default_value = "null")]
    input: String,
    /// Each run's workflow id is this, a dash and the scheduled time (default: the
    /// schedule id).
    #[arg(long, value_parser = super::name_arg::<ScheduleId>)]
    workflow_id: Option<String>,
    /// A cron expression (repeatable): 5 fields, 6 with seconds first, `@daily`,
    /// `@every 10m`.
    #[arg(long, value_name = "EXPR")]
    cron: Vec<String>,
    /// An interval (repeatable), with an optional offset after a slash: `1h`, or
    /// `1h/15m` for every hour at a quarter past.
    #[arg(long, value_name = "EVERY[/OFFSET]")]
    interval: Vec<String>,
    /// IANA time zone the cron expressions are read in (default UTC).
    #[arg(long, value_name = "ZONE")]
    timezone: Option<String>,
    /// Delay each action by up to this much (the same delay for the same slot).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    jitter: Option<std::time::Duration>,
    /// No action before this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    start_time: Option<String>,
    /// No action after this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    end_time: Option<String>,
    /// What an action does while an earlier one runs: skip (default), buffer-one,
    /// buffer-all, cancel-other, terminate-other, allow-all.
    #[arg(long, value_name = "POLICY", value_parser = parse_overlap)]
    overlap: Option<OverlapPolicy>,
    /// Act on slots missed while the server was down if at most this old (default a
    /// year).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    catchup_window: Option<std::time::Duration>,
    /// Module digest to run (default: the newest exporting the type).
    #[arg(long)]
    module: Option<String>,
    /// Close each run as timed out if it is still open this long after it started.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    run_timeout: Option<std::time::Duration>,
    /// Close each execution as timed out this long after it started.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    execution_timeout: Option<std::time::Duration>,
    /// A memo entry of each run (repeatable): `--memo team='"billing"'`.
    #[arg(long, value_name = "KEY=JSON")]
    memo: Vec<String>,
}

fn parse_overlap(text: &str) -> Result<OverlapPolicy, String> {
    text.parse()
}

fn time_arg(flag: &str, text: &str) -> Result<u64, Failure> {
    parse_rfc3339(text).map_err(|e| Failure::new(exit::USAGE, format!("{flag}: {e}")))
}

impl DefinitionArgs {
    fn body(&self, id: Option<String>) -> Result<ScheduleBody, Failure> {
        let mut intervals = Vec::new();
        for text in &self.interval {
            let (every, offset) = match text.split_once('/') {
                Some((every, offset)) => (every, Some(offset)),
                None => (text.as_str(), None),
            };
            let usage = |e: String| Failure::new(exit::USAGE, format!("--interval: {e}"));
            intervals.push(Interval {
                every_ms: millis(parse_duration(every).map_err(usage)?),
                offset_ms: match offset {
                    Some(o) => millis(parse_duration(o).map_err(usage)?),
                    None => 0,
                },
            });
        }
        if intervals.is_empty() && self.cron.is_empty() {
            return Err(Failure::new(
                exit::USAGE,
                "say when the schedule acts: --interval 1h, or --cron '0 9 * * MON-FRI'",
            ));
        }
        let spec = ScheduleSpec {
            cron: self.cron.clone(),
            intervals,
            timezone: self.timezone.clone(),
            jitter_ms: self.jitter.map(millis).unwrap_or(0),
            start_ms: self
                .start_time
                .as_deref()
                .map(|t| time_arg("--start-time", t))
                .transpose()?,
            end_ms: self
                .end_time
                .as_deref()
                .map(|t| time_arg("--end-time", t))
                .transpose()?,
        };
        CompiledSpec::new(&spec).map_err(|e| Failure::new(exit::USAGE, e.to_string()))?;
        Ok(ScheduleBody {
            id,
            spec,
            action: ActionBody {
                workflow_type: self.workflow_type.clone(),
                input: json_arg("--input", &self.input)?,
                workflow_id: self.workflow_id.clone(),
                module: self.module.clone(),
                run_timeout_ms: self.run_timeout.map(millis),
                execution_timeout_ms: self.execution_timeout.map(millis),
                memo: memo_args(&self.memo)?,
            },
            overlap: self.overlap.map(|p| p.as_str().to_string()),
            catchup_window_ms: self.catchup_window.map(millis),
            paused: false,
            note: None,
        })
    }
}

/// Create a schedule on the server.
///
/// Each action starts the workflow with the id `<workflow id>-<scheduled time>`; the
/// server never acts on one slot twice, also across crashes.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft schedule create nightly --workflow-type report --input '{\"day\":\"yesterday\"}' --cron '0 2 * * *' --timezone Europe/Paris\n  weft schedule create ping --workflow-type hello --input '\"world\"' --interval 1s\n  weft schedule create quarter-past --workflow-type hello --interval 1h/15m --overlap buffer-one --paused --note 'not yet'\n\nExit codes: 0 created, 2 bad flags, 5 the id is taken or the spec is invalid, 1 other errors."
)]
pub struct CreateArgs {
    /// The schedule's id.
    #[arg(value_parser = super::name_arg::<ScheduleId>)]
    id: String,
    #[command(flatten)]
    definition: DefinitionArgs,
    /// Create it paused (triggers and backfills still act).
    #[arg(long)]
    paused: bool,
    /// Why it is paused.
    #[arg(long)]
    note: Option<String>,
    #[command(flatten)]
    server: ServerArg,
    /// Print the schedule as JSON.
    #[arg(long)]
    json: bool,
}

/// Replace a schedule's spec, action and policies (its state and counters stay).
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft schedule update ping --workflow-type hello --input '\"again\"' --interval 2s\n\nExit codes: 0 updated, 2 bad flags, 4 no such schedule, 5 invalid, 1 other errors."
)]
pub struct UpdateArgs {
    id: String,
    #[command(flatten)]
    definition: DefinitionArgs,
    #[command(flatten)]
    server: ServerArg,
    #[arg(long)]
    json: bool,
}

/// A schedule named by id.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft schedule describe nightly\n  weft schedule delete nightly\n\nExit codes: 0 ok, 4 no such schedule, 1 other errors."
)]
pub struct IdArgs {
    id: String,
    #[command(flatten)]
    server: ServerArg,
    #[arg(long)]
    json: bool,
}

/// List the server's schedules.
#[derive(Args)]
#[command(after_help = "Example:\n  weft schedule list\n  weft schedule list --json")]
pub struct ListArgs {
    #[command(flatten)]
    server: ServerArg,
    #[arg(long)]
    json: bool,
}

/// Pause or unpause a schedule, with a note saying why.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft schedule pause nightly --note 'database migration'\n  weft schedule unpause nightly\n\nExit codes: 0 ok, 4 no such schedule, 1 other errors."
)]
pub struct NoteArgs {
    id: String,
    #[arg(long)]
    note: Option<String>,
    #[command(flatten)]
    server: ServerArg,
    #[arg(long)]
    json: bool,
}

/// Take an action now, paused or not.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft schedule trigger nightly\n  weft schedule trigger nightly --overlap allow-all\n\nExit codes: 0 triggered, 4 no such schedule, 5 the workflow could not start, 1 other errors."
)]
pub struct TriggerArgs {
    id: String,
    /// Overlap policy for this action (default: the schedule's).
    #[arg(long, value_name = "POLICY", value_parser = parse_overlap)]
    overlap: Option<OverlapPolicy>,
    #[command(flatten)]
    server: ServerArg,
    #[arg(long)]
    json: bool,
}

/// Act on every slot of the schedule in a past time range (both ends included).
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft schedule backfill nightly --start-time 2026-11-01T00:00:00Z --end-time 2026-11-07T23:59:59Z --overlap allow-all\n\nExit codes: 0 done, 2 bad times, 4 no such schedule, 5 invalid range, 1 other errors."
)]
pub struct BackfillArgs {
    id: String,
    /// First time of the range (RFC 3339).
    #[arg(long, value_name = "TIME")]
    start_time: String,
    /// Last time of the range (RFC 3339).
    #[arg(long, value_name = "TIME")]
    end_time: String,
    /// Overlap policy for the backfilled actions (default: the schedule's).
    #[arg(long, value_name = "POLICY", value_parser = parse_overlap)]
    overlap: Option<OverlapPolicy>,
    #[command(flatten)]
    server: ServerArg,
    #[arg(long)]
    json: bool,
}

pub fn schedule(command: ScheduleCommand) -> CliResult {
    match command {
        ScheduleCommand::Create(a) => {
            let mut body = a.definition.body(Some(a.id.clone()))?;
            body.paused = a.paused;
            body.note = a.note.clone();
            let info = a
                .server
                .client()?
                .create_schedule(&body)
                .map_err(api_failure)?;
            report(&info, a.json, "created")
        }
        ScheduleCommand::Update(a) => {
            let body = a.definition.body(None)?;
            let info = a
                .server
                .client()?
                .update_schedule(&a.id, &body)
                .map_err(api_failure)?;
            report(&info, a.json, "updated")
        }
        ScheduleCommand::List(a) => {
            let all = a.server.client()?.schedules().map_err(api_failure)?;
            if a.json {
                return print_json(&serde_json::json!({ "schedules": all }));
            }
            print!("{}", list_table(&all));
            Ok(())
        }
        ScheduleCommand::Describe(a) => {
            let info = a
                .server
                .client()?
                .describe_schedule(&a.id)
                .map_err(api_failure)?;
            if a.json {
                return print_json(&info);
            }
            print!("{}", render(&info));
            Ok(())
        }
        ScheduleCommand::Pause(a) => {
            let client = a.server.client()?;
            let info = client
                .pause_schedule(&a.id, a.note.as_deref())
                .map_err(api_failure)?;
            report(&info, a.json, "paused")
        }
        ScheduleCommand::Unpause(a) => {
            let client = a.server.client()?;
            let info = client
                .unpause_schedule(&a.id, a.note.as_deref())
                .map_err(api_failure)?;
            report(&info, a.json, "unpaused")
        }
        ScheduleCommand::Trigger(a) => {
            let overlap = a.overlap.map(OverlapPolicy::as_str);
            let info = a
                .server
                .client()?
                .trigger_schedule(&a.id, overlap)
                .map_err(api_failure)?;
            report(&info, a.json, "triggered")
        }
        ScheduleCommand::Backfill(a) => {
            let body = BackfillBody {
                start_ms: time_arg("--start-time", &a.start_time)?,
                end_ms: time_arg("--end-time", &a.end_time)?,
                overlap: a.overlap.map(|p| p.as_str().to_string()),
            };
            let done = a
                .server
                .client()?
                .backfill_schedule(&a.id, &body)
                .map_err(api_failure)?;
            if a.json {
                return print_json(&done);
            }
            eprintln!(
                "backfilled {}: {} slots in the range, {} actions in all",
                a.id, done.slots, done.schedule.actions
            );
            Ok(())
        }
        ScheduleCommand::Delete(a) => {
            let deleted = a
                .server
                .client()?
                .delete_schedule(&a.id)
                .map_err(api_failure)?;
            if a.json {
                return print_json(&deleted);
            }
            eprintln!("deleted schedule {}; the runs it started go on", deleted.id);
            Ok(())
        }
    }
}

fn report(info: &ScheduleInfo, json: bool, what: &str) -> CliResult {
    if json {
        return print_json(info);
    }
    println!("{}", info.id);
    let next = info
        .next_action_ms
        .first()
        .map(|&t| format!("; next action {}", utc(t)))
        .unwrap_or_default();
    eprintln!(
        "{what} schedule {} ({} actions{next})",
        info.id, info.actions
    );
    Ok(())
}

fn spec_text(info: &ScheduleInfo) -> String {
    let mut parts: Vec<String> = info.spec.cron.clone();
    parts.extend(info.spec.intervals.iter().map(|i| {
        let every = super::human::duration(i.every_ms);
        if i.offset_ms == 0 {
            format!("every {every}")
        } else {
            format!("every {every}/{}", super::human::duration(i.offset_ms))
        }
    }));
    parts.join(", ")
}

fn list_table(all: &[ScheduleInfo]) -> String {
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|s| {
            vec![
                s.id.clone(),
                s.action.workflow_type.clone(),
                spec_text(s),
                if s.paused { "paused" } else { "active" }.to_string(),
                s.actions.to_string(),
                s.next_action_ms
                    .first()
                    .map(|&t| utc(t))
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    table(&["ID", "TYPE", "SPEC", "STATE", "ACTIONS", "NEXT"], &rows)
}

fn render(s: &ScheduleInfo) -> String {
    let mut out = String::new();
    let mut line = |k: &str, v: String| out.push_str(&format!("{k:<16}{v}\n"));
    line("schedule", s.id.clone());
    line("spec", spec_text(s));
    if let Some(tz) = &s.spec.timezone {
        line("time zone", tz.clone());
    }
    line(
        "action",
        format!(
            "start {} {} as {}-<time>",
            s.action.workflow_type,
            s.action.input,
            s.action.workflow_id.as_deref().unwrap_or(&s.id)
        ),
    );
    line("overlap", s.overlap.clone());
    line(
        "state",
        if s.paused {
            format!("paused ({})", s.note)
        } else if s.note.is_empty() {
            "active".into()
        } else {
            format!("active ({})", s.note)
        },
    );
    line(
        "actions",
        format!(
            "{} taken, {} skipped by overlap, {} missed, {} buffered",
            s.actions, s.skipped_overlap, s.missed_catchup, s.buffered
        ),
    );
    for run in &s.running {
        line(
            "running",
            format!("{} (run {})", run.workflow_id, run.run_id),
        );
    }
    for a in s.recent.iter().rev() {
        line("recent", format!("{}  {}", a.scheduled_at, a.workflow_id));
    }
    for &t in &s.next_action_ms {
        line("next", utc(t));
    }
    out
}
