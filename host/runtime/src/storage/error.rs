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
    /// A read or write failed in the database; nothing of a failed commit was written.
    #[error("database error: {0}")]
    Database(String),
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
    /// The writer thread is gone (the host is shutting down).
    #[error("the storage writer has stopped (the host is shutting down); retry on a running host")]
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
