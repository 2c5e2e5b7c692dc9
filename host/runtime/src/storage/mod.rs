//! Durable state: runs and their indexes, histories, outcomes, timers and the deployed
//! modules, behind the [`Storage`] trait.
//!
//! Writes go through [`Storage::commit`], which groups the batches of many executions
//! into one durable transaction. The returned [`Commit`] resolves only once the data is
//! on disk; callers act on commands after that and never before.
//!
//! The storage knows nothing of events or outcomes: histories and outcomes are bytes
//! that the history codec and the runtime encode and decode.
//!
//! ```
//! use weft_runtime::storage::{durable, RedbStorage, RunFilter, RunRecord, Status, Storage, Write};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let storage = RedbStorage::in_memory()?;
//! let run = RunRecord {
//!     workflow_id: "hello-1".into(),
//!     run_id: "r1".into(),
//!     workflow_type: "hello".into(),
//!     module_digest: "ab12".into(),
//!     status: Status::Running,
//!     start_ms: 1_000,
//!     close_ms: None,
//!     history_len: 0,
//!     format_version: 1,
//! };
//! durable(storage.commit(vec![Write::PutRun(run.clone())])).await?;
//! let running = RunFilter { status: Some(Status::Running), ..RunFilter::default() };
//! assert_eq!(storage.list_runs(&running, 10)?, vec![run]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod attr_index;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod error;
mod failing;
mod faulty;
pub mod plan;
mod records;
mod redb_query;
mod redb_removal;
mod redb_scan;
mod redb_search;
mod redb_store;
mod redb_tables;
#[cfg(test)]
mod search_tests;
#[cfg(test)]
mod tests;

pub use error::StorageError;
pub use failing::{DiskSwitch, FailingBackend};
pub use faulty::FaultyStorage;
pub use records::{
    HistoryChunk, ModuleVersion, RunAttributes, RunFilter, RunRecord, Status, TimerRow,
};
pub use redb_search::{Counted, SearchPage};
pub use redb_store::{RedbStorage, DEFAULT_STORAGE_CACHE_BYTES};

use std::collections::HashMap;
use std::sync::Arc;

use plan::TypedQuery;

/// One change in a commit.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// Append events to a run's history, starting at `first_index`.
    Append {
        run_id: String,
        first_index: u64,
        /// The events, encoded by the history codec (by the caller, so the single
        /// writer thread only writes). Read back as one [`HistoryChunk`].
        events: Vec<u8>,
    },
    /// Create or replace a run's record, point its workflow id at it, and move its
    /// rows in the run indexes.
    PutRun(RunRecord),
    /// Store how a run ended (encoded by the runtime), read by [`Storage::outcome`].
    PutOutcome { run_id: String, outcome: Vec<u8> },
    /// Store a durable timer.
    PutTimer(TimerRow),
    /// Remove a durable timer (fired or cancelled); absent timers are ignored.
    DeleteTimer(TimerRow),
    /// Mark an open run as resting: everything it waits for has a row of its own
    /// (timers) or arrives as a message, so an opening host need not resume it.
    /// `parent` is its parent's workflow id, for the close policies of a parent that
    /// closed while the host was down.
    PutResting {
        run_id: String,
        parent: Option<String>,
    },
    /// The run is no longer resting (written with the first commit after it wakes);
    /// absent rows are ignored.
    DeleteResting(String),
    /// Store an effect on another run, to be carried out exactly once.
    PutOutbox(OutboxRow),
    /// Remove an effect, in the commit that records it at its target (or once it
    /// cannot be carried out); absent rows are ignored.
    DeleteOutbox { run_id: String, ordinal: u64 },
    /// Store a module's bytes under its digest.
    PutModule { digest: String, bytes: Vec<u8> },
    /// Record a new version of a module name.
    PutModuleVersion(ModuleVersion),
    /// Create or replace a schedule (encoded by the schedules module).
    PutSchedule { id: String, schedule: Vec<u8> },
    /// Remove a schedule; an absent one is ignored.
    DeleteSchedule(String),
    /// Create or replace a batch job (encoded by the batches module).
    PutBatch { id: String, batch: Vec<u8> },
    /// Commit this batch only while this host holds the lease of the shard that
    /// `workflow_id` belongs to, at the epoch it claimed it with (a cluster's fence: a
    /// host that lost the shard writes nothing of the batch and gets
    /// [`StorageError::FenceLost`]). A storage used by one host alone has nothing to
    /// check and ignores it.
    Fence { workflow_id: String },
    /// Replace a run's current search attributes and memo, and their index rows
    /// (`start_ms` is the run's, part of every index key).
    PutAttributes {
        run_id: String,
        start_ms: u64,
        attributes: RunAttributes,
    },
    /// Record that a request with an id (a start, a signal, a cancellation, a
    /// termination, a completed update) was applied to `workflow_id`: `record` (encoded
    /// by the runtime) says what it did, read back by [`Storage::request`]. Written in
    /// the commit that records the request's effect. The first record of a key stays: a
    /// later write of the same key is ignored.
    PutRequest {
        workflow_id: String,
        key: String,
        record: Vec<u8>,
    },
    /// Remove a closed run and everything kept for it: its record and index rows, its
    /// history, outcome, search attributes and resting row; when its workflow id
    /// points at it, the workflow id too and the requests recorded for it (a new start
    /// of the id is then a new execution). A group applies its removals after its other
    /// writes. An absent run is ignored. The caller removes only closed runs: an open
    /// run's timers and effects are not looked for.
    DeleteRun(String),
}

/// An effect of one run on another (a signal, a cancellation, a close policy), in the
/// outbox until it is recorded at its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// The run whose command asked for it.
    pub run_id: String,
    /// Its place among the run's effects: they are carried out in this order.
    pub ordinal: u64,
    /// The effect, encoded by the runtime.
    pub effect: Vec<u8>,
}

/// Resolves when a commit is durable (or failed; then nothing of it was written).
pub type Commit = tokio::sync::oneshot::Receiver<Result<(), Arc<StorageError>>>;

/// Told of every group commit (for metrics): how many batches it wrote and how long
/// its transaction took, in seconds. Called on the writer, so it must be quick.
pub trait CommitObserver: Send + Sync {
    fn committed(&self, batches: usize, seconds: f64);
}

/// The durable store behind a host.
pub trait Storage: Send + Sync + 'static {
    /// Queue writes for the next group commit.
    fn commit(&self, writes: Vec<Write>) -> Commit;
    /// A run's history as stored: its chunks in event order.
    fn history(&self, run_id: &str) -> Result<Vec<HistoryChunk>, StorageError>;
    /// A run by its run id.
    fn run(&self, run_id: &str) -> Result<Option<RunRecord>, StorageError>;
    /// The latest run of a workflow id.
    fn latest_run(&self, workflow_id: &str) -> Result<Option<RunRecord>, StorageError>;
    /// At most `limit` runs that pass `filter`, newest first by `(start_ms, run_id)`,
    /// read from the run indexes (never a scan of every run).
    fn list_runs(&self, filter: &RunFilter, limit: usize) -> Result<Vec<RunRecord>, StorageError>;
    /// Every run still running, oldest first.
    fn open_runs(&self) -> Result<Vec<RunRecord>, StorageError>;
    /// At most `limit` closed runs that closed before `before_ms`, the earliest closed
    /// first (ties by run id), read from an index by close time.
    fn closed_before(&self, before_ms: u64, limit: usize) -> Result<Vec<RunRecord>, StorageError>;
    /// What the request `key` did to `workflow_id`, as [`Write::PutRequest`] first
    /// stored it (`None`: no such request was applied).
    fn request(&self, workflow_id: &str, key: &str) -> Result<Option<Vec<u8>>, StorageError>;
    /// How a run ended, as [`Write::PutOutcome`] stored it.
    fn outcome(&self, run_id: &str) -> Result<Option<Vec<u8>>, StorageError>;
    /// Every durable timer, soonest first (ties by run id, then seq).
    fn timers(&self) -> Result<Vec<TimerRow>, StorageError>;
    /// Open runs marked resting ([`Write::PutResting`]), with their parents' workflow
    /// ids.
    fn resting_runs(&self) -> Result<HashMap<String, Option<String>>, StorageError>;
    /// Every effect still to carry out, by source run and then in the order recorded.
    fn outbox(&self) -> Result<Vec<OutboxRow>, StorageError>;
    /// A module's bytes by digest.
    fn module(&self, digest: &str) -> Result<Option<Vec<u8>>, StorageError>;
    /// Every deployed module version, in deployment order.
    fn module_versions(&self) -> Result<Vec<ModuleVersion>, StorageError>;
    /// Every schedule as [`Write::PutSchedule`] stored it, by id.
    fn schedules(&self) -> Result<Vec<(String, Vec<u8>)>, StorageError>;
    /// Every batch job as [`Write::PutBatch`] stored it, by id.
    fn batches(&self) -> Result<Vec<(String, Vec<u8>)>, StorageError>;
    /// A run's current search attributes and memo (`None`: it has none).
    fn run_attributes(&self, run_id: &str) -> Result<Option<RunAttributes>, StorageError>;
    /// The type of every search attribute name some run has set.
    fn attribute_types(
        &self,
    ) -> Result<std::collections::BTreeMap<String, weft_types::SearchAttributeKind>, StorageError>;
    /// Runs that pass a checked query, in its order, from `offset`, at most `limit`,
    /// found through the indexes (see `redb_search`).
    fn search_runs(
        &self,
        query: &TypedQuery,
        offset: usize,
        limit: usize,
    ) -> Result<SearchPage, StorageError>;
    /// How many runs pass a checked query (per status with `GROUP BY ExecutionStatus`).
    fn count_runs(&self, query: &TypedQuery) -> Result<Counted, StorageError>;
    /// Report every group commit from now on to `observer` (replacing any other). A
    /// storage that does not group commits reports nothing.
    fn observe_commits(&self, observer: Arc<dyn CommitObserver>) {
        let _ = observer;
    }
    /// What stopped this storage, if anything did, as a phrase ("a storage I/O error:
    /// …", "losing its shard leases: …"): after it the host commits nothing until it is
    /// restarted (see [`StorageError::is_fatal`]).
    fn failure(&self) -> Option<String> {
        None
    }
}

/// Wait for a commit, turning a dropped writer into an error.
pub async fn durable(commit: Commit) -> Result<(), Arc<StorageError>> {
    commit
        .await
        .unwrap_or_else(|_| Err(Arc::new(StorageError::WriterStopped)))
}
