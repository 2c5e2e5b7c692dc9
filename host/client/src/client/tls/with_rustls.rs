//! The TLS of a build with the `tls` feature: ureq's configuration for rustls from the
//! client's PEM files, and what rustls's errors mean.

use rustls::{AlertDescription, CertificateError};
use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig, TlsProvider};

use super::{ClientOptions, ClientSetupError, TlsContext};
use crate::pem::{self, PemError};

/// The configuration for `options`, whose TLS files are checked to come in pairs.
pub(super) fn built_config(options: &ClientOptions) -> Result<TlsConfig, ClientSetupError> {
    let mut tls = TlsConfig::builder().provider(TlsProvider::Rustls);
    if let Some(ca) = &options.tls_ca {
        let roots: Vec<Certificate<'static>> = pem::read_certs("--tls-ca", ca)?
            .iter()
            .map(|c| Certificate::from_der(c.as_ref()).to_owned())
            .collect();
        tls = tls.root_certs(RootCerts::new_with_certs(&roots));
    }
    if let (Some(cert), Some(key)) = (&options.tls_cert, &options.tls_key) {
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
    Ok(tls.build())
}

/// A sentence for a transport error that rustls raised; `None` for other errors.
pub(super) fn explain(e: &ureq::Error, context: TlsContext) -> Option<String> {
    let rustls_error = match e {
        ureq::Error::Rustls(r) => Some(r),
        ureq::Error::Io(io) => io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()),
        _ => None,
    };
    Some(match rustls_error? {
        rustls::Error::AlertReceived(
            AlertDescription::CertificateRequired | AlertDescription::HandshakeFailure,
        ) if !context.client_cert => "the server asked for a client certificate: pass --tls-cert and --tls-key (or WEFT_TLS_CERT and WEFT_TLS_KEY)".to_string(),
        rustls::Error::AlertReceived(alert) if context.client_cert => format!(
            "the server refused the client certificate (TLS alert {alert:?}): it must be signed by the CA the server trusts (its --tls-client-ca)"
        ),
        error @ rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer | CertificateError::BadSignature) => format!(
            "the server's certificate is not signed by a CA this client trusts ({error}): pass the server's CA with --tls-ca (or WEFT_TLS_CA)"
        ),
        error @ rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => format!(
            "the server's certificate does not name the host of the URL ({error}): connect with a name or address the certificate lists"
        ),
        error @ rustls::Error::InvalidCertificate(_) => {
            format!("the server's certificate is not acceptable: {error}")
        }
        error @ rustls::Error::InvalidMessage(_) => format!(
            "the server did not answer in TLS ({error}); if it serves plain HTTP, use an http:// URL"
        ),
        other => format!("TLS with the server failed: {other}"),
    })
}
