//! How a [`Client`](super::Client) reaches a server that serves HTTPS, asks for a
//! client certificate (mTLS) or requires a bearer token, and what a TLS failure means
//! for the person at the command line.

use std::path::PathBuf;

use rustls::{AlertDescription, CertificateError};
use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig, TlsProvider};

use crate::pem::{self, PemError};

/// The TLS files and token a client presents. The default is none of them: plain HTTP
/// (or HTTPS with the public web's root CAs for an `https://` URL) and no token.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Trust servers whose certificate this CA signed (PEM), instead of the public
    /// web's root CAs.
    pub tls_ca: Option<PathBuf>,
    /// Present this certificate chain (PEM) when the server asks for one (mTLS).
    pub tls_cert: Option<PathBuf>,
    /// The private key of `tls_cert` (PEM).
    pub tls_key: Option<PathBuf>,
    /// Send `Authorization: Bearer <token>` with every request.
    pub token: Option<String>,
}

impl ClientOptions {
    fn any_tls(&self) -> bool {
        self.tls_ca.is_some() || self.tls_cert.is_some() || self.tls_key.is_some()
    }
}

/// The client options cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ClientSetupError {
    #[error(transparent)]
    Pem(#[from] PemError),
    #[error("--tls-ca, --tls-cert and --tls-key are for an https:// server; {url} is plain HTTP (use https://… if the server runs with --tls-cert)")]
    TlsOnPlainHttp { url: String },
    #[error("a client certificate needs both --tls-cert and --tls-key (or WEFT_TLS_CERT and WEFT_TLS_KEY); only {given} was given")]
    HalfClientCert { given: &'static str },
    #[error("the token cannot be sent in an HTTP header (it has spaces or control characters)")]
    BadToken,
}

/// The ureq TLS configuration `options` ask for; `None` for ureq's default (which
/// trusts the public web's root CAs).
pub(super) fn tls_config(
    url: &str,
    options: &ClientOptions,
) -> Result<Option<TlsConfig>, ClientSetupError> {
    if !options.any_tls() {
        return Ok(None);
    }
    if !url.starts_with("https://") {
        return Err(ClientSetupError::TlsOnPlainHttp {
            url: url.to_string(),
        });
    }
    let mut tls = TlsConfig::builder().provider(TlsProvider::Rustls);
    if let Some(ca) = &options.tls_ca {
        let roots: Vec<Certificate<'static>> = pem::read_certs("--tls-ca", ca)?
            .iter()
            .map(|c| Certificate::from_der(c.as_ref()).to_owned())
            .collect();
        tls = tls.root_certs(RootCerts::new_with_certs(&roots));
    }
    match (&options.tls_cert, &options.tls_key) {
        (Some(cert), Some(key)) => {
            let chain: Vec<Certificate<'static>> = pem::read_certs("--tls-cert", cert)?
                .iter()
                .map(|c| Certificate::from_der(c.as_ref()).to_owned())
                .collect();
            let pem = pem::read_key_pem("--tls-key", key)?;
            let key = PrivateKey::from_pem(&pem).map_err(|e| PemError::Malformed {
                flag: "--tls-key",
                path: key.clone(),
                reason: e.to_string(),
            })?;
            tls = tls.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
        }
        (Some(_), None) => {
            return Err(ClientSetupError::HalfClientCert {
                given: "--tls-cert",
            })
        }
        (None, Some(_)) => return Err(ClientSetupError::HalfClientCert { given: "--tls-key" }),
        (None, None) => {}
    }
    Ok(Some(tls.build()))
}

/// The `Authorization` header value for `token`, marked sensitive (kept out of logs).
pub(super) fn bearer_header(token: &str) -> Result<ureq::http::HeaderValue, ClientSetupError> {
    let token = token.trim();
    if token.is_empty() || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ClientSetupError::BadToken);
    }
    let mut value = ureq::http::HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| ClientSetupError::BadToken)?;
    value.set_sensitive(true);
    Ok(value)
}

/// What the client knows when it explains a failure.
#[derive(Debug, Clone, Copy)]
pub(super) struct TlsContext {
    /// The server URL is `https://`.
    pub https: bool,
    /// A client certificate is configured.
    pub client_cert: bool,
}

/// A sentence for a transport error that is about TLS (or about speaking plain HTTP to
/// a TLS server); `None` for other errors.
pub(super) fn explain(e: &ureq::Error, context: TlsContext) -> Option<String> {
    let rustls_error = match e {
        ureq::Error::Rustls(r) => Some(r),
        ureq::Error::Io(io) => io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()),
        _ => None,
    };
    let Some(error) = rustls_error else {
        return plain_to_tls(e, context);
    };
    Some(match error {
        rustls::Error::AlertReceived(
            AlertDescription::CertificateRequired | AlertDescription::HandshakeFailure,
        ) if !context.client_cert => "the server asked for a client certificate: pass --tls-cert and --tls-key (or WEFT_TLS_CERT and WEFT_TLS_KEY)".to_string(),
        rustls::Error::AlertReceived(alert) if context.client_cert => format!(
            "the server refused the client certificate (TLS alert {alert:?}): it must be signed by the CA the server trusts (its --tls-client-ca)"
        ),
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer | CertificateError::BadSignature) => format!(
            "the server's certificate is not signed by a CA this client trusts ({error}): pass the server's CA with --tls-ca (or WEFT_TLS_CA)"
        ),
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => format!(
            "the server's certificate does not name the host of the URL ({error}): connect with a name or address the certificate lists"
        ),
        rustls::Error::InvalidCertificate(_) => {
            format!("the server's certificate is not acceptable: {error}")
        }
        rustls::Error::InvalidMessage(_) => format!(
            "the server did not answer in TLS ({error}); if it serves plain HTTP, use an http:// URL"
        ),
        other => format!("TLS with the server failed: {other}"),
    })
}

/// An `http://` request that a TLS server could not read ends in a protocol error or a
/// closed connection.
fn plain_to_tls(e: &ureq::Error, context: TlsContext) -> Option<String> {
    if context.https {
        return None;
    }
    let closed = matches!(e, ureq::Error::Io(io) if matches!(
        io.kind(),
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
    ));
    (closed || matches!(e, ureq::Error::Protocol(_))).then(|| {
        format!("the server did not answer in HTTP ({e}); if it serves HTTPS (weft server --tls-cert), use an https:// URL")
    })
}
