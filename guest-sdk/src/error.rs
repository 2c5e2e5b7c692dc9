//! How a workflow fails.
//!
//! A workflow function returns [`WfResult`]; `Err` ends the execution with a
//! `fail-workflow` command — or, if the error is a cancellation and the workflow's
//! cancellation was requested, with `cancel-workflow-confirmed`. Activity failures and
//! cancelled timers and conditions convert with `?`, and the conversion records the line
//! of the `?`, which becomes the location of that last command.

use std::panic::Location;

use crate::activity::ActivityError;
use crate::cancellation::Cancelled;
use crate::child_workflow::{ChildWorkflowError, SignalExternalError};
use crate::location;
use crate::wit::{ContinueAsNew, Failure, SourceLocation};

/// The result of a workflow function.
pub type WfResult<T> = Result<T, WorkflowError>;

pub use weft_types::error_types;

/// A failure the SDK makes itself (not an error of workflow code): never retried.
pub(crate) fn sdk_failure(error_type: &str, message: String) -> Failure {
    Failure {
        message,
        error_type: error_type.to_owned(),
        non_retryable: true,
        details: None,
    }
}

/// Why a workflow execution failed: becomes the `failure` of its `fail-workflow` command.
///
/// An error that [is a cancellation](Self::is_cancelled) ends the run as cancelled
/// instead (`cancel-workflow-confirmed`) when the workflow's cancellation was requested;
/// otherwise it is an ordinary failure.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", failure.message)]
pub struct WorkflowError {
    failure: Failure,
    location: Option<&'static Location<'static>>,
    /// The error this one was converted from, if any.
    source: Option<Box<Cause>>,
    cancelled: bool,
    /// What few errors carry: a continue-as-new, causes.
    rare: Option<Box<Rare>>,
}

impl WorkflowError {
    /// A failure with this message and the type `weft.WorkflowError`, located at the caller.
    #[track_caller]
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            failure: Failure {
                message: message.into(),
                error_type: error_types::WORKFLOW_ERROR.to_owned(),
                non_retryable: false,
                details: None,
            },
            location: Some(Location::caller()),
            source: None,
            cancelled: false,
            rare: None,
        }
    }

    /// A cancellation, with the type `weft.Cancelled`, located at the caller: returned
    /// after the workflow's cancellation was requested, it ends the run as cancelled.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// use weft_sdk::{workflow, WfContext, WfResult, WorkflowError};
    ///
    /// #[workflow]
    /// async fn patient(ctx: WfContext) -> WfResult<()> {
    ///     if ctx.sleep(Duration::from_secs(3600)).await.is_err() {
    ///         // Cancelled while sleeping: clean up here, then confirm.
    ///         return Err(WorkflowError::cancelled("stopped while waiting"));
    ///     }
    ///     Ok(())
    /// }
    /// ```
    #[track_caller]
    pub fn cancelled(message: impl Into<String>) -> Self {
        let mut error = Self::new(message).with_type(error_types::CANCELLED);
        error.cancelled = true;
        error
    }

    /// Whether this error is a cancellation: made with [`cancelled`](Self::cancelled),
    /// or converted from a cancelled activity, timer or condition.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled
    }

    /// Sets the error type (what a parent's retry policy or a client matches on).
    pub fn with_type(mut self, error_type: impl Into<String>) -> Self {
        self.failure.error_type = error_type.into();
        self
    }

    /// Marks the failure non-retryable: a parent's retry policy for this workflow (as a
    /// child) does not retry it.
    pub fn non_retryable(mut self) -> Self {
        self.failure.non_retryable = true;
        self
    }

    /// Make `cause` the cause of this failure (with the causes `cause` has, after it):
    /// whoever sees the run fail sees both, as a chain (`weft result`).
    ///
    /// ```
    /// use weft_sdk::WorkflowError;
    ///
    /// let error = WorkflowError::new("main error")
    ///     .with_cause(WorkflowError::new("cause error").with_type("Io"));
    /// assert_eq!(error.causes()[0].message, "cause error");
    /// assert_eq!(error.causes()[0].error_type, "Io");
    /// ```
    pub fn with_cause(self, cause: WorkflowError) -> Self {
        let causes = std::iter::once(cause.failure.clone()).chain(cause.causes().iter().cloned());
        self.with_causes(causes.collect())
    }

    /// What caused the [`failure`](Self::failure), outermost first: the first is its
    /// cause, each next one the cause of the one before. A failure converted from a
    /// child's has the child's failure first; one converted from an activity's has that
    /// failure's causes. Empty when it has none.
    pub fn causes(&self) -> &[Failure] {
        self.rare.as_ref().map_or(&[], |rare| &rare.causes)
    }

    /// Attach structured details (JSON) to the failure the run ends with.
    pub fn with_details(mut self, details: &impl serde::Serialize) -> Self {
        self.failure.details = crate::payload::to_json(details).ok();
        self
    }

    /// The workflow continues as new with `next` (made by `WfContext::continue_as_new`).
    pub(crate) fn continuing(next: ContinueAsNew, caller: &'static Location<'static>) -> Self {
        Self {
            failure: sdk_failure(
                error_types::CONTINUE_AS_NEW,
                "the workflow continues as new".to_owned(),
            ),
            location: Some(caller),
            source: None,
            cancelled: false,
            rare: Some(Box::new(Rare {
                continue_as_new: Some(next),
                causes: Vec::new(),
            })),
        }
    }

    /// Whether this is a continue-as-new, not a failure.
    pub fn is_continue_as_new(&self) -> bool {
        self.rare
            .as_ref()
            .is_some_and(|rare| rare.continue_as_new.is_some())
    }

    /// The continue-as-new this error carries, if any.
    pub(crate) fn take_continue_as_new(&mut self) -> Option<ContinueAsNew> {
        self.rare.as_mut()?.continue_as_new.take()
    }

    /// The failure message.
    pub fn message(&self) -> &str {
        &self.failure.message
    }

    /// The failure's error type.
    pub fn error_type(&self) -> &str {
        &self.failure.error_type
    }

    /// The failure as it goes into the `fail-workflow` command.
    pub fn failure(&self) -> &Failure {
        &self.failure
    }

    /// Where in the workflow's code the error was made (or converted with `?`).
    pub fn location(&self) -> Option<&'static Location<'static>> {
        self.location
    }

    /// The failure and the location for the `fail-workflow` command.
    pub(crate) fn into_parts(self) -> (Failure, Option<SourceLocation>) {
        (self.failure, self.location.map(location::from_caller))
    }

    /// An error converted from `source` (with `?`, located at the `?`), with no causes
    /// yet.
    pub(crate) fn caused_by(
        failure: Failure,
        location: &'static Location<'static>,
        cancelled: bool,
        source: Cause,
    ) -> Self {
        Self {
            failure,
            location: Some(location),
            source: Some(Box::new(source)),
            cancelled,
            rare: None,
        }
    }

    /// This error with these causes (outermost first).
    pub(crate) fn with_causes(mut self, causes: Vec<Failure>) -> Self {
        if !causes.is_empty() || self.rare.is_some() {
            self.rare.get_or_insert_with(Box::default).causes = causes;
        }
        self
    }

    /// An SDK-made failure without a location in workflow code.
    pub(crate) fn internal(error_type: &str, message: String) -> Self {
        Self {
            failure: sdk_failure(error_type, message),
            location: None,
            source: None,
            cancelled: false,
            rare: None,
        }
    }
}

impl From<ActivityError> for WorkflowError {
    /// Keeps the activity's error type, so that whoever sees the workflow fail can tell
    /// what went wrong; the message names the activity.
    #[track_caller]
    fn from(error: ActivityError) -> Self {
        let failure = Failure {
            message: error.to_string(),
            error_type: error.failure().error_type.clone(),
            non_retryable: error.failure().non_retryable,
            details: error.failure().details.clone(),
        };
        let cancelled = error.is_cancelled();
        let causes = error.causes().to_vec();
        Self::caused_by(
            failure,
            Location::caller(),
            cancelled,
            Cause::Activity(error),
        )
        .with_causes(causes)
    }
}

impl From<Cancelled> for WorkflowError {
    /// A cancellation (see [`WorkflowError::cancelled`]) with the same message.
    #[track_caller]
    fn from(error: Cancelled) -> Self {
        let mut converted = Self::new(error.message()).with_type(error_types::CANCELLED);
        converted.cancelled = true;
        converted
    }
}

/// What few [`WorkflowError`]s carry, behind one pointer to keep the error small (it
/// travels in every result of workflow code).
#[derive(Debug, Clone, Default)]
struct Rare {
    /// Not a failure: the workflow continues as new (see `WfContext::continue_as_new`).
    continue_as_new: Option<ContinueAsNew>,
    /// What caused the failure, outermost first (see [`WorkflowError::causes`]).
    causes: Vec<Failure>,
}

/// What a [`WorkflowError`] can be converted from: its `source`. (An enum behind one
/// pointer rather than a `dyn Error`, to keep `WorkflowError` small.)
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum Cause {
    #[error(transparent)]
    Activity(ActivityError),
    #[error(transparent)]
    ChildWorkflow(ChildWorkflowError),
    #[error(transparent)]
    SignalExternal(SignalExternalError),
}
