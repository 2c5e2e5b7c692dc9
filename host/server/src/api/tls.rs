//! HTTPS for `weft server`: the rustls configuration made from PEM files, and a
//! listener that hands axum only connections whose TLS handshake succeeded.
//!
//! With a client CA the server asks every client for a certificate and refuses, at the
//! handshake, a client that has none or whose certificate that CA did not sign (mTLS).

//!
//! rustls is behind the crate's `tls` feature (on by default); a build without it
//! refuses TLS files with [`TlsSetupError::NotBuilt`].

use std::path::PathBuf;

use crate::pem::PemError;

#[cfg(feature = "tls")]
mod with_rustls;
#[cfg(feature = "tls")]
pub use with_rustls::{ServerTls, TlsListener};

/// What serves TLS in a build without the `tls` feature: nothing (no value exists).
#[cfg(not(feature = "tls"))]
pub enum ServerTls {}

/// The PEM files of `weft server --tls-cert --tls-key [--tls-client-ca]`.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The server's certificate chain (its own certificate first).
    pub cert: PathBuf,
    /// The private key of the server's certificate.
    pub key: PathBuf,
    /// With it, clients must present a certificate this CA signed (mTLS).
    pub client_ca: Option<PathBuf>,
}

/// The TLS files cannot make a server configuration.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error(transparent)]
    Pem(#[from] PemError),
    #[error("--tls-client-ca file {}: {reason}", path.display())]
    ClientCa { path: PathBuf, reason: String },
    #[error("the --tls-cert {} and --tls-key {} cannot serve TLS: {reason} (is the key the one of that certificate?)", cert.display(), key.display())]
    CertAndKey {
        cert: PathBuf,
        key: PathBuf,
        reason: String,
    },
    #[error("this weft was built without TLS (its `tls` feature), so it cannot serve HTTPS with --tls-cert and --tls-key; build it with the feature, or serve plain HTTP behind a TLS proxy")]
    NotBuilt,
}

impl TlsFiles {
    /// The TLS configuration these files describe, checked (the key must be the
    /// certificate's; every client CA certificate must parse).
    pub fn server_config(&self) -> Result<ServerTls, TlsSetupError> {
        #[cfg(feature = "tls")]
        return with_rustls::server_config(self);
        #[cfg(not(feature = "tls"))]
        Err(TlsSetupError::NotBuilt)
    }
}
