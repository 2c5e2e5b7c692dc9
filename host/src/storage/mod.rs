//! Durable state: runs, their histories and the deployed modules.
//!
//! Writes go through [`Storage::commit`], which groups the batches of many executions
//! into one durable transaction. The returned [`Commit`] resolves only once the data is
//! on disk; callers act on commands after that and never before.

mod records;
mod redb_store;

pub use records::{ModuleVersion, RunRecord, Status};
pub use redb_store::RedbStorage;

use crate::history::Event;

/// Something went wrong in the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database file could not be opened or created.
    #[error("cannot open the database at {path}: {source}")]
    Open {
        path: String,
        source: redb::DatabaseError,
    },
    /// A read or write failed in the database.
    #[error("database error: {0}")]
    Database(String),
    /// Stored bytes did not decode (corruption or a newer format).
    #[error("stored data for {what} does not decode: {source}")]
    Decode {
        what: String,
        source: postcard::Error,
    },
    /// The writer thread is gone (the host is shutting down).
    #[error("the storage writer has stopped")]
    WriterStopped,
}

macro_rules! database_error_from {
    ($($t:ty),*) => {$(
        impl From<$t> for StorageError {
            fn from(e: $t) -> Self { StorageError::Database(e.to_string()) }
        }
    )*};
}
database_error_from!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// One change in a commit.
#[derive(Debug, Clone)]
pub enum Write {
    /// Append events to a run's history, starting at `first_index`.
    Append {
        run_id: String,
        first_index: u64,
        /// The events, encoded by [`encode_events`] (by the caller, so the single
        /// writer thread only writes).
        events: Vec<u8>,
    },
    /// Create or replace a run's record (and point its workflow id at it).
    PutRun(RunRecord),
    /// Store a module's bytes under its digest.
    PutModule { digest: String, bytes: Vec<u8> },
    /// Record a new version of a module name.
    PutModuleVersion(ModuleVersion),
}

/// Resolves when a commit is durable.
pub type Commit = tokio::sync::oneshot::Receiver<Result<(), std::sync::Arc<StorageError>>>;

/// The durable store behind a host.
pub trait Storage: Send + Sync + 'static {
    /// Queue writes for the next group commit.
    fn commit(&self, writes: Vec<Write>) -> Commit;
    /// The whole history of a run.
    fn history(&self, run_id: &str) -> Result<Vec<Event>, StorageError>;
    /// A run by its run id.
    fn run(&self, run_id: &str) -> Result<Option<RunRecord>, StorageError>;
    /// The latest run of a workflow id.
    fn latest_run(&self, workflow_id: &str) -> Result<Option<RunRecord>, StorageError>;
    /// Every run, in no particular order.
    fn runs(&self) -> Result<Vec<RunRecord>, StorageError>;
    /// A module's bytes by digest.
    fn module(&self, digest: &str) -> Result<Option<Vec<u8>>, StorageError>;
    /// Every deployed module version, in deployment order.
    fn module_versions(&self) -> Result<Vec<ModuleVersion>, StorageError>;
}

/// Encode events for [`Write::Append`].
pub fn encode_events(events: &[Event]) -> Vec<u8> {
    postcard::to_stdvec(events).expect("events always encode")
}

/// Wait for a commit, turning a dropped writer into an error.
pub async fn durable(commit: Commit) -> Result<(), std::sync::Arc<StorageError>> {
    commit
        .await
        .unwrap_or_else(|_| Err(std::sync::Arc::new(StorageError::WriterStopped)))
}
