//! Steering a running execution from outside: pausing and unpausing it (the actor's
//! side is in `execution::paused`).
//!
//! | request | refused when                 | recorded   | answered          |
//! |---------|------------------------------|------------|-------------------|
//! | pause   | the run is closed or paused  | `paused`   | once it is durable|
//! | unpause | the run is closed or running | `unpaused` | once it is durable|
//!
//! Each event names who asked (`identity`) and why (`reason`).

use tokio::sync::oneshot;

use super::messages::MessageError;
use super::{Host, Message, RunHandle};

/// The longest reason or identity recorded with a steering event.
pub const MAX_STEER_TEXT_BYTES: usize = 4096;

/// What to change about a running execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Steer {
    /// Run no workflow task until unpaused.
    Pause { reason: String, identity: String },
    /// Let workflow tasks run again; the first delivers what arrived meanwhile.
    Unpause { reason: String, identity: String },
}

impl Steer {
    fn texts(&self) -> (&str, &str) {
        match self {
            Steer::Pause { reason, identity } | Steer::Unpause { reason, identity } => {
                (reason, identity)
            }
        }
    }
}

/// A steering request that was not carried out.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SteerError {
    /// The run is not found, closed, or the host cannot take the request now.
    #[error(transparent)]
    Message(#[from] MessageError),
    /// Pausing a paused run.
    #[error(
        "execution `{workflow_id}` is already paused (by {identity}: {reason}); unpause it first"
    )]
    AlreadyPaused {
        workflow_id: String,
        reason: String,
        identity: String,
    },
    /// Unpausing a run that is not paused.
    #[error("execution `{0}` is not paused")]
    NotPaused(String),
}

impl Host {
    /// Pause the open run of `id`: no workflow task runs until [`Host::unpause`];
    /// signals, timers and activity results that arrive meanwhile are recorded and
    /// delivered at unpause, updates wait, queries are answered. Returns once the
    /// `paused` event is durable.
    pub async fn pause(
        &self,
        id: &str,
        reason: &str,
        identity: &str,
    ) -> Result<RunHandle, SteerError> {
        let request = Steer::Pause {
            reason: reason.to_string(),
            identity: identity.to_string(),
        };
        self.steer(id, request).await
    }

    /// Unpause the paused run of `id`; returns once the `unpaused` event is durable.
    pub async fn unpause(
        &self,
        id: &str,
        reason: &str,
        identity: &str,
    ) -> Result<RunHandle, SteerError> {
        let request = Steer::Unpause {
            reason: reason.to_string(),
            identity: identity.to_string(),
        };
        self.steer(id, request).await
    }

    /// Hand `request` to the open run of `id` and wait until it is recorded.
    pub async fn steer(&self, id: &str, request: Steer) -> Result<RunHandle, SteerError> {
        let (reason, identity) = request.texts();
        for (field, text) in [("reason", reason), ("identity", identity)] {
            if text.trim().is_empty() || text.len() > MAX_STEER_TEXT_BYTES {
                return Err(MessageError::Invalid(format!(
                    "the {field} must have 1 to {MAX_STEER_TEXT_BYTES} bytes and not be blank"
                ))
                .into());
            }
        }
        let run = self.open_target(id)?;
        let (reply, answer) = oneshot::channel();
        let message = Message::Steer {
            request,
            reply,
            busy: self.inner.clock.busy(),
        };
        if !self.inner.send(&run.run_id, message) {
            return Err(self.gone(&run.run_id).into());
        }
        answer
            .await
            .unwrap_or_else(|_| Err(self.gone(&run.run_id).into()))?;
        Ok(run)
    }
}
