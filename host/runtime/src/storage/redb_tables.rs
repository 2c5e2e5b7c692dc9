//! The redb schema, and how writes change it.
//!
//! | table              | key                                   | value                  |
//! |--------------------|---------------------------------------|------------------------|
//! | `runs`             | run id                                | postcard `RunRecord`   |
//! | `workflows`        | workflow id                           | run id of latest run   |
//! | `history`          | (run id, index of first event)        | one `Write::Append`    |
//! | `outcomes`         | run id                                | runtime-encoded bytes  |
//! | `runs_by_start`    | (start ms, run id)                    | ()                     |
//! | `runs_by_status`   | (status byte, start ms, run id)       | ()                     |
//! | `runs_by_type`     | (workflow type, start ms, run id)     | ()                     |
//! | `runs_by_close`    | (close ms, run id), closed runs only  | ()                     |
//! | `runs_by_workflow` | (workflow id, start ms, run id)       | ()                     |
//! | `timers`           | (fire at ms, run id, seq)             | ()                     |
//! | `resting`          | run id                                | parent workflow id or "" |
//! | `outbox`           | (source run id, ordinal)              | effect, encoded by the runtime |
//! | `modules`          | module digest                         | component bytes        |
//! | `module_versions`  | (deployed ms, name, version)          | postcard `ModuleVersion` |
//! | `schedules`        | schedule id                           | schedule, encoded by `schedules` |
//! | `run_attributes`   | run id                                | JSON `RunAttributes`   |
//! | `search_attribute_index` | (name, encoded value, start ms, run id) | ()           |
//! | `search_attribute_types` | attribute name                  | type byte              |
//! | `requests`         | (workflow id, request key)            | what it did, encoded by the runtime |
//!
//! The four run indexes (by start, status, type and workflow id) hold one row per run,
//! moved by every `PutRun` in the same transaction that writes the record; `runs_by_close` holds one per closed run (what
//! retention walks, `redb_removal.rs`). A database from before an index existed gets
//! it built once, when it is opened. `DeleteRun`s are applied after a group's other
//! writes, by `redb_removal.rs`.
//!
//! The attribute tables (`attr_index.rs`) hold a run's current search attributes and
//! memo, one index row per attribute value (per keyword of a keyword list), and the
//! type each name was first given; `PutAttributes` replaces a run's rows in the
//! transaction of the task that changed them.

use redb::{Database, ReadableTable, Table, TableDefinition, TableHandle, WriteTransaction};

use super::attr_index::{AttributeTables, ATTRIBUTE_INDEX, ATTRIBUTE_TYPES, RUN_ATTRIBUTES};
use super::{ModuleVersion, RunRecord, StorageError, Write};

/// run id → postcard `RunRecord`.
pub const RUNS: TableDefinition<&str, &[u8]> = TableDefinition::new("runs");
/// workflow id → run id of its latest run.
pub const WORKFLOWS: TableDefinition<&str, &str> = TableDefinition::new("workflows");
/// (run id, index of the first event) → encoded events: one row per commit.
pub const HISTORY: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("history");
/// run id → how the run ended, encoded by the runtime.
pub const OUTCOMES: TableDefinition<&str, &[u8]> = TableDefinition::new("outcomes");
/// (start ms, run id): every run, in start order.
pub const RUNS_BY_START: TableDefinition<(u64, &str), ()> = TableDefinition::new("runs_by_start");
/// (status byte, start ms, run id): the runs of each status, in start order.
pub const RUNS_BY_STATUS: TableDefinition<(u8, u64, &str), ()> =
    TableDefinition::new("runs_by_status");
/// (workflow type, start ms, run id): the runs of each type, in start order.
pub const RUNS_BY_TYPE: TableDefinition<(&str, u64, &str), ()> =
    TableDefinition::new("runs_by_type");
/// (workflow id, start ms, run id): the runs of each workflow id, in start order (a list
/// filtered on `WorkflowId`).
pub const RUNS_BY_WORKFLOW: TableDefinition<(&str, u64, &str), ()> =
    TableDefinition::new("runs_by_workflow");
/// (close ms, run id): the closed runs, in close order (retention's walk).
pub const RUNS_BY_CLOSE: TableDefinition<(u64, &str), ()> = TableDefinition::new("runs_by_close");
/// (fire at ms, run id, seq): durable timers, soonest first.
pub const TIMERS: TableDefinition<(u64, &str, u32), ()> = TableDefinition::new("timers");
/// run id → its parent's workflow id ("" for none): open runs that only wait (on
/// timers or messages) and are not resumed when the host opens; see the runtime's
/// on-demand runs.
pub const RESTING: TableDefinition<&str, &str> = TableDefinition::new("resting");
/// (source run id, ordinal) → an effect on another run, encoded by the runtime's
/// outbox: written with the command that asks for it, deleted with its record at the
/// target.
pub const OUTBOX: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("outbox");
/// module digest → component bytes.
pub const MODULES: TableDefinition<&str, &[u8]> = TableDefinition::new("modules");
/// (deployment time, name, version) → postcard `ModuleVersion`.
pub const MODULE_VERSIONS: TableDefinition<(u64, &str, u32), &[u8]> =
    TableDefinition::new("module_versions");

/// (workflow id, request key) → what the request did, encoded by the runtime: the
/// requests with an id that were applied, so a retry is not applied again. A database
/// from before it gets it, empty, when opened.
pub const REQUESTS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("requests");

/// schedule id → the schedule and its state, encoded by the schedules module.
pub const SCHEDULES: TableDefinition<&str, &[u8]> = TableDefinition::new("schedules");

/// batch id → the batch job and its progress, encoded by the batches module. A
/// database from before it gets it, empty, when opened.
pub const BATCHES: TableDefinition<&str, &[u8]> = TableDefinition::new("batches");

/// Create every table, so readers never meet a missing one, and build the run indexes
/// of a database written before they existed.
pub fn prepare(db: &Database) -> Result<(), StorageError> {
    let tx = db.begin_write()?;
    let tables: Vec<String> = tx.list_tables()?.map(|t| t.name().to_string()).collect();
    let has = |name: &str| tables.iter().any(|t| t == name);
    let missing = Missing {
        runs: !has(RUNS_BY_START.name()),
        close: !has(RUNS_BY_CLOSE.name()),
        workflow: !has(RUNS_BY_WORKFLOW.name()),
    };
    tx.open_table(WORKFLOWS)?;
    tx.open_table(HISTORY)?;
    tx.open_table(OUTCOMES)?;
    tx.open_table(TIMERS)?;
    tx.open_table(RESTING)?;
    tx.open_table(OUTBOX)?;
    tx.open_table(MODULES)?;
    tx.open_table(MODULE_VERSIONS)?;
    tx.open_table(SCHEDULES)?;
    tx.open_table(BATCHES)?;
    tx.open_table(REQUESTS)?;
    tx.open_table(RUN_ATTRIBUTES)?;
    tx.open_table(ATTRIBUTE_INDEX)?;
    tx.open_table(ATTRIBUTE_TYPES)?;
    {
        let runs = tx.open_table(RUNS)?;
        let mut index = RunIndexes::open(&tx)?;
        if missing.runs || missing.close || missing.workflow {
            for row in runs.iter()? {
                let (key, value) = row?;
                let run = decode_run(key.value(), value.value())?;
                index.build(&run, &missing)?;
            }
        }
    }
    tx.commit()?;
    Ok(())
}

/// The run indexes a database opened was written without.
struct Missing {
    /// All of them (by start, status, type, workflow id and close).
    runs: bool,
    close: bool,
    workflow: bool,
}

/// Decode a stored run record.
pub fn decode_run(run_id: &str, bytes: &[u8]) -> Result<RunRecord, StorageError> {
    postcard::from_bytes(bytes).map_err(|source| StorageError::Decode {
        what: format!("run {run_id}"),
        source,
    })
}

/// Decode a stored module version.
pub fn decode_version(
    name: &str,
    version: u32,
    bytes: &[u8],
) -> Result<ModuleVersion, StorageError> {
    postcard::from_bytes(bytes).map_err(|source| StorageError::Decode {
        what: format!("module {name} version {version}"),
        source,
    })
}

/// The run indexes, open for writing.
pub(super) struct RunIndexes<'tx> {
    by_start: Table<'tx, (u64, &'static str), ()>,
    by_status: Table<'tx, (u8, u64, &'static str), ()>,
    by_type: Table<'tx, (&'static str, u64, &'static str), ()>,
    by_workflow: Table<'tx, (&'static str, u64, &'static str), ()>,
    by_close: Table<'tx, (u64, &'static str), ()>,
}

impl<'tx> RunIndexes<'tx> {
    pub(super) fn open(tx: &'tx WriteTransaction) -> Result<RunIndexes<'tx>, StorageError> {
        Ok(RunIndexes {
            by_start: tx.open_table(RUNS_BY_START)?,
            by_status: tx.open_table(RUNS_BY_STATUS)?,
            by_type: tx.open_table(RUNS_BY_TYPE)?,
            by_workflow: tx.open_table(RUNS_BY_WORKFLOW)?,
            by_close: tx.open_table(RUNS_BY_CLOSE)?,
        })
    }

    /// `r`'s rows in the indexes that are `missing`.
    fn build(&mut self, r: &RunRecord, missing: &Missing) -> Result<(), StorageError> {
        if missing.runs {
            return self.insert(r);
        }
        if missing.close {
            self.insert_closed(r)?;
        }
        if missing.workflow {
            let (ms, id) = r.order_key();
            self.by_workflow
                .insert((r.workflow_id.as_str(), ms, id), ())?;
        }
        Ok(())
    }

    fn insert(&mut self, r: &RunRecord) -> Result<(), StorageError> {
        let (ms, id) = r.order_key();
        self.by_start.insert((ms, id), ())?;
        self.by_status.insert((r.status.index_byte(), ms, id), ())?;
        self.by_type
            .insert((r.workflow_type.as_str(), ms, id), ())?;
        self.by_workflow
            .insert((r.workflow_id.as_str(), ms, id), ())?;
        self.insert_closed(r)
    }

    /// A closed run's row in `runs_by_close`.
    fn insert_closed(&mut self, r: &RunRecord) -> Result<(), StorageError> {
        if let Some(close_ms) = r.close_ms {
            self.by_close.insert((close_ms, r.run_id.as_str()), ())?;
        }
        Ok(())
    }

    /// Remove every index row of `r`.
    pub(super) fn remove(&mut self, r: &RunRecord) -> Result<(), StorageError> {
        let (ms, id) = r.order_key();
        self.by_start.remove((ms, id))?;
        self.by_status.remove((r.status.index_byte(), ms, id))?;
        self.by_type.remove((r.workflow_type.as_str(), ms, id))?;
        self.by_workflow.remove((r.workflow_id.as_str(), ms, id))?;
        if let Some(close_ms) = r.close_ms {
            self.by_close.remove((close_ms, id))?;
        }
        Ok(())
    }

    /// Move `old`'s rows to `new`'s, touching only the indexes whose key changed (a
    /// run closing changes its status only).
    fn update(&mut self, old: &RunRecord, new: &RunRecord) -> Result<(), StorageError> {
        let (old_ms, old_id) = old.order_key();
        let (ms, id) = new.order_key();
        let moved = (old_ms, old_id) != (ms, id);
        if moved {
            self.by_start.remove((old_ms, old_id))?;
            self.by_start.insert((ms, id), ())?;
        }
        if moved || old.status != new.status {
            self.by_status
                .remove((old.status.index_byte(), old_ms, old_id))?;
            self.by_status
                .insert((new.status.index_byte(), ms, id), ())?;
        }
        if moved || old.workflow_type != new.workflow_type {
            self.by_type
                .remove((old.workflow_type.as_str(), old_ms, old_id))?;
            self.by_type
                .insert((new.workflow_type.as_str(), ms, id), ())?;
        }
        if moved || old.workflow_id != new.workflow_id {
            self.by_workflow
                .remove((old.workflow_id.as_str(), old_ms, old_id))?;
            self.by_workflow
                .insert((new.workflow_id.as_str(), ms, id), ())?;
        }
        if old.close_ms != new.close_ms || old.run_id != new.run_id {
            if let Some(close_ms) = old.close_ms {
                self.by_close.remove((close_ms, old.run_id.as_str()))?;
            }
            self.insert_closed(new)?;
        }
        Ok(())
    }
}

/// Opens a write transaction's tables on first use: a group commit of workflow steps
/// touches the history (and sometimes runs, outcomes, timers), never the modules, and
/// opening a table costs a lookup in redb's table tree.
struct Lazy<'tx, K: redb::Key + 'static, V: redb::Value + 'static> {
    def: TableDefinition<'static, K, V>,
    table: Option<Table<'tx, K, V>>,
}

impl<'tx, K: redb::Key + 'static, V: redb::Value + 'static> Lazy<'tx, K, V> {
    fn new(def: TableDefinition<'static, K, V>) -> Self {
        Lazy { def, table: None }
    }

    fn get(&mut self, tx: &'tx WriteTransaction) -> Result<&mut Table<'tx, K, V>, StorageError> {
        if self.table.is_none() {
            self.table = Some(tx.open_table(self.def)?);
        }
        Ok(self.table.as_mut().expect("just opened"))
    }
}

/// Apply `writes` in one transaction and commit it; on any error nothing is written.
pub fn apply<'a>(
    db: &Database,
    writes: impl Iterator<Item = &'a Write>,
) -> Result<(), StorageError> {
    let mut tx = db.begin_write()?;
    if crate::runtime::canary::active(crate::runtime::canary::Canary::SkipFsync) {
        tx.set_durability(redb::Durability::None)
            .map_err(|e| StorageError::Database(e.to_string()))?;
    }
    let mut removed: Vec<&str> = Vec::new();
    {
        let mut runs = Lazy::new(RUNS);
        let mut index: Option<RunIndexes> = None;
        let mut workflows = Lazy::new(WORKFLOWS);
        let mut history = Lazy::new(HISTORY);
        let mut outcomes = Lazy::new(OUTCOMES);
        let mut timers = Lazy::new(TIMERS);
        let mut resting = Lazy::new(RESTING);
        let mut outbox = Lazy::new(OUTBOX);
        let mut modules = Lazy::new(MODULES);
        let mut versions = Lazy::new(MODULE_VERSIONS);
        let mut schedules = Lazy::new(SCHEDULES);
        let mut batches = Lazy::new(BATCHES);
        let mut requests = Lazy::new(REQUESTS);
        let mut attributes: Option<AttributeTables> = None;
        for write in writes {
            match write {
                Write::Append {
                    run_id,
                    first_index,
                    events,
                } => {
                    history
                        .get(&tx)?
                        .insert((run_id.as_str(), *first_index), events.as_slice())?;
                }
                Write::PutRun(record) => {
                    let bytes = postcard::to_stdvec(record).expect("records always encode");
                    let previous = runs
                        .get(&tx)?
                        .insert(record.run_id.as_str(), bytes.as_slice())?
                        .map(|p| decode_run(&record.run_id, p.value()))
                        .transpose()?;
                    if index.is_none() {
                        index = Some(RunIndexes::open(&tx)?);
                    }
                    let index = index.as_mut().expect("just opened");
                    match previous {
                        Some(previous) => index.update(&previous, record)?,
                        None => index.insert(record)?,
                    }
                    workflows
                        .get(&tx)?
                        .insert(record.workflow_id.as_str(), record.run_id.as_str())?;
                }
                Write::PutOutcome { run_id, outcome } => {
                    outcomes
                        .get(&tx)?
                        .insert(run_id.as_str(), outcome.as_slice())?;
                }
                Write::PutTimer(t) => {
                    timers
                        .get(&tx)?
                        .insert((t.fire_at_ms, t.run_id.as_str(), t.seq), ())?;
                }
                Write::DeleteTimer(t) => {
                    timers
                        .get(&tx)?
                        .remove((t.fire_at_ms, t.run_id.as_str(), t.seq))?;
                }
                Write::PutResting { run_id, parent } => {
                    resting
                        .get(&tx)?
                        .insert(run_id.as_str(), parent.as_deref().unwrap_or(""))?;
                }
                Write::DeleteResting(run_id) => {
                    resting.get(&tx)?.remove(run_id.as_str())?;
                }
                Write::PutOutbox(row) => {
                    outbox
                        .get(&tx)?
                        .insert((row.run_id.as_str(), row.ordinal), row.effect.as_slice())?;
                }
                Write::DeleteOutbox { run_id, ordinal } => {
                    outbox.get(&tx)?.remove((run_id.as_str(), *ordinal))?;
                }
                Write::PutModule { digest, bytes } => {
                    modules
                        .get(&tx)?
                        .insert(digest.as_str(), bytes.as_slice())?;
                }
                Write::PutAttributes {
                    run_id,
                    start_ms,
                    attributes: values,
                } => {
                    if attributes.is_none() {
                        attributes = Some(AttributeTables::open(&tx)?);
                    }
                    let tables = attributes.as_mut().expect("just opened");
                    tables.put(run_id, *start_ms, values)?;
                }
                Write::PutModuleVersion(v) => {
                    let bytes = postcard::to_stdvec(v).expect("versions always encode");
                    let key = (v.deployed_ms, v.name.as_str(), v.version);
                    versions.get(&tx)?.insert(key, bytes.as_slice())?;
                }
                Write::PutSchedule { id, schedule } => {
                    schedules
                        .get(&tx)?
                        .insert(id.as_str(), schedule.as_slice())?;
                }
                Write::DeleteSchedule(id) => {
                    schedules.get(&tx)?.remove(id.as_str())?;
                }
                Write::PutBatch { id, batch } => {
                    batches.get(&tx)?.insert(id.as_str(), batch.as_slice())?;
                }
                Write::PutRequest {
                    workflow_id,
                    key,
                    record,
                } => {
                    let table = requests.get(&tx)?;
                    let key = (workflow_id.as_str(), key.as_str());
                    // The first record of a request stays.
                    if table.get(key)?.is_none() {
                        table.insert(key, record.as_slice())?;
                    }
                }
                // One host owns every run of its file: there is no lease to check.
                Write::Fence { .. } => {}
                Write::DeleteRun(run_id) => removed.push(run_id),
            }
        }
    }
    // After the group's other writes, with their tables closed.
    super::redb_removal::delete_runs(&tx, &removed)?;
    tx.commit()?;
    Ok(())
}
