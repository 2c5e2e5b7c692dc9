//! The bounded cache of live instances: a running workflow advances without replay
//! while its instance stays here; an evicted one is rebuilt by replaying its history.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use lru::LruCache;

use crate::engine::WorkflowInstance;

pub struct InstanceCache {
    instances: Mutex<LruCache<String, WorkflowInstance>>,
}

impl InstanceCache {
    pub fn new(capacity: usize) -> InstanceCache {
        let capacity = NonZeroUsize::new(capacity.max(1)).expect("capacity is at least 1");
        InstanceCache {
            instances: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// Take a run's instance out of the cache (its actor owns it while a task runs).
    pub fn take(&self, run_id: &str) -> Option<WorkflowInstance> {
        self.instances.lock().unwrap().pop(run_id)
    }

    /// Put an instance back; the least recently used one is dropped if the cache is full.
    pub fn put(&self, run_id: &str, instance: WorkflowInstance) {
        let evicted = self
            .instances
            .lock()
            .unwrap()
            .push(run_id.to_string(), instance);
        // Drop evicted instances outside the lock.
        drop(evicted);
    }

    pub fn len(&self) -> usize {
        self.instances.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
