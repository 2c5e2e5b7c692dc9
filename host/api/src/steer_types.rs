//! Bodies of the routes that steer a running execution: `POST
//! /v1/executions/{id}/pause` and `/unpause` take a [`SteerBody`] and answer a
//! [`RunRef`](crate::types::RunRef); `describe` shows a paused run's [`PauseInfoBody`].

use serde::{Deserialize, Serialize};

/// Why and by whom a run is paused or unpaused: both recorded in its history.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SteerBody {
    /// Absent: [`DEFAULT_PAUSE_REASON`] or [`DEFAULT_UNPAUSE_REASON`]. When given, not
    /// blank and at most [`MAX_REASON_BYTES`](crate::types::MAX_REASON_BYTES).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who asks (the CLI sends its `--identity`, or `cli`); absent: [`DEFAULT_IDENTITY`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
}

/// The reason recorded for a pause asked for without one.
pub const DEFAULT_PAUSE_REASON: &str = "paused by a client";
/// The reason recorded for an unpause asked for without one.
pub const DEFAULT_UNPAUSE_REASON: &str = "unpaused by a client";
/// Who asked, when the request does not say.
pub const DEFAULT_IDENTITY: &str = "api";

/// Who paused a run, why and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseInfoBody {
    pub reason: String,
    pub identity: String,
    pub time_ms: u64,
}

/// The body of `POST /v1/executions/{id}/activities/{activity}/{op}`, where
/// `{activity}` is a pending activity's seq or type and `{op}` is `pause`, `unpause`,
/// `reset` or `update-options`. The option fields are for `update-options` only
/// (at least one); the others refuse them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ActivityOpBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_to_close_ms: Option<u64>,
    /// 0 removes the timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_to_close_ms: Option<u64>,
    /// 0 removes the timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_timeout_ms: Option<u64>,
    /// 0: unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_attempts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_interval_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_coefficient: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_interval_ms: Option<u64>,
}

/// The answer to an activity act: the run and the activity's seq.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityOpAnswer {
    pub workflow_id: String,
    pub run_id: String,
    pub seq: u32,
}

/// The reason recorded for an activity act asked for without one.
pub const DEFAULT_ACTIVITY_REASON: &str = "asked by a client";
