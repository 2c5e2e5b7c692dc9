//! An activity, from the `schedule-activity` command that creates it to the
//! `resolve-activity` job that ends it.
//!
//! | state \ event | `activity-attempt-failed` | `activity-heartbeat` | `request-cancel-activity` | `resolve-activity` |
//! |---------------|---------------------------|----------------------|---------------------------|--------------------|
//! | scheduled     | retrying                  | scheduled            | scheduled, marked         | resolved           |
//! | retrying      | retrying (next attempt)   | retrying             | retrying, marked          | resolved           |
//!
//! `schedule-activity` creates the machine in *scheduled*: attempt 1 is due when the
//! task that scheduled it ran. Each `activity-attempt-failed` moves the next attempt on
//! and keeps its failure and retry time; a heartbeat keeps the last details whatever the
//! state. Cancellation is a *mark* any live state carries, not a state of its own: the
//! activity is told and goes on (its attempts may still fail and retry) until its
//! resolution comes back; a host that restarts resolves a marked activity as cancelled
//! without running it again. *Resolved* is final: the run forgets the machine.
//!
//! An operator's acts (recorded between attempts, never during one):
//!
//! | event                      | the machine                                              |
//! |----------------------------|----------------------------------------------------------|
//! | `activity-paused`          | state stays, marked paused: no new attempt starts        |
//! | `activity-unpaused`        | the mark goes: the next attempt starts when it is due    |
//! | `activity-reset`           | *scheduled* again (attempt 1, due at once), no heartbeat |
//! | `activity-options-updated` | state stays; its options are the new ones                |

use super::PauseInfo;
use crate::history::vocab::ActivityOptions;
use crate::history::{Failure, Heartbeat, PendingActivity, ScheduleActivity};

/// Where an activity stands between its schedule and its resolution.
#[derive(Debug, Clone, PartialEq)]
pub enum ActivityState {
    /// No attempt has failed: attempt 1 is due.
    Scheduled,
    /// Attempt `failed_attempt` failed with `failure`; the next one is due at
    /// `retry_at_ms`.
    Retrying {
        failed_attempt: u32,
        failure: Failure,
        retry_at_ms: u64,
    },
}

/// One activity the run scheduled and has not seen resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityMachine {
    pub(super) schedule: ScheduleActivity,
    /// When the task that scheduled it ran.
    pub(super) scheduled_ms: u64,
    pub(super) state: ActivityState,
    pub(super) cancel_requested: bool,
    pub(super) last_heartbeat: Option<Heartbeat>,
    /// Paused by an operator: who, why, when.
    pub(super) paused: Option<PauseInfo>,
    /// What it set for itself (`activity-flow`).
    pub(super) flow: crate::Flow,
    /// Its place among the run's pending activities (the index of the event that made it
    /// pending), so local and remote ones list in the order they became pending.
    pub(super) order: usize,
}

impl ActivityMachine {
    /// `schedule-activity`, recorded by a task that ran at `now_ms`.
    pub fn scheduled(schedule: &ScheduleActivity, now_ms: u64, order: usize) -> ActivityMachine {
        ActivityMachine {
            schedule: schedule.clone(),
            scheduled_ms: now_ms,
            state: ActivityState::Scheduled,
            cancel_requested: false,
            last_heartbeat: None,
            paused: None,
            flow: crate::Flow::default(),
            order,
        }
    }

    pub fn seq(&self) -> u32 {
        self.schedule.seq
    }

    pub fn state(&self) -> &ActivityState {
        &self.state
    }

    /// `activity-attempt-failed`: any live state moves to *retrying*.
    pub fn attempt_failed(&mut self, attempt: u32, failure: &Failure, retry_at_ms: u64) {
        self.state = ActivityState::Retrying {
            failed_attempt: attempt,
            failure: failure.clone(),
            retry_at_ms,
        };
    }

    /// `activity-heartbeat`: the state stays, the details are kept.
    pub fn heartbeat(&mut self, heartbeat: Heartbeat) {
        self.last_heartbeat = Some(heartbeat);
    }

    /// `request-cancel-activity`: the state stays, marked.
    pub fn cancel_requested(&mut self) {
        self.cancel_requested = true;
    }

    /// Paused by an operator, if it is.
    pub fn paused(&self) -> Option<&PauseInfo> {
        self.paused.as_ref()
    }

    /// Its type, as scheduled.
    pub fn activity_type(&self) -> &str {
        &self.schedule.activity_type
    }

    /// Its options in force.
    pub fn options(&self) -> &ActivityOptions {
        &self.schedule.options
    }

    /// `activity-paused`.
    pub fn pause(&mut self, info: PauseInfo) {
        self.paused.get_or_insert(info);
    }

    /// `activity-unpaused`.
    pub fn unpause(&mut self) {
        self.paused = None;
    }

    /// `activity-reset`: attempt 1 is due at once (its schedule-to-close timeout
    /// still counts from the schedule), with no heartbeat details.
    pub fn reset(&mut self) {
        self.state = ActivityState::Scheduled;
        self.last_heartbeat = None;
    }

    /// `activity-options-updated`.
    pub fn set_options(&mut self, options: &ActivityOptions) {
        self.schedule.options = options.clone();
    }

    /// What a restart re-arms and describe shows.
    pub fn pending(&self) -> PendingActivity {
        let mut pending = PendingActivity::new(self.schedule.clone(), self.scheduled_ms);
        if let ActivityState::Retrying {
            failed_attempt,
            failure,
            retry_at_ms,
        } = &self.state
        {
            pending.failed(*failed_attempt, failure, *retry_at_ms);
        }
        pending.last_heartbeat = self.last_heartbeat.clone();
        pending.cancel_requested = self.cancel_requested;
        pending.paused = self.paused.is_some();
        pending.flow = self.flow.clone();
        pending
    }
}
