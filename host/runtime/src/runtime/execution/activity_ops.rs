//! An operator's acts on one activity of the run (`weft activity pause | unpause |
//! reset | update-options`), each recorded as an event its machine folds (see
//! `history::machines::activity`), so a restarted host applies them again.
//!
//! Where the activity stands decides how an act is carried out:
//!
//! | act \ phase    | waiting out a backoff           | an attempt in flight               | parked (paused)       |
//! |----------------|---------------------------------|------------------------------------|-----------------------|
//! | pause          | recorded; its task stops        | recorded; the attempt finishes, a  | refused (paused)      |
//! |                |                                 | failure's retry waits (task stops) |                       |
//! | unpause        | refused (not paused)            | recorded (its retry goes on)       | recorded; dispatched  |
//! | reset, options | recorded; its task restarts     | waits for the attempt to end, then | recorded; stays parked|
//! |                | from the new state              | as in a backoff                    |                       |
//!
//! An activity whose result came back (recorded or not) has ended: every act is
//! refused. A stopped task is started again from the machine's state, which the act's
//! event has just changed: attempt 1 after a reset, the new options after an update.

use super::*;
use crate::history::machines::{ActivityMachine, ActivityState, PauseInfo};
use crate::runtime::steer::{ActivityAction, ActivityRef, SteerError};

/// Who asked and why.
type Note = (String, String);

/// How an act went.
pub(super) enum Acted {
    /// Recorded, on the activity of this seq.
    Done(u32),
    /// Not yet: an attempt of the activity is in flight.
    Waits(u32, ActivityAction, Note),
}

/// Where an activity stands, as far as an act is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Backoff,
    Attempt,
    Parked,
}

impl Execution {
    /// Carry out `act` on the pending activity `which`.
    pub(super) async fn steer_activity(
        &mut self,
        which: &ActivityRef,
        act: ActivityAction,
        (reason, identity): Note,
    ) -> Result<Acted, SteerError> {
        let machine = self.pending_activity(which)?;
        let seq = machine.seq();
        let phase = self.phase(&machine);
        let refuse = |what: &str| {
            Err(SteerError::Activity(format!(
                "activity {seq} (`{}`) of `{}` {what}",
                machine.activity_type(),
                self.record.workflow_id
            )))
        };
        let time_ms = self.host.clock.now_ms();
        let event = match &act {
            ActivityAction::Pause if machine.paused().is_some() => {
                return refuse(&paused_by(machine.paused()))
            }
            ActivityAction::Unpause if machine.paused().is_none() => {
                return refuse("is not paused")
            }
            ActivityAction::Reset | ActivityAction::UpdateOptions(_) if phase == Phase::Attempt => {
                return Ok(Acted::Waits(seq, act, (reason, identity)));
            }
            ActivityAction::Pause => Event::ActivityPaused {
                seq,
                reason,
                identity,
                time_ms,
            },
            ActivityAction::Unpause => Event::ActivityUnpaused {
                seq,
                reason,
                identity,
                time_ms,
            },
            ActivityAction::Reset => Event::ActivityReset {
                seq,
                reason,
                identity,
                time_ms,
            },
            ActivityAction::UpdateOptions(update) => Event::ActivityOptionsUpdated {
                seq,
                options: update
                    .applied_to(machine.options())
                    .map_err(MessageError::Invalid)?,
                reason,
                identity,
                time_ms,
            },
        };
        self.record_steering(event, Vec::new()).await?;
        tracing::info!(run = %self.record.run_id, seq, ?phase, "activity steered");
        let restart = match act {
            ActivityAction::Pause => {
                // A task in a backoff stops now; one in an attempt when it ends.
                if phase == Phase::Backoff {
                    self.stop_activity_task(seq);
                }
                false
            }
            ActivityAction::Unpause => phase == Phase::Parked,
            ActivityAction::Reset | ActivityAction::UpdateOptions(_) => {
                self.stop_activity_task(seq);
                machine.paused().is_none()
            }
        };
        if restart {
            let pending = self.pending_activity(&ActivityRef::Seq(seq))?.pending();
            self.dispatch_activity(pending);
        }
        Ok(Acted::Done(seq))
    }

    /// An attempt of activity `seq` ended (it failed and a retry follows, or the
    /// activity resolved): a paused one's task stops, and the acts that waited for it
    /// are taken up again.
    pub(super) fn attempt_ended(&mut self, seq: u32) {
        let paused =
            (self.state.activities().iter()).any(|a| a.seq() == seq && a.paused().is_some());
        if paused && self.activities.contains_key(&seq) {
            // The failure it just reported is recorded as usual; the retry waits.
            self.stop_activity_task(seq);
        }
        let waits = std::mem::take(&mut self.steering_waits);
        for (waited, request, reply) in waits {
            if waited == seq {
                self.steering.push((request, reply));
            } else {
                self.steering_waits.push((waited, request, reply));
            }
        }
    }

    /// Stop the task running activity `seq` (between attempts).
    fn stop_activity_task(&mut self, seq: u32) {
        if let Some(running) = self.activities.remove(&seq) {
            running.abort.abort();
        }
    }

    /// The activity `which` refers to, if it is pending and its result has not come
    /// back.
    fn pending_activity(&self, which: &ActivityRef) -> Result<ActivityMachine, SteerError> {
        let pending = self.state.activities();
        let found: Vec<&ActivityMachine> = match which {
            ActivityRef::Seq(seq) => pending.iter().filter(|a| a.seq() == *seq).collect(),
            ActivityRef::Type(name) => pending
                .iter()
                .filter(|a| a.activity_type() == name)
                .collect(),
        };
        let ended = |seq: u32| {
            (self.jobs.iter().chain(&self.carried))
                .any(|j| matches!(j, Job::ResolveActivity(r) if r.seq == seq))
        };
        match found.as_slice() {
            [one] if !ended(one.seq()) => Ok((*one).clone()),
            [one] => Err(SteerError::Activity(format!(
                "activity {} (`{}`) of `{}` has ended; its result waits for the next task",
                one.seq(),
                one.activity_type(),
                self.record.workflow_id
            ))),
            [] => Err(SteerError::NoActivity {
                workflow_id: self.record.workflow_id.clone(),
                activity: which.to_string(),
                pending: hint(pending),
            }),
            several => Err(SteerError::Activity(format!(
                "{} pending activities of `{}` are {which}: name one by its seq ({})",
                several.len(),
                self.record.workflow_id,
                several
                    .iter()
                    .map(|a| a.seq().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    fn phase(&self, machine: &ActivityMachine) -> Phase {
        if !self.activities.contains_key(&machine.seq()) {
            return Phase::Parked;
        }
        match machine.state() {
            ActivityState::Retrying { retry_at_ms, .. }
                if self.host.clock.now_ms() < *retry_at_ms =>
            {
                Phase::Backoff
            }
            _ => Phase::Attempt,
        }
    }
}

/// "is already paused (by …: …)".
fn paused_by(info: Option<&PauseInfo>) -> String {
    match info {
        Some(p) => format!("is already paused (by {}: {})", p.identity, p.reason),
        None => "is already paused".into(),
    }
}

/// The pending activities, for a message that found none by the name given.
fn hint(pending: &[ActivityMachine]) -> String {
    if pending.is_empty() {
        return " (it has none)".into();
    }
    let listed: Vec<String> = pending
        .iter()
        .map(|a| format!("{} `{}`", a.seq(), a.activity_type()))
        .collect();
    format!("; pending: {}", listed.join(", "))
}
