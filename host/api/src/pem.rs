//! Certificates and private keys read from PEM files, for the HTTPS of `weft server`
//! (`weft_server::api::tls`) and of its client (`weft_client::client`). Every error names the
//! file and the flag that gave it.

use std::path::{Path, PathBuf};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A PEM file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PemError {
    #[error("cannot read {flag} file {}: {source}", path.display())]
    Read {
        flag: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{flag} file {} holds no certificate (a PEM block `-----BEGIN CERTIFICATE-----`)", path.display())]
    NoCertificate { flag: &'static str, path: PathBuf },
    #[error("{flag} file {} holds no private key (a PEM block `-----BEGIN PRIVATE KEY-----`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`)", path.display())]
    NoKey { flag: &'static str, path: PathBuf },
    #[error("{flag} file {} is not valid PEM: {reason}", path.display())]
    Malformed {
        flag: &'static str,
        path: PathBuf,
        reason: String,
    },
}

/// The certificates in the PEM file at `path` (given with `flag`), in file order; at
/// least one.
pub fn read_certs(
    flag: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, PemError> {
    let bytes = read(flag, path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| malformed(flag, path, e))?;
    if certs.is_empty() {
        return Err(PemError::NoCertificate {
            flag,
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

/// The first private key in the PEM file at `path` (given with `flag`): PKCS#8, PKCS#1
/// (RSA) or SEC1 (EC).
pub fn read_key(flag: &'static str, path: &Path) -> Result<PrivateKeyDer<'static>, PemError> {
    parse_key(flag, path, &read(flag, path)?)
}

/// The bytes of the PEM file at `path` (given with `flag`), checked to hold a private
/// key, for libraries that parse PEM themselves.
pub fn read_key_pem(flag: &'static str, path: &Path) -> Result<Vec<u8>, PemError> {
    let bytes = read(flag, path)?;
    parse_key(flag, path, &bytes)?;
    Ok(bytes)
}

fn parse_key(
    flag: &'static str,
    path: &Path,
    bytes: &[u8],
) -> Result<PrivateKeyDer<'static>, PemError> {
    PrivateKeyDer::from_pem_slice(bytes).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => PemError::NoKey {
            flag,
            path: path.to_path_buf(),
        },
        e => malformed(flag, path, e),
    })
}

fn read(flag: &'static str, path: &Path) -> Result<Vec<u8>, PemError> {
    std::fs::read(path).map_err(|source| PemError::Read {
        flag,
        path: path.to_path_buf(),
        source,
    })
}

fn malformed(flag: &'static str, path: &Path, e: rustls_pki_types::pem::Error) -> PemError {
    PemError::Malformed {
        flag,
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_flag_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let e = read_certs("--tls-ca", &missing).unwrap_err().to_string();
        assert!(e.starts_with("cannot read --tls-ca file "), "{e}");
        assert!(e.contains("missing.pem"), "{e}");

        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not pem at all\n").unwrap();
        let e = read_certs("--tls-cert", &empty).unwrap_err().to_string();
        assert!(
            e.contains("--tls-cert file") && e.contains("holds no certificate"),
            "{e}"
        );
        let e = read_key("--tls-key", &empty).unwrap_err().to_string();
        assert!(
            e.contains("--tls-key file") && e.contains("holds no private key"),
            "{e}"
        );
    }
}
