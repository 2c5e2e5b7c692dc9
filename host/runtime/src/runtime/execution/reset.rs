//! Resetting an open run (see `runtime::reset`): between tasks, the actor makes the new
//! run from its history and records its own close as terminated, its `reset-to` and
//! the new run in one commit; then it hands the workflow id on, as a continue-as-new
//! does, so that messages still queued here go on to the new run.

use super::*;
use crate::runtime::reset::{outcome_of, ResetError, ResetReply, ResetRequest};
use crate::runtime::MessageError;

impl Execution {
    /// A reset was asked for: carried out between tasks (a later one replaces it).
    pub(super) fn reset_asked(&mut self, request: ResetRequest, reply: ResetReply, busy: Busy) {
        self.guards.push(busy);
        if let Some((_, earlier)) = self.reset.replace((request, reply)) {
            let error = MessageError::Unavailable("another reset of the run came".into());
            let _ = earlier.send(Err(error.into()));
        }
    }

    /// Carry out the reset asked for; returns true when the run closed.
    pub(super) async fn reset_now(&mut self, request: ResetRequest, reply: ResetReply) -> bool {
        // Deferred tasks (local activities in flight) are not in the history yet.
        if self.deferred.is_some() && self.commit(Vec::new()).await.is_err() {
            let error = MessageError::Unavailable("the run's history could not be recorded".into());
            let _ = reply.send(Err(error.into()));
            return false;
        }
        let attributes = match self.host.storage.run_attributes(&self.record.run_id) {
            Ok(attributes) => attributes.unwrap_or_default(),
            Err(e) => {
                let _ = reply.send(Err(MessageError::Unavailable(e.to_string()).into()));
                return false;
            }
        };
        let planned = self
            .host
            .reset_run(&self.record, &self.history.events, &request, attributes);
        let (next, event_index) = match planned {
            Ok(planned) => planned,
            Err(e) => {
                let _ = reply.send(Err(e));
                return false;
            }
        };
        let outcome = outcome_of(&self.record, &next, event_index);
        let reason = format!("reset to run {}: {}", outcome.run_id, request.reason);
        self.events.push(Event::ResetTo {
            run_id: outcome.run_id.clone(),
            reason: request.reason.clone(),
        });
        let writes = next.writes(&self.host.codec);
        let closing = Event::Terminated {
            reason: reason.clone(),
        };
        let closed = self
            .close_now_with(
                closing,
                Outcome::Terminated(reason),
                None,
                writes,
                |closed| {
                    // Under a workflow limit, the new run takes its own place.
                    next.admit(&closed.host);
                    closed.continued_to = Some(next.run_id().to_string());
                    closed.host.adopt(next)
                },
            )
            .await;
        if !closed {
            // Nothing was recorded: the run goes on as it was.
            self.events.retain(|e| !matches!(e, Event::ResetTo { .. }));
            let error =
                MessageError::Unavailable("the reset could not be recorded; try again".into());
            let _ = reply.send(Err(ResetError::from(error)));
            return false;
        }
        let _ = reply.send(Ok(outcome));
        true
    }
}
