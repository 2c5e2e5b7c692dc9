//! Activities from the workflow's side: the typed definition, the future that waits for
//! the result, and the error it can end with.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::future::FusedFuture;
use serde::de::DeserializeOwned;

use crate::cancellation::{self, Cause, OpKind};
use crate::causes::Causes;
use crate::error::error_types;
use crate::payload;
use crate::state::Answer;
use crate::wit::{ActivityResolution, Failure};

pub use weft_types::ActivityType;

/// How an activity ended without a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityErrorKind {
    /// The activity returned an error (on its last attempt, if retried).
    Failed,
    /// The activity was cancelled.
    Cancelled,
    /// The activity exceeded one of its timeouts.
    TimedOut,
    /// The input could not be encoded as JSON; the activity was not scheduled.
    InputEncoding,
    /// The activity completed, but its result does not decode into the output type.
    OutputDecoding,
}

impl fmt::Display for ActivityErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Failed => "failed",
            Self::Cancelled => "was cancelled",
            Self::TimedOut => "timed out",
            Self::InputEncoding => "was not scheduled",
            Self::OutputDecoding => "returned an unexpected result",
        })
    }
}

/// Why an activity produced no result. Converts into a
/// [`WorkflowError`](crate::WorkflowError) with `?`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("activity `{activity_type}` {kind}: {}", failure.message)]
pub struct ActivityError {
    // A boxed str, not a String: the error travels in every activity's result.
    activity_type: Box<str>,
    kind: ActivityErrorKind,
    failure: Failure,
    /// What caused the failure, outermost first.
    causes: Causes,
}

impl ActivityError {
    /// The activity's name.
    pub fn activity_type(&self) -> &str {
        &self.activity_type
    }

    /// How it ended.
    pub fn kind(&self) -> ActivityErrorKind {
        self.kind
    }

    /// The failure the host reported (or the SDK made, for encoding errors).
    pub fn failure(&self) -> &Failure {
        &self.failure
    }

    /// What caused the [`failure`](Self::failure), outermost first: the first is its
    /// cause, each next one the cause of the one before (an activity whose error had a
    /// source, a timeout after a failed attempt). Empty when it has none.
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

    /// The failure's details (set by the activity with `ActivityError::with_details`),
    /// decoded as `T`; `None` when there are none or they are not a `T`.
    pub fn details<T: DeserializeOwned>(&self) -> Option<T> {
        payload::from_json(self.failure.details.as_ref()?).ok()
    }

    /// Whether the activity was cancelled (by the workflow, or by the host).
    ///
    /// ```
    /// # use weft_sdk::{ActivityError, WfResult};
    /// fn outcome(result: Result<String, ActivityError>) -> WfResult<String> {
    ///     match result {
    ///         Err(error) if error.is_cancelled() => Ok("cancelled".to_owned()),
    ///         other => Ok(other?),
    ///     }
    /// }
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.kind == ActivityErrorKind::Cancelled
    }

    fn sdk_made(
        activity_type: &str,
        kind: ActivityErrorKind,
        error_type: &str,
        message: String,
    ) -> Self {
        Self {
            activity_type: activity_type.into(),
            kind,
            failure: Failure {
                message,
                error_type: error_type.to_owned(),
                non_retryable: true,
                details: None,
            },
            causes: Causes::default(),
        }
    }

    pub(crate) fn input_encoding(activity_type: &str, error: &serde_json::Error) -> Self {
        Self::sdk_made(
            activity_type,
            ActivityErrorKind::InputEncoding,
            error_types::PAYLOAD_ENCODING,
            format!("its input does not encode as JSON: {error}"),
        )
    }
}

/// The result of an activity (or a local activity), once it arrives. Created by
/// [`WfContext::activity`](crate::WfContext::activity) and
/// [`WfContext::local_activity`](crate::WfContext::local_activity); the command that
/// schedules the activity was issued when it was created, so awaiting it (or not) changes
/// nothing in the history.
///
/// Dropping it before it resolved cancels the activity, like [`cancel`](Self::cancel):
/// the loser of a [`select!`](crate::select) is cancelled.
#[must_use = "the activity is scheduled either way; await the future to get its result"]
pub struct ActivityFuture<O> {
    activity_type: String,
    kind: OpKind,
    stage: Stage,
    output: PhantomData<fn() -> O>,
}

enum Stage {
    Scheduled(Answer<ActivityResolution>),
    NotScheduled(ActivityError),
    Done,
}

impl<O> ActivityFuture<O> {
    pub(crate) fn scheduled(
        activity_type: &str,
        kind: OpKind,
        answer: Answer<ActivityResolution>,
    ) -> Self {
        Self {
            activity_type: activity_type.to_owned(),
            kind,
            stage: Stage::Scheduled(answer),
            output: PhantomData,
        }
    }

    pub(crate) fn not_scheduled(kind: OpKind, error: ActivityError) -> Self {
        Self {
            activity_type: error.activity_type.to_string(),
            kind,
            stage: Stage::NotScheduled(error),
            output: PhantomData,
        }
    }

    /// The activity's sequence number, while it is scheduled and its result not yet taken.
    /// (Activities and local activities count apart.)
    pub fn seq(&self) -> Option<u32> {
        match &self.stage {
            Stage::Scheduled(answer) => Some(answer.seq()),
            _ => None,
        }
    }

    /// Cancels the activity, as its
    /// [cancellation type](crate::ActivityOptions::cancellation_type) says:
    ///
    /// | type                        | activity                                   | local activity            |
    /// |-----------------------------|--------------------------------------------|---------------------------|
    /// | `TryCancel` (default)       | `request-cancel-activity`; resolves cancelled now | told; resolves cancelled now |
    /// | `WaitCancellationCompleted` | `request-cancel-activity`; resolves when the host reports the outcome | told; resolves when the activity ends |
    /// | `Abandon`                   | resolves cancelled now                     | resolves cancelled now    |
    ///
    /// "Resolves cancelled" is an [`ActivityError`] for which
    /// [`is_cancelled`](ActivityError::is_cancelled) holds; the host's later answer is
    /// ignored. No command cancels a local activity: the host is told aside
    /// (`cancel-local-activity`) and tells the activity through its context. Does
    /// nothing if the activity has already resolved (even if this future has not taken
    /// the result yet) or its cancellation has begun.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// use weft_sdk::{select, workflow, ActivityOptions, WfContext, WfResult};
    ///
    /// #[workflow]
    /// async fn first_answer(ctx: WfContext, question: String) -> WfResult<String> {
    ///     let options = ActivityOptions::start_to_close(Duration::from_secs(60));
    ///     let mut slow = ctx.activity_by_name::<String>("ask_expert", &question, &options);
    ///     let mut timeout = ctx.sleep(Duration::from_secs(10));
    ///     select! {
    ///         answer = slow => Ok(answer?),
    ///         _ = timeout => {
    ///             slow.cancel();
    ///             Ok("no answer in time".to_owned())
    ///         }
    ///     }
    /// }
    /// ```
    #[track_caller]
    pub fn cancel(&mut self) {
        self.cancel_at(Some(Location::caller()));
    }

    fn cancel_at(&mut self, at: Option<&'static Location<'static>>) {
        let Stage::Scheduled(answer) = &self.stage else {
            return;
        };
        // `try_`: also called in drop, where a panic must not start.
        if let Ok(mut state) = answer.state().try_borrow_mut() {
            cancellation::cancel(&mut state, self.kind, answer.seq(), Cause::Workflow, at);
        }
    }
}

impl<O> Drop for ActivityFuture<O> {
    /// An activity nobody waits for is cancelled, at the line that scheduled it.
    fn drop(&mut self) {
        self.cancel_at(None);
    }
}

impl<O: DeserializeOwned> ActivityFuture<O> {
    fn settle(
        &self,
        resolution: ActivityResolution,
        causes: Vec<Failure>,
    ) -> Result<O, ActivityError> {
        let (kind, failure) = match resolution {
            ActivityResolution::Completed(result) => {
                return payload::from_json(&result).map_err(|error| {
                    ActivityError::sdk_made(
                        &self.activity_type,
                        ActivityErrorKind::OutputDecoding,
                        error_types::PAYLOAD_DECODING,
                        format!(
                            "its result does not decode as `{}`: {error}",
                            std::any::type_name::<O>()
                        ),
                    )
                });
            }
            ActivityResolution::Failed(failure) => (ActivityErrorKind::Failed, failure),
            ActivityResolution::Cancelled(failure) => (ActivityErrorKind::Cancelled, failure),
            ActivityResolution::TimedOut(failure) => (ActivityErrorKind::TimedOut, failure),
        };
        Err(ActivityError {
            activity_type: self.activity_type.as_str().into(),
            kind,
            failure,
            causes: Causes::new(causes),
        })
    }
}

impl<O: DeserializeOwned> Future for ActivityFuture<O> {
    type Output = Result<O, ActivityError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let (resolution, causes) = match &mut this.stage {
            Stage::Scheduled(answer) => match answer.poll(cx) {
                Poll::Ready(resolution) => {
                    let mut state = answer.state().borrow_mut();
                    (
                        resolution,
                        state.activity_causes.take(this.kind, answer.seq()),
                    )
                }
                Poll::Pending => return Poll::Pending,
            },
            Stage::NotScheduled(_) => match std::mem::replace(&mut this.stage, Stage::Done) {
                Stage::NotScheduled(error) => return Poll::Ready(Err(error)),
                _ => unreachable!(),
            },
            Stage::Done => panic!("activity future polled after it completed"),
        };
        this.stage = Stage::Done;
        Poll::Ready(this.settle(resolution, causes))
    }
}

impl<O: DeserializeOwned> FusedFuture for ActivityFuture<O> {
    fn is_terminated(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }
}
