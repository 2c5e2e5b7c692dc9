//! Which runs a host serves. A host alone on its storage serves every run; the hosts of
//! a cluster split the workflow ids into a fixed number of shards ([`shard_of`]) and each
//! serves the shards it holds a lease on. Every run of a workflow id (its continue-as-new
//! chain, the runs its id policies compare) lives on one shard, and so on one host.
//!
//! The shard function is part of a cluster database's format (`cluster.hash_name`):
//! hosts of one cluster must agree on it forever, so it is pinned by the golden values
//! below and a new function would get a new name.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

/// The name recorded in the `cluster` row for [`shard_of`].
pub const HASH_NAME: &str = "fnv1a64-v1";

/// The shard of `workflow_id` among `shard_count` shards.
///
/// ```
/// use weft_runtime::placement::shard_of;
/// assert_eq!(shard_of("order-1", 256), shard_of("order-1", 256));
/// assert!(shard_of("order-1", 256) < 256);
/// ```
pub fn shard_of(workflow_id: &str, shard_count: u32) -> u32 {
    (fnv1a64(workflow_id.as_bytes()) % u64::from(shard_count.max(1))) as u32
}

/// FNV-1a (64 bits) of `bytes`: stable across builds and machines, for what hosts must
/// agree on (shards, ids derived from request ids).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    (bytes.iter()).fold(OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

/// The shards a host serves now.
///
/// The runtime asks it before it takes up a run: a start, a message, a resumed run or a
/// fired timer of a workflow id outside it is not this host's (the cluster's front door
/// forwards it to the host that holds the shard).
#[derive(Debug)]
pub struct Placement {
    shard_count: u32,
    /// `None`: every shard (a host alone on its storage). Each held shard with its
    /// tenure: a number that is new every time the shard is taken.
    held: Option<RwLock<BTreeMap<u32, u64>>>,
    /// The next tenure.
    tenures: AtomicU64,
}

impl Placement {
    /// Every run: a host alone on its storage.
    pub fn whole() -> Placement {
        Placement {
            shard_count: 1,
            held: None,
            tenures: AtomicU64::new(1),
        }
    }

    /// A host of a cluster of `shard_count` shards that serves none of them yet.
    pub fn shards(shard_count: u32) -> Placement {
        Placement {
            shard_count: shard_count.max(1),
            held: Some(RwLock::new(BTreeMap::new())),
            tenures: AtomicU64::new(1),
        }
    }

    /// Whether this host may serve some shards and not others.
    pub fn is_partial(&self) -> bool {
        self.held.is_some()
    }

    pub fn shard_count(&self) -> u32 {
        self.shard_count
    }

    /// The shard of `workflow_id`.
    pub fn shard_of(&self, workflow_id: &str) -> u32 {
        shard_of(workflow_id, self.shard_count)
    }

    /// Whether this host serves `workflow_id` now.
    pub fn owns(&self, workflow_id: &str) -> bool {
        match &self.held {
            None => true,
            Some(held) => held
                .read()
                .unwrap()
                .contains_key(&self.shard_of(workflow_id)),
        }
    }

    /// Whether this host serves `shard` now.
    pub fn holds(&self, shard: u32) -> bool {
        match &self.held {
            None => true,
            Some(held) => held.read().unwrap().contains_key(&shard),
        }
    }

    /// Whether this host serves no shard now (a cluster's host before its first claim).
    pub fn holds_none(&self) -> bool {
        self.held
            .as_ref()
            .is_some_and(|held| held.read().unwrap().is_empty())
    }

    /// The shards served now, in order.
    pub fn held(&self) -> Vec<u32> {
        match &self.held {
            None => (0..self.shard_count).collect(),
            Some(held) => held.read().unwrap().keys().copied().collect(),
        }
    }

    /// The tenure under which this host serves `workflow_id` now (0 for a host alone);
    /// `None` when it does not serve it.
    pub fn tenure(&self, workflow_id: &str) -> Option<u64> {
        match &self.held {
            None => Some(0),
            Some(held) => (held.read().unwrap())
                .get(&self.shard_of(workflow_id))
                .copied(),
        }
    }

    /// Serve `shards` from now on, each under a new tenure.
    pub(crate) fn take(&self, shards: &[u32]) {
        if let Some(held) = &self.held {
            let mut held = held.write().unwrap();
            for &shard in shards {
                held.insert(shard, self.tenures.fetch_add(1, Ordering::Relaxed));
            }
        }
    }

    /// Stop serving `shards`.
    pub(crate) fn give_up(&self, shards: &[u32]) {
        if let Some(held) = &self.held {
            let mut held = held.write().unwrap();
            for shard in shards {
                held.remove(shard);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_values_never_change() {
        // FNV-1a 64 test vectors: "" → cbf29ce484222325, "a" → af63dc4c8601ec8c.
        assert_eq!(
            shard_of("", u32::MAX),
            (0xcbf2_9ce4_8422_2325u64 % 0xffff_ffff) as u32
        );
        assert_eq!(
            shard_of("a", u32::MAX),
            (0xaf63_dc4c_8601_ec8cu64 % 0xffff_ffff) as u32
        );
        assert_eq!(shard_of("order-1", 256), 0x6d);
        assert_eq!(shard_of("hello-1", 256), 0xf9);
    }

    #[test]
    fn a_partial_placement_serves_only_what_it_took() {
        let placement = Placement::shards(256);
        assert!(!placement.owns("order-1"));
        placement.take(&[0x6d]);
        assert!(placement.owns("order-1") && !placement.owns("hello-1"));
        assert_eq!(placement.held(), vec![0x6d]);
        let first = placement.tenure("order-1").unwrap();
        placement.give_up(&[0x6d]);
        assert!(!placement.owns("order-1") && placement.tenure("order-1").is_none());
        placement.take(&[0x6d]);
        assert_ne!(
            placement.tenure("order-1"),
            Some(first),
            "a new tenure each time"
        );
        assert!(Placement::whole().owns("hello-1"));
    }

    #[test]
    fn ids_spread_over_the_shards() {
        let mut counts = [0u32; 16];
        for i in 0..16_000 {
            counts[shard_of(&format!("wf-{i}"), 16) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (800..1200).contains(&c)),
            "{counts:?}"
        );
    }
}
