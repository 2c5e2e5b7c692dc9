//! `weft history show`: a history as a timeline, one line per event.
//!
//! ```text
//!     #  TIME      EVENT               DETAILS
//!     0  +0ms      execution-started   hello id=hello-1 run=59728779… module=e7bfd5c92986
//!     1  +0ms      task-started
//!     2  +0ms      start-workflow      input="world"
//!     3  +0ms      schedule-activity   greet seq=1 input="world"
//!     4  +5ms      task-started
//!     5  +5ms      resolve-activity    greet seq=1 completed "Hello, world!"
//!     6  +5ms      complete-workflow   "Hello, world!"
//! ```
//!
//! An event's time, relative to the start, is its own when it carries one (a task's
//! start, a heartbeat, a pause), else the latest before it: a task's jobs and commands
//! are at the task's time, and what arrived between tasks (a failed attempt, a cancel
//! request) at the time of the `arrived` mark recorded with it. The marks themselves
//! are not lines; the numbering keeps their place.

use std::collections::HashMap;

use super::human::{self, duration, failure, payload, short_digest, truncate};
use super::steer_text::{optional_ms, retry_text, steered};
use crate::contract::{ActivityResolution, Command, Job, Payload};
use crate::history::vocab::{ChildResolution, Marker};
use crate::history::Event;

/// Payloads and messages are cut to this many characters.
const VALUE_WIDTH: usize = 80;

/// One event of a timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub index: usize,
    /// Milliseconds since the execution started.
    pub offset_ms: u64,
    pub event: String,
    pub details: String,
}

/// The timeline of a history.
pub fn timeline(events: &[Event]) -> Vec<Line> {
    let start_ms = events.iter().find_map(Event::time_ms).unwrap_or(0);
    let mut now = start_ms;
    // Activity types by seq, so a result line names what it is the result of.
    let mut activities: HashMap<(bool, u32), String> = HashMap::new();
    events
        .iter()
        .enumerate()
        .filter_map(|(index, event)| {
            if let Some(t) = event.time_ms() {
                now = t;
            }
            if let Event::Arrived { .. } = event {
                return None;
            }
            if let Event::Command(c) = event {
                match &c.command {
                    Command::ScheduleActivity(s) => {
                        activities.insert((false, s.seq), s.activity_type.clone());
                    }
                    Command::ScheduleLocalActivity(s) => {
                        activities.insert((true, s.seq), s.activity_type.clone());
                    }
                    _ => {}
                }
            }
            Some(Line {
                index,
                offset_ms: now.saturating_sub(start_ms),
                event: event.name().to_string(),
                details: details(event, start_ms, &activities),
            })
        })
        .collect()
}

/// The timeline as text: a header naming the run, then one line per event.
pub fn render(workflow_id: &str, run_id: &str, events: &[Event]) -> String {
    let mut out = String::new();
    let started = events.iter().find_map(Event::time_ms);
    out.push_str(&format!("history of {workflow_id} (run {run_id})"));
    if let Some(ms) = started {
        out.push_str(&format!(", started {}", human::utc(ms)));
    }
    out.push_str(&format!(", {} events\n", events.len()));
    let lines = timeline(events);
    let event_width = lines
        .iter()
        .map(|l| l.event.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let time_width = lines
        .iter()
        .map(|l| format!("+{}ms", l.offset_ms).len())
        .max()
        .unwrap_or(4)
        .max(4);
    let index_width = lines.len().saturating_sub(1).to_string().len().max(3);
    out.push_str(&format!(
        "{:>index_width$}  {:<time_width$}  {:<event_width$}  DETAILS\n",
        "#", "TIME", "EVENT"
    ));
    for l in &lines {
        let time = format!("+{}ms", l.offset_ms);
        let line = format!(
            "{:>index_width$}  {time:<time_width$}  {:<event_width$}  {}",
            l.index, l.event, l.details
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn details(event: &Event, start_ms: u64, activities: &HashMap<(bool, u32), String>) -> String {
    match event {
        Event::ExecutionStarted(s) => format!(
            "{} id={} run={} module={}",
            s.workflow_type,
            s.workflow_id,
            s.run_id,
            short_digest(&s.module_digest)
        ),
        Event::TaskStarted { .. } => String::new(),
        Event::Job(job) => job_details(job, activities),
        Event::Command(c) => command_details(&c.command),
        Event::ActivityAttemptFailed {
            seq,
            attempt,
            failure: f,
            retry_at_ms,
        }
        | Event::LocalActivityAttemptFailed {
            seq,
            attempt,
            failure: f,
            retry_at_ms,
        } => {
            let local = matches!(event, Event::LocalActivityAttemptFailed { .. });
            format!(
                "{}{} seq={seq} attempt {attempt} failed: {}; next at +{}ms",
                activity_name(activities, local, *seq),
                if local { " (local)" } else { "" },
                truncate(&failure(f), VALUE_WIDTH),
                retry_at_ms.saturating_sub(start_ms)
            )
        }
        Event::TaskFailed(f) => task_failure(f),
        Event::TaskAttemptFailed {
            failure: f,
            attempt,
            retry_at_ms,
        } => format!(
            "attempt {attempt}: {}; retried at +{}ms; its jobs go to the next task",
            task_failure(f),
            retry_at_ms.saturating_sub(start_ms)
        ),
        Event::Terminated { reason } => truncate(reason, VALUE_WIDTH),
        Event::ActivityHeartbeat {
            seq,
            attempt,
            details,
            ..
        } => {
            let details = details.as_ref().map_or("none".into(), value);
            format!(
                "{} seq={seq} attempt {attempt} details={details}",
                activity_name(activities, false, *seq)
            )
        }
        Event::CancelRequested { reason } | Event::TimedOut { reason } => {
            truncate(reason, VALUE_WIDTH)
        }
        Event::ContinuedFrom { run_id } => format!("run {run_id}"),
        Event::ResetFrom {
            run_id,
            event_index,
            reason,
        } => format!(
            "run {run_id} at event {event_index}: {}",
            truncate(reason, VALUE_WIDTH)
        ),
        Event::ResetTo { run_id, reason } => {
            format!("run {run_id}: {}", truncate(reason, VALUE_WIDTH))
        }
        Event::ChildOptions { seq, options } => {
            let ms = |t: Option<u64>| t.map_or("none".into(), |t| format!("{t}ms"));
            let retry = match &options.retry_policy {
                Some(p) if p.maximum_attempts > 0 => {
                    format!("at most {} attempts", p.maximum_attempts)
                }
                Some(_) => "unlimited attempts".into(),
                None => "none".into(),
            };
            format!(
                "child seq={seq} execution-timeout={} run-timeout={} retry={retry}",
                ms(options.execution_timeout_ms),
                ms(options.run_timeout_ms)
            )
        }
        Event::Priority { priority } => format!("priority {priority} (1 highest, 5 lowest)"),
        Event::CronSchedule {
            spec,
            run_timeout_ms,
        } => format!(
            "{spec:?}{}: the first task waits for the next slot; when the run completes, \
             fails or times out, the next run follows",
            run_timeout_ms.map_or(String::new(), |t| format!(
                ", each run timing out {} after its slot",
                super::human::duration(t)
            ))
        ),
        Event::Debounced {
            key,
            period_ms,
            supersedes,
        } => {
            let superseding = supersedes
                .as_ref()
                .map_or(String::new(), |r| format!(", superseding run {r}"));
            format!(
                "key {key:?} period {}: runs at +{period_ms}ms unless a later start of the \
                 key comes first{superseding}",
                super::human::duration(*period_ms)
            )
        }
        Event::PendingJob(job) => format!(
            "(delivered by the next task) {}",
            job_details(job, activities)
        ),
        Event::Paused {
            reason,
            identity,
            time_ms,
        }
        | Event::Unpaused {
            reason,
            identity,
            time_ms,
        } => steered(identity, *time_ms, reason),
        Event::ActivityPaused {
            seq,
            reason,
            identity,
            time_ms,
        }
        | Event::ActivityUnpaused {
            seq,
            reason,
            identity,
            time_ms,
        }
        | Event::ActivityReset {
            seq,
            reason,
            identity,
            time_ms,
        } => format!("seq={seq} {}", steered(identity, *time_ms, reason)),
        Event::ActivityOptionsUpdated {
            seq,
            options,
            reason,
            identity,
            time_ms,
        } => format!(
            "seq={seq} start-to-close={}ms schedule-to-close={} heartbeat={} retry={} {}",
            options.start_to_close_timeout_ms,
            optional_ms(options.schedule_to_close_timeout_ms),
            optional_ms(options.heartbeat_timeout_ms),
            retry_text(options.retry_policy.as_ref()),
            steered(identity, *time_ms, reason)
        ),
        Event::ModuleChanged {
            from_digest,
            to_digest,
            ..
        } => format!(
            "from {} to {}",
            short_digest(from_digest),
            short_digest(to_digest)
        ),
        Event::UserMetadata { summary, details } => {
            let summary = summary.as_deref().map(|s| format!("summary={s:?}"));
            let details = (details.as_ref()).map(|d| format!("details={:?}", truncate(d, 60)));
            [summary, details]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
        }
        Event::Fairness(f) => format!("key={:?} weight={}", f.key, f.weight),
        Event::ActivityFlow { seq, flow } | Event::ChildFlow { seq, flow } => {
            format!("seq={seq} {}", flow_text(flow))
        }
        Event::CurrentDetails { details } if details.is_empty() => "cleared".into(),
        Event::CurrentDetails { details } => format!("{:?}", truncate(details, 60)),
        Event::Arrived { time_ms } => format!("+{}ms", time_ms.saturating_sub(start_ms)),
        Event::Deadlines {
            run_deadline_ms,
            execution_deadline_ms,
        } => {
            let at = |d: &Option<u64>| {
                d.map_or("none".into(), |d| {
                    format!("+{}ms", d.saturating_sub(start_ms))
                })
            };
            format!(
                "run by {}, execution by {}",
                at(run_deadline_ms),
                at(execution_deadline_ms)
            )
        }
    }
}

/// What an activity or child set for itself: `priority=1 fairness="a":2 key="stripe"`.
fn flow_text(flow: &weft_model::Flow) -> String {
    let priority = flow.priority.map(|p| format!("priority={p}"));
    let fairness = (flow.fairness.as_ref()).map(|f| format!("fairness={:?}:{}", f.key, f.weight));
    let key = (flow.concurrency_key.as_ref()).map(|k| format!("concurrency-key={k:?}"));
    let parts: Vec<String> = [priority, fairness, key].into_iter().flatten().collect();
    parts.join(" ")
}

fn task_failure(f: &crate::history::TaskFailure) -> String {
    let at = f
        .location
        .as_ref()
        .map(|l| format!(" at {l}"))
        .unwrap_or_default();
    format!("{}{at}", truncate(&f.message, VALUE_WIDTH))
}

fn job_details(job: &Job, activities: &HashMap<(bool, u32), String>) -> String {
    match job {
        Job::StartWorkflow(s) => {
            let mut out = format!("input={}", value(&s.input));
            if s.attempt > 1 {
                out.push_str(&format!(" attempt={}", s.attempt));
            }
            out
        }
        Job::ResolveActivity(r) | Job::ResolveLocalActivity(r) => {
            let local = matches!(job, Job::ResolveLocalActivity(_));
            let outcome = match &r.resolution {
                ActivityResolution::Completed(p) => format!("completed {}", value(p)),
                ActivityResolution::Failed(f) => format!("failed {}", message(&failure(f))),
                ActivityResolution::Cancelled(f) => format!("cancelled {}", message(&failure(f))),
                ActivityResolution::TimedOut(f) => format!("timed out {}", message(&failure(f))),
            };
            format!(
                "{} seq={} {outcome}",
                activity_name(activities, local, r.seq),
                r.seq
            )
        }
        Job::FireTimer(seq) => format!("seq={seq}"),
        Job::Signal(s) => format!("{} input={}", s.name, value(&s.input)),
        Job::Update(u) => format!("{} id={} input={}", u.name, u.id, value(&u.input)),
        Job::Query(q) => format!("{} id={} input={}", q.name, q.id, value(&q.input)),
        Job::CancelRequested => String::new(),
        Job::ResolveChildWorkflow(r) => {
            let outcome = match &r.resolution {
                ChildResolution::Started(run) => format!("started run={run}"),
                ChildResolution::Completed(p) => format!("completed {}", value(p)),
                ChildResolution::Failed(f) => format!("failed {}", message(&failure(f))),
                ChildResolution::Cancelled(f) => format!("cancelled {}", message(&failure(f))),
                ChildResolution::Terminated(f) => format!("terminated {}", message(&failure(f))),
            };
            format!("seq={} {outcome}", r.seq)
        }
        Job::ChildCancelRequested(seq) => format!("seq={seq} recorded by the child"),
    }
}

fn command_details(command: &Command) -> String {
    match command {
        Command::ScheduleActivity(s) | Command::ScheduleLocalActivity(s) => format!(
            "{} seq={} input={}",
            s.activity_type,
            s.seq,
            value(&s.input)
        ),
        Command::RequestCancelActivity(seq)
        | Command::CancelTimer(seq)
        | Command::CancelChildWorkflow(seq) => format!("seq={seq}"),
        Command::StartTimer(t) => format!("seq={} for {}", t.seq, duration(t.duration_ms)),
        Command::StartChildWorkflow(c) => {
            let id = c
                .workflow_id
                .as_ref()
                .map(|id| format!(" id={id}"))
                .unwrap_or_default();
            format!(
                "{} seq={}{id} input={}",
                c.workflow_type,
                c.seq,
                value(&c.input)
            )
        }
        Command::SignalExternal(s) => format!(
            "{} seq={} to={} input={}",
            s.name,
            s.seq,
            s.workflow_id,
            value(&s.input)
        ),
        Command::RecordMarker(Marker::Patch(id)) => format!("patch {id}"),
        Command::RecordMarker(Marker::SideEffect(p)) => format!("side-effect {}", value(p)),
        Command::UpsertSearchAttributes(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(
                    |(k, p)| match weft_types::search_attributes::decode(&p.data) {
                        Ok(Some(v)) => format!("{k}={v} ({})", v.kind()),
                        Ok(None) => format!("{k} removed"),
                        Err(_) => format!("{k}={}", payload(p, VALUE_WIDTH)),
                    },
                )
                .collect();
            truncate(&fields.join(" "), VALUE_WIDTH)
        }
        Command::UpsertMemo(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|(k, p)| format!("{k}={}", payload(p, VALUE_WIDTH)))
                .collect();
            truncate(&fields.join(" "), VALUE_WIDTH)
        }
        Command::RespondQuery(r) => format!("id={} {}", r.id, result(&r.result)),
        Command::AcceptUpdate(id) => format!("id={id}"),
        Command::RejectUpdate((id, f)) => format!("id={id} {}", message(&failure(f))),
        Command::CompleteUpdate(u) => format!("id={} {}", u.id, result(&u.result)),
        Command::CompleteWorkflow(p) => value(p),
        Command::FailWorkflow(f) => message(&failure(f)),
        Command::ContinueAsNew(c) => {
            let workflow_type = c
                .workflow_type
                .as_ref()
                .map(|t| format!("{t} "))
                .unwrap_or_default();
            format!("{workflow_type}input={}", value(&c.input))
        }
        Command::CancelWorkflowConfirmed => String::new(),
    }
}

fn activity_name(activities: &HashMap<(bool, u32), String>, local: bool, seq: u32) -> &str {
    activities
        .get(&(local, seq))
        .map_or("activity", String::as_str)
}

fn value(p: &Payload) -> String {
    payload(p, VALUE_WIDTH)
}

fn message(text: &str) -> String {
    truncate(text, VALUE_WIDTH)
}

fn result(r: &Result<Payload, crate::contract::Failure>) -> String {
    match r {
        Ok(p) => format!("ok {}", value(p)),
        Err(f) => format!("error {}", message(&failure(f))),
    }
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
mod tests;
