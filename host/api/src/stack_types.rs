//! The bodies of `GET /v1/executions/{id}/stack` (where an open run waits) and
//! `DELETE /v1/executions/{id}` (an execution removed).

use serde::{Deserialize, Serialize};

use crate::types::ExecutionStatus;

/// Where a run waits: one frame per pending future, in the order they became
/// pending. Empty once the run is closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackBody {
    pub workflow_id: String,
    pub run_id: String,
    pub status: ExecutionStatus,
    pub frames: Vec<StackFrame>,
}

/// A pending future of the workflow and the line of workflow code that created it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackFrame {
    /// `activity`, `local-activity`, `timer`, `child`, `update`; or, as the
    /// workflow's SDK reports them, `condition`, `handlers-finished`, `signal-channel`,
    /// `cancellation`.
    pub kind: String,
    /// Its sequence number among the commands of its kind (none for an update or a
    /// reported wait).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u32>,
    /// The activity type, the timer's duration, the child's workflow id, the update's
    /// name and id, or a signal channel's signal name (empty for other reported waits).
    pub name: String,
    /// The source file (as the workflow's compiler named it), when known: an update
    /// handler in progress has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl StackFrame {
    /// `file.rs:LINE`, when known.
    pub fn location(&self) -> Option<String> {
        Some(format!("{}:{}", self.file.as_ref()?, self.line?))
    }
}

/// An execution deleted: every run of the workflow id, closed, with its history,
/// attributes and outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedExecution {
    pub workflow_id: String,
    /// The run ids removed, newest first.
    pub run_ids: Vec<String>,
}
