//! The actor that drives one open run: it collects results into activations, runs
//! workflow tasks (on the host's workflow threads, never on the threads that serve the
//! API, activities and timers), records them durably, and only then acts on their
//! commands.
//!
//! | what happens                        | recorded                                    | then                          |
//! |-------------------------------------|---------------------------------------------|-------------------------------|
//! | task produces commands              | task-started, jobs, commands                | act on the commands           |
//! | task produces a closing command     | … and the run record, outcome, timer rows   | close                         |
//! | task fails (panic, trap, deadline,  | first failure of a streak, or when it       | retry with backoff; its jobs  |
//! | rebuild, unsupported command)       | delivered new jobs: task-started, jobs,     | are delivered again           |
//! |                                     | task-attempt-failed                         |                               |
//! | task panics, workflow opted in to   | task-started, jobs, task-failed, run record | close as failed               |
//! | failing on a panic                  |                                             |                               |
//! | the commit fails                    | nothing                                     | retry with backoff, rebuilt   |
//! |                                     |                                             | from what is durable          |

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::oneshot;
use tokio::task::AbortHandle;

use super::activity_task::{self, ActivityRun};
use super::clock::Busy;
use super::commands::check_supported;
use super::messages::MessageError;
use super::task_retry::{backoff, Retry};
use super::{status_of, HostInner, Message, StartError};
use crate::engine::{Module, WorkflowInstance};
use crate::history::codec::encoded_len;
use crate::history::vocab::Query;
use crate::history::Payload;
use crate::history::{
    Activation, Command, Event, History, IssuedCommand, Job, Outcome, PendingActivity, RunState,
    TaskFailure,
};
use crate::replay::{history_info, replay_into};
use crate::storage::{durable, RunAttributes, RunRecord, TimerRow, Write};

mod absorb;
mod acks;
mod activity_ops;
mod child_watch;
mod children;
mod continued;
mod effects;
mod held;
mod local;
mod messages;
mod outgoing;
mod paused;
mod plan;
mod reset;
mod stop;
mod task;
mod tenure;
mod updates;
mod upgrade;

pub(crate) use acks::{SignalAck, IN_PROGRESS};
pub(crate) use continued::NextRun;
pub(crate) use updates::{UpdateReply, Updates};

pub(super) struct Execution {
    pub host: Arc<HostInner>,
    /// The run's metrics, labelled once with its workflow type.
    pub metrics: crate::metrics::RunMetrics,
    pub record: RunRecord,
    pub module: Arc<Module>,
    pub history: History,
    /// The run's state machines, stepped by every event `history` gains (see
    /// `history::machines`): what resuming re-arms and where live timers fire.
    pub state: RunState,
    /// Encoded bytes of `history`, as `history-info` counts them.
    pub size_bytes: u64,
    pub tx: UnboundedSender<Message>,
    pub rx: UnboundedReceiver<Message>,
    /// Armed timers by seq.
    pub timers: BTreeMap<u32, TimerRow>,
    pub activities: BTreeMap<u32, effects::RunningActivity>,
    /// Child workflows watched, by seq.
    pub children: BTreeMap<u32, children::RunningChild>,
    /// What the last task gave the commands it issued through imports, until they are
    /// recorded and acted on.
    pub aside: plan::Aside,
    /// Local activities running, by their own seq.
    pub locals: BTreeMap<u32, effects::RunningActivity>,
    /// Local activities the workflow cancelled in the task that schedules them: told
    /// as soon as they are dispatched.
    pub cancelled_locals: BTreeSet<u32>,
    /// Tasks run but not recorded, waiting for their local activities.
    pub deferred: Option<local::Deferred>,
    /// Writes for the next commit (the run record of a new run).
    pub pending_writes: Vec<Write>,
    /// Told when the first commit is durable (a new run's start is acknowledged).
    pub started: Option<oneshot::Sender<Result<(), StartError>>>,
    /// Jobs recorded in failed tasks: the next task delivers them first.
    pub carried: Vec<Job>,
    /// Updates delivered to a task that failed, not recorded: the next attempt delivers
    /// them again (after its backoff; they do not bring it forward).
    pub held_updates: Vec<Job>,
    /// Jobs not recorded yet.
    pub jobs: Vec<Job>,
    /// Events to record before the next task (activity attempt failures).
    pub events: Vec<Event>,
    /// Timer rows to delete in the commit that records their `fire-timer`.
    pub fired: Vec<TimerRow>,
    /// Work in flight that this actor has taken on.
    pub guards: Vec<Busy>,
    /// The failing task's retry, if the last attempt failed.
    pub retry: Option<Retry>,
    /// Acknowledgements owed to the senders of the signals in `jobs`, once durable.
    pub signal_acks: Vec<SignalAck>,
    /// The run's updates by id.
    pub updates: Updates,
    /// Queries to answer once no task is due.
    pub queries: Vec<(Query, QueryReply)>,
    /// Whether cancellation of the run has been asked for.
    pub cancel_requested: bool,
    /// A termination to carry out before anything else.
    pub terminate: Option<(String, SignalAck)>,
    /// A reset to carry out between tasks.
    pub reset: Option<(
        crate::runtime::reset::ResetRequest,
        crate::runtime::reset::ResetReply,
    )>,
    /// Modules to move to, between tasks.
    pub upgrades: Vec<(Arc<Module>, UpgradeReply)>,
    /// When the run must close (its run or execution timeout), and which sets it.
    pub deadline: Option<(u64, &'static str)>,
    /// The run that continued this one (once its close is durable).
    pub continued_to: Option<String>,
    /// A pending start (a workflow limit): told when it may run its first task.
    pub held: Option<tokio::sync::oneshot::Receiver<()>>,
    /// Told when the actor next waits with everything it received recorded.
    pub flushes: Vec<oneshot::Sender<()>>,
    /// Woken from storage: its `resting` row (if any) goes with the next commit.
    pub resting: bool,
    /// The task carrying out the effects this actor sent last: the next ones wait for it.
    pub effects_sent: Option<tokio::task::JoinHandle<()>>,
    /// The request ids this actor took and has not recorded yet (see `acks`): a
    /// duplicate of one is answered "in progress".
    pub requests_taken: std::collections::BTreeSet<String>,
    /// Pause and unpause requests to carry out between tasks (see `paused`).
    pub steering: Vec<(crate::runtime::Steer, paused::SteerReply)>,
    /// Acts on an activity waiting for its attempt in flight to end, by seq.
    pub steering_waits: Vec<(u32, crate::runtime::Steer, paused::SteerReply)>,
    /// The tenure of the run's shard on this host when the actor was made (see
    /// `tenure.rs`).
    pub tenure: u64,
}

/// Answers a move to another module: the divergence report when it stays.
pub(crate) type UpgradeReply = oneshot::Sender<Result<(), String>>;
pub(crate) type QueryReply = oneshot::Sender<Result<Payload, MessageError>>;

/// What woke the actor.
enum Wake {
    Message(Message),
    /// A retry's backoff ran out, or the deadline came.
    Due(Busy),
    Stopped,
}

impl Execution {
    /// Re-arm what a recovered history is still waiting for, and take up the jobs its
    /// failed tasks left.
    /// Returns the rows of its armed timers (the caller arms them with the timer loop).
    pub fn resume_pending(&mut self) -> Vec<TimerRow> {
        // Read off the run's state machines, folded when the actor was built.
        let state = &self.state;
        let (activities, timers) = state.pending();
        let (children, carried) = (state.pending_children(), state.carried_jobs());
        let failing = state.failing_task();
        // A paused activity waits for its unpause (see `activity_ops`).
        let forget = super::canary::active(super::canary::Canary::ForgetActivities);
        for a in activities.into_iter().filter(|a| !a.paused && !forget) {
            self.dispatch_activity(a);
        }
        for t in timers {
            let row = self.timer_row(t.seq, t.fire_at_ms);
            self.timers.insert(t.seq, row);
        }
        for child in children {
            self.watch_child(child, true);
        }
        self.carried = carried;
        if let Some(failing) = failing {
            self.retry = Some(Retry {
                attempt: failing.attempts,
                at_ms: failing.retry_at_ms,
            });
        }
        self.timers.values().cloned().collect()
    }

    /// Rebuilt from storage for a run that may have rested.
    pub fn woken_from_storage(&mut self) {
        self.resting = true;
    }

    /// Nothing is in flight for this run in this host: what can wake it (timers,
    /// messages) reaches it without its actor (see `runtime::on_demand`).
    pub(super) fn can_rest(&self) -> bool {
        self.activities.is_empty()
            && self.locals.is_empty()
            && self.children.is_empty()
            && self.aside.is_empty()
            && self.deferred.is_none()
            && self.pending_writes.is_empty()
            && self.started.is_none()
            // What arrived while paused is durable: a woken actor carries it again.
            && self.jobs.is_empty()
            && self.held_updates.is_empty()
            && (self.carried.is_empty() || self.paused())
            && self.events.is_empty()
            && self.fired.is_empty()
            && self.retry.is_none()
            && self.signal_acks.is_empty()
            && !self.updates.has_waiters()
            && self.queries.is_empty()
            && self.terminate.is_none()
            && self.upgrades.is_empty()
            && self.reset.is_none()
            && self.deadline.is_none()
            && self.continued_to.is_none()
            && self.flushes.is_empty()
            && self.steering.is_empty()
            && self.steering_waits.is_empty()
            && self.effects_sent.as_ref().is_none_or(|t| t.is_finished())
    }

    fn has_jobs(&self) -> bool {
        !self.jobs.is_empty() || !self.carried.is_empty() || !self.held_updates.is_empty()
    }

    /// There is something to run or record, and no backoff holds it back: a signal
    /// or an update does not wait out a failing task's backoff (its caller waits for
    /// the task that records it), it brings the next attempt forward.
    /// While paused, only what can be recorded without a task is ready.
    fn ready(&self) -> bool {
        let work = match self.paused() {
            true => self.can_park(),
            false => self.has_jobs() || !self.events.is_empty(),
        };
        work && (!self.backing_off() || self.has_messages())
    }

    /// Signals or updates wait for a task.
    pub(super) fn has_messages(&self) -> bool {
        self.jobs
            .iter()
            .any(|j| matches!(j, Job::Signal(_) | Job::Update(_)))
    }

    /// A retry's backoff has not run out yet.
    fn backing_off(&self) -> bool {
        self.retry
            .as_ref()
            .is_some_and(|r| self.host.clock.now_ms() < r.at_ms)
    }

    /// Drive the run until it closes or the host drops it.
    pub async fn run(mut self) {
        loop {
            if self.held.is_some() && !self.hold().await {
                return;
            }
            if self.host.failure().is_some() {
                // The storage is dead until reopened: retrying cannot succeed. Those
                // waiting on this run hear "outcome unknown" when it is gone.
                return;
            }
            if !self.serves() {
                return;
            }
            if !self.ready()
                && self.queries.is_empty()
                && self.terminate.is_none()
                && self.upgrades.is_empty()
                && self.reset.is_none()
                && self.steering.is_empty()
            {
                for flushed in self.flushes.drain(..) {
                    let _ = flushed.send(());
                }
                if self.host.rest(&self) {
                    return;
                }
                match self.next().await {
                    Wake::Stopped => return,
                    Wake::Message(m) => self.absorb(m),
                    Wake::Due(guard) => self.guards.push(guard),
                }
            }
            self.absorb_queued();
            if !self.upgrades.is_empty() {
                self.upgrade().await;
            }
            if self.past_deadline() {
                if self.time_out().await {
                    return;
                }
                continue;
            }
            if self.terminate.is_some() {
                if self.terminate_now().await {
                    return;
                }
                continue;
            }
            // Not before the first task is recorded: a run starts with what its start
            // carries (a signal, an update) in its first commit.
            if !self.steering.is_empty() && self.started.is_none() {
                self.steer().await;
                continue;
            }
            if !self.ready() {
                if let Some((request, reply)) = self.reset.take() {
                    if self.reset_now(request, reply).await {
                        return;
                    }
                    continue;
                }
                // Between tasks, the instance shows the state of the last one.
                self.answer_queries();
                continue;
            }
            if self.paused() {
                self.park().await;
                continue;
            }
            if !self.has_jobs() {
                // Only attempt reports: record them; no task to run.
                match self.commit(Vec::new()).await {
                    Ok(()) => self.retry = None,
                    Err(()) => self.retry_after_storage_failure(),
                }
                continue;
            }
            // Off at the default log level, so it costs nothing there.
            let span = tracing::debug_span!(
                "workflow_task",
                workflow_type = %self.record.workflow_type,
                workflow_id = %self.record.workflow_id,
                run_id = %self.record.run_id
            );
            if tracing::Instrument::instrument(self.run_task(), span).await {
                return;
            }
        }
    }

    async fn next(&mut self) -> Wake {
        let retry = self
            .retry
            .as_ref()
            .filter(|_| self.backing_off())
            .map(|r| r.at_ms);
        let due = [retry, self.deadline.map(|(at, _)| at)]
            .into_iter()
            .flatten()
            .min();
        // The wake-up is registered before the actor lets go of its work in flight, so a
        // virtual clock never skips past it.
        let sleep = due.map(|at| self.host.clock.sleep_until(at));
        // Waiting: the work this actor took on has been handed on.
        self.guards.clear();
        let message = match sleep {
            None => self.rx.recv().await,
            Some(sleep) => {
                tokio::select! {
                    m = self.rx.recv() => m,
                    guard = sleep => return Wake::Due(guard),
                }
            }
        };
        message.map_or(Wake::Stopped, Wake::Message)
    }

    /// Append the pending events and then `events` durably, with the pending writes
    /// and `writes`. On failure nothing is taken: the pending events stay for the next
    /// commit.
    pub(super) async fn commit_with(
        &mut self,
        events: Vec<Event>,
        writes: Vec<Write>,
    ) -> Result<(), ()> {
        let deferred = self.deferred.take();
        let mut all_writes = self.pending_writes.clone();
        let mut all_events = Vec::new();
        if let Some(d) = &deferred {
            all_writes.extend(d.writes.iter().cloned());
            all_events.extend(d.events.iter().cloned());
        }
        all_writes.extend(writes);
        if self.resting {
            all_writes.push(Write::DeleteResting(self.record.run_id.clone()));
        }
        all_events.extend(self.events.iter().cloned());
        all_events.extend(events);
        let mut events_len = 0;
        if !all_events.is_empty() {
            let (bytes, len) = self
                .host
                .codec
                .encode_chunk(self.record.format_version, &all_events);
            events_len = len;
            all_writes.push(Write::Append {
                run_id: self.record.run_id.clone(),
                first_index: self.history.events.len() as u64,
                events: bytes,
            });
        }
        if all_writes.is_empty() {
            return Ok(());
        }
        // In a cluster, only while this host holds the run's shard.
        all_writes.push(Write::Fence {
            workflow_id: self.record.workflow_id.clone(),
        });
        let recording = self.requests_in(&all_writes);
        let result = durable(self.host.storage.commit(all_writes)).await;
        let first_commit = self.started.take();
        match result {
            Ok(()) => {
                if let Some(started) = first_commit {
                    self.host.metrics.started(&self.record.workflow_type);
                    let _ = started.send(Ok(()));
                }
                self.pending_writes.clear();
                self.events.clear();
                self.resting = false;
                for key in recording {
                    self.requests_taken.remove(&key);
                }
                self.size_bytes += events_len;
                for event in &all_events {
                    self.state.apply(event);
                }
                self.history.events.extend(all_events);
                if let Some(d) = deferred {
                    self.deferred_recorded(d);
                }
                Ok(())
            }
            Err(e) => {
                self.host.cache.take(&self.record.run_id);
                if let Some(d) = deferred {
                    self.drop_deferred(d);
                }
                match first_commit {
                    Some(started) if e.is_fatal() => {
                        // It may be on disk or not: the caller must not hear "refused".
                        let _ = started.send(Err(StartError::OutcomeUnknown(e.to_string())));
                    }
                    Some(started) => {
                        // Nothing of the run is durable: free the id, then refuse the
                        // start (in this order, so a retry finds the id free).
                        self.host.forget(&self.record);
                        let _ = started.send(Err(StartError::Storage(e.to_string())));
                    }
                    None if e.is_fatal() => tracing::error!(
                        run = %self.record.run_id,
                        "cannot record history, the host stops: {e}"
                    ),
                    None => tracing::error!(
                        run = %self.record.run_id,
                        "cannot record history, retrying from what is durable: {e}"
                    ),
                }
                Err(())
            }
        }
    }

    /// Refuse the start of this run before anything of it is durable: free its id, then
    /// answer the start (and a signal-with-start's signal) with `error`.
    pub(super) fn refuse_start(&mut self, error: StartError, acks: Vec<SignalAck>) {
        self.host.cache.take(&self.record.run_id);
        self.host.forget(&self.record);
        for ack in acks {
            let _ = ack.send(Err(MessageError::Unavailable(error.to_string())));
        }
        if let Some(started) = self.started.take() {
            let _ = started.send(Err(error));
        }
    }

    pub(super) async fn commit(&mut self, events: Vec<Event>) -> Result<(), ()> {
        self.commit_with(events, Vec::new()).await
    }

    pub(super) fn retry_after_storage_failure(&mut self) {
        let attempt = self.retry.as_ref().map_or(1, |r| r.attempt + 1);
        self.retry = Some(Retry {
            attempt,
            at_ms: self.host.clock.now_ms().saturating_add(backoff(attempt)),
        });
    }
}
