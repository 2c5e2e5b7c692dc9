//! The actor that drives one open run: it collects results into activations, runs
//! workflow tasks, records them durably, and only then acts on their commands.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::oneshot;
use tokio::task::AbortHandle;

use super::{activity_task, now_ms, HostInner, Message, StartError};
use crate::contract::{Activation, Command, HistoryInfo, IssuedCommand, Job, TaskFailure};
use crate::engine::{Module, WorkflowInstance};
use crate::history::{Event, History, Outcome, PendingActivity, PendingTimer};
use crate::replay::replay_into;
use crate::storage::{durable, encode_events, RunRecord, Status, Write};

pub(super) struct Execution {
    pub host: Arc<HostInner>,
    pub record: RunRecord,
    pub module: Arc<Module>,
    pub history: History,
    pub size_bytes: u64,
    pub tx: UnboundedSender<Message>,
    pub rx: UnboundedReceiver<Message>,
    pub timers: HashMap<u32, AbortHandle>,
    pub activities: HashMap<u32, AbortHandle>,
    /// Writes to include in the next commit (the run record of a new run).
    pub pending_writes: Vec<Write>,
    /// Told when the first commit is durable (a new run's start is acknowledged).
    pub started: Option<oneshot::Sender<Result<(), StartError>>>,
}

impl Execution {
    /// Re-arm what a recovered history is still waiting for.
    pub fn resume_pending(&mut self) {
        let (activities, timers) = self.history.pending();
        for a in activities {
            self.dispatch_activity(a);
        }
        for t in timers {
            self.arm_timer(t);
        }
    }

    /// Drive the run: `jobs` and `events` (not yet durable) go into the first task.
    pub async fn run(mut self, mut jobs: Vec<Job>, mut events: Vec<Event>) {
        loop {
            if jobs.is_empty() && events.is_empty() {
                match self.rx.recv().await {
                    Some(m) => self.absorb(m, &mut jobs, &mut events),
                    None => return,
                }
            }
            while let Ok(m) = self.rx.try_recv() {
                self.absorb(m, &mut jobs, &mut events);
            }
            if jobs.is_empty() {
                // Only attempt reports: record them; no task to run.
                if self.commit(std::mem::take(&mut events)).await.is_err() {
                    return;
                }
                continue;
            }
            let closed = self
                .run_task(std::mem::take(&mut jobs), std::mem::take(&mut events))
                .await;
            if closed {
                return;
            }
        }
    }

    fn absorb(&mut self, message: Message, jobs: &mut Vec<Job>, events: &mut Vec<Event>) {
        match message {
            Message::Resolve(job) => {
                match &job {
                    Job::ResolveActivity(r) => {
                        self.activities.remove(&r.seq);
                    }
                    Job::FireTimer(seq) => {
                        self.timers.remove(seq);
                    }
                    _ => {}
                }
                jobs.push(job)
            }
            Message::AttemptFailed {
                seq,
                attempt,
                failure,
                retry_at_ms,
            } => {
                tracing::warn!(
                    run = %self.record.run_id, seq, attempt,
                    "activity attempt failed, retrying: {}", failure.message
                );
                events.push(Event::ActivityAttemptFailed {
                    seq,
                    attempt,
                    failure,
                    retry_at_ms,
                })
            }
        }
    }

    /// Append `events` durably. On a storage failure the actor stops; the run stays
    /// open and a restarted host resumes it from what was durable.
    async fn commit(&mut self, events: Vec<Event>) -> Result<(), ()> {
        let mut writes = std::mem::take(&mut self.pending_writes);
        let first_index = self.history.events.len() as u64;
        let mut encoded_len = 0;
        if !events.is_empty() {
            let bytes = encode_events(&events);
            encoded_len = bytes.len() as u64;
            writes.push(Write::Append {
                run_id: self.record.run_id.clone(),
                first_index,
                events: bytes,
            });
        }
        if writes.is_empty() {
            return Ok(());
        }
        let result = durable(self.host.storage.commit(writes)).await;
        if let Some(started) = self.started.take() {
            let _ = started.send(
                result
                    .clone()
                    .map_err(|e| StartError::Storage(e.to_string())),
            );
        }
        match result {
            Ok(()) => {
                self.size_bytes += encoded_len;
                self.history.events.extend(events);
                Ok(())
            }
            Err(e) => {
                tracing::error!(run = %self.record.run_id, "cannot record history, the run stops here until the host restarts: {e}");
                self.host.cache.take(&self.record.run_id);
                self.host.forget(&self.record);
                Err(())
            }
        }
    }

    fn instance(&mut self) -> Result<WorkflowInstance, TaskFailure> {
        if let Some(i) = self.host.cache.take(&self.record.run_id) {
            return Ok(i);
        }
        let fail = |message: String| TaskFailure {
            message,
            location: None,
        };
        let mut instance = self
            .host
            .engine
            .instantiate(&self.module, &self.record.workflow_id)
            .map_err(|e| fail(e.to_string()))?;
        if self.history.events.len() > 1 {
            replay_into(&mut instance, &self.history.events)
                .map_err(|e| fail(format!("rebuilding the instance by replay failed: {e}")))?;
        }
        Ok(instance)
    }

    /// Run one workflow task; returns true when the run closed.
    async fn run_task(&mut self, jobs: Vec<Job>, mut events: Vec<Event>) -> bool {
        let activation = Activation {
            jobs,
            time_ms: now_ms(),
            is_replaying: false,
        };
        let info = HistoryInfo {
            length: self.history.events.len() as u32,
            size_bytes: self.size_bytes,
            continue_as_new_suggested: self.history.events.len() > 40_000,
        };
        let produced = self.instance().and_then(|mut instance| {
            let out = instance.activate(&activation, info);
            if !instance.is_poisoned() {
                self.host.cache.put(&self.record.run_id, instance);
            }
            out
        });
        events.push(Event::TaskStarted {
            time_ms: activation.time_ms,
        });
        events.extend(activation.jobs.into_iter().map(Event::Job));
        let commands: Vec<IssuedCommand> = match produced {
            Ok(commands) => commands,
            Err(failure) => {
                tracing::error!(run = %self.record.run_id, "{}", crate::history::task_failure_message(&failure));
                events.push(Event::TaskFailed(failure));
                Vec::new()
            }
        };
        events.extend(commands.iter().cloned().map(Event::Command));
        let outcome = events.iter().find_map(Outcome::of_event);
        if let Some(outcome) = &outcome {
            self.record.status = outcome.status();
            self.record.close_ms = Some(activation.time_ms);
            self.record.history_len = (self.history.events.len() + events.len()) as u64;
            self.pending_writes.push(Write::PutRun(self.record.clone()));
        }
        if self.commit(events).await.is_err() {
            return true;
        }
        if let Some(outcome) = outcome {
            self.close(outcome);
            return true;
        }
        for c in commands {
            self.act(c.command);
        }
        false
    }

    fn act(&mut self, command: Command) {
        let now = now_ms();
        match command {
            Command::ScheduleActivity(schedule) => {
                self.dispatch_activity(PendingActivity::new(schedule, now))
            }
            Command::StartTimer(t) => self.arm_timer(PendingTimer {
                seq: t.seq,
                fire_at_ms: now + t.duration_ms,
            }),
            Command::CancelTimer(seq) => {
                if let Some(h) = self.timers.remove(&seq) {
                    h.abort();
                }
            }
            Command::RequestCancelActivity(seq) => {
                if let Some(h) = self.activities.remove(&seq) {
                    h.abort();
                }
            }
            other => tracing::warn!(
                run = %self.record.run_id,
                "the `{}` command is not supported by this host yet; ignored",
                other.kind()
            ),
        }
    }

    fn dispatch_activity(&mut self, pending: PendingActivity) {
        let seq = pending.schedule.seq;
        let handle = tokio::spawn(activity_task::run(
            self.host.activities.clone(),
            self.record.workflow_id.clone(),
            self.record.run_id.clone(),
            pending,
            self.tx.clone(),
        ));
        self.activities.insert(seq, handle.abort_handle());
    }

    fn arm_timer(&mut self, timer: PendingTimer) {
        let tx = self.tx.clone();
        let handle = tokio::spawn(async move {
            activity_task::sleep_until_ms(timer.fire_at_ms).await;
            let _ = tx.send(Message::Resolve(Job::FireTimer(timer.seq)));
        });
        self.timers.insert(timer.seq, handle.abort_handle());
    }

    fn close(&mut self, outcome: Outcome) {
        for (_, h) in self.timers.drain().chain(self.activities.drain()) {
            h.abort();
        }
        self.host.cache.take(&self.record.run_id);
        self.host.forget(&self.record);
        self.host.notify(&self.record.run_id, outcome);
        debug_assert!(self.record.status != Status::Running);
    }
}
