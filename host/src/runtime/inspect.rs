//! Reading runs and histories without running anything.

use std::path::Path;
use std::sync::Arc;

use super::QueryError;
use crate::history::Event;
use crate::storage::{RedbStorage, RunRecord, Storage, StorageError};

/// A read-only view of a host's storage.
#[derive(Clone)]
pub struct Inspector {
    storage: Arc<dyn Storage>,
}

impl Inspector {
    pub fn new(storage: Arc<dyn Storage>) -> Inspector {
        Inspector { storage }
    }

    /// Open the database of a data folder (fails while a host has it open).
    pub fn open(data_dir: &Path) -> Result<Inspector, StorageError> {
        Ok(Inspector::new(Arc::new(RedbStorage::open(
            &data_dir.join("weft.redb"),
        )?)))
    }

    /// Every run, newest first.
    pub fn runs(&self) -> Result<Vec<RunRecord>, QueryError> {
        let mut runs = self.storage.runs()?;
        runs.sort_by(|a, b| b.start_ms.cmp(&a.start_ms).then(b.run_id.cmp(&a.run_id)));
        Ok(runs)
    }

    /// A run by run id, or the latest run of a workflow id.
    pub fn find_run(&self, id: &str) -> Result<RunRecord, QueryError> {
        if let Some(r) = self.storage.run(id)? {
            return Ok(r);
        }
        self.storage
            .latest_run(id)?
            .ok_or_else(|| QueryError::NotFound(id.to_string()))
    }

    /// A run's history.
    pub fn history(&self, run_id: &str) -> Result<Vec<Event>, QueryError> {
        Ok(self.storage.history(run_id)?)
    }
}
