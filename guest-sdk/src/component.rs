//! A workflow component's exports: the workflow types it knows and `activate`.
//!
//! One component instance serves one execution. Its first activation must begin with
//! `start-workflow`; every later one goes to the same execution.
//!
//! | what goes wrong                         | what the host gets                          |
//! |-----------------------------------------|---------------------------------------------|
//! | unknown workflow type                   | `Err(task-failure)` naming the known types  |
//! | input does not decode                   | `fail-workflow`, type `weft.InvalidInput`   |
//! | job this SDK does not support           | `Err(task-failure)` naming the job          |
//! | answer for an unknown / answered seq    | `Err(task-failure)`                         |
//! | a query together with other jobs        | `Err(task-failure)`                         |
//! | replayed update this code cannot run    | `Err(task-failure)`                         |
//! | the workflow panics                     | `report-panic`, then a trap                 |
//!
//! An activation whose only job is a query is answered with exactly one
//! `respond-query` command and changes nothing (see `queries`). A task failure other than
//! a panic leaves the instance as it was before the activation. After a panic that unwinds (native tests only; guests abort) the instance
//! refuses further activations.

use std::panic::{self, AssertUnwindSafe};

use crate::instance::Execution;
use crate::jobs::{self, Delivery};
use crate::panic::{self as panics, PanicReport};
use crate::wit::{Activation, IssuedCommand, Job, TaskFailure};
use crate::workflow::WorkflowEntry;
use crate::DYNAMIC_WORKFLOW;

pub(crate) struct Component {
    workflows: Vec<WorkflowEntry>,
    instance: Option<Box<dyn Execution>>,
    panicked: Option<PanicReport>,
}

impl Component {
    pub(crate) fn new(workflows: &[WorkflowEntry]) -> Self {
        Self {
            workflows: workflows.to_vec(),
            instance: None,
            panicked: None,
        }
    }

    pub(crate) fn workflow_types(&self) -> Vec<String> {
        self.workflows.iter().map(|w| w.name.to_owned()).collect()
    }

    pub(crate) fn activate(
        &mut self,
        activation: Activation,
    ) -> Result<Vec<IssuedCommand>, TaskFailure> {
        if let Some(report) = &self.panicked {
            return Err(failure(format!(
                "this instance panicked in an earlier activation ({}); the host must \
                 replay the execution into a fresh instance",
                report.message
            )));
        }
        panics::install_hook();
        match panic::catch_unwind(AssertUnwindSafe(|| self.activate_unwinding(activation))) {
            Ok(result) => result,
            Err(payload) => {
                let report = panics::take_report(payload.as_ref());
                self.panicked = Some(report.clone());
                Err(TaskFailure {
                    message: format!("the workflow panicked: {}", report.message),
                    location: report.location,
                })
            }
        }
    }

    fn activate_unwinding(
        &mut self,
        activation: Activation,
    ) -> Result<Vec<IssuedCommand>, TaskFailure> {
        let Activation {
            jobs,
            // `now()` asks the host import, which returns the same time.
            time_ms: _,
            is_replaying,
        } = activation;
        if let ([Job::Query(query)], Some(instance)) = (jobs.as_slice(), &self.instance) {
            return Ok(vec![instance.query(query)]);
        }
        let mut jobs = jobs.into_iter().enumerate();
        let mut started = None;
        if self.instance.is_none() {
            let start = match jobs.next() {
                Some((_, Job::StartWorkflow(start))) => start,
                Some((_, other)) => {
                    return Err(failure(format!(
                        "the first activation of an instance must begin with \
                         `start-workflow`, not `{}`",
                        jobs::name(&other)
                    )))
                }
                None => {
                    return Err(failure(
                        "the first activation of an instance must begin with \
                         `start-workflow`, but it has no jobs"
                            .to_owned(),
                    ))
                }
            };
            let entry = self.entry(&start.workflow_type)?;
            panics::set_fails_run(entry.fail_on_panic);
            started = Some((entry.start)(&start));
        }
        let deliveries = jobs
            .map(jobs::triage)
            .collect::<Result<Vec<Delivery>, String>>()
            .map_err(failure)?;
        // A new instance is kept only once its first activation succeeded.
        let instance = match started.as_mut() {
            Some(instance) => instance,
            None => self.instance.as_mut().expect("started above"),
        };
        let commands = instance
            .activate(deliveries, is_replaying)
            .map_err(failure)?;
        if started.is_some() {
            self.instance = started;
        }
        Ok(commands)
    }

    fn entry(&self, workflow_type: &str) -> Result<&WorkflowEntry, TaskFailure> {
        self.workflows
            .iter()
            .find(|w| w.name == workflow_type)
            .or_else(|| self.workflows.iter().find(|w| w.name == DYNAMIC_WORKFLOW))
            .ok_or_else(|| {
                let known: Vec<String> = self
                    .workflows
                    .iter()
                    .map(|w| format!("`{}`", w.name))
                    .collect();
                failure(format!(
                    "this component has no workflow type `{workflow_type}`; it exports {}",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ))
            })
    }
}

fn failure(message: String) -> TaskFailure {
    TaskFailure {
        message,
        location: None,
    }
}
