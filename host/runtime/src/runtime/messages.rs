//! Talking to a running execution: signals, queries and updates, as the host's callers
//! see them (the actor's side is in `execution::messages`).
//!
//! | request | recorded                                  | answered                          |
//! |---------|-------------------------------------------|-----------------------------------|
//! | signal  | as a job of the next task                 | once that task is durable         |
//! | query   | never                                     | from the cached instance, or one  |
//! |         |                                           | rebuilt by replay (also closed)   |
//! | update  | as a job of the task that accepted it,    | at the stage the caller waits for |
//! |         | with its accept and complete commands;    | (accepted / completed); again, by |
//! |         | a rejected one never                      | update id, after a restart        |

use std::str::FromStr;

use weft_model::names::{QueryName, SignalName, UpdateName};

use crate::history::{Failure, Payload};
use crate::storage::Status;

/// How far an update must have come before its caller is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateStage {
    /// The validator accepted it and the acceptance is durable.
    Accepted,
    /// Its handler has returned and the result is durable.
    #[default]
    Completed,
}

impl UpdateStage {
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateStage::Accepted => "accepted",
            UpdateStage::Completed => "completed",
        }
    }
}

impl FromStr for UpdateStage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "accepted" => Ok(UpdateStage::Accepted),
            "completed" => Ok(UpdateStage::Completed),
            other => Err(format!(
                "`{other}` is not an update stage (accepted, completed)"
            )),
        }
    }
}

/// An update to deliver.
#[derive(Debug, Clone)]
pub struct UpdateRequest {
    /// Deduplicates: the same id again gets the first request's outcome. A fresh id
    /// when absent.
    pub update_id: Option<String>,
    pub name: String,
    pub input: Payload,
    pub wait: UpdateStage,
}

/// Where an update stands when its caller is answered.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateOutcome {
    /// Accepted and durable; the handler has not returned yet.
    Accepted { update_id: String },
    /// The handler returned: its value, or the failure it returned.
    Completed {
        update_id: String,
        result: Result<Payload, Failure>,
    },
}

impl UpdateOutcome {
    pub fn update_id(&self) -> &str {
        match self {
            UpdateOutcome::Accepted { update_id } | UpdateOutcome::Completed { update_id, .. } => {
                update_id
            }
        }
    }
}

/// A signal, query or update that did not get through.
#[derive(Debug, Clone, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum MessageError {
    /// No execution has this workflow id or run id.
    #[error("no execution with id `{0}`")]
    NotFound(String),
    /// The run has closed: signals and updates go to open runs only.
    #[error("execution `{workflow_id}` (run {run_id}) is closed ({})", .status.name())]
    Closed {
        workflow_id: String,
        run_id: String,
        status: Status,
    },
    /// The workflow's validator (or the SDK, for an unknown name or bad input) rejected
    /// the update; nothing of it was recorded.
    #[error("update rejected: {}", .0.message)]
    Rejected(Failure),
    /// The query failed (unknown name, a handler that failed or issued commands), or
    /// the task that would have accepted the update failed; the workflow goes on.
    #[error("{}", .0.message)]
    Failed(Failure),
    /// The request is malformed (an empty name, an oversized payload).
    #[error("{0}")]
    Invalid(String),
    /// Recording it failed, or the host stopped before it was answered.
    #[error("{0}")]
    Unavailable(String),
    /// The host stopped after a storage I/O error; nothing was tried.
    #[error("{}", super::error::stopped_message(.0))]
    Stopped(String),
    /// The disk failed while the request was being recorded: it may or may not be
    /// durable. The host stopped.
    #[error("{}", super::error::outcome_unknown_message(.0))]
    OutcomeUnknown(String),
    /// In a cluster, another host serves the run's shard: nothing was tried here.
    #[error("{}", super::error::not_owner_message(.workflow_id, *.shard))]
    NotOwner { workflow_id: String, shard: u32 },
}

/// The largest payload a signal, query or update may carry (Temporal's blob limit).
pub const MAX_MESSAGE_PAYLOAD_BYTES: usize = 2 * 1024 * 1024;

/// Refuse an empty name or an oversized payload before anything is sent.
pub(crate) fn check_message(kind: &str, name: &str, input: &Payload) -> Result<(), MessageError> {
    let named = match kind {
        "signal" => SignalName::parse(name).map(drop),
        "query" => QueryName::parse(name).map(drop),
        _ => UpdateName::parse(name).map(drop),
    };
    named.map_err(|e| MessageError::Invalid(e.to_string()))?;
    if kind == "signal" && name == crate::history::vocab::CHILD_CANCEL_REQUESTED_SIGNAL {
        return Err(MessageError::Invalid(format!(
            "the signal name `{name}` is reserved: the host tells a parent with it that its \
             child recorded a cancellation; choose another name"
        )));
    }
    if input.data.len() > MAX_MESSAGE_PAYLOAD_BYTES {
        return Err(MessageError::Invalid(format!(
            "the {kind} input is {} bytes, over the limit of {MAX_MESSAGE_PAYLOAD_BYTES}",
            input.data.len()
        )));
    }
    Ok(())
}
