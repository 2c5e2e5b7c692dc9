//! The timeline of a run: one row per activity, timer, child workflow and update (and
//! one for the workflow itself), each a span over time with its attempts, backoffs and
//! outcome; signals, cancel requests and failed workflow tasks are marks on the
//! workflow's row. A pure function of the history; `timeline_svg` draws it.
//!
//! An event is placed at its own time, or at the latest before it: a result at the task
//! that received it, a failed activity attempt or a cancel request when it arrived
//! (recorded with it since history format 8; older histories place it at the task
//! before).

use std::collections::HashMap;

use crate::contract::{ActivityResolution, Command, Job};
use crate::history::vocab::ChildResolution;
use crate::history::Event;

/// What a row stands for (its `data-kind`).
pub(crate) type Kind = &'static str;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Timeline {
    pub(crate) start_ms: u64,
    /// The close, or `now` while the run is open.
    pub(crate) end_ms: u64,
    pub(crate) rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) kind: Kind,
    /// The command's sequence number (updates: their order of arrival; the workflow: 0).
    pub(crate) seq: u32,
    pub(crate) local: bool,
    pub(crate) label: String,
    /// The history index of the event that opened the row.
    pub(crate) first_event: usize,
    pub(crate) from_ms: u64,
    /// `None` while pending.
    pub(crate) to_ms: Option<u64>,
    /// `pending` until it ends: `completed`, `failed`, `cancelled`, `timed-out`, `fired`,
    /// `rejected`, `terminated`, `continued-as-new`.
    pub(crate) outcome: &'static str,
    pub(crate) attempts: u32,
    /// Waits between failed attempts.
    pub(crate) backoffs: Vec<(u64, u64)>,
    /// A timer's planned firing.
    pub(crate) planned_ms: Option<u64>,
    pub(crate) marks: Vec<Mark>,
    /// A child's run, once started.
    pub(crate) child_run: Option<String>,
    /// An update's id (rows of other kinds are found by seq).
    key: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Mark {
    pub(crate) at_ms: u64,
    /// `failure`, `signal`, `cancel`, `started`.
    pub(crate) kind: &'static str,
    pub(crate) title: String,
}

/// The timeline of `events`; `now_ms` ends what is still pending. `closed_ms`, the
/// close time of a closed run's record, places its end where it happened (a
/// termination or a timeout has no task, so no time, in the history).
pub(crate) fn model(events: &[Event], now_ms: u64, closed_ms: Option<u64>) -> Timeline {
    let mut builder = Builder::default();
    for (index, event) in events.iter().enumerate() {
        builder.event(index, event);
    }
    let Builder { mut rows, now, .. } = builder;
    let start_ms = rows.first().map_or(now, |r| r.from_ms);
    let end_ms = match (closed_ms, rows.first().and_then(|w| w.to_ms)) {
        (Some(closed), _) => closed.max(now),
        (None, Some(closed)) => closed,
        (None, None) => now.max(now_ms),
    };
    if let (Some(_), Some(workflow)) = (closed_ms, rows.first_mut()) {
        workflow.to_ms = Some(end_ms);
    }
    Timeline {
        start_ms,
        end_ms: end_ms.max(start_ms),
        rows,
    }
}

#[derive(Default)]
struct Builder {
    rows: Vec<Row>,
    by_key: HashMap<(Kind, bool, String), usize>,
    now: u64,
    updates: u32,
}

impl Builder {
    fn event(&mut self, index: usize, event: &Event) {
        if let Some(time_ms) = event.time_ms() {
            self.now = time_ms;
        }
        match event {
            Event::ExecutionStarted(s) => {
                self.open(
                    ("workflow", false, String::new()),
                    0,
                    &s.workflow_type,
                    index,
                );
            }
            Event::Command(c) => self.command(index, &c.command),
            Event::Job(job) | Event::PendingJob(job) => self.job(index, job),
            Event::ActivityAttemptFailed {
                seq,
                attempt,
                failure,
                retry_at_ms,
            }
            | Event::LocalActivityAttemptFailed {
                seq,
                attempt,
                failure,
                retry_at_ms,
            } => {
                let local = matches!(event, Event::LocalActivityAttemptFailed { .. });
                let now = self.now;
                if let Some(row) = self.row(("activity", local, seq.to_string())) {
                    row.attempts = row.attempts.max(attempt + 1);
                    row.backoffs.push((now, *retry_at_ms));
                    row.marks.push(Mark {
                        at_ms: now,
                        kind: "failure",
                        title: format!("attempt {attempt} failed: {}", failure.message),
                    });
                }
            }
            Event::TaskAttemptFailed {
                failure, attempt, ..
            } => self.workflow_mark(
                "failure",
                format!("task attempt {attempt} failed: {}", failure.message),
            ),
            Event::CancelRequested { reason } => {
                self.workflow_mark("cancel", format!("cancel requested: {reason}"))
            }
            Event::Terminated { .. } => self.close_workflow("terminated"),
            Event::TimedOut { .. } => self.close_workflow("timed-out"),
            Event::TaskFailed(_) => self.close_workflow("failed"),
            _ => {}
        }
    }

    fn command(&mut self, index: usize, command: &Command) {
        match command {
            Command::ScheduleActivity(s) | Command::ScheduleLocalActivity(s) => {
                let local = matches!(command, Command::ScheduleLocalActivity(_));
                self.open(
                    ("activity", local, s.seq.to_string()),
                    s.seq,
                    &s.activity_type,
                    index,
                );
            }
            Command::StartTimer(t) => {
                let planned = self.now + t.duration_ms;
                let label = format!("timer {}", super::layout::duration(t.duration_ms));
                if let Some(row) =
                    self.open(("timer", false, t.seq.to_string()), t.seq, &label, index)
                {
                    row.planned_ms = Some(planned);
                }
            }
            Command::CancelTimer(seq) => self.close(("timer", false, seq.to_string()), "cancelled"),
            Command::StartChildWorkflow(c) => {
                let label = match &c.workflow_id {
                    Some(id) => format!("{} {id}", c.workflow_type),
                    None => c.workflow_type.clone(),
                };
                self.open(("child", false, c.seq.to_string()), c.seq, &label, index);
            }
            Command::RequestCancelActivity(seq) => {
                let now = self.now;
                for local in [false, true] {
                    if let Some(row) = self.row(("activity", local, seq.to_string())) {
                        row.marks.push(Mark {
                            at_ms: now,
                            kind: "cancel",
                            title: "cancel requested".into(),
                        });
                    }
                }
            }
            Command::RejectUpdate((id, _)) => self.close(("update", false, id.clone()), "rejected"),
            Command::CompleteUpdate(u) => {
                let outcome = if u.result.is_ok() {
                    "completed"
                } else {
                    "failed"
                };
                self.close(("update", false, u.id.clone()), outcome);
            }
            Command::CompleteWorkflow(_) => self.close_workflow("completed"),
            Command::FailWorkflow(_) => self.close_workflow("failed"),
            Command::ContinueAsNew(_) => self.close_workflow("continued-as-new"),
            Command::CancelWorkflowConfirmed => self.close_workflow("cancelled"),
            _ => {}
        }
    }

    fn job(&mut self, index: usize, job: &Job) {
        match job {
            Job::ResolveActivity(r) | Job::ResolveLocalActivity(r) => {
                let local = matches!(job, Job::ResolveLocalActivity(_));
                let outcome = match &r.resolution {
                    ActivityResolution::Completed(_) => "completed",
                    ActivityResolution::Failed(_) => "failed",
                    ActivityResolution::Cancelled(_) => "cancelled",
                    ActivityResolution::TimedOut(_) => "timed-out",
                };
                self.close(("activity", local, r.seq.to_string()), outcome);
            }
            Job::FireTimer(seq) => self.close(("timer", false, seq.to_string()), "fired"),
            Job::ResolveChildWorkflow(r) => {
                let key = ("child", false, r.seq.to_string());
                let outcome = match &r.resolution {
                    ChildResolution::Started(run) => {
                        let now = self.now;
                        if let Some(row) = self.row(key) {
                            row.child_run = Some(run.clone());
                            row.marks.push(Mark {
                                at_ms: now,
                                kind: "started",
                                title: format!("started run {run}"),
                            });
                        }
                        return;
                    }
                    ChildResolution::Completed(_) => "completed",
                    ChildResolution::Failed(_) => "failed",
                    ChildResolution::Cancelled(_) => "cancelled",
                    ChildResolution::Terminated(_) => "terminated",
                };
                self.close(key, outcome);
            }
            Job::Signal(s) => self.workflow_mark("signal", format!("signal {}", s.name)),
            Job::Update(u) => {
                let key = ("update", false, u.id.clone());
                if !self.by_key.contains_key(&key) {
                    self.updates += 1;
                    let label = format!("update {}", u.name);
                    self.open(key, self.updates, &label, index);
                }
            }
            _ => {}
        }
    }

    /// A new row (a repeated opening, as a carried job after a failed task, is ignored).
    fn open(
        &mut self,
        key: (Kind, bool, String),
        seq: u32,
        label: &str,
        index: usize,
    ) -> Option<&mut Row> {
        if self.by_key.contains_key(&key) {
            return None;
        }
        self.by_key.insert(key.clone(), self.rows.len());
        self.rows.push(Row {
            kind: key.0,
            seq,
            local: key.1,
            label: label.to_string(),
            first_event: index,
            from_ms: self.now,
            to_ms: None,
            outcome: "pending",
            attempts: 1,
            backoffs: Vec::new(),
            planned_ms: None,
            marks: Vec::new(),
            child_run: None,
            key: key.2,
        });
        self.rows.last_mut()
    }

    fn row(&mut self, key: (Kind, bool, String)) -> Option<&mut Row> {
        let at = *self.by_key.get(&key)?;
        self.rows.get_mut(at)
    }

    /// End a row at the current time; the first ending stands.
    fn close(&mut self, key: (Kind, bool, String), outcome: &'static str) {
        let now = self.now;
        if let Some(row) = self.row(key) {
            if row.to_ms.is_none() {
                row.to_ms = Some(now);
                row.outcome = outcome;
            }
        }
    }

    fn close_workflow(&mut self, outcome: &'static str) {
        self.close(("workflow", false, String::new()), outcome);
    }

    fn workflow_mark(&mut self, kind: &'static str, title: String) {
        let at_ms = self.now;
        if let Some(row) = self.row(("workflow", false, String::new())) {
            row.marks.push(Mark { at_ms, kind, title });
        }
    }
}

impl Row {
    /// What the row is, for a person: "Activity greet (seq 1): completed after 1.0 s,
    /// 2 attempts".
    pub(crate) fn describe(&self, now_ms: u64) -> String {
        let what = match (self.kind, self.local) {
            ("activity", true) => "Local activity",
            ("activity", false) => "Activity",
            ("timer", _) => "Timer",
            ("child", _) => "Child workflow",
            ("update", _) => "Update",
            _ => "Workflow",
        };
        let seq = match self.kind {
            "workflow" => String::new(),
            "update" => format!(" (id {})", self.key),
            _ => format!(" (seq {})", self.seq),
        };
        let took =
            super::layout::duration(self.to_ms.unwrap_or(now_ms).saturating_sub(self.from_ms));
        let state = match self.to_ms {
            Some(_) => format!("{} after {took}", self.outcome),
            None => format!("pending for {took}"),
        };
        let attempts = if self.attempts > 1 {
            format!(", {} attempts", self.attempts)
        } else {
            String::new()
        };
        format!("{what} {}{seq}: {state}{attempts}", self.label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{IssuedCommand, Payload, ResolveActivity, StartTimer};
    use crate::history::vocab::{Failure, Signal, Update};
    use crate::history::ExecutionStarted;

    const T0: u64 = 1_795_324_203_146;

    fn command(command: Command) -> Event {
        Event::Command(IssuedCommand {
            command,
            location: None,
        })
    }

    fn failure(message: &str) -> Failure {
        Failure::new(message, "io")
    }

    /// `greet` fails once and is retried after a second, a 2 s timer fires, a signal
    /// and an update arrive, the workflow completes.
    fn history() -> Vec<Event> {
        // The command in its stored shape (options left out are none).
        let input = serde_json::to_value(Payload::json(&serde_json::json!("world"))).unwrap();
        let schedule: Event = serde_json::from_value(serde_json::json!({"Command": {
            "command": {"ScheduleActivity": {"seq": 1, "activity_type": "greet", "input": input,
                "options": {"start_to_close_timeout_ms": 10_000}}},
            "location": null,
        }}))
        .expect("a schedule-activity command");
        vec![
            Event::ExecutionStarted(ExecutionStarted {
                workflow_type: "hello".into(),
                workflow_id: "hello-1".into(),
                run_id: "r1".into(),
                module_digest: "d".into(),
                time_ms: T0,
            }),
            Event::TaskStarted { time_ms: T0 },
            schedule,
            Event::ActivityAttemptFailed {
                seq: 1,
                attempt: 1,
                failure: failure("reset"),
                retry_at_ms: T0 + 1000,
            },
            Event::TaskStarted { time_ms: T0 + 1012 },
            Event::Job(Job::ResolveActivity(ResolveActivity {
                seq: 1,
                resolution: ActivityResolution::Completed(Payload::json(&serde_json::json!("hi"))),
            })),
            command(Command::StartTimer(StartTimer {
                seq: 2,
                duration_ms: 2000,
            })),
            Event::TaskStarted { time_ms: T0 + 1500 },
            Event::Job(Job::Signal(Signal {
                name: "<script>".into(),
                input: Payload::json(&serde_json::json!(1)),
            })),
            Event::Job(Job::Update(Update {
                id: "u1".into(),
                name: "bump".into(),
                input: Payload::json(&serde_json::json!(1)),
            })),
            command(Command::RejectUpdate(("u1".into(), failure("no")))),
            Event::TaskStarted { time_ms: T0 + 3013 },
            Event::Job(Job::FireTimer(2)),
            command(Command::CompleteWorkflow(Payload::json(
                &serde_json::json!("done"),
            ))),
        ]
    }

    #[test]
    fn rows_follow_the_commands_with_their_attempts_and_outcomes() {
        let t = model(&history(), T0 + 99_999, None);
        assert_eq!(
            (t.start_ms, t.end_ms),
            (T0, T0 + 3013),
            "a closed run ends at its close"
        );
        let rows: Vec<(Kind, u32, &str, u64, Option<u64>)> = t
            .rows
            .iter()
            .map(|r| {
                (
                    r.kind,
                    r.seq,
                    r.outcome,
                    r.from_ms - T0,
                    r.to_ms.map(|t| t - T0),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("workflow", 0, "completed", 0, Some(3013)),
                ("activity", 1, "completed", 0, Some(1012)),
                ("timer", 2, "fired", 1012, Some(3013)),
                ("update", 1, "rejected", 1500, Some(1500)),
            ]
        );
        let greet = &t.rows[1];
        assert_eq!(
            (greet.attempts, greet.backoffs.clone()),
            (2, vec![(T0, T0 + 1000)])
        );
        assert_eq!(
            greet.describe(0),
            "Activity greet (seq 1): completed after 1.0 s, 2 attempts"
        );
        assert_eq!(t.rows[2].planned_ms, Some(T0 + 3012));
        let signal = &t.rows[0].marks[0];
        assert_eq!(
            (signal.kind, signal.at_ms, signal.title.as_str()),
            ("signal", T0 + 1500, "signal <script>")
        );
    }

    #[test]
    fn an_open_run_ends_now_and_its_pending_rows_stay_open() {
        let mut events = history();
        events.truncate(7);
        let t = model(&events, T0 + 5000, None);
        assert_eq!(t.end_ms, T0 + 5000);
        assert_eq!((t.rows[2].outcome, t.rows[2].to_ms), ("pending", None));
        assert_eq!(
            t.rows[2].describe(T0 + 5000),
            "Timer timer 2.0 s (seq 2): pending for 4.0 s"
        );
    }

    #[test]
    fn a_failed_attempt_is_placed_when_it_arrived() {
        let mut events = history();
        // The attempt failed 400 ms after the task that scheduled it.
        events.insert(3, Event::Arrived { time_ms: T0 + 400 });
        let t = model(&events, T0 + 99_999, None);
        let greet = &t.rows[1];
        assert_eq!(greet.backoffs, vec![(T0 + 400, T0 + 1000)]);
        assert_eq!(greet.marks[0].at_ms, T0 + 400);
    }
}
