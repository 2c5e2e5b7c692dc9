//! Removing closed runs from the redb file (`Write::DeleteRun`), and finding the runs
//! that closed before a time (`runs_by_close`), which retention walks.
//!
//! A removal takes every row kept for the run: its record and index rows, its history
//! chunks (one range), its outcome, its search attributes and their index rows, its
//! resting row; and, when its workflow id still points at it, the workflow id and the
//! requests recorded for it. The pages freed are reused by later writes, so a file
//! under retention stops growing once removals keep pace with new runs.

use redb::{ReadTransaction, ReadableTable, WriteTransaction};

use super::attr_index::AttributeTables;
use super::redb_tables::{
    decode_run, RunIndexes, HISTORY, OUTCOMES, REQUESTS, RESTING, RUNS, RUNS_BY_CLOSE, WORKFLOWS,
};
use super::{RunAttributes, RunRecord, StorageError};

/// Remove the runs `run_ids` (absent ones are ignored) in `tx`.
pub fn delete_runs(tx: &WriteTransaction, run_ids: &[&str]) -> Result<(), StorageError> {
    if run_ids.is_empty() {
        return Ok(());
    }
    let mut runs = tx.open_table(RUNS)?;
    let mut index = RunIndexes::open(tx)?;
    let mut workflows = tx.open_table(WORKFLOWS)?;
    let mut history = tx.open_table(HISTORY)?;
    let mut outcomes = tx.open_table(OUTCOMES)?;
    let mut resting = tx.open_table(RESTING)?;
    let mut requests = tx.open_table(REQUESTS)?;
    let mut attributes = AttributeTables::open(tx)?;
    for &run_id in run_ids {
        let Some(record) = runs.remove(run_id)? else {
            continue;
        };
        let run = decode_run(run_id, record.value())?;
        drop(record);
        index.remove(&run)?;
        history.retain_in((run_id, 0u64)..=(run_id, u64::MAX), |_, _| false)?;
        outcomes.remove(run_id)?;
        resting.remove(run_id)?;
        attributes.put(run_id, run.start_ms, &RunAttributes::default())?;
        let latest = workflows
            .get(run.workflow_id.as_str())?
            .is_some_and(|latest| latest.value() == run_id);
        if latest {
            workflows.remove(run.workflow_id.as_str())?;
            remove_requests(&mut requests, &run.workflow_id)?;
        }
    }
    Ok(())
}

/// Remove every request recorded for `workflow_id`.
fn remove_requests(
    requests: &mut redb::Table<'_, (&'static str, &'static str), &'static [u8]>,
    workflow_id: &str,
) -> Result<(), StorageError> {
    let mut keys: Vec<String> = Vec::new();
    for row in requests.range((workflow_id, "")..)? {
        let (key, _) = row?;
        let (of, request) = key.value();
        if of != workflow_id {
            break;
        }
        keys.push(request.to_string());
    }
    for key in &keys {
        requests.remove((workflow_id, key.as_str()))?;
    }
    Ok(())
}

/// At most `limit` runs that closed before `before_ms`, the earliest first.
pub fn closed_before(
    tx: &ReadTransaction,
    before_ms: u64,
    limit: usize,
) -> Result<Vec<RunRecord>, StorageError> {
    let by_close = tx.open_table(RUNS_BY_CLOSE)?;
    let runs = tx.open_table(RUNS)?;
    let mut found = Vec::new();
    for row in by_close.range((0u64, "")..(before_ms, ""))? {
        if found.len() >= limit {
            break;
        }
        let (key, _) = row?;
        let (_, run_id) = key.value();
        if let Some(bytes) = runs.get(run_id)? {
            found.push(decode_run(run_id, bytes.value())?);
        }
    }
    Ok(found)
}
