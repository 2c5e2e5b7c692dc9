//! Listing runs from the run indexes.
//!
//! Each index holds `(…, start_ms, run_id)` keys, so the runs under one prefix (one
//! status, one type, or all) are already in start order and a page is a walk down from
//! the cursor. With both a status and a type, the two walks are intersected by
//! leapfrogging: take the newest key of one index, seek the other to at most that key,
//! and repeat from whichever is older until both agree. Each step skips a whole run of
//! non-matching keys in one seek, so the cost follows the smaller of the two sets near
//! the page, and no guess about which index is more selective is needed.

use std::ops::{
    self,
    Bound::{Excluded, Included, Unbounded},
};

use redb::{ReadOnlyTable, ReadTransaction};

use super::redb_tables::{decode_run, RUNS, RUNS_BY_START, RUNS_BY_STATUS, RUNS_BY_TYPE};
use super::{RunFilter, RunRecord, Status, StorageError};

/// A run's place in the indexes.
type Key = (u64, String);

/// How far down an index a seek may land.
enum Bound {
    /// Anywhere: the newest run of the prefix.
    Top,
    /// Strictly older than this key.
    Below(Key),
    /// This key or older.
    AtOrBelow(Key),
}

impl Bound {
    /// The upper end of a range over keys made by `at`; `top` is the first key past
    /// the prefix (`None`: no prefix, the whole table).
    fn upper<'b, K>(&'b self, top: Option<K>, at: impl Fn(u64, &'b str) -> K) -> ops::Bound<K> {
        match self {
            Bound::Top => top.map_or(Unbounded, Excluded),
            Bound::Below((ms, id)) => Excluded(at(*ms, id)),
            Bound::AtOrBelow((ms, id)) => Included(at(*ms, id)),
        }
    }
}

/// One index narrowed to a prefix.
enum Walk<'t> {
    All(&'t ReadOnlyTable<(u64, &'static str), ()>),
    Status(&'t ReadOnlyTable<(u8, u64, &'static str), ()>, u8),
    Type(
        &'t ReadOnlyTable<(&'static str, u64, &'static str), ()>,
        &'t str,
    ),
}

impl Walk<'_> {
    /// The newest key of this walk within `bound`.
    fn newest(&self, bound: &Bound) -> Result<Option<Key>, StorageError> {
        Ok(match self {
            Walk::All(t) => {
                let hi = bound.upper(None, |ms, id| (ms, id));
                t.range((Unbounded, hi))?
                    .next_back()
                    .transpose()?
                    .map(|(k, _)| {
                        let (ms, id) = k.value();
                        (ms, id.to_string())
                    })
            }
            Walk::Status(t, s) => {
                let lo = Included((*s, 0, ""));
                let hi = bound.upper(Some((*s + 1, 0, "")), |ms, id| (*s, ms, id));
                t.range((lo, hi))?.next_back().transpose()?.map(|(k, _)| {
                    let (_, ms, id) = k.value();
                    (ms, id.to_string())
                })
            }
            Walk::Type(t, name) => {
                // The smallest name after `name` ends the prefix.
                let next = format!("{name}\0");
                let lo = Included((*name, 0, ""));
                let hi = bound.upper(Some((next.as_str(), 0, "")), |ms, id| (*name, ms, id));
                t.range((lo, hi))?.next_back().transpose()?.map(|(k, _)| {
                    let (_, ms, id) = k.value();
                    (ms, id.to_string())
                })
            }
        })
    }
}

/// The newest key within `bound` that every walk holds.
fn newest_in_all(walks: &[Walk<'_>], bound: &Bound) -> Result<Option<Key>, StorageError> {
    let Some(mut candidate) = walks[0].newest(bound)? else {
        return Ok(None);
    };
    let (mut agreeing, mut next) = (1, 1);
    while agreeing < walks.len() {
        let at_most = Bound::AtOrBelow(candidate.clone());
        let Some(key) = walks[next % walks.len()].newest(&at_most)? else {
            return Ok(None);
        };
        if key == candidate {
            agreeing += 1;
        } else {
            candidate = key;
            agreeing = 1;
        }
        next += 1;
    }
    Ok(Some(candidate))
}

/// At most `limit` runs passing `filter`, newest first.
pub fn list_runs(
    tx: &ReadTransaction,
    filter: &RunFilter,
    limit: usize,
) -> Result<Vec<RunRecord>, StorageError> {
    let runs = tx.open_table(RUNS)?;
    let by_start = tx.open_table(RUNS_BY_START)?;
    let by_status = tx.open_table(RUNS_BY_STATUS)?;
    let by_type = tx.open_table(RUNS_BY_TYPE)?;
    let mut walks = Vec::new();
    if let Some(status) = filter.status {
        walks.push(Walk::Status(&by_status, status.index_byte()));
    }
    if let Some(t) = &filter.workflow_type {
        walks.push(Walk::Type(&by_type, t));
    }
    if walks.is_empty() {
        walks.push(Walk::All(&by_start));
    }
    let index = match (filter.status, &filter.workflow_type) {
        (None, None) => "by start",
        (Some(_), _) => "by status",
        (None, Some(_)) => "by type",
    };
    let mut bound = filter.before.clone().map_or(Bound::Top, Bound::Below);
    let mut out = Vec::new();
    while out.len() < limit {
        let Some(key) = newest_in_all(&walks, &bound)? else {
            break;
        };
        out.push(record(&runs, &key.1, index)?);
        bound = Bound::Below(key);
    }
    Ok(out)
}

/// Every running run, oldest first.
pub fn open_runs(tx: &ReadTransaction) -> Result<Vec<RunRecord>, StorageError> {
    let runs = tx.open_table(RUNS)?;
    let by_status = tx.open_table(RUNS_BY_STATUS)?;
    let s = Status::Running.index_byte();
    let mut out = Vec::new();
    for row in by_status.range((s, 0, "")..(s + 1, 0, ""))? {
        let (key, _) = row?;
        out.push(record(&runs, key.value().2, "by status")?);
    }
    Ok(out)
}

/// The record an index row names.
fn record(
    runs: &ReadOnlyTable<&'static str, &'static [u8]>,
    run_id: &str,
    index: &'static str,
) -> Result<RunRecord, StorageError> {
    match runs.get(run_id)? {
        Some(bytes) => decode_run(run_id, bytes.value()),
        None => Err(StorageError::IndexMismatch {
            index,
            run_id: run_id.to_string(),
        }),
    }
}
