//! The JSON bodies of the schedule routes (`/v1/schedules`).

use serde::{Deserialize, Serialize};

use crate::schedules::{
    rfc3339, OverlapPolicy, Schedule, ScheduleAction, ScheduleDescription, SchedulePolicies,
    ScheduleSpec,
};

/// The workflow a schedule starts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionBody {
    pub workflow_type: String,
    #[serde(default)]
    pub input: serde_json::Value,
    /// Each run's id is this, a dash and the scheduled time; the schedule id when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_id: Option<String>,
    /// Module digest; the newest module exporting the type when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_timeout_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_timeout_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub memo: serde_json::Map<String, serde_json::Value>,
}

/// Create (with `id`) or update a schedule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScheduleBody {
    /// The schedule's id (create only; an update names it in the path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub spec: ScheduleSpec,
    pub action: ActionBody,
    /// `skip` (default), `buffer-one`, `buffer-all`, `cancel-other`,
    /// `terminate-other` or `allow-all`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap: Option<String>,
    /// Slots missed while the host was down are acted on if at most this old
    /// (default: a year).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catchup_window_ms: Option<u64>,
    /// Create paused (create only).
    #[serde(default)]
    pub paused: bool,
    /// Why it is paused (create only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ScheduleBody {
    /// The schedule this body defines, for the schedule `id`.
    pub fn to_schedule(&self, id: &str) -> Result<Schedule, String> {
        let overlap = match &self.overlap {
            Some(name) => name.parse::<OverlapPolicy>()?,
            None => OverlapPolicy::default(),
        };
        let defaults = SchedulePolicies::default();
        let a = &self.action;
        Ok(Schedule {
            spec: self.spec.clone(),
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
                catchup_window_ms: self.catchup_window_ms.unwrap_or(defaults.catchup_window_ms),
            },
        })
    }
}

/// A run a schedule started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledRun {
    pub workflow_id: String,
    pub run_id: String,
}

/// One action a schedule took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentAction {
    pub scheduled_ms: u64,
    /// The scheduled time, RFC 3339.
    pub scheduled_at: String,
    pub actual_ms: u64,
    pub workflow_id: String,
    pub run_id: String,
}

/// A schedule as `describe` and `list` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleInfo {
    pub id: String,
    pub spec: ScheduleSpec,
    pub action: ActionBody,
    pub overlap: String,
    pub catchup_window_ms: u64,
    pub paused: bool,
    pub note: String,
    /// Actions taken (started runs), ever.
    pub actions: u64,
    /// Actions dropped by the overlap policy.
    pub skipped_overlap: u64,
    /// Slots older than the catch-up window when the host could act on them.
    pub missed_catchup: u64,
    /// Actions waiting for a running one to close.
    pub buffered: usize,
    pub running: Vec<ScheduledRun>,
    /// The most recent actions, oldest first.
    pub recent: Vec<RecentAction>,
    pub next_action_ms: Vec<u64>,
    /// The next action times, RFC 3339.
    pub next_action_times: Vec<String>,
    pub created_ms: u64,
    pub updated_ms: u64,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleList {
    pub schedules: Vec<ScheduleInfo>,
}

/// Pause or unpause, with a note (a default note when absent).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NoteBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Trigger an action now, under the schedule's overlap policy or this one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TriggerBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap: Option<String>,
}

/// Act on every slot from `start_ms` to `end_ms`, both included.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BackfillBody {
    pub start_ms: u64,
    pub end_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap: Option<String>,
}

/// A backfill's answer: how many slots the range held, and the schedule after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backfilled {
    pub slots: usize,
    pub schedule: ScheduleInfo,
}

/// A deleted schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deleted {
    pub id: String,
}
