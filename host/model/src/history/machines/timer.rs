//! A durable timer, from the `start-timer` command that creates it to the `fire-timer`
//! job or the `cancel-timer` command that ends it.
//!
//! | state \ event | `fire-timer` | `cancel-timer` |
//! |---------------|--------------|----------------|
//! | started       | fired        | cancelled      |
//!
//! `start-timer` creates the machine in *started*, due at the time of the task that
//! started it plus its duration. *Fired* and *cancelled* are final: the run forgets the
//! machine. A `fire-timer` recorded in a task that then failed still ends the timer:
//! the job is carried into the next task, not fired again.

use crate::history::PendingTimer;

/// One timer started and neither fired nor cancelled: its only state is *started*.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerMachine {
    pub(super) seq: u32,
    pub(super) fire_at_ms: u64,
}

impl TimerMachine {
    /// `start-timer` for `duration_ms`, recorded by a task that ran at `now_ms`.
    pub fn started(seq: u32, duration_ms: u64, now_ms: u64) -> TimerMachine {
        TimerMachine {
            seq,
            fire_at_ms: now_ms.saturating_add(duration_ms),
        }
    }

    pub fn seq(&self) -> u32 {
        self.seq
    }

    pub fn pending(&self) -> PendingTimer {
        PendingTimer {
            seq: self.seq,
            fire_at_ms: self.fire_at_ms,
        }
    }
}
