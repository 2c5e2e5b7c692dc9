//! A cluster's shards coming and going: a host that gains shards takes up their open
//! runs as a restarted host takes up its own; one that gives shards up lets their runs
//! go, so the shards' next owner serves them.
//!
//! Giving up is cooperative: the runs leave [`HostInner::placement`] first (from then on
//! a request for them is [`StartError::NotOwner`](super::StartError::NotOwner) here),
//! then their actors are woken and stop at the top of their loop, after the step they
//! are in. What an actor still commits after its shard's lease was released is refused
//! by the storage's fence, so nothing is written for a run by two hosts.

use super::clock::Busy;
use super::message::Message;
use tokio::sync::mpsc::UnboundedSender;

use super::{Host, HostInner, OpenError, QueryError};
use crate::storage::RunRecord;

/// What the actor of a run does at the top of its loop, in a cluster.
pub(super) enum Fate {
    /// It serves the run.
    Stay,
    /// The run's shard went to another host: it stops.
    Leave,
    /// The shard went and came back while the actor was busy: another host may have
    /// recorded steps of the run meanwhile, so a new actor takes the run up from
    /// storage, and this one hands it its queue and stops.
    Renew,
}

impl HostInner {
    /// What the actor of `record`'s run (whose queue `tx` feeds, created under `tenure`)
    /// does now. Unless it stays, it is no longer the run's actor from here on (decided
    /// under the actors' lock, under which messages are sent, so none is sent to it
    /// after this).
    pub(super) fn fate(
        &self,
        record: &RunRecord,
        tx: &UnboundedSender<Message>,
        tenure: u64,
    ) -> Fate {
        let mut actors = self.actors.lock().unwrap();
        let now = self.placement.tenure(&record.workflow_id);
        if now == Some(tenure) {
            return Fate::Stay;
        }
        if actors
            .get(&record.run_id)
            .is_some_and(|a| a.same_channel(tx))
        {
            actors.remove(&record.run_id);
        }
        // The instance may have been put back after the shard was given up.
        self.cache.take(&record.run_id);
        match now {
            Some(_) => Fate::Renew,
            None => Fate::Leave,
        }
    }
}

impl Host {
    /// Serve `shards` from now on: take up their open runs, timers and outbox rows.
    pub async fn take_shards(&self, shards: &[u32]) -> Result<(), OpenError> {
        let placement = self.inner.placement.clone();
        let fresh: Vec<u32> = shards
            .iter()
            .copied()
            .filter(|&s| !placement.holds(s))
            .collect();
        if fresh.is_empty() {
            return Ok(());
        }
        placement.take(&fresh);
        tracing::info!(shards = fresh.len(), "taking up the runs of gained shards");
        let busy: Busy = self.inner.clock.busy();
        let ours = move |workflow_id: &str| fresh.contains(&placement.shard_of(workflow_id));
        self.take_up(busy, ours).await
    }

    /// Stop serving `shards`: their runs' actors stop after the step they are in, and
    /// callers waiting on them are told to ask again (through any host).
    pub fn give_up_shards(&self, shards: &[u32]) {
        let inner = &self.inner;
        inner.placement.give_up(shards);
        let leaving: Vec<String> = {
            let mut open = inner.open.lock().unwrap();
            let gone: Vec<String> = (open.keys())
                .filter(|id| !inner.placement.owns(id))
                .cloned()
                .collect();
            gone.iter()
                .filter_map(|id| open.remove(id).map(|h| h.run_id))
                .collect()
        };
        tracing::info!(
            shards = shards.len(),
            runs = leaving.len(),
            "giving up shards"
        );
        let actors = inner.actors.lock().unwrap();
        let mut waiters = inner.waiters.lock().unwrap();
        for run_id in &leaving {
            waiters.remove(run_id);
            // Its instance would be stale if the run came back: the next host records
            // steps this one's instance never sees.
            inner.cache.take(run_id);
            if let Some(actor) = actors.get(run_id) {
                // Any message wakes it; it stops at the top of its loop (see
                // `HostInner::let_go`), and until then it is the run's one actor here.
                let (flushed, _) = tokio::sync::oneshot::channel();
                let _ = actor.send(Message::Flush(flushed));
            }
        }
    }

    /// Read the deployed module versions again from storage (another host of a cluster
    /// may have deployed some): the versions known now.
    pub fn refresh_versions(&self) -> Result<Vec<crate::storage::ModuleVersion>, QueryError> {
        let stored = self.inner.storage.module_versions()?;
        let mut versions = self.inner.versions.lock().unwrap();
        if stored.len() > versions.len() {
            *versions = stored;
        }
        Ok(versions.clone())
    }

    /// Whether this host is one of a cluster's, serving only the shards it holds.
    pub fn in_cluster(&self) -> bool {
        self.inner.placement.is_partial()
    }

    /// Whether this host serves `workflow_id` now (a schedule id too: a schedule is
    /// served where a workflow of its id would be).
    pub fn serves(&self, workflow_id: &str) -> bool {
        self.inner.placement.owns(workflow_id)
    }

    /// Whether this host serves no shard now (a cluster's host before its first claim).
    pub fn serves_none(&self) -> bool {
        self.inner.placement.holds_none()
    }

    /// The shards this host serves now (every one, for a host alone on its storage).
    pub fn shards_served(&self) -> Vec<u32> {
        self.inner.placement.held()
    }
}
