//! The effects a run has on other runs, written to the outbox with the commit that
//! records their commands and carried out once it is durable (see `runtime::outbox`).

use super::*;
use crate::history::vocab::ParentClosePolicy;
use crate::runtime::outbox::{Effect, Outgoing};

impl Execution {
    /// Index in the history of the first of the `events` the next commit appends
    /// (after the deferred tasks' events and the pending attempt reports).
    pub(super) fn next_index(&self) -> usize {
        self.history.events.len()
            + self.deferred.as_ref().map_or(0, |d| d.events.len())
            + self.events.len()
    }

    /// The effects of the `signal-external` and `cancel-child-workflow` commands among
    /// `events` (the first of them at history index `first_index`).
    pub(super) fn command_effects(&self, first_index: usize, events: &[Event]) -> Vec<Outgoing> {
        let run_id = &self.record.run_id;
        let mut out = Vec::new();
        for (i, event) in events.iter().enumerate() {
            let Event::Command(c) = event else { continue };
            let index = (first_index + i) as u64;
            match &c.command {
                Command::SignalExternal(signal) => {
                    let effect = Effect::Signal {
                        workflow_id: signal.workflow_id.clone(),
                        event_index: index,
                    };
                    let mut outgoing = Outgoing::new(run_id, index << 16, effect);
                    outgoing.signal = Some(signal.clone());
                    out.push(outgoing);
                }
                Command::CancelChildWorkflow(seq) => {
                    // A child that was never started has nothing to cancel.
                    if let Some(workflow_id) = self.child_id(*seq, events) {
                        let effect = Effect::CancelChild { workflow_id };
                        out.push(Outgoing::new(run_id, index << 16, effect));
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// The workflow id of child `seq`: one this actor watches, or one started among
    /// `events`.
    fn child_id(&self, seq: u32, events: &[Event]) -> Option<String> {
        if let Some(child) = self.children.get(&seq) {
            return Some(child.workflow_id.clone());
        }
        events.iter().find_map(|e| match e {
            Event::Command(c) => match &c.command {
                Command::StartChildWorkflow(start) if start.seq == seq => Some(
                    start
                        .workflow_id
                        .clone()
                        .unwrap_or_else(|| format!("child-{seq}")),
                ),
                _ => None,
            },
            _ => None,
        })
    }

    /// The close policies of the open children of a run that closes with the event
    /// at history index `closing_index`, in the order the children were started.
    pub(super) fn policy_effects(&self, closing_index: usize) -> Vec<Outgoing> {
        let mut children: Vec<_> = self
            .children
            .iter()
            .filter(|(_, c)| c.policy != ParentClosePolicy::Abandon)
            .collect();
        children.sort_by_key(|(seq, _)| **seq);
        children
            .into_iter()
            .enumerate()
            .map(|(n, (_, child))| {
                let effect = Effect::ClosePolicy {
                    workflow_id: child.workflow_id.clone(),
                    terminate: child.policy == ParentClosePolicy::Terminate,
                };
                let ordinal = ((closing_index as u64) << 16) | (n as u64 + 1);
                Outgoing::new(&self.record.run_id, ordinal, effect)
            })
            .collect()
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
