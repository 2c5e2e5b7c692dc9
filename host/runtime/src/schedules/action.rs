//! Taking one action: starting the schedule's workflow for a slot, and acting on the
//! runs an overlap policy stops.

use std::time::Duration;

use super::record::{ActionRecord, ActionRun, ScheduleAction, ScheduleRecord};
use super::spec::rfc3339;
use super::ScheduleError;
use crate::history::Payload;
use crate::runtime::{Host, IdConflictPolicy, IdReusePolicy, StartError, StartRequest};
use crate::storage::Status;
use crate::{Datetime, SearchAttributeValue};

/// The search attribute naming the schedule that started a run.
pub const SCHEDULED_BY_ID: &str = "WeftScheduledById";
/// The search attribute holding the slot a scheduled run was started for.
pub const SCHEDULED_START_TIME: &str = "WeftScheduledStartTime";

/// The workflow id of the action for `scheduled_ms`.
pub fn workflow_id(action: &ScheduleAction, scheduled_ms: u64) -> String {
    format!("{}-{}", action.workflow_id, rfc3339(scheduled_ms))
}

/// Start the action for `scheduled_ms` and record it. A slot's workflow id is used
/// once: when it already has a run (the host stopped after starting it and before
/// recording so), that run is recorded as the slot's action and nothing new starts. A manual
/// trigger whose second is taken gets a numbered id instead.
pub async fn start(
    host: &Host,
    record: &mut ScheduleRecord,
    scheduled_ms: u64,
    triggered: bool,
) -> Result<(), ScheduleError> {
    let base = workflow_id(&record.schedule.action, scheduled_ms);
    let mut id = base.clone();
    for n in 2.. {
        match start_one(host, record, &id, scheduled_ms).await? {
            Some(run) => {
                record.record_action(ActionRecord {
                    scheduled_ms,
                    actual_ms: host.clock().now_ms(),
                    run,
                });
                return Ok(());
            }
            None if triggered && n < 100 => id = format!("{base}-{n}"),
            None => {
                // The slot was acted on before the host stopped and recorded so: its
                // run is the slot's action.
                if let Some(run) = host.storage().latest_run(&base)? {
                    record.record_action(ActionRecord {
                        scheduled_ms,
                        actual_ms: run.start_ms,
                        run: ActionRun {
                            workflow_id: run.workflow_id,
                            run_id: run.run_id,
                        },
                    });
                }
                return Ok(());
            }
        }
    }
    unreachable!("the loop returns")
}

/// Start a run under `id`; `None` when the id already has a run.
async fn start_one(
    host: &Host,
    record: &ScheduleRecord,
    id: &str,
    scheduled_ms: u64,
) -> Result<Option<ActionRun>, ScheduleError> {
    let action = &record.schedule.action;
    let input: serde_json::Value = serde_json::from_str(&action.input_json)
        .map_err(|e| ScheduleError::Invalid(format!("the action's input is not JSON: {e}")))?;
    let mut request = StartRequest::new(action.workflow_type.clone(), Payload::json(&input));
    request.workflow_id = Some(id.to_string());
    request.module = action.module.clone();
    request.id_reuse_policy = IdReusePolicy::RejectDuplicate;
    request.id_conflict_policy = IdConflictPolicy::Fail;
    request.run_timeout = action.run_timeout_ms.map(Duration::from_millis);
    request.execution_timeout = action.execution_timeout_ms.map(Duration::from_millis);
    for (name, json) in &action.memo {
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| {
            ScheduleError::Invalid(format!("the action's memo `{name}` is not JSON: {e}"))
        })?;
        request.memo.push((name.clone(), Payload::json(&value)));
    }
    let slot = i64::try_from(scheduled_ms).unwrap_or(i64::MAX);
    let request = request
        .search_attribute(
            SCHEDULED_BY_ID,
            SearchAttributeValue::Keyword(record.id.clone()),
        )
        .search_attribute(
            SCHEDULED_START_TIME,
            SearchAttributeValue::Datetime(Datetime::from_unix_ms(slot)),
        );
    match host.start(request).await {
        Ok(run) => Ok(Some(ActionRun {
            workflow_id: run.workflow_id,
            run_id: run.run_id,
        })),
        Err(StartError::AlreadyRunning(_)) | Err(StartError::IdReused { .. }) => Ok(None),
        Err(e) => Err(ScheduleError::Start(e.to_string())),
    }
}

/// Drop the runs that have closed from the schedule's running list. A run that
/// continued as new stays running under its latest run.
pub fn refresh_running(host: &Host, record: &mut ScheduleRecord) -> Result<(), ScheduleError> {
    let mut still = Vec::new();
    for run in std::mem::take(&mut record.state.running) {
        if let Some(latest) = host.storage().latest_run(&run.workflow_id)? {
            if latest.status == Status::Running {
                still.push(ActionRun {
                    workflow_id: latest.workflow_id,
                    run_id: latest.run_id,
                });
            }
        }
    }
    record.state.running = still;
    Ok(())
}

/// Ask every running action to cancel, or terminate them, for a newer action.
pub async fn stop_running(host: &Host, record: &ScheduleRecord, terminate: bool) {
    let reason = format!(
        "schedule {} started a newer action (overlap policy {})",
        record.id,
        record.schedule.policies.overlap.as_str()
    );
    for run in &record.state.running {
        let result = if terminate {
            host.terminate(&run.workflow_id, &reason).await.map(|_| ())
        } else {
            host.cancel(&run.workflow_id, &reason).await.map(|_| ())
        };
        if let Err(e) = result {
            // It closed on its own meanwhile: nothing to stop.
            tracing::debug!(schedule = %record.id, workflow = %run.workflow_id, "overlap policy: {e}");
        }
    }
}
