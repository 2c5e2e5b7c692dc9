//! PostgreSQL as weft's storage: [`PgStorage`] implements the runtime's `Storage` trait
//! over tables (see `schema.rs`), so a host can keep its runs, histories, timers and
//! modules in a database instead of a redb file.
//!
//! The trait is synchronous for reads and hands back a oneshot for commits; the host
//! calls it from its own tokio tasks. `PgStorage` therefore runs a small tokio runtime
//! of its own, on threads of its own: a read is spawned there and the caller waits for
//! the answer on a channel (as it would wait on a redb read), and commits go to a writer
//! task there that groups every waiting batch into one transaction (`writer.rs`).
//!
//! ```no_run
//! use weft_postgres::PgStorage;
//! use weft_runtime::storage::{RunFilter, Storage};
//!
//! let storage = PgStorage::open("postgres://weft@%2Fvar%2Frun%2Fpostgresql/weft")?;
//! let runs = storage.list_runs(&RunFilter::default(), 10)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod apply;
pub mod cluster;
mod reads;
mod schema;
mod search;
mod store;
mod writer;

pub use schema::latest as schema_version;
pub use store::{PgStorage, PoolSize};
#[doc(hidden)]
pub use writer::{resolve as resolve_transaction, Resolved};

/// Why a PostgreSQL storage could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL (or key-value connection string) does not parse.
    #[error("invalid PostgreSQL URL: {0}")]
    Url(tokio_postgres::Error),
    /// Connecting or migrating failed.
    #[error("PostgreSQL: {0}")]
    Database(#[from] tokio_postgres::Error),
    /// The database was migrated by a newer weft.
    #[error("the database's schema is version {found}, newer than the {supported} this weft knows; run a newer weft on it")]
    NewerSchema { found: i32, supported: i32 },
    /// The storage's own runtime or threads could not start.
    #[error("cannot start the PostgreSQL storage's runtime: {0}")]
    Runtime(#[from] std::io::Error),
    /// The database's cluster cannot be joined as asked (see [`cluster`]).
    #[error("cannot join the cluster: {0}")]
    Cluster(String),
    /// The read pool could not be built.
    #[error("cannot build the PostgreSQL connection pool: {0}")]
    Pool(String),
}
