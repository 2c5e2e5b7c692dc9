//! The embedded default: one redb file, one writer thread doing group commits.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{mpsc, Arc, OnceLock, RwLock};
use std::time::Instant;

use redb::{Database, ReadableDatabase, ReadableTable};
use tokio::sync::oneshot;

use super::attr_index::{decode_attributes, RUN_ATTRIBUTES};
use super::plan::TypedQuery;
use super::redb_tables::{
    apply, decode_run, decode_version, prepare, BATCHES, HISTORY, MODULES, MODULE_VERSIONS, OUTBOX,
    OUTCOMES, REQUESTS, RESTING, RUNS, SCHEDULES, TIMERS, WORKFLOWS,
};
use super::{redb_query, redb_search};
use super::{
    Commit, CommitObserver, Counted, HistoryChunk, ModuleVersion, OutboxRow, RunAttributes,
    RunFilter, RunRecord, SearchPage, Storage, StorageError, TimerRow, Write,
};

/// Most batches one transaction takes; bounds the latency a large group adds.
const MAX_GROUP: usize = 512;

type Request = (Vec<Write>, oneshot::Sender<Result<(), Arc<StorageError>>>);

/// Where the writer reports its group commits, if anywhere.
type Observer = Arc<RwLock<Option<Arc<dyn CommitObserver>>>>;

/// Storage in one redb database.
pub struct RedbStorage {
    db: Arc<Database>,
    /// The writer thread's queue; `None` when commits are written inline (see
    /// [`RedbStorage::with_backend_inline`]).
    writer: Option<mpsc::Sender<Request>>,
    inline: bool,
    observer: Observer,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The first I/O error a commit met; after it redb refuses everything.
    failed: Arc<OnceLock<String>>,
}

impl Drop for RedbStorage {
    /// Stop the writer and wait for it, so the file is closed (and its lock released)
    /// when the storage is gone.
    fn drop(&mut self) {
        drop(self.writer.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The database pages a host keeps in memory by default: enough for the rows of the
/// open runs and the histories being written, and a bound that does not grow with
/// the number of runs (redb's own default is 1 GiB).
pub const DEFAULT_STORAGE_CACHE_BYTES: usize = 32 * 1024 * 1024;

impl RedbStorage {
    /// Open (or create) the database file at `path`, with the default page cache
    /// ([`DEFAULT_STORAGE_CACHE_BYTES`]).
    pub fn open(path: &Path) -> Result<RedbStorage, StorageError> {
        Self::open_with_cache(path, DEFAULT_STORAGE_CACHE_BYTES)
    }

    /// Open (or create) the database file at `path`, keeping at most `cache_bytes` of
    /// its pages in memory.
    pub fn open_with_cache(path: &Path, cache_bytes: usize) -> Result<RedbStorage, StorageError> {
        let db = Database::builder()
            .set_cache_size(cache_bytes)
            .create(path)
            .map_err(|source| StorageError::Open {
                path: path.display().to_string(),
                source,
            })?;
        Self::with_database(db)
    }

    /// A database that lives in memory only (tests, offline tools).
    pub fn in_memory() -> Result<RedbStorage, StorageError> {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(|source| StorageError::Open {
                path: "<memory>".into(),
                source,
            })?;
        Self::with_database(db)
    }

    /// A database on a backend of the caller's (e.g. a disk that fails, in tests).
    pub fn with_backend(backend: impl redb::StorageBackend) -> Result<RedbStorage, StorageError> {
        let db = Database::builder()
            .create_with_backend(backend)
            .map_err(|source| StorageError::Open {
                path: "<backend>".into(),
                source,
            })?;
        Self::with_database(db)
    }

    /// A database on a backend of the caller's whose commits are written by the caller,
    /// one transaction each, before [`Storage::commit`] returns: no writer thread, so
    /// the order of disk operations depends on nothing but the order of commits. For a
    /// simulator that runs the host on one thread; production uses the writer thread's
    /// group commits.
    pub fn with_backend_inline(
        backend: impl redb::StorageBackend,
        cache_bytes: usize,
    ) -> Result<RedbStorage, StorageError> {
        let db = Database::builder()
            .set_cache_size(cache_bytes)
            .create_with_backend(backend)
            .map_err(|source| StorageError::Open {
                path: "<backend>".into(),
                source,
            })?;
        prepare(&db)?;
        Ok(RedbStorage {
            db: Arc::new(db),
            writer: None,
            inline: true,
            observer: Observer::default(),
            thread: None,
            failed: Arc::new(OnceLock::new()),
        })
    }

    fn with_database(db: Database) -> Result<RedbStorage, StorageError> {
        prepare(&db)?;
        let db = Arc::new(db);
        let (writer, requests) = mpsc::channel();
        let db2 = db.clone();
        let observer = Observer::default();
        let observer2 = observer.clone();
        let failed = Arc::new(OnceLock::new());
        let failed2 = failed.clone();
        let thread = std::thread::Builder::new()
            .name("weft-storage-writer".into())
            .spawn(move || write_loop(&db2, requests, &observer2, &failed2))
            .expect("spawning the storage writer thread");
        Ok(RedbStorage {
            db,
            writer: Some(writer),
            inline: false,
            observer,
            thread: Some(thread),
            failed,
        })
    }
}

/// Take every request that is waiting, write them in one transaction, commit once.
/// Each group is reported to the observer, if one is set.
/// After an I/O error every later commit is answered with it at once: redb refuses
/// them all until the database is reopened.
fn write_loop(
    db: &Database,
    requests: mpsc::Receiver<Request>,
    observer: &Observer,
    failed: &OnceLock<String>,
) {
    while let Ok(first) = requests.recv() {
        if let Some(error) = failed.get() {
            let _ = first.1.send(Err(Arc::new(StorageError::Io(error.clone()))));
            continue;
        }
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match requests.try_recv() {
                Ok(r) => group.push(r),
                Err(_) => break,
            }
        }
        commit_group(db, group, observer, failed);
    }
}

/// Write `group` in one transaction and answer each of its requests with the result;
/// a fatal error is latched in `failed`. The group is reported to the observer.
fn commit_group(
    db: &Database,
    group: Vec<Request>,
    observer: &Observer,
    failed: &OnceLock<String>,
) {
    let began = Instant::now();
    let result = apply(db, group.iter().flat_map(|(w, _)| w)).map_err(Arc::new);
    if let Err(e) = &result {
        if e.is_fatal() {
            tracing::error!("storage failed: {e}; the host stops");
            let _ = failed.set(format!("a storage I/O error: {e}"));
        }
    }
    if let Some(observer) = observer.read().unwrap().as_ref() {
        observer.committed(group.len(), began.elapsed().as_secs_f64());
    }
    for (_, done) in group {
        let _ = done.send(result.clone());
    }
}

impl Storage for RedbStorage {
    fn commit(&self, writes: Vec<Write>) -> Commit {
        let (done, commit) = oneshot::channel();
        if self.inline {
            match self.failed.get() {
                Some(error) => {
                    let _ = done.send(Err(Arc::new(StorageError::Io(error.clone()))));
                }
                None => commit_group(&self.db, vec![(writes, done)], &self.observer, &self.failed),
            }
            return commit;
        }
        let Some(writer) = &self.writer else {
            let _ = done.send(Err(Arc::new(StorageError::WriterStopped)));
            return commit;
        };
        if let Err(mpsc::SendError((_, done))) = writer.send((writes, done)) {
            let _ = done.send(Err(Arc::new(StorageError::WriterStopped)));
        }
        commit
    }

    fn observe_commits(&self, observer: Arc<dyn CommitObserver>) {
        *self.observer.write().unwrap() = Some(observer);
    }

    fn failure(&self) -> Option<String> {
        self.failed.get().cloned()
    }

    fn history(&self, run_id: &str) -> Result<Vec<HistoryChunk>, StorageError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(HISTORY)?;
        let mut chunks = Vec::new();
        for row in table.range((run_id, 0)..=(run_id, u64::MAX))? {
            let (key, value) = row?;
            chunks.push(HistoryChunk {
                first_index: key.value().1,
                bytes: value.value().to_vec(),
            });
        }
        Ok(chunks)
    }

    fn run(&self, run_id: &str) -> Result<Option<RunRecord>, StorageError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(RUNS)?;
        let Some(bytes) = table.get(run_id)? else {
            return Ok(None);
        };
        decode_run(run_id, bytes.value()).map(Some)
    }

    fn latest_run(&self, workflow_id: &str) -> Result<Option<RunRecord>, StorageError> {
        let run_id = {
            let tx = self.db.begin_read()?;
            let table = tx.open_table(WORKFLOWS)?;
            match table.get(workflow_id)? {
                Some(id) => id.value().to_string(),
                None => return Ok(None),
            }
        };
        self.run(&run_id)
    }

    fn list_runs(&self, filter: &RunFilter, limit: usize) -> Result<Vec<RunRecord>, StorageError> {
        redb_query::list_runs(&self.db.begin_read()?, filter, limit)
    }

    fn open_runs(&self) -> Result<Vec<RunRecord>, StorageError> {
        redb_query::open_runs(&self.db.begin_read()?)
    }

    fn closed_before(&self, before_ms: u64, limit: usize) -> Result<Vec<RunRecord>, StorageError> {
        super::redb_removal::closed_before(&self.db.begin_read()?, before_ms, limit)
    }

    fn run_attributes(&self, run_id: &str) -> Result<Option<RunAttributes>, StorageError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(RUN_ATTRIBUTES)?;
        let Some(bytes) = table.get(run_id)? else {
            return Ok(None);
        };
        decode_attributes(run_id, bytes.value()).map(Some)
    }

    fn attribute_types(
        &self,
    ) -> Result<std::collections::BTreeMap<String, weft_types::SearchAttributeKind>, StorageError>
    {
        redb_search::attribute_types(&self.db.begin_read()?)
    }

    fn search_runs(
        &self,
        query: &TypedQuery,
        offset: usize,
        limit: usize,
    ) -> Result<SearchPage, StorageError> {
        redb_search::search(&self.db.begin_read()?, query, offset, limit)
    }

    fn count_runs(&self, query: &TypedQuery) -> Result<Counted, StorageError> {
        redb_search::count(&self.db.begin_read()?, query)
    }

    fn outcome(&self, run_id: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(OUTCOMES)?;
        Ok(table.get(run_id)?.map(|v| v.value().to_vec()))
    }

    fn request(&self, workflow_id: &str, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(REQUESTS)?;
        Ok(table.get((workflow_id, key))?.map(|v| v.value().to_vec()))
    }

    fn timers(&self) -> Result<Vec<TimerRow>, StorageError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(TIMERS)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (key, _) = row?;
            let (fire_at_ms, run_id, seq) = key.value();
            out.push(TimerRow {
                fire_at_ms,
                run_id: run_id.to_string(),
                seq,
            });
        }
        Ok(out)
    }

    fn resting_runs(&self) -> Result<HashMap<String, Option<String>>, StorageError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(RESTING)?;
        let mut out = HashMap::new();
        for row in table.iter()? {
            let (run_id, parent) = row?;
            let parent = Some(parent.value()).filter(|p| !p.is_empty());
            out.insert(run_id.value().to_string(), parent.map(str::to_string));
        }
        Ok(out)
    }

    fn outbox(&self) -> Result<Vec<OutboxRow>, StorageError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(OUTBOX)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (key, effect) = row?;
            let (run_id, ordinal) = key.value();
            out.push(OutboxRow {
                run_id: run_id.to_string(),
                ordinal,
                effect: effect.value().to_vec(),
            });
        }
        Ok(out)
    }

    fn module(&self, digest: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(MODULES)?;
        Ok(table.get(digest)?.map(|v| v.value().to_vec()))
    }

    fn module_versions(&self) -> Result<Vec<ModuleVersion>, StorageError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(MODULE_VERSIONS)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (key, value) = row?;
            let (_, name, version) = key.value();
            out.push(decode_version(name, version, value.value())?);
        }
        Ok(out)
    }

    fn schedules(&self) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
        self.keyed_rows(SCHEDULES)
    }

    fn batches(&self) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
        self.keyed_rows(BATCHES)
    }
}

impl RedbStorage {
    /// Every row of a table keyed by a string, in key order.
    fn keyed_rows(
        &self,
        table: redb::TableDefinition<&str, &[u8]>,
    ) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(table)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (key, value) = row?;
            out.push((key.value().to_string(), value.value().to_vec()));
        }
        Ok(out)
    }
}
