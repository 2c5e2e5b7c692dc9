//! `weft describe`: one execution for people — status, module version, times, a failing
//! task, a cancellation asked for, what it waits for (activities with their attempt and
//! last heartbeat) and where its code waits (`weft stack`'s lines), how it ended.

use clap::Args;

use super::human::{self, short_digest, table};
use super::remote::{api_failure, print_json, ServerArg};
use super::CliResult;
use weft_api::types::{Description, ExecutionStatus};

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
        .client()?
        .describe(&args.execution)
        .map_err(api_failure)?;
    if args.json {
        return print_json(&d);
    }
    print!("{}", description(&d));
    Ok(())
}

/// `pending (waiting: …)`: a workflow limit, a debounce or a start rate.
fn pending_status(why: &str) -> String {
    match why.starts_with("workflow limit") {
        true => format!("pending (waiting: {why}; starts when a run of its type closes)"),
        false => format!("pending (waiting: {why})"),
    }
}

/// A description as text for people.
fn description(d: &Description) -> String {
    let run = &d.run;
    let mut out = format!("{} ({})\n", run.workflow_id, run.workflow_type);
    let mut field = |name: &str, value: String| out.push_str(&format!("  {name:<9} {value}\n"));
    if let Some(summary) = &run.summary {
        field("summary", summary.clone());
    }
    let cancel = d.cancel_requested.as_ref();
    let paused = d.paused.as_ref().filter(|_| run.status.is_open());
    match (cancel, paused, &run.pending) {
        (_, _, Some(why)) if run.status.is_open() => field("status", pending_status(why)),
        (Some(_), Some(_), _) => field("status", "running, paused, cancel requested".into()),
        (None, Some(_), _) => field("status", "running, paused".into()),
        (Some(_), None, _) if run.status.is_open() => {
            field("status", "running, cancel requested".into())
        }
        _ => field("status", run.status.as_str().to_string()),
    }
    if let Some(p) = paused {
        field(
            "paused",
            format!(
                "by {} at {}: {}",
                p.identity,
                human::utc(p.time_ms),
                p.reason
            ),
        );
    }
    if let Some(c) = cancel {
        field("reason", c.reason.clone());
    }
    field("run", run.run_id.clone());
    if let Some(previous) = &d.continued_from {
        field("continued", format!("from run {previous}"));
    }
    if let Some(cron) = &d.cron {
        let next = cron.next_slot_ms.map_or(String::new(), |ms| {
            format!(", next slot {}", crate::schedules::rfc3339(ms))
        });
        field("cron", format!("{}{next}", cron.spec));
    }
    if let Some(from) = &d.reset_from {
        field(
            "reset",
            format!(
                "from run {} at event {}: {}",
                from.run_id, from.event_index, from.reason
            ),
        );
    }
    if let Some(to) = &d.reset_to {
        field("reset", format!("to run {to}"));
    }
    if let Some(parent) = &d.parent_workflow_id {
        field("parent", parent.clone());
    }
    for (key, value) in &d.memo {
        field("memo", format!("{key} = {value}"));
    }
    for (name, value) in &d.search_attributes {
        field(
            "search attribute",
            format!("{name} = {value} ({})", value.kind()),
        );
    }
    for child in &d.children {
        field(
            "child",
            format!(
                "{} ({}) {}",
                child.workflow_id, child.workflow_type, child.state
            ),
        );
    }
    let module = match (&d.module_name, d.module_version) {
        (Some(name), Some(version)) => format!(
            "{name} version {version} ({})",
            short_digest(&run.module_digest)
        ),
        _ => short_digest(&run.module_digest).to_string(),
    };
    let module = match d.module_moved_ms {
        Some(ms) => format!("{module}, moved to it {}", human::utc(ms)),
        None => module,
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
            Some(f) => {
                field("failure", format!("{}: {}", f.error_type, f.message));
                for cause in f.chain().skip(1) {
                    field(
                        "caused by",
                        format!("{}: {}", cause.error_type, cause.message),
                    );
                }
            }
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
    // Always shown, and spelt `priority N` with one space (scripts look for it).
    out.push_str(&format!("  priority {}\n", run.priority));
    if let Some(f) = &d.fairness {
        out.push_str(&format!("  fairness {} (weight {})\n", f.key, f.weight));
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
                    a.waiting.as_deref(),
                    a.paused.then_some("paused"),
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
    for (heading, text) in [("details", &d.details), ("now", &run.current_details)] {
        if let Some(text) = text {
            out.push_str(&format!("{heading}:\n"));
            for line in text.lines() {
                out.push_str(format!("  {line}").trim_end());
                out.push('\n');
            }
        }
    }
    if !d.waiting_at.is_empty() {
        out.push_str("waiting at:\n");
        for frame in &d.waiting_at {
            out.push_str(&format!("  {}\n", super::stack::line(frame)));
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use weft_api::types::{
        CancelRequestInfo, ExecutionInfo, FailureBody, PendingActivityInfo, ResultBody,
    };

    fn open_run() -> Description {
        Description {
            run: ExecutionInfo {
                workflow_id: "order-17".into(),
                run_id: "r1".into(),
                workflow_type: "order".into(),
                module_digest: "0123456789abcdef".into(),
                status: ExecutionStatus::Running,
                start_ms: 0,
                close_ms: None,
                history_len: 9,
                format_version: 3,
                paused: false,
                priority: 2,
                pending: None,
                summary: None,
                current_details: None,
            },
            module_name: Some("order".into()),
            module_version: Some(1),
            module_moved_ms: None,
            continued_from: None,
            cron: None,
            reset_from: None,
            reset_to: None,
            parent_workflow_id: None,
            memo: serde_json::Map::new(),
            search_attributes: Default::default(),
            children: Vec::new(),
            pending_activities: vec![PendingActivityInfo {
                seq: 2,
                activity_type: "never_complete".into(),
                attempt: 3,
                scheduled_ms: 0,
                next_attempt_ms: None,
                last_failure: None,
                last_heartbeat_ms: Some(61_000),
                heartbeat_details: Some(serde_json::json!(42)),
                cancel_requested: true,
                local: false,
                waiting: None,
                paused: false,
            }],
            pending_timers: vec![],
            waiting_at: vec![],
            details: None,
            fairness: None,
            failing_task: None,
            cancel_requested: None,
            paused: None,
            result: None,
            handlers: None,
        }
    }

    /// The start's details and what the workflow says it does now, each under its
    /// heading, Markdown lines indented.
    #[test]
    fn details_and_current_details_show_under_their_headings() {
        let mut d = open_run();
        d.details = Some("refund for **order 17**".into());
        d.run.current_details = Some("waiting for approval\n- by finance".into());
        let text = description(&d);
        assert!(
            text.contains("details:\n  refund for **order 17**\nnow:\n  waiting for approval\n  - by finance\n"),
            "{text}"
        );
    }

    #[test]
    fn a_cron_run_shows_its_spec_and_next_slot() {
        let mut d = open_run();
        d.cron = Some(weft_api::types::CronInfo {
            spec: "@every 2s".into(),
            next_slot_ms: Some(2_000),
        });
        let text = description(&d);
        assert!(
            text.contains("cron      @every 2s, next slot 1970-01-01T00:00:02Z\n"),
            "{text}"
        );
    }

    #[test]
    fn a_paused_run_says_so_with_who_and_why() {
        let mut d = open_run();
        d.paused = Some(weft_api::steer_types::PauseInfoBody {
            reason: "payments API down".into(),
            identity: "ops".into(),
            time_ms: 61_000,
        });
        let text = description(&d);
        assert!(text.contains("status    running, paused\n"), "{text}");
        assert!(
            text.contains("by ops at 1970-01-01 00:01:01 UTC: payments API down"),
            "{text}"
        );
    }

    #[test]
    fn activities_show_attempt_heartbeat_and_cancellation() {
        let text = description(&open_run());
        let row = text
            .lines()
            .find(|l| l.contains("never_complete"))
            .unwrap_or_else(|| panic!("{text}"));
        for want in ["3", "1970-01-01 00:01:01 UTC", "42", "cancel requested"] {
            assert!(row.contains(want), "{want} missing from {row:?} in\n{text}");
        }
        assert!(text.contains("LAST HEARTBEAT"), "{text}");
        assert!(text.contains("\n  priority 2\n"), "{text}");
        assert!(
            !text.contains("LAST FAILURE"),
            "empty columns are left out:\n{text}"
        );
    }

    #[test]
    fn an_activity_waiting_for_a_slot_says_so() {
        let mut d = open_run();
        d.pending_activities[0].waiting = Some("waiting for a slot of task queue `gpu`".into());
        let text = description(&d);
        let row = text.lines().find(|l| l.contains("never_complete")).unwrap();
        assert!(
            row.contains("waiting for a slot of task queue `gpu`"),
            "{text}"
        );
    }

    #[test]
    fn a_requested_cancellation_and_a_termination_show_their_reasons() {
        let mut d = open_run();
        d.cancel_requested = Some(CancelRequestInfo {
            reason: "customer withdrew".into(),
        });
        let text = description(&d);
        assert!(
            text.contains("status    running, cancel requested\n"),
            "{text}"
        );
        assert!(text.contains("reason    customer withdrew\n"), "{text}");

        let mut d = open_run();
        d.run.status = ExecutionStatus::Terminated;
        d.run.close_ms = Some(1000);
        d.pending_activities.clear();
        d.result = Some(ResultBody {
            workflow_id: "order-17".into(),
            run_id: "r1".into(),
            status: ExecutionStatus::Terminated,
            result: None,
            failure: Some(FailureBody::new("stuck on a bad deploy", "weft.Terminated")),
        });
        let text = description(&d);
        assert!(text.contains("status    terminated\n"), "{text}");
        assert!(text.contains("reason    stuck on a bad deploy\n"), "{text}");
        assert!(!text.contains("failure"), "{text}");
    }
}
