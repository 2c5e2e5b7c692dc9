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
//! | 7     | `TaskAttemptFailed { .. }`              |
//! | 8     | `TaskStarted { time_ms }`               |
//! | 9     | `Command(complete-workflow)`            |
//!
//! Results that come back between tasks (an activity's result, a timer firing) are
//! recorded as the jobs of the next task, in the same durable commit as the commands
//! that task produced, so a result is never stored twice.
//!
//! A task that fails (a panic, a trap, a deadline, an instance that cannot be rebuilt)
//! is recorded with its jobs and no commands, followed by `TaskAttemptFailed`; its jobs
//! are *carried*: the next task delivers them again, before its own (events 5–9 above:
//! the task at 8 delivers `resolve-activity seq=1`). The run stays open and the task is
//! retried. Only a workflow that opted in to failing on a panic closes with
//! `TaskFailed`.

use serde::{Deserialize, Serialize};

use super::vocab::{
    ActivityOptions, ChildOptions, Command, Failure, IssuedCommand, Job, Payload, TaskFailure,
};

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

/// One entry of a history. Variants are part of the stored format: new ones go at the
/// end, existing ones never change shape (see `codec`).
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
    /// The current workflow task failed and the run failed with it: the workflow
    /// opted in to failing on a panic (and, in format 1, every task failure).
    TaskFailed(TaskFailure),
    /// Closed from outside (`weft terminate`, or a host shutting an execution down).
    Terminated {
        reason: String,
    },
    /// The current workflow task failed; the run stays open and the task is retried
    /// with backoff, its jobs carried into the next task. Format 2.
    TaskAttemptFailed {
        failure: TaskFailure,
        /// Attempt number of the failed task (1 for the first failure of a streak).
        attempt: u32,
        /// When the next attempt is due.
        retry_at_ms: u64,
    },
    /// An activity attempt reported progress (throttled: not every heartbeat is
    /// recorded, see `runtime::heartbeats`). The next attempt sees the last details.
    /// Format 3.
    ActivityHeartbeat {
        seq: u32,
        attempt: u32,
        details: Option<Payload>,
        time_ms: u64,
    },
    /// Cancellation of the execution was asked for (`weft cancel`); the workflow
    /// receives `cancel-requested` in the task that follows. Format 3.
    CancelRequested {
        reason: String,
    },
    /// An attempt of a local activity failed and its backoff was too long to wait in
    /// the workflow task: the activity is pending, like an activity, until
    /// `retry_at_ms`. Format 3.
    LocalActivityAttemptFailed {
        seq: u32,
        attempt: u32,
        failure: Failure,
        retry_at_ms: u64,
    },
    /// The run must close by these times (its start's run and execution timeouts);
    /// recorded after `ExecutionStarted`. Format 3.
    Deadlines {
        run_deadline_ms: Option<u64>,
        execution_deadline_ms: Option<u64>,
    },
    /// The run reached a deadline and was closed as timed out. Format 3.
    TimedOut {
        reason: String,
    },
    /// The run moved to another module (a new version of its module name, on which
    /// its history replayed cleanly); its next tasks run there. Format 3.
    ModuleChanged {
        from_digest: String,
        to_digest: String,
        time_ms: u64,
    },
    /// This run was started by a continue-as-new of `run_id` (the execution's previous
    /// run), in the commit that closed it. Format 3.
    ContinuedFrom {
        run_id: String,
    },
    /// A job recorded before the run's first task (the start of a run begun by
    /// continue-as-new), or from format 6 between tasks while the run is paused (a
    /// signal, a fired timer, a result): the next task delivers it, as a carried job.
    /// Format 3.
    PendingJob(Job),
    /// The options of the child started by the `start-child-workflow` `seq` just
    /// before (timeouts, retry policy); absent when it has none. Format 4.
    ChildOptions {
        seq: u32,
        options: ChildOptions,
    },
    /// This run was made by a reset of `run_id` (`weft reset`): the events before this
    /// one are that run's first `event_index` events (under this run's id and module),
    /// and the pending jobs after it are the reset task's jobs and the signals and
    /// updates reapplied. Format 6.
    ResetFrom {
        run_id: String,
        event_index: u64,
        reason: String,
    },
    /// A reset of this run made `run_id`, which goes on from one of this run's
    /// workflow tasks. Recorded before the run's close (an open run is closed as
    /// terminated), or appended to a run that had already closed. Format 6.
    ResetTo {
        run_id: String,
        reason: String,
    },
    /// The run was paused (`weft pause`): no workflow task runs until `Unpaused`;
    /// what arrives meanwhile is recorded as `PendingJob`s (updates wait in memory).
    /// `identity` is who asked. Format 6.
    Paused {
        reason: String,
        identity: String,
        time_ms: u64,
    },
    /// The run was unpaused (`weft unpause`): the next task delivers what arrived
    /// while it was paused. Format 6.
    Unpaused {
        reason: String,
        identity: String,
        time_ms: u64,
    },
    /// Activity `seq` was paused (`weft activity pause`): no new attempt of it starts
    /// until `ActivityUnpaused` (an attempt in flight finishes). Format 6.
    ActivityPaused {
        seq: u32,
        reason: String,
        identity: String,
        time_ms: u64,
    },
    /// Activity `seq` was unpaused: its next attempt starts when its backoff (if any)
    /// has run out. Format 6.
    ActivityUnpaused {
        seq: u32,
        reason: String,
        identity: String,
        time_ms: u64,
    },
    /// Activity `seq` was reset (`weft activity reset`) between two attempts: the next
    /// is attempt 1 again, at once, and the heartbeat details are dropped. Format 6.
    ActivityReset {
        seq: u32,
        reason: String,
        identity: String,
        time_ms: u64,
    },
    /// Activity `seq`'s options were changed (`weft activity update-options`) between
    /// two attempts: `options` are in force from its next attempt. Format 6.
    ActivityOptionsUpdated {
        seq: u32,
        options: ActivityOptions,
        reason: String,
        identity: String,
        time_ms: u64,
    },
    /// The run's priority (1 highest … 5 lowest), when not the default 3: its
    /// activities and children inherit it. Recorded right after `ExecutionStarted`
    /// (and `Deadlines`). Format 6.
    Priority {
        priority: u8,
    },
    /// What the starter said the execution is for: a one-line summary and Markdown
    /// details (`weft start --summary .. --details ..`), shown by `describe` and
    /// `list`. Recorded after `ExecutionStarted` when given. Format 6.
    UserMetadata {
        summary: Option<String>,
        details: Option<String>,
    },
    /// Whom the run's work is for (`weft start --fairness KEY[:WEIGHT]`): under
    /// contention its pending start, activities and children share capacity with other
    /// keys by weight. Recorded right after `Priority` (or `ExecutionStarted`,
    /// `Deadlines`) when given; inherited like the priority. Format 7.
    Fairness(crate::Fairness),
    /// What the activity scheduled by the command just before sets for itself
    /// (priority, fairness, concurrency key), from the SDK's `ActivityOptions`; what it
    /// leaves unset is its run's. Format 7.
    ActivityFlow {
        seq: u32,
        flow: crate::Flow,
    },
    /// What the child started by the command just before sets for itself (priority,
    /// fairness), from the SDK's `ChildOptions`. Format 7.
    ChildFlow {
        seq: u32,
        flow: crate::Flow,
    },
    /// The start was debounced (`weft start --debounce KEY=PERIOD`): the run is pending
    /// until `period_ms` after its start, and runs then unless a later start of the same
    /// workflow type and `key` came meanwhile (it then closes as terminated, its reason
    /// naming that start's run). `supersedes`: the pending run of the key that this
    /// start closed, if any. Recorded after `ExecutionStarted`. Format 7.
    Debounced {
        key: String,
        period_ms: u64,
        supersedes: Option<String>,
    },
    /// What the run is doing now, in Markdown (`ctx.set_current_details(..)`; empty:
    /// cleared), recorded after the jobs of a task that left it changed (not on replay,
    /// and nothing checks it on replay: details describe the run, they are not its
    /// state). `describe` and `list` show the last one. Format 7.
    CurrentDetails {
        details: String,
    },
    /// The events after this one, up to the next that carries a time, were recorded at
    /// `time_ms`: they arrived between workflow tasks (an activity's failed attempt, a
    /// cancel request, a job while the run is paused). Written only when the time differs
    /// from the one in force, so a history places every event when it happened, not at
    /// the task before it. Format 8.
    Arrived {
        time_ms: u64,
    },
    /// The execution runs on a cron schedule (Temporal's legacy cron, `weft start
    /// --cron`): `spec` is a cron expression or `@every <duration>`, as schedules take
    /// them. Its first task waits for the spec's first slot after the run's start; when
    /// it completes, fails or times out, its next run starts (same workflow id,
    /// `ContinuedFrom` this one, this event again), held until the slot after that
    /// close. A termination or cancellation ends the chain. `run_timeout_ms`: each
    /// run's own timeout, counted from the slot it waits for (its `Deadlines` say when
    /// that is). Recorded after `ExecutionStarted` (and `ContinuedFrom`). Format 9.
    CronSchedule {
        spec: String,
        run_timeout_ms: Option<u64>,
    },
}

impl Event {
    /// Whether the event may hold a [`Failure`], whose stored shape changed in format 8
    /// (see `codec`).
    pub fn holds_failure(&self) -> bool {
        match self {
            Event::ActivityAttemptFailed { .. } | Event::LocalActivityAttemptFailed { .. } => true,
            Event::Job(job) | Event::PendingJob(job) => matches!(
                job,
                Job::ResolveActivity(_)
                    | Job::ResolveLocalActivity(_)
                    | Job::ResolveChildWorkflow(_)
            ),
            Event::Command(c) => matches!(
                c.command,
                Command::FailWorkflow(_)
                    | Command::RejectUpdate(_)
                    | Command::CompleteUpdate(_)
                    | Command::RespondQuery(_)
            ),
            _ => false,
        }
    }

    /// A short name for timelines and reports.
    pub fn name(&self) -> &'static str {
        match self {
            Event::ExecutionStarted(_) => "execution-started",
            Event::TaskStarted { .. } => "task-started",
            Event::Job(job) => job.name(),
            Event::Command(c) => c.command.kind(),
            Event::ActivityAttemptFailed { .. } => "activity-attempt-failed",
            Event::TaskFailed(_) => "task-failed",
            Event::Terminated { .. } => "terminated",
            Event::TaskAttemptFailed { .. } => "task-attempt-failed",
            Event::ActivityHeartbeat { .. } => "activity-heartbeat",
            Event::CancelRequested { .. } => "cancel-requested",
            Event::LocalActivityAttemptFailed { .. } => "local-activity-attempt-failed",
            Event::Deadlines { .. } => "deadlines",
            Event::TimedOut { .. } => "timed-out",
            Event::ModuleChanged { .. } => "module-changed",
            Event::ContinuedFrom { .. } => "continued-from",
            Event::PendingJob(job) => job.name(),
            Event::ChildOptions { .. } => "child-options",
            Event::ResetFrom { .. } => "reset-from",
            Event::ResetTo { .. } => "reset-to",
            Event::Paused { .. } => "paused",
            Event::Unpaused { .. } => "unpaused",
            Event::ActivityPaused { .. } => "activity-paused",
            Event::ActivityUnpaused { .. } => "activity-unpaused",
            Event::ActivityReset { .. } => "activity-reset",
            Event::ActivityOptionsUpdated { .. } => "activity-options-updated",
            Event::Priority { .. } => "priority",
            Event::UserMetadata { .. } => "user-metadata",
            Event::Fairness(_) => "fairness",
            Event::ActivityFlow { .. } => "activity-flow",
            Event::ChildFlow { .. } => "child-flow",
            Event::Debounced { .. } => "debounced",
            Event::CurrentDetails { .. } => "current-details",
            Event::Arrived { .. } => "arrived",
            Event::CronSchedule { .. } => "cron-schedule",
        }
    }

    /// The time this event carries: when it happened, and the time in force for the
    /// events after it that carry none (the jobs and commands of a task, what arrived
    /// with an [`Event::Arrived`]).
    pub fn time_ms(&self) -> Option<u64> {
        match self {
            Event::ExecutionStarted(s) => Some(s.time_ms),
            Event::TaskStarted { time_ms }
            | Event::Arrived { time_ms }
            | Event::ActivityHeartbeat { time_ms, .. }
            | Event::ModuleChanged { time_ms, .. }
            | Event::Paused { time_ms, .. }
            | Event::Unpaused { time_ms, .. }
            | Event::ActivityPaused { time_ms, .. }
            | Event::ActivityUnpaused { time_ms, .. }
            | Event::ActivityReset { time_ms, .. }
            | Event::ActivityOptionsUpdated { time_ms, .. } => Some(*time_ms),
            _ => None,
        }
    }
}
