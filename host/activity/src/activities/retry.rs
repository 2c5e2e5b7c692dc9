//! Retry policy arithmetic.

use std::time::Duration;

use crate::history::vocab::{Failure, RetryPolicy};

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RetryDecision {
    /// Try again after this delay.
    RetryAfter(Duration),
    /// The failure is final.
    GiveUp,
}

/// The policy used when a workflow gives none: 1 s, doubling, at most 100 s, forever.
pub fn default_policy() -> RetryPolicy {
    RetryPolicy {
        initial_interval_ms: 1_000,
        backoff_coefficient: 2.0,
        maximum_interval_ms: 100_000,
        maximum_attempts: 0,
        non_retryable_error_types: Vec::new(),
    }
}

/// Decide whether attempt number `attempt` (1-based), which failed with `failure`, is
/// followed by another.
pub fn next_retry(policy: Option<&RetryPolicy>, attempt: u32, failure: &Failure) -> RetryDecision {
    let default = default_policy();
    let p = policy.unwrap_or(&default);
    if failure.non_retryable
        || p.non_retryable_error_types.contains(&failure.error_type)
        || (p.maximum_attempts != 0 && attempt >= p.maximum_attempts)
    {
        return RetryDecision::GiveUp;
    }
    let initial = p.initial_interval_ms.max(1) as f64;
    let coefficient = if p.backoff_coefficient < 1.0 {
        1.0
    } else {
        p.backoff_coefficient
    };
    let max = if p.maximum_interval_ms == 0 {
        initial * 100.0
    } else {
        p.maximum_interval_ms as f64
    };
    let exponent = attempt.saturating_sub(1).min(i32::MAX as u32) as i32;
    // f64 → u64 saturates (an infinite delay is u64::MAX ms).
    let delay = (initial * coefficient.powi(exponent)).min(max);
    RetryDecision::RetryAfter(Duration::from_millis(delay as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(t: &str) -> Failure {
        Failure::new("boom", t)
    }

    #[test]
    fn backoff_grows_and_caps() {
        let p = RetryPolicy {
            initial_interval_ms: 100,
            backoff_coefficient: 2.0,
            maximum_interval_ms: 500,
            maximum_attempts: 0,
            non_retryable_error_types: vec![],
        };
        let delays: Vec<_> = (1..=5)
            .map(|a| next_retry(Some(&p), a, &failure("x")))
            .collect();
        let ms = |d: u64| RetryDecision::RetryAfter(Duration::from_millis(d));
        assert_eq!(delays, vec![ms(100), ms(200), ms(400), ms(500), ms(500)]);
    }

    #[test]
    fn huge_intervals_saturate() {
        let p = RetryPolicy {
            initial_interval_ms: u64::MAX,
            backoff_coefficient: 1e300,
            maximum_interval_ms: u64::MAX,
            ..default_policy()
        };
        for attempt in [1, 2, 1000, u32::MAX - 1] {
            assert!(matches!(
                next_retry(Some(&p), attempt, &failure("x")),
                RetryDecision::RetryAfter(d) if d >= Duration::from_millis(u64::MAX / 2)
            ));
        }
    }

    #[test]
    fn gives_up_on_limits_and_types() {
        let p = RetryPolicy {
            maximum_attempts: 3,
            non_retryable_error_types: vec!["Fatal".into()],
            ..default_policy()
        };
        assert_eq!(
            next_retry(Some(&p), 3, &failure("x")),
            RetryDecision::GiveUp
        );
        assert!(matches!(
            next_retry(Some(&p), 2, &failure("x")),
            RetryDecision::RetryAfter(_)
        ));
        assert_eq!(
            next_retry(Some(&p), 1, &failure("Fatal")),
            RetryDecision::GiveUp
        );
        assert_eq!(
            next_retry(None, 1, &failure("x").non_retryable()),
            RetryDecision::GiveUp
        );
    }
}
