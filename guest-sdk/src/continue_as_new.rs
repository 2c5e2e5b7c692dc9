//! Continue-as-new: a workflow ends its run and the host starts the execution's next run
//! (same workflow id, fresh history) with a new input, in one durable step. Long-lived
//! workflows use it to keep each run's history short; `ctx.history_info()` says when
//! the host suggests it.

use std::panic::Location;

use serde::Serialize;

use crate::context::WfContext;
use crate::error::{error_types, WorkflowError};
use crate::payload;
use crate::wit::ContinueAsNew;

impl<S> WfContext<S> {
    /// The error that, returned from the workflow, continues it as new with `input`
    /// (the same workflow type). Memo and search attributes go on to the next run.
    ///
    /// ```no_run
    /// # use weft_sdk::{WfContext, WfResult};
    /// async fn looper(ctx: WfContext, count: u64) -> WfResult<u64> {
    ///     if count < 1_000 && ctx.history_info().continue_as_new_suggested {
    ///         return Err(ctx.continue_as_new(&count));
    ///     }
    ///     Ok(count)
    /// }
    /// ```
    #[track_caller]
    pub fn continue_as_new(&self, input: &impl Serialize) -> WorkflowError {
        continue_as(None, input, Location::caller())
    }

    /// [`WfContext::continue_as_new`] as another workflow type.
    #[track_caller]
    pub fn continue_as_new_as(&self, workflow_type: &str, input: &impl Serialize) -> WorkflowError {
        continue_as(Some(workflow_type.to_owned()), input, Location::caller())
    }
}

fn continue_as(
    workflow_type: Option<String>,
    input: &impl Serialize,
    caller: &'static Location<'static>,
) -> WorkflowError {
    match payload::to_json(input) {
        Ok(input) => WorkflowError::continuing(
            ContinueAsNew {
                workflow_type,
                input,
            },
            caller,
        ),
        Err(e) => WorkflowError::new(format!(
            "the input of continue-as-new does not encode as JSON: {e}"
        ))
        .with_type(error_types::PAYLOAD_ENCODING),
    }
}
