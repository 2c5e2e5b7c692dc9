//! Payload codecs: payloads encrypted (AES-256-GCM) and compressed (zstd) at rest, and
//! failure messages and the reasons of cancel and terminate requests with them.
//!
//! The codec works at the storage boundary only. The runtime, replay and guests see
//! plaintext histories; the codec encodes the payloads of the events a commit writes
//! (and of the outcome a close writes) and decodes them when a history or an outcome is
//! read back. Search attributes are never encoded (they are indexed). See
//! [`keys`] for the key file, [`envelope`] for what an encoded payload holds.
//!
//! Without a key file the codec is [`PayloadCodec::none`]: writing is exactly what it
//! was without codecs (no copy, no walk), and reading still looks for encoded payloads
//! so that a reader without keys fails with the key id it needs rather than showing
//! ciphertext.

pub mod envelope;
pub mod keys;
pub(crate) mod visit;

use std::path::Path;
use std::sync::Arc;

pub use envelope::Envelope;
pub use keys::{KeyFileError, Keyring};

use crate::history::codec::{encode_events_counted, encoded_len};
use crate::history::vocab::{Encoding, Payload};
use crate::history::{Event, Outcome};

/// The first history format whose chunks may hold encoded payloads.
pub const ENCODED_SINCE_FORMAT: u16 = 5;

/// The first history format whose chunks may hold encoded failure messages and
/// reasons (see `visit`).
pub const ENCODED_TEXT_SINCE_FORMAT: u16 = 8;

pub use visit::ENCODED_TEXT;

/// An encoded payload could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("a payload is encrypted with key `{key_id}` and no codec keys are configured; give the key file with --codec-keys <file> (or WEFT_CODEC_KEYS)")]
    NoKeys { key_id: String },
    #[error("a payload is encrypted with key `{key_id}`, which is not in the codec key file; add key `{key_id}` to the file (keep retired keys for as long as data encrypted with them is kept)")]
    MissingKey { key_id: String },
    #[error("a payload encrypted with key `{key_id}` does not decrypt: key `{key_id}` in the key file is not the key that encrypted it, or the data is damaged")]
    Decrypt { key_id: String },
    #[error("an encoded payload is damaged: {0}")]
    Damaged(String),
}

/// The host's codec: none, or the keys of a key file. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct PayloadCodec(Option<Arc<Keyring>>);

impl PayloadCodec {
    /// No codec: payloads are stored as they are.
    pub fn none() -> PayloadCodec {
        PayloadCodec(None)
    }

    /// The codec of a key file's keys.
    pub fn new(keys: Keyring) -> PayloadCodec {
        PayloadCodec(Some(Arc::new(keys)))
    }

    /// The codec of the key file at `path`, or none without a path.
    pub fn from_file(path: Option<&Path>) -> Result<PayloadCodec, KeyFileError> {
        match path {
            Some(p) => Ok(PayloadCodec::new(Keyring::from_file(p)?)),
            None => Ok(PayloadCodec::none()),
        }
    }

    /// True when a key file is configured.
    pub fn has_keys(&self) -> bool {
        self.0.is_some()
    }

    /// The keys, when writing changes payloads.
    fn encoding_keys(&self) -> Option<&Keyring> {
        self.0.as_deref().filter(|k| k.encodes())
    }

    /// Encode `events` as one history chunk of a run recorded in `format`, their
    /// payloads encoded, and the bytes the *plaintext* events take (what
    /// `history-info` counts, so a live run and its replay count the same). Without a
    /// codec (or for a format-1 run, whose bare chunks cannot say they hold encoded
    /// payloads) this is [`encode_events_counted`] itself. A chunk with encoded
    /// payloads is stamped with at least [`ENCODED_SINCE_FORMAT`].
    pub fn encode_chunk(&self, format: u16, events: &[Event]) -> (Vec<u8>, u64) {
        let keys = match self.encoding_keys() {
            Some(keys) if format >= 2 => keys,
            _ => return encode_events_counted(format, events),
        };
        let plain_len = events.iter().map(encoded_len).sum();
        let mut sealed = events.to_vec();
        for event in &mut sealed {
            let _ = visit::event_payloads(event, &mut |p| seal_in_place(keys, p));
        }
        // (A sealed failure message stamps the chunk 8 by the failure's own shape.)
        let reasons = sealed
            .iter()
            .any(|e| matches!(e, Event::Terminated { .. } | Event::CancelRequested { .. }));
        let stamp = if reasons {
            format.max(ENCODED_TEXT_SINCE_FORMAT)
        } else {
            format.max(ENCODED_SINCE_FORMAT)
        };
        let (bytes, _) = encode_events_counted(stamp, &sealed);
        (bytes, plain_len)
    }

    /// `outcome` with its payloads encoded, as the outcome table stores it; `None`
    /// when writing changes nothing (store `outcome` itself).
    pub fn sealed_outcome(&self, outcome: &Outcome) -> Option<Outcome> {
        let keys = self.encoding_keys()?;
        let mut sealed = outcome.clone();
        let _ = visit::outcome_payloads(&mut sealed, &mut |p| seal_in_place(keys, p));
        Some(sealed)
    }

    /// Decode the encoded payloads of `events` in place.
    pub fn decode_events(&self, events: &mut [Event]) -> Result<(), CodecError> {
        let keys = self.0.as_deref();
        events
            .iter_mut()
            .try_for_each(|e| visit::event_payloads(e, &mut |p| open_in_place(keys, p)))
    }

    /// How many payloads of `events` are encoded (envelopes a key holder decodes).
    pub fn encoded_payloads(events: &[Event]) -> usize {
        let mut count = 0;
        for event in events {
            let _ = visit::event_payloads(&mut event.clone(), &mut |p| {
                count += usize::from(p.encoding == Encoding::Encoded);
                Ok::<(), ()>(())
            });
        }
        count
    }

    /// Decode the encoded payloads of `outcome` in place.
    pub fn decode_outcome(&self, outcome: &mut Outcome) -> Result<(), CodecError> {
        let keys = self.0.as_deref();
        visit::outcome_payloads(outcome, &mut |p| open_in_place(keys, p))
    }

    /// A record kept outside histories (a schedule, with its action's input and memo)
    /// sealed as one opaque payload; `None` when writing changes nothing.
    pub fn seal_record(&self, bytes: Vec<u8>) -> Option<Vec<u8>> {
        let keys = self.encoding_keys()?;
        let payload = Payload {
            encoding: Encoding::Binary,
            data: bytes,
        };
        Some(envelope::seal(keys, payload).data)
    }

    /// The bytes of a record [`seal_record`](Self::seal_record) sealed.
    pub fn open_record(&self, sealed: &[u8]) -> Result<Vec<u8>, CodecError> {
        let payload = Payload {
            encoding: Encoding::Encoded,
            data: sealed.to_vec(),
        };
        Ok(envelope::open(self.0.as_deref(), &payload)?.data)
    }

    /// Encode the payloads of `events` in place (what a commit stores), for tools that
    /// write histories themselves.
    pub fn encode_events(&self, events: &mut [Event]) {
        if let Some(keys) = self.encoding_keys() {
            for event in events {
                let _ = visit::event_payloads(event, &mut |p| seal_in_place(keys, p));
            }
        }
    }
}

fn seal_in_place(keys: &Keyring, payload: &mut Payload) -> Result<(), CodecError> {
    let plain = std::mem::replace(payload, Payload::json(&serde_json::Value::Null));
    *payload = envelope::seal(keys, plain);
    Ok(())
}

fn open_in_place(keys: Option<&Keyring>, payload: &mut Payload) -> Result<(), CodecError> {
    if payload.encoding == Encoding::Encoded {
        *payload = envelope::open(keys, payload)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
