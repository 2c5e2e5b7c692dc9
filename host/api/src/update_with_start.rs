//! The body of `POST /v1/executions/{id}/update-with-start`: start a workflow under the
//! path's id (or take its open run, by `start.id_conflict_policy`) and send it an
//! update, answered with the update's outcome.

use serde::{Deserialize, Serialize};

use crate::types::{StartBody, UpdateAnswer, UpdateBody};

/// What to start and the update to send.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UpdateWithStartBody {
    /// The start, as `POST /v1/executions` takes it, without `signal`; its `id`, when
    /// given, must be the path's.
    pub start: StartBody,
    /// The update's name.
    pub update_name: String,
    /// The update as `POST /v1/executions/{id}/updates/{name}` takes it. Its
    /// `update_id`, with the start's `request_id`, deduplicates: the same ids again
    /// find the same run and answer the first outcome.
    #[serde(default)]
    pub update: UpdateBody,
}

/// The run the update went to, whether this request started it, and the update's
/// outcome (202 with stage `pending` when not at the asked stage in time: ask again
/// with the same `update_id`, or with `POST .../updates/{name}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpdateWithStartAnswer {
    pub workflow_id: String,
    pub run_id: String,
    pub started: bool,
    pub update: UpdateAnswer,
}
