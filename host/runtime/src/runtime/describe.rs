//! What a run is, where it stands and what it waits for: read from its stored record,
//! its history and its outcome, and (for the handler names) asked of its instance.
//! The HTTP API and anyone embedding a [`Host`] get the same answer; the API only
//! turns it into its body (`weft_runtime::bodies`).

use std::collections::BTreeMap;

use weft_types::SearchAttributeValue;

use super::{HandlerNames, Host, QueryError};
use crate::history::machines::{ChildClosed, ChildState as MachineChild};
use crate::history::{
    Event, FailingTask, History, Outcome, PauseInfo, PendingActivity, PendingTimer, RunState,
};
use crate::storage::{ModuleVersion, RunRecord, Status};

/// A run as `describe` shows it.
#[derive(Debug, Clone)]
pub struct RunDescription {
    /// Its record; an open run's `history_len` is read off its history.
    pub run: RunRecord,
    /// The deployed version of the module it runs on, if still known.
    pub module: Option<ModuleVersion>,
    /// When an open run last moved to another module version.
    pub module_moved_ms: Option<u64>,
    /// The run this one continued as new from.
    pub continued_from: Option<String>,
    /// The execution's cron schedule, and its next slot while the run is open (the
    /// slot it waits for if it has not started, else the first after now).
    pub cron: Option<(String, Option<u64>)>,
    /// The run a reset made this one from: its run id, the event index this run goes
    /// on from, and the reason.
    pub reset_from: Option<(String, u64, String)>,
    /// The run a reset of this one made.
    pub reset_to: Option<String>,
    /// The workflow that started this run as its child.
    pub parent_workflow_id: Option<String>,
    /// Its priority (1 highest … 5 lowest).
    pub priority: crate::flow::Priority,
    /// Its fairness key and weight, if its start gave one.
    pub fairness: Option<weft_model::Fairness>,
    /// While it is pending (a start past a workflow limit): the limit it waits on.
    pub pending: Option<String>,
    /// The memo: the start's, merged with the workflow's upserts.
    pub memo: BTreeMap<String, serde_json::Value>,
    /// The current search attributes, as indexed.
    pub search_attributes: BTreeMap<String, SearchAttributeValue>,
    /// The child workflows it started, in the order it started them.
    pub children: Vec<ChildRun>,
    /// What an open run waits for (empty once closed).
    pub waiting: Waiting,
    /// The reason of the first cancellation asked of a run that is open or ended
    /// cancelled.
    pub cancel_reason: Option<String>,
    /// How a closed run ended (`None` while open).
    pub outcome: Option<Outcome>,
    /// The names its handlers answer to, when its SDK reports them.
    pub handlers: Option<HandlerNames>,
    /// What its start said it is for.
    pub metadata: UserMetadata,
}

/// What a run's start said it is for, and what its workflow says it is doing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserMetadata {
    pub summary: Option<String>,
    pub details: Option<String>,
    /// The last `ctx.set_current_details(..)` (none once cleared).
    pub current_details: Option<String>,
}

impl UserMetadata {
    /// Read off a history's `UserMetadata` event and its last `CurrentDetails`.
    pub fn of(events: &[Event]) -> UserMetadata {
        let recorded = events.iter().take(8).find_map(|e| match e {
            Event::UserMetadata { summary, details } => Some(UserMetadata {
                summary: summary.clone(),
                details: details.clone(),
                current_details: None,
            }),
            _ => None,
        });
        UserMetadata {
            current_details: super::attributes::current_details_of(events),
            ..recorded.unwrap_or_default()
        }
    }
}

/// What an open run is waiting for.
#[derive(Debug, Clone, Default)]
pub struct Waiting {
    pub activities: Vec<PendingActivity>,
    pub timers: Vec<PendingTimer>,
    /// The workflow task that is failing and being retried, if any.
    pub failing_task: Option<FailingTask>,
    /// Why activities (by seq) have not started: a slot or a rate token they wait for.
    pub activity_waits: BTreeMap<u32, String>,
    /// Its pending futures with the lines of workflow code that made them (as
    /// [`Host::stack`] lists them).
    pub at: Vec<super::Frame>,
    /// Who paused the run and why, while it is paused (no task runs).
    pub paused: Option<PauseInfo>,
}

/// A child workflow a run started, as the run saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildRun {
    pub workflow_id: String,
    pub workflow_type: String,
    /// Its run, once started.
    pub run_id: Option<String>,
    pub state: ChildState,
}

/// Where a child stands as its parent saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildState {
    /// Asked for; the start is not resolved yet.
    Starting,
    Running,
    Completed,
    Failed,
    Cancelled,
    Terminated,
}

impl ChildState {
    /// `starting`, `running`, `completed`, `failed`, `cancelled` or `terminated`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChildState::Starting => "starting",
            ChildState::Running => "running",
            ChildState::Completed => "completed",
            ChildState::Failed => "failed",
            ChildState::Cancelled => "cancelled",
            ChildState::Terminated => "terminated",
        }
    }
}

impl Host {
    /// Describe the run `id` (a workflow id's latest run, or a run id). Only what the
    /// stored records lack is read from the history; a closed run's outcome comes
    /// from the outcome table, and an open run is asked for its handler names.
    pub async fn describe(&self, id: &str) -> Result<RunDescription, QueryError> {
        let mut description = self.describe_stored(id)?;
        description.handlers = self.handler_names(&description.run.run_id).await;
        if description.run.status.is_open() {
            let run_id = &description.run.run_id;
            description
                .waiting
                .at
                .extend(self.reported_waits(run_id).await);
        }
        Ok(description)
    }

    /// The cron schedule of `run`'s execution and, while it is open, its next slot.
    fn cron_of(&self, run: &RunRecord, history: &History) -> Option<(String, Option<u64>)> {
        let spec = history.cron_schedule()?.to_string();
        if !run.status.is_open() {
            return Some((spec, None));
        }
        let next = match super::start_gates::pending_cron(run, history) {
            Some((_, slot)) => Some(slot),
            None => crate::schedules::CompiledSpec::cron(&spec)
                .ok()
                .and_then(|s| s.next_after(self.inner.clock.now_ms())),
        };
        Some((spec, next))
    }

    /// [`Host::describe`] without asking the instance (no handler names).
    pub fn describe_stored(&self, id: &str) -> Result<RunDescription, QueryError> {
        let mut run = self.find_run(id)?;
        let inspector = self.inspect();
        // A closed run's history is read too, for the little it shows: the run it
        // continued, its parent and children, and a cancellation's reason.
        let history = History::new(inspector.history_of(&run)?);
        let state = history.state();
        let open = run.status.is_open();
        let (waiting, module_moved_ms) = if open {
            // The stored count is written at close; an open run's is read off its
            // history.
            run.history_len = history.events.len() as u64;
            let mut waiting = waiting_of(&state);
            waiting.activity_waits = (waiting.activities.iter())
                .filter_map(|a| {
                    let seq = a.schedule.seq;
                    Some((seq, self.inner.pools.waiting_for(&run.run_id, seq)?))
                })
                .collect();
            waiting.at = super::stack::frames(&history.events, &state);
            (waiting, moved_ms(&history))
        } else {
            (Waiting::default(), None)
        };
        let cancel_reason = if open || run.status == Status::Cancelled {
            cancel_reason(&state)
        } else {
            None
        };
        let outcome = if open { None } else { self.outcome(&run)? };
        let (reset_from, reset_to) = super::reset_links(&history.events);
        Ok(RunDescription {
            reset_from,
            reset_to,
            module: self
                .module_versions()
                .into_iter()
                .rev()
                .find(|v| v.digest == run.module_digest),
            module_moved_ms,
            continued_from: history.continued_from().map(str::to_string),
            cron: self.cron_of(&run, &history),
            parent_workflow_id: history.parent_workflow_id(),
            priority: state.priority(),
            fairness: state.fairness().cloned(),
            pending: self.inner.pending_reason(&run.run_id).or_else(|| {
                // An opening host takes a held debounced run up in the background.
                open.then(|| super::start_gates::debounce_reason(&run, &history))
                    .flatten()
                    .or_else(|| open.then(|| super::start_gates::cron_reason(&run, &history))?)
            }),
            // The memo is folded from the history (the store does not keep it apart,
            // so a payload codec covers it); the search attributes are the indexed
            // values.
            memo: super::memo_of(&history.events),
            search_attributes: inspector
                .attributes(&run.run_id)?
                .map(|a| a.search)
                .unwrap_or_default(),
            children: children_of(&state),
            waiting,
            cancel_reason,
            outcome,
            handlers: None,
            metadata: UserMetadata::of(&history.events),
            run,
        })
    }
}

/// What an open run's state machines say it waits for.
fn waiting_of(state: &RunState) -> Waiting {
    let (activities, timers) = state.pending();
    Waiting {
        activities,
        timers,
        failing_task: state.failing_task(),
        activity_waits: BTreeMap::new(),
        at: Vec::new(),
        paused: state.paused().cloned(),
    }
}

/// When the run last moved to another module version.
fn moved_ms(history: &History) -> Option<u64> {
    history.events.iter().rev().find_map(|e| match e {
        Event::ModuleChanged { time_ms, .. } => Some(*time_ms),
        _ => None,
    })
}

/// The first cancellation asked of the run, if any (asking again records nothing).
fn cancel_reason(state: &RunState) -> Option<String> {
    state.cancel().reason().map(str::to_string)
}

/// The children a run started, and where each stands as the run saw it.
fn children_of(state: &RunState) -> Vec<ChildRun> {
    state
        .children()
        .iter()
        .map(|child| ChildRun {
            workflow_id: (child.start().workflow_id.clone())
                .unwrap_or_else(|| format!("child-{}", child.seq())),
            workflow_type: child.start().workflow_type.clone(),
            run_id: child.run_id().map(str::to_string),
            state: match child.state() {
                MachineChild::Starting => ChildState::Starting,
                MachineChild::Running { .. } => ChildState::Running,
                MachineChild::Closed { how, .. } => match how {
                    ChildClosed::Completed => ChildState::Completed,
                    ChildClosed::Failed => ChildState::Failed,
                    ChildClosed::Cancelled => ChildState::Cancelled,
                    ChildClosed::Terminated => ChildState::Terminated,
                },
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::vocab::{
        ChildResolution, ParentClosePolicy, ResolveChildWorkflow, StartChildWorkflow,
    };
    use crate::history::{Command, IssuedCommand, Job, Payload};

    fn start_child(seq: u32, workflow_id: Option<&str>) -> Event {
        Event::Command(IssuedCommand {
            command: Command::StartChildWorkflow(StartChildWorkflow {
                seq,
                workflow_type: "greeter".into(),
                input: Payload::json(&serde_json::Value::Null),
                workflow_id: workflow_id.map(str::to_string),
                parent_close_policy: ParentClosePolicy::Terminate,
            }),
            location: None,
        })
    }

    fn resolve(seq: u32, resolution: ChildResolution) -> Event {
        Event::Job(Job::ResolveChildWorkflow(ResolveChildWorkflow {
            seq,
            resolution,
        }))
    }

    /// Children are listed in the order started, each where its last resolution left
    /// it; the first cancellation's reason and the last module move are read off.
    #[test]
    fn a_history_says_where_children_stand_and_what_was_asked() {
        let history = History::new(vec![
            Event::TaskStarted { time_ms: 1 },
            start_child(1, Some("named")),
            start_child(2, None),
            resolve(1, ChildResolution::Started("run-1".into())),
            resolve(
                1,
                ChildResolution::Completed(Payload::json(&serde_json::json!(1))),
            ),
            Event::CancelRequested {
                reason: "first".into(),
            },
            Event::CancelRequested {
                reason: "second".into(),
            },
            Event::ModuleChanged {
                from_digest: "a".into(),
                to_digest: "b".into(),
                time_ms: 7,
            },
        ]);
        let children = children_of(&history.state());
        assert_eq!(
            children
                .iter()
                .map(|c| (c.workflow_id.as_str(), c.run_id.as_deref(), c.state))
                .collect::<Vec<_>>(),
            [
                ("named", Some("run-1"), ChildState::Completed),
                ("child-2", None, ChildState::Starting),
            ]
        );
        assert_eq!(ChildState::Starting.as_str(), "starting");
        assert_eq!(cancel_reason(&history.state()).as_deref(), Some("first"));
        assert_eq!(moved_ms(&history), Some(7));
    }
}
