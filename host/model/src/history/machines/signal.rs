//! A signal to another workflow, from the `signal-external` command that records it.
//!
//! | state \ event | (none comes back) |
//! |---------------|-------------------|
//! | recorded      | recorded          |
//!
//! `signal-external` is recorded with an outbox row in the same commit; the outbox
//! delivers it exactly once and removes the row in the commit that records it at the
//! target. Nothing about it comes back into the sender's history, so its only state is
//! *recorded*; the machine remembers the signal's seq and target, not its payload.

/// The `signal-external` commands a run recorded, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignalsSent {
    pub(super) sent: Vec<(u32, String)>,
}

impl SignalsSent {
    /// `signal-external` `seq` to the workflow `workflow_id`.
    pub fn recorded(&mut self, seq: u32, workflow_id: &str) {
        self.sent.push((seq, workflow_id.to_string()));
    }

    /// The signals recorded, by seq and target workflow id.
    pub fn sent(&self) -> &[(u32, String)] {
        &self.sent
    }
}
