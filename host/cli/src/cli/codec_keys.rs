//! `--codec-keys <file>` (or `WEFT_CODEC_KEYS`): the payload codec's key file, for the
//! commands that write or read stored payloads. Keys never come from the command line
//! itself; the file's format is in `crate::payload_codec::keys`.

use std::path::PathBuf;

use clap::Args;

use super::{exit, Failure};
use crate::payload_codec::PayloadCodec;

/// The key file of the payload codec.
#[derive(Debug, Clone, Args)]
pub struct CodecKeysArg {
    /// Key file of the payload codec (JSON: the keys by id, the active one, the
    /// compression threshold). Payloads are stored encrypted with the active key and
    /// read with any key of the file. Without it payloads are stored as they are.
    #[arg(long, env = "WEFT_CODEC_KEYS", value_name = "FILE")]
    pub codec_keys: Option<PathBuf>,
}

impl CodecKeysArg {
    /// The codec of the key file, or none without one.
    pub fn codec(&self) -> Result<PayloadCodec, Failure> {
        PayloadCodec::from_file(self.codec_keys.as_deref())
            .map_err(|e| Failure::new(exit::USAGE, format!("--codec-keys: {e}")))
    }
}
