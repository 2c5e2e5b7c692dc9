//! Stopping a run from outside: cancellation (asked of the workflow, which decides)
//! and termination (carried out by the host, no workflow code runs).
//!
//! | request   | recorded                                   | then                          |
//! |-----------|--------------------------------------------|-------------------------------|
//! | cancel    | `cancel-requested` (reason), then the job  | the workflow cancels what it  |
//! |           | `cancel-requested` in the next task        | waits for, may clean up, and  |
//! |           |                                            | confirms or goes on           |
//! | terminate | `terminated` (reason), the run record      | activities told to stop, the  |
//! |           |                                            | run closed; queued work refused|

use super::*;
use crate::runtime::MessageError;

impl Execution {
    /// Cancellation of the run was asked for: record it and deliver it with the next
    /// task. Asking again changes nothing.
    pub(super) fn cancel_requested(&mut self, reason: String, ack: SignalAck) {
        if self.cancel_requested {
            // Nothing to record: an outbox row that asked for it, and the row of its
            // request id, go alone.
            let writes = ack.writes();
            if !writes.is_empty() {
                drop(self.host.storage.commit(writes));
            }
            let _ = ack.send(Ok(()));
            return;
        }
        self.cancel_requested = true;
        self.record_between(Event::CancelRequested { reason });
        self.jobs.push(Job::CancelRequested);
        // Acknowledged, like a signal, once the task that delivers it is durable.
        self.signal_acks.push(ack);
    }

    /// Carry out the termination asked for; returns true when the run closed.
    pub(super) async fn terminate_now(&mut self) -> bool {
        let Some((reason, ack)) = self.terminate.take() else {
            return false;
        };
        let outcome = Outcome::Terminated(reason.clone());
        self.close_now(Event::Terminated { reason }, outcome, Some(ack))
            .await
    }

    /// The run's deadline has passed.
    pub(super) fn past_deadline(&self) -> bool {
        self.deadline
            .is_some_and(|(at, _)| self.host.clock.now_ms() >= at)
    }

    /// Close the run as timed out; returns true when it closed.
    pub(super) async fn time_out(&mut self) -> bool {
        let Some((_, which)) = self.deadline else {
            return false;
        };
        let reason = format!("the run reached its {which}");
        tracing::info!(run = %self.record.run_id, "{reason}");
        let outcome = Outcome::TimedOut(reason.clone());
        // A run of a cron schedule that reached its own timeout is followed by the next
        // run of its chain; the execution's timeout ends the chain.
        let next = match which {
            "run timeout" => self.cron_successor_at_close(&[]),
            _ => None,
        };
        let Some(next) = next else {
            return (self.close_now(Event::TimedOut { reason }, outcome, None)).await;
        };
        let writes = next.writes(&self.host.codec);
        let event = Event::TimedOut { reason };
        (self.close_now_with(event, outcome, None, writes, |this| this.hand_over(next))).await
    }

    /// Record `event` closing the run with `outcome`, no workflow code run; returns true
    /// when it closed.
    async fn close_now(&mut self, event: Event, outcome: Outcome, ack: Option<SignalAck>) -> bool {
        let time_ms = self.host.clock.now_ms();
        let timing_out = ack.is_none();
        let closed = self
            .close_now_with(event, outcome, ack, Vec::new(), |_| {})
            .await;
        if !closed && timing_out {
            // Timing out: try again after a while.
            if let Some((at, _)) = &mut self.deadline {
                *at = time_ms.saturating_add(1_000);
            }
        }
        closed
    }

    /// [`Self::close_now`] with `writes` in the same commit, and `closing` called once
    /// the close is durable, before the run lets go of its workflow id.
    pub(super) async fn close_now_with(
        &mut self,
        event: Event,
        outcome: Outcome,
        ack: Option<SignalAck>,
        writes: Vec<Write>,
        closing: impl FnOnce(&mut Self),
    ) -> bool {
        self.mark_arrival();
        let time_ms = self.host.clock.now_ms();
        let origin = ack.as_ref().map(SignalAck::writes).unwrap_or_default();
        let mut recording = super::plan::close(&self.view(), event, outcome, time_ms, origin);
        // After the close's own writes: a new run's record points the workflow id at it.
        recording.writes.extend(writes);
        if self
            .commit_with(recording.events, recording.writes)
            .await
            .is_err()
        {
            if let Some(ack) = ack {
                let _ = ack.send(Err(MessageError::Unavailable(
                    "the termination could not be recorded; try again".into(),
                )));
            }
            return false;
        }
        if let Some(ack) = ack {
            let _ = ack.send(Ok(()));
        }
        self.fired.clear();
        if let Some(record) = recording.closed {
            self.record = record;
        }
        closing(self);
        // Jobs not recorded are dropped with the run (their senders hear it closed).
        self.jobs.clear();
        self.held_updates.clear();
        self.carried.clear();
        let outcome = recording.outcome.expect("a close plan closes the run");
        self.close(outcome, recording.effects);
        true
    }
}
