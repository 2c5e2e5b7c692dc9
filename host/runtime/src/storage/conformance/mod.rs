//! The storage's model-based tests, as functions over any [`Storage`], so every backend
//! runs the same ones (redb in this crate's tests, PostgreSQL in `weft-postgres`'s).
//! Built with the `conformance` feature (and in this crate's tests).
//!
//! Each function takes a [`Backend`]: a way to open the store under test, which every
//! call opens afresh on the same data (empty at the test's start), so a test can check
//! what survives reopening. The functions panic (assert) on any disagreement.

pub mod records;
pub mod removal;
pub mod requests;
pub mod runs;
pub mod search;

use std::sync::Arc;

use super::{RunRecord, Status, Storage, StorageError, Write};

/// A storage backend under test.
pub struct Backend<'a> {
    /// Opens the store under test; each call opens the same data. Only one opened
    /// store is alive at a time.
    pub open: &'a dyn Fn() -> Box<dyn Storage>,
    /// Whether text (ids, types, names) may hold NUL characters: redb's keys may,
    /// PostgreSQL's `text` may not.
    pub nul_in_text: bool,
}

impl Backend<'_> {
    /// Open the store.
    pub fn open(&self) -> Box<dyn Storage> {
        (self.open)()
    }
}

/// Commit `writes` and wait for the answer (from a thread outside any tokio runtime).
pub fn commit(storage: &dyn Storage, writes: Vec<Write>) -> Result<(), Arc<StorageError>> {
    storage
        .commit(writes)
        .blocking_recv()
        .unwrap_or_else(|_| Err(Arc::new(StorageError::WriterStopped)))
}

/// Run number `id`, of workflow `wf-{id % 50}`.
pub fn run(id: usize, workflow_type: &str, start_ms: u64, status: Status) -> RunRecord {
    RunRecord {
        workflow_id: format!("wf-{}", id % 50),
        run_id: format!("run-{id:04}"),
        workflow_type: workflow_type.to_string(),
        module_digest: "d".into(),
        status,
        start_ms,
        close_ms: (!status.is_open()).then_some(start_ms + 1),
        history_len: 0,
        format_version: 1,
    }
}

/// A small deterministic generator (xorshift), so failures reproduce.
pub struct Dice(pub u64);

impl Dice {
    pub fn roll(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}
