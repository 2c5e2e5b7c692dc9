//! The codec key file: which keys exist, which one new payloads use, and when to
//! compress.
//!
//! ```json
//! {
//!   "active": "2025-06",
//!   "keys": {
//!     "2025-01": "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=",
//!     "2025-06": "3q2+7wEjRWeJq83vASNFZ4mrze8BI0VniavN7wEjRWc="
//!   },
//!   "compress_above": 1024
//! }
//! ```
//!
//! Each key is 32 bytes (AES-256) in standard base64 (`head -c 32 /dev/urandom |
//! base64` makes one). `active` names the key new payloads are encrypted with; without
//! it nothing new is encrypted (the keys still decrypt what they encrypted before).
//! `compress_above` is a size in bytes: payloads larger than it are compressed with
//! zstd before they are encrypted; it defaults to 1024, and `null` turns compression
//! off. Unknown fields are refused, so a misspelt field is an error, not a surprise.

use std::collections::BTreeMap;
use std::path::Path;

use aes_gcm::{Aes256Gcm, KeyInit};
use base64::Engine as _;
use serde::Deserialize;

/// Payloads above this many bytes are compressed unless the key file says otherwise.
pub const DEFAULT_COMPRESS_ABOVE: usize = 1024;

/// Longest key id (it is stored with every payload it encrypts).
const MAX_KEY_ID_LEN: usize = 64;

/// The key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read the codec key file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the codec key file {path} is not valid: {reason} (expected JSON: {{\"active\": \"<key id>\", \"keys\": {{\"<key id>\": \"<base64 of 32 bytes>\"}}, \"compress_above\": 1024}})")]
    Parse { path: String, reason: String },
    #[error("key `{key_id}` in the codec key file is not base64: {reason}")]
    NotBase64 { key_id: String, reason: String },
    #[error("key `{key_id}` in the codec key file is {len} bytes; AES-256-GCM needs exactly 32 (make one with `head -c 32 /dev/urandom | base64`)")]
    KeyLength { key_id: String, len: usize },
    #[error(
        "the active key `{active}` is not among the keys of the codec key file (it has: {known})"
    )]
    UnknownActive { active: String, known: String },
    #[error("`{0}` is not a usable key id (1-64 characters, no whitespace or control characters)")]
    BadKeyId(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    keys: BTreeMap<String, String>,
    #[serde(default = "default_compress_above")]
    compress_above: Option<usize>,
}

fn default_compress_above() -> Option<usize> {
    Some(DEFAULT_COMPRESS_ABOVE)
}

/// The keys of a key file, ready to encrypt and decrypt.
pub struct Keyring {
    keys: BTreeMap<String, Aes256Gcm>,
    active: Option<String>,
    compress_above: Option<usize>,
}

impl std::fmt::Debug for Keyring {
    /// Key ids only: key material never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("keys", &self.keys.keys().collect::<Vec<_>>())
            .field("active", &self.active)
            .field("compress_above", &self.compress_above)
            .finish()
    }
}

impl Keyring {
    /// Read and check the key file at `path`.
    pub fn from_file(path: &Path) -> Result<Keyring, KeyFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Keyring::from_json(&text).map_err(|e| match e {
            KeyFileError::Parse { reason, .. } => KeyFileError::Parse {
                path: path.display().to_string(),
                reason,
            },
            other => other,
        })
    }

    /// Read and check a key file's text.
    pub fn from_json(text: &str) -> Result<Keyring, KeyFileError> {
        let file: KeyFile = serde_json::from_str(text).map_err(|e| KeyFileError::Parse {
            path: "<text>".into(),
            reason: e.to_string(),
        })?;
        let mut keys = BTreeMap::new();
        for (id, material) in &file.keys {
            if id.is_empty()
                || id.len() > MAX_KEY_ID_LEN
                || id.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(KeyFileError::BadKeyId(id.clone()));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(material.trim())
                .map_err(|e| KeyFileError::NotBase64 {
                    key_id: id.clone(),
                    reason: e.to_string(),
                })?;
            let cipher =
                Aes256Gcm::new_from_slice(&bytes).map_err(|_| KeyFileError::KeyLength {
                    key_id: id.clone(),
                    len: bytes.len(),
                })?;
            keys.insert(id.clone(), cipher);
        }
        if let Some(active) = &file.active {
            if !keys.contains_key(active) {
                let known: Vec<&str> = keys.keys().map(String::as_str).collect();
                return Err(KeyFileError::UnknownActive {
                    active: active.clone(),
                    known: if known.is_empty() {
                        "no keys".into()
                    } else {
                        known.join(", ")
                    },
                });
            }
        }
        Ok(Keyring {
            keys,
            active: file.active,
            compress_above: file.compress_above,
        })
    }

    /// The key new payloads are encrypted with, and its id.
    pub fn active(&self) -> Option<(&str, &Aes256Gcm)> {
        let id = self.active.as_deref()?;
        Some((id, &self.keys[id]))
    }

    /// The key with this id.
    pub fn key(&self, id: &str) -> Option<&Aes256Gcm> {
        self.keys.get(id)
    }

    /// Payloads larger than this many bytes are compressed; `None`: never.
    pub fn compress_above(&self) -> Option<usize> {
        self.compress_above
    }

    /// True when writing changes payloads (a key is active or compression is on).
    pub fn encodes(&self) -> bool {
        self.active.is_some() || self.compress_above.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8, len: usize) -> String {
        base64::engine::general_purpose::STANDARD.encode(vec![byte; len])
    }

    #[test]
    fn a_good_file_loads_with_defaults() {
        let text = format!(
            r#"{{"active": "k2", "keys": {{"k1": "{}", "k2": "{}"}}}}"#,
            key(1, 32),
            key(2, 32)
        );
        let ring = Keyring::from_json(&text).unwrap();
        assert_eq!(ring.active().unwrap().0, "k2");
        assert!(ring.key("k1").is_some() && ring.key("k3").is_none());
        assert_eq!(ring.compress_above(), Some(DEFAULT_COMPRESS_ABOVE));
        assert!(!format!("{ring:?}").contains(&key(2, 32)));
        let off = Keyring::from_json(r#"{"compress_above": null}"#).unwrap();
        assert!(!off.encodes());
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let short = format!(r#"{{"active": "k1", "keys": {{"k1": "{}"}}}}"#, key(1, 16));
        let err = Keyring::from_json(&short).unwrap_err().to_string();
        assert!(
            err.contains("`k1`") && err.contains("16 bytes") && err.contains("32"),
            "{err}"
        );
        let unknown = format!(r#"{{"active": "k9", "keys": {{"k1": "{}"}}}}"#, key(1, 32));
        let err = Keyring::from_json(&unknown).unwrap_err().to_string();
        assert!(err.contains("`k9`") && err.contains("k1"), "{err}");
        let err = Keyring::from_json(r#"{"keys": {"k1": "not base64!"}}"#).unwrap_err();
        assert!(matches!(err, KeyFileError::NotBase64 { .. }), "{err}");
        let err = Keyring::from_json(r#"{"activ": "k1"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("activ"), "{err}");
        let spaced = format!(r#"{{"keys": {{"a b": "{}"}}}}"#, key(1, 32));
        assert!(matches!(
            Keyring::from_json(&spaced),
            Err(KeyFileError::BadKeyId(_))
        ));
        let missing = Keyring::from_file(Path::new("/nonexistent/keys.json")).unwrap_err();
        assert!(missing.to_string().contains("/nonexistent/keys.json"));
    }
}
