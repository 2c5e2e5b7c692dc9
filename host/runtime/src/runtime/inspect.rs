//! Reading runs and histories without running anything.

use std::path::Path;
use std::sync::Arc;

use super::{outcome, QueryError};
use crate::history::{Event, History, Outcome};
use crate::payload_codec::PayloadCodec;
use crate::query::typed::TypedQuery;
use crate::storage::{
    Counted, RedbStorage, RunAttributes, RunFilter, RunRecord, SearchPage, Storage, StorageError,
};

/// A read-only view of a host's storage.
#[derive(Clone)]
pub struct Inspector {
    storage: Arc<dyn Storage>,
    codec: PayloadCodec,
}

impl Inspector {
    /// A view without codec keys: encrypted payloads are errors naming their key.
    pub fn new(storage: Arc<dyn Storage>) -> Inspector {
        Inspector::with_codec(storage, PayloadCodec::none())
    }

    /// A view that decodes payloads with `codec`.
    pub fn with_codec(storage: Arc<dyn Storage>, codec: PayloadCodec) -> Inspector {
        Inspector { storage, codec }
    }

    /// Open the database of a data folder (fails while a host has it open).
    pub fn open(data_dir: &Path) -> Result<Inspector, StorageError> {
        Inspector::open_with_codec(data_dir, PayloadCodec::none())
    }

    /// [`Inspector::open`], decoding payloads with `codec`.
    pub fn open_with_codec(
        data_dir: &Path,
        codec: PayloadCodec,
    ) -> Result<Inspector, StorageError> {
        let storage = RedbStorage::open(&data_dir.join("weft.redb"))?;
        Ok(Inspector::with_codec(Arc::new(storage), codec))
    }

    /// The same view with payloads left as stored (encoded ones stay envelopes), as
    /// `weft history export` writes them unless told to decode.
    pub fn stored(&self) -> StoredHistories<'_> {
        StoredHistories(self)
    }

    /// Every run, newest first.
    pub fn runs(&self) -> Result<Vec<RunRecord>, QueryError> {
        self.list_runs(&RunFilter::default(), usize::MAX)
    }

    /// At most `limit` runs passing `filter`, newest first.
    pub fn list_runs(
        &self,
        filter: &RunFilter,
        limit: usize,
    ) -> Result<Vec<RunRecord>, QueryError> {
        Ok(self.storage.list_runs(filter, limit)?)
    }

    /// Check a list filter (`weft list --query`) against the attributes the store
    /// knows.
    pub fn check_query(&self, text: &str) -> Result<TypedQuery, QueryError> {
        let parsed = crate::query::parse(text)?;
        let types = self.storage.attribute_types()?;
        Ok(crate::query::typed::resolve(text, &parsed, &types)?)
    }

    /// The runs passing a list filter, in its order: `limit` from `offset`.
    pub fn search(
        &self,
        text: &str,
        offset: usize,
        limit: usize,
    ) -> Result<SearchPage, QueryError> {
        let query = self.check_query(text)?;
        Ok(self.storage.search_runs(&query, offset, limit)?)
    }

    /// How many runs pass a list filter (per status with `GROUP BY ExecutionStatus`).
    pub fn count(&self, text: &str) -> Result<Counted, QueryError> {
        let query = self.check_query(text)?;
        Ok(self.storage.count_runs(&query)?)
    }

    /// A run's current search attributes and memo.
    pub fn attributes(&self, run_id: &str) -> Result<Option<RunAttributes>, QueryError> {
        Ok(self.storage.run_attributes(run_id)?)
    }

    /// Every running run, oldest first.
    pub fn open_runs(&self) -> Result<Vec<RunRecord>, QueryError> {
        Ok(self.storage.open_runs()?)
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
        let record = self
            .storage
            .run(run_id)?
            .ok_or_else(|| QueryError::NotFound(run_id.to_string()))?;
        self.history_of(&record)
    }

    /// The history of a run whose record is at hand (it names the history's format).
    pub fn history_of(&self, run: &RunRecord) -> Result<Vec<Event>, QueryError> {
        let mut events = self.stored().history_of(run)?;
        self.codec
            .decode_events(&mut events)
            .map_err(|source| QueryError::Payload {
                what: format!("the history of run {}", run.run_id),
                source,
            })?;
        Ok(events)
    }

    /// How a run ended, `None` while it is open. Read from the outcome table; a run
    /// closed before that table existed has its history read instead.
    pub fn outcome(&self, run: &RunRecord) -> Result<Option<Outcome>, QueryError> {
        if run.status.is_open() {
            return Ok(None);
        }
        match self.storage.outcome(&run.run_id)? {
            Some(bytes) => {
                let mut outcome = outcome::decode(&run.run_id, &bytes)?;
                self.codec
                    .decode_outcome(&mut outcome)
                    .map_err(|source| QueryError::Payload {
                        what: format!("the outcome of run {}", run.run_id),
                        source,
                    })?;
                Ok(Some(outcome))
            }
            None => Ok(History::new(self.history_of(run)?).outcome()),
        }
    }
}

/// Histories as stored: encoded payloads stay envelopes (see [`Inspector::stored`]).
pub struct StoredHistories<'a>(&'a Inspector);

impl StoredHistories<'_> {
    /// The history of a run whose record is at hand (it names the history's format).
    pub fn history_of(&self, run: &RunRecord) -> Result<Vec<Event>, QueryError> {
        let chunks = self.0.storage.history(&run.run_id)?;
        Ok(super::decode_history(run, chunks)?)
    }
}
