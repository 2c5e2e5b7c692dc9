//! An execution's history: what happened, in order, as the workflow saw it.

mod event;
pub mod export;

pub use event::{job_name, Event, ExecutionStarted, FORMAT_VERSION};

use crate::contract::{Activation, Command, Failure, IssuedCommand, Payload, ScheduleActivity};
use crate::storage::Status;

/// One recorded workflow task: the activation delivered and the commands it produced.
#[derive(Debug, Clone)]
pub struct RecordedTask {
    /// Index of the task's `TaskStarted` event.
    pub index: usize,
    pub activation: Activation,
    /// The recorded commands with their event indexes.
    pub commands: Vec<(usize, IssuedCommand)>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Completed(Payload),
    Failed(Failure),
    Cancelled,
    Terminated(String),
    ContinuedAsNew,
}

impl Outcome {
    pub fn status(&self) -> Status {
        match self {
            Outcome::Completed(_) => Status::Completed,
            Outcome::Failed(_) => Status::Failed,
            Outcome::Cancelled => Status::Cancelled,
            Outcome::Terminated(_) => Status::Terminated,
            Outcome::ContinuedAsNew => Status::ContinuedAsNew,
        }
    }

    /// The outcome a command implies, if it closes the run.
    pub fn of_command(command: &Command) -> Option<Outcome> {
        match command {
            Command::CompleteWorkflow(p) => Some(Outcome::Completed(p.clone())),
            Command::FailWorkflow(f) => Some(Outcome::Failed(f.clone())),
            Command::CancelWorkflowConfirmed => Some(Outcome::Cancelled),
            Command::ContinueAsNew(_) => Some(Outcome::ContinuedAsNew),
            _ => None,
        }
    }

    /// The outcome an event implies, if it closes the run.
    pub fn of_event(event: &Event) -> Option<Outcome> {
        match event {
            Event::Command(c) => Outcome::of_command(&c.command),
            Event::TaskFailed(f) => Some(Outcome::Failed(
                Failure::new(task_failure_message(f), "weft.WorkflowTaskFailed").non_retryable(),
            )),
            Event::Terminated { reason } => Some(Outcome::Terminated(reason.clone())),
            _ => None,
        }
    }
}

/// A task failure as one line a person can act on.
pub fn task_failure_message(f: &crate::contract::TaskFailure) -> String {
    match &f.location {
        Some(loc) => format!("workflow task failed at {loc}: {}", f.message),
        None => format!("workflow task failed: {}", f.message),
    }
}

/// An activity scheduled and not yet resolved.
#[derive(Debug, Clone)]
pub struct PendingActivity {
    pub schedule: ScheduleActivity,
    pub scheduled_ms: u64,
    /// The attempt to run next (1-based).
    pub next_attempt: u32,
    /// Not before this time (a retry's backoff).
    pub not_before_ms: u64,
    /// Why the previous attempt failed.
    pub last_failure: Option<Failure>,
}

impl PendingActivity {
    /// An activity scheduled at `now_ms`, before its first attempt.
    pub fn new(schedule: ScheduleActivity, now_ms: u64) -> PendingActivity {
        PendingActivity {
            schedule,
            scheduled_ms: now_ms,
            next_attempt: 1,
            not_before_ms: now_ms,
            last_failure: None,
        }
    }
}

/// A timer started and neither fired nor cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingTimer {
    pub seq: u32,
    pub fire_at_ms: u64,
}

/// A history held in memory.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub events: Vec<Event>,
}

impl History {
    pub fn new(events: Vec<Event>) -> History {
        History { events }
    }

    pub fn started(&self) -> Option<&ExecutionStarted> {
        match self.events.first() {
            Some(Event::ExecutionStarted(s)) => Some(s),
            _ => None,
        }
    }

    /// The recorded workflow tasks, in order.
    pub fn tasks(&self) -> Vec<RecordedTask> {
        tasks(&self.events)
    }

    /// How the run ended, if it has.
    pub fn outcome(&self) -> Option<Outcome> {
        self.events.iter().rev().find_map(Outcome::of_event)
    }

    /// Activities and timers still waiting for their result.
    pub fn pending(&self) -> (Vec<PendingActivity>, Vec<PendingTimer>) {
        let mut activities: Vec<PendingActivity> = Vec::new();
        let mut timers: Vec<PendingTimer> = Vec::new();
        let mut now = 0;
        for event in &self.events {
            match event {
                Event::TaskStarted { time_ms } => now = *time_ms,
                Event::Command(c) => match &c.command {
                    Command::ScheduleActivity(s) => {
                        activities.push(PendingActivity::new(s.clone(), now))
                    }
                    Command::StartTimer(t) => timers.push(PendingTimer {
                        seq: t.seq,
                        fire_at_ms: now + t.duration_ms,
                    }),
                    Command::CancelTimer(seq) => timers.retain(|t| t.seq != *seq),
                    _ => {}
                },
                Event::Job(crate::contract::Job::ResolveActivity(r)) => {
                    activities.retain(|a| a.schedule.seq != r.seq)
                }
                Event::Job(crate::contract::Job::FireTimer(seq)) => {
                    timers.retain(|t| t.seq != *seq)
                }
                Event::ActivityAttemptFailed {
                    seq,
                    attempt,
                    retry_at_ms,
                    failure,
                } => {
                    if let Some(a) = activities.iter_mut().find(|a| a.schedule.seq == *seq) {
                        a.next_attempt = attempt + 1;
                        a.not_before_ms = *retry_at_ms;
                        a.last_failure = Some(failure.clone());
                    }
                }
                _ => {}
            }
        }
        (activities, timers)
    }

    /// Bytes the history takes encoded.
    pub fn encoded_size(&self) -> u64 {
        postcard::to_stdvec(&self.events)
            .map(|v| v.len() as u64)
            .unwrap_or(0)
    }
}

/// The recorded workflow tasks of `events`, in order.
pub fn tasks(events: &[Event]) -> Vec<RecordedTask> {
    let mut tasks: Vec<RecordedTask> = Vec::new();
    for (index, event) in events.iter().enumerate() {
        match event {
            Event::TaskStarted { time_ms } => tasks.push(RecordedTask {
                index,
                activation: Activation {
                    jobs: Vec::new(),
                    time_ms: *time_ms,
                    is_replaying: true,
                },
                commands: Vec::new(),
            }),
            Event::Job(job) => {
                if let Some(task) = tasks.last_mut() {
                    task.activation.jobs.push(job.clone());
                }
            }
            Event::Command(c) => {
                if let Some(task) = tasks.last_mut() {
                    task.commands.push((index, c.clone()));
                }
            }
            _ => {}
        }
    }
    tasks
}
