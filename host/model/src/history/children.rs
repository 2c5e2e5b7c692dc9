//! The child workflows a history started and has not seen close.

use super::vocab::{ChildOptions, ParentClosePolicy, StartChildWorkflow};
use super::History;

/// A child workflow started by the run and not resolved as closed.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingChild {
    pub start: StartChildWorkflow,
    /// When the parent's task that started it ran.
    pub scheduled_ms: u64,
    /// The child's run, once its start was delivered to the parent.
    pub run_id: Option<String>,
    /// Its timeouts and retry policy.
    pub options: ChildOptions,
    /// What it set for itself (`child-flow`); unset fields are its parent's.
    pub flow: crate::Flow,
}

impl PendingChild {
    /// The child's workflow id (the SDK always names it).
    pub fn workflow_id(&self) -> String {
        self.start
            .workflow_id
            .clone()
            .unwrap_or_else(|| format!("child-{}", self.start.seq))
    }

    pub fn policy(&self) -> ParentClosePolicy {
        self.start.parent_close_policy
    }
}

impl History {
    /// The workflow id of the parent that started this run as its child.
    pub fn parent_workflow_id(&self) -> Option<String> {
        self.start_job()?.parent_workflow_id.clone()
    }

    /// Child workflows started and not yet resolved as closed (or refused).
    pub fn pending_children(&self) -> Vec<PendingChild> {
        self.state().pending_children()
    }
}
