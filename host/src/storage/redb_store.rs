//! The embedded default: one redb file, one writer thread doing group commits.

use std::path::Path;
use std::sync::{mpsc, Arc};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use tokio::sync::oneshot;

use super::{Commit, ModuleVersion, RunRecord, Storage, StorageError, Write};
use crate::history::Event;

/// run id → postcard `RunRecord`.
const RUNS: TableDefinition<&str, &[u8]> = TableDefinition::new("runs");
/// workflow id → run id of its latest run.
const WORKFLOWS: TableDefinition<&str, &str> = TableDefinition::new("workflows");
/// (run id, index of the first event) → postcard `Vec<Event>`: one row per commit.
const HISTORY: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("history");
/// module digest → component bytes.
const MODULES: TableDefinition<&str, &[u8]> = TableDefinition::new("modules");

/// (deployment time, name, version) → postcard `ModuleVersion`.
const MODULE_VERSIONS: TableDefinition<(u64, &str, u32), &[u8]> =
    TableDefinition::new("module_versions");

/// Most batches one transaction takes; bounds the latency a large group adds.
const MAX_GROUP: usize = 512;

type Request = (Vec<Write>, oneshot::Sender<Result<(), Arc<StorageError>>>);

/// Storage in one redb database.
pub struct RedbStorage {
    db: Arc<Database>,
    writer: Option<mpsc::Sender<Request>>,
    thread: Option<std::thread::JoinHandle<()>>,
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

impl RedbStorage {
    /// Open (or create) the database file at `path`.
    pub fn open(path: &Path) -> Result<RedbStorage, StorageError> {
        let db = Database::create(path).map_err(|source| StorageError::Open {
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

    fn with_database(db: Database) -> Result<RedbStorage, StorageError> {
        let db = Arc::new(db);
        // Create the tables so readers never see a missing table.
        let tx = db.begin_write()?;
        tx.open_table(RUNS)?;
        tx.open_table(WORKFLOWS)?;
        tx.open_table(HISTORY)?;
        tx.open_table(MODULES)?;
        tx.open_table(MODULE_VERSIONS)?;
        tx.commit()?;
        let (writer, requests) = mpsc::channel();
        let db2 = db.clone();
        let thread = std::thread::Builder::new()
            .name("weft-storage-writer".into())
            .spawn(move || write_loop(&db2, requests))
            .expect("spawning the storage writer thread");
        Ok(RedbStorage {
            db,
            writer: Some(writer),
            thread: Some(thread),
        })
    }
}

/// Take every request that is waiting, write them in one transaction, commit once.
fn write_loop(db: &Database, requests: mpsc::Receiver<Request>) {
    while let Ok(first) = requests.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match requests.try_recv() {
                Ok(r) => group.push(r),
                Err(_) => break,
            }
        }
        let result = apply(db, group.iter().flat_map(|(w, _)| w)).map_err(Arc::new);
        for (_, done) in group {
            let _ = done.send(result.clone());
        }
    }
}

fn apply<'a>(db: &Database, writes: impl Iterator<Item = &'a Write>) -> Result<(), StorageError> {
    let tx = db.begin_write()?;
    {
        let mut runs = tx.open_table(RUNS)?;
        let mut workflows = tx.open_table(WORKFLOWS)?;
        let mut history = tx.open_table(HISTORY)?;
        let mut modules = tx.open_table(MODULES)?;
        let mut versions = tx.open_table(MODULE_VERSIONS)?;
        for write in writes {
            match write {
                Write::Append {
                    run_id,
                    first_index,
                    events,
                } => {
                    history.insert((run_id.as_str(), *first_index), events.as_slice())?;
                }
                Write::PutRun(record) => {
                    let bytes = postcard::to_stdvec(record).expect("records always encode");
                    runs.insert(record.run_id.as_str(), bytes.as_slice())?;
                    workflows.insert(record.workflow_id.as_str(), record.run_id.as_str())?;
                }
                Write::PutModule { digest, bytes } => {
                    modules.insert(digest.as_str(), bytes.as_slice())?;
                }
                Write::PutModuleVersion(v) => {
                    let bytes = postcard::to_stdvec(v).expect("versions always encode");
                    let key = (v.deployed_ms, v.name.as_str(), v.version);
                    versions.insert(key, bytes.as_slice())?;
                }
            }
        }
    }
    tx.commit()?;
    Ok(())
}

fn decode_run(what: &str, bytes: &[u8]) -> Result<RunRecord, StorageError> {
    postcard::from_bytes(bytes).map_err(|source| StorageError::Decode {
        what: format!("run {what}"),
        source,
    })
}

impl Storage for RedbStorage {
    fn commit(&self, writes: Vec<Write>) -> Commit {
        let (done, commit) = oneshot::channel();
        let Some(writer) = &self.writer else {
            let _ = done.send(Err(Arc::new(StorageError::WriterStopped)));
            return commit;
        };
        if let Err(mpsc::SendError((_, done))) = writer.send((writes, done)) {
            let _ = done.send(Err(Arc::new(StorageError::WriterStopped)));
        }
        commit
    }

    fn history(&self, run_id: &str) -> Result<Vec<Event>, StorageError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(HISTORY)?;
        let mut events = Vec::new();
        for row in table.range((run_id, 0)..=(run_id, u64::MAX))? {
            let (key, value) = row?;
            let chunk: Vec<Event> =
                postcard::from_bytes(value.value()).map_err(|source| StorageError::Decode {
                    what: format!("history of run {run_id} at event {}", key.value().1),
                    source,
                })?;
            events.extend(chunk);
        }
        Ok(events)
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

    fn runs(&self) -> Result<Vec<RunRecord>, StorageError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(RUNS)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (key, value) = row?;
            out.push(decode_run(key.value(), value.value())?);
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
            out.push(postcard::from_bytes(value.value()).map_err(|source| {
                StorageError::Decode {
                    what: format!("module {name} version {version}"),
                    source,
                }
            })?);
        }
        Ok(out)
    }
}
