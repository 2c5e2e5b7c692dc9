//! `weft describe`: one execution for people — status, module version, times, a failing
//! task, a cancellation asked for, what it waits for (activities with their attempt and
//! last heartbeat), how it ended.

use clap::Args;

use super::human::{self, short_digest, table};
use super::remote::{api_failure, print_json, ServerArg};
use super::CliResult;
use crate::api::types::{Description, ExecutionStatus};

/// Show an execution: status, type, module version, times, what it waits for, outcome.
#[derive(Args)]
#[command(after_help = "Example:\n  weft describe hello-1\n  weft describe --json hello-1")]
pub struct DescribeArgs {
    /// Workflow id (its latest run) or run id.
    execution: String,
    #[command(flatten)]
    server: ServerArg,
    /// Print the description as JSON.
    #[arg(long)]
    json: bool,
}

pub fn describe(args: DescribeArgs) -> CliResult {
    let d = args
        .server
        .client()
        .describe(&args.execution)
        .map_err(api_failure)?;
    if args.json {
        return print_json(&d);
    }
    print!("{}", description(&d));
    Ok(())
}

/// A description as text for people.
fn description(d: &Description) -> String {
    let run = &d.run;
    let mut out = format!("{} ({})\n", run.workflow_id, run.workflow_type);
    let mut field = |name: &str, value: String| out.push_str(&format!("  {name:<9} {value}\n"));
    let cancel = d.cancel_requested.as_ref();
    match cancel {
        Some(_) if run.status.is_open() => field("status", "running, cancel requested".into()),
        _ => field("status", run.status.as_str().to_string()),
    }
    if let Some(c) = cancel {
        field("reason", c.reason.clone());
    }
    field("run", run.run_id.clone());
    let module = match (&d.module_name, d.module_version) {
        (Some(name), Some(version)) => format!(
            "{name} version {version} ({})",
            short_digest(&run.module_digest)
        ),
        _ => short_digest(&run.module_digest).to_string(),
    };
    field("module", module);
    field("started", human::utc(run.start_ms));
    if let Some(close) = run.close_ms {
        field(
            "closed",
            format!(
                "{} (after {})",
                human::utc(close),
                human::duration(close.saturating_sub(run.start_ms))
            ),
        );
    }
    // (The run record counts events only once the run closes.)
    if !run.status.is_open() || run.history_len > 0 {
        field("events", run.history_len.to_string());
    }
    if let Some(r) = &d.result {
        if let Some(value) = &r.result {
            field("result", human::json_line(value, 200));
        }
        match &r.failure {
            // The failure of a terminated run is the reason it was given.
            Some(f) if r.status == ExecutionStatus::Terminated => {
                field("reason", f.message.clone())
            }
            Some(f) => field("failure", format!("{}: {}", f.error_type, f.message)),
            None => {}
        }
    }
    if let Some(h) = &d.handlers {
        let names = |kind: &str, names: &[String]| match names {
            [] => None,
            names => Some(format!("{kind} {}", names.join(", "))),
        };
        let listed: Vec<String> = [
            names("signals", &h.signals),
            names("queries", &h.queries),
            names("updates", &h.updates),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !listed.is_empty() {
            field("handlers", listed.join("; "));
        }
    }
    if let Some(f) = &d.failing_task {
        let at = f
            .location
            .as_deref()
            .map(|l| format!(" at {l}"))
            .unwrap_or_default();
        field(
            "task failing",
            format!("{}{at}", human::truncate(&f.message, 200)),
        );
        field(
            "retrying",
            format!(
                "since {}, {} attempt(s) recorded, next at {}",
                human::utc(f.since_ms),
                f.attempts,
                human::utc(f.next_attempt_ms)
            ),
        );
    }
    if !d.pending_activities.is_empty() {
        out.push_str("pending activities:\n");
        let rows: Vec<Vec<String>> = d
            .pending_activities
            .iter()
            .map(|a| {
                let next = a
                    .next_attempt_ms
                    .map(|ms| format!("retry at {}", human::utc(ms)))
                    .unwrap_or_default();
                let notes: Vec<&str> = [
                    a.local.then_some("local"),
                    a.cancel_requested.then_some("cancel requested"),
                ]
                .into_iter()
                .flatten()
                .collect();
                vec![
                    a.seq.to_string(),
                    a.activity_type.clone(),
                    a.attempt.to_string(),
                    next,
                    a.last_heartbeat_ms.map(human::utc).unwrap_or_default(),
                    a.heartbeat_details
                        .as_ref()
                        .map(|v| human::json_line(v, 60))
                        .unwrap_or_default(),
                    notes.join(", "),
                    a.last_failure
                        .as_deref()
                        .map(|f| human::truncate(f, 100))
                        .unwrap_or_default(),
                ]
            })
            .collect();
        out.push_str(&indent_table(
            &[
                "SEQ",
                "ACTIVITY",
                "ATTEMPT",
                "NEXT",
                "LAST HEARTBEAT",
                "DETAILS",
                "NOTE",
                "LAST FAILURE",
            ],
            &rows,
        ));
    }
    if !d.pending_timers.is_empty() {
        out.push_str("pending timers:\n");
        let rows: Vec<Vec<String>> = d
            .pending_timers
            .iter()
            .map(|t| vec![t.seq.to_string(), human::utc(t.fire_at_ms)])
            .collect();
        out.push_str(&indent_table(&["SEQ", "FIRES AT"], &rows));
    }
    out
}

/// A table indented under a heading, without columns that are empty in every row.
fn indent_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let keep: Vec<usize> = (0..header.len())
        .filter(|&i| rows.iter().any(|r| r.get(i).is_some_and(|c| !c.is_empty())))
        .collect();
    let header: Vec<&str> = keep.iter().map(|&i| header[i]).collect();
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| keep.iter().map(|&i| r[i].clone()).collect())
        .collect();
    table(&header, &rows)
        .lines()
        .map(|l| format!("  {l}\n"))
        .collect()
}
