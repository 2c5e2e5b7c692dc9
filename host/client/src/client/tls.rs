//! How a [`Client`](super::Client) reaches a server that serves HTTPS, asks for a
//! client certificate (mTLS) or requires a bearer token, and what a TLS failure means
//! for the person at the command line.

use std::path::PathBuf;

use crate::pem::PemError;

#[cfg(feature = "tls")]
mod with_rustls;

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
    #[error("this weft was built without TLS (its `tls` feature), so it cannot reach {url} over HTTPS or use --tls-ca, --tls-cert or --tls-key; build it with the feature, or reach the server over http://")]
    NotBuilt { url: String },
}

/// An agent's configuration, as `Client` builds it.
pub(super) type AgentConfig = ureq::config::ConfigBuilder<ureq::typestate::AgentScope>;

/// `config` with the TLS that `options` ask for (none given: ureq's default, which
/// trusts the public web's root CAs).
pub(super) fn configure(
    config: AgentConfig,
    url: &str,
    options: &ClientOptions,
) -> Result<AgentConfig, ClientSetupError> {
    if !options.any_tls() {
        if cfg!(not(feature = "tls")) && url.starts_with("https://") {
            return Err(ClientSetupError::NotBuilt {
                url: url.to_string(),
            });
        }
        return Ok(config);
    }
    if !url.starts_with("https://") {
        return Err(ClientSetupError::TlsOnPlainHttp {
            url: url.to_string(),
        });
    }
    if let (Some(_), None) = (&options.tls_cert, &options.tls_key) {
        return Err(ClientSetupError::HalfClientCert {
            given: "--tls-cert",
        });
    }
    if let (None, Some(_)) = (&options.tls_cert, &options.tls_key) {
        return Err(ClientSetupError::HalfClientCert { given: "--tls-key" });
    }
    #[cfg(feature = "tls")]
    return Ok(config.tls_config(with_rustls::built_config(options)?));
    #[cfg(not(feature = "tls"))]
    Err(ClientSetupError::NotBuilt {
        url: url.to_string(),
    })
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
    /// A client certificate is configured (only rustls's errors need it).
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub client_cert: bool,
}

/// A sentence for a transport error that is about TLS (or about speaking plain HTTP to
/// a TLS server); `None` for other errors.
pub(super) fn explain(e: &ureq::Error, context: TlsContext) -> Option<String> {
    #[cfg(feature = "tls")]
    if let Some(reason) = with_rustls::explain(e, context) {
        return Some(reason);
    }
    plain_to_tls(e, context)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn configured(url: &str, options: &ClientOptions) -> Result<(), ClientSetupError> {
        configure(ureq::Agent::config_builder(), url, options).map(|_| ())
    }

    #[test]
    fn an_https_server_needs_a_build_with_tls() {
        let none = ClientOptions::default();
        let result = configured("https://weft.example:8233", &none);
        if cfg!(feature = "tls") {
            assert!(result.is_ok(), "{result:?}");
        } else {
            let err = result.unwrap_err();
            assert!(matches!(err, ClientSetupError::NotBuilt { .. }), "{err:?}");
            let message = err.to_string();
            assert!(message.contains("https://weft.example:8233"), "{message}");
            assert!(message.contains("`tls` feature"), "{message}");
        }
        assert!(configured("http://127.0.0.1:8233", &none).is_ok());
    }

    #[test]
    fn tls_files_are_for_https_only_and_come_in_pairs() {
        let ca = ClientOptions {
            tls_ca: Some("ca.pem".into()),
            ..ClientOptions::default()
        };
        let err = configured("http://127.0.0.1:8233", &ca).unwrap_err();
        assert!(
            matches!(err, ClientSetupError::TlsOnPlainHttp { .. }),
            "{err:?}"
        );
        let half = ClientOptions {
            tls_cert: Some("client.pem".into()),
            ..ClientOptions::default()
        };
        let err = configured("https://weft.example", &half).unwrap_err();
        assert!(
            matches!(
                err,
                ClientSetupError::HalfClientCert {
                    given: "--tls-cert"
                }
            ),
            "{err:?}"
        );
    }
}
