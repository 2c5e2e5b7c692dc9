//! How a run ended, as the run record's status and as the bytes of the outcome table.

use crate::history::Outcome;
use crate::payload_codec::PayloadCodec;
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

/// The bytes of `storage::Write::PutOutcome`, its payloads encoded with `codec`.
pub(crate) fn encode(codec: &PayloadCodec, outcome: &Outcome) -> Vec<u8> {
    let sealed = codec.sealed_outcome(outcome);
    postcard::to_stdvec(sealed.as_ref().unwrap_or(outcome)).expect("outcomes always encode")
}

/// An outcome as `encode` stored it.
pub(crate) fn decode(run_id: &str, bytes: &[u8]) -> Result<Outcome, StorageError> {
    postcard::from_bytes(bytes).map_err(|source| StorageError::Decode {
        what: format!("the outcome of run {run_id}"),
        source,
    })
}
