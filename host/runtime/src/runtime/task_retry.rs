//! Retrying a failed workflow task.
//!
//! A task that fails (a panic, a trap, a deadline overrun, an instance that cannot be
//! rebuilt, a command the host does not carry out) does not fail the run: like
//! Temporal, the host records the failure once and retries the task with backoff —
//! 1 s, doubling, at most 10 minutes — until it succeeds, for instance once the
//! load that made it overrun its deadline is gone. A failed commit is retried the same
//! way. A workflow that prefers its run to fail on a panic says so with
//! `#[workflow(fail_on_panic)]`.

/// First retry delay, in milliseconds.
const INITIAL_MS: u64 = 1_000;
/// Longest retry delay, in milliseconds.
const MAXIMUM_MS: u64 = 600_000;

/// The retry of a failing task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Retry {
    /// Failed attempts so far.
    pub attempt: u32,
    /// When the next attempt is due.
    pub at_ms: u64,
}

/// Delay after failed attempt number `attempt` (1-based).
pub(crate) fn backoff(attempt: u32) -> u64 {
    let doublings = attempt.saturating_sub(1).min(20);
    INITIAL_MS.saturating_mul(1 << doublings).min(MAXIMUM_MS)
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn doubles_then_caps() {
        assert_eq!(backoff(1), 1_000);
        assert_eq!(backoff(2), 2_000);
        assert_eq!(backoff(10), 512_000);
        assert_eq!(backoff(11), 600_000);
        assert_eq!(backoff(u32::MAX), 600_000);
    }
}
