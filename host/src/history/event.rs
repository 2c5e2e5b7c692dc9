//! The events of an execution's history.
//!
//! A history is a flat list. Each workflow task appears as `TaskStarted` (the
//! activation's time), then its jobs, then the commands the workflow produced:
//!
//! | index | event                                   |
//! |-------|-----------------------------------------|
//! | 0     | `ExecutionStarted` (type, id, module)   |
//! | 1     | `TaskStarted { time_ms }`               |
//! | 2     | `Job(start-workflow)`                   |
//! | 3     | `Command(schedule-activity seq=1)`      |
//! | 4     | `ActivityAttemptFailed { seq: 1, .. }`  |
//! | 5     | `TaskStarted { time_ms }`               |
//! | 6     | `Job(resolve-activity seq=1)`           |
//! | 7     | `Command(complete-workflow)`            |
//!
//! Results that come back between tasks (an activity's result, a timer firing) are
//! recorded as the jobs of the next task, in the same durable commit as the commands
//! that task produced, so a result is never stored twice.

use serde::{Deserialize, Serialize};

use crate::contract::{Failure, IssuedCommand, Job, TaskFailure};

/// Version of the encoding of stored and exported histories. Bump it when `Event`
/// changes shape, and keep a golden history of every older version replayable.
pub const FORMAT_VERSION: u16 = 1;

/// Facts about an execution fixed when it starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionStarted {
    pub workflow_type: String,
    pub workflow_id: String,
    pub run_id: String,
    /// Digest (sha256, hex) of the component the execution runs on.
    pub module_digest: String,
    pub time_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    ExecutionStarted(ExecutionStarted),
    /// A workflow task began; its jobs and commands follow.
    TaskStarted {
        time_ms: u64,
    },
    /// A job delivered to the workflow in the current task.
    Job(Job),
    /// A command the workflow produced in the current task.
    Command(IssuedCommand),
    /// One attempt of an activity failed and another will follow.
    ActivityAttemptFailed {
        seq: u32,
        attempt: u32,
        failure: Failure,
        /// When the next attempt starts.
        retry_at_ms: u64,
    },
    /// A workflow task could not complete (panic, trap, deadline); the execution failed.
    TaskFailed(TaskFailure),
    /// Closed from outside (`weft terminate`, or a host shutting an execution down).
    Terminated {
        reason: String,
    },
}

impl Event {
    /// A short name for timelines and reports.
    pub fn name(&self) -> String {
        match self {
            Event::ExecutionStarted(_) => "execution-started".into(),
            Event::TaskStarted { .. } => "task-started".into(),
            Event::Job(job) => job_name(job).into(),
            Event::Command(c) => c.command.kind().into(),
            Event::ActivityAttemptFailed { .. } => "activity-attempt-failed".into(),
            Event::TaskFailed(_) => "task-failed".into(),
            Event::Terminated { .. } => "terminated".into(),
        }
    }
}

pub fn job_name(job: &Job) -> &'static str {
    match job {
        Job::StartWorkflow(_) => "start-workflow",
        Job::ResolveActivity(_) => "resolve-activity",
        Job::ResolveLocalActivity(_) => "resolve-local-activity",
        Job::FireTimer(_) => "fire-timer",
        Job::Signal(_) => "signal",
        Job::Update(_) => "update",
        Job::CancelRequested => "cancel-requested",
        Job::ResolveChildWorkflow(_) => "resolve-child-workflow",
        Job::Query(_) => "query",
    }
}
