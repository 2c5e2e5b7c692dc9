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

use ruzstd::encoding::CompressionLevel;

use super::keys::Keyring;
use super::CodecError;
use crate::history::vocab::{Encoding, Payload};

/// The first byte of an envelope's data; a new envelope shape takes the next.
const ENVELOPE_VERSION: u8 = 1;

/// zstd's level: its fastest, which keeps most of the gain on JSON.
const ZSTD_LEVEL: CompressionLevel = CompressionLevel::Fastest;

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
        let smaller = ruzstd::encoding::compress_to_vec(data.as_slice(), ZSTD_LEVEL);
        if smaller.len() < data.len() {
            data = smaller;
            compressed = true;
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
        data = decompress(&data)?;
    }
    Ok(Payload {
        encoding: envelope.encoding,
        data,
    })
}

/// A zstd frame's contents (from any zstd encoder: the frames this module wrote with the
/// C library before are read the same way).
fn decompress(frame: &[u8]) -> Result<Vec<u8>, CodecError> {
    let damaged = |e: &dyn std::fmt::Display| CodecError::Damaged(format!("zstd: {e}"));
    let mut decoder = ruzstd::decoding::StreamingDecoder::new(frame).map_err(|e| damaged(&e))?;
    let mut data = Vec::new();
    std::io::Read::read_to_end(&mut decoder, &mut data).map_err(|e| damaged(&e))?;
    // The frame's checksum, when it has one, is checked here (the decoder only reads it).
    let frame = decoder.into_frame_decoder();
    match frame.get_checksum_from_data() {
        Some(sum) if frame.get_calculated_checksum() != Some(sum) => {
            Err(damaged(&"the content does not match the frame's checksum"))
        }
        _ => Ok(data),
    }
}

#[cfg(test)]
mod tests {
    use super::decompress;

    /// What `zstd -3` (the C library, which wrote compressed payloads before) makes of a
    /// small JSON document, with the frame's checksum on.
    const FROM_THE_ZSTD_TOOL: [u8; 52] = [
        0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x7c, 0x3d, 0x01, 0x00, 0xf0, 0x7b, 0x22, 0x67, 0x72, 0x65,
        0x65, 0x74, 0x69, 0x6e, 0x67, 0x22, 0x3a, 0x22, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x22,
        0x2c, 0x22, 0x6e, 0x22, 0x3a, 0x5b, 0x31, 0x2c, 0x5d, 0x7d, 0x02, 0x00, 0xb9, 0xfb, 0x74,
        0xa4, 0x12, 0x06, 0xe3, 0xb0, 0xce, 0xac,
    ];

    fn document() -> String {
        let hellos = ["hello"; 12].join(" ");
        let ones = ["1"; 16].join(",");
        format!(r#"{{"greeting":"{hellos}","n":[{ones}]}}"#)
    }

    #[test]
    fn frames_the_zstd_library_wrote_are_still_read() {
        let data = decompress(&FROM_THE_ZSTD_TOOL).unwrap();
        assert_eq!(String::from_utf8(data).unwrap(), document());
    }

    #[test]
    fn a_damaged_frame_is_an_error() {
        let mut frame = FROM_THE_ZSTD_TOOL;
        frame[20] ^= 0xff;
        let err = decompress(&frame).unwrap_err();
        assert!(err.to_string().contains("zstd"), "{err}");
    }

    #[test]
    fn what_is_compressed_reads_back() {
        let doc = document().repeat(20);
        let frame = ruzstd::encoding::compress_to_vec(doc.as_bytes(), super::ZSTD_LEVEL);
        assert!(
            frame.len() < doc.len() / 4,
            "{} of {}",
            frame.len(),
            doc.len()
        );
        assert_eq!(decompress(&frame).unwrap(), doc.as_bytes());
    }
}
