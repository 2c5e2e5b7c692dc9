//! The bounded cache of live instances: a running workflow advances without replay
//! while its instance stays here; an evicted one is rebuilt by replaying its history.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use lru::LruCache;
use prometheus::IntCounter;

use crate::engine::WorkflowInstance;

pub struct InstanceCache {
    /// `None`: no caching at all; every task rebuilds its instance by replay.
    instances: Option<Mutex<LruCache<String, WorkflowInstance>>>,
    /// Counts the instances dropped to make room.
    evictions: IntCounter,
}

impl InstanceCache {
    /// A cache of at most `capacity` instances; 0 keeps none (every task replays the
    /// history first: slow, and a thorough test of replay). `evictions` counts the
    /// instances dropped to make room.
    pub fn new(capacity: usize, evictions: IntCounter) -> InstanceCache {
        InstanceCache {
            instances: NonZeroUsize::new(capacity).map(|c| Mutex::new(LruCache::new(c))),
            evictions,
        }
    }

    /// Take a run's instance out of the cache (its actor owns it while a task runs).
    pub fn take(&self, run_id: &str) -> Option<WorkflowInstance> {
        self.instances.as_ref()?.lock().unwrap().pop(run_id)
    }

    /// Put an instance back; the least recently used one is dropped if the cache is full.
    pub fn put(&self, run_id: &str, instance: WorkflowInstance) {
        let Some(instances) = &self.instances else {
            return;
        };
        let evicted = instances.lock().unwrap().push(run_id.to_string(), instance);
        // Drop evicted instances outside the lock. (`push` also hands back the instance
        // it replaced under the same id: not an eviction.)
        if evicted.as_ref().is_some_and(|(id, _)| id != run_id) {
            self.evictions.inc();
        }
        drop(evicted);
    }

    pub fn len(&self) -> usize {
        self.instances
            .as_ref()
            .map_or(0, |i| i.lock().unwrap().len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
