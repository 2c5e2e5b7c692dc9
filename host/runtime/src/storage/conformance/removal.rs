//! Removing closed runs ([`Write::DeleteRun`]) and finding them by close time
//! ([`Storage::closed_before`]): a removal takes every row kept for the run, the
//! workflow id and its requests only when the id points at the run, and nothing of
//! any other run; the close index follows every write and survives reopening.

use std::collections::BTreeMap;

use weft_types::SearchAttributeValue;

use super::{commit, run, Backend};
use crate::query::{parse, typed::resolve};
use crate::storage::{RunAttributes, RunRecord, Status, Storage, Write};

/// A closed run's writes: its record, a history chunk, an outcome, a search
/// attribute and a request recorded for its workflow id.
fn closed_run(run: &RunRecord) -> Vec<Write> {
    let mut search = BTreeMap::new();
    search.insert(
        "Customer".to_string(),
        SearchAttributeValue::Keyword(run.workflow_id.clone()),
    );
    vec![
        Write::PutRun(run.clone()),
        Write::Append {
            run_id: run.run_id.clone(),
            first_index: 0,
            events: b"events".to_vec(),
        },
        Write::PutOutcome {
            run_id: run.run_id.clone(),
            outcome: b"done".to_vec(),
        },
        Write::PutAttributes {
            run_id: run.run_id.clone(),
            start_ms: run.start_ms,
            attributes: RunAttributes {
                search,
                memo: BTreeMap::new(),
                paused: false,
                priority: None,
                summary: None,
                current_details: None,
            },
        },
        Write::PutRequest {
            workflow_id: run.workflow_id.clone(),
            key: format!("start:{}", run.run_id),
            record: run.run_id.as_bytes().to_vec(),
        },
    ]
}

/// How many runs the search index finds for `Customer = '<workflow id>'`.
fn found_by_attribute(storage: &dyn Storage, workflow_id: &str) -> usize {
    let q = format!("Customer = '{workflow_id}'");
    let types = storage.attribute_types().unwrap();
    let typed = resolve(&q, &parse(&q).unwrap(), &types).unwrap();
    storage.search_runs(&typed, 0, 100).unwrap().runs.len()
}

/// Removing the latest run of a workflow id takes its rows, the id and the id's
/// requests; an earlier run of the id, and other ids, keep theirs; removing it again,
/// or an unknown run, changes nothing.
pub fn removing_a_run_takes_every_row_kept_for_it(b: &Backend<'_>) {
    let mut earlier = run(1, "order", 100, Status::ContinuedAsNew);
    let mut latest = run(2, "order", 200, Status::Completed);
    (earlier.workflow_id, latest.workflow_id) = ("wf-a".into(), "wf-a".into());
    let mut other = run(3, "order", 300, Status::Failed);
    other.workflow_id = "wf-b".into();
    {
        let storage = b.open();
        let writes = [&earlier, &latest, &other].into_iter().flat_map(closed_run);
        commit(&*storage, writes.collect()).unwrap();
        assert_eq!(found_by_attribute(&*storage, "wf-a"), 2);
        commit(&*storage, vec![Write::DeleteRun(latest.run_id.clone())]).unwrap();
    }
    let storage = b.open();
    assert_eq!(storage.run(&latest.run_id).unwrap(), None);
    assert_eq!(storage.latest_run("wf-a").unwrap(), None);
    assert!(storage.history(&latest.run_id).unwrap().is_empty());
    assert_eq!(storage.outcome(&latest.run_id).unwrap(), None);
    assert_eq!(storage.run_attributes(&latest.run_id).unwrap(), None);
    assert_eq!(storage.request("wf-a", "start:run-0001").unwrap(), None);
    assert_eq!(storage.request("wf-a", "start:run-0002").unwrap(), None);
    assert_eq!(found_by_attribute(&*storage, "wf-a"), 1);
    let listed: Vec<String> = (storage.list_runs(&Default::default(), 10).unwrap())
        .into_iter()
        .map(|r| r.run_id)
        .collect();
    assert_eq!(listed, [other.run_id.clone(), earlier.run_id.clone()]);
    // The earlier run and the other id keep everything.
    assert_eq!(storage.run(&earlier.run_id).unwrap(), Some(earlier.clone()));
    assert_eq!(storage.history(&earlier.run_id).unwrap().len(), 1);
    assert!(storage.outcome(&earlier.run_id).unwrap().is_some());
    assert_eq!(storage.latest_run("wf-b").unwrap(), Some(other.clone()));
    assert!(storage.request("wf-b", "start:run-0003").unwrap().is_some());
    assert_eq!(found_by_attribute(&*storage, "wf-b"), 1);
    // Again, and an unknown run: nothing changes.
    let again = vec![
        Write::DeleteRun(latest.run_id.clone()),
        Write::DeleteRun("no-such-run".into()),
    ];
    commit(&*storage, again).unwrap();
    assert_eq!(storage.run(&other.run_id).unwrap(), Some(other.clone()));
    // The earlier run goes on its own; a new start of the id is a new execution.
    commit(&*storage, vec![Write::DeleteRun(earlier.run_id.clone())]).unwrap();
    assert_eq!(storage.run(&earlier.run_id).unwrap(), None);
    assert_eq!(found_by_attribute(&*storage, "wf-a"), 0);
    let mut again = run(4, "order", 400, Status::Running);
    again.workflow_id = "wf-a".into();
    commit(&*storage, vec![Write::PutRun(again.clone())]).unwrap();
    assert_eq!(storage.latest_run("wf-a").unwrap(), Some(again));
}

/// `closed_before` lists closed runs by close time, earliest first, at most `limit`:
/// open runs are not in it, a run that closes enters it, a removed one leaves it.
pub fn closed_runs_are_found_by_close_time(b: &Backend<'_>) {
    let closing = |id: usize, close_ms: u64| {
        let mut r = run(id, "order", 10 * id as u64, Status::Completed);
        r.close_ms = Some(close_ms);
        r
    };
    let open = run(9, "order", 5, Status::Running);
    let runs = [
        closing(1, 700),
        closing(2, 300),
        closing(3, 500),
        open.clone(),
    ];
    {
        let storage = b.open();
        commit(&*storage, runs.iter().cloned().map(Write::PutRun).collect()).unwrap();
    }
    let storage = b.open();
    let ids = |before: u64, limit: usize| -> Vec<String> {
        (storage.closed_before(before, limit).unwrap())
            .into_iter()
            .map(|r| r.run_id)
            .collect()
    };
    assert_eq!(ids(u64::MAX, 10), ["run-0002", "run-0003", "run-0001"]);
    assert_eq!(ids(700, 10), ["run-0002", "run-0003"]);
    assert_eq!(ids(u64::MAX, 1), ["run-0002"]);
    assert!(ids(300, 10).is_empty());
    // The open run closes: it enters the index at its close time.
    let mut closed = open;
    closed.status = Status::Terminated;
    closed.close_ms = Some(400);
    commit(&*storage, vec![Write::PutRun(closed)]).unwrap();
    assert_eq!(ids(600, 10), ["run-0002", "run-0009", "run-0003"]);
    commit(&*storage, vec![Write::DeleteRun("run-0002".into())]).unwrap();
    assert_eq!(ids(600, 10), ["run-0009", "run-0003"]);
}
