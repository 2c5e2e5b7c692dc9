//! The child workflows a history started and has not seen close.

use super::vocab::{ChildOptions, ChildResolution, ParentClosePolicy, StartChildWorkflow};
use super::{Command, Event, History, Job};

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
        let mut children: Vec<PendingChild> = Vec::new();
        let mut now = 0;
        for event in &self.events {
            match event {
                Event::TaskStarted { time_ms } => now = *time_ms,
                Event::Command(c) => {
                    if let Command::StartChildWorkflow(start) = &c.command {
                        children.push(PendingChild {
                            start: start.clone(),
                            scheduled_ms: now,
                            run_id: None,
                            options: ChildOptions::default(),
                        });
                    }
                }
                Event::ChildOptions { seq, options } => {
                    if let Some(child) = children.iter_mut().find(|c| c.start.seq == *seq) {
                        child.options = options.clone();
                    }
                }
                Event::Job(Job::ResolveChildWorkflow(r)) => match &r.resolution {
                    ChildResolution::Started(run_id) => {
                        if let Some(child) = children.iter_mut().find(|c| c.start.seq == r.seq) {
                            child.run_id = Some(run_id.clone());
                        }
                    }
                    _ => children.retain(|c| c.start.seq != r.seq),
                },
                _ => {}
            }
        }
        children
    }
}
