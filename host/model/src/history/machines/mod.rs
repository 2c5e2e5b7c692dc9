//! The run as state machines: one small machine per command kind, all driven by
//! [`RunState::apply`], one history event at a time.
//!
//! What a run waits for and how far it got is defined here once, as transitions, and
//! read from here by everything that asks: a host resuming a run from storage (what to
//! re-arm), `describe` (what the run waits for), a closed run's update lookup, and the
//! live actor. Folding a history is applying its events in order
//! ([`RunState::fold`]), so a state rebuilt from storage and one stepped live agree by
//! construction.
//!
//! | machine                 | created by                      | ended by                               | file        |
//! |-------------------------|---------------------------------|----------------------------------------|-------------|
//! | activity                | `schedule-activity`             | `resolve-activity`                     | `activity`  |
//! | local activity          | `schedule-local-activity`       | `resolve-local-activity`               | `local`     |
//! | timer                   | `start-timer`                   | `fire-timer`, `cancel-timer`           | `timer`     |
//! | child workflow          | `start-child-workflow`          | `resolve-child-workflow` (closed; kept)| `child`     |
//! | update (by id)          | `update` job or its command     | never (decided ones answer callers)    | `update`    |
//! | cancellation of the run | always there                    | `cancel-workflow-confirmed`            | `cancel`    |
//! | signal-external         | `signal-external`               | never (the outbox delivers it)         | `signal`    |
//! | markers                 | `record-marker`                 | never                                  | `marker`    |
//! | workflow task           | always there                    | never                                  | `task`      |
//! | pause of the run        | always there                    | never (`paused` ⇄ `unpaused`)          | `pause`     |
//!
//! Each file has its machine's transitions as a table (state × event → next state).
//! Events that name a machine the run does not have (a seq never scheduled, or already
//! resolved) change nothing. Commands of a kind are matched to their machine by seq
//! (updates by id); when two live machines of a kind share a seq (a history no host
//! writes) the one created first takes the event, and a resolution ends both.
//!
//! Besides its machines, the state keeps what the run itself records: the time of the
//! last task (a command's clock), the deadlines recorded among the first events, and
//! how the run closed.

mod activity;
mod cancel;
mod child;
mod local;
mod marker;
mod pause;
mod signal;
mod task;
mod timer;
mod update;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use activity::{ActivityMachine, ActivityState};
pub use cancel::{CancelMachine, CancelState};
pub use child::{ChildClosed, ChildMachine, ChildState};
pub use local::{LocalActivityMachine, LocalActivityState};
pub use marker::Markers;
pub use pause::{PauseInfo, PauseMachine};
pub use signal::SignalsSent;
pub use task::{TaskMachine, TaskState};
pub use timer::TimerMachine;
pub use update::UpdateState;

use super::vocab::{ChildOptions, ResolveActivity};
use super::{
    Command, Event, FailingTask, Failure, Heartbeat, Job, Outcome, PendingActivity, PendingChild,
    PendingTimer,
};

/// How many events at the start of a history may hold its `deadlines` (and its
/// `priority` and `fairness`: `ExecutionStarted`, `Deadlines`, `Priority`, `Fairness`,
/// `ContinuedFrom`).
pub(super) const DEADLINES_WITHIN: usize = 5;

/// A run's state: every machine of the run, stepped by [`RunState::apply`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunState {
    /// Events applied so far.
    applied: usize,
    /// The time of the last task: the clock of the commands it recorded.
    now_ms: u64,
    deadlines: Option<(Option<u64>, Option<u64>)>,
    /// The recorded `Priority`, if any (none: the default).
    priority: Option<u8>,
    /// The recorded `Fairness`, if any.
    fairness: Option<crate::Fairness>,
    activities: Vec<ActivityMachine>,
    locals: Vec<LocalActivityMachine>,
    timers: Vec<TimerMachine>,
    children: Vec<ChildMachine>,
    updates: BTreeMap<String, UpdateState>,
    cancel: CancelMachine,
    signals: SignalsSent,
    markers: Markers,
    task: TaskMachine,
    pause: PauseMachine,
    outcome: Option<Outcome>,
}

impl RunState {
    /// The state after `events`, applied in order.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> RunState {
        let mut state = RunState::default();
        for event in events {
            state.apply(event);
        }
        state
    }

    /// Step every machine `event` concerns.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::TaskStarted { time_ms } => {
                self.now_ms = *time_ms;
                self.task.started(*time_ms);
            }
            Event::Command(c) => {
                self.task.command();
                self.command(&c.command);
            }
            Event::Job(job) => {
                self.task.job(job);
                self.job(job);
            }
            Event::PendingJob(job) => {
                self.task.pending_job(job);
                // Recorded while the run was paused: the result is in, the job waits
                // for the next task (a cancellation is delivered only then).
                if !matches!(job, Job::CancelRequested) {
                    self.job(job);
                }
            }
            Event::Paused {
                reason,
                identity,
                time_ms,
            } => self.pause.pause(PauseInfo {
                reason: reason.clone(),
                identity: identity.clone(),
                time_ms: *time_ms,
            }),
            Event::Unpaused { .. } => self.pause.unpause(),
            Event::ActivityPaused {
                seq,
                reason,
                identity,
                time_ms,
            } => {
                if let Some(a) = self.activity(*seq) {
                    a.pause(PauseInfo {
                        reason: reason.clone(),
                        identity: identity.clone(),
                        time_ms: *time_ms,
                    });
                }
            }
            Event::ActivityUnpaused { seq, .. } => {
                if let Some(a) = self.activity(*seq) {
                    a.unpause();
                }
            }
            Event::ActivityReset { seq, .. } => {
                if let Some(a) = self.activity(*seq) {
                    a.reset();
                }
            }
            Event::ActivityOptionsUpdated { seq, options, .. } => {
                if let Some(a) = self.activity(*seq) {
                    a.set_options(options);
                }
            }
            Event::TaskAttemptFailed {
                failure,
                retry_at_ms,
                ..
            } => self.task.attempt_failed(failure, *retry_at_ms),
            Event::CancelRequested { reason } => self.cancel.requested(reason),
            Event::ChildOptions { seq, options } => self.child_options(*seq, options),
            Event::Deadlines {
                run_deadline_ms,
                execution_deadline_ms,
            } if self.applied < DEADLINES_WITHIN && self.deadlines.is_none() => {
                self.deadlines = Some((*run_deadline_ms, *execution_deadline_ms));
            }
            Event::Priority { priority } if self.applied < DEADLINES_WITHIN => {
                self.priority = Some(*priority);
            }
            Event::Fairness(fairness) if self.applied < DEADLINES_WITHIN => {
                self.fairness = Some(fairness.clone());
            }
            Event::ActivityFlow { seq, flow } => {
                if let Some(a) = self.activity(*seq) {
                    a.flow = flow.clone();
                }
            }
            Event::ChildFlow { seq, flow } => {
                if let Some(child) = self.child(*seq) {
                    child.flow = flow.clone();
                }
            }
            _ => self.attempt_report(event),
        }
        if let Some(outcome) = Outcome::of_event(event) {
            self.outcome = Some(outcome);
        }
        self.applied += 1;
    }

    /// A command the current task recorded.
    fn command(&mut self, command: &Command) {
        let now = self.now_ms;
        match command {
            Command::ScheduleActivity(s) => {
                let machine = ActivityMachine::scheduled(s, now, self.applied);
                self.activities.push(machine);
            }
            Command::RequestCancelActivity(seq) => {
                if let Some(a) = self.activity(*seq) {
                    a.cancel_requested();
                }
            }
            Command::ScheduleLocalActivity(s) => {
                self.locals.push(LocalActivityMachine::scheduled(s, now))
            }
            Command::StartTimer(t) => {
                self.timers
                    .push(TimerMachine::started(t.seq, t.duration_ms, now))
            }
            Command::CancelTimer(seq) => self.timers.retain(|t| t.seq != *seq),
            Command::StartChildWorkflow(s) => self.children.push(ChildMachine::started(s, now)),
            Command::CancelChildWorkflow(seq) => {
                if let Some(child) = self.child(*seq) {
                    child.cancel();
                }
            }
            Command::SignalExternal(s) => self.signals.recorded(s.seq, &s.workflow_id),
            Command::RecordMarker(marker) => self.markers.recorded(marker),
            Command::AcceptUpdate(id) => {
                self.updates.insert(id.clone(), UpdateState::Accepted);
            }
            Command::RejectUpdate((id, failure)) => {
                let state = UpdateState::rejected(self.updates.remove(id), failure);
                self.updates.insert(id.clone(), state);
            }
            Command::CompleteUpdate(done) => {
                let state = UpdateState::Completed(done.result.clone());
                self.updates.insert(done.id.clone(), state);
            }
            Command::CancelWorkflowConfirmed => self.cancel.confirmed(),
            Command::UpsertSearchAttributes(_)
            | Command::UpsertMemo(_)
            | Command::RespondQuery(_)
            | Command::CompleteWorkflow(_)
            | Command::FailWorkflow(_)
            | Command::ContinueAsNew(_) => {}
        }
    }

    /// A job the current task delivered.
    fn job(&mut self, job: &Job) {
        match job {
            Job::ResolveActivity(ResolveActivity { seq, .. }) => {
                self.activities.retain(|a| a.seq() != *seq)
            }
            Job::ResolveLocalActivity(ResolveActivity { seq, .. }) => {
                self.locals.retain(|l| l.seq() != *seq)
            }
            Job::FireTimer(seq) => self.timers.retain(|t| t.seq != *seq),
            Job::ResolveChildWorkflow(r) => {
                if let Some(child) = self.child(r.seq) {
                    child.resolved(&r.resolution);
                }
            }
            Job::Update(u) => {
                let state = UpdateState::delivered(self.updates.remove(&u.id));
                self.updates.insert(u.id.clone(), state);
            }
            Job::CancelRequested => self.cancel.delivered(),
            // News for the workflow; the child's own end resolves it.
            Job::StartWorkflow(_)
            | Job::Signal(_)
            | Job::Query(_)
            | Job::ChildCancelRequested(_) => {}
        }
    }

    /// What an activity's attempts reported between tasks.
    fn attempt_report(&mut self, event: &Event) {
        match event {
            Event::ActivityAttemptFailed {
                seq,
                attempt,
                failure,
                retry_at_ms,
            } => {
                if let Some(a) = self.activity(*seq) {
                    a.attempt_failed(*attempt, failure, *retry_at_ms);
                }
            }
            Event::LocalActivityAttemptFailed {
                seq,
                attempt,
                failure,
                retry_at_ms,
            } => self.local_attempt_failed(*seq, *attempt, failure, *retry_at_ms),
            Event::ActivityHeartbeat {
                seq,
                attempt,
                details,
                time_ms,
            } => {
                if let Some(a) = self.activity(*seq) {
                    a.heartbeat(Heartbeat {
                        attempt: *attempt,
                        details: details.clone(),
                        time_ms: *time_ms,
                    });
                }
            }
            _ => {}
        }
    }

    /// A local activity's long backoff: the one already backing off takes it, else the
    /// one running.
    fn local_attempt_failed(&mut self, seq: u32, attempt: u32, failure: &Failure, at: u64) {
        let order = self.applied;
        let of_seq = |l: &LocalActivityMachine| l.seq() == seq;
        let index = (self.locals.iter())
            .position(|l| of_seq(l) && l.backing_off())
            .or_else(|| self.locals.iter().position(of_seq));
        if let Some(i) = index {
            self.locals[i].attempt_failed(attempt, failure, at, order);
        }
    }

    fn child_options(&mut self, seq: u32, options: &ChildOptions) {
        if let Some(child) = self.child(seq) {
            child.options(options);
        }
    }

    /// The live activity `seq` (the first created, should two share it).
    fn activity(&mut self, seq: u32) -> Option<&mut ActivityMachine> {
        self.activities.iter_mut().find(|a| a.seq() == seq)
    }

    /// The child `seq` that has not closed.
    fn child(&mut self, seq: u32) -> Option<&mut ChildMachine> {
        self.children
            .iter_mut()
            .find(|c| c.seq() == seq && !c.is_closed())
    }
}

/// What the machines answer: what a run waits for and how far it got.
impl RunState {
    /// Activities and timers still waiting for their result, in the order they became
    /// pending. A local activity is pending only once a long backoff was recorded for
    /// it (before that it lives and dies with its workflow task).
    pub fn pending(&self) -> (Vec<PendingActivity>, Vec<PendingTimer>) {
        let remote = (self.activities.iter()).map(|a| (a.order, a.pending()));
        let local = self.locals.iter().filter_map(LocalActivityMachine::pending);
        let mut activities: Vec<(usize, PendingActivity)> = remote.chain(local).collect();
        activities.sort_by_key(|(order, _)| *order);
        let activities = activities.into_iter().map(|(_, a)| a).collect();
        let timers = self.timers.iter().map(TimerMachine::pending).collect();
        (activities, timers)
    }

    /// The timers started and neither fired nor cancelled.
    pub fn timers(&self) -> &[TimerMachine] {
        &self.timers
    }

    /// The activities scheduled and not resolved.
    pub fn activities(&self) -> &[ActivityMachine] {
        &self.activities
    }

    /// The local activities scheduled and not resolved.
    pub fn local_activities(&self) -> &[LocalActivityMachine] {
        &self.locals
    }

    /// Every child workflow the run started, closed ones too, in order.
    pub fn children(&self) -> &[ChildMachine] {
        &self.children
    }

    /// Child workflows started and not yet resolved as closed (or refused).
    pub fn pending_children(&self) -> Vec<PendingChild> {
        self.children
            .iter()
            .filter_map(ChildMachine::pending)
            .collect()
    }

    /// The updates by id, decided or not.
    pub fn updates(&self) -> &BTreeMap<String, UpdateState> {
        &self.updates
    }

    /// The updates accepted or completed, by id.
    pub fn decided_updates(&self) -> impl Iterator<Item = (&str, &UpdateState)> {
        (self.updates.iter())
            .filter(|(_, state)| state.decided())
            .map(|(id, state)| (id.as_str(), state))
    }

    /// The run's cancellation.
    pub fn cancel(&self) -> &CancelMachine {
        &self.cancel
    }

    /// Whether cancellation of the run has been asked for.
    pub fn cancel_requested(&self) -> bool {
        self.cancel.reason().is_some()
    }

    /// The signals to other workflows the run recorded.
    pub fn signals_sent(&self) -> &SignalsSent {
        &self.signals
    }

    /// The markers the run recorded.
    pub fn markers(&self) -> &Markers {
        &self.markers
    }

    /// The run's workflow task.
    pub fn task(&self) -> &TaskMachine {
        &self.task
    }

    /// The failing workflow task, if the last task attempt failed.
    pub fn failing_task(&self) -> Option<FailingTask> {
        self.task.failing().cloned()
    }

    /// Jobs recorded in failed tasks after the last completed one (and before the first
    /// task): the next task delivers them.
    pub fn carried_jobs(&self) -> Vec<Job> {
        self.task.carried().to_vec()
    }

    /// The run's recorded deadlines: its run timeout's and its execution's.
    pub fn deadlines(&self) -> (Option<u64>, Option<u64>) {
        self.deadlines.unwrap_or_default()
    }

    /// The run's fairness key and weight, if recorded.
    pub fn fairness(&self) -> Option<&crate::Fairness> {
        self.fairness.as_ref()
    }

    /// The run's priority: the recorded one, or the default.
    pub fn priority(&self) -> crate::Priority {
        self.priority
            .and_then(|p| crate::Priority::new(p).ok())
            .unwrap_or_default()
    }

    /// The earliest deadline the run must close by, and which timeout sets it.
    pub fn deadline(&self) -> Option<(u64, &'static str)> {
        let (run, execution) = self.deadlines();
        [
            run.map(|d| (d, "run timeout")),
            execution.map(|d| (d, "execution timeout")),
        ]
        .into_iter()
        .flatten()
        .min_by_key(|(d, _)| *d)
    }

    /// Who paused the run and why, while it is paused.
    pub fn paused(&self) -> Option<&PauseInfo> {
        self.pause.paused()
    }

    /// How the run closed, if it has.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// How many events were applied.
    pub fn applied(&self) -> usize {
        self.applied
    }
}
