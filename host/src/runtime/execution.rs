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

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::oneshot;
use tokio::task::AbortHandle;

use super::activity_task::{self, ActivityRun};
use super::clock::Busy;
use super::commands::check_supported;
use super::task_retry::{backoff, Retry};
use super::{status_of, HostInner, Message, StartError};
use crate::engine::{Module, WorkflowInstance};
use crate::history::codec::{encode_events_counted, encoded_len};
use crate::history::{
    Activation, Command, Event, History, IssuedCommand, Job, Outcome, PendingActivity, TaskFailure,
};
use crate::replay::{history_info, replay_into};
use crate::storage::{durable, RunRecord, TimerRow, Write};

pub(super) struct Execution {
    pub host: Arc<HostInner>,
    pub record: RunRecord,
    pub module: Arc<Module>,
    pub history: History,
    /// Encoded bytes of `history`, as `history-info` counts them.
    pub size_bytes: u64,
    pub tx: UnboundedSender<Message>,
    pub rx: UnboundedReceiver<Message>,
    /// Armed timers by seq.
    pub timers: HashMap<u32, TimerRow>,
    pub activities: HashMap<u32, AbortHandle>,
    /// Writes for the next commit (the run record of a new run).
    pub pending_writes: Vec<Write>,
    /// Told when the first commit is durable (a new run's start is acknowledged).
    pub started: Option<oneshot::Sender<Result<(), StartError>>>,
    /// Jobs recorded in failed tasks: the next task delivers them first.
    pub carried: Vec<Job>,
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
}

/// What woke the actor.
enum Wake {
    Message(Message),
    RetryDue(Busy),
    Stopped,
}

impl Execution {
    /// Re-arm what a recovered history is still waiting for, and take up the jobs its
    /// failed tasks left.
    /// Returns the rows of its armed timers (the caller arms them with the timer loop).
    pub fn resume_pending(&mut self) -> Vec<TimerRow> {
        let (activities, timers) = self.history.pending();
        for a in activities {
            self.dispatch_activity(a);
        }
        for t in timers {
            let row = self.timer_row(t.seq, t.fire_at_ms);
            self.timers.insert(t.seq, row);
        }
        self.carried = self.history.carried_jobs();
        if let Some(failing) = self.history.failing_task() {
            self.retry = Some(Retry {
                attempt: failing.attempts,
                at_ms: failing.retry_at_ms,
            });
        }
        self.timers.values().cloned().collect()
    }

    fn has_jobs(&self) -> bool {
        !self.jobs.is_empty() || !self.carried.is_empty()
    }

    /// There is something to run or record, and no backoff holds it back.
    fn ready(&self) -> bool {
        (self.has_jobs() || !self.events.is_empty()) && !self.backing_off()
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
            if !self.ready() {
                // Waiting: the work this actor took on has been handed on.
                self.guards.clear();
                match self.next().await {
                    Wake::Stopped => return,
                    Wake::Message(m) => self.absorb(m),
                    Wake::RetryDue(guard) => self.guards.push(guard),
                }
            }
            while let Ok(m) = self.rx.try_recv() {
                self.absorb(m);
            }
            if !self.ready() {
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
            if self.run_task().await {
                return;
            }
        }
    }

    async fn next(&mut self) -> Wake {
        let message = match self.retry.as_ref().filter(|_| self.backing_off()) {
            None => self.rx.recv().await,
            Some(retry) => {
                let sleep = self.host.clock.sleep_until(retry.at_ms);
                tokio::select! {
                    m = self.rx.recv() => m,
                    guard = sleep => return Wake::RetryDue(guard),
                }
            }
        };
        message.map_or(Wake::Stopped, Wake::Message)
    }

    fn absorb(&mut self, message: Message) {
        match message {
            Message::Resolve(job, busy) => {
                match &job {
                    Job::ResolveActivity(r) => {
                        self.activities.remove(&r.seq);
                    }
                    Job::FireTimer(seq) => match self.timers.remove(seq) {
                        Some(row) => self.fired.push(row),
                        // Cancelled meanwhile (or fired twice after a restart).
                        None => return,
                    },
                    _ => {}
                }
                self.guards.push(busy);
                self.jobs.push(job)
            }
            Message::AttemptFailed {
                seq,
                attempt,
                failure,
                retry_at_ms,
                busy,
            } => {
                tracing::warn!(
                    run = %self.record.run_id, seq, attempt,
                    "activity attempt failed, retrying: {}", failure.message
                );
                self.guards.push(busy);
                self.events.push(Event::ActivityAttemptFailed {
                    seq,
                    attempt,
                    failure,
                    retry_at_ms,
                })
            }
        }
    }

    /// Append the pending events and then `events` durably, with the pending writes
    /// and `writes`. On failure nothing is taken: the pending events stay for the next
    /// commit.
    async fn commit_with(&mut self, events: Vec<Event>, writes: Vec<Write>) -> Result<(), ()> {
        let mut all_writes = self.pending_writes.clone();
        all_writes.extend(writes);
        let mut all_events = self.events.clone();
        all_events.extend(events);
        let mut events_len = 0;
        if !all_events.is_empty() {
            let (bytes, len) = encode_events_counted(self.record.format_version, &all_events);
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
        let result = durable(self.host.storage.commit(all_writes)).await;
        let first_commit = self.started.take();
        match result {
            Ok(()) => {
                if let Some(started) = first_commit {
                    let _ = started.send(Ok(()));
                }
                self.pending_writes.clear();
                self.events.clear();
                self.size_bytes += events_len;
                self.history.events.extend(all_events);
                Ok(())
            }
            Err(e) => {
                self.host.cache.take(&self.record.run_id);
                match first_commit {
                    Some(started) => {
                        // Nothing of the run is durable: refuse the start.
                        let _ = started.send(Err(StartError::Storage(e.to_string())));
                        self.host.forget(&self.record);
                    }
                    None => tracing::error!(
                        run = %self.record.run_id,
                        "cannot record history, retrying from what is durable: {e}"
                    ),
                }
                Err(())
            }
        }
    }

    async fn commit(&mut self, events: Vec<Event>) -> Result<(), ()> {
        self.commit_with(events, Vec::new()).await
    }

    fn retry_after_storage_failure(&mut self) {
        let attempt = self.retry.as_ref().map_or(1, |r| r.attempt + 1);
        self.retry = Some(Retry {
            attempt,
            at_ms: self.host.clock.now_ms().saturating_add(backoff(attempt)),
        });
    }

    /// Run one workflow task; returns true when the actor stops (the run closed, or
    /// its start could not be recorded).
    async fn run_task(&mut self) -> bool {
        let time_ms = self.host.clock.now_ms();
        let index = self.history.events.len() + self.events.len();
        let size = self.size_bytes + self.events.iter().map(encoded_len).sum::<u64>();
        let carried_len = self.carried.len();
        let mut jobs = std::mem::take(&mut self.carried);
        jobs.append(&mut self.jobs);
        let activation = Activation {
            jobs,
            time_ms,
            is_replaying: false,
        };
        let (produced, panic_fails_run) = self.activate(&activation, history_info(index, size));
        let produced = produced.and_then(|commands| {
            check_supported(&commands)?;
            Ok(commands)
        });
        let mut jobs = activation.jobs;
        let own_jobs = jobs.split_off(carried_len);
        let first_commit = self.started.is_some();
        let mut events = vec![Event::TaskStarted { time_ms }];
        events.extend(own_jobs.iter().cloned().map(Event::Job));
        let mut writes: Vec<Write> = Vec::new();
        let outcome = match &produced {
            Ok(commands) => {
                events.extend(commands.iter().cloned().map(Event::Command));
                writes.extend(self.timer_writes(commands, time_ms));
                commands
                    .iter()
                    .find_map(|c| Outcome::of_command(&c.command))
            }
            Err(failure) if panic_fails_run => {
                events.push(Event::TaskFailed(failure.clone()));
                Outcome::of_event(events.last().expect("just pushed"))
            }
            Err(failure) => {
                let attempt = self.retry.as_ref().map_or(1, |r| r.attempt + 1);
                let retry_at_ms = time_ms.saturating_add(backoff(attempt));
                tracing::error!(run = %self.record.run_id, attempt, "{failure}; retrying");
                if self.retry.is_some() && own_jobs.is_empty() {
                    // Recorded once: nothing new to make durable.
                    events.clear();
                } else {
                    events.push(Event::TaskAttemptFailed {
                        failure: failure.clone(),
                        attempt,
                        retry_at_ms,
                    });
                }
                self.retry = Some(Retry {
                    attempt,
                    at_ms: retry_at_ms,
                });
                None
            }
        };
        writes.extend(self.fired.iter().cloned().map(Write::DeleteTimer));
        if let Some(outcome) = &outcome {
            writes.extend(self.close_writes(outcome, time_ms, index + events.len()));
        }
        let recorded = !events.is_empty();
        if self.commit_with(events, writes).await.is_err() {
            if first_commit {
                return true;
            }
            // Nothing was recorded: deliver every job again after a backoff.
            self.carried = jobs;
            self.jobs = own_jobs;
            if produced.is_ok() || panic_fails_run {
                self.retry_after_storage_failure();
            }
            return false;
        }
        self.fired.clear();
        match produced {
            Ok(commands) => {
                self.retry = None;
                if let Some(outcome) = outcome {
                    self.close(outcome);
                    return true;
                }
                for c in commands {
                    self.act(c.command, time_ms);
                }
            }
            Err(_) => {
                if let Some(outcome) = outcome {
                    self.close(outcome);
                    return true;
                }
                // The failed task's jobs are delivered again by the next attempt (when
                // nothing was recorded, it had no jobs of its own).
                debug_assert!(recorded || own_jobs.is_empty());
                jobs.extend(own_jobs);
                self.carried = jobs;
            }
        }
        false
    }

    /// Run `activation` on the run's instance: the cached one, or one rebuilt by
    /// replaying the history. In place: actors run on the host's workflow threads (see
    /// `workers`), which serve nothing else. Returns what it produced and whether a
    /// panic fails the run.
    fn activate(
        &mut self,
        activation: &Activation,
        info: crate::contract::HistoryInfo,
    ) -> (Result<Vec<IssuedCommand>, TaskFailure>, bool) {
        let cached = self.host.cache.take(&self.record.run_id);
        // A panic here is the host's fault, not the workflow's; the actor (and the run)
        // must survive it.
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut instance = match cached {
                Some(instance) => instance,
                None => self.rebuild()?,
            };
            let out = instance.activate(activation, info);
            Ok((instance, out))
        }));
        let (instance, out) = match ran {
            Ok(Ok(ran)) => ran,
            Ok(Err(failure)) => return (Err(failure), false),
            Err(_) => {
                return (
                    Err(TaskFailure::host("the host panicked running the task")),
                    false,
                )
            }
        };
        let panic_fails_run = instance.panic_fails_run();
        // A failed task leaves the guest half-way: rebuild it for the next attempt.
        if out.is_ok() && !instance.is_poisoned() {
            self.host.cache.put(&self.record.run_id, instance);
        }
        (out, panic_fails_run)
    }

    /// A fresh instance brought to the end of the recorded history by replay.
    fn rebuild(&self) -> Result<WorkflowInstance, TaskFailure> {
        let events = &self.history.events;
        let mut instance = self
            .host
            .engine
            .instantiate(&self.module, &self.record.workflow_id)
            .map_err(|e| TaskFailure::host(e.to_string()))?;
        if events.len() > 1 {
            replay_into(&mut instance, events).map_err(|e| {
                TaskFailure::host(format!(
                    "the instance cannot be rebuilt by replaying its history: {e}"
                ))
            })?;
        }
        Ok(instance)
    }

    /// The row of timer `seq` of this run, firing at `fire_at_ms`.
    fn timer_row(&self, seq: u32, fire_at_ms: u64) -> TimerRow {
        TimerRow {
            fire_at_ms,
            run_id: self.record.run_id.clone(),
            seq,
        }
    }

    /// Timer rows to write with `commands`: started timers in, cancelled ones out.
    fn timer_writes(&self, commands: &[IssuedCommand], time_ms: u64) -> Vec<Write> {
        let mut writes = Vec::new();
        for c in commands {
            match &c.command {
                Command::StartTimer(t) => writes.push(Write::PutTimer(
                    self.timer_row(t.seq, time_ms.saturating_add(t.duration_ms)),
                )),
                Command::CancelTimer(seq) => {
                    if let Some(row) = self.timers.get(seq) {
                        writes.push(Write::DeleteTimer(row.clone()));
                    }
                }
                _ => {}
            }
        }
        writes
    }

    /// What closing the run writes: its record, its outcome, its timers gone.
    fn close_writes(&mut self, outcome: &Outcome, time_ms: u64, history_len: usize) -> Vec<Write> {
        self.record.status = status_of(outcome);
        self.record.close_ms = Some(time_ms);
        self.record.history_len = history_len as u64;
        let mut writes = vec![
            Write::PutRun(self.record.clone()),
            Write::PutOutcome {
                run_id: self.record.run_id.clone(),
                outcome: super::outcome::encode(outcome),
            },
        ];
        writes.extend(self.timers.values().cloned().map(Write::DeleteTimer));
        writes
    }

    fn act(&mut self, command: Command, time_ms: u64) {
        match command {
            Command::ScheduleActivity(schedule) => {
                self.dispatch_activity(PendingActivity::new(schedule, time_ms))
            }
            Command::StartTimer(t) => {
                let row = self.timer_row(t.seq, time_ms.saturating_add(t.duration_ms));
                self.host.timers.arm(&row, self.host.clock.busy());
                self.timers.insert(t.seq, row);
            }
            Command::CancelTimer(seq) => {
                if let Some(row) = self.timers.remove(&seq) {
                    self.host.timers.disarm(&row);
                }
            }
            Command::RequestCancelActivity(seq) => {
                if let Some(h) = self.activities.remove(&seq) {
                    h.abort();
                }
            }
            // Recorded in the history; there is nothing else to do.
            Command::RecordMarker(_) => {}
            // `check_supported` refused every other command before it was recorded.
            other => unreachable!("unsupported command `{}` was recorded", other.kind()),
        }
    }

    fn dispatch_activity(&mut self, pending: PendingActivity) {
        let seq = pending.schedule.seq;
        let run = ActivityRun {
            registry: self.host.activities.clone(),
            clock: self.host.clock.clone(),
            workflow_id: self.record.workflow_id.clone(),
            run_id: self.record.run_id.clone(),
            actor: self.tx.clone(),
        };
        let task = activity_task::run(run, pending, self.host.clock.busy());
        // On the workflow threads, next to the actor it reports to: a result wakes the
        // actor without crossing to another runtime.
        let handle = self.host.workflows.spawn(task);
        self.activities.insert(seq, handle.abort_handle());
    }

    fn close(&mut self, outcome: Outcome) {
        for (_, h) in self.activities.drain() {
            h.abort();
        }
        for (_, row) in self.timers.drain() {
            self.host.timers.disarm(&row);
        }
        self.host.cache.take(&self.record.run_id);
        self.host.forget(&self.record);
        self.host.notify(&self.record.run_id, outcome);
    }
}
