//! The bodies of the batch routes (`/v1/batches`): one operation applied to every
//! execution a list query finds.

use serde::{Deserialize, Serialize};

/// A batch to submit (`POST /v1/batches`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BatchBody {
    /// Its id (a schedule-like name); a fresh `batch-<random>` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `signal`, `cancel`, `terminate`, `reset`, `delete`, `pause` or `unpause`.
    pub operation: String,
    /// A list filter, as `weft list --query` takes it.
    pub query: String,
    /// Why: recorded with every operation (the batch's id is added).
    pub reason: String,
    /// At most this many executions a second (absent: as fast as they go).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rps: Option<f64>,
    /// `signal`: the signal's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// `signal`: its input (JSON; absent: `null`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<serde_json::Value>,
    /// `reset`: the point (`first-task`, `last-task`, an event index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_to: Option<String>,
    /// `reset`: what to reapply (`all`, `signals`, `updates`, `none`; absent: `all`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reapply: Option<String>,
}

/// An execution a batch could not act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchFailureInfo {
    pub workflow_id: String,
    pub message: String,
}

/// A batch and its progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchInfo {
    pub id: String,
    pub operation: String,
    pub query: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rps: Option<f64>,
    /// `running`, `completed`, `failed` or `stopped`.
    pub state: String,
    /// Executions the query found when the batch was submitted.
    pub total: u64,
    /// Executions acted on.
    pub done: u64,
    /// Executions the operation failed on.
    pub failed: u64,
    /// The first 100 failures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<BatchFailureInfo>,
    pub created_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_ms: Option<u64>,
    /// Why it was stopped, or what made it fail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
}

/// `POST /v1/batches/{id}/stop`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BatchStopBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
