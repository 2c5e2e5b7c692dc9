//! Requests for runs another host of a cluster serves. A host serves the runs of the
//! shards it holds (see [`crate::placement`]); what it is asked about another run (a
//! child to start, a signal to another workflow, a cancellation, a close policy, a
//! schedule's start, a batch's signal) goes to the host that serves that run through
//! [`Remote`], which the server provides. Every such request that changes a run carries
//! a request id or lands on a workflow id that refuses a duplicate, so a request sent
//! again after a lost reply takes effect once.

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

use super::control::StopKind;
use super::{CheckFailure, Host, MessageError, RunHandle, StartError, StartOutcome, StartRequest};
use crate::history::Payload;

/// A future a [`Remote`] answers with.
pub type Answer<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// How a host reaches the host that serves a workflow id.
pub trait Remote: Send + Sync + std::fmt::Debug + 'static {
    /// Start (or signal-with-start) on the host that serves the request's workflow id.
    fn start(
        &self,
        workflow_id: &str,
        request: StartRequest,
    ) -> Answer<Result<StartOutcome, StartError>>;
    /// Hand `message` to the host that serves `workflow_id`.
    fn message(
        &self,
        workflow_id: &str,
        message: RemoteMessage,
    ) -> Answer<Result<RunHandle, MessageError>>;
    /// Ask every other live host to move its open runs of module `name`'s earlier
    /// versions to the version of `digest`, just deployed (see
    /// [`Host::take_adoption`]): the runs that moved, and those that stayed with why.
    fn adopt(&self, name: &str, digest: &str) -> Answer<Adopted>;
}

/// What hosts answer a deployment's request to move their runs.
pub type Adopted = (Vec<RunHandle>, Vec<CheckFailure>);

/// A request for a run on another host.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum RemoteMessage {
    Signal {
        name: String,
        input: Payload,
        request_id: Option<String>,
    },
    /// Ask the run to cancel, or terminate it.
    Stop {
        reason: String,
        terminate: bool,
        request_id: Option<String>,
    },
}

impl Host {
    /// `here`, unless it says another host serves the run: then the answer of that host
    /// to `message`.
    pub(super) async fn or_elsewhere(
        &self,
        here: Result<RunHandle, MessageError>,
        message: RemoteMessage,
    ) -> Result<RunHandle, MessageError> {
        match (here, &self.inner.remote) {
            (Err(MessageError::NotOwner { workflow_id, .. }), Some(remote)) => {
                remote.message(&workflow_id, message).await
            }
            (here, _) => here,
        }
    }

    /// Carry out `message`, sent by another host, for the run of `id` on this host (a
    /// host that does not serve it says so; it never passes it on).
    pub async fn take_message(
        &self,
        id: &str,
        message: RemoteMessage,
    ) -> Result<RunHandle, MessageError> {
        match message {
            RemoteMessage::Signal {
                name,
                input,
                request_id,
            } => {
                self.signal_here_with(id, &name, input, request_id.as_deref())
                    .await
            }
            RemoteMessage::Stop {
                reason,
                terminate,
                request_id,
            } => {
                let kind = if terminate {
                    StopKind::Terminate
                } else {
                    StopKind::Cancel
                };
                self.stop_here(id, &reason, kind, request_id.as_deref())
                    .await
            }
        }
    }

    /// Start `request`, sent by another host, on this host (a host that does not serve
    /// its workflow id says so; it never passes it on).
    pub async fn take_start(&self, request: StartRequest) -> Result<StartOutcome, StartError> {
        self.start_on(request, false).await
    }
}
