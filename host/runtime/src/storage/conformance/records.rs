//! Everything but the run lists: histories, outcomes, timers, resting runs, the outbox,
//! modules, schedules and attributes, across reopening; the order of writes in and
//! across commits; refused commits.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use weft_types::{SearchAttributeKind, SearchAttributeValue};

use super::{commit, run, Backend};
use crate::storage::{
    FaultyStorage, HistoryChunk, ModuleVersion, OutboxRow, RunAttributes, RunFilter, Status,
    Storage, StorageError, TimerRow, Write,
};

fn timer(fire_at_ms: u64, run_id: &str, seq: u32) -> TimerRow {
    TimerRow {
        fire_at_ms,
        run_id: run_id.into(),
        seq,
    }
}

fn attributes(search: &[(&str, SearchAttributeValue)]) -> RunAttributes {
    RunAttributes {
        search: search
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        memo: BTreeMap::new(),
        paused: false,
        priority: None,
        summary: None,
        current_details: None,
    }
}

/// One commit of every kind of write; all of it reads back after reopening.
pub fn reopening_keeps_everything(b: &Backend<'_>) {
    let record = run(1, "a", 5, Status::Completed);
    let version = ModuleVersion {
        name: "m".into(),
        version: 1,
        digest: "d".into(),
        workflow_types: vec!["a".into()],
        deployed_ms: 3,
        checked_executions: 2,
    };
    let mut memo_too = attributes(&[("Customer", SearchAttributeValue::keyword("c-1"))]);
    memo_too.memo.insert("note".into(), serde_json::json!("hi"));
    let outbox = OutboxRow {
        run_id: record.run_id.clone(),
        ordinal: 2,
        effect: b"signal".to_vec(),
    };
    {
        let storage = b.open();
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
            Write::PutTimer(timer(9, &record.run_id, 1)),
            Write::PutModule {
                digest: "d".into(),
                bytes: b"wasm".to_vec(),
            },
            Write::PutModuleVersion(version.clone()),
            Write::PutResting {
                run_id: "resting-1".into(),
                parent: Some("parent-wf".into()),
            },
            Write::PutResting {
                run_id: "resting-2".into(),
                parent: None,
            },
            Write::PutOutbox(outbox.clone()),
            Write::PutSchedule {
                id: "every-minute".into(),
                schedule: b"cron".to_vec(),
            },
            Write::PutAttributes {
                run_id: record.run_id.clone(),
                start_ms: record.start_ms,
                attributes: memo_too,
            },
        ];
        commit(storage.as_ref(), writes).unwrap();
    }
    let storage = b.open();
    let chunk = |first_index, bytes: &[u8]| HistoryChunk {
        first_index,
        bytes: bytes.to_vec(),
    };
    let chunks = storage.history(&record.run_id).unwrap();
    assert_eq!(chunks, vec![chunk(0, b"first"), chunk(3, b"second")]);
    assert!(storage.history("other").unwrap().is_empty());
    assert_eq!(storage.latest_run("wf-1").unwrap(), Some(record.clone()));
    assert_eq!(storage.latest_run("wf-2").unwrap(), None);
    assert_eq!(
        storage.outcome(&record.run_id).unwrap(),
        Some(b"done".to_vec())
    );
    assert_eq!(storage.outcome("other").unwrap(), None);
    assert_eq!(storage.timers().unwrap(), vec![timer(9, &record.run_id, 1)]);
    assert_eq!(storage.module("d").unwrap(), Some(b"wasm".to_vec()));
    assert_eq!(storage.module("e").unwrap(), None);
    assert_eq!(storage.module_versions().unwrap(), vec![version]);
    let resting: HashMap<String, Option<String>> = [
        ("resting-1".to_string(), Some("parent-wf".to_string())),
        ("resting-2".to_string(), None),
    ]
    .into();
    assert_eq!(storage.resting_runs().unwrap(), resting);
    assert_eq!(storage.outbox().unwrap(), vec![outbox]);
    assert_eq!(
        storage.schedules().unwrap(),
        vec![("every-minute".to_string(), b"cron".to_vec())]
    );
    // The memo is not kept: it lives in the run's history alone.
    let kept = attributes(&[("Customer", SearchAttributeValue::keyword("c-1"))]);
    assert_eq!(storage.run_attributes(&record.run_id).unwrap(), Some(kept));
    assert_eq!(storage.run_attributes("other").unwrap(), None);
    assert_eq!(
        storage.attribute_types().unwrap(),
        [("Customer".to_string(), SearchAttributeKind::Keyword)].into()
    );
    assert_eq!(
        storage.list_runs(&RunFilter::default(), 9).unwrap(),
        vec![record]
    );
}

/// Timers list soonest first (ties by run id, then seq); deleting an absent one is
/// no error.
pub fn timers_come_back_in_fire_order_and_deletes_remove_them(b: &Backend<'_>) {
    let storage = b.open();
    let timers = vec![
        timer(30, "r1", 1),
        timer(10, "r2", 4),
        timer(20, "r1", 2),
        timer(10, "r1", 9),
        timer(10, "r2", 3),
    ];
    let puts = timers.iter().cloned().map(Write::PutTimer).collect();
    commit(storage.as_ref(), puts).unwrap();
    let mut sorted = timers.clone();
    sorted.sort();
    assert_eq!(storage.timers().unwrap(), sorted);
    let deletes = vec![
        Write::DeleteTimer(timer(10, "r2", 4)),
        Write::DeleteTimer(timer(30, "r1", 1)),
        // Deleting a timer that is not there is no error.
        Write::DeleteTimer(timer(99, "r9", 1)),
    ];
    commit(storage.as_ref(), deletes).unwrap();
    let left = vec![timer(10, "r1", 9), timer(10, "r2", 3), timer(20, "r1", 2)];
    assert_eq!(storage.timers().unwrap(), left);
}

/// Within a commit, and across commits queued together, the later write of a row wins.
pub fn later_writes_win_within_and_across_commits(b: &Backend<'_>) {
    let storage = b.open();
    let first = run(1, "a", 1, Status::Running);
    let mut closed = first.clone();
    closed.status = Status::Completed;
    closed.close_ms = Some(9);
    let second = run(51, "a", 2, Status::Running); // the same workflow id, wf-1
    let in_one = vec![
        Write::PutTimer(timer(1, "r", 1)),
        Write::DeleteTimer(timer(1, "r", 1)),
        Write::DeleteTimer(timer(2, "r", 1)),
        Write::PutTimer(timer(2, "r", 1)),
        Write::PutRun(first.clone()),
        Write::PutRun(closed.clone()),
        Write::PutRun(second.clone()),
        Write::PutResting {
            run_id: "x".into(),
            parent: None,
        },
        Write::DeleteResting("x".into()),
        Write::PutSchedule {
            id: "s".into(),
            schedule: b"old".to_vec(),
        },
        Write::PutSchedule {
            id: "s".into(),
            schedule: b"new".to_vec(),
        },
    ];
    commit(storage.as_ref(), in_one).unwrap();
    // Queued together, so a grouping writer takes them in one transaction.
    let outbox = |ordinal| OutboxRow {
        run_id: "src".into(),
        ordinal,
        effect: vec![ordinal as u8],
    };
    let queued = [
        vec![Write::PutOutbox(outbox(1)), Write::PutOutbox(outbox(2))],
        vec![Write::DeleteOutbox {
            run_id: "src".into(),
            ordinal: 1,
        }],
        vec![Write::DeleteSchedule("s".into())],
        vec![Write::PutSchedule {
            id: "s".into(),
            schedule: b"again".to_vec(),
        }],
        vec![
            Write::PutBatch {
                id: "b2".into(),
                batch: b"first".to_vec(),
            },
            Write::PutBatch {
                id: "b1".into(),
                batch: b"one".to_vec(),
            },
        ],
        vec![Write::PutBatch {
            id: "b2".into(),
            batch: b"progress".to_vec(),
        }],
    ]
    .map(|writes| storage.commit(writes));
    for done in queued {
        done.blocking_recv().unwrap().unwrap();
    }
    assert_eq!(storage.timers().unwrap(), vec![timer(2, "r", 1)]);
    assert_eq!(storage.run(&first.run_id).unwrap(), Some(closed));
    assert_eq!(storage.latest_run("wf-1").unwrap(), Some(second));
    assert!(storage.resting_runs().unwrap().is_empty());
    assert_eq!(storage.outbox().unwrap(), vec![outbox(2)]);
    assert_eq!(
        storage.schedules().unwrap(),
        vec![("s".to_string(), b"again".to_vec())]
    );
    assert_eq!(
        storage.batches().unwrap(),
        vec![
            ("b1".to_string(), b"one".to_vec()),
            ("b2".to_string(), b"progress".to_vec())
        ]
    );
}

/// A refused commit writes nothing; the ones after it are written.
pub fn faulty_storage_fails_exactly_the_commits_it_is_told_to(b: &Backend<'_>) {
    let storage = FaultyStorage::new(Arc::from(b.open()));
    storage.fail_commits(2);
    for i in 1..=3 {
        let writes = vec![
            Write::PutRun(run(i, "a", i as u64, Status::Running)),
            Write::PutTimer(timer(i as u64, &format!("run-{i:04}"), 1)),
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
