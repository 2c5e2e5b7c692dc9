//! Runs on demand: an open run that only waits holds no actor and no decoded history.
//!
//! A run's actor *rests* when it has nothing in flight in this host (no activity, local
//! activity or child it watches, no task due or backing off, no caller waiting on an
//! update, no deadline) and the host holds more live actors than its actor cache allows
//! ([`HostConfig::actor_cache_size`](super::HostConfig)). Resting writes a `resting` row
//! and drops the actor; its instance stays in the instance cache while there is room.
//! What can still wake the run already has a way to reach it without the actor: its
//! timers are rows of the timer table, armed in the timer loop; signals, updates,
//! queries, cancellation and termination arrive as messages. [`HostInner::send`] to a
//! run without an actor rebuilds the actor from storage first, as an evicted instance
//! is rebuilt, and the first commit of the woken actor removes the `resting` row.
//!
//! | a run's row state      | what an opening host does                               |
//! |------------------------|---------------------------------------------------------|
//! | open, `resting` row    | nothing: its timers are armed from the timer table      |
//! | open, no `resting` row | resumed in the background, one run after another        |
//!
//! The `resting` row is written, under the actor table's lock, only after everything
//! the actor recorded is durable, and the first commit after the run wakes deletes it:
//! so a row means the durable history waits on nothing the host would have to re-arm.
//! A row that is lost (its commit failed, or the host died first) costs only a resume.

use std::collections::HashSet;
use std::sync::Arc;

use super::clock::Busy;
use super::execution::Execution;
use super::{Host, HostInner, Message, OpenError, QueryError, RunHandle};
use crate::storage::{StorageError, TimerRow, Write};

/// How a woken actor takes up its run.
#[derive(Clone, Copy)]
pub(super) enum Wake<'a> {
    /// On demand (a message for it, or a timer): its timers are armed already.
    Message,
    /// By an opening host, which armed the rows of the timer table (given): arm and
    /// write the ones it lacks (runs recorded before the timer table existed).
    Open(&'a HashSet<TimerRow>),
}

impl HostInner {
    /// Hand `message` to the actor of open run `run_id`, waking the run from storage
    /// when it rests; the message comes back when the run is not open on this host.
    // The message is handed back whole, for the caller to answer or pass on.
    #[allow(clippy::result_large_err)]
    pub(crate) fn deliver(self: &Arc<Self>, run_id: &str, message: Message) -> Result<(), Message> {
        if let Some(actor) = self.actors.lock().unwrap().get(run_id) {
            // Sent under the lock: an actor rests only with an empty queue.
            return actor.send(message).map_err(|e| e.0);
        }
        match self.wake(run_id, Wake::Message, Some(message)) {
            Ok(returned) => returned.map_or(Ok(()), Err),
            Err((e, returned)) => {
                tracing::error!(run = %run_id, "cannot wake the run: {e}");
                returned.map_or(Ok(()), Err)
            }
        }
    }

    /// Rebuild the actor of `run_id` from storage, unless it has one already, and give
    /// it `message` first. The message comes back when the run is not open on this
    /// host (closed, or its start failed).
    #[allow(clippy::result_large_err)]
    pub(super) fn wake(
        self: &Arc<Self>,
        run_id: &str,
        how: Wake<'_>,
        message: Option<Message>,
    ) -> Result<Option<Message>, (QueryError, Option<Message>)> {
        let execution = match self.load(run_id) {
            Ok(Some(execution)) => execution,
            Ok(None) => return Ok(message),
            Err(e) => return Err((e, message)),
        };
        let mut execution = execution;
        {
            let mut actors = self.actors.lock().unwrap();
            if let Some(actor) = actors.get(run_id) {
                // Woken meanwhile by another caller.
                return Ok(message.and_then(|m| actor.send(m).err().map(|e| e.0)));
            }
            if let Some(message) = message {
                // Queued before the actor runs, so it cannot rest before reading it.
                let _ = execution.tx.send(message);
            }
            actors.insert(run_id.to_string(), execution.tx.clone());
        }
        tracing::debug!(run = %run_id, events = execution.history.events.len(), "waking");
        self.metrics.runs_woken.inc();
        let rows = execution.resume_pending();
        if let Wake::Open(stored) = how {
            // A parent that closed while the host was down had this child's policy
            // still to apply.
            let parent = execution.history.parent_workflow_id();
            if let (Some(parent), Some(host)) = (parent, self.handle()) {
                host.apply_orphaned_policies(vec![(execution.record.workflow_id.clone(), parent)]);
            }
            let missing: Vec<TimerRow> = rows.into_iter().filter(|r| !stored.contains(r)).collect();
            for row in &missing {
                self.timers.arm(row, Busy::none());
            }
            if !missing.is_empty() {
                // Not awaited: a row lost with a crash is made again by the next open.
                drop(
                    self.storage
                        .commit(missing.into_iter().map(Write::PutTimer).collect()),
                );
            }
        }
        self.workflows.spawn(execution.run());
        Ok(None)
    }

    /// The execution of open run `run_id`, read and decoded from storage; `None` when
    /// the run is not open on this host.
    fn load(self: &Arc<Self>, run_id: &str) -> Result<Option<Execution>, QueryError> {
        let Some(record) = self.storage.run(run_id)? else {
            return Ok(None);
        };
        let ours = self
            .open
            .lock()
            .unwrap()
            .get(&record.workflow_id)
            .is_some_and(|h| h.run_id == run_id);
        if !record.status.is_open() || !ours {
            return Ok(None);
        }
        let module = self
            .module_by_digest(&record.module_digest)
            .map_err(|reason| {
                StorageError::Database(format!("the module of run {run_id}: {reason}"))
            })?;
        let history = self.read_history(&record)?;
        let mut execution = self.execution(record, module, history, None);
        execution.woken_from_storage();
        Ok(Some(execution))
    }

    /// Let `execution`'s actor go if the actor cache is over its size and the run only
    /// waits: true when it rested (the caller returns, dropping the execution).
    pub(super) fn rest(&self, execution: &Execution) -> bool {
        // Most waits have something in flight: decided without the lock.
        if !execution.can_rest() {
            return false;
        }
        let mut actors = self.actors.lock().unwrap();
        if actors.len() <= self.actor_cache_size {
            return false;
        }
        // Senders hold this lock: nothing can slip into the queue after this check.
        if !execution.rx.is_empty() {
            return false;
        }
        // Queued before the actor goes, so a wake's commit (which deletes the row)
        // always comes after it.
        drop(self.storage.commit(vec![Write::PutResting {
            run_id: execution.record.run_id.clone(),
            parent: execution.history.parent_workflow_id(),
        }]));
        actors.remove(&execution.record.run_id);
        self.metrics.runs_rested.inc();
        true
    }
}

impl Host {
    /// Take up the runs that were open when the host last stopped, without decoding
    /// their histories (see [`Host::take_up`]): every run this host serves.
    pub(super) async fn resume(&self, resuming: Busy) -> Result<(), OpenError> {
        let placement = self.inner.placement.clone();
        self.take_up(resuming, move |workflow_id: &str| {
            placement.owns(workflow_id)
        })
        .await
    }

    /// Take up the open runs whose workflow id `ours` accepts: arm their durable
    /// timers, and wake the runs that do not rest in the background, one after another
    /// (see [`on_demand`]); then carry out what their outboxes hold. The virtual clock
    /// holds while they wake (`resuming`).
    pub(super) async fn take_up(
        &self,
        resuming: Busy,
        ours: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Result<(), OpenError> {
        let resting = self.inner.storage.resting_runs()?;
        let mut children = Vec::new();
        let mut awake = Vec::new();
        let mut digests = HashSet::new();
        let mut taken = HashSet::new();
        {
            let mut open = self.inner.open.lock().unwrap();
            for record in self.inner.storage.open_runs()? {
                if !ours(&record.workflow_id) {
                    continue;
                }
                if digests.insert(record.module_digest.clone()) {
                    self.module_by_digest(&record.module_digest)
                        .map_err(|reason| OpenError::Module {
                            digest: record.module_digest.clone(),
                            run_id: record.run_id.clone(),
                            reason,
                        })?;
                }
                match resting.get(&record.run_id) {
                    Some(parent) => {
                        children.extend(parent.clone().map(|p| (record.workflow_id.clone(), p)))
                    }
                    None => awake.push(record.run_id.clone()),
                }
                // An instance cached under an earlier tenure of its shard is stale.
                self.inner.cache.take(&record.run_id);
                taken.insert(record.run_id.clone());
                let handle = RunHandle {
                    workflow_id: record.workflow_id,
                    run_id: record.run_id,
                };
                open.insert(handle.workflow_id.clone(), handle);
            }
        }
        // Armed once the runs are in the table, which a fired timer looks them up in.
        // A host alone arms every row (one of a closed run is dropped when it fires).
        let whole = !self.inner.placement.is_partial();
        let stored: HashSet<TimerRow> = (self.inner.storage.timers()?.into_iter())
            .filter(|row| whole || taken.contains(&row.run_id))
            .collect();
        for row in &stored {
            self.inner.timers.arm(row, Busy::none());
        }
        tracing::info!(open = self.open_runs(), waking = awake.len(), "resuming");
        // A parent that closed while the host was down had its children's policies
        // still to apply.
        self.apply_orphaned_policies(children);
        let outbox = self.inner.storage.outbox()?;
        let host = self.downgrade();
        tokio::spawn(async move {
            for run_id in awake {
                let Some(host) = host.upgrade() else { return };
                let wake = Wake::Open(&stored);
                if let Err((e, _)) = host.inner.wake(&run_id, wake, None) {
                    tracing::error!(run = %run_id, "cannot resume the run: {e}");
                }
                tokio::task::yield_now().await;
            }
            // After the runs woke: a signal to a child waits for its parent to have
            // taken the child up again.
            if let Some(host) = host.upgrade() {
                host.inner.carry_out_stored(outbox, &ours);
            }
            drop(resuming);
        });
        Ok(())
    }
}
