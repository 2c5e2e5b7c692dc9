//! The API's bodies (`weft-api`) made from the runtime's own types: stored records,
//! counts, schedules and run descriptions become bodies here, with `From`, so the
//! bodies' crate knows nothing of the runtime and a client links none of it.

use weft_api::schedule_types::{
    ActionBody, RecentAction, ScheduleBody, ScheduleInfo, ScheduledRun,
};
use weft_api::steer_types::PauseInfoBody;
use weft_api::types::{
    CancelRequestInfo, ChildInfo, CountBody, CountGroup, Description, ExecutionInfo,
    ExecutionStatus, FailingTaskInfo, FailureBody, HandlersInfo, ModuleInfo, PendingActivityInfo,
    PendingTimerInfo, ResultBody,
};

use weft_api::stack_types::{StackBody, StackFrame};

use crate::history::{Outcome, PendingActivity};
use crate::runtime::{ChildRun, Frame, Inspector, QueryError, RunDescription, Stack};
use crate::schedules::{
    rfc3339, OverlapPolicy, Schedule, ScheduleAction, ScheduleDescription, SchedulePolicies,
};
use crate::storage::{Counted, ModuleVersion, RunRecord, Status};

impl From<&ModuleVersion> for ModuleInfo {
    fn from(v: &ModuleVersion) -> ModuleInfo {
        ModuleInfo {
            name: v.name.clone(),
            version: v.version,
            digest: v.digest.clone(),
            workflow_types: v.workflow_types.clone(),
            deployed_ms: v.deployed_ms,
            checked_executions: v.checked_executions,
            moved: Vec::new(),
            stayed: Vec::new(),
        }
    }
}

impl From<Status> for ExecutionStatus {
    fn from(s: Status) -> ExecutionStatus {
        match s {
            Status::Running => ExecutionStatus::Running,
            Status::Completed => ExecutionStatus::Completed,
            Status::Failed => ExecutionStatus::Failed,
            Status::Cancelled => ExecutionStatus::Cancelled,
            Status::Terminated => ExecutionStatus::Terminated,
            Status::ContinuedAsNew => ExecutionStatus::ContinuedAsNew,
            Status::TimedOut => ExecutionStatus::TimedOut,
        }
    }
}

impl From<ExecutionStatus> for Status {
    fn from(s: ExecutionStatus) -> Status {
        match s {
            ExecutionStatus::Running => Status::Running,
            ExecutionStatus::Completed => Status::Completed,
            ExecutionStatus::Failed => Status::Failed,
            ExecutionStatus::Cancelled => Status::Cancelled,
            ExecutionStatus::Terminated => Status::Terminated,
            ExecutionStatus::ContinuedAsNew => Status::ContinuedAsNew,
            ExecutionStatus::TimedOut => Status::TimedOut,
        }
    }
}

impl From<&RunRecord> for ExecutionInfo {
    fn from(r: &RunRecord) -> ExecutionInfo {
        ExecutionInfo {
            workflow_id: r.workflow_id.clone(),
            run_id: r.run_id.clone(),
            workflow_type: r.workflow_type.clone(),
            module_digest: r.module_digest.clone(),
            status: r.status.into(),
            start_ms: r.start_ms,
            close_ms: r.close_ms,
            history_len: r.history_len,
            format_version: r.format_version,
            paused: false,
            // Kept with the attributes: a caller that read them sets it.
            priority: weft_model::Priority::DEFAULT.get(),
            // Known to the live host only: a caller that asked it sets it.
            pending: None,
            summary: None,
            current_details: None,
        }
    }
}

/// Runs as lists show them, each with its priority (kept with its attributes, so read
/// here: one look-up per run listed), its start's summary, its current details and,
/// when open, whether it is paused.
pub fn execution_infos(
    inspector: &Inspector,
    runs: &[RunRecord],
) -> Result<Vec<ExecutionInfo>, QueryError> {
    runs.iter()
        .map(|run| {
            let attributes = inspector.attributes(&run.run_id)?.unwrap_or_default();
            Ok(ExecutionInfo {
                priority: attributes.priority().get(),
                paused: run.status.is_open() && attributes.paused,
                summary: attributes.summary.clone(),
                current_details: attributes.current_details.clone(),
                ..ExecutionInfo::from(run)
            })
        })
        .collect()
}

impl From<Counted> for CountBody {
    fn from(counted: Counted) -> CountBody {
        CountBody {
            count: counted.total,
            groups: counted.by_status.map(|groups| {
                groups
                    .into_iter()
                    .map(|(status, count)| CountGroup {
                        status: crate::query::typed::status_label(status).to_string(),
                        count,
                    })
                    .collect()
            }),
        }
    }
}

impl Schedule {
    /// The schedule a body defines, for the schedule `id`.
    pub fn from_body(body: &ScheduleBody, id: &str) -> Result<Schedule, String> {
        let overlap = match &body.overlap {
            Some(name) => name.parse::<OverlapPolicy>()?,
            None => OverlapPolicy::default(),
        };
        let defaults = SchedulePolicies::default();
        let a = &body.action;
        Ok(Schedule {
            spec: body.spec.clone(),
            action: ScheduleAction {
                workflow_type: a.workflow_type.clone(),
                input_json: a.input.to_string(),
                workflow_id: a.workflow_id.clone().unwrap_or_else(|| id.to_string()),
                module: a.module.clone(),
                run_timeout_ms: a.run_timeout_ms,
                execution_timeout_ms: a.execution_timeout_ms,
                memo: a
                    .memo
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_string()))
                    .collect(),
            },
            policies: SchedulePolicies {
                overlap,
                catchup_window_ms: body.catchup_window_ms.unwrap_or(defaults.catchup_window_ms),
            },
        })
    }
}

impl From<&ScheduleDescription> for ScheduleInfo {
    fn from(d: &ScheduleDescription) -> ScheduleInfo {
        let r = &d.record;
        let a = &r.schedule.action;
        ScheduleInfo {
            id: r.id.clone(),
            spec: r.schedule.spec.clone(),
            action: ActionBody {
                workflow_type: a.workflow_type.clone(),
                input: serde_json::from_str(&a.input_json).unwrap_or_default(),
                workflow_id: Some(a.workflow_id.clone()),
                module: a.module.clone(),
                run_timeout_ms: a.run_timeout_ms,
                execution_timeout_ms: a.execution_timeout_ms,
                memo: a
                    .memo
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::from_str(v).unwrap_or_default()))
                    .collect(),
            },
            overlap: r.schedule.policies.overlap.as_str().to_string(),
            catchup_window_ms: r.schedule.policies.catchup_window_ms,
            paused: r.state.paused,
            note: r.state.note.clone(),
            actions: r.state.actions,
            skipped_overlap: r.state.skipped_overlap,
            missed_catchup: r.state.missed_catchup,
            buffered: r.state.buffered.len(),
            running: r
                .state
                .running
                .iter()
                .map(|run| ScheduledRun {
                    workflow_id: run.workflow_id.clone(),
                    run_id: run.run_id.clone(),
                })
                .collect(),
            recent: r
                .state
                .recent
                .iter()
                .map(|a| RecentAction {
                    scheduled_ms: a.scheduled_ms,
                    scheduled_at: rfc3339(a.scheduled_ms),
                    actual_ms: a.actual_ms,
                    workflow_id: a.run.workflow_id.clone(),
                    run_id: a.run.run_id.clone(),
                })
                .collect(),
            next_action_ms: d.next_action_ms.clone(),
            next_action_times: d.next_action_ms.iter().map(|&t| rfc3339(t)).collect(),
            created_ms: r.state.created_ms,
            updated_ms: r.state.updated_ms,
        }
    }
}

impl From<RunDescription> for Description {
    fn from(d: RunDescription) -> Description {
        let result = (!d.run.status.is_open()).then(|| result_body(&d.run, d.outcome));
        Description {
            module_name: d.module.as_ref().map(|v| v.name.clone()),
            module_version: d.module.map(|v| v.version),
            module_moved_ms: d.module_moved_ms,
            continued_from: d.continued_from,
            cron: d
                .cron
                .map(|(spec, next_slot_ms)| weft_api::types::CronInfo { spec, next_slot_ms }),
            reset_from: d.reset_from.map(|(run_id, event_index, reason)| {
                weft_api::types::ResetLink {
                    run_id,
                    event_index,
                    reason,
                }
            }),
            reset_to: d.reset_to,
            parent_workflow_id: d.parent_workflow_id,
            memo: d.memo.into_iter().collect(),
            search_attributes: d.search_attributes,
            children: d.children.into_iter().map(ChildInfo::from).collect(),
            pending_activities: d
                .waiting
                .activities
                .into_iter()
                .map(|a| {
                    let waiting = d.waiting.activity_waits.get(&a.schedule.seq).cloned();
                    PendingActivityInfo {
                        waiting,
                        ..pending_activity(a)
                    }
                })
                .collect(),
            pending_timers: d
                .waiting
                .timers
                .into_iter()
                .map(|t| PendingTimerInfo {
                    seq: t.seq,
                    fire_at_ms: t.fire_at_ms,
                })
                .collect(),
            waiting_at: d.waiting.at.into_iter().map(StackFrame::from).collect(),
            failing_task: d.waiting.failing_task.map(|f| FailingTaskInfo {
                message: f.failure.message,
                location: f.failure.location.map(|l| l.to_string()),
                since_ms: f.since_ms,
                attempts: f.attempts,
                next_attempt_ms: f.retry_at_ms,
            }),
            cancel_requested: d.cancel_reason.map(|reason| CancelRequestInfo { reason }),
            paused: d.waiting.paused.map(|p| PauseInfoBody {
                reason: p.reason,
                identity: p.identity,
                time_ms: p.time_ms,
            }),
            result,
            run: ExecutionInfo {
                priority: d.priority.get(),
                pending: d.pending,
                summary: d.metadata.summary,
                current_details: d.metadata.current_details,
                ..ExecutionInfo::from(&d.run)
            },
            details: d.metadata.details,
            fairness: d.fairness.map(|f| weft_api::types::FairnessInfo {
                key: f.key,
                weight: f.weight,
            }),
            handlers: d.handlers.map(|h| HandlersInfo {
                signals: h.signals,
                queries: h.queries,
                updates: h.updates,
            }),
        }
    }
}

impl From<Frame> for StackFrame {
    fn from(f: Frame) -> StackFrame {
        let location = f.location;
        StackFrame {
            kind: f.kind.as_str().to_string(),
            seq: f.seq,
            name: f.name,
            file: location.as_ref().map(|l| l.file.clone()),
            line: location.as_ref().map(|l| l.line),
            column: location.as_ref().map(|l| l.column),
        }
    }
}

impl From<Stack> for StackBody {
    fn from(s: Stack) -> StackBody {
        StackBody {
            status: ExecutionInfo::from(&s.run).status,
            workflow_id: s.run.workflow_id,
            run_id: s.run.run_id,
            frames: s.frames.into_iter().map(StackFrame::from).collect(),
        }
    }
}

impl From<ChildRun> for ChildInfo {
    fn from(c: ChildRun) -> ChildInfo {
        ChildInfo {
            workflow_id: c.workflow_id,
            workflow_type: c.workflow_type,
            run_id: c.run_id,
            state: c.state.as_str().into(),
        }
    }
}

/// A pending activity as the API shows it (both types live outside the runtime, so
/// this is a function, not `From`).
fn pending_activity(a: PendingActivity) -> PendingActivityInfo {
    PendingActivityInfo {
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
        waiting: None,
        paused: a.paused,
    }
}

/// How `run` ended (its `outcome`), or that it has not.
pub fn result_body(run: &RunRecord, outcome: Option<Outcome>) -> ResultBody {
    let failure = FailureBody::new;
    let (result, failure) = match outcome {
        Some(Outcome::Completed(p)) => (Some(p.to_json()), None),
        Some(Outcome::Failed(f)) => (None, Some(FailureBody::of(&f))),
        Some(Outcome::Terminated(reason)) => (None, Some(failure(reason, "weft.Terminated"))),
        Some(Outcome::Cancelled) => (
            None,
            Some(failure(
                "the execution was cancelled".into(),
                "weft.Cancelled",
            )),
        ),
        Some(Outcome::TimedOut(reason)) => (None, Some(failure(reason, "weft.TimedOut"))),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The bodies answer with the JSON the stored records answered with before they
    /// were told apart, so clients of the API see no change.
    #[test]
    fn bodies_serialize_like_the_records_did() {
        let spelled = [
            "running",
            "completed",
            "failed",
            "cancelled",
            "terminated",
            "continued-as-new",
            "timed-out",
        ];
        for (status, spelled) in Status::ALL.into_iter().zip(spelled) {
            let run = RunRecord {
                workflow_id: "w".into(),
                run_id: "r".into(),
                workflow_type: "t".into(),
                module_digest: "d".into(),
                status,
                start_ms: 1,
                close_ms: Some(2),
                history_len: 3,
                format_version: 1,
            };
            let body = serde_json::to_value(ExecutionInfo::from(&run)).unwrap();
            let want = serde_json::json!({
                "workflow_id": "w", "run_id": "r", "workflow_type": "t", "module_digest": "d",
                "status": spelled, "start_ms": 1, "close_ms": 2, "history_len": 3,
                "format_version": 1,
                // Added with priorities: the default, where the record holds none.
                "priority": 3,
            });
            assert_eq!(body, want);
            let status = ExecutionStatus::from(status);
            assert_eq!(status.as_str(), spelled);
            assert_eq!(spelled.parse::<ExecutionStatus>(), Ok(status));
            assert_eq!(Status::from(status), run.status);
        }
        let version = ModuleVersion {
            name: "m".into(),
            version: 2,
            digest: "d".into(),
            workflow_types: vec!["t".into()],
            deployed_ms: 5,
            checked_executions: 1,
        };
        let want = serde_json::json!({
            "name": "m", "version": 2, "digest": "d", "workflow_types": ["t"],
            "deployed_ms": 5, "checked_executions": 1,
        });
        assert_eq!(
            serde_json::to_value(ModuleInfo::from(&version)).unwrap(),
            want
        );
    }
}
