//! How a run ended, as the run record's status and as the bytes of the outcome table.

use crate::history::format_7::with_shape;
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

/// An outcome as `encode` stored it, by this weft or one before format 8.
///
/// Outcome bytes carry no version. A failure, the only part whose shape format 8
/// changed, ends the bytes of its outcome and only gained fields at its end, so the
/// older bytes run out when read in today's shape: today's is tried first, then the
/// older (`history::format_7`).
pub(crate) fn decode(run_id: &str, bytes: &[u8]) -> Result<Outcome, StorageError> {
    postcard::from_bytes(bytes)
        .or_else(|_| with_shape(7, || postcard::from_bytes(bytes)))
        .map_err(|source| StorageError::Decode {
            what: format!("the outcome of run {run_id}"),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Failure;

    #[test]
    fn an_outcome_stored_before_format_8_reads_and_todays_keeps_its_cause() {
        let plain = Failure::new("boom", "E").non_retryable();
        let older = with_shape(7, || postcard::to_stdvec(&Outcome::Failed(plain.clone())));
        let read = decode("r", &older.unwrap()).unwrap();
        assert_eq!(read, Outcome::Failed(plain.clone()));
        let caused = Outcome::Failed(plain.caused_by(Failure::new("root", "R")));
        let bytes = encode(&PayloadCodec::none(), &caused);
        assert_eq!(decode("r", &bytes).unwrap(), caused);
        let done = Outcome::Terminated("stuck".into());
        assert_eq!(
            decode("r", &encode(&PayloadCodec::none(), &done)).unwrap(),
            done
        );
    }
}
