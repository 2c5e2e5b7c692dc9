//! What the storage keeps besides history bytes: run records, module versions, timers,
//! and the shapes of the questions it answers (a history's chunks, a run filter).
//!
//! These are stored types (postcard): the API has its own bodies (`weft_api::types`), so
//! the stored format and the HTTP answers can change apart.

use serde::{Deserialize, Serialize};

/// Where a run stands.
///
/// The explicit discriminants are the status byte of the status index: never renumber
/// them. (Postcard stores the variant's position in record values; the two agree.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum Status {
    Running = 0,
    Completed = 1,
    Failed = 2,
    Cancelled = 3,
    Terminated = 4,
    ContinuedAsNew = 5,
    TimedOut = 6,
}

impl Status {
    /// Every status, in discriminant order.
    pub const ALL: [Status; 7] = [
        Status::Running,
        Status::Completed,
        Status::Failed,
        Status::Cancelled,
        Status::Terminated,
        Status::ContinuedAsNew,
        Status::TimedOut,
    ];

    /// True while the run has not closed.
    pub fn is_open(self) -> bool {
        self == Status::Running
    }

    /// The status in words, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
            Status::Terminated => "terminated",
            Status::ContinuedAsNew => "continued as new",
            Status::TimedOut => "timed out",
        }
    }

    /// The byte that keys this status in the status index.
    pub(crate) fn index_byte(self) -> u8 {
        self as u8
    }
}

/// One run of a workflow execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub workflow_id: String,
    pub run_id: String,
    pub workflow_type: String,
    pub module_digest: String,
    pub status: Status,
    pub start_ms: u64,
    pub close_ms: Option<u64>,
    /// Number of events in the history (written when the run closes).
    pub history_len: u64,
    /// History encoding version the run was written with.
    pub format_version: u16,
}

impl RunRecord {
    /// The run's place in every run index: `(start_ms, run_id)`, newest last.
    pub fn order_key(&self) -> (u64, &str) {
        (self.start_ms, &self.run_id)
    }
}

/// One deployed version of a module name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleVersion {
    pub name: String,
    /// 1 for the first deployment of the name.
    pub version: u32,
    pub digest: String,
    pub workflow_types: Vec<String>,
    pub deployed_ms: u64,
    /// Open executions whose histories a checked deployment replayed against it.
    #[serde(default)]
    pub checked_executions: usize,
}

/// A durable timer: run `run_id`'s timer `seq` fires at `fire_at_ms`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerRow {
    pub fire_at_ms: u64,
    pub run_id: String,
    pub seq: u32,
}

/// One stored piece of a run's history: the bytes of one `Write::Append`, opaque to
/// the storage (the history codec reads them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryChunk {
    /// Index of the first event in the chunk.
    pub first_index: u64,
    pub bytes: Vec<u8>,
}

/// Which runs `Storage::list_runs` returns. The default matches every run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    /// Only runs with this status.
    pub status: Option<Status>,
    /// Only runs of this workflow type.
    pub workflow_type: Option<String>,
    /// Cursor: only runs strictly older than this `(start_ms, run_id)`.
    pub before: Option<(u64, String)>,
}

impl RunFilter {
    /// True when `run` passes the filter.
    pub fn matches(&self, run: &RunRecord) -> bool {
        self.status.is_none_or(|s| run.status == s)
            && self
                .workflow_type
                .as_ref()
                .is_none_or(|t| &run.workflow_type == t)
            && self
                .before
                .as_ref()
                .is_none_or(|(ms, id)| run.order_key() < (*ms, id.as_str()))
    }
}

/// A run's current search attributes and memo (its start's, merged with the
/// workflow's upserts). Stored as JSON in `run_attributes`, so the record can grow
/// without breaking old rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunAttributes {
    #[serde(default)]
    pub search: std::collections::BTreeMap<String, weft_types::SearchAttributeValue>,
    #[serde(default)]
    pub memo: std::collections::BTreeMap<String, serde_json::Value>,
    /// Set while the run is paused (`weft pause`), so `list` shows it without reading
    /// histories; the history's `paused` event is the record, this is its index.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
    /// The run's priority (1 highest … 5 lowest) when not the default 3, for lists and
    /// the `Priority` list-query field; the history's `Priority` event is the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    /// The start's one-line summary (`weft list` shows it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// What the workflow last said it is doing (`ctx.set_current_details`), for
    /// `weft list`; the history's last `CurrentDetails` event is the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_details: Option<String>,
}

impl RunAttributes {
    /// True when there is nothing to keep.
    pub fn is_empty(&self) -> bool {
        self.search.is_empty()
            && self.memo.is_empty()
            && self.priority.is_none()
            && !self.paused
            && self.summary.is_none()
            && self.current_details.is_none()
    }

    /// What the storage keeps of them: all but the memo, which lives in the run's
    /// history alone, where a payload codec encrypts it (the index has to read search
    /// attributes).
    pub fn stored(&self) -> RunAttributes {
        RunAttributes {
            search: self.search.clone(),
            memo: Default::default(),
            priority: self.priority,
            paused: self.paused,
            summary: self.summary.clone(),
            current_details: self.current_details.clone(),
        }
    }

    /// The run's priority: the recorded one, or the default.
    pub fn priority(&self) -> weft_model::Priority {
        self.priority
            .and_then(|p| weft_model::Priority::new(p).ok())
            .unwrap_or_default()
    }
}
