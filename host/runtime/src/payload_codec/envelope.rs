//! One encoded payload: compressed and/or encrypted bytes, and what it takes to get the
//! original back.
//!
//! An encoded payload is stored as a [`Payload`] of encoding [`Encoding::Encoded`]
//! whose data is `[ENVELOPE_VERSION] ++ postcard(Envelope)`. The envelope names the key
//! that encrypted it (never the key itself), the random 96-bit nonce, whether the
//! plaintext was compressed (zstd, compress-then-encrypt) and the original encoding.
//! The key id, the compression flag and the encoding are the associated data of the
//! AES-256-GCM seal, so none of them can be changed without the payload failing to
//! open.

use aes_gcm::aead::{Aead, AeadCore, OsRng, Payload as AeadInput};
use aes_gcm::{Aes256Gcm, Nonce};
use serde::{Deserialize, Serialize};

use super::keys::Keyring;
use super::CodecError;
use crate::history::vocab::{Encoding, Payload};

/// The first byte of an envelope's data; a new envelope shape takes the next.
const ENVELOPE_VERSION: u8 = 1;

/// zstd's level: fast, and most of the gain on JSON.
const ZSTD_LEVEL: i32 = 3;

/// What an encoded payload's data holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The key that encrypted `data`; `None` when it is only compressed.
    pub key_id: Option<String>,
    /// The AES-GCM nonce (12 bytes) when encrypted, empty otherwise.
    pub nonce: Vec<u8>,
    /// Whether the plaintext was compressed with zstd before it was encrypted.
    pub compressed: bool,
    /// The original payload's encoding.
    pub encoding: Encoding,
    /// Ciphertext and tag, or the compressed bytes.
    pub data: Vec<u8>,
}

impl Envelope {
    /// The envelope an encoded payload carries.
    pub fn of(payload: &Payload) -> Result<Envelope, CodecError> {
        let damaged = |reason: String| CodecError::Damaged(reason);
        match payload.data.split_first() {
            Some((&ENVELOPE_VERSION, body)) => {
                postcard::from_bytes(body).map_err(|e| damaged(e.to_string()))
            }
            Some((v, _)) => Err(damaged(format!(
                "envelope version {v} is unknown to this weft; upgrade weft"
            ))),
            None => Err(damaged("an encoded payload with no data".into())),
        }
    }

    /// The payload that carries this envelope.
    pub fn into_payload(self) -> Payload {
        let mut data = vec![ENVELOPE_VERSION];
        postcard::to_io(&self, &mut data).expect("envelopes always encode");
        Payload {
            encoding: Encoding::Encoded,
            data,
        }
    }

    fn associated_data(key_id: &str, compressed: bool, encoding: Encoding) -> Vec<u8> {
        postcard::to_stdvec(&(key_id, compressed, encoding)).expect("always encodes")
    }
}

/// Encode `payload` with `keys`: compressed when larger than the threshold (and
/// smaller for it), encrypted under the active key. A payload that neither changes
/// comes back as it was; one already encoded is left alone.
pub fn seal(keys: &Keyring, payload: Payload) -> Payload {
    if payload.encoding == Encoding::Encoded {
        return payload;
    }
    let mut data = payload.data;
    let mut compressed = false;
    if keys
        .compress_above()
        .is_some_and(|limit| data.len() > limit)
    {
        if let Ok(smaller) = zstd::bulk::compress(&data, ZSTD_LEVEL) {
            if smaller.len() < data.len() {
                data = smaller;
                compressed = true;
            }
        }
    }
    let (key_id, nonce) = match keys.active() {
        Some((id, cipher)) => {
            let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
            let aad = Envelope::associated_data(id, compressed, payload.encoding);
            data = cipher
                .encrypt(
                    &nonce,
                    AeadInput {
                        msg: &data,
                        aad: &aad,
                    },
                )
                .expect("AES-GCM encrypts any payload that fits in memory");
            (Some(id.to_string()), nonce.to_vec())
        }
        None if !compressed => {
            return Payload {
                encoding: payload.encoding,
                data,
            }
        }
        None => (None, Vec::new()),
    };
    Envelope {
        key_id,
        nonce,
        compressed,
        encoding: payload.encoding,
        data,
    }
    .into_payload()
}

/// The original of an encoded payload. `keys` is `None` when no key file is
/// configured: a payload that needs a key is then an error naming it.
pub fn open(keys: Option<&Keyring>, payload: &Payload) -> Result<Payload, CodecError> {
    let envelope = Envelope::of(payload)?;
    if envelope.encoding == Encoding::Encoded {
        return Err(CodecError::Damaged("an envelope inside an envelope".into()));
    }
    let mut data = envelope.data;
    if let Some(key_id) = &envelope.key_id {
        let keys = keys.ok_or_else(|| CodecError::NoKeys {
            key_id: key_id.clone(),
        })?;
        let cipher = keys.key(key_id).ok_or_else(|| CodecError::MissingKey {
            key_id: key_id.clone(),
        })?;
        if envelope.nonce.len() != 12 {
            return Err(CodecError::Damaged(format!(
                "a nonce of {} bytes",
                envelope.nonce.len()
            )));
        }
        let aad = Envelope::associated_data(key_id, envelope.compressed, envelope.encoding);
        data = cipher
            .decrypt(
                Nonce::from_slice(&envelope.nonce),
                AeadInput {
                    msg: &data,
                    aad: &aad,
                },
            )
            .map_err(|_| CodecError::Decrypt {
                key_id: key_id.clone(),
            })?;
    }
    if envelope.compressed {
        data = zstd::stream::decode_all(data.as_slice())
            .map_err(|e| CodecError::Damaged(format!("zstd: {e}")))?;
    }
    Ok(Payload {
        encoding: envelope.encoding,
        data,
    })
}
