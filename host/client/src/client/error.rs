//! What can go wrong talking to a `weft server`.

use crate::api::types::{ApiErrorBody, ErrorCode};

/// A request to the API did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error ([`ApiErrorBody`]); `status` is the HTTP status.
    #[error("{}", .body.message)]
    Api { status: u16, body: ApiErrorBody },
    /// No server answered at `url`, the server's base URL (refused, unknown host,
    /// connect timeout, not a URL).
    #[error("cannot reach a weft server at {url} ({reason}); start one with `weft server --data <dir>` or point --server (or WEFT_SERVER) at a running one")]
    Connect { url: String, reason: String },
    /// The server answered with a body that is not what the API documents (`url` is
    /// the request's).
    #[error("unexpected answer from {url}: {reason}")]
    Decode { url: String, reason: String },
    /// The client's TLS files or token cannot be used (the error names the file).
    #[error(transparent)]
    Setup(#[from] super::ClientSetupError),
    /// The TLS connection to the server at `url` failed; `reason` says what to do.
    #[error("cannot talk to the weft server at {url}: {reason}")]
    Tls { url: String, reason: String },
    /// The exchange failed once connected (reset, timeout, protocol); `url` is the
    /// request's.
    #[error("talking to {url}: {reason}")]
    Io { url: String, reason: String },
}

impl ClientError {
    /// The API's error code, when the server answered with one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Api { body, .. } => Some(body.code),
            _ => None,
        }
    }

    /// Whether the request may have been lost on its way or its answer on the way back,
    /// or the host could not take it yet: a transport error, or 502 `forward_failed`
    /// or 503 `unavailable`. Sending it again is safe with the same request id.
    pub fn worth_retrying(&self) -> bool {
        match self {
            ClientError::Connect { .. } | ClientError::Io { .. } => true,
            ClientError::Api { body, .. } => {
                matches!(body.code, ErrorCode::ForwardFailed | ErrorCode::Unavailable)
            }
            _ => false,
        }
    }

    /// The HTTP status, when the server answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Classify a transport error from `ureq` for the request to `url` on the server
    /// at `base_url` (connect errors name the server, others the request).
    pub(super) fn transport(base_url: &str, url: &str, e: ureq::Error) -> ClientError {
        use std::io::ErrorKind;
        let server = base_url.to_string();
        let url = url.to_string();
        match e {
            ureq::Error::Io(io)
                if matches!(
                    io.kind(),
                    ErrorKind::ConnectionRefused
                        | ErrorKind::AddrNotAvailable
                        | ErrorKind::NetworkUnreachable
                        | ErrorKind::HostUnreachable
                ) =>
            {
                ClientError::Connect {
                    url: server,
                    reason: io.to_string(),
                }
            }
            ureq::Error::HostNotFound => ClientError::Connect {
                url: server,
                reason: "unknown host".into(),
            },
            ureq::Error::ConnectionFailed => ClientError::Connect {
                url: server,
                reason: "connection failed".into(),
            },
            ureq::Error::BadUri(reason) => ClientError::Connect {
                url: server,
                reason: format!("not a valid URL: {reason}"),
            },
            ureq::Error::Timeout(t @ (ureq::Timeout::Connect | ureq::Timeout::Resolve)) => {
                ClientError::Connect {
                    url: server,
                    reason: format!("timed out ({t})"),
                }
            }
            ureq::Error::Json(e) => ClientError::Decode {
                url,
                reason: e.to_string(),
            },
            other => ClientError::Io {
                url,
                reason: other.to_string(),
            },
        }
    }
}
