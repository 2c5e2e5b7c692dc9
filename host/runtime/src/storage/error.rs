//! What can go wrong in the storage layer.

/// Something went wrong in the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database file could not be opened or created.
    #[error("cannot open the database at {path}: {source} (is another weft process using this data folder?)")]
    Open {
        /// The file, or `<memory>`.
        path: String,
        source: redb::DatabaseError,
    },
    /// A read or write failed in the database before any I/O went wrong; nothing of a
    /// failed commit was written.
    #[error("database error: {0}")]
    Database(String),
    /// The disk failed (a read, write or fsync returned an I/O error). A commit that
    /// failed this way may or may not be on disk after a restart, and the database
    /// refuses everything until it is reopened: the host stops (see [`Self::is_fatal`]).
    #[error("storage I/O error: {0}")]
    Io(String),
    /// Stored bytes did not decode (a damaged file, or one written by a newer weft).
    #[error("stored data for {what} does not decode: {source}; it was written by a newer weft or the file is damaged")]
    Decode {
        /// What was being read, e.g. `run 0a1b…`.
        what: String,
        source: postcard::Error,
    },
    /// Stored JSON did not decode (a run's search attributes and memo).
    #[error("stored data for {what} does not decode: {message}; it was written by a newer weft or the file is damaged")]
    DecodeJson { what: String, message: String },
    /// An index names a run that has no record.
    #[error("the {index} index lists run {run_id}, which has no record: the database is damaged")]
    IndexMismatch {
        /// Which index (`by start`, `by status`, `by type`).
        index: &'static str,
        run_id: String,
    },
    /// A commit refused on purpose by [`super::FaultyStorage`] (tests of failure paths).
    #[error("injected fault: the commit was refused and nothing was written")]
    Injected,
    /// A [`super::Write::Fence`] failed: another host took the shard's lease, so this
    /// host may no longer write for its runs. Nothing of the batch was written.
    #[error("this host no longer owns shard {shard} (its lease was taken over or expired): nothing was written; the shard's new owner serves its runs")]
    FenceLost { shard: u32 },
    /// The database was lost during a commit and whether the commit is durable cannot
    /// be learned (PostgreSQL's connection dropped during COMMIT and the transaction's
    /// status could not be read back in time). What the host holds in memory may no
    /// longer match the database: the host stops (see [`Self::is_fatal`]) and resumes
    /// from what is durable when it is started again.
    #[error("the outcome of a commit is unknown: {0}")]
    OutcomeUnknown(String),
    /// The writer thread is gone (the host is shutting down).
    #[error("the storage writer has stopped (the host is shutting down); retry on a running host")]
    WriterStopped,
}

impl StorageError {
    /// Whether this error leaves the storage unusable until it is reopened, and the
    /// outcome of the commit that met it unknown (an I/O error, a lost COMMIT).
    pub fn is_fatal(&self) -> bool {
        matches!(self, StorageError::Io(_) | StorageError::OutcomeUnknown(_))
    }
}

/// A redb error: an I/O error (now or before, which poisoned the database) is fatal;
/// anything else is a clean refusal.
fn from_redb(storage: Option<&redb::StorageError>, message: String) -> StorageError {
    match storage {
        Some(redb::StorageError::Io(_) | redb::StorageError::PreviousIo) => {
            StorageError::Io(message)
        }
        _ => StorageError::Database(message),
    }
}

impl From<redb::StorageError> for StorageError {
    fn from(e: redb::StorageError) -> Self {
        from_redb(Some(&e), e.to_string())
    }
}

macro_rules! database_error_from {
    ($($t:ident),*) => {$(
        impl From<redb::$t> for StorageError {
            fn from(e: redb::$t) -> Self {
                let storage = match &e {
                    redb::$t::Storage(s) => Some(s),
                    _ => None,
                };
                from_redb(storage, e.to_string())
            }
        }
    )*};
}
database_error_from!(TransactionError, TableError, CommitError);
