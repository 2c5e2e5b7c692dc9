//! What a waiting activity attempt waits for, for `describe`: the attempt's acquire
//! (`ActivityPools::acquire_staged`) marks its [`Stage`] as it goes (a store, no lock),
//! and an attempt that does not get its slots at once is noted by run and seq
//! ([`Waits::note`]) until it does or gives up.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

/// Which step of acquiring an attempt is at.
#[derive(Debug, Default)]
pub struct Stage(AtomicU8);

/// What a waiting attempt waits for, in the order it takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Waiting {
    /// A slot of its concurrency key (`--concurrency-limit KEY=N` is taken).
    KeySlot = 0,
    /// A slot of its task queue (the queue's limit is taken).
    QueueSlot = 1,
    /// A token of its task queue's rate limit.
    QueueToken = 2,
    /// A token of its activity type's rate limit.
    TypeToken = 3,
    /// A token of its concurrency key's rate limit.
    KeyToken = 4,
    /// A slot of the host (`--max-concurrent-activities` is taken).
    HostSlot = 5,
}

impl Waiting {
    /// Every step, in order.
    pub const ALL: [Waiting; 6] = [
        Waiting::KeySlot,
        Waiting::QueueSlot,
        Waiting::QueueToken,
        Waiting::TypeToken,
        Waiting::KeyToken,
        Waiting::HostSlot,
    ];

    /// Its name as metrics label it.
    pub fn name(self) -> &'static str {
        match self {
            Waiting::KeySlot => "key_slot",
            Waiting::QueueSlot => "queue_slot",
            Waiting::QueueToken => "queue_token",
            Waiting::TypeToken => "type_token",
            Waiting::KeyToken => "key_token",
            Waiting::HostSlot => "host_slot",
        }
    }
}

impl Stage {
    pub(super) fn set(&self, step: Waiting) {
        self.0.store(step as u8, Ordering::Relaxed);
    }

    pub fn get(&self) -> Waiting {
        let n = usize::from(self.0.load(Ordering::Relaxed));
        Waiting::ALL.get(n).copied().unwrap_or(Waiting::HostSlot)
    }
}

/// Whose attempt waits: its queue, type and concurrency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiter {
    pub queue: String,
    pub activity_type: String,
    pub key: Option<String>,
}

type Key = (String, u32);

/// The attempts waiting now, by run id and seq.
#[derive(Debug, Default)]
pub(super) struct Waits(Mutex<HashMap<Key, (Waiter, Arc<Stage>)>>);

/// Notes an attempt as waiting while it lives.
pub struct WaitNote {
    waits: Arc<Waits>,
    key: Key,
}

impl Drop for WaitNote {
    fn drop(&mut self) {
        self.waits.0.lock().unwrap().remove(&self.key);
    }
}

impl Waits {
    pub(super) fn note(
        self: &Arc<Self>,
        run_id: &str,
        seq: u32,
        waiter: Waiter,
        stage: Arc<Stage>,
    ) -> WaitNote {
        let key = (run_id.to_string(), seq);
        self.0.lock().unwrap().insert(key.clone(), (waiter, stage));
        WaitNote {
            waits: self.clone(),
            key,
        }
    }

    /// Whose attempt `seq` of run `run_id` is and the step it waits at.
    pub(super) fn of(&self, run_id: &str, seq: u32) -> Option<(Waiter, Waiting)> {
        let waits = self.0.lock().unwrap();
        let (waiter, stage) = waits.get(&(run_id.to_string(), seq))?;
        Some((waiter.clone(), stage.get()))
    }

    /// How many attempts wait at each step (steps none waits at left out).
    pub(super) fn counts(&self) -> HashMap<Waiting, usize> {
        let mut counts = HashMap::new();
        for (_, stage) in self.0.lock().unwrap().values() {
            *counts.entry(stage.get()).or_default() += 1;
        }
        counts
    }
}
