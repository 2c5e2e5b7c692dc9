//! The HTTP API's request and response bodies, shared by the server and the client.
//!
//! | method | path                                   | body → response                                   |
//! |--------|----------------------------------------|---------------------------------------------------|
//! | POST   | /v1/modules?name=N[&check=true]        | component bytes → 201 [`ModuleVersion`]           |
//! | GET    | /v1/modules                            | → 200 [`ModuleList`]                              |
//! | POST   | /v1/executions                         | [`StartBody`] → 201 [`Started`]                   |
//! | GET    | /v1/executions?status=&type=&limit=&cursor= | → 200 [`ExecutionPage`]                      |
//! | GET    | /v1/executions/{id}                    | → 200 [`Description`]                             |
//! | GET    | /v1/executions/{id}/result?wait_s=S    | → 200 [`ResultBody`] (202 if still open after S)  |
//! | GET    | /v1/executions/{id}/history            | → 200 history file JSON (`history::export`)       |
//! | GET    | /v1/health                             | → 200 `{"status":"ok"}`                           |
//!
//! `{id}` is a workflow id (its latest run) or a run id. Every error is an
//! [`ApiErrorBody`] with one of the [`ErrorCode`]s and a message for a person.

use serde::{Deserialize, Serialize};

pub use crate::storage::ModuleVersion;
use crate::storage::{RunRecord, Status};

/// Largest workflow input the API accepts (bytes of JSON).
pub const MAX_INPUT_BYTES: usize = 2 << 20;
/// Largest component the API accepts.
pub const MAX_MODULE_BYTES: usize = 64 << 20;
/// Page size of `GET /v1/executions` when none is given, and the most allowed.
pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 1000;

/// What kind of error a response carries; each maps to one HTTP status and one CLI exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the request is malformed (bad JSON, bad parameter).
    BadRequest,
    /// 404: no such execution, module or workflow type.
    NotFound,
    /// 409: refused: the id is in use, or `deploy --check` found a divergence.
    Conflict,
    /// 413: the body is larger than the documented limit.
    TooLarge,
    /// 422: the body is well-formed but invalid (not a weft component).
    Invalid,
    /// 500: the host failed.
    Internal,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiErrorBody {
    pub code: ErrorCode,
    pub message: String,
    /// For a refused `deploy --check`: the first divergence of each execution.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub divergences: Vec<Divergence>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Divergence {
    pub workflow_id: String,
    pub run_id: String,
    pub report: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModuleList {
    /// Every version of every name, by name then version.
    pub modules: Vec<ModuleVersion>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StartBody {
    pub workflow_type: String,
    /// The workflow's input (any JSON value).
    #[serde(default)]
    pub input: serde_json::Value,
    /// Workflow id; the host picks `<type>-<random>` when absent.
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Started {
    pub workflow_id: String,
    pub run_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExecutionPage {
    /// Newest first.
    pub executions: Vec<RunRecord>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingActivityInfo {
    pub seq: u32,
    pub activity_type: String,
    /// The attempt running or next to run.
    pub attempt: u32,
    pub scheduled_ms: u64,
    /// Set while waiting out a retry's backoff.
    pub next_attempt_ms: Option<u64>,
    pub last_failure: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingTimerInfo {
    pub seq: u32,
    pub fire_at_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Description {
    #[serde(flatten)]
    pub run: RunRecord,
    pub module_name: Option<String>,
    pub module_version: Option<u32>,
    pub pending_activities: Vec<PendingActivityInfo>,
    pub pending_timers: Vec<PendingTimerInfo>,
    /// Present once closed.
    pub result: Option<ResultBody>,
}

/// How a run ended (or that it has not).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultBody {
    pub workflow_id: String,
    pub run_id: String,
    pub status: Status,
    /// The result, when completed.
    pub result: Option<serde_json::Value>,
    /// The failure, when failed, cancelled or terminated.
    pub failure: Option<FailureBody>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureBody {
    pub message: String,
    pub error_type: String,
}
