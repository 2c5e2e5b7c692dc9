//! A local activity, from the `schedule-local-activity` command that creates it to the
//! `resolve-local-activity` job that ends it.
//!
//! | state \ event | `local-activity-attempt-failed` | `resolve-local-activity` |
//! |---------------|---------------------------------|--------------------------|
//! | running       | backing off                     | resolved                 |
//! | backing off   | backing off (next attempt)      | resolved                 |
//!
//! A local activity runs inside its workflow task: while *running* it lives and dies
//! with that task, so nothing waits for it across a restart. Only an attempt whose
//! backoff is too long to wait in the task is recorded (`local-activity-attempt-failed`);
//! from then on it is *backing off*, pending like an activity until its retry is due.
//! Heartbeats and cancellation requests name activities, not local ones. *Resolved* is
//! final: the run forgets the machine.

use crate::history::{Failure, PendingActivity, ScheduleActivity};

/// Where a local activity stands between its schedule and its resolution.
#[derive(Debug, Clone, PartialEq)]
pub enum LocalActivityState {
    /// Running in its workflow task: not pending.
    Running,
    /// Attempt `failed_attempt` failed with `failure`; the next one is due at
    /// `retry_at_ms`, after a backoff recorded in the history. Its place among the pending
    /// activities is `order` (the index of its first recorded failure).
    BackingOff {
        failed_attempt: u32,
        failure: Failure,
        retry_at_ms: u64,
        order: usize,
    },
}

/// One local activity the run scheduled and has not seen resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalActivityMachine {
    pub(super) schedule: ScheduleActivity,
    pub(super) scheduled_ms: u64,
    pub(super) state: LocalActivityState,
}

impl LocalActivityMachine {
    /// `schedule-local-activity`, recorded by a task that ran at `now_ms`.
    pub fn scheduled(schedule: &ScheduleActivity, now_ms: u64) -> LocalActivityMachine {
        LocalActivityMachine {
            schedule: schedule.clone(),
            scheduled_ms: now_ms,
            state: LocalActivityState::Running,
        }
    }

    pub fn seq(&self) -> u32 {
        self.schedule.seq
    }

    pub fn state(&self) -> &LocalActivityState {
        &self.state
    }

    pub fn backing_off(&self) -> bool {
        matches!(self.state, LocalActivityState::BackingOff { .. })
    }

    /// `local-activity-attempt-failed`, the `order`-th event: *backing off*, keeping its
    /// place among the pending activities once it has one.
    pub fn attempt_failed(
        &mut self,
        attempt: u32,
        failure: &Failure,
        retry_at_ms: u64,
        order: usize,
    ) {
        let order = match self.state {
            LocalActivityState::BackingOff { order, .. } => order,
            LocalActivityState::Running => order,
        };
        self.state = LocalActivityState::BackingOff {
            failed_attempt: attempt,
            failure: failure.clone(),
            retry_at_ms,
            order,
        };
    }

    /// What a restart re-arms and describe shows, with its place among the pending
    /// activities: only a local activity backing off is pending.
    pub fn pending(&self) -> Option<(usize, PendingActivity)> {
        let LocalActivityState::BackingOff {
            failed_attempt,
            failure,
            retry_at_ms,
            order,
        } = &self.state
        else {
            return None;
        };
        let mut pending = PendingActivity::new(self.schedule.clone(), self.scheduled_ms);
        pending.local = true;
        pending.failed(*failed_attempt, failure, *retry_at_ms);
        Some((*order, pending))
    }
}
