//! Child workflows from the parent's side, and signals to other workflows.
//!
//! [`WfContext::child_workflow`] issues `start-child-workflow` at once and returns a
//! [`ChildWorkflowHandle`]. The host answers with `resolve-child-workflow` jobs for the
//! child's sequence number (children count from 1 on their own):
//!
//! | the host sends                                | when                                   | the handle                        |
//! |-----------------------------------------------|----------------------------------------|-----------------------------------|
//! | `started(run-id)`                             | the child's start is durable           | `started()` → `Ok(run-id)`        |
//! | `failed` (type `ChildWorkflowAlreadyStarted`) | instead of `started`: the id is in use | `started()` and `result()` → `AlreadyStarted` |
//! | `completed(payload)`                          | the child completed                    | `result()` → `Ok(output)`         |
//! | `failed(failure)`                             | the child failed (`weft.TimedOut`: it timed out) | `result()` → `Failed` (`TimedOut`) |
//! | `cancelled(failure)`                          | the child was cancelled                | `result()` → `Cancelled`          |
//! | `terminated(failure)`                         | the child was terminated               | `result()` → `Terminated`         |
//!
//! Cancelling a child ([`ChildWorkflowHandle::cancel`], or the parent's cancellation)
//! issues `cancel-child-workflow` (unless its cancellation type is `Abandon`); the host
//! still sends the child's closing answer, which the SDK ignores if it already settled
//! the handle as cancelled (see [`ChildWorkflowCancellationType`]).
//!
//! `signal-external` ([`WfContext::signal_external`], [`ChildWorkflowHandle::signal`])
//! is fire-and-forget: no job answers it, so a signal that cannot be delivered (no such
//! workflow, or it has closed) is known only to the host's log.

mod error;
mod handle;
mod options;
mod table;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::panic::Location;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use error::{ChildWorkflowError, ChildWorkflowErrorKind, SignalExternalError};
pub use handle::{ChildResult, ChildStarted, ChildWorkflowHandle};
pub use options::{ChildWorkflowCancellationType, ChildWorkflowOptions, ParentClosePolicy};
pub(crate) use table::{cancel_all, ChildTable};

use crate::context::WfContext;
use crate::error::{error_types, sdk_failure};
use crate::payload;
use crate::state::SharedState;
use crate::wit::{Command, SignalExternal, StartChildWorkflow};
use crate::workflow::Workflow;
use table::Child;

/// A typed workflow: its name and the types of its input and output, as a parent sees
/// them. Every `#[workflow]` whose input is `Serialize` and output `DeserializeOwned`
/// is one; a workflow of another component can be described by hand, like an
/// [`ActivityType`](crate::ActivityType):
///
/// ```
/// use weft_sdk::WorkflowType;
///
/// /// Ships an order; returns the tracking number. (Runs in another component.)
/// pub struct Ship;
///
/// impl WorkflowType for Ship {
///     const NAME: &'static str = "ship";
///     type Input = String;
///     type Output = String;
/// }
/// ```
pub trait WorkflowType {
    /// The workflow type's name.
    const NAME: &'static str;
    /// What the parent passes to it.
    type Input: Serialize;
    /// What it returns.
    type Output: DeserializeOwned;
}

impl<W: Workflow> WorkflowType for W
where
    W::Input: Serialize,
    W::Output: DeserializeOwned,
{
    const NAME: &'static str = <W as Workflow>::NAME;
    type Input = <W as Workflow>::Input;
    type Output = <W as Workflow>::Output;
}

impl<S> WfContext<S> {
    /// Starts a typed child workflow: issues `start-child-workflow` now.
    ///
    /// The type is a type argument, not a value: the type `#[workflow]` makes of a
    /// function shares the function's name, and only the type is usable as such.
    ///
    /// ```no_run
    /// use weft_sdk::{workflow, ChildWorkflowOptions, WfContext, WfResult};
    ///
    /// #[workflow]
    /// async fn greet(_ctx: WfContext, name: String) -> WfResult<String> {
    ///     Ok(format!("Hello, {name}!"))
    /// }
    ///
    /// #[workflow]
    /// async fn welcome(ctx: WfContext, name: String) -> WfResult<String> {
    ///     let child = ctx.child_workflow::<greet>(name, &ChildWorkflowOptions::new());
    ///     Ok(child.result().await?)
    /// }
    /// ```
    #[track_caller]
    pub fn child_workflow<W: WorkflowType>(
        &self,
        input: W::Input,
        options: &ChildWorkflowOptions,
    ) -> ChildWorkflowHandle<W::Output> {
        self.start_child(W::NAME, &input, options, Location::caller())
    }

    /// Starts a child workflow by name, for workflows without a [`WorkflowType`].
    #[track_caller]
    pub fn child_workflow_by_name<O: DeserializeOwned>(
        &self,
        workflow_type: &str,
        input: &impl Serialize,
        options: &ChildWorkflowOptions,
    ) -> ChildWorkflowHandle<O> {
        self.start_child(workflow_type, input, options, Location::caller())
    }

    fn start_child<I: Serialize + ?Sized, O>(
        &self,
        workflow_type: &str,
        input: &I,
        options: &ChildWorkflowOptions,
        caller: &'static Location<'static>,
    ) -> ChildWorkflowHandle<O> {
        let input = match payload::to_json(input) {
            Ok(input) => input,
            Err(error) => {
                let workflow_id = options.id().unwrap_or_default();
                let message = format!("its input does not encode as JSON: {error}");
                let failure = sdk_failure(error_types::PAYLOAD_ENCODING, message);
                let child = Rc::new(RefCell::new(Child::not_started(failure, caller)));
                let state = self.state.clone();
                return ChildWorkflowHandle::new(state, child, None, workflow_type, workflow_id);
            }
        };
        let mut state = self.state.borrow_mut();
        let cancellation = options.cancellation();
        let child = Rc::new(RefCell::new(Child::new(
            cancellation,
            state.shielding(),
            caller,
        )));
        let seq = state.children.issue(child.clone());
        let workflow_id = match options.id() {
            Some(id) => id.to_owned(),
            None => format!("{}/child-{seq}", self.workflow_id()),
        };
        let command = Command::StartChildWorkflow(StartChildWorkflow {
            seq,
            workflow_type: workflow_type.to_owned(),
            input,
            workflow_id: Some(workflow_id.clone()),
            parent_close_policy: options.close_policy().to_wit(),
        });
        if let Some(host_options) = options.to_wit() {
            crate::host::child_workflow_options(seq, &host_options);
        }
        if let Some(flow) = options.flow_to_wit() {
            crate::host::child_flow(seq, &flow);
        }
        state.issue(command, Some(caller));
        drop(state);
        ChildWorkflowHandle::new(
            self.state.clone(),
            child,
            Some(seq),
            workflow_type,
            &workflow_id,
        )
    }

    /// Sends a signal to another workflow execution: issues `signal-external` now.
    ///
    /// Fire-and-forget: no job answers it, so whether it was delivered (the workflow
    /// exists and is open) is known only to the host, which logs a signal it could not
    /// deliver. `Err` only when the input does not encode as JSON (nothing is issued).
    ///
    /// ```no_run
    /// use weft_sdk::{workflow, WfContext, WfResult};
    ///
    /// #[workflow]
    /// async fn notify(ctx: WfContext, target: String) -> WfResult<()> {
    ///     ctx.signal_external(&target, "wake_up", &"now")?;
    ///     Ok(())
    /// }
    /// ```
    #[track_caller]
    pub fn signal_external(
        &self,
        workflow_id: &str,
        name: &str,
        input: &impl Serialize,
    ) -> Result<(), SignalExternalError> {
        signal_external(&self.state, workflow_id, name, input, Location::caller())
    }
}

/// Issues `signal-external` with the next sequence number of its kind.
fn signal_external<I: Serialize + ?Sized>(
    state: &SharedState,
    workflow_id: &str,
    name: &str,
    input: &I,
    caller: &'static Location<'static>,
) -> Result<(), SignalExternalError> {
    let input = payload::to_json(input).map_err(|error| SignalExternalError {
        workflow_id: workflow_id.to_owned(),
        name: name.to_owned(),
        reason: error.to_string(),
    })?;
    let mut state = state.borrow_mut();
    state.external_signals += 1;
    let command = Command::SignalExternal(SignalExternal {
        seq: state.external_signals,
        workflow_id: workflow_id.to_owned(),
        name: name.to_owned(),
        input,
    });
    state.issue(command, Some(caller));
    Ok(())
}
