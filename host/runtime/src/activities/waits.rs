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

/// What a waiting attempt waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// A slot of its task queue (the queue's limit is taken).
    QueueSlot,
    /// A token of its task queue's rate limit.
    Token,
    /// A slot of the host (`--max-concurrent-activities` is taken).
    HostSlot,
}

impl Stage {
    pub(super) fn set(&self, step: Waiting) {
        self.0.store(step as u8, Ordering::Relaxed);
    }

    fn get(&self) -> Waiting {
        match self.0.load(Ordering::Relaxed) {
            0 => Waiting::QueueSlot,
            1 => Waiting::Token,
            _ => Waiting::HostSlot,
        }
    }
}

type Key = (String, u32);

/// The attempts waiting now, by run id and seq, with their queue.
#[derive(Debug, Default)]
pub(super) struct Waits(Mutex<HashMap<Key, (String, Arc<Stage>)>>);

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
        queue: &str,
        stage: Arc<Stage>,
    ) -> WaitNote {
        let key = (run_id.to_string(), seq);
        self.0
            .lock()
            .unwrap()
            .insert(key.clone(), (queue.to_string(), stage));
        WaitNote {
            waits: self.clone(),
            key,
        }
    }

    /// The queue and the step the attempt `seq` of run `run_id` waits at.
    pub(super) fn of(&self, run_id: &str, seq: u32) -> Option<(String, Waiting)> {
        let waits = self.0.lock().unwrap();
        let (queue, stage) = waits.get(&(run_id.to_string(), seq))?;
        Some((queue.clone(), stage.get()))
    }
}
