//! One live workflow instance: a store plus the component's exports.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::Store;

use super::{InstanceState, Module};
use crate::contract::{wit, Conv, HistoryInfo, Workflow};
use crate::history::{Activation, IssuedCommand, Job, TaskFailure};

/// A component instance bound to one execution.
pub struct WorkflowInstance {
    store: Store<InstanceState>,
    bindings: Workflow,
    pub module: Arc<Module>,
    deadline_ticks: u64,
    deadline: Duration,
    /// A trap leaves the instance in an unknown state; it must not be used again.
    poisoned: bool,
    /// The last task failed with a panic of a workflow that fails its run on a panic.
    panic_fails_run: bool,
    /// The last task failed with a panic in the validator of this update.
    validator_panicked: Option<String>,
}

impl WorkflowInstance {
    pub(super) fn new(
        store: Store<InstanceState>,
        bindings: Workflow,
        module: Arc<Module>,
        deadline_ticks: u64,
        deadline: Duration,
    ) -> WorkflowInstance {
        WorkflowInstance {
            store,
            bindings,
            module,
            deadline_ticks,
            deadline,
            poisoned: false,
            panic_fails_run: false,
            validator_panicked: None,
        }
    }

    /// What the last task gave its commands through imports (children's options,
    /// activities' and children's flow options), by their command's seq.
    pub fn take_aside(&mut self) -> super::host_imports::TaskAside {
        std::mem::take(&mut self.store.data_mut().aside)
    }

    /// The current details to record for the last task (`set-current-details`): `Some`
    /// when it was not replayed and left them changed; `Err` when they are over the
    /// limit (the task fails).
    pub fn take_details_change(&mut self) -> Result<Option<String>, String> {
        self.store.data_mut().details.take_change()
    }

    /// What the workflow last reported waiting on besides its commands' answers
    /// (`waiting-on`), each with the line that awaits it.
    pub fn waiting_on(&self) -> &[super::WaitPoint] {
        &self.store.data().waiting_on
    }

    /// Tell the workflow which run it continued as new from (`continued-from`).
    pub fn set_continued_from(&mut self, run_id: Option<String>) {
        self.store.data_mut().continued_from = run_id;
    }

    /// Tell the workflow the attempt of the task it runs next (`task-attempt`).
    pub fn set_task_attempt(&mut self, attempt: u32) {
        self.store.data_mut().task_attempt = attempt;
    }

    /// Tell the workflow the cron schedule of its execution (`cron-schedule`).
    pub fn set_cron_schedule(&mut self, cron: Option<String>) {
        self.store.data_mut().cron_schedule = cron;
    }

    /// The update whose validator panicked in the last task: the task is not a failure
    /// of the workflow, the update is rejected (see `report-validator-panic`).
    pub fn validator_panicked(&self) -> Option<&str> {
        self.validator_panicked.as_deref()
    }

    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    /// Whether the last task failed with a panic of a workflow that opted in to failing
    /// its run on a panic (`#[workflow(fail_on_panic)]`) instead of retrying the task.
    pub fn panic_fails_run(&self) -> bool {
        self.panic_fails_run
    }

    /// Run one workflow task. The activation and the commands are the history's types;
    /// they are converted to and from the contract's here, at the engine's edge.
    pub fn activate(
        &mut self,
        activation: &Activation,
        history: HistoryInfo,
    ) -> Result<Vec<IssuedCommand>, TaskFailure> {
        if self.poisoned {
            return Err(TaskFailure {
                message: "the instance trapped in an earlier task".into(),
                location: None,
            });
        }
        let state = self.store.data_mut();
        state.begin_task(activation.time_ms, activation.is_replaying, history);
        self.panic_fails_run = false;
        self.validator_panicked = None;
        for job in &activation.jobs {
            if let Job::StartWorkflow(start) = job {
                state.rng.seed(start.random_seed);
            }
        }
        state.causes.jobs = super::causes::of_jobs(activation);
        self.store.set_epoch_deadline(self.deadline_ticks);
        let contract: wit::Activation = activation.clone().conv();
        let result = self
            .bindings
            .weft_workflow_guest()
            .call_activate(&mut self.store, &contract);
        match result {
            Ok(Ok(commands)) => {
                let mut commands: Vec<IssuedCommand> = commands.conv();
                let causes = std::mem::take(&mut self.store.data_mut().causes.commands);
                super::causes::attach(&mut commands, causes).map_err(TaskFailure::host)?;
                Ok(commands)
            }
            Ok(Err(failure)) => Err(failure.conv()),
            Err(trap) => {
                self.poisoned = true;
                Err(self.describe_trap(trap))
            }
        }
    }

    fn describe_trap(&mut self, trap: wasmtime::Error) -> TaskFailure {
        if let Some(panic) = self.store.data_mut().panic.take() {
            self.panic_fails_run = panic.fails_run;
            let what = match panic.validating {
                Some(_) => "the update's validator",
                None => "workflow",
            };
            self.validator_panicked = panic.validating;
            return TaskFailure {
                message: format!("{what} panicked: {}", panic.message),
                location: panic.location.conv(),
            };
        }
        if let Some(message) = super::wasi::explain_trap(&trap) {
            return TaskFailure {
                message,
                location: None,
            };
        }
        let message = match trap.downcast_ref::<wasmtime::Trap>() {
            Some(wasmtime::Trap::Interrupt) => format!(
                "the workflow task ran longer than its deadline of {:?} and was stopped; \
                 a workflow must not loop or compute without awaiting",
                self.deadline
            ),
            Some(wasmtime::Trap::StackOverflow) => "the workflow overflowed its stack".into(),
            _ => format!("the workflow trapped: {trap:#}"),
        };
        TaskFailure {
            message,
            location: None,
        }
    }
}
