//! What reaches an execution's actor: results, attempt reports, requests from outside
//! (signals, updates, queries, cancellation, termination, reset, steering), moves to
//! another module.

use std::sync::Arc;

use tokio::sync::oneshot;

use super::{execution, outbox, reset, steer, Busy, MessageError, RequestKey, UpdateStage};
use crate::engine::Module;
use crate::history::vocab::{Query, Signal, Update};
use crate::history::{Failure, Job, Payload};

/// What reaches an execution's actor; each carries the guard of work in flight.
#[derive(Debug)]
pub(crate) enum Message {
    /// A result to deliver as a job of the next task.
    Resolve(Job, Busy),
    /// An activity attempt failed; another follows at `retry_at_ms`.
    AttemptFailed {
        seq: u32,
        attempt: u32,
        /// A local activity's attempt.
        local: bool,
        failure: Failure,
        retry_at_ms: u64,
        busy: Busy,
    },
    /// An activity attempt heartbeated (throttled): record its details.
    Heartbeat {
        seq: u32,
        attempt: u32,
        details: Option<Payload>,
        time_ms: u64,
        busy: Busy,
    },
    /// Cancellation of the run was asked for; acknowledged once recorded.
    CancelRequest {
        reason: String,
        ack: outbox::Ack,
        /// Its request id: applied once (see `request_ids`).
        request: Option<RequestKey>,
        busy: Busy,
    },
    /// Close the run at once as terminated; acknowledged once recorded.
    Terminate {
        reason: String,
        ack: outbox::Ack,
        request: Option<RequestKey>,
        busy: Busy,
    },
    /// Move the run to `module` if its history replays there; answered with the
    /// divergence report otherwise.
    Upgrade {
        module: Arc<Module>,
        reply: oneshot::Sender<Result<(), String>>,
        busy: Busy,
    },
    /// Reset the run to one of its workflow tasks (see `reset`): its close and the new
    /// run are recorded together.
    Reset {
        request: reset::ResetRequest,
        reply: reset::ResetReply,
        busy: Busy,
    },
    /// Answer once everything the actor has received is recorded (a graceful shutdown
    /// waits for the outcomes of the activities that ended).
    Flush(oneshot::Sender<()>),
    /// A signal to deliver; acknowledged once the task that delivers it is durable.
    Signal {
        signal: Signal,
        ack: outbox::Ack,
        /// Its request id: applied once (see `request_ids`).
        request: Option<RequestKey>,
        busy: Busy,
    },
    /// An update to validate and run (or to join, by its id).
    Update {
        update: Update,
        wait: UpdateStage,
        reply: execution::UpdateReply,
        busy: Busy,
    },
    /// A query to answer from the instance.
    Query {
        query: Query,
        reply: oneshot::Sender<Result<Payload, MessageError>>,
        busy: Busy,
    },
    /// Pause or unpause the run (see `steer`); answered once recorded.
    Steer {
        request: steer::Steer,
        reply: oneshot::Sender<Result<Option<u32>, steer::SteerError>>,
        busy: Busy,
    },
}
