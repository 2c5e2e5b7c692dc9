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
