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
use super::{Host, OpenError, QueryError};

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
        let mut actors = inner.actors.lock().unwrap();
        let mut waiters = inner.waiters.lock().unwrap();
        for run_id in &leaving {
            waiters.remove(run_id);
            if let Some(actor) = actors.remove(run_id) {
                // Any message wakes it; it stops at the top of its loop.
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

    /// The shards this host serves now (every one, for a host alone on its storage).
    pub fn shards_served(&self) -> Vec<u32> {
        self.inner.placement.held()
    }
}
