//! Batch jobs: one operation (signal, cancel, terminate, reset, delete, …) applied to
//! every execution a list query finds, as Temporal's batch operations do.
//!
//! A batch is durable. Submitting it runs its query to the end and stores the workflow
//! ids it found (its targets, fixed from then on) with the operation, in the `batches`
//! table; one task per running batch then acts on the targets in order, at most `rps`
//! a second on the host's clock, and stores its progress every [`CHECKPOINT`]
//! targets. A host that stops mid-batch resumes it from the last stored progress, so
//! a few targets are acted on again; none is acted on twice: signals, cancellations
//! and terminations carry the request id `batch-<batch id>` (see `request_ids`), a
//! reset is skipped when the execution's latest run was made by this batch's reset,
//! and deleting what is gone is done.
//!
//! | state       | when                                                              |
//! |-------------|-------------------------------------------------------------------|
//! | `running`   | targets are left                                                  |
//! | `completed` | every target was acted on (`failed` counts those it failed on)    |
//! | `stopped`   | `weft batch stop`                                                 |
//! | `failed`    | the batch itself could not go on (its progress could not be stored)|
//!
//! Batches sit above the runtime, as schedules do: they act through [`Host`].

mod record;
mod runner;

pub use record::{BatchFailure, BatchOperation, BatchRecord, BatchState};

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Mutex;

use crate::runtime::{Host, QueryError, WeakHost};
use crate::storage::{durable, StorageError, Write};

/// Progress is stored after this many targets (and at the end).
pub const CHECKPOINT: u64 = 50;
/// The most failures a batch keeps the messages of (all are counted).
pub const KEPT_FAILURES: usize = 100;
/// The most executions one batch acts on.
pub const MAX_TARGETS: usize = 1_000_000;

/// What can go wrong with a batch operation.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("no batch `{0}`")]
    NotFound(String),
    #[error("batch `{0}` already exists")]
    AlreadyExists(String),
    /// The request is wrong (a bad query, id, rate or operation).
    #[error("{0}")]
    Invalid(String),
    #[error("the host is shutting down")]
    HostGone,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<QueryError> for BatchError {
    fn from(e: QueryError) -> BatchError {
        match e {
            QueryError::Storage(e) => BatchError::Storage(e),
            e => BatchError::Invalid(e.to_string()),
        }
    }
}

/// A batch as submitted.
#[derive(Debug, Clone)]
pub struct BatchSpec {
    /// Its id; a fresh `batch-<random>` when absent.
    pub id: Option<String>,
    pub operation: BatchOperation,
    /// A list filter (`weft list --query`).
    pub query: String,
    pub reason: String,
    /// At most this many executions a second; unlimited when absent.
    pub rps: Option<f64>,
}

/// The batch jobs of one host, and the tasks that carry them out.
#[derive(Clone)]
pub struct Batches {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    host: WeakHost,
    batches: Mutex<HashMap<String, BatchRecord>>,
    /// Set by [`Batches::stop_all`]: the runners act on no more targets.
    stopped: std::sync::atomic::AtomicBool,
}

impl Batches {
    /// Load the host's batches and resume the running ones.
    pub async fn start(host: &Host) -> Result<Batches, BatchError> {
        let mut batches = HashMap::new();
        for (id, bytes) in host.storage().batches()? {
            batches.insert(id.clone(), BatchRecord::decode(&id, &bytes)?);
        }
        // In a cluster, a batch runs on the host that serves its id's shard.
        let running: Vec<String> = batches
            .values()
            .filter(|b| b.state == BatchState::Running && host.serves(&b.id))
            .map(|b| b.id.clone())
            .collect();
        let inner = Arc::new(Inner {
            host: host.downgrade(),
            batches: Mutex::new(batches),
            stopped: std::sync::atomic::AtomicBool::new(false),
        });
        for id in running {
            tracing::info!(batch = %id, "resuming a batch");
            tokio::spawn(runner::run(inner.clone(), id));
        }
        Ok(Batches { inner })
    }

    /// Act on no more targets (at a host's shutdown); running batches resume when the
    /// next host starts.
    pub async fn stop_all(&self) {
        let _batches = self.inner.batches.lock().await;
        self.inner
            .stopped
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Find the targets of `spec`, store the batch, and start acting on them.
    pub async fn submit(&self, spec: BatchSpec) -> Result<BatchRecord, BatchError> {
        let host = self.inner.host.upgrade().ok_or(BatchError::HostGone)?;
        spec.check()?;
        let id = match &spec.id {
            Some(id) => id.clone(),
            None => loop {
                // One this host serves, in a cluster (it runs the batch).
                let id = format!("batch-{}", &host.entropy().id()[..12]);
                if host.serves(&id) || host.serves_none() {
                    break id;
                }
            },
        };
        let targets = targets(&host, &spec.query)?;
        let mut batches = self.inner.batches.lock().await;
        if batches.contains_key(&id) {
            return Err(BatchError::AlreadyExists(id));
        }
        let record = BatchRecord {
            id: id.clone(),
            operation: spec.operation,
            query: spec.query,
            reason: spec.reason,
            rps: spec.rps,
            state: BatchState::Running,
            targets,
            next: 0,
            done: 0,
            failed: 0,
            failures: Vec::new(),
            created_ms: host.clock().now_ms(),
            finished_ms: None,
            stop_reason: None,
        };
        save(&host, &record).await?;
        batches.insert(id.clone(), record.clone());
        drop(batches);
        tracing::info!(batch = %id, targets = record.targets.len(), "batch submitted");
        tokio::spawn(runner::run(self.inner.clone(), id));
        Ok(record)
    }

    /// Every batch, newest first.
    pub async fn list(&self) -> Vec<BatchRecord> {
        let mut all: Vec<BatchRecord> = self.inner.batches.lock().await.values().cloned().collect();
        all.sort_by(|a, b| (b.created_ms, &b.id).cmp(&(a.created_ms, &a.id)));
        all
    }

    /// One batch, with its progress.
    pub async fn get(&self, id: &str) -> Result<BatchRecord, BatchError> {
        let batches = self.inner.batches.lock().await;
        batches
            .get(id)
            .cloned()
            .ok_or_else(|| BatchError::NotFound(id.to_string()))
    }

    /// Stop a running batch: it acts on no more targets. Stopping one that has ended
    /// changes nothing.
    pub async fn stop(&self, id: &str, reason: &str) -> Result<BatchRecord, BatchError> {
        let host = self.inner.host.upgrade().ok_or(BatchError::HostGone)?;
        let mut batches = self.inner.batches.lock().await;
        let record = batches
            .get_mut(id)
            .ok_or_else(|| BatchError::NotFound(id.to_string()))?;
        if record.state != BatchState::Running {
            return Ok(record.clone());
        }
        let mut stopped = record.clone();
        stopped.state = BatchState::Stopped;
        stopped.stop_reason = Some(reason.to_string());
        stopped.finished_ms = Some(host.clock().now_ms());
        save(&host, &stopped).await?;
        *record = stopped.clone();
        tracing::info!(batch = %id, %reason, "batch stopped");
        Ok(stopped)
    }
}

impl BatchSpec {
    /// Refuse a batch that cannot work (a bad id, no reason, a bad rate or operation)
    /// before its query runs.
    pub fn check(&self) -> Result<(), BatchError> {
        if let Some(id) = &self.id {
            weft_model::names::BatchId::parse(id)
                .map_err(|e| BatchError::Invalid(e.to_string()))?;
        }
        if self.reason.trim().is_empty() {
            return Err(BatchError::Invalid(
                "a batch needs a reason (it is recorded with every operation)".into(),
            ));
        }
        if let Some(rps) = self.rps {
            if !(rps.is_finite() && rps > 0.0) {
                return Err(BatchError::Invalid(format!(
                    "--rps {rps}: give a rate above 0, in executions a second"
                )));
            }
        }
        self.operation.check().map_err(BatchError::Invalid)
    }
}

/// The workflow ids `query` finds, each once, in the query's order.
fn targets(host: &Host, query: &str) -> Result<Vec<String>, BatchError> {
    let inspector = host.inspect();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page = inspector.search(query, offset, 1_000)?;
        offset += page.runs.len();
        for run in page.runs {
            if seen.insert(run.workflow_id.clone()) {
                out.push(run.workflow_id);
            }
        }
        if out.len() > MAX_TARGETS {
            return Err(BatchError::Invalid(format!(
                "the query finds more than {MAX_TARGETS} executions; narrow it"
            )));
        }
        if !page.more {
            return Ok(out);
        }
    }
}

/// Store `record` durably.
pub(crate) async fn save(host: &Host, record: &BatchRecord) -> Result<(), BatchError> {
    let write = Write::PutBatch {
        id: record.id.clone(),
        batch: record.encode(),
    };
    durable(host.storage().commit(vec![write]))
        .await
        .map_err(|e| BatchError::Storage(StorageError::Database(e.to_string())))
}
