//! How an activity is run: timeouts, retries, task queue.

use std::time::Duration;

use crate::wit;

/// How the host runs an activity. The start-to-close timeout is required, so it is the
/// constructor's argument; everything else is optional.
///
/// ```
/// use std::time::Duration;
/// use weft_sdk::{ActivityOptions, RetryPolicy};
///
/// let options = ActivityOptions::start_to_close(Duration::from_secs(10))
///     .schedule_to_close(Duration::from_secs(60))
///     .retry(RetryPolicy { maximum_attempts: 3, ..RetryPolicy::default() });
/// assert_eq!(options.retry_policy().maximum_attempts, 3);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityOptions {
    start_to_close: Duration,
    schedule_to_close: Option<Duration>,
    schedule_to_start: Option<Duration>,
    heartbeat: Option<Duration>,
    task_queue: Option<String>,
    retry: RetryPolicy,
}

impl ActivityOptions {
    /// Options whose every attempt must finish within `timeout` of starting.
    pub fn start_to_close(timeout: Duration) -> Self {
        Self {
            start_to_close: timeout,
            schedule_to_close: None,
            schedule_to_start: None,
            heartbeat: None,
            task_queue: None,
            retry: RetryPolicy::default(),
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

    /// The retry policy in force.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The options as they go into a `schedule-activity` command. The retry policy is
    /// always spelled out, so the history records exactly what applied.
    pub(crate) fn to_wit(&self) -> wit::ActivityOptions {
        wit::ActivityOptions {
            task_queue: self.task_queue.clone(),
            start_to_close_timeout_ms: millis(self.start_to_close),
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
    }
}
