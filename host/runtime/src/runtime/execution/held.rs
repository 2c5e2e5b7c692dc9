//! A pending run's actor (a start past a workflow limit, see `crate::flow`): its start
//! is recorded, its first task waits until the limit lets it run.
//!
//! | while pending, a …      | is                                                     |
//! |-------------------------|--------------------------------------------------------|
//! | signal, update          | kept for the first task (its sender waits for it)      |
//! | query                   | refused: nothing of the workflow has run               |
//! | termination             | carried out: the run closes without ever running       |
//! | cancellation            | carried out as a termination, saying so                |
//! | move to another module  | carried out (a replay of nothing)                      |

use super::*;

impl Execution {
    /// Wait until the run may start; false when the actor is done (the run closed, or
    /// the host let go of it).
    pub(super) async fn hold(&mut self) -> bool {
        while let Some(admitted) = self.held.as_mut() {
            for flushed in self.flushes.drain(..) {
                let _ = flushed.send(());
            }
            // Waiting is not work in flight: a virtual clock may move.
            self.guards.clear();
            tokio::select! {
                biased;
                // A dropped sender (the host's limits gone) lets it run too.
                _ = admitted => {
                    self.held = None;
                    self.guards.push(self.host.clock.busy());
                    tracing::info!(run = %self.record.run_id, "pending run admitted");
                    return true;
                }
                message = self.rx.recv() => match message {
                    None => return false,
                    Some(message) => self.absorb_pending(message),
                },
            }
            self.absorb_queued_pending();
            if !self.serves() {
                return false;
            }
            if !self.upgrades.is_empty() {
                self.upgrade().await;
            }
            if self.terminate.is_some() && self.terminate_now().await {
                return false;
            }
            let reason = self
                .host
                .pending_reason(&self.record.run_id)
                .unwrap_or_else(|| "waiting to start".into());
            for (_, reply) in self.queries.drain(..) {
                let _ = reply.send(Err(MessageError::Unavailable(format!(
                    "execution `{}` is pending ({reason}): it has not started, so it \
                     answers no query yet",
                    self.record.workflow_id
                ))));
            }
        }
        true
    }

    fn absorb_queued_pending(&mut self) {
        while let Ok(message) = self.rx.try_recv() {
            self.absorb_pending(message);
        }
    }

    /// A cancellation of a run that never ran closes it: there is nothing to cancel.
    fn absorb_pending(&mut self, message: Message) {
        match message {
            Message::CancelRequest {
                reason,
                ack,
                request,
                busy,
            } => self.absorb(Message::Terminate {
                reason: format!("cancelled while pending, before it ever ran: {reason}"),
                ack,
                request,
                busy,
            }),
            message => self.absorb(message),
        }
    }
}
