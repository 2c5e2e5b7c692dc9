//! Cancellation of the run: asked from outside, delivered to the workflow, which
//! decides.
//!
//! | state \ event | `cancel-requested` event | `cancel-requested` job | `cancel-workflow-confirmed` |
//! |---------------|--------------------------|------------------------|-----------------------------|
//! | not requested | requested                | not requested          | confirmed                   |
//! | requested     | requested                | delivered              | confirmed                   |
//! | delivered     | delivered                | delivered              | confirmed                   |
//! | confirmed     | confirmed                | confirmed              | confirmed                   |
//!
//! The host records the request (`cancel-requested`, with its reason) and delivers the
//! job in the next task; asking again records nothing, so the first reason is the one
//! kept. The workflow may confirm (the run closes as cancelled), or go on: a delivered
//! request stays delivered. A workflow may also confirm a cancellation nobody asked for
//! (it gave up on its own); the run is then cancelled with no request on record.

/// Where the run's cancellation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CancelState {
    #[default]
    NotRequested,
    Requested,
    Delivered,
    Confirmed,
}

/// The run's cancellation and the reason it was first asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CancelMachine {
    pub(super) state: CancelState,
    pub(super) reason: Option<String>,
}

impl CancelMachine {
    pub fn state(&self) -> CancelState {
        self.state
    }

    /// The reason of the first request on record, if any.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// The `cancel-requested` event, asked for with `reason`.
    pub fn requested(&mut self, reason: &str) {
        if self.reason.is_none() {
            self.reason = Some(reason.to_string());
        }
        if self.state == CancelState::NotRequested {
            self.state = CancelState::Requested;
        }
    }

    /// The `cancel-requested` job, delivered to the workflow.
    pub fn delivered(&mut self) {
        if self.state == CancelState::Requested {
            self.state = CancelState::Delivered;
        }
    }

    /// `cancel-workflow-confirmed`.
    pub fn confirmed(&mut self) {
        self.state = CancelState::Confirmed;
    }
}
