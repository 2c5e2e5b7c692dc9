//! The parent's handle on a child workflow, and the futures for its start and result.

use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures::future::FusedFuture;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::table::{self, ChildRef};
use super::{ChildWorkflowError, ChildWorkflowErrorKind, SignalExternalError};
use crate::cancellation::Cause;
use crate::error::error_types;
use crate::payload;
use crate::state::SharedState;
use crate::wit::ChildResolution;

/// What the handle's futures need to know.
#[derive(Clone)]
struct Shared {
    state: SharedState,
    child: ChildRef,
    workflow_type: Rc<str>,
    workflow_id: Rc<str>,
    /// Its input did not encode: it has no sequence number and its outcomes say so.
    never_started: bool,
}

impl Shared {
    fn error(&self, resolution: ChildResolution) -> ChildWorkflowError {
        let causes = self.child.borrow().causes.clone();
        let error = ChildWorkflowError::from_resolution(
            &self.workflow_type,
            &self.workflow_id,
            resolution,
            causes,
        );
        if self.never_started {
            return error.with_kind(ChildWorkflowErrorKind::InputEncoding);
        }
        error
    }

    /// Takes what `outcome` finds in the child, or waits for it.
    fn poll<T>(
        &self,
        cx: &mut Context<'_>,
        outcome: impl FnOnce(&mut table::Child) -> Option<T>,
    ) -> Poll<T> {
        let shielding = self.state.borrow().shielding();
        let mut child = self.child.borrow_mut();
        if let Some(value) = outcome(&mut child) {
            return Poll::Ready(value);
        }
        child.wait(cx.waker());
        child.shielded |= shielding;
        Poll::Pending
    }
}

/// A child workflow the parent started. Created by
/// [`WfContext::child_workflow`](crate::WfContext::child_workflow); the
/// `start-child-workflow` command was issued then.
///
/// [`started`](Self::started) and [`result`](Self::result) may be awaited any number of
/// times, in any order, alone or in a [`select!`](crate::select). Dropping the handle or
/// its futures does not cancel the child (unlike an activity): it runs on, and its
/// [parent-close policy](crate::ParentClosePolicy) applies when the parent closes; only
/// [`cancel`](Self::cancel) and the parent's cancellation cancel it.
#[must_use = "the child is started either way; await `result()` to get its result"]
pub struct ChildWorkflowHandle<O> {
    shared: Shared,
    seq: Option<u32>,
    output: PhantomData<fn() -> O>,
}

impl<O> ChildWorkflowHandle<O> {
    pub(crate) fn new(
        state: SharedState,
        child: ChildRef,
        seq: Option<u32>,
        workflow_type: &str,
        workflow_id: &str,
    ) -> Self {
        Self {
            shared: Shared {
                state,
                child,
                workflow_type: workflow_type.into(),
                workflow_id: workflow_id.into(),
                never_started: seq.is_none(),
            },
            seq,
            output: PhantomData,
        }
    }

    /// The child's sequence number (the `seq` of its commands and answers); `None` if
    /// it was never started because its input does not encode.
    pub fn seq(&self) -> Option<u32> {
        self.seq
    }

    /// The child's workflow id (given in the options, or derived).
    pub fn workflow_id(&self) -> &str {
        &self.shared.workflow_id
    }

    /// The child's workflow type.
    pub fn workflow_type(&self) -> &str {
        &self.shared.workflow_type
    }

    /// Resolves with the child's run id once the host has durably started it, or with
    /// why it was not started ([`AlreadyStarted`](ChildWorkflowErrorKind::AlreadyStarted)
    /// when its workflow id is in use; cancelled if it was cancelled first).
    pub fn started(&self) -> ChildStarted {
        ChildStarted {
            shared: self.shared.clone(),
            done: false,
        }
    }

    /// Resolves with the child's result once it closes, or with how it ended otherwise.
    pub fn result(&self) -> ChildResult<O> {
        ChildResult {
            shared: self.shared.clone(),
            done: false,
            output: PhantomData,
        }
    }

    /// Cancels the child, as its
    /// [cancellation type](crate::ChildWorkflowOptions::cancellation_type) says:
    ///
    /// | type                              | command                 | `result()` (and `started()` if it had not) |
    /// |-----------------------------------|-------------------------|--------------------------------------------|
    /// | `TryCancel` (default)             | `cancel-child-workflow` | cancelled at once                         |
    /// | `WaitCancellationRequested`       | `cancel-child-workflow` | cancelled once the child recorded the request |
    /// | `WaitCancellationCompleted`       | `cancel-child-workflow` | what the child ends with                  |
    /// | `Abandon`                         | none                    | cancelled at once                         |
    ///
    /// Does nothing if the child has closed (even if `result()` has not been awaited) or
    /// its cancellation has begun. The command may go out before the host has answered
    /// `started`, even in the activation that started the child.
    #[track_caller]
    pub fn cancel(&self) {
        let Some(seq) = self.seq else { return };
        let mut state = self.shared.state.borrow_mut();
        let at = Some(Location::caller());
        table::cancel(&mut state, seq, &self.shared.child, Cause::Workflow, at);
    }

    /// Sends the child a signal: issues `signal-external` to its workflow id.
    /// Fire-and-forget, like [`WfContext::signal_external`](crate::WfContext::signal_external).
    #[track_caller]
    pub fn signal(&self, name: &str, input: &impl Serialize) -> Result<(), SignalExternalError> {
        super::signal_external(
            &self.shared.state,
            &self.shared.workflow_id,
            name,
            input,
            Location::caller(),
        )
    }
}

/// Resolves with the child's run id once it has started. Created by
/// [`ChildWorkflowHandle::started`].
#[must_use = "futures do nothing unless awaited"]
pub struct ChildStarted {
    shared: Shared,
    done: bool,
}

impl Future for ChildStarted {
    type Output = Result<String, ChildWorkflowError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let started = this.shared.poll(cx, |child| child.started.clone());
        let Poll::Ready(started) = started else {
            return Poll::Pending;
        };
        this.done = true;
        Poll::Ready(started.map_err(|resolution| this.shared.error(resolution)))
    }
}

impl FusedFuture for ChildStarted {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

/// Resolves with the child's result once it has closed. Created by
/// [`ChildWorkflowHandle::result`].
#[must_use = "futures do nothing unless awaited"]
pub struct ChildResult<O> {
    shared: Shared,
    done: bool,
    output: PhantomData<fn() -> O>,
}

impl<O: DeserializeOwned> Future for ChildResult<O> {
    type Output = Result<O, ChildWorkflowError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let closed = this.shared.poll(cx, |child| child.closed.clone());
        let Poll::Ready(closed) = closed else {
            return Poll::Pending;
        };
        this.done = true;
        let shared = &this.shared;
        Poll::Ready(match closed {
            ChildResolution::Completed(result) => payload::from_json(&result).map_err(|error| {
                ChildWorkflowError::sdk_made(
                    &shared.workflow_type,
                    &shared.workflow_id,
                    ChildWorkflowErrorKind::OutputDecoding,
                    error_types::PAYLOAD_DECODING,
                    format!(
                        "its result does not decode as `{}`: {error}",
                        std::any::type_name::<O>()
                    ),
                )
            }),
            other => Err(shared.error(other)),
        })
    }
}

impl<O: DeserializeOwned> FusedFuture for ChildResult<O> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}
