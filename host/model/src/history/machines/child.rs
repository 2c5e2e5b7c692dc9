//! A child workflow, from the `start-child-workflow` command that creates it to the
//! `resolve-child-workflow` job that tells how it closed.
//!
//! | state \ event | `child-options` | `resolve-child-workflow` started | … completed, failed, cancelled, terminated | `cancel-child-workflow` |
//! |---------------|-----------------|----------------------------------|--------------------------------------------|-------------------------|
//! | starting      | starting        | running                          | closed (a refused start is *failed*)       | starting, marked        |
//! | running       | running         | running (its run id replaced)    | closed                                     | running, marked         |
//! | closed        | —               | —                                | —                                          | —                       |
//!
//! `start-child-workflow` creates the machine in *starting*; the `child-options` event
//! recorded just after it gives its timeouts and retry policy. Cancellation is a mark:
//! the outbox asks the child, and the child's close comes back as usual. *Closed* is
//! final but kept: describe lists every child a run started with where it stands.

use crate::history::vocab::{ChildOptions, ChildResolution, StartChildWorkflow};
use crate::history::PendingChild;

/// How a child closed, as its parent saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildClosed {
    Completed,
    Failed,
    Cancelled,
    Terminated,
}

/// Where a child workflow stands, as its parent saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum ChildState {
    /// Asked for; its start not yet delivered.
    Starting,
    /// Started as run `run_id`.
    Running { run_id: String },
    /// Closed (its run id kept, if it ever started).
    Closed {
        how: ChildClosed,
        run_id: Option<String>,
    },
}

/// One child workflow the run started.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildMachine {
    pub(super) start: StartChildWorkflow,
    pub(super) scheduled_ms: u64,
    pub(super) options: ChildOptions,
    pub(super) flow: crate::Flow,
    pub(super) state: ChildState,
    pub(super) cancel_requested: bool,
}

impl ChildMachine {
    /// `start-child-workflow`, recorded by a task that ran at `now_ms`.
    pub fn started(start: &StartChildWorkflow, now_ms: u64) -> ChildMachine {
        ChildMachine {
            start: start.clone(),
            scheduled_ms: now_ms,
            options: ChildOptions::default(),
            flow: crate::Flow::default(),
            state: ChildState::Starting,
            cancel_requested: false,
        }
    }

    pub fn seq(&self) -> u32 {
        self.start.seq
    }

    pub fn start(&self) -> &StartChildWorkflow {
        &self.start
    }

    pub fn state(&self) -> &ChildState {
        &self.state
    }

    pub fn is_closed(&self) -> bool {
        matches!(self.state, ChildState::Closed { .. })
    }

    pub fn cancel_requested(&self) -> bool {
        self.cancel_requested
    }

    /// The child's run, once its start was delivered.
    pub fn run_id(&self) -> Option<&str> {
        match &self.state {
            ChildState::Starting => None,
            ChildState::Running { run_id } => Some(run_id),
            ChildState::Closed { run_id, .. } => run_id.as_deref(),
        }
    }

    /// The state in one word, as describe shows it.
    pub fn state_name(&self) -> &'static str {
        match &self.state {
            ChildState::Starting => "starting",
            ChildState::Running { .. } => "running",
            ChildState::Closed { how, .. } => match how {
                ChildClosed::Completed => "completed",
                ChildClosed::Failed => "failed",
                ChildClosed::Cancelled => "cancelled",
                ChildClosed::Terminated => "terminated",
            },
        }
    }

    /// `child-options`: the state stays.
    pub fn options(&mut self, options: &ChildOptions) {
        self.options = options.clone();
    }

    /// `cancel-child-workflow`: the state stays, marked.
    pub fn cancel(&mut self) {
        self.cancel_requested = true;
    }

    /// `resolve-child-workflow`.
    pub fn resolved(&mut self, resolution: &ChildResolution) {
        let how = match resolution {
            ChildResolution::Started(run_id) => {
                self.state = ChildState::Running {
                    run_id: run_id.clone(),
                };
                return;
            }
            ChildResolution::Completed(_) => ChildClosed::Completed,
            ChildResolution::Failed(_) => ChildClosed::Failed,
            ChildResolution::Cancelled(_) => ChildClosed::Cancelled,
            ChildResolution::Terminated(_) => ChildClosed::Terminated,
        };
        self.state = ChildState::Closed {
            how,
            run_id: self.run_id().map(str::to_string),
        };
    }

    /// What a restart watches and a closed parent's policy applies to: `None` once
    /// closed.
    pub fn pending(&self) -> Option<PendingChild> {
        (!self.is_closed()).then(|| PendingChild {
            start: self.start.clone(),
            scheduled_ms: self.scheduled_ms,
            run_id: self.run_id().map(str::to_string),
            options: self.options.clone(),
            flow: self.flow.clone(),
        })
    }
}
