//! The workflow task: whether the last one failed, since when, and the jobs a failed
//! task carries into the next.
//!
//! | state \ event | `task-started`               | `command`        | `task-attempt-failed`              |
//! |---------------|------------------------------|------------------|------------------------------------|
//! | idle          | running                      | idle             | failing (since 0)                  |
//! | running       | running (streak ends)        | running, commands| failing (streak goes on, or starts)|
//! | failing       | running (retry, streak kept) | failing          | failing (one more attempt)         |
//!
//! A task is *running* from its `task-started` until the next one: a task that records
//! no failure succeeded, even with no commands (a signal that changed only the
//! workflow's state), and ends the streak of failures before it. *Failing* holds the
//! first failure of the streak, when it began, how many attempts were recorded (a retry
//! that failed again with nothing new to record adds none) and when the next is due.
//!
//! Carried jobs: the jobs recorded as `pending-job`s (before the first task of a run
//! begun by continue-as-new, or while the run was paused) and those of a failed task
//! that made no commands are delivered by the next task, before its own;
//! `task-started` takes them in.

use crate::history::{FailingTask, Job, TaskFailure};

/// Where the run's workflow task stands.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum TaskState {
    /// No task has run.
    #[default]
    Idle,
    /// A task started at `time_ms`; `streak` is the failing streak it retries, if any.
    Running {
        time_ms: u64,
        streak: Option<FailingTask>,
    },
    /// The last task failed.
    Failing(FailingTask),
}

/// The task in progress as far as carrying goes: its jobs, and whether it made
/// commands.
#[derive(Debug, Clone, PartialEq, Default)]
struct CurrentTask {
    jobs: Vec<Job>,
    commands: bool,
}

/// The run's workflow task.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskMachine {
    state: TaskState,
    current: Option<CurrentTask>,
    carried: Vec<Job>,
}

impl TaskMachine {
    pub fn state(&self) -> &TaskState {
        &self.state
    }

    /// The failing task, if the last task attempt failed.
    pub fn failing(&self) -> Option<&FailingTask> {
        match &self.state {
            TaskState::Failing(f) => Some(f),
            _ => None,
        }
    }

    /// Jobs the next task delivers first.
    pub fn carried(&self) -> &[Job] {
        &self.carried
    }

    /// A job recorded outside a task (before the first, or while paused).
    pub fn pending_job(&mut self, job: &Job) {
        self.carried.push(job.clone());
    }

    /// `task-started`: the carried jobs go to the new task.
    pub fn started(&mut self, time_ms: u64) {
        let streak = match std::mem::take(&mut self.state) {
            TaskState::Failing(f) => Some(f),
            TaskState::Idle | TaskState::Running { .. } => None,
        };
        self.state = TaskState::Running { time_ms, streak };
        self.current = Some(CurrentTask {
            jobs: std::mem::take(&mut self.carried),
            commands: false,
        });
    }

    /// A job delivered in the current task.
    pub fn job(&mut self, job: &Job) {
        if let Some(task) = &mut self.current {
            task.jobs.push(job.clone());
        }
    }

    /// A command the current task made.
    pub fn command(&mut self) {
        if let Some(task) = &mut self.current {
            task.commands = true;
        }
    }

    /// `task-attempt-failed`: the streak goes on (or starts), and a task that made no
    /// commands carries its jobs into the next.
    pub fn attempt_failed(&mut self, failure: &TaskFailure, retry_at_ms: u64) {
        let bump = |mut f: FailingTask| {
            f.attempts += 1;
            f.retry_at_ms = retry_at_ms;
            f
        };
        let first = |since_ms| FailingTask {
            failure: failure.clone(),
            since_ms,
            attempts: 1,
            retry_at_ms,
        };
        self.state = TaskState::Failing(match std::mem::take(&mut self.state) {
            TaskState::Idle => first(0),
            TaskState::Running { time_ms, streak } => streak.map_or_else(|| first(time_ms), bump),
            TaskState::Failing(f) => bump(f),
        });
        if self.current.as_ref().is_some_and(|t| !t.commands) {
            self.carried = self.current.take().expect("checked").jobs;
        }
    }
}
