//! How an activity is run: timeouts, retries, task queue, cancellation.

use std::time::Duration;

use crate::cancellation::ActivityCancellationType;
use crate::wit;

/// How the host runs an activity. A close timeout is required, so it is the
/// constructor's argument (start-to-close, or schedule-to-close alone); everything else
/// is optional.
///
/// ```
/// use std::time::Duration;
/// use weft_sdk::{ActivityCancellationType, ActivityOptions, RetryPolicy};
///
/// let options = ActivityOptions::start_to_close(Duration::from_secs(10))
///     .schedule_to_close(Duration::from_secs(60))
///     .retry(RetryPolicy { maximum_attempts: 3, ..RetryPolicy::default() })
///     .cancellation_type(ActivityCancellationType::WaitCancellationCompleted);
/// assert_eq!(options.retry_policy().maximum_attempts, 3);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityOptions {
    /// `None`: as long as the schedule-to-close timeout.
    start_to_close: Option<Duration>,
    schedule_to_close: Option<Duration>,
    schedule_to_start: Option<Duration>,
    heartbeat: Option<Duration>,
    task_queue: Option<String>,
    retry: RetryPolicy,
    cancellation: ActivityCancellationType,
    flow: crate::flow::Flow,
}

impl ActivityOptions {
    /// Options whose every attempt must finish within `timeout` of starting.
    pub fn start_to_close(timeout: Duration) -> Self {
        Self::new(Some(timeout), None)
    }

    /// Options that bound only the whole activity, all attempts and the waits between
    /// them included, by `timeout`; an attempt may then run as long (its start-to-close
    /// timeout is `timeout` too, as Temporal's server fills it in).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use weft_sdk::ActivityOptions;
    /// let options = ActivityOptions::with_schedule_to_close(Duration::from_secs(60));
    /// # let _ = options;
    /// ```
    pub fn with_schedule_to_close(timeout: Duration) -> Self {
        Self::new(None, Some(timeout))
    }

    fn new(start_to_close: Option<Duration>, schedule_to_close: Option<Duration>) -> Self {
        Self {
            start_to_close,
            schedule_to_close,
            schedule_to_start: None,
            heartbeat: None,
            task_queue: None,
            retry: RetryPolicy::default(),
            cancellation: ActivityCancellationType::default(),
            flow: crate::flow::Flow::default(),
        }
    }

    /// Bounds the whole activity, all attempts and the waits between them included.
    pub fn schedule_to_close(mut self, timeout: Duration) -> Self {
        self.schedule_to_close = Some(timeout);
        self
    }

    /// Bounds how long an attempt may wait for a worker before it starts.
    pub fn schedule_to_start(mut self, timeout: Duration) -> Self {
        self.schedule_to_start = Some(timeout);
        self
    }

    /// Fails an attempt that does not heartbeat within `timeout`.
    pub fn heartbeat(mut self, timeout: Duration) -> Self {
        self.heartbeat = Some(timeout);
        self
    }

    /// Runs the activity on this task queue instead of the workflow's.
    pub fn task_queue(mut self, task_queue: impl Into<String>) -> Self {
        self.task_queue = Some(task_queue.into());
        self
    }

    /// Replaces the default retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// What cancelling the activity does (see
    /// [`ActivityFuture::cancel`](crate::ActivityFuture::cancel)); `TryCancel` by
    /// default. Kept by the SDK: the host never sees it.
    pub fn cancellation_type(mut self, cancellation: ActivityCancellationType) -> Self {
        self.cancellation = cancellation;
        self
    }

    /// Under contention, this activity's attempts take slots at this priority, 1
    /// (highest) to 5 (lowest), instead of its run's (`weft start --priority`).
    ///
    /// # Panics
    /// If `priority` is not 1 to 5.
    #[track_caller]
    pub fn priority(mut self, priority: u8) -> Self {
        self.flow.priority(priority);
        self
    }

    /// Under contention, within one priority, this activity's attempts share slots as
    /// `key`'s with weight `weight` (1 to 1000), instead of as its run's fairness key
    /// (`weft start --fairness`): keys share capacity in proportion to their weights.
    ///
    /// # Panics
    /// If `key` is blank or `weight` is not 1 to 1000.
    #[track_caller]
    pub fn fairness(mut self, key: impl Into<String>, weight: u32) -> Self {
        self.flow.fairness(key.into(), weight);
        self
    }

    /// The key whose limits this activity counts against: at most N attempts of a key
    /// run at once over all runs (`weft server --concurrency-limit KEY=N`), and at most
    /// N start per period (`--rate key:KEY=N/s`). A key the host has no limit for
    /// limits nothing.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use weft_sdk::ActivityOptions;
    /// let options = ActivityOptions::start_to_close(Duration::from_secs(10))
    ///     .concurrency_key("stripe")
    ///     .priority(1);
    /// # let _ = options;
    /// ```
    ///
    /// # Panics
    /// If `key` is blank.
    #[track_caller]
    pub fn concurrency_key(mut self, key: impl Into<String>) -> Self {
        self.flow.concurrency_key(key.into());
        self
    }

    /// What the host is told of the flow options, when any is set.
    pub(crate) fn flow_to_wit(&self) -> Option<wit::FlowOptions> {
        self.flow.to_wit()
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The cancellation type in force.
    pub fn cancellation(&self) -> ActivityCancellationType {
        self.cancellation
    }

    /// The options as they go into a `schedule-activity` command. The retry policy is
    /// always spelled out, so the history records exactly what applied.
    pub(crate) fn to_wit(&self) -> wit::ActivityOptions {
        let start_to_close = self.start_to_close.or(self.schedule_to_close);
        wit::ActivityOptions {
            task_queue: self.task_queue.clone(),
            start_to_close_timeout_ms: start_to_close.map_or(0, millis),
            schedule_to_close_timeout_ms: self.schedule_to_close.map(millis),
            schedule_to_start_timeout_ms: self.schedule_to_start.map(millis),
            heartbeat_timeout_ms: self.heartbeat.map(millis),
            retry_policy: Some(self.retry.to_wit()),
        }
    }
}

/// When and how often a failed activity attempt is retried.
///
/// The delay before retry `n` (counting from 1) is
/// `min(initial_interval * backoff_coefficient^(n-1), maximum_interval)`.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Delay before the first retry. Default 1 s.
    pub initial_interval: Duration,
    /// Factor by which the delay grows after each retry. Default 2.0.
    pub backoff_coefficient: f64,
    /// Upper bound of the delay. Default 100 s.
    pub maximum_interval: Duration,
    /// Attempts in total, the first one included; 0 means unlimited (the default).
    pub maximum_attempts: u32,
    /// Error types (`failure.error-type`) that are never retried.
    pub non_retryable_error_types: Vec<String>,
}

impl RetryPolicy {
    /// A policy that makes exactly one attempt.
    pub fn no_retries() -> Self {
        Self {
            maximum_attempts: 1,
            ..Self::default()
        }
    }

    pub(crate) fn to_wit(&self) -> wit::RetryPolicy {
        wit::RetryPolicy {
            initial_interval_ms: millis(self.initial_interval),
            backoff_coefficient: self.backoff_coefficient,
            maximum_interval_ms: millis(self.maximum_interval),
            maximum_attempts: self.maximum_attempts,
            non_retryable_error_types: self.non_retryable_error_types.clone(),
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            initial_interval: Duration::from_secs(1),
            backoff_coefficient: 2.0,
            maximum_interval: Duration::from_secs(100),
            maximum_attempts: 0,
            non_retryable_error_types: Vec::new(),
        }
    }
}

/// Whole milliseconds, rounded up so that a short non-zero duration never becomes zero.
pub(crate) fn millis(duration: Duration) -> u64 {
    let ms = duration.as_nanos().div_ceil(1_000_000);
    u64::try_from(ms).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_rounds_up() {
        assert_eq!(millis(Duration::ZERO), 0);
        assert_eq!(millis(Duration::from_micros(1)), 1);
        assert_eq!(millis(Duration::from_millis(1500)), 1500);
        assert_eq!(millis(Duration::MAX), u64::MAX);
    }

    #[test]
    fn default_policy_is_spelled_out() {
        let wit = ActivityOptions::start_to_close(Duration::from_secs(10)).to_wit();
        assert_eq!(wit.start_to_close_timeout_ms, 10_000);
        let policy = wit.retry_policy.unwrap();
        assert_eq!(policy.initial_interval_ms, 1_000);
        assert_eq!(policy.backoff_coefficient, 2.0);
        assert_eq!(policy.maximum_interval_ms, 100_000);
        assert_eq!(policy.maximum_attempts, 0);
        assert_eq!(wit.schedule_to_close_timeout_ms, None);
    }

    #[test]
    fn schedule_to_close_alone_bounds_each_attempt_too() {
        let wit = ActivityOptions::with_schedule_to_close(Duration::from_secs(60)).to_wit();
        assert_eq!(wit.start_to_close_timeout_ms, 60_000);
        assert_eq!(wit.schedule_to_close_timeout_ms, Some(60_000));
    }
}
