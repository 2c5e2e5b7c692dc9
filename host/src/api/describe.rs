//! Describing a run for people: status, module version, what it waits for, how it ended.

use super::types::*;
use crate::history::{History, Outcome};
use crate::runtime::{Host, QueryError};
use crate::storage::RunRecord;

/// Everything `GET /v1/executions/{id}` shows.
pub fn describe(host: &Host, id: &str) -> Result<Description, QueryError> {
    let mut run = host.find_run(id)?;
    let history = History::new(host.history(&run.run_id)?);
    // The stored count is written at close; an open run's is read off its history.
    run.history_len = history.events.len() as u64;
    let (activities, timers) = if run.status.is_open() {
        history.pending()
    } else {
        Default::default()
    };
    let version = host
        .module_versions()
        .into_iter()
        .rev()
        .find(|v| v.digest == run.module_digest);
    let result = (!run.status.is_open()).then(|| outcome_body(&run, history.outcome()));
    Ok(Description {
        module_name: version.as_ref().map(|v| v.name.clone()),
        module_version: version.map(|v| v.version),
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
            })
            .collect(),
        pending_timers: timers
            .into_iter()
            .map(|t| PendingTimerInfo {
                seq: t.seq,
                fire_at_ms: t.fire_at_ms,
            })
            .collect(),
        result,
        run,
    })
}

/// How a run ended, or that it is still open.
pub fn result_body(host: &Host, run: &RunRecord) -> Result<ResultBody, QueryError> {
    if run.status.is_open() {
        return Ok(outcome_body(run, None));
    }
    let history = History::new(host.history(&run.run_id)?);
    Ok(outcome_body(run, history.outcome()))
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
        Some(Outcome::ContinuedAsNew) | None => (None, None),
    };
    ResultBody {
        workflow_id: run.workflow_id.clone(),
        run_id: run.run_id.clone(),
        status: run.status,
        result,
        failure,
    }
}
