//! Describing a run for people: status, module version, what it waits for, how it ended.

use super::types::*;
use crate::history::{Event, History, Outcome};
use crate::runtime::{Host, QueryError};
use crate::storage::{RunRecord, Status};

/// Everything `GET /v1/executions/{id}` shows. Only the history of an open run (for
/// what it waits for) or a cancelled one (for the reason) is read; a closed run's
/// outcome comes from the outcome table.
pub fn describe(host: &Host, id: &str) -> Result<Description, QueryError> {
    let mut run = host.find_run(id)?;
    let mut moved_ms = None;
    // A closed run's history is read too, for the little it shows: the run it
    // continued, its parent and children, and a cancellation's reason.
    let history = History::new(host.inspect().history_of(&run)?);
    let continued_from = history.continued_from().map(str::to_string);
    let parent_workflow_id = history.parent_workflow_id();
    // The memo is folded from the history (the store does not keep it apart, so a
    // payload codec covers it); the search attributes are the indexed values.
    let memo = crate::runtime::memo_of(&history.events)
        .into_iter()
        .collect();
    let search_attributes = host
        .inspect()
        .attributes(&run.run_id)?
        .map(|a| a.search)
        .unwrap_or_default();
    let children = child_infos(&history);
    let ((activities, timers), failing, cancel) = if run.status.is_open() {
        // The stored count is written at close; an open run's is read off its history.
        run.history_len = history.events.len() as u64;
        moved_ms = history.events.iter().rev().find_map(|e| match e {
            crate::history::Event::ModuleChanged { time_ms, .. } => Some(*time_ms),
            _ => None,
        });
        (
            history.pending(),
            history.failing_task(),
            cancel_request(&history),
        )
    } else {
        let cancel = if run.status == Status::Cancelled {
            cancel_request(&history)
        } else {
            None
        };
        (Default::default(), None, cancel)
    };
    let version = host
        .module_versions()
        .into_iter()
        .rev()
        .find(|v| v.digest == run.module_digest);
    let result = if run.status.is_open() {
        None
    } else {
        Some(result_body(host, &run)?)
    };
    Ok(Description {
        module_name: version.as_ref().map(|v| v.name.clone()),
        module_version: version.map(|v| v.version),
        module_moved_ms: moved_ms,
        continued_from,
        parent_workflow_id,
        memo,
        search_attributes,
        children,
        pending_activities: activities
            .into_iter()
            .map(|a| PendingActivityInfo {
                seq: a.schedule.seq,
                activity_type: a.schedule.activity_type,
                attempt: a.next_attempt,
                scheduled_ms: a.scheduled_ms,
                next_attempt_ms: (a.not_before_ms > a.scheduled_ms).then_some(a.not_before_ms),
                last_failure: a
                    .last_failure
                    .map(|f| format!("{}: {}", f.error_type, f.message)),
                last_heartbeat_ms: a.last_heartbeat.as_ref().map(|h| h.time_ms),
                heartbeat_details: a
                    .last_heartbeat
                    .and_then(|h| h.details)
                    .map(|d| d.to_json()),
                cancel_requested: a.cancel_requested,
                local: a.local,
            })
            .collect(),
        pending_timers: timers
            .into_iter()
            .map(|t| PendingTimerInfo {
                seq: t.seq,
                fire_at_ms: t.fire_at_ms,
            })
            .collect(),
        failing_task: failing.map(|f| FailingTaskInfo {
            message: f.failure.message,
            location: f.failure.location.map(|l| l.to_string()),
            since_ms: f.since_ms,
            attempts: f.attempts,
            next_attempt_ms: f.retry_at_ms,
        }),
        cancel_requested: cancel,
        result,
        run: ExecutionInfo::from(&run),
        handlers: None,
    })
}

/// The first cancellation asked of the run, if any (asking again records nothing).
fn cancel_request(history: &History) -> Option<CancelRequestInfo> {
    history.events.iter().find_map(|e| match e {
        Event::CancelRequested { reason } => Some(CancelRequestInfo {
            reason: reason.clone(),
        }),
        _ => None,
    })
}

/// How a run ended, or that it is still open.
pub fn result_body(host: &Host, run: &RunRecord) -> Result<ResultBody, QueryError> {
    Ok(outcome_body(run, host.outcome(run)?))
}

fn outcome_body(run: &RunRecord, outcome: Option<Outcome>) -> ResultBody {
    let (result, failure) = match outcome {
        Some(Outcome::Completed(p)) => (Some(p.to_json()), None),
        Some(Outcome::Failed(f)) => (
            None,
            Some(FailureBody {
                message: f.message,
                error_type: f.error_type,
            }),
        ),
        Some(Outcome::Terminated(reason)) => (
            None,
            Some(FailureBody {
                message: reason,
                error_type: "weft.Terminated".into(),
            }),
        ),
        Some(Outcome::Cancelled) => (
            None,
            Some(FailureBody {
                message: "the execution was cancelled".into(),
                error_type: "weft.Cancelled".into(),
            }),
        ),
        Some(Outcome::TimedOut(reason)) => (
            None,
            Some(FailureBody {
                message: reason,
                error_type: "weft.TimedOut".into(),
            }),
        ),
        Some(Outcome::ContinuedAsNew) | None => (None, None),
    };
    ResultBody {
        workflow_id: run.workflow_id.clone(),
        run_id: run.run_id.clone(),
        status: run.status.into(),
        result,
        failure,
    }
}

/// The children a run started, and where each stands as the run saw it.
fn child_infos(history: &History) -> Vec<ChildInfo> {
    use crate::history::vocab::ChildResolution;
    use crate::history::{Command, Event, Job};
    let mut children: Vec<(u32, ChildInfo)> = Vec::new();
    for event in &history.events {
        match event {
            Event::Command(c) => {
                if let Command::StartChildWorkflow(s) = &c.command {
                    children.push((
                        s.seq,
                        ChildInfo {
                            workflow_id: s
                                .workflow_id
                                .clone()
                                .unwrap_or_else(|| format!("child-{}", s.seq)),
                            workflow_type: s.workflow_type.clone(),
                            run_id: None,
                            state: "starting".into(),
                        },
                    ));
                }
            }
            Event::Job(Job::ResolveChildWorkflow(r)) => {
                if let Some((_, child)) = children.iter_mut().find(|(seq, _)| *seq == r.seq) {
                    child.state = match &r.resolution {
                        ChildResolution::Started(run) => {
                            child.run_id = Some(run.clone());
                            "running"
                        }
                        ChildResolution::Completed(_) => "completed",
                        ChildResolution::Failed(_) => "failed",
                        ChildResolution::Cancelled(_) => "cancelled",
                        ChildResolution::Terminated(_) => "terminated",
                    }
                    .into();
                }
            }
            _ => {}
        }
    }
    children.into_iter().map(|(_, c)| c).collect()
}
