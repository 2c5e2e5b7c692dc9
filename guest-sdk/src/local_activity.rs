//! Local activities: activities the host runs right away, in the workflow's own host,
//! without a task queue (`schedule-local-activity`, answered by
//! `resolve-local-activity`).
//!
//! They count their own sequence numbers, apart from activities, and are cancelled the
//! same way from the workflow's side. No command cancels a local activity: the SDK tells
//! the host through the `cancel-local-activity` import, which tells the running activity
//! (its context sees the cancellation) or ends a backoff between attempts as cancelled.
//!
//! | cancellation type           | the activity is told | the future resolves                       |
//! |-----------------------------|----------------------|-------------------------------------------|
//! | `TryCancel` (default)       | yes                  | cancelled at once (its later result is ignored) |
//! | `WaitCancellationCompleted` | yes                  | with what the activity ends with          |
//! | `Abandon`                   | no                   | cancelled at once                         |

use std::panic::Location;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::activity::{ActivityFuture, ActivityType};
use crate::cancellation::{ActivityCancellationType, OpKind};
use crate::context::WfContext;
use crate::options::{millis, RetryPolicy};
use crate::wit;

/// How the host runs a local activity: its close timeouts (at least one, given to the
/// constructor), its retry policy and its cancellation type. A local activity has no task
/// queue, no schedule-to-start and no heartbeat timeout.
///
/// ```
/// use std::time::Duration;
/// use weft_sdk::{ActivityCancellationType, LocalActivityOptions, RetryPolicy};
///
/// let options = LocalActivityOptions::start_to_close(Duration::from_secs(5))
///     .schedule_to_close(Duration::from_secs(30))
///     .retry(RetryPolicy { maximum_attempts: 3, ..RetryPolicy::default() })
///     .cancellation_type(ActivityCancellationType::Abandon);
/// assert_eq!(options.retry_policy().maximum_attempts, 3);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LocalActivityOptions {
    /// `None`: as long as the schedule-to-close timeout.
    start_to_close: Option<Duration>,
    schedule_to_close: Option<Duration>,
    retry: RetryPolicy,
    cancellation: ActivityCancellationType,
}

impl LocalActivityOptions {
    /// Options whose every attempt must finish within `timeout` of starting.
    pub fn start_to_close(timeout: Duration) -> Self {
        Self::new(Some(timeout), None)
    }

    /// Options that bound only the whole local activity, all attempts and the waits
    /// between them included; an attempt may run as long.
    pub fn with_schedule_to_close(timeout: Duration) -> Self {
        Self::new(None, Some(timeout))
    }

    fn new(start_to_close: Option<Duration>, schedule_to_close: Option<Duration>) -> Self {
        Self {
            start_to_close,
            schedule_to_close,
            retry: RetryPolicy::default(),
            cancellation: ActivityCancellationType::default(),
        }
    }

    /// Bounds the whole local activity, all attempts and the waits between them included.
    pub fn schedule_to_close(mut self, timeout: Duration) -> Self {
        self.schedule_to_close = Some(timeout);
        self
    }

    /// Replaces the default retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// What cancelling the local activity does; `TryCancel` by default (see
    /// [`ActivityFuture::cancel`]).
    pub fn cancellation_type(mut self, cancellation: ActivityCancellationType) -> Self {
        self.cancellation = cancellation;
        self
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The cancellation type in force.
    pub fn cancellation(&self) -> ActivityCancellationType {
        self.cancellation
    }

    /// The options as they go into a `schedule-local-activity` command: the same record
    /// as an activity's, with the fields a local activity has not left empty.
    pub(crate) fn to_wit(&self) -> wit::ActivityOptions {
        let start_to_close = self.start_to_close.or(self.schedule_to_close);
        wit::ActivityOptions {
            task_queue: None,
            start_to_close_timeout_ms: start_to_close.map_or(0, millis),
            schedule_to_close_timeout_ms: self.schedule_to_close.map(millis),
            schedule_to_start_timeout_ms: None,
            heartbeat_timeout_ms: None,
            retry_policy: Some(self.retry.to_wit()),
        }
    }
}

impl<S> WfContext<S> {
    /// Schedules a typed local activity: `schedule-local-activity`, answered by the
    /// host's `resolve-local-activity`.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # use weft_sdk::{ActivityType, LocalActivityOptions, WfContext, WfResult};
    /// # struct ToUpper;
    /// # impl ActivityType for ToUpper {
    /// #     const NAME: &'static str = "to_upper";
    /// #     type Input = String;
    /// #     type Output = String;
    /// # }
    /// async fn shout(ctx: &WfContext, text: String) -> WfResult<String> {
    ///     let options = LocalActivityOptions::start_to_close(Duration::from_secs(5));
    ///     Ok(ctx.local_activity(ToUpper, text, &options).await?)
    /// }
    /// ```
    #[track_caller]
    pub fn local_activity<A: ActivityType>(
        &self,
        _activity: A,
        input: A::Input,
        options: &LocalActivityOptions,
    ) -> ActivityFuture<A::Output> {
        self.schedule(
            OpKind::LocalActivity,
            A::NAME,
            &input,
            (options.to_wit(), None),
            options.cancellation(),
            Location::caller(),
        )
    }

    /// Schedules a local activity by name, for activities without an [`ActivityType`].
    #[track_caller]
    pub fn local_activity_by_name<O: DeserializeOwned>(
        &self,
        activity_type: &str,
        input: &impl Serialize,
        options: &LocalActivityOptions,
    ) -> ActivityFuture<O> {
        self.schedule(
            OpKind::LocalActivity,
            activity_type,
            input,
            (options.to_wit(), None),
            options.cancellation(),
            Location::caller(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_fields_of_a_local_activity_are_set() {
        let wit = LocalActivityOptions::with_schedule_to_close(Duration::from_secs(30)).to_wit();
        assert_eq!(wit.start_to_close_timeout_ms, 30_000);
        assert_eq!(wit.schedule_to_close_timeout_ms, Some(30_000));
        assert_eq!(wit.task_queue, None);
        assert_eq!(wit.heartbeat_timeout_ms, None);
        assert!(wit.retry_policy.is_some());
    }
}
