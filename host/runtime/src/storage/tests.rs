//! The storage against a reference model, on real redb files and in memory.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::redb_tables::{HISTORY, MODULES, MODULE_VERSIONS, RUNS, WORKFLOWS};
use super::*;

/// Types that share prefixes, to catch an index prefix that ends too late.
const TYPES: [&str; 4] = ["a", "ab", "b", "b\0c"];

fn commit(storage: &dyn Storage, writes: Vec<Write>) -> Result<(), Arc<StorageError>> {
    storage
        .commit(writes)
        .blocking_recv()
        .unwrap_or_else(|_| Err(Arc::new(StorageError::WriterStopped)))
}

fn run(id: usize, workflow_type: &str, start_ms: u64, status: Status) -> RunRecord {
    RunRecord {
        workflow_id: format!("wf-{}", id % 50),
        run_id: format!("run-{id:04}"),
        workflow_type: workflow_type.to_string(),
        module_digest: "d".into(),
        status,
        start_ms,
        close_ms: (!status.is_open()).then_some(start_ms + 1),
        history_len: 0,
        format_version: 1,
    }
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// What `list_runs` must answer: the model's runs, filtered, newest first.
fn expected(model: &BTreeMap<String, RunRecord>, filter: &RunFilter) -> Vec<RunRecord> {
    let mut runs: Vec<RunRecord> = model
        .values()
        .filter(|r| filter.matches(r))
        .cloned()
        .collect();
    runs.sort_by(|a, b| b.order_key().cmp(&a.order_key()));
    runs
}

/// Every filter worth asking: each status and type alone, together, and neither.
fn filters() -> Vec<RunFilter> {
    let statuses = std::iter::once(None).chain(Status::ALL.map(Some));
    let types: Vec<Option<String>> = std::iter::once(None)
        .chain(TYPES.iter().chain(&["none"]).map(|t| Some(t.to_string())))
        .collect();
    statuses
        .flat_map(|status| {
            types.iter().map(move |t| RunFilter {
                status,
                workflow_type: t.clone(),
                before: None,
            })
        })
        .collect()
}

/// A few hundred `PutRun`s in batches: new runs, status changes, the odd change of
/// type or start time, and several writes of one run in one commit.
fn random_writes(storage: &dyn Storage, dice: &mut Dice) -> BTreeMap<String, RunRecord> {
    let mut model: BTreeMap<String, RunRecord> = BTreeMap::new();
    let mut next_id = 0;
    for _ in 0..60 {
        let mut batch = Vec::new();
        for _ in 0..1 + dice.roll(8) {
            let record = if model.is_empty() || dice.roll(3) == 0 {
                next_id += 1;
                // Few distinct start times, so many runs tie and the run id decides.
                run(
                    next_id,
                    TYPES[dice.roll(4)],
                    dice.roll(40) as u64,
                    Status::Running,
                )
            } else {
                let id = model.keys().nth(dice.roll(model.len())).unwrap().clone();
                let mut r = model[&id].clone();
                r.status = Status::ALL[dice.roll(6)];
                match dice.roll(10) {
                    0 => r.workflow_type = TYPES[dice.roll(4)].to_string(),
                    1 => r.start_ms = dice.roll(40) as u64,
                    _ => {}
                }
                r
            };
            model.insert(record.run_id.clone(), record.clone());
            batch.push(Write::PutRun(record));
        }
        commit(storage, batch).unwrap();
    }
    model
}

fn assert_agrees(storage: &dyn Storage, model: &BTreeMap<String, RunRecord>) {
    for filter in filters() {
        let want = expected(model, &filter);
        assert_eq!(
            storage.list_runs(&filter, usize::MAX).unwrap(),
            want,
            "{filter:?}"
        );
        // The same, a page at a time.
        let mut paged = Vec::new();
        let mut filter = filter;
        loop {
            let page = storage.list_runs(&filter, 7).unwrap();
            let last = page.last().map(|r| (r.start_ms, r.run_id.clone()));
            paged.extend(page);
            match last {
                Some(cursor) => filter.before = Some(cursor),
                None => break,
            }
        }
        assert_eq!(paged, want, "paged, {filter:?}");
    }
    let mut open = expected(
        model,
        &RunFilter {
            status: Some(Status::Running),
            ..RunFilter::default()
        },
    );
    open.reverse();
    assert_eq!(storage.open_runs().unwrap(), open);
    for r in model.values() {
        assert_eq!(storage.run(&r.run_id).unwrap().as_ref(), Some(r));
    }
}

#[test]
fn indexes_agree_with_a_reference_model_in_memory() {
    let storage = RedbStorage::in_memory().unwrap();
    let model = random_writes(&storage, &mut Dice(0x5eed));
    assert!(model.len() > 50, "{}", model.len());
    assert_agrees(&storage, &model);
}

#[test]
fn indexes_agree_with_a_reference_model_on_disk_and_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weft.redb");
    let model = {
        let storage = RedbStorage::open(&path).unwrap();
        let model = random_writes(&storage, &mut Dice(0xfeed_beef));
        assert_agrees(&storage, &model);
        model
    };
    assert_agrees(&RedbStorage::open(&path).unwrap(), &model);
}

#[test]
fn a_page_ends_at_the_limit_and_the_cursor_is_exclusive() {
    let storage = RedbStorage::in_memory().unwrap();
    let runs: Vec<RunRecord> = (1..=5).map(|i| run(i, "a", 10, Status::Running)).collect();
    commit(&storage, runs.iter().cloned().map(Write::PutRun).collect()).unwrap();
    let all = RunFilter::default();
    let first = storage.list_runs(&all, 2).unwrap();
    assert_eq!(first, vec![runs[4].clone(), runs[3].clone()]);
    let rest = RunFilter {
        before: Some((10, runs[3].run_id.clone())),
        ..all
    };
    assert_eq!(storage.list_runs(&rest, 10).unwrap().len(), 3);
    assert!(storage
        .list_runs(&RunFilter::default(), 0)
        .unwrap()
        .is_empty());
}

#[test]
fn reopening_a_file_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weft.redb");
    let record = run(1, "a", 5, Status::Completed);
    let timer = TimerRow {
        fire_at_ms: 9,
        run_id: record.run_id.clone(),
        seq: 1,
    };
    let version = ModuleVersion {
        name: "m".into(),
        version: 1,
        digest: "d".into(),
        workflow_types: vec!["a".into()],
        deployed_ms: 3,
        checked_executions: 0,
    };
    {
        let storage = RedbStorage::open(&path).unwrap();
        let append = |first_index: u64, bytes: &[u8]| Write::Append {
            run_id: record.run_id.clone(),
            first_index,
            events: bytes.to_vec(),
        };
        let writes = vec![
            append(0, b"first"),
            append(3, b"second"),
            Write::PutRun(record.clone()),
            Write::PutOutcome {
                run_id: record.run_id.clone(),
                outcome: b"done".to_vec(),
            },
            Write::PutTimer(timer.clone()),
            Write::PutModule {
                digest: "d".into(),
                bytes: b"wasm".to_vec(),
            },
            Write::PutModuleVersion(version.clone()),
        ];
        commit(&storage, writes).unwrap();
    }
    let storage = RedbStorage::open(&path).unwrap();
    let chunks = storage.history(&record.run_id).unwrap();
    let chunk = |first_index, bytes: &[u8]| HistoryChunk {
        first_index,
        bytes: bytes.to_vec(),
    };
    assert_eq!(chunks, vec![chunk(0, b"first"), chunk(3, b"second")]);
    assert!(storage.history("other").unwrap().is_empty());
    assert_eq!(storage.latest_run("wf-1").unwrap(), Some(record.clone()));
    assert_eq!(
        storage.outcome(&record.run_id).unwrap(),
        Some(b"done".to_vec())
    );
    assert_eq!(storage.outcome("other").unwrap(), None);
    assert_eq!(storage.timers().unwrap(), vec![timer]);
    assert_eq!(storage.module("d").unwrap(), Some(b"wasm".to_vec()));
    assert_eq!(storage.module_versions().unwrap(), vec![version]);
    assert_eq!(
        storage.list_runs(&RunFilter::default(), 9).unwrap(),
        vec![record]
    );
}

/// A database as weft wrote it before the run indexes, outcomes and timers existed.
fn write_old_layout(path: &Path, runs: &[RunRecord]) {
    let db = redb::Database::create(path).unwrap();
    let tx = db.begin_write().unwrap();
    {
        let mut table = tx.open_table(RUNS).unwrap();
        let mut workflows = tx.open_table(WORKFLOWS).unwrap();
        for r in runs {
            let bytes = postcard::to_stdvec(r).unwrap();
            table.insert(r.run_id.as_str(), bytes.as_slice()).unwrap();
            workflows
                .insert(r.workflow_id.as_str(), r.run_id.as_str())
                .unwrap();
        }
        tx.open_table(HISTORY).unwrap();
        tx.open_table(MODULES).unwrap();
        tx.open_table(MODULE_VERSIONS).unwrap();
    }
    tx.commit().unwrap();
}

#[test]
fn an_old_database_gets_its_indexes_built_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weft.redb");
    let runs = vec![
        run(1, "a", 1, Status::Completed),
        run(2, "b", 2, Status::Running),
        run(3, "a", 3, Status::Running),
    ];
    write_old_layout(&path, &runs);
    let storage = RedbStorage::open(&path).unwrap();
    let mut model: BTreeMap<String, RunRecord> =
        runs.iter().map(|r| (r.run_id.clone(), r.clone())).collect();
    assert_agrees(&storage, &model);
    // The built rows move like any others.
    let mut closed = runs[2].clone();
    closed.status = Status::Failed;
    commit(&storage, vec![Write::PutRun(closed.clone())]).unwrap();
    model.insert(closed.run_id.clone(), closed);
    assert_agrees(&storage, &model);
    drop(storage);
    assert_agrees(&RedbStorage::open(&path).unwrap(), &model);
}

#[test]
fn timers_come_back_in_fire_order_and_deletes_remove_them() {
    let storage = RedbStorage::in_memory().unwrap();
    let timer = |fire_at_ms, run_id: &str, seq| TimerRow {
        fire_at_ms,
        run_id: run_id.into(),
        seq,
    };
    let timers = vec![
        timer(30, "r1", 1),
        timer(10, "r2", 4),
        timer(20, "r1", 2),
        timer(10, "r1", 9),
        timer(10, "r2", 3),
    ];
    commit(
        &storage,
        timers.iter().cloned().map(Write::PutTimer).collect(),
    )
    .unwrap();
    let mut sorted = timers.clone();
    sorted.sort();
    assert_eq!(storage.timers().unwrap(), sorted);
    let deletes = vec![
        Write::DeleteTimer(timer(10, "r2", 4)),
        Write::DeleteTimer(timer(30, "r1", 1)),
        // Deleting a timer that is not there is no error.
        Write::DeleteTimer(timer(99, "r9", 1)),
    ];
    commit(&storage, deletes).unwrap();
    let left = vec![timer(10, "r1", 9), timer(10, "r2", 3), timer(20, "r1", 2)];
    assert_eq!(storage.timers().unwrap(), left);
}

#[test]
fn faulty_storage_fails_exactly_the_commits_it_is_told_to_and_writes_nothing_for_them() {
    let storage = FaultyStorage::new(Arc::new(RedbStorage::in_memory().unwrap()));
    storage.fail_commits(2);
    for i in 1..=3 {
        let writes = vec![
            Write::PutRun(run(i, "a", i as u64, Status::Running)),
            Write::PutTimer(TimerRow {
                fire_at_ms: i as u64,
                run_id: format!("run-{i:04}"),
                seq: 1,
            }),
        ];
        let result = commit(&storage, writes);
        if i <= 2 {
            let e = result.unwrap_err();
            assert!(matches!(*e, StorageError::Injected), "{e}");
        } else {
            result.unwrap();
        }
    }
    assert_eq!(storage.refused_commits(), 2);
    let runs = storage.list_runs(&RunFilter::default(), 10).unwrap();
    assert_eq!(runs, vec![run(3, "a", 3, Status::Running)]);
    assert_eq!(storage.timers().unwrap().len(), 1);
    assert_eq!(storage.run("run-0001").unwrap(), None);
}
