//! Reset: an execution goes on from one of its workflow tasks in a new run, as
//! Temporal's reset does. It repairs a run that a bug broke: deploy the fixed module,
//! then reset the run to a task before the bug; the task runs again on the new module.
//!
//! | what                  | the new run (same workflow id, a new run id)                  |
//! |-----------------------|---------------------------------------------------------------|
//! | events before the task| copied (its own `execution-started`, its own run id in the    |
//! |                       | start job), so they replay as they did                        |
//! | `reset-from`          | the old run, the task's event index, the reason               |
//! | pending jobs          | the task's jobs, then the signals and updates recorded after  |
//! |                       | it (`--reapply`), delivered by the first task                 |
//! | the old run           | `reset-to` (the new run) recorded; an open run is closed as   |
//! |                       | terminated in the same commit, a closed one keeps its outcome |
//!
//! What the old run had pending at the task (activities, timers, children) is pending
//! again: activities run again, timers fire at their time. Before anything is written,
//! the copied events are replayed on the module the new run gets (the newest deployed
//! for its type): a reset that would only fail its first task is refused with the
//! divergence.

use std::str::FromStr;
use tokio::sync::oneshot;

use super::execution::NextRun;
use super::{Host, HostInner, Message, MessageError, QueryError, RunHandle};
use crate::history::{Event, ExecutionStarted, Job, FORMAT_VERSION};
use crate::storage::{durable, RunAttributes, RunRecord, Status, Write};

/// The workflow task a reset goes back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetPoint {
    /// The run's first workflow task: it starts over.
    FirstTask,
    /// The run's last workflow task: it runs again.
    LastTask,
    /// The workflow task that starts at this event index (`task-started`).
    Event(u64),
}

impl FromStr for ResetPoint {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "first-task" => Ok(ResetPoint::FirstTask),
            "last-task" => Ok(ResetPoint::LastTask),
            n => n.parse().map(ResetPoint::Event).map_err(|_| {
                format!(
                    "`{s}` is not a reset point: give `first-task`, `last-task` or the index \
                     of a `task-started` event (`weft history show` numbers them)"
                )
            }),
        }
    }
}

/// Which messages recorded after the reset point the new run receives again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reapply {
    /// Signals and updates (the default).
    #[default]
    All,
    Signals,
    Updates,
    None,
}

impl FromStr for Reapply {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "all" => Ok(Reapply::All),
            "signals" => Ok(Reapply::Signals),
            "updates" => Ok(Reapply::Updates),
            "none" => Ok(Reapply::None),
            _ => Err(format!(
                "`{s}` is not what to reapply: give `signals`, `updates`, `all` or `none`"
            )),
        }
    }
}

impl Reapply {
    fn takes(self, job: &Job) -> bool {
        match job {
            Job::Signal(_) => matches!(self, Reapply::All | Reapply::Signals),
            Job::Update(_) => matches!(self, Reapply::All | Reapply::Updates),
            _ => false,
        }
    }
}

/// A reset as asked for.
#[derive(Debug, Clone)]
pub struct ResetRequest {
    pub to: ResetPoint,
    pub reapply: Reapply,
    pub reason: String,
}

/// What a reset did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetOutcome {
    pub workflow_id: String,
    /// The run that was reset.
    pub from_run_id: String,
    /// The new run.
    pub run_id: String,
    /// The index of the `task-started` event the new run goes on from.
    pub event_index: u64,
}

/// Why a reset was refused.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    #[error("no execution with id `{0}`")]
    NotFound(String),
    /// A bad reset point, reason or run.
    #[error("{0}")]
    Invalid(String),
    /// The run is not the execution's latest, or its history does not replay on the
    /// module the new run would get.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Message(#[from] MessageError),
}

impl From<QueryError> for ResetError {
    fn from(e: QueryError) -> ResetError {
        match e {
            QueryError::NotFound(id) => ResetError::NotFound(id),
            e => ResetError::Message(MessageError::Unavailable(e.to_string())),
        }
    }
}

/// Where a history is cut, and what the new run's first task delivers.
#[derive(Debug, PartialEq)]
pub(crate) struct Cut {
    /// The index of the reset task's `task-started`: the events before it are copied.
    pub index: usize,
    pub jobs: Vec<Job>,
}

/// Cut `events` at the workflow task `to` names.
pub(crate) fn cut(events: &[Event], to: ResetPoint, reapply: Reapply) -> Result<Cut, String> {
    let starts: Vec<usize> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, Event::TaskStarted { .. }))
        .map(|(i, _)| i)
        .collect();
    let index = match to {
        ResetPoint::FirstTask => starts.first().copied(),
        ResetPoint::LastTask => starts.last().copied(),
        ResetPoint::Event(n) => {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if !starts.contains(&n) {
                return Err(not_a_task(events, n, &starts));
            }
            Some(n)
        }
    }
    .ok_or("the run has run no workflow task yet: there is nothing to reset to")?;
    // The task's own jobs run again; what came after it is reapplied as asked.
    let own = events[index + 1..]
        .iter()
        .take_while(|e| matches!(e, Event::Job(_)))
        .count();
    let mut jobs: Vec<Job> = events[index + 1..index + 1 + own]
        .iter()
        .filter_map(|e| match e {
            Event::Job(job) => Some(job.clone()),
            _ => None,
        })
        .collect();
    // (A pending job after the task is a message an earlier reset reapplied.)
    jobs.extend(events[index + 1 + own..].iter().filter_map(|e| match e {
        Event::Job(job) | Event::PendingJob(job) if reapply.takes(job) => Some(job.clone()),
        _ => None,
    }));
    Ok(Cut { index, jobs })
}

fn not_a_task(events: &[Event], n: usize, starts: &[usize]) -> String {
    let what = match events.get(n) {
        Some(e) => format!("event {n} is a `{}`", e.name()),
        None => format!("the run has {} events, none at {n}", events.len()),
    };
    let listed: Vec<String> = starts.iter().take(12).map(|i| i.to_string()).collect();
    let more = if starts.len() > 12 { ", …" } else { "" };
    format!(
        "{what}, not the start of a workflow task; its workflow tasks start at events {}{more}",
        listed.join(", ")
    )
}

/// The new run's events: the copied ones (under `started`), `reset-from`, and the
/// jobs of `cut` pending.
pub(crate) fn new_run_events(
    events: &[Event],
    cut: Cut,
    started: ExecutionStarted,
    from_run_id: &str,
    reason: &str,
) -> Vec<Event> {
    let run_id = started.run_id.clone();
    let own = |job: &Job| match job {
        Job::StartWorkflow(s) => {
            let mut s = s.clone();
            s.run_id = run_id.clone();
            Job::StartWorkflow(s)
        }
        job => job.clone(),
    };
    let mut out = Vec::with_capacity(cut.index + cut.jobs.len() + 1);
    out.push(Event::ExecutionStarted(started));
    out.extend(events[1..cut.index].iter().map(|e| match e {
        Event::Job(job) => Event::Job(own(job)),
        Event::PendingJob(job) => Event::PendingJob(own(job)),
        e => e.clone(),
    }));
    out.push(Event::ResetFrom {
        run_id: from_run_id.to_string(),
        event_index: cut.index as u64,
        reason: reason.to_string(),
    });
    out.extend(cut.jobs.iter().map(|job| Event::PendingJob(own(job))));
    out
}

impl HostInner {
    /// The new run a reset of `old` (whose history is `events`) makes, checked to
    /// replay on its module; and the index it goes on from.
    pub(crate) fn reset_run(
        &self,
        old: &RunRecord,
        events: &[Event],
        request: &ResetRequest,
        mut attributes: RunAttributes,
    ) -> Result<(NextRun, u64), ResetError> {
        let cut = cut(events, request.to, request.reapply).map_err(ResetError::Invalid)?;
        let index = cut.index as u64;
        // The new run goes on from the point: its details are the ones said by then.
        attributes.current_details =
            crate::runtime::attributes::current_details_of(&events[..cut.index]);
        let module = match self.newest_module_for(&old.workflow_type) {
            Some(module) => module,
            None => self
                .module_by_digest(&old.module_digest)
                .map_err(|e| ResetError::Conflict(format!("the run's module: {e}")))?,
        };
        let time_ms = self.clock.now_ms();
        let run_id = self.entropy.id();
        let started = ExecutionStarted {
            workflow_type: old.workflow_type.clone(),
            workflow_id: old.workflow_id.clone(),
            run_id: run_id.clone(),
            module_digest: module.digest.clone(),
            time_ms,
        };
        let events = new_run_events(events, cut, started, &old.run_id, &request.reason);
        let mut instance = self
            .engine
            .instantiate(&module, &old.workflow_id)
            .map_err(|e| ResetError::Conflict(e.to_string()))?;
        crate::replay::replay_into(&mut instance, &events[..index as usize]).map_err(|e| {
            ResetError::Conflict(format!(
                "the run's history up to event {index} does not replay on module {}: {e}",
                short(&module.digest)
            ))
        })?;
        let record = RunRecord {
            workflow_id: old.workflow_id.clone(),
            run_id,
            workflow_type: old.workflow_type.clone(),
            module_digest: module.digest.clone(),
            status: Status::Running,
            start_ms: time_ms,
            close_ms: None,
            history_len: 0,
            format_version: FORMAT_VERSION,
        };
        Ok((NextRun::new(record, module, events, attributes), index))
    }
}

fn short(digest: &str) -> &str {
    &digest[..digest.len().min(12)]
}

/// The actor's answer to a reset of its open run.
pub(crate) type ResetReply = oneshot::Sender<Result<ResetOutcome, ResetError>>;

impl Host {
    /// Reset the execution `id` (a workflow id, or the run id of its latest run) to a
    /// workflow task: a new run goes on from there (see the module's table). An open run
    /// is closed as terminated; a closed one (failed, completed, …) keeps its outcome.
    pub async fn reset(&self, id: &str, request: ResetRequest) -> Result<ResetOutcome, ResetError> {
        if let Some(error) = self.failure() {
            return Err(MessageError::Stopped(error).into());
        }
        if request.reason.trim().is_empty() {
            return Err(ResetError::Invalid(
                "a reset needs a reason (it is recorded in both runs' histories)".into(),
            ));
        }
        // A run that closes between the look-up and the message sends us round again.
        for _ in 0..4 {
            let record = self.inspect().find_run(id)?;
            let latest = self.inner.storage.latest_run(&record.workflow_id);
            let latest = latest.map_err(|e| MessageError::Unavailable(e.to_string()))?;
            if latest.as_ref().is_some_and(|l| l.run_id != record.run_id) {
                let latest = latest.expect("checked");
                return Err(ResetError::Conflict(format!(
                    "run {} is not the latest run of `{}` (run {} is, {}): reset that one",
                    record.run_id,
                    record.workflow_id,
                    latest.run_id,
                    latest.status.name()
                )));
            }
            let answer = match record.status.is_open() {
                true => self.reset_open(&record, &request).await,
                false => self.reset_closed(&record, &request).await.map(Some),
            };
            if let Some(outcome) = answer? {
                tracing::info!(workflow = %outcome.workflow_id, from = %outcome.from_run_id,
                    run = %outcome.run_id, event = outcome.event_index, "reset");
                return Ok(outcome);
            }
        }
        Err(MessageError::Unavailable(format!("execution `{id}` keeps changing; try again")).into())
    }

    /// Ask the actor of the open run to reset it; `None` when it closed first.
    async fn reset_open(
        &self,
        record: &RunRecord,
        request: &ResetRequest,
    ) -> Result<Option<ResetOutcome>, ResetError> {
        let (reply, answer) = oneshot::channel();
        let message = Message::Reset {
            request: request.clone(),
            reply,
            busy: self.inner.clock.busy(),
        };
        if !self.inner.send(&record.run_id, message) {
            return Ok(None);
        }
        match answer.await {
            Ok(Ok(outcome)) => {
                // Closed by then: the caller's next look sees the new run.
                let _ = self.wait(&record.run_id).await;
                Ok(Some(outcome))
            }
            Ok(Err(ResetError::Message(MessageError::Closed { .. }))) | Err(_) => Ok(None),
            Ok(Err(e)) => Err(e),
        }
    }

    /// Reset a closed run: claim its workflow id, then record the new run and the
    /// closed run's `reset-to` in one commit.
    async fn reset_closed(
        &self,
        record: &RunRecord,
        request: &ResetRequest,
    ) -> Result<ResetOutcome, ResetError> {
        let events = self.inspect().history_of(record)?;
        let attributes = self
            .inspect()
            .attributes(&record.run_id)?
            .unwrap_or_default();
        let (next, event_index) = self.inner.reset_run(record, &events, request, attributes)?;
        let handle = RunHandle {
            workflow_id: record.workflow_id.clone(),
            run_id: next.run_id().to_string(),
        };
        {
            let mut open = self.inner.open.lock().unwrap();
            if let Some(run) = open.get(&record.workflow_id) {
                return Err(ResetError::Conflict(format!(
                    "execution `{}` has an open run now ({}): reset that one",
                    record.workflow_id, run.run_id
                )));
            }
            open.insert(record.workflow_id.clone(), handle.clone());
        }
        let mut old = record.clone();
        old.history_len = events.len() as u64 + 1;
        let link = Event::ResetTo {
            run_id: handle.run_id.clone(),
            reason: request.reason.clone(),
        };
        // The old record first: the new one's write points the workflow id at it.
        let mut writes = vec![
            Write::PutRun(old),
            Write::Append {
                run_id: record.run_id.clone(),
                first_index: events.len() as u64,
                events: self
                    .inner
                    .codec
                    .encode_chunk(record.format_version, &[link])
                    .0,
            },
        ];
        writes.extend(next.writes(&self.inner.codec));
        writes.push(Write::Fence {
            workflow_id: record.workflow_id.clone(),
        });
        if let Err(e) = durable(self.inner.storage.commit(writes)).await {
            self.inner.open.lock().unwrap().remove(&record.workflow_id);
            return Err(match e.is_fatal() {
                true => MessageError::OutcomeUnknown(e.to_string()),
                false => MessageError::Unavailable(e.to_string()),
            }
            .into());
        }
        next.admit(&self.inner);
        self.inner.adopt(next);
        Ok(ResetOutcome {
            workflow_id: handle.workflow_id,
            from_run_id: record.run_id.clone(),
            run_id: handle.run_id,
            event_index,
        })
    }
}

/// The runs a reset linked: the run this one was reset from (its `reset-from`: run id,
/// event index, reason) and the run it was reset to.
pub fn reset_links(events: &[Event]) -> (Option<(String, u64, String)>, Option<String>) {
    let mut from = None;
    let mut to = None;
    for e in events {
        match e {
            Event::ResetFrom {
                run_id,
                event_index,
                reason,
            } => from = Some((run_id.clone(), *event_index, reason.clone())),
            Event::ResetTo { run_id, .. } => to = Some(run_id.clone()),
            _ => {}
        }
    }
    (from, to)
}

/// Shared for the actor's side.
pub(crate) fn outcome_of(old: &RunRecord, next: &NextRun, event_index: u64) -> ResetOutcome {
    ResetOutcome {
        workflow_id: old.workflow_id.clone(),
        from_run_id: old.run_id.clone(),
        run_id: next.run_id().to_string(),
        event_index,
    }
}

#[cfg(test)]
mod tests;
