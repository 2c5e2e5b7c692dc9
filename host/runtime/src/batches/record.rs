//! A batch as stored: what was asked, its targets, and how far it got.
//!
//! Stored in the `batches` table as `postcard(Stored)`; `Stored` is an enum so a later
//! shape can be added as a new variant and the old one converted on read.

use serde::{Deserialize, Serialize};

use super::BatchError;
use crate::storage::StorageError;

/// What a batch does to each execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BatchOperation {
    /// Send the signal `name` with `input_json`.
    Signal {
        name: String,
        input_json: String,
    },
    Cancel,
    Terminate,
    /// Reset to `to` (`first-task`, `last-task`, an event index), reapplying
    /// `reapply`.
    Reset {
        to: String,
        reapply: String,
    },
    /// Delete a closed execution (an execution already gone counts as done).
    Delete,
    /// Pause an open run (one paused already counts as done).
    Pause,
    /// Unpause a paused run (one not paused counts as done).
    Unpause,
}

impl BatchOperation {
    /// Its name in the CLI's and the API's words.
    pub fn name(&self) -> &'static str {
        match self {
            BatchOperation::Signal { .. } => "signal",
            BatchOperation::Cancel => "cancel",
            BatchOperation::Terminate => "terminate",
            BatchOperation::Reset { .. } => "reset",
            BatchOperation::Delete => "delete",
            BatchOperation::Pause => "pause",
            BatchOperation::Unpause => "unpause",
        }
    }

    /// Refuse what cannot work on any execution, before anything is stored.
    pub(super) fn check(&self) -> Result<(), String> {
        match self {
            BatchOperation::Signal { name, input_json } => {
                weft_model::names::SignalName::parse(name).map_err(|e| e.to_string())?;
                serde_json::from_str::<serde_json::Value>(input_json)
                    .map_err(|e| format!("the signal's input is not JSON: {e}"))?;
                Ok(())
            }
            BatchOperation::Reset { to, reapply } => {
                to.parse::<crate::runtime::ResetPoint>()?;
                reapply.parse::<crate::runtime::Reapply>()?;
                Ok(())
            }
            BatchOperation::Cancel
            | BatchOperation::Terminate
            | BatchOperation::Delete
            | BatchOperation::Pause
            | BatchOperation::Unpause => Ok(()),
        }
    }
}

/// Where a batch is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BatchState {
    Running,
    Completed,
    Failed,
    Stopped,
}

impl BatchState {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchState::Running => "running",
            BatchState::Completed => "completed",
            BatchState::Failed => "failed",
            BatchState::Stopped => "stopped",
        }
    }
}

/// An execution the batch could not act on, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchFailure {
    pub workflow_id: String,
    pub message: String,
}

/// A batch and its progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRecord {
    pub id: String,
    pub operation: BatchOperation,
    pub query: String,
    pub reason: String,
    pub rps: Option<f64>,
    pub state: BatchState,
    /// The workflow ids the query found when the batch was submitted.
    pub targets: Vec<String>,
    /// How many targets have been acted on (the next one's place).
    pub next: u64,
    /// Targets acted on.
    pub done: u64,
    /// Targets the operation failed on.
    pub failed: u64,
    /// The first [`super::KEPT_FAILURES`] failures.
    pub failures: Vec<BatchFailure>,
    pub created_ms: u64,
    pub finished_ms: Option<u64>,
    /// Why it was stopped, or what made it fail.
    pub stop_reason: Option<String>,
}

#[derive(Serialize, Deserialize)]
enum Stored {
    V1(BatchRecord),
}

impl BatchRecord {
    pub(crate) fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(&Stored::V1(self.clone())).expect("a batch always encodes")
    }

    pub(crate) fn decode(id: &str, bytes: &[u8]) -> Result<BatchRecord, BatchError> {
        match postcard::from_bytes(bytes) {
            Ok(Stored::V1(record)) => Ok(record),
            Err(e) => Err(BatchError::Storage(StorageError::Database(format!(
                "batch `{id}` does not decode: {e}"
            )))),
        }
    }

    /// How many targets the batch has.
    pub fn total(&self) -> u64 {
        self.targets.len() as u64
    }

    /// The request id its operations carry, so that none applies twice.
    pub fn request_id(&self) -> String {
        format!("batch-{}", self.id)
    }

    /// The reason recorded with each operation: the batch's, naming it.
    pub fn tagged_reason(&self) -> String {
        format!("{} (batch {})", self.reason, self.id)
    }
}
