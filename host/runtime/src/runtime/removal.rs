//! Deleting closed executions (`weft delete`): a run and the runs it continued as new
//! from, every row kept for them, in one durable commit. An open run is refused: the
//! caller terminates it first. Retention (`retention.rs`) removes runs the same way.

use super::{Host, QueryError};
use crate::history::archive::{Archive, ArchiveError};
use crate::history::History;
use crate::storage::{durable, RunRecord, Write};

/// An execution could not be deleted.
#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    /// No such run or workflow id.
    #[error("no execution with id `{0}`")]
    NotFound(String),
    /// The run is still open.
    #[error("execution `{workflow_id}` is running (run {run_id}): terminate it first (`weft terminate {workflow_id}`), then delete it")]
    Open { workflow_id: String, run_id: String },
    /// Reading the runs failed.
    #[error(transparent)]
    Query(QueryError),
    /// Writing a run to the archive failed: nothing was removed.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The removal could not be made durable: nothing was removed, or the host stopped
    /// (look the id up after a restart).
    #[error("cannot delete: {0}")]
    Storage(String),
}

impl From<QueryError> for DeleteError {
    fn from(e: QueryError) -> DeleteError {
        match e {
            QueryError::NotFound(id) => DeleteError::NotFound(id),
            other => DeleteError::Query(other),
        }
    }
}

impl Host {
    /// Delete the closed execution `id`: its run (a workflow id's latest, or a run
    /// id) and the runs it continued as new from, with their histories, search
    /// attributes and outcomes; the workflow id and its request records go with its
    /// latest run. Returns the runs removed, newest first. An open run is refused
    /// ([`DeleteError::Open`]).
    pub async fn delete_execution(&self, id: &str) -> Result<Vec<RunRecord>, DeleteError> {
        let run = self.find_run(id)?;
        if run.status.is_open() {
            return Err(DeleteError::Open {
                workflow_id: run.workflow_id,
                run_id: run.run_id,
            });
        }
        let runs = self.continued_chain(run)?;
        self.remove_runs(&runs, None).await?;
        self.inner
            .metrics
            .executions_deleted
            .inc_by(runs.len() as u64);
        tracing::info!(workflow = %runs[0].workflow_id, runs = runs.len(), "execution deleted");
        Ok(runs)
    }

    /// `run` and the runs it continued as new from that are still stored, newest first.
    fn continued_chain(&self, run: RunRecord) -> Result<Vec<RunRecord>, QueryError> {
        let inspector = self.inspect();
        let mut runs = vec![run];
        loop {
            let last = runs.last().expect("one at least");
            let history = History::new(inspector.stored().history_of(last)?);
            let Some(previous) = history.continued_from() else {
                break;
            };
            match self.storage().run(previous)? {
                Some(previous) if !runs.iter().any(|r| r.run_id == previous.run_id) => {
                    runs.push(previous)
                }
                _ => break,
            }
        }
        Ok(runs)
    }

    /// Remove closed `runs` in one durable commit, each first written to `archive`
    /// when one is given (payloads as stored).
    pub(crate) async fn remove_runs(
        &self,
        runs: &[RunRecord],
        archive: Option<&Archive>,
    ) -> Result<(), DeleteError> {
        if let Some(archive) = archive {
            let stored = self.inspect();
            for run in runs {
                let events = stored.stored().history_of(run)?;
                let close_ms = run.close_ms.unwrap_or(run.start_ms);
                archive.write(&run.workflow_id, &run.run_id, close_ms, &events)?;
            }
        }
        let mut writes: Vec<Write> = runs
            .iter()
            .map(|r| Write::DeleteRun(r.run_id.clone()))
            .collect();
        // In a cluster, only the holder of the workflow id's shard writes for it.
        let mut fenced: Vec<&str> = runs.iter().map(|r| r.workflow_id.as_str()).collect();
        fenced.sort_unstable();
        fenced.dedup();
        writes.extend(fenced.into_iter().map(|workflow_id| Write::Fence {
            workflow_id: workflow_id.to_string(),
        }));
        durable(self.storage().commit(writes))
            .await
            .map_err(|e| DeleteError::Storage(e.to_string()))
    }
}
