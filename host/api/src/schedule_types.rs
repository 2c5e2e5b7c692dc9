//! The JSON bodies of the schedule routes (`/v1/schedules`). The runtime makes a
//! schedule from a [`ScheduleBody`] and a [`ScheduleInfo`] from a schedule's
//! description (`weft_runtime::bodies`).

use serde::{Deserialize, Serialize};

pub use weft_model::schedule::{Interval, ScheduleSpec};

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
