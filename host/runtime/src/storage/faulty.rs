//! A storage wrapper that refuses commits on demand, to test what happens when the disk
//! fails under a host (or under anything else built on [`Storage`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::oneshot;

use super::plan::TypedQuery;
use super::{
    Commit, CommitObserver, Counted, HistoryChunk, ModuleVersion, OutboxRow, RunAttributes,
    RunFilter, RunRecord, SearchPage, Storage, StorageError, TimerRow, Write,
};

/// Forwards everything to the storage it wraps, except that it can be told to fail the
/// next commits: each fails with [`StorageError::Injected`] and writes nothing.
///
/// ```
/// use std::sync::Arc;
/// use weft_runtime::storage::{durable, FaultyStorage, RedbStorage, Storage, StorageError};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let storage = FaultyStorage::new(Arc::new(RedbStorage::in_memory().unwrap()));
/// storage.fail_commits(1);
/// let refused = durable(storage.commit(Vec::new())).await.unwrap_err();
/// assert!(matches!(*refused, StorageError::Injected));
/// assert!(durable(storage.commit(Vec::new())).await.is_ok());
/// # });
/// ```
pub struct FaultyStorage {
    inner: Arc<dyn Storage>,
    /// Commits still to refuse.
    failing: AtomicUsize,
    /// Commits refused so far.
    refused: AtomicUsize,
}

impl FaultyStorage {
    /// Wrap `inner`; nothing fails until [`FaultyStorage::fail_commits`] says so.
    pub fn new(inner: Arc<dyn Storage>) -> FaultyStorage {
        FaultyStorage {
            inner,
            failing: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
        }
    }

    /// Refuse the next `n` commits (replacing any count still pending).
    pub fn fail_commits(&self, n: usize) {
        self.failing.store(n, Ordering::SeqCst);
    }

    /// How many commits were refused so far.
    pub fn refused_commits(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }

    /// Take one refusal from the count, if any is left.
    fn refuse(&self) -> bool {
        let taken = self
            .failing
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if taken.is_ok() {
            self.refused.fetch_add(1, Ordering::SeqCst);
        }
        taken.is_ok()
    }
}

impl Storage for FaultyStorage {
    fn commit(&self, writes: Vec<Write>) -> Commit {
        if !self.refuse() {
            return self.inner.commit(writes);
        }
        let (done, commit) = oneshot::channel();
        let _ = done.send(Err(Arc::new(StorageError::Injected)));
        commit
    }

    fn history(&self, run_id: &str) -> Result<Vec<HistoryChunk>, StorageError> {
        self.inner.history(run_id)
    }

    fn run(&self, run_id: &str) -> Result<Option<RunRecord>, StorageError> {
        self.inner.run(run_id)
    }

    fn latest_run(&self, workflow_id: &str) -> Result<Option<RunRecord>, StorageError> {
        self.inner.latest_run(workflow_id)
    }

    fn list_runs(&self, filter: &RunFilter, limit: usize) -> Result<Vec<RunRecord>, StorageError> {
        self.inner.list_runs(filter, limit)
    }

    fn open_runs(&self) -> Result<Vec<RunRecord>, StorageError> {
        self.inner.open_runs()
    }

    fn closed_before(&self, before_ms: u64, limit: usize) -> Result<Vec<RunRecord>, StorageError> {
        self.inner.closed_before(before_ms, limit)
    }

    fn outcome(&self, run_id: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.outcome(run_id)
    }

    fn request(&self, workflow_id: &str, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.request(workflow_id, key)
    }

    fn timers(&self) -> Result<Vec<TimerRow>, StorageError> {
        self.inner.timers()
    }

    fn resting_runs(&self) -> Result<HashMap<String, Option<String>>, StorageError> {
        self.inner.resting_runs()
    }

    fn outbox(&self) -> Result<Vec<OutboxRow>, StorageError> {
        self.inner.outbox()
    }

    fn module(&self, digest: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.module(digest)
    }

    fn module_versions(&self) -> Result<Vec<ModuleVersion>, StorageError> {
        self.inner.module_versions()
    }

    fn schedules(&self) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
        self.inner.schedules()
    }

    fn batches(&self) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
        self.inner.batches()
    }

    fn observe_commits(&self, observer: Arc<dyn CommitObserver>) {
        self.inner.observe_commits(observer)
    }

    fn failure(&self) -> Option<String> {
        self.inner.failure()
    }

    fn run_attributes(&self, run_id: &str) -> Result<Option<RunAttributes>, StorageError> {
        self.inner.run_attributes(run_id)
    }

    fn attribute_types(
        &self,
    ) -> Result<std::collections::BTreeMap<String, weft_types::SearchAttributeKind>, StorageError>
    {
        self.inner.attribute_types()
    }

    fn search_runs(
        &self,
        query: &TypedQuery,
        offset: usize,
        limit: usize,
    ) -> Result<SearchPage, StorageError> {
        self.inner.search_runs(query, offset, limit)
    }

    fn count_runs(&self, query: &TypedQuery) -> Result<Counted, StorageError> {
        self.inner.count_runs(query)
    }
}
