//! The effects a run has on other runs, written to the outbox with the commit that
//! records their commands and carried out once it is durable (see `runtime::outbox`).

use super::*;
use crate::runtime::outbox::{Effect, Outgoing};

impl Execution {
    /// Index in the history of the first of the `events` the next commit appends
    /// (after the deferred tasks' events and the pending attempt reports).
    pub(super) fn next_index(&self) -> usize {
        self.history.events.len()
            + self.deferred.as_ref().map_or(0, |d| d.events.len())
            + self.events.len()
    }

    /// Carry out `effects`, now durable, in order and after the ones sent before: one to
    /// a child this actor started waits for the child's start.
    pub(super) fn send_effects(&mut self, mut effects: Vec<Outgoing>) {
        for outgoing in &mut effects {
            let target = match &outgoing.effect {
                Effect::Signal { workflow_id, .. }
                | Effect::CancelChild { workflow_id }
                | Effect::ClosePolicy { workflow_id, .. } => workflow_id,
            };
            outgoing.started = self
                .children
                .values()
                .find(|c| &c.workflow_id == target)
                .map(|c| c.started.clone());
        }
        let earlier = self.effects_sent.take();
        self.effects_sent = self
            .host
            .carry_out(&self.record.workflow_id, effects, earlier);
    }
}
