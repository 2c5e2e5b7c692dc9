//! The trace of a seed: every decision of the simulator and every answer the world saw,
//! in order. Two runs of one seed must give the same trace (and so the same hash).

use std::sync::{Arc, Mutex};

/// A seed's trace; clones share it.
#[derive(Debug, Clone, Default)]
pub struct Trace(Arc<Mutex<Vec<String>>>);

impl Trace {
    pub fn push(&self, line: String) {
        self.0.lock().unwrap().push(line);
    }

    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// An FNV-1a hash of every line.
    pub fn hash(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for line in self.0.lock().unwrap().iter() {
            for b in line.bytes().chain([b'\n']) {
                h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
            }
        }
        h
    }
}
