//! The HTTP/JSON API of a long-running host (`weft server`).

pub mod auth;
pub(crate) mod batches;
pub mod cluster;
pub(crate) mod control;
pub mod describe;
mod front;
mod internal;
pub(crate) mod listing;
mod messages;
mod remote;
pub(crate) mod removal;
pub(crate) mod reset;
pub(crate) mod schedules;
mod server;
mod serving;
mod stack;
pub(crate) mod steer;
pub mod tls;
mod update_with_start_route;

pub use server::router;
pub(crate) use server::{start_run, ApiError};
pub use serving::{serve, shutdown_signal, HostFailed};
/// The bodies the API exchanges (shared with the client: they live in `weft-api`).
pub use weft_api::{schedule_types, sensitive_types, steer_types, types, update_with_start};

/// Who may talk to a server: TLS (and with a client CA, mTLS) and bearer tokens. The
/// default is neither: plain HTTP that answers everyone.
#[derive(Debug, Clone, Default)]
pub struct Security {
    /// Serve HTTPS with these files.
    pub tls: Option<tls::TlsFiles>,
    /// Require one of these tokens on every route.
    pub tokens: Option<auth::Tokens>,
    /// Whether `/ui/` serves the web UI, and whether its actions are allowed.
    pub ui: crate::ui::UiMode,
}

impl Security {
    /// What is on, for the startup log: `TLS`, `mTLS`, `tokens (N)` or `none`.
    pub fn summary(&self) -> String {
        let mut on = Vec::new();
        match &self.tls {
            Some(tls) if tls.client_ca.is_some() => on.push("mTLS".to_string()),
            Some(_) => on.push("TLS".to_string()),
            None => {}
        }
        if let Some(tokens) = &self.tokens {
            on.push(format!("bearer tokens ({} accepted)", tokens.len()));
        }
        if on.is_empty() {
            "none (plain HTTP, no tokens)".to_string()
        } else {
            on.join(" + ")
        }
    }
}
