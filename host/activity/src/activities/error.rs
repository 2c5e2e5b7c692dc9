//! How an activity attempt fails.

use serde::Serialize;

use crate::history::vocab::Encoding;
use crate::history::{Failure, Payload};

/// The error type of a cancelled activity.
pub const CANCELLED: &str = "weft.ActivityCancelled";

/// Why an activity attempt failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{error_type}: {message}")]
pub struct ActivityError {
    pub message: String,
    /// Matched against a retry policy's non-retryable error types.
    pub error_type: String,
    /// Never retry, whatever the policy says.
    pub non_retryable: bool,
    /// Structured facts about the failure, for the workflow (`ActivityError::details` in
    /// the SDK) and for `weft result`.
    pub details: Option<Payload>,
    /// What caused it ([`ActivityError::with_cause`]): the workflow sees it as the
    /// cause of the activity's failure.
    pub cause: Option<Box<Failure>>,
}

impl ActivityError {
    /// A failure the retry policy may retry.
    pub fn retryable(message: impl Into<String>) -> ActivityError {
        ActivityError {
            message: message.into(),
            error_type: "ActivityError".into(),
            non_retryable: false,
            details: None,
            cause: None,
        }
    }

    /// A failure that is final on its first occurrence.
    pub fn non_retryable(message: impl Into<String>) -> ActivityError {
        ActivityError {
            non_retryable: true,
            ..ActivityError::retryable(message)
        }
    }

    /// The activity stopped because it was cancelled (see
    /// [`ActivityContext::is_cancelled`](super::ActivityContext::is_cancelled)).
    pub fn cancelled(message: impl Into<String>) -> ActivityError {
        ActivityError::non_retryable(message).with_type(CANCELLED)
    }

    /// Whether this is [`ActivityError::cancelled`].
    pub fn is_cancelled(&self) -> bool {
        self.error_type == CANCELLED
    }

    /// Attach structured details (JSON); they travel with the failure into the
    /// history and to the workflow.
    pub fn with_details(mut self, details: &impl Serialize) -> ActivityError {
        self.details = serde_json::to_vec(details).ok().map(|data| Payload {
            encoding: Encoding::Json,
            data,
        });
        self
    }

    /// Name the failure's type, for `non-retryable-error-types`.
    pub fn with_type(mut self, error_type: impl Into<String>) -> ActivityError {
        self.error_type = error_type.into();
        self
    }

    /// Say what caused this failure (with its own cause, if it has one): the workflow
    /// sees the chain (`ActivityError::causes` in the SDK), and so does `weft result`.
    pub fn with_cause(mut self, cause: ActivityError) -> ActivityError {
        self.cause = Some(Box::new(cause.into_failure()));
        self
    }

    /// A retryable failure made from `error`, its [`source`](std::error::Error::source)
    /// chain as its causes (each a retryable `ActivityError` with the source's message).
    pub fn from_error(error: &(dyn std::error::Error + 'static)) -> ActivityError {
        let mut failure = ActivityError::retryable(error.to_string());
        if let Some(source) = error.source() {
            failure = failure.with_cause(ActivityError::from_error(source));
        }
        failure
    }

    pub fn into_failure(self) -> Failure {
        Failure {
            message: self.message,
            error_type: self.error_type,
            non_retryable: self.non_retryable,
            details: self.details,
            cause: self.cause,
            encoded_attributes: None,
        }
    }
}
