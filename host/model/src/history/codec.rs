//! The stored encoding of histories, and its versions.
//!
//! A history is stored in chunks, one per durable commit. Each chunk of a run written
//! in format 2 or later is
//!
//! ```text
//! varint(format version)  postcard(Vec<Event>)
//! ```
//!
//! and the version is read and checked on every chunk: a version newer than
//! [`FORMAT_VERSION`] is a [`DecodeError::NewerFormat`], never a guess. Format 1 (the
//! first release) wrote bare `postcard(Vec<Event>)` chunks; a run records its format in
//! its run record, and chunks of a format-1 run are read and appended bare.
//!
//! How the format evolves: the event types ([`super::Event`] and
//! [`super::vocab`]) are encoded by position, so a variant is only ever *added at the
//! end* of its enum, and a field or variant is never changed, reordered or removed.
//! Adding a variant bumps [`FORMAT_VERSION`] (an older weft then refuses the newer
//! chunks instead of failing on an unknown variant half-way). Any other change keeps
//! the old shape under `history::format_<n>` and converts on read. Format 2 added
//! `Event::TaskAttemptFailed` to format 1; format 3 added `Event::ActivityHeartbeat`,
//! `Event::CancelRequested`, `Event::LocalActivityAttemptFailed`, `Event::Deadlines`,
//! `Event::TimedOut`, `Event::ModuleChanged`, `Event::ContinuedFrom` and
//! `Event::PendingJob`; format 4 added `Event::ChildOptions`; format 5 added
//! `Encoding::Encoded` (payloads encoded by `crate::payload_codec`; a chunk holding one
//! is stamped 5 or later, even in a run recorded in an older format); format 6 added
//! `Event::ResetFrom`, `Event::ResetTo`, `Event::Priority`, `Event::Paused`,
//! `Event::Unpaused`, `Event::ActivityPaused`, `Event::ActivityUnpaused`,
//! `Event::ActivityReset`, `Event::ActivityOptionsUpdated` and `Event::UserMetadata` (a
//! run, or one of its activities, steered from outside; what arrives while a run is
//! paused, or what a reset reapplies, is recorded as `Event::PendingJob`, which from
//! format 6 may appear between tasks, not only before the first); format 7 added
//! `Event::Fairness`, `Event::ActivityFlow` and `Event::ChildFlow` (flow control set by
//! a start, an activity or a child), `Event::Debounced` (a start with a debounce key,
//! pending until its period passes) and `Event::CurrentDetails` (what the workflow says
//! it is doing, recorded within a task after its jobs); format 8 added `Event::Arrived`
//! (the time of what arrives between tasks) and `Job::ChildCancelRequested` (a child's
//! run recorded the cancellation its parent requested), and changed the shape of
//! `vocab::Failure`: it gained a `cause` (the failure that caused it: a child's
//! failure under its parent's child-failed error, an activity's last attempt under
//! its timeout) and `encoded_attributes` (its message encoded by the payload codec at
//! rest). The older shape is kept under `history::format_7`: a chunk stamped 7 or
//! older decodes through it, and a chunk holding a failure is stamped 8 or later, even
//! in a run recorded in an older format (the bare chunks of a format-1 run are written
//! in the older shape, without causes); format 9 added `Event::CronSchedule` (an
//! execution started with a cron schedule, recorded in each run of its chain). Data of
//! every older format decodes with today's types.

use super::format_7::{with_shape, FAILURE_CAUSE_SINCE};
use super::Event;

/// The version written by this weft.
pub const FORMAT_VERSION: u16 = 9;

/// The oldest version this weft reads.
pub const OLDEST_FORMAT: u16 = 1;

/// Stored history bytes could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The chunk was written by a newer weft.
    #[error("the history of run {run_id} at event {index} is in format version {found}, newer than this weft reads ({FORMAT_VERSION}); upgrade weft")]
    NewerFormat {
        run_id: String,
        index: u64,
        found: u64,
    },
    /// The run's record names a format this weft never wrote.
    #[error("run {run_id} is recorded in history format {found}, which this weft does not know (it reads {OLDEST_FORMAT} to {FORMAT_VERSION})")]
    UnknownFormat { run_id: String, found: u16 },
    /// The bytes are damaged (or not a history at all).
    #[error("the history of run {run_id} at event {index} does not decode: {reason}")]
    Corrupt {
        run_id: String,
        index: u64,
        reason: String,
    },
}

/// One stored chunk: the index of its first event and its bytes.
#[derive(Debug, Clone)]
pub struct Chunk {
    pub first_index: u64,
    pub bytes: Vec<u8>,
}

/// Encode `events` as one chunk of a run recorded in `format`.
pub fn encode_events(format: u16, events: &[Event]) -> Vec<u8> {
    encode_events_counted(format, events).0
}

/// [`encode_events`], and the bytes the events take (the sum of their
/// [`encoded_len`]s), read off the chunk instead of encoding them twice.
pub fn encode_events_counted(format: u16, events: &[Event]) -> (Vec<u8>, u64) {
    let mut out = Vec::with_capacity(64 * events.len() + 4);
    // The shape the events are written in: today's, stamped at least 8 when a failure
    // is among them; a bare format-1 chunk cannot say so, and keeps the older shape.
    let shape = if format >= 2 {
        let stamp = if events.iter().any(Event::holds_failure) {
            format.max(FAILURE_CAUSE_SINCE)
        } else {
            format
        };
        let mut buf = [0u8; 3];
        out.extend_from_slice(postcard::to_slice(&stamp, &mut buf).expect("a u16 fits"));
        FORMAT_VERSION
    } else {
        format
    };
    // A sequence is its length (a varint) and then its elements.
    let prefix = out.len() + postcard::experimental::serialized_size(&events.len()).unwrap_or(0);
    with_shape(shape, || postcard::to_io(events, &mut out)).expect("events always encode");
    let events_len = (out.len() - prefix) as u64;
    (out, events_len)
}

/// Decode a run's chunks, in order, checking each chunk's version.
pub fn decode_chunks(
    run_id: &str,
    format: u16,
    chunks: impl IntoIterator<Item = Chunk>,
) -> Result<Vec<Event>, DecodeError> {
    if !(OLDEST_FORMAT..=FORMAT_VERSION).contains(&format) {
        return Err(DecodeError::UnknownFormat {
            run_id: run_id.to_string(),
            found: format,
        });
    }
    let mut events = Vec::new();
    for chunk in chunks {
        events.extend(decode_chunk(run_id, format, &chunk)?);
    }
    Ok(events)
}

fn decode_chunk(run_id: &str, format: u16, chunk: &Chunk) -> Result<Vec<Event>, DecodeError> {
    let corrupt = |reason: String| DecodeError::Corrupt {
        run_id: run_id.to_string(),
        index: chunk.first_index,
        reason,
    };
    let (shape, body) = if format >= 2 {
        let (version, rest): (u64, &[u8]) =
            postcard::take_from_bytes(&chunk.bytes).map_err(|e| corrupt(e.to_string()))?;
        if version > FORMAT_VERSION as u64 {
            return Err(DecodeError::NewerFormat {
                run_id: run_id.to_string(),
                index: chunk.first_index,
                found: version,
            });
        }
        if version < 2 {
            return Err(corrupt(format!("chunk claims format {version}")));
        }
        (version as u16, rest)
    } else {
        (1, &chunk.bytes[..])
    };
    let (events, rest): (Vec<Event>, &[u8]) = with_shape(shape, || postcard::take_from_bytes(body))
        .map_err(|e| corrupt(e.to_string()))?;
    if !rest.is_empty() {
        return Err(corrupt(format!("{} bytes follow the events", rest.len())));
    }
    Ok(events)
}

/// Bytes `event` takes encoded (what `history-info` counts).
pub fn encoded_len(event: &Event) -> u64 {
    postcard::experimental::serialized_size(event).unwrap_or(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::vocab::{Job, TaskFailure};

    fn sample() -> Vec<Event> {
        vec![
            Event::TaskStarted { time_ms: 7 },
            Event::Job(Job::FireTimer(3)),
            Event::TaskAttemptFailed {
                failure: TaskFailure::host("boom"),
                attempt: 1,
                retry_at_ms: 1007,
            },
        ]
    }

    fn chunk(bytes: Vec<u8>) -> Chunk {
        Chunk {
            first_index: 5,
            bytes,
        }
    }

    #[test]
    fn round_trips_in_both_formats() {
        for format in [1, 2] {
            let bytes = encode_events(format, &sample());
            let back = decode_chunks("r", format, [chunk(bytes)]).unwrap();
            assert_eq!(back, sample());
        }
    }

    #[test]
    fn the_counted_size_is_the_events_own() {
        let events = sample();
        let expected: u64 = events.iter().map(encoded_len).sum();
        for format in [1, 2] {
            assert_eq!(encode_events_counted(format, &events).1, expected);
        }
    }

    #[test]
    fn a_newer_version_is_refused_not_misread() {
        let newer = FORMAT_VERSION + 1;
        let mut bytes = encode_events(2, &sample());
        bytes[0] = newer as u8;
        let err = decode_chunks("r", 2, [chunk(bytes)]).unwrap_err();
        assert!(
            matches!(err, DecodeError::NewerFormat { found, .. } if found == newer as u64),
            "{err}"
        );
        assert!(err.to_string().contains("upgrade weft"));
        let err = decode_chunks("r", newer, Vec::new()).unwrap_err();
        assert!(matches!(err, DecodeError::UnknownFormat { found, .. } if found == newer));
    }

    #[test]
    fn a_chunk_with_a_failure_is_stamped_8_and_keeps_its_cause() {
        let failure = super::super::Failure::new("outer", "O")
            .caused_by(super::super::Failure::new("inner", "I"));
        let events = vec![Event::ActivityAttemptFailed {
            seq: 1,
            attempt: 1,
            failure,
            retry_at_ms: 5,
        }];
        for format in [2, 7] {
            let bytes = encode_events(format, &events);
            assert_eq!(bytes[0], 8);
            assert_eq!(decode_chunks("r", format, [chunk(bytes)]).unwrap(), events);
            // Without a failure, the run's own format.
            assert_eq!(encode_events(format, &sample())[0] as u16, format);
        }
        // A bare format-1 chunk keeps the older shape: the cause is lost, the rest reads.
        let bytes = encode_events(1, &events);
        let back = decode_chunks("r", 1, [chunk(bytes)]).unwrap();
        let Event::ActivityAttemptFailed { failure, .. } = &back[0] else {
            panic!("{back:?}");
        };
        assert_eq!(failure, &super::super::Failure::new("outer", "O"));
    }

    #[test]
    fn damage_is_an_error() {
        let mut bytes = encode_events(2, &sample());
        bytes.truncate(bytes.len() - 3);
        assert!(decode_chunks("r", 2, [chunk(bytes)]).is_err());
        let mut bytes = encode_events(2, &sample());
        bytes.push(0);
        assert!(decode_chunks("r", 2, [chunk(bytes)]).is_err());
    }
}
