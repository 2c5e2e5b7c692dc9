//! How a run ended, as the run record's status and as the bytes of the outcome table.

use crate::history::Outcome;
use crate::storage::{Status, StorageError};

/// The status a run has once it ended this way.
pub fn status_of(outcome: &Outcome) -> Status {
    match outcome {
        Outcome::Completed(_) => Status::Completed,
        Outcome::Failed(_) => Status::Failed,
        Outcome::Cancelled => Status::Cancelled,
        Outcome::Terminated(_) => Status::Terminated,
        Outcome::ContinuedAsNew => Status::ContinuedAsNew,
        Outcome::TimedOut(_) => Status::TimedOut,
    }
}

/// The bytes of `storage::Write::PutOutcome`.
pub(crate) fn encode(outcome: &Outcome) -> Vec<u8> {
    postcard::to_stdvec(outcome).expect("outcomes always encode")
}

/// An outcome as `encode` stored it.
pub(crate) fn decode(run_id: &str, bytes: &[u8]) -> Result<Outcome, StorageError> {
    postcard::from_bytes(bytes).map_err(|source| StorageError::Decode {
        what: format!("the outcome of run {run_id}"),
        source,
    })
}
