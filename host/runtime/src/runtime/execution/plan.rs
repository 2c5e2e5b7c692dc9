//! The task planner: what a workflow task records and sets going, decided from what the
//! task produced and what the run holds. It is pure: no instance, no storage, no host,
//! so it is tested without wasm (below). The actor is the effect executor: it runs the
//! task on the instance, gathers what the plan needs (`task.rs`), commits the plan's
//! writes and, once they are durable, acts on it (arms timers, dispatches activities,
//! starts children, carries out the effects, closes the run).
//!
//! | the task produced                 | events                                  | writes                                            | effects                      |
//! |-----------------------------------|-----------------------------------------|---------------------------------------------------|------------------------------|
//! | commands                          | task-started, jobs, current details if changed, commands (+ a child's options) | timers armed and cancelled; search attributes changed; outbox rows of its effects | signals, children's cancellations |
//! | … one of them closes the run      | the same                                | … and the closed record, its outcome, its timers gone, close-policy rows | … then the close policies |
//! | … local activities (not a start)  | held back ([`Plan::Defer`]): recorded with the task that delivers their results | | |
//! | a failure, the run fails on panic | task-started, jobs, task-failed         | the closed record, outcome, timers gone           | close policies               |
//! | a failure, the task is retried    | task-started, jobs, task-attempt-failed (once per streak, unless it delivered new jobs) | — | — |
//! | the start's input never decodes   | nothing: [`Plan::RefuseStart`]          |                                                   |                              |
//!
//! Every plan also deletes the rows of the timers whose firing it delivers and the
//! outbox rows its requests came from. [`close`] plans a close the host decides on
//! (termination, a deadline) with no workflow code run.

use std::collections::BTreeMap;

use super::{Retry, RunRecord, TimerRow, Write};
use crate::history::machines::TimerMachine;
use crate::history::vocab::{ChildOptions, ParentClosePolicy};
use crate::history::{Command, Event, IssuedCommand, Job, Outcome, TaskFailure};
use crate::payload_codec::PayloadCodec;
use crate::runtime::outbox::{Effect, Outgoing};
use crate::runtime::status_of;
use crate::runtime::task_retry::backoff;
use crate::storage::RunAttributes;

/// What the planner reads of the run.
pub(crate) struct RunView<'a> {
    pub record: &'a RunRecord,
    /// History index of the first event the plan records.
    pub next_index: usize,
    /// Armed timers by seq.
    pub armed: &'a BTreeMap<u32, TimerRow>,
    /// The children the run watches, in the order they were started.
    pub children: Vec<WatchedChild<'a>>,
    /// What the task gave its commands aside from them, by seq.
    pub aside: &'a Aside,
    /// Timers whose firing the task delivers.
    pub fired: &'a [TimerRow],
    /// The failing task's retry, if the last attempt failed.
    pub retry: Option<&'a Retry>,
    /// Nothing of the run is durable yet: this plan records its start.
    pub first_commit: bool,
    pub codec: &'a PayloadCodec,
}

/// A child the run watches.
pub(crate) struct WatchedChild<'a> {
    pub seq: u32,
    pub workflow_id: &'a str,
    pub policy: ParentClosePolicy,
}

/// One workflow task's result, as the executor gathered it.
pub(crate) struct Task<'a> {
    pub time_ms: u64,
    /// The jobs the task delivered for the first time (recorded with it).
    pub jobs: &'a [Job],
    pub produced: &'a Result<Vec<IssuedCommand>, TaskFailure>,
    /// A panic closes the run as failed (the workflow opted in).
    pub panic_fails_run: bool,
    /// The current details the task left changed (`set-current-details`).
    pub details: Option<String>,
    /// The run's search attributes and memo after the task, and whether it changed them.
    pub attributes: Option<(RunAttributes, bool)>,
    /// Deletions of the outbox rows the delivered requests came from, the rows of
    /// their request ids and of the updates the task completes.
    pub origins: Vec<Write>,
    /// The run a continue-as-new starts: its record and first events.
    pub next_run: Vec<Write>,
}

/// What to do with a task.
#[derive(Debug)]
pub(crate) enum Plan {
    /// The start's input can never be taken: refuse the start, record nothing.
    RefuseStart(String),
    /// Hold the task back until its local activities are done; it is recorded with the
    /// task that delivers their results.
    Defer(Recording),
    /// Commit the recording, then act on it.
    Record(Recording),
}

/// What one commit records, and what follows it.
#[derive(Debug, Default)]
pub(crate) struct Recording {
    pub events: Vec<Event>,
    pub writes: Vec<Write>,
    /// Effects on other runs, in the order they are carried out (their outbox rows are
    /// among `writes`).
    pub effects: Vec<Outgoing>,
    /// How the run closes, if it does.
    pub outcome: Option<Outcome>,
    /// The run's record once closed.
    pub closed: Option<RunRecord>,
    /// The retry of a task that failed.
    pub retry: Option<Retry>,
}

/// Plan what `task` records and sets going.
pub(crate) fn plan_task(view: &RunView, task: Task) -> Plan {
    let time_ms = task.time_ms;
    let mut events = vec![Event::TaskStarted { time_ms }];
    events.extend(task.jobs.iter().cloned().map(Event::Job));
    let mut writes = Vec::new();
    let mut retry = None;
    let outcome = match task.produced {
        Ok(commands) => {
            if let Some(details) = task.details {
                events.push(Event::CurrentDetails { details });
            }
            record_commands(view, commands, &mut events);
            writes.extend(timer_writes(view, commands, time_ms));
            if let Some((values, true)) = task.attributes {
                writes.push(Write::PutAttributes {
                    run_id: view.record.run_id.clone(),
                    start_ms: view.record.start_ms,
                    attributes: values,
                });
            }
            commands
                .iter()
                .find_map(|c| Outcome::of_command(&c.command))
        }
        Err(failure) if task.panic_fails_run => {
            events.push(Event::TaskFailed(failure.clone()));
            Outcome::of_event(events.last().expect("just pushed"))
        }
        Err(failure) => {
            let attempt = view.retry.map_or(1, |r| r.attempt + 1);
            let at_ms = time_ms.saturating_add(backoff(attempt));
            if view.retry.is_some() && task.jobs.is_empty() {
                // Recorded once: nothing new to make durable.
                events.clear();
            } else {
                events.push(Event::TaskAttemptFailed {
                    failure: failure.clone(),
                    attempt,
                    retry_at_ms: at_ms,
                });
            }
            retry = Some(Retry { attempt, at_ms });
            None
        }
    };
    if let (true, Some(Outcome::Failed(failure))) = (view.first_commit, &outcome) {
        if failure.error_type == weft_types::error_types::INVALID_INPUT {
            return Plan::RefuseStart(failure.message.clone());
        }
    }
    if !crate::runtime::canary::active(crate::runtime::canary::Canary::KeepFiredTimer) {
        writes.extend(view.fired.iter().cloned().map(Write::DeleteTimer));
    }
    writes.extend(task.origins);
    let effects = command_effects(view, &events);
    writes.extend(effects.iter().map(Outgoing::row));
    let mut recording = Recording {
        events,
        writes,
        effects,
        outcome,
        closed: None,
        retry,
    };
    if let Ok(commands) = task.produced {
        if recording.outcome.is_none() && !view.first_commit && schedules_locals(commands) {
            return Plan::Defer(recording);
        }
    }
    if let Some(outcome) = recording.outcome.clone() {
        close_into(view, &mut recording, &outcome, time_ms);
    }
    recording.writes.extend(task.next_run);
    Plan::Record(recording)
}

/// Plan closing the run with `event` (a termination, a deadline), no workflow code run.
pub(crate) fn close(
    view: &RunView,
    event: Event,
    outcome: Outcome,
    time_ms: u64,
    origin: Vec<Write>,
) -> Recording {
    let mut recording = Recording {
        events: vec![event],
        writes: view.fired.iter().cloned().map(Write::DeleteTimer).collect(),
        ..Recording::default()
    };
    recording.writes.extend(origin);
    close_into(view, &mut recording, &outcome, time_ms);
    recording.outcome = Some(outcome);
    recording
}

/// Whether `commands` schedule local activities.
fn schedules_locals(commands: &[IssuedCommand]) -> bool {
    commands
        .iter()
        .any(|c| matches!(c.command, Command::ScheduleLocalActivity(_)))
}

/// What a task gave its commands through imports rather than in them, by the
/// command's seq, until they are recorded and acted on.
#[derive(Debug, Default)]
pub struct Aside {
    pub child_options: BTreeMap<u32, ChildOptions>,
    pub activity_flows: BTreeMap<u32, weft_model::Flow>,
    pub child_flows: BTreeMap<u32, weft_model::Flow>,
}

impl Aside {
    pub fn is_empty(&self) -> bool {
        self.child_options.is_empty()
            && self.activity_flows.is_empty()
            && self.child_flows.is_empty()
    }

    /// Add what a task gave.
    pub fn extend(&mut self, task: crate::engine::TaskAside) {
        self.child_options.extend(task.child_options);
        self.activity_flows.extend(task.activity_flows);
        self.child_flows.extend(task.child_flows);
    }
}

/// The task's commands as events, each child start followed by its options and flow,
/// each activity by its flow.
fn record_commands(view: &RunView, commands: &[IssuedCommand], events: &mut Vec<Event>) {
    for c in commands {
        events.push(Event::Command(c.clone()));
        match &c.command {
            Command::StartChildWorkflow(start) => {
                let seq = start.seq;
                if let Some(options) = view.aside.child_options.get(&seq) {
                    events.push(Event::ChildOptions {
                        seq,
                        options: options.clone(),
                    });
                }
                if let Some(flow) = view.aside.child_flows.get(&seq) {
                    events.push(Event::ChildFlow {
                        seq,
                        flow: flow.clone(),
                    });
                }
            }
            Command::ScheduleActivity(s) => {
                // The activity is dispatched from the recorded state: its flow is taken
                // from here.
                if let Some(flow) = view.aside.activity_flows.get(&s.seq) {
                    events.push(Event::ActivityFlow {
                        seq: s.seq,
                        flow: flow.clone(),
                    });
                }
            }
            _ => {}
        }
    }
}

/// Add to `recording` what closing the run writes (its record, its outcome, its timers
/// gone) and its children's close policies, after its other effects.
fn close_into(view: &RunView, recording: &mut Recording, outcome: &Outcome, time_ms: u64) {
    let closing_index = view.next_index + recording.events.len();
    let mut record = view.record.clone();
    record.status = status_of(outcome);
    record.close_ms = Some(time_ms);
    record.history_len = closing_index as u64;
    recording.writes.extend([
        Write::PutRun(record.clone()),
        Write::PutOutcome {
            run_id: record.run_id.clone(),
            outcome: crate::runtime::outcome::encode(view.codec, outcome),
        },
    ]);
    recording
        .writes
        .extend(view.armed.values().cloned().map(Write::DeleteTimer));
    let policies = policy_effects(view, closing_index);
    recording.writes.extend(policies.iter().map(Outgoing::row));
    recording.effects.extend(policies);
    recording.closed = Some(record);
}

/// Timer rows to write with `commands`: started timers in, cancelled ones out.
fn timer_writes(view: &RunView, commands: &[IssuedCommand], time_ms: u64) -> Vec<Write> {
    let mut writes = Vec::new();
    for c in commands {
        match &c.command {
            Command::StartTimer(t) => {
                // Due when its machine will say, once the commit steps it.
                let timer = TimerMachine::started(t.seq, t.duration_ms, time_ms).pending();
                writes.push(Write::PutTimer(TimerRow {
                    fire_at_ms: timer.fire_at_ms,
                    run_id: view.record.run_id.clone(),
                    seq: t.seq,
                }))
            }
            Command::CancelTimer(seq) => {
                if let Some(row) = view.armed.get(seq) {
                    writes.push(Write::DeleteTimer(row.clone()));
                }
                // A timer started by this same task (a `select!` whose other branch was
                // ready at once) never needs its row.
                writes.retain(|w| !matches!(w, Write::PutTimer(row) if row.seq == *seq));
            }
            _ => {}
        }
    }
    writes
}

/// The effects of the `signal-external` and `cancel-child-workflow` commands among
/// `events` (the first of them at history index `view.next_index`).
fn command_effects(view: &RunView, events: &[Event]) -> Vec<Outgoing> {
    let run_id = &view.record.run_id;
    let mut out = Vec::new();
    for (i, event) in events.iter().enumerate() {
        let Event::Command(c) = event else { continue };
        let index = (view.next_index + i) as u64;
        match &c.command {
            Command::SignalExternal(signal) => {
                let effect = Effect::Signal {
                    workflow_id: signal.workflow_id.clone(),
                    event_index: index,
                };
                let mut outgoing = Outgoing::new(run_id, index << 16, effect);
                outgoing.signal = Some(signal.clone());
                out.push(outgoing);
            }
            Command::CancelChildWorkflow(seq) => {
                // A child that was never started has nothing to cancel.
                if let Some(workflow_id) = child_id(view, *seq, events) {
                    let effect = Effect::CancelChild { workflow_id };
                    let mut outgoing = Outgoing::new(run_id, index << 16, effect);
                    outgoing.child_seq = Some(*seq);
                    out.push(outgoing);
                }
            }
            _ => {}
        }
    }
    out
}

/// The workflow id of child `seq`: one the run watches, or one started among `events`.
fn child_id(view: &RunView, seq: u32, events: &[Event]) -> Option<String> {
    if let Some(child) = view.children.iter().find(|c| c.seq == seq) {
        return Some(child.workflow_id.to_string());
    }
    events.iter().find_map(|e| match e {
        Event::Command(c) => match &c.command {
            Command::StartChildWorkflow(start) if start.seq == seq => Some(
                start
                    .workflow_id
                    .clone()
                    .unwrap_or_else(|| format!("child-{seq}")),
            ),
            _ => None,
        },
        _ => None,
    })
}

/// The close policies of the open children of a run that closes with the event at
/// history index `closing_index`, in the order the children were started.
fn policy_effects(view: &RunView, closing_index: usize) -> Vec<Outgoing> {
    view.children
        .iter()
        .filter(|c| c.policy != ParentClosePolicy::Abandon)
        .enumerate()
        .map(|(n, child)| {
            let effect = Effect::ClosePolicy {
                workflow_id: child.workflow_id.to_string(),
                terminate: child.policy == ParentClosePolicy::Terminate,
            };
            let ordinal = ((closing_index as u64) << 16) | (n as u64 + 1);
            Outgoing::new(&view.record.run_id, ordinal, effect)
        })
        .collect()
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
