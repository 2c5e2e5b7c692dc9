//! An execution's history: what happened, in order, as the workflow saw it.
//!
//! The history speaks its own vocabulary ([`vocab`]), not the types generated from the
//! WIT contract, and is stored in a versioned encoding ([`codec`]). Its file form
//! (`history::export`) lives with the runtime, beside the payload codec it shows.

mod children;
pub mod codec;
mod event;
pub mod format_7;
pub mod machines;
pub mod markers;
pub mod vocab;

pub use children::PendingChild;
pub use codec::{DecodeError, FORMAT_VERSION};
pub use event::{Event, ExecutionStarted};
pub use machines::{PauseInfo, RunState};
pub use vocab::{
    Activation, Command, Failure, IssuedCommand, Job, Payload, ScheduleActivity, TaskFailure,
};

/// One recorded workflow task that completed: the activation delivered (carried jobs of
/// failed attempts first) and the commands it produced.
#[derive(Debug, Clone)]
pub struct RecordedTask {
    /// Index of the task's `TaskStarted` event.
    pub index: usize,
    pub activation: Activation,
    /// The recorded commands with their event indexes.
    pub commands: Vec<(usize, IssuedCommand)>,
    /// Index of the first event after the task.
    pub end: usize,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Outcome {
    Completed(Payload),
    Failed(Failure),
    Cancelled,
    Terminated(String),
    ContinuedAsNew,
    /// A run or execution timeout closed the run.
    TimedOut(String),
}

impl Outcome {
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
                Failure::new(f.to_string(), "weft.WorkflowTaskFailed").non_retryable(),
            )),
            Event::Terminated { reason } => Some(Outcome::Terminated(reason.clone())),
            Event::TimedOut { reason } => Some(Outcome::TimedOut(reason.clone())),
            _ => None,
        }
    }
}

/// An activity scheduled and not yet resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingActivity {
    pub schedule: ScheduleActivity,
    pub scheduled_ms: u64,
    /// The attempt to run next (1-based).
    pub next_attempt: u32,
    /// Not before this time (a retry's backoff).
    pub not_before_ms: u64,
    /// Why the previous attempt failed.
    pub last_failure: Option<Failure>,
    /// The last recorded heartbeat of any attempt.
    pub last_heartbeat: Option<Heartbeat>,
    /// The workflow asked for the activity to be cancelled.
    pub cancel_requested: bool,
    /// A local activity whose backoff outlived its workflow task.
    pub local: bool,
    /// Paused by an operator (`weft activity pause`): no new attempt starts.
    pub paused: bool,
    /// What it set for itself (`activity-flow`); unset fields are its run's.
    pub flow: crate::Flow,
}

/// Progress an activity reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Heartbeat {
    pub attempt: u32,
    pub details: Option<Payload>,
    pub time_ms: u64,
}

impl PendingActivity {
    /// Attempt `attempt` failed with `failure`; the next one starts at `retry_at_ms`.
    fn failed(&mut self, attempt: u32, failure: &Failure, retry_at_ms: u64) {
        self.next_attempt = attempt + 1;
        self.not_before_ms = retry_at_ms;
        self.last_failure = Some(failure.clone());
    }

    /// An activity scheduled at `now_ms`, before its first attempt.
    pub fn new(schedule: ScheduleActivity, now_ms: u64) -> PendingActivity {
        PendingActivity {
            schedule,
            scheduled_ms: now_ms,
            next_attempt: 1,
            not_before_ms: now_ms,
            last_failure: None,
            last_heartbeat: None,
            cancel_requested: false,
            local: false,
            paused: false,
            flow: crate::Flow::default(),
        }
    }
}

/// A timer started and neither fired nor cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingTimer {
    pub seq: u32,
    pub fire_at_ms: u64,
}

/// The workflow task that is failing: its first recorded failure in the current streak.
#[derive(Debug, Clone, PartialEq)]
pub struct FailingTask {
    pub failure: TaskFailure,
    /// When the first failure of the streak was recorded.
    pub since_ms: u64,
    /// Failed attempts recorded in the streak.
    pub attempts: u32,
    pub retry_at_ms: u64,
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

    /// The cron schedule of the run's execution (its `CronSchedule`).
    pub fn cron_schedule(&self) -> Option<&str> {
        cron_schedule(&self.events).map(|(spec, _)| spec)
    }

    /// The run this one continued as new from (its `ContinuedFrom`).
    pub fn continued_from(&self) -> Option<&str> {
        continued_from(&self.events)
    }

    /// The run's `start-workflow` job (delivered, or pending for a run that continued
    /// another): its input, parent, memo and search attributes.
    pub fn start_job(&self) -> Option<&vocab::StartWorkflow> {
        self.events.iter().take(6).find_map(|e| match e {
            Event::Job(Job::StartWorkflow(s)) | Event::PendingJob(Job::StartWorkflow(s)) => Some(s),
            _ => None,
        })
    }

    /// The recorded workflow tasks that completed, in order.
    pub fn tasks(&self) -> Vec<RecordedTask> {
        tasks(&self.events).0
    }

    /// Jobs recorded in failed tasks after the last completed one: the next task
    /// delivers them.
    pub fn carried_jobs(&self) -> Vec<Job> {
        self.state().carried_jobs()
    }

    /// How the run ended, if it has.
    pub fn outcome(&self) -> Option<Outcome> {
        self.events.iter().rev().find_map(Outcome::of_event)
    }

    /// The run's state: its history folded through the run's state machines.
    pub fn state(&self) -> RunState {
        RunState::fold(&self.events)
    }

    /// The failing workflow task, if the last task attempt failed.
    pub fn failing_task(&self) -> Option<FailingTask> {
        self.state().failing_task()
    }

    /// Activities and timers still waiting for their result (see
    /// [`RunState::pending`]).
    pub fn pending(&self) -> (Vec<PendingActivity>, Vec<PendingTimer>) {
        self.state().pending()
    }

    /// The earliest deadline the run must close by, and which timeout sets it.
    pub fn deadline(&self) -> Option<(u64, &'static str)> {
        self.opening_state().deadline()
    }

    /// The run's recorded deadlines: its run timeout's and its execution's.
    pub fn deadlines(&self) -> (Option<u64>, Option<u64>) {
        self.opening_state().deadlines()
    }

    /// The run's priority (recorded among its first events; the default if not).
    pub fn priority(&self) -> crate::Priority {
        self.opening_state().priority()
    }

    /// The state after the first events only: enough for what a run records as it
    /// starts (its deadlines, priority and fairness), without folding the rest.
    pub fn opening_state(&self) -> RunState {
        RunState::fold(self.events.iter().take(machines::DEADLINES_WITHIN))
    }

    /// Bytes the events take encoded, as `history-info` counts them.
    pub fn encoded_size(&self) -> u64 {
        self.events.iter().map(codec::encoded_len).sum()
    }
}

/// The cron schedule of the execution of `events` and the timeout of each of its runs:
/// its `CronSchedule`, among the opening events (before the first task).
pub fn cron_schedule(events: &[Event]) -> Option<(&str, Option<u64>)> {
    (events.iter())
        .take_while(|e| !matches!(e, Event::TaskStarted { .. }))
        .find_map(|e| match e {
            Event::CronSchedule {
                spec,
                run_timeout_ms,
            } => Some((spec.as_str(), *run_timeout_ms)),
            _ => None,
        })
}

/// The run that the run of `events` continued as new from: its `ContinuedFrom`, among
/// the first events.
pub fn continued_from(events: &[Event]) -> Option<&str> {
    events.iter().take(4).find_map(|e| match e {
        Event::ContinuedFrom { run_id } => Some(run_id.as_str()),
        _ => None,
    })
}

/// The completed workflow tasks of `events`, in order, and the jobs carried past the
/// last of them by failed tasks.
pub fn tasks(events: &[Event]) -> (Vec<RecordedTask>, Vec<Job>) {
    let mut tasks: Vec<RecordedTask> = Vec::new();
    let mut carried: Vec<Job> = Vec::new();
    for (index, event) in events.iter().enumerate() {
        match event {
            Event::TaskStarted { time_ms } => tasks.push(RecordedTask {
                index,
                activation: Activation {
                    jobs: std::mem::take(&mut carried),
                    time_ms: *time_ms,
                    is_replaying: true,
                },
                commands: Vec::new(),
                end: index + 1,
            }),
            Event::Job(job) => {
                if let Some(task) = tasks.last_mut() {
                    task.activation.jobs.push(job.clone());
                    task.end = index + 1;
                }
            }
            Event::Command(c) => {
                if let Some(task) = tasks.last_mut() {
                    task.commands.push((index, c.clone()));
                    task.end = index + 1;
                }
            }
            // Part of the task: what its child start asked for, what it said it does.
            Event::ChildOptions { .. } | Event::CurrentDetails { .. } => {
                if let Some(task) = tasks.last_mut() {
                    task.end = index + 1;
                }
            }
            // Recorded before any task, or while the run was paused: the next task
            // delivers it.
            Event::PendingJob(job) => carried.push(job.clone()),
            // The failed task made no commands; its jobs go to the next task.
            Event::TaskAttemptFailed { .. }
                if tasks.last().is_some_and(|t| t.commands.is_empty()) =>
            {
                carried = tasks.pop().expect("checked").activation.jobs;
            }
            _ => {}
        }
    }
    (tasks, carried)
}

#[cfg(test)]
mod tests {
    use super::vocab::{ActivityOptions, IssuedCommand, ScheduleActivity};
    use super::*;

    fn command(command: Command) -> Event {
        Event::Command(IssuedCommand {
            command,
            location: None,
        })
    }

    fn schedule(seq: u32) -> ScheduleActivity {
        ScheduleActivity {
            seq,
            activity_type: "poll".into(),
            input: Payload::json(&serde_json::Value::Null),
            options: ActivityOptions {
                task_queue: None,
                start_to_close_timeout_ms: 1_000,
                schedule_to_close_timeout_ms: None,
                schedule_to_start_timeout_ms: None,
                heartbeat_timeout_ms: Some(500),
                retry_policy: None,
            },
        }
    }

    /// What a restart re-arms: an activity whose cancellation was recorded is marked
    /// (the host resolves it as cancelled without running it), the last heartbeat is
    /// carried, and a local activity is pending only once a long backoff was recorded.
    #[test]
    fn pending_activities_keep_cancellation_heartbeats_and_local_backoffs() {
        let history = History::new(vec![
            Event::TaskStarted { time_ms: 10 },
            command(Command::ScheduleActivity(schedule(1))),
            command(Command::ScheduleActivity(schedule(2))),
            command(Command::ScheduleLocalActivity(schedule(1))),
            command(Command::ScheduleLocalActivity(schedule(2))),
            Event::ActivityHeartbeat {
                seq: 2,
                attempt: 1,
                details: Some(Payload::json(&serde_json::json!(7))),
                time_ms: 15,
            },
            Event::LocalActivityAttemptFailed {
                seq: 2,
                attempt: 1,
                failure: Failure::new("down", "Unavailable"),
                retry_at_ms: 120_010,
            },
            Event::TaskStarted { time_ms: 20 },
            command(Command::RequestCancelActivity(1)),
        ]);
        let (pending, _) = history.pending();
        let view: Vec<(u32, bool, bool, Option<u32>, u64)> = pending
            .iter()
            .map(|a| {
                (
                    a.schedule.seq,
                    a.local,
                    a.cancel_requested,
                    a.last_heartbeat.as_ref().map(|h| h.attempt),
                    a.not_before_ms,
                )
            })
            .collect();
        assert_eq!(
            view,
            [
                (1, false, true, None, 10),
                (2, false, false, Some(1), 10),
                (2, true, false, None, 120_010),
            ]
        );
        assert_eq!(pending[2].next_attempt, 2);
    }
}
