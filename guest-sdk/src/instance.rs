//! One execution of one workflow: jobs in, commands out.

use std::collections::BTreeSet;

use crate::context::{WfContext, WorkflowInfo};
use crate::error::WfResult;
use crate::executor::Executor;
use crate::jobs::Delivery;
use crate::state::SharedState;
use crate::wit::{Command, IssuedCommand, Payload, SourceLocation, StartWorkflow};
use crate::workflow::WorkflowEntry;

pub(crate) struct Instance {
    state: SharedState,
    executor: Executor<WfResult<Payload>>,
    defined_at: Option<SourceLocation>,
}

impl Instance {
    /// Sets up the execution; its code first runs in [`Instance::run`].
    pub(crate) fn start(entry: &WorkflowEntry, start: &StartWorkflow) -> Self {
        let state = SharedState::default();
        let ctx = WfContext::new(state.clone(), WorkflowInfo::from_start(start));
        Self {
            executor: Executor::new((entry.start)(ctx, &start.input)),
            state,
            defined_at: entry.defined_at.map(|at| at.to_wit()),
        }
    }

    /// Checks that every delivery answers an operation that is waiting for it, so that a
    /// failed task leaves the instance as it was.
    pub(crate) fn check(&self, deliveries: &[Delivery]) -> Result<(), String> {
        let state = self.state.borrow();
        let mut activities = BTreeSet::new();
        let mut timers = BTreeSet::new();
        for delivery in deliveries {
            let (what, seq, result, fresh) = match delivery {
                Delivery::ResolveActivity { seq, .. } => (
                    "resolve-activity",
                    *seq,
                    state.activities.check(*seq),
                    activities.insert(*seq),
                ),
                Delivery::FireTimer { seq } => (
                    "fire-timer",
                    *seq,
                    state.timers.check(*seq),
                    timers.insert(*seq),
                ),
            };
            result.map_err(|error| format!("`{what}` for seq {seq}: {error}"))?;
            if !fresh {
                return Err(format!(
                    "`{what}` for seq {seq}: delivered twice in one activation"
                ));
            }
        }
        Ok(())
    }

    /// Applies checked deliveries.
    pub(crate) fn deliver(&mut self, deliveries: Vec<Delivery>, is_replaying: bool) {
        let mut state = self.state.borrow_mut();
        state.is_replaying = is_replaying;
        for delivery in deliveries {
            let applied = match delivery {
                Delivery::ResolveActivity { seq, resolution } => {
                    state.activities.resolve(seq, resolution)
                }
                Delivery::FireTimer { seq } => state.timers.resolve(seq, ()),
            };
            applied.expect("deliveries are checked before they are applied");
        }
    }

    /// Runs the workflow until it waits for the host; returns the commands it issued, the
    /// final `complete-workflow` / `fail-workflow` last.
    pub(crate) fn run(&mut self) -> Vec<IssuedCommand> {
        if let Some(outcome) = self.executor.run() {
            let (command, location) = match outcome {
                Ok(result) => (Command::CompleteWorkflow(result), self.defined_at.clone()),
                Err(error) => {
                    let (failure, location) = error.into_parts();
                    (
                        Command::FailWorkflow(failure),
                        location.or_else(|| self.defined_at.clone()),
                    )
                }
            };
            self.state.borrow_mut().issue_at(command, location);
        }
        self.state.borrow_mut().take_commands()
    }
}
