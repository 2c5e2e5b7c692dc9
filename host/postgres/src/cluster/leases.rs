//! The shards this process holds, shared by the lease keeper (which claims and renews
//! them) and the writer (which fences every batch against them).
//!
//! A lease is trusted until a little before it could expire, measured on this machine's
//! monotonic clock from when the renewal that granted it was sent: past that point
//! another host may have taken the shard, so nothing is committed for it even before
//! the database would refuse it. Once a held shard is lost, the loss is recorded for
//! good: the host stops (a restart joins again and retakes its shards, or its share).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Instant;

use super::shard_of;

/// What a host does when its shards change: the runtime takes up the runs of shards
/// gained, and lets go of those of shards about to be released.
pub trait ShardListener: Send + Sync {
    /// These shards are held now (their leases claimed and trusted).
    fn gained(&self, shards: &[u32]);
    /// These shards are about to be released: stop serving their runs before this
    /// returns (what is committed for them after it is refused by the fence anyway).
    fn releasing(&self, shards: &[u32]);
}

/// What the writer needs to fence a batch: the shard it belongs to and the epoch this
/// process claimed it with.
#[derive(Default)]
pub struct Leases {
    shard_count: OnceLock<u32>,
    /// The cluster's key (see `Membership::key`).
    key: OnceLock<String>,
    held: RwLock<HashMap<u32, i64>>,
    trusted_until: Mutex<Option<Instant>>,
    lost: OnceLock<String>,
    /// Told of shards gained and released; installed once the host is open.
    listener: Mutex<Option<Arc<dyn ShardListener>>>,
}

impl std::fmt::Debug for Leases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leases")
            .field("held", &self.held())
            .field("lost", &self.lost())
            .finish()
    }
}

impl Leases {
    /// Set once, when the membership learns the cluster's shard count.
    pub fn set_shard_count(&self, count: u32) {
        let _ = self.shard_count.set(count);
    }

    /// Set once, when the membership reads the cluster's row.
    pub fn set_key(&self, key: String) {
        let _ = self.key.set(key);
    }

    pub fn key(&self) -> Option<&str> {
        self.key.get().map(String::as_str)
    }

    pub fn shard_count(&self) -> Option<u32> {
        self.shard_count.get().copied()
    }

    /// The shard of `workflow_id` and the epoch it is held at, if it is held and the
    /// lease is still trusted.
    pub fn fence(&self, workflow_id: &str) -> Result<(u32, i64), u32> {
        let count = self.shard_count().unwrap_or(1);
        let shard = shard_of(workflow_id, count);
        let trusted = self
            .trusted_until
            .lock()
            .unwrap()
            .is_some_and(|until| Instant::now() < until);
        match self.held.read().unwrap().get(&shard) {
            Some(&epoch) if trusted && self.lost.get().is_none() => Ok((shard, epoch)),
            _ => Err(shard),
        }
    }

    /// Shards were claimed at these epochs: fence with them, and tell the listener.
    pub fn gained(&self, claimed: &[(u32, i64)]) {
        let listener = self.listener.lock().unwrap();
        let mut held = self.held.write().unwrap();
        for &(shard, epoch) in claimed {
            held.insert(shard, epoch);
        }
        drop(held);
        if let Some(listener) = listener.as_ref() {
            let shards: Vec<u32> = claimed.iter().map(|&(s, _)| s).collect();
            listener.gained(&shards);
        }
    }

    /// These shards are about to be released: the listener lets their runs go, then
    /// nothing more is committed for them.
    pub fn release(&self, shards: &[u32]) {
        let listener = self.listener.lock().unwrap();
        if let Some(listener) = listener.as_ref() {
            listener.releasing(shards);
        }
        let mut held = self.held.write().unwrap();
        for shard in shards {
            held.remove(shard);
        }
    }

    /// Tell `listener` of every change from now on, starting with the shards held now
    /// (so none is missed between its creation and this call).
    pub fn listen(&self, listener: Arc<dyn ShardListener>) {
        let mut slot = self.listener.lock().unwrap();
        let held = self.held();
        if !held.is_empty() {
            listener.gained(&held);
        }
        *slot = Some(listener);
    }

    /// The shards held now, in order.
    pub fn held(&self) -> Vec<u32> {
        let mut shards: Vec<u32> = self.held.read().unwrap().keys().copied().collect();
        shards.sort_unstable();
        shards
    }

    /// The highest epoch among the shards held (0 when none is).
    pub fn max_epoch(&self) -> i64 {
        self.held
            .read()
            .unwrap()
            .values()
            .copied()
            .max()
            .unwrap_or(0)
    }

    /// A renewal sent at `sent` kept every held shard: trust them until `until`.
    pub fn renewed(&self, until: Instant) {
        *self.trusted_until.lock().unwrap() = Some(until);
    }

    /// A held shard was lost (taken over, or its lease lapsed): stop trusting every
    /// lease, for good.
    pub fn lose(&self, why: String) {
        if self.lost.set(why.clone()).is_ok() {
            tracing::error!(reason = %why, "this host lost its shard leases; it stops");
        }
        *self.trusted_until.lock().unwrap() = None;
    }

    /// Why the leases were lost, if they were.
    pub fn lost(&self) -> Option<&str> {
        self.lost.get().map(String::as_str)
    }

    /// Whether the trust window has passed (the keeper could not renew in time).
    pub fn lapsed(&self) -> bool {
        !self.held.read().unwrap().is_empty()
            && self
                .trusted_until
                .lock()
                .unwrap()
                .is_none_or(|until| Instant::now() >= until)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_batch_is_fenced_only_by_a_trusted_held_shard() {
        let leases = Leases::default();
        leases.set_shard_count(4);
        let shard = shard_of("order-1", 4);
        assert_eq!(leases.fence("order-1"), Err(shard), "nothing held yet");
        leases.gained(&[(shard, 7)]);
        assert_eq!(
            leases.fence("order-1"),
            Err(shard),
            "held but never renewed"
        );
        leases.renewed(Instant::now() + Duration::from_secs(60));
        assert_eq!(leases.fence("order-1"), Ok((shard, 7)));
        leases.lose("taken over".into());
        assert_eq!(leases.fence("order-1"), Err(shard), "lost for good");
        leases.renewed(Instant::now() + Duration::from_secs(60));
        assert_eq!(leases.fence("order-1"), Err(shard));
        assert_eq!(leases.lost(), Some("taken over"));
    }

    #[test]
    fn an_expired_trust_window_lapses() {
        let leases = Leases::default();
        leases.set_shard_count(1);
        leases.gained(&[(0, 1)]);
        leases.renewed(Instant::now() - Duration::from_millis(1));
        assert!(leases.lapsed());
        assert!(leases.fence("x").is_err());
    }
}
