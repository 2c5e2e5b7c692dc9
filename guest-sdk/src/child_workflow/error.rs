//! How a child workflow can end without a result, and why a signal was not sent.

use std::fmt;
use std::panic::Location;

use serde::de::DeserializeOwned;

use crate::causes::Causes;
use crate::error::{error_types, sdk_failure, Cause, WorkflowError};
use crate::payload;
use crate::wit::{ChildResolution, Failure};

/// How a child workflow ended without a result (or never started).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildWorkflowErrorKind {
    /// The child failed: [`failure`](ChildWorkflowError::failure) is the failure it
    /// ended with (its error type, message, details).
    Failed,
    /// The child was cancelled, or the parent stopped waiting for it (see
    /// [`ChildWorkflowCancellationType`](crate::ChildWorkflowCancellationType)).
    Cancelled,
    /// The child was terminated.
    Terminated,
    /// The child exceeded its execution or run timeout (error type `weft.TimedOut`).
    TimedOut,
    /// The child was not started: its workflow id is in use (error type
    /// `ChildWorkflowAlreadyStarted`).
    AlreadyStarted,
    /// The input could not be encoded as JSON; the child was not started.
    InputEncoding,
    /// The child completed, but its result does not decode into the output type.
    OutputDecoding,
}

impl fmt::Display for ChildWorkflowErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Failed => "failed",
            Self::Cancelled => "was cancelled",
            Self::Terminated => "was terminated",
            Self::TimedOut => "timed out",
            Self::AlreadyStarted => "was not started: its workflow id is in use",
            Self::InputEncoding => "was not started",
            Self::OutputDecoding => "returned an unexpected result",
        })
    }
}

/// Why a child workflow produced no result (or no start). Converts into a
/// [`WorkflowError`] with `?`: a child failure (`weft.ChildWorkflowFailure`, keeping
/// the child's retryability) whose cause is the failure the child ended with, with this
/// error as its [`source`](std::error::Error::source).
#[derive(Debug, Clone, thiserror::Error)]
#[error("child workflow `{workflow_type}` (id `{workflow_id}`) {kind}: {}", failure.message)]
pub struct ChildWorkflowError {
    workflow_type: String,
    workflow_id: String,
    kind: ChildWorkflowErrorKind,
    failure: Failure,
    /// The causes of `failure`, outermost first.
    causes: Causes,
}

impl ChildWorkflowError {
    /// Sorts the host's closing answer (`completed` is not an error and never comes here).
    pub(crate) fn from_resolution(
        workflow_type: &str,
        workflow_id: &str,
        resolution: ChildResolution,
        causes: Vec<Failure>,
    ) -> Self {
        let (kind, failure) = match resolution {
            ChildResolution::Failed(failure) => (classify(&failure), failure),
            ChildResolution::Cancelled(failure) => (ChildWorkflowErrorKind::Cancelled, failure),
            ChildResolution::Terminated(failure) => (ChildWorkflowErrorKind::Terminated, failure),
            ChildResolution::Started(_) | ChildResolution::Completed(_) => {
                unreachable!("only closing failures become errors")
            }
        };
        Self {
            causes: Causes::new(causes),
            ..Self::new(workflow_type, workflow_id, kind, failure)
        }
    }

    pub(crate) fn new(
        workflow_type: &str,
        workflow_id: &str,
        kind: ChildWorkflowErrorKind,
        failure: Failure,
    ) -> Self {
        Self {
            workflow_type: workflow_type.to_owned(),
            workflow_id: workflow_id.to_owned(),
            kind,
            failure,
            causes: Causes::default(),
        }
    }

    pub(crate) fn sdk_made(
        workflow_type: &str,
        workflow_id: &str,
        kind: ChildWorkflowErrorKind,
        error_type: &str,
        message: String,
    ) -> Self {
        let failure = sdk_failure(error_type, message);
        Self::new(workflow_type, workflow_id, kind, failure)
    }

    pub(crate) fn with_kind(mut self, kind: ChildWorkflowErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// The child's workflow type.
    pub fn workflow_type(&self) -> &str {
        &self.workflow_type
    }

    /// The child's workflow id.
    pub fn workflow_id(&self) -> &str {
        &self.workflow_id
    }

    /// How it ended.
    pub fn kind(&self) -> ChildWorkflowErrorKind {
        self.kind
    }

    /// The failure the host reported (the child's own, for [`Failed`]), or the SDK made.
    ///
    /// [`Failed`]: ChildWorkflowErrorKind::Failed
    pub fn failure(&self) -> &Failure {
        &self.failure
    }

    /// What caused the [`failure`](Self::failure), outermost first (a child that
    /// failed with a cause of its own, or failed because of its own child). Empty when
    /// it has none.
    pub fn causes(&self) -> &[Failure] {
        self.causes.as_slice()
    }

    /// The failure's message.
    pub fn message(&self) -> &str {
        &self.failure.message
    }

    /// The failure's error type.
    pub fn error_type(&self) -> &str {
        &self.failure.error_type
    }

    /// The failure's details decoded as `T`; `None` when there are none or they are not
    /// a `T`.
    pub fn details<T: DeserializeOwned>(&self) -> Option<T> {
        payload::from_json(self.failure.details.as_ref()?).ok()
    }

    /// Whether the child was cancelled (or the parent stopped waiting for it).
    pub fn is_cancelled(&self) -> bool {
        self.kind == ChildWorkflowErrorKind::Cancelled
    }
}

/// A `failed` answer is a start failure or a timeout when its error type says so.
fn classify(failure: &Failure) -> ChildWorkflowErrorKind {
    match failure.error_type.as_str() {
        error_types::CHILD_WORKFLOW_ALREADY_STARTED => ChildWorkflowErrorKind::AlreadyStarted,
        error_types::TIMED_OUT => ChildWorkflowErrorKind::TimedOut,
        _ => ChildWorkflowErrorKind::Failed,
    }
}

impl From<ChildWorkflowError> for WorkflowError {
    /// A child failure, as Temporal's `ChildWorkflowFailure`: its message names the
    /// child and says how it ended, its type is `weft.ChildWorkflowFailure` (a
    /// cancelled child's: `weft.Cancelled`, a cancellation), it keeps the child's
    /// retryability, and its [`causes`](WorkflowError::causes) are the failure the child
    /// ended with (its message, error type and details), then that failure's causes.
    #[track_caller]
    fn from(error: ChildWorkflowError) -> Self {
        let cancelled = error.is_cancelled();
        let failure = Failure {
            message: format!(
                "child workflow `{}` (id `{}`) {}",
                error.workflow_type, error.workflow_id, error.kind
            ),
            error_type: if cancelled {
                error_types::CANCELLED
            } else {
                error_types::CHILD_WORKFLOW_FAILURE
            }
            .to_owned(),
            non_retryable: error.failure.non_retryable,
            details: None,
        };
        let causes = std::iter::once(error.failure.clone())
            .chain(error.causes.as_slice().iter().cloned())
            .collect();
        let cause = Cause::ChildWorkflow(error);
        WorkflowError::caused_by(failure, Location::caller(), cancelled, cause).with_causes(causes)
    }
}

/// A signal to another workflow was not sent: its input does not encode as JSON.
/// Converts into a [`WorkflowError`] with `?`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("signal `{name}` to workflow `{workflow_id}` was not sent: its input does not encode as JSON: {reason}")]
pub struct SignalExternalError {
    pub(crate) workflow_id: String,
    pub(crate) name: String,
    pub(crate) reason: String,
}

impl From<SignalExternalError> for WorkflowError {
    #[track_caller]
    fn from(error: SignalExternalError) -> Self {
        let failure = sdk_failure(error_types::PAYLOAD_ENCODING, error.to_string());
        let cause = Cause::SignalExternal(error);
        WorkflowError::caused_by(failure, Location::caller(), false, cause)
    }
}
