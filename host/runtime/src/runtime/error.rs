//! What can go wrong opening a host, deploying, starting and reading runs.

use crate::engine::LoadError;
use crate::history::DecodeError;
use crate::storage::StorageError;

/// The host could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The data folder could not be created.
    #[error("cannot create the data folder {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    /// The database could not be opened.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The history of an open run does not decode.
    #[error(transparent)]
    History(#[from] DecodeError),
    /// A payload of an open run does not decode (its codec key is missing).
    #[error("{what}: {source}")]
    Payload {
        what: String,
        source: crate::payload_codec::CodecError,
    },
    /// The wasmtime engine could not be configured.
    #[error("cannot set up the wasmtime engine: {0}")]
    Engine(String),
    /// A stored module of an open run no longer loads.
    #[error("the module {digest} of open run {run_id} does not load: {reason}")]
    Module {
        digest: String,
        run_id: String,
        reason: String,
    },
}

/// A module could not be deployed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The component is not a valid workflow module.
    #[error(transparent)]
    Invalid(#[from] LoadError),
    /// Storing it failed.
    #[error("cannot store the module: {0}")]
    Storage(String),
    /// The module name is empty, too long or has `/` or control characters.
    #[error(transparent)]
    BadName(#[from] weft_model::names::NameError),
    /// A checked deployment found open runs the new component does not reproduce.
    #[error("refused: the component diverges from the history of {} open execution(s):\n{}", .0.len(), .0.iter().map(|d| format!("{} (run {}): {}", d.workflow_id, d.run_id, d.report)).collect::<Vec<_>>().join("\n"))]
    Diverged(Vec<CheckFailure>),
    /// The host stopped after a storage I/O error; nothing was tried.
    #[error("{}", stopped_message(.0))]
    Stopped(String),
}

/// An open run a checked deployment does not reproduce.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CheckFailure {
    pub workflow_id: String,
    pub run_id: String,
    /// The replay's report.
    pub report: String,
}

/// A run could not be started.
#[derive(Debug, Clone, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum StartError {
    /// No deployed module exports this workflow type.
    #[error(
        "no deployed module exports the workflow type `{workflow_type}` (known types: {known})"
    )]
    UnknownWorkflowType {
        workflow_type: String,
        known: String,
    },
    /// The workflow id has a run that is still open.
    #[error("workflow id `{0}` already has a running execution; wait for it to close or pick another id")]
    AlreadyRunning(String),
    /// The id's latest run is closed and the id reuse policy forbids another.
    #[error("workflow id `{workflow_id}` was used by run {run_id} ({status}) and the id reuse policy `{policy}` refuses another run")]
    IdReused {
        workflow_id: String,
        run_id: String,
        status: String,
        policy: String,
    },
    /// The request is malformed (the workflow id, a signal-with-start's signal name
    /// or input, a search attribute).
    #[error("{0}")]
    Invalid(String),
    /// The workflow refused its input in its first task (it does not decode into the
    /// input type, or the type's validation failed): nothing was recorded.
    #[error("{0}")]
    InvalidInput(String),
    /// The named module is not deployed.
    #[error("module {0} is not deployed")]
    UnknownModule(String),
    /// The workflow type is past its start rate, which refuses (`weft server
    /// --start-rate TYPE=N/s,refuse`): nothing was recorded.
    #[error("refused: starts of `{workflow_type}` are past their rate of {rate}; try again in {}", retry_text(*.retry_after_ms))]
    RateLimited {
        workflow_type: String,
        rate: String,
        /// How long until a start would be taken.
        retry_after_ms: u64,
    },
    /// Recording the start failed before any I/O: nothing of it was written.
    #[error("cannot record the start: {0}")]
    Storage(String),
    /// The host stopped after a storage I/O error; nothing was tried.
    #[error("{}", stopped_message(.0))]
    Stopped(String),
    /// The disk failed while the start was being recorded: it may or may not be
    /// durable. The host stopped; after a restart, look the workflow id up.
    #[error("{}", outcome_unknown_message(.0))]
    OutcomeUnknown(String),
    /// In a cluster, another host serves the workflow id's shard (or none does, during
    /// a takeover): nothing was tried here; send it to the shard's owner.
    #[error("{}", not_owner_message(.workflow_id, *.shard))]
    NotOwner { workflow_id: String, shard: u32 },
}

/// What a request for a run of a shard this host does not hold is told.
pub fn not_owner_message(workflow_id: &str, shard: u32) -> String {
    format!("this host does not serve workflow id `{workflow_id}` (shard {shard}): another host of the cluster holds the shard, or it is being taken over; try again, through any host")
}

/// `250ms`, `1.5s`, `2m 5s`, `1h`: how long to wait before trying again (rounded up).
fn retry_text(ms: u64) -> String {
    let s = ms.div_ceil(1_000);
    let two = |big: u64, big_unit: &str, small: u64, small_unit: &str| match small {
        0 => format!("{big}{big_unit}"),
        _ => format!("{big}{big_unit} {small}{small_unit}"),
    };
    match ms {
        0..1_000 => format!("{}ms", ms.max(1)),
        1_000..60_000 => format!("{}s", ms.div_ceil(100) as f64 / 10.0),
        60_000..3_600_000 => two(s / 60, "m", s % 60, "s"),
        _ => two(s / 3_600, "h", (s % 3_600).div_ceil(60), "m"),
    }
}

/// What a request to a host stopped by a storage I/O error is told.
pub fn stopped_message(error: &str) -> String {
    format!("the host stopped after {error}; restart it to resume from what is durable")
}

/// What a request whose commit met a storage I/O error is told.
pub fn outcome_unknown_message(error: &str) -> String {
    format!("outcome unknown: the storage failed while recording this request ({error}); it may or may not be durable. The host stopped; restart it and look the execution up")
}

/// A reading failed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// No such run or workflow id.
    #[error("no execution with id `{0}`")]
    NotFound(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A stored history does not decode.
    #[error(transparent)]
    History(#[from] DecodeError),
    /// A list filter that does not parse or does not fit the search attributes.
    #[error("the query is not valid: {0}")]
    Filter(#[from] crate::query::QueryError),
    /// A stored payload does not decode (its codec key is missing, or it is damaged).
    #[error("{what}: {source}")]
    Payload {
        what: String,
        source: crate::payload_codec::CodecError,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_start_says_when_to_try_again() {
        let texts: Vec<String> = [0, 250, 1_000, 1_450, 59_999, 125_000, 3_600_000, 5_400_000]
            .into_iter()
            .map(retry_text)
            .collect();
        let want = ["1ms", "250ms", "1s", "1.5s", "60s", "2m 5s", "1h", "1h 30m"];
        assert_eq!(texts, want);
        let refused = StartError::RateLimited {
            workflow_type: "report".into(),
            rate: "10/s".into(),
            retry_after_ms: 100,
        };
        assert_eq!(
            refused.to_string(),
            "refused: starts of `report` are past their rate of 10/s; try again in 100ms"
        );
    }
}
