//! The actor's side of signals, queries and updates.
//!
//! - A signal is a job of the next task; its sender is acknowledged when that task is
//!   durable (as a completed task or a failed one: both record their jobs).
//! - An update is a job too. The SDK runs its validator when the job is applied and
//!   answers `reject-update` or `accept-update`. A rejected update leaves no trace: its
//!   job and its `reject-update` are taken out of the task before it is recorded (a
//!   replay never runs validators, so the rest of the task replays the same). A
//!   validator that panics rejects its update with the panic's message (the SDK says
//!   so with `report-validator-panic`): the task is not recorded and runs again at once
//!   without it. Any other failure of a task that delivers updates (a handler that
//!   panics) is a task failure like any other: recorded without the updates, which
//!   wait, unrecorded, for the retried task to validate and deliver them again, as
//!   Temporal redelivers an update to the retried workflow task.
//! - A query is answered between tasks, on the cached instance or one rebuilt by
//!   replay, and never recorded. A run none of whose workflow tasks has completed, its
//!   task failing, has no state to answer from: the query times out at once, naming the
//!   task's failure (Temporal's query to a workflow no worker can process times out).
//! - A task that would close the run while signals or updates have arrived is not
//!   recorded: the run goes on with them (Temporal's "unhandled command" on close).
//!   Except for updates when the task continues as new: they do not block it, and go
//!   on to the next run, as in Temporal.

use super::*;
use crate::history::Failure;
use crate::runtime::queries;
use weft_types::error_types;

/// The error type of a query that timed out: the run has no state to answer from.
pub(crate) const QUERY_TIMED_OUT: &str = "weft.QueryTimedOut";

/// What became of the updates a task delivered, decided before it is recorded.
#[derive(Default)]
pub(crate) struct Settled {
    /// Updates whose acceptance (and maybe completion) the task records.
    pub accepted: Vec<String>,
    pub completed: Vec<(String, Result<Payload, Failure>)>,
}

impl Execution {
    /// Answer every waiting query.
    pub(super) fn answer_queries(&mut self) {
        if self.queries.is_empty() {
            return;
        }
        if let Some(why) = self.no_state_to_query() {
            for (query, reply) in std::mem::take(&mut self.queries) {
                let message = format!("query `{}` timed out: {why}", query.name);
                let failure = Failure::new(message, QUERY_TIMED_OUT).non_retryable();
                let _ = reply.send(Err(MessageError::Failed(failure)));
            }
            return;
        }
        let index = self.history.events.len();
        let info = history_info(index, self.size_bytes);
        let time_ms = self.host.clock.now_ms();
        for (query, reply) in std::mem::take(&mut self.queries) {
            let mut instance = match self.host.cache.take(&self.record.run_id) {
                Some(instance) => instance,
                None => match self.rebuild() {
                    Ok(instance) => instance,
                    Err(failure) => {
                        let _ = reply.send(Err(MessageError::Failed(Failure::new(
                            format!("cannot answer the query: {}", failure.message),
                            "QueryFailed",
                        ))));
                        continue;
                    }
                },
            };
            let (answer, fit) = queries::answer(&mut instance, query, time_ms, info);
            if fit && !instance.is_poisoned() {
                self.host.cache.put(&self.record.run_id, instance);
            }
            let _ = reply.send(answer);
        }
    }

    /// Why a query cannot be answered, when the run's task is failing and none of its
    /// tasks has completed: no instance has the workflow's state.
    fn no_state_to_query(&self) -> Option<String> {
        self.retry.as_ref()?;
        let failing = self.state.failing_task()?;
        if !self.history.tasks().is_empty() {
            return None;
        }
        Some(format!(
            "no workflow task of run {} has completed, so there is no state to answer \
             from; its task keeps failing ({} attempt(s), the last: {}); ask again once \
             a task completes (once a fix is deployed, say)",
            self.record.run_id, failing.attempts, failing.failure.message
        ))
    }

    /// Take the rejected updates out of a task that produced `commands` from
    /// `own_jobs`, answering their callers; return what the rest decides about updates
    /// (an update accepted in an earlier task may complete in this one).
    pub(super) fn settle_updates(
        &mut self,
        own_jobs: &mut Vec<Job>,
        commands: &mut Vec<IssuedCommand>,
    ) -> Settled {
        let mut settled = Settled::default();
        let mut rejected: Vec<(String, Failure)> = Vec::new();
        commands.retain(|c| match &c.command {
            Command::RejectUpdate((id, failure)) => {
                rejected.push((id.clone(), failure.clone()));
                false
            }
            Command::AcceptUpdate(id) => {
                settled.accepted.push(id.clone());
                true
            }
            Command::CompleteUpdate(done) => {
                settled
                    .completed
                    .push((done.id.clone(), done.result.clone()));
                true
            }
            _ => true,
        });
        for (id, failure) in &rejected {
            self.updates
                .refused(id, MessageError::Rejected(failure.clone()));
        }
        own_jobs.retain(|job| match job {
            Job::Update(u) if rejected.iter().any(|(id, _)| id == &u.id) => false,
            Job::Update(u) if !settled.accepted.contains(&u.id) => {
                self.updates.refused(
                    &u.id,
                    MessageError::Failed(Failure::new(
                        format!(
                            "the workflow neither accepted nor rejected update `{}` (`{}`); \
                             is it built with a weft-sdk that handles updates?",
                            u.name, u.id
                        ),
                        "UpdateNotHandled",
                    )),
                );
                false
            }
            _ => true,
        });
        settled
    }

    /// The commit of a task is durable: answer the updates it decided.
    pub(super) fn updates_recorded(&mut self, settled: Settled) {
        for id in settled.accepted {
            self.updates.accepted(&id);
        }
        for (id, result) in settled.completed {
            self.updates.completed(&id, result);
        }
    }

    /// A task that delivered updates failed (a handler panicked, say): hold them,
    /// unrecorded, for the next attempt, which validates and delivers them again after
    /// the task's backoff; their callers wait for it, as Temporal's wait while its
    /// workflow task is retried. The failure names them (the history does not hold
    /// them). Returns the task's other jobs, which its failure records.
    pub(super) fn hold_updates(
        &mut self,
        own_jobs: Vec<Job>,
        failure: &mut TaskFailure,
    ) -> Vec<Job> {
        let (updates, rest): (Vec<Job>, Vec<Job>) = own_jobs
            .into_iter()
            .partition(|job| matches!(job, Job::Update(_)));
        let names: Vec<String> = (updates.iter())
            .filter_map(|job| match job {
                Job::Update(u) => Some(format!("`{}` (id {})", u.name, u.id)),
                _ => None,
            })
            .collect();
        if !names.is_empty() {
            failure.message = format!(
                "{} (the task delivered update {}, delivered again to the retried task)",
                failure.message,
                names.join(", ")
            );
        }
        self.held_updates = updates;
        rest
    }

    /// The task failed with a panic in the validator of update `update_id`: that is the
    /// update's rejection, with the panic's message, not a failure of the task. The task
    /// is not recorded; its other jobs run again at once.
    pub(super) fn reject_panicked(
        &mut self,
        update_id: &str,
        failure: &TaskFailure,
        (carried, mut own, acks): (Vec<Job>, Vec<Job>, Vec<SignalAck>),
    ) {
        own.retain(|job| !matches!(job, Job::Update(u) if u.id == update_id));
        let mut rejection = Failure::new(failure.message.clone(), error_types::UPDATE_REJECTED);
        if let Some(location) = &failure.location {
            rejection.message = format!("{} (at {location})", failure.message);
        }
        tracing::info!(run = %self.record.run_id, update = %update_id, "update rejected: {}", rejection.message);
        self.updates
            .refused(update_id, MessageError::Rejected(rejection));
        self.requeue(carried, own, acks);
    }

    /// Signals or updates arrived while a task that closes the run was in flight (only
    /// signals count when it `continues` as new).
    pub(super) fn close_interrupted(&mut self, continues: bool) -> bool {
        self.absorb_queued();
        match continues {
            true => self.jobs.iter().any(|j| matches!(j, Job::Signal(_))),
            false => self.has_messages(),
        }
    }

    /// After a continue-as-new: the updates that arrived while the closing task was in
    /// flight, never delivered to this run, as messages for the next one.
    fn undelivered_updates(&mut self) -> Vec<Message> {
        if self.continued_to.is_none() {
            return Vec::new();
        }
        let mut messages = Vec::new();
        for job in std::mem::take(&mut self.jobs) {
            let Job::Update(update) = job else { continue };
            for (wait, reply) in self.updates.take_requested(&update.id) {
                messages.push(Message::Update {
                    update: update.clone(),
                    wait,
                    reply,
                    busy: self.host.clock.busy(),
                });
            }
        }
        messages
    }

    /// Put a task's jobs (and its signals' acknowledgements) back in front of what
    /// arrived since, to be delivered by the next task.
    pub(super) fn requeue(&mut self, carried: Vec<Job>, own: Vec<Job>, acks: Vec<SignalAck>) {
        // (Jobs of dropped deferred tasks, if any, stay in front.)
        self.carried.extend(carried);
        let arrived = std::mem::replace(&mut self.jobs, own);
        self.jobs.extend(arrived);
        let arrived = std::mem::replace(&mut self.signal_acks, acks);
        self.signal_acks.extend(arrived);
    }

    /// The run closed: answer what still waits, and refuse what is still queued.
    pub(super) fn answer_at_close(&mut self) {
        let mut left = self.undelivered_updates();
        self.answer_queries();
        let closed = || MessageError::Closed {
            workflow_id: self.record.workflow_id.clone(),
            run_id: self.record.run_id.clone(),
            status: self.record.status,
        };
        for ack in self.signal_acks.drain(..) {
            let _ = ack.send(Err(closed()));
        }
        for (_, reply) in self.steering.drain(..) {
            let _ = reply.send(Err(closed().into()));
        }
        for (_, _, reply) in self.steering_waits.drain(..) {
            let _ = reply.send(Err(closed().into()));
        }
        self.updates.run_closed(|id| {
            MessageError::Failed(Failure::new(
                format!("the run closed before update `{id}` completed"),
                "UpdateNotCompleted",
            ))
        });
        self.rx.close();
        while let Ok(message) = self.rx.try_recv() {
            left.push(message);
        }
        for message in left {
            // After a continue-as-new, signals and updates go on to the next run.
            let message = match (&self.continued_to, message) {
                (Some(next), m @ (Message::Signal { .. } | Message::Update { .. })) => {
                    match self.host.deliver(next, m) {
                        Ok(()) => continue,
                        Err(m) => m,
                    }
                }
                (_, m) => m,
            };
            match message {
                Message::Signal { ack, .. } => {
                    let _ = ack.send(Err(closed()));
                }
                Message::Update { reply, .. } => {
                    let _ = reply.send(Err(closed()));
                }
                Message::Query { query, reply, busy } => {
                    self.queries.push((query, reply));
                    drop(busy);
                }
                Message::CancelRequest { ack, .. } | Message::Terminate { ack, .. } => {
                    let _ = ack.send(Err(closed()));
                }
                Message::Steer { reply, .. } => {
                    let _ = reply.send(Err(closed().into()));
                }
                Message::Resolve(..)
                | Message::AttemptFailed { .. }
                | Message::Heartbeat { .. }
                | Message::Flush(_) => {}
                // Closed: nothing to move (the deployment skips it).
                Message::Upgrade { .. } => {}
                Message::Reset { reply, .. } => {
                    let _ = reply.send(Err(closed().into()));
                }
            }
        }
        self.answer_queries();
    }
}
