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
            let _ = ack.send(Ok(()));
            return;
        }
        self.cancel_requested = true;
        self.events.push(Event::CancelRequested { reason });
        self.jobs.push(Job::CancelRequested);
        // Acknowledged, like a signal, once the task that delivers it is durable.
        self.signal_acks.push(ack);
    }

    /// Carry out the termination asked for; returns true when the run closed.
    pub(super) async fn terminate_now(&mut self) -> bool {
        let Some((reason, ack)) = self.terminate.take() else {
            return false;
        };
        let time_ms = self.host.clock.now_ms();
        let outcome = Outcome::Terminated(reason.clone());
        let events = vec![Event::Terminated { reason }];
        let history_len = self.history.events.len() + self.events.len() + events.len();
        let mut writes: Vec<Write> = self.fired.drain(..).map(Write::DeleteTimer).collect();
        writes.extend(self.close_writes(&outcome, time_ms, history_len));
        if self.commit_with(events, writes).await.is_err() {
            self.record.status = crate::storage::Status::Running;
            self.record.close_ms = None;
            let _ = ack.send(Err(MessageError::Unavailable(
                "the termination could not be recorded; try again".into(),
            )));
            return false;
        }
        tracing::info!(run = %self.record.run_id, "terminated");
        let _ = ack.send(Ok(()));
        // Jobs not recorded are dropped with the run (their senders hear it closed).
        self.jobs.clear();
        self.carried.clear();
        self.close(outcome);
        true
    }
}
