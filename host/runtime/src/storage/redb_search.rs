//! Answering list filter queries from the indexes.
//!
//! The planner turns a checked filter into index scans: a condition on a custom
//! attribute becomes a range of `search_attribute_index` (`=` one value, `<`/`>`/
//! `BETWEEN` a range, `IN` one range per value, `STARTS_WITH` a prefix range);
//! `WorkflowType`, `WorkflowId` and `ExecutionStatus` use `runs_by_type`,
//! `runs_by_workflow` and `runs_by_status`,
//! `StartTime` ranges `runs_by_start`, `RunId` the records. Of the conjuncts of an
//! `AND` that an index serves, the one whose scans hold the fewest rows is taken (rows
//! are counted, the count of each candidate stopping at the best so far); an `OR` is
//! served when every side is, by the union of their scans. What no index serves
//! (`!=`, `CloseTime`, `Priority`, an `OR` with such a side) walks
//! `runs_by_start`.
//! Every candidate is then tested against the whole filter, so the index only has to
//! hold a superset. A filter of one condition whose scan holds its runs in start order
//! (one value of an index, or a start range) is read in the order asked and stops when
//! the page is full, so a page of `ExecutionStatus = 'Running'` among 100,000 runs reads
//! a page of rows. In start order (the default, or `ORDER BY StartTime`) a page stops
//! as soon as it is full; another order sorts the matches (runs without the field
//! last).

use std::collections::BTreeMap;
use std::ops::Bound::Unbounded;

use redb::{ReadTransaction, ReadableTable};
use weft_types::SearchAttributeKind;

use super::attr_index::{decode_attributes, decode_kind, ATTRIBUTE_TYPES};
use super::plan::{field_values, Filter, Target, TypedQuery};
use super::redb_scan::{scans_of, Key, Scan, Tables};
use super::redb_tables::decode_run;
use super::{RunAttributes, RunRecord, Status, StorageError};

/// A page of runs that passed a query.
#[derive(Debug, Clone, Default)]
pub struct SearchPage {
    pub runs: Vec<RunRecord>,
    /// More matches follow the page.
    pub more: bool,
    /// How the candidates were found, for people (`index search_attribute_index on
    /// OrderStatus`, `scan of runs_by_start`).
    pub plan: String,
    /// How many runs were read and tested.
    pub examined: usize,
}

/// The answer to a count.
#[derive(Debug, Clone, Default)]
pub struct Counted {
    pub total: u64,
    /// Per status, with `GROUP BY ExecutionStatus` (statuses with no run left out).
    pub by_status: Option<Vec<(Status, u64)>>,
    pub plan: String,
    pub examined: usize,
}

/// A run and its attributes (when the query needs them).
type Found = (RunRecord, Option<RunAttributes>);

impl Tables {
    /// How many rows `scans` hold, counting no further than `cap`.
    fn count_rows(&self, scans: &[Scan], cap: usize) -> Result<usize, StorageError> {
        let mut n = 0;
        for scan in scans {
            self.walk(scan, false, |_| {
                n += 1;
                n < cap
            })?;
            if n >= cap {
                break;
            }
        }
        Ok(n)
    }

    /// The scans that serve `filter`, the cheapest where there is a choice, with how
    /// many rows they hold (counted no further than `cap`, the size of a cheaper plan
    /// already found); `None` when no index serves it.
    fn plan(
        &self,
        filter: &Filter,
        cap: usize,
    ) -> Result<Option<(Vec<Scan>, usize)>, StorageError> {
        Ok(match filter {
            Filter::Cond(c) => match scans_of(c) {
                Some(scans) => {
                    let n = self.count_rows(&scans, cap)?;
                    Some((scans, n))
                }
                None => None,
            },
            Filter::Or(a, b) => match self.plan(a, cap)? {
                Some((mut x, n)) => match self.plan(b, cap.saturating_sub(n).max(1))? {
                    Some((y, m)) => {
                        x.extend(y);
                        Some((x, n + m))
                    }
                    None => None,
                },
                None => None,
            },
            Filter::And(a, b) => {
                let x = self.plan(a, cap)?;
                let bound = x.as_ref().map_or(cap, |(_, n)| (*n).min(cap));
                let y = self.plan(b, bound)?;
                match (x, y) {
                    (Some(x), Some(y)) => Some(if y.1 < x.1 { y } else { x }),
                    (x, y) => x.or(y),
                }
            }
        })
    }

    /// The candidates of `filter` newest first, or `None`: walk every run.
    fn candidates(
        &self,
        filter: Option<&Filter>,
    ) -> Result<(Option<Vec<Key>>, String), StorageError> {
        let Some((scans, _)) = filter
            .map(|f| self.plan(f, usize::MAX))
            .transpose()?
            .flatten()
        else {
            return Ok((None, "scan of runs_by_start".into()));
        };
        let mut names: Vec<String> = scans.iter().map(Scan::name).collect();
        names.dedup();
        let mut keys = Vec::new();
        for scan in &scans {
            self.walk(scan, false, |k| {
                keys.push(k);
                true
            })?;
        }
        keys.sort_unstable_by(|a, b| b.cmp(a));
        keys.dedup();
        Ok((Some(keys), format!("index {}", names.join(" + "))))
    }

    fn record(&self, id: &str) -> Result<RunRecord, StorageError> {
        match self.runs.get(id)? {
            Some(bytes) => decode_run(id, bytes.value()),
            None => Err(StorageError::IndexMismatch {
                index: "search",
                run_id: id.to_string(),
            }),
        }
    }

    fn attributes(&self, id: &str) -> Result<Option<RunAttributes>, StorageError> {
        self.attributes
            .get(id)?
            .map(|b| decode_attributes(id, b.value()))
            .transpose()
    }

    /// Every run passing `query`'s filter, in start order (newest first unless
    /// `ascending`), until `enough` of them; with each run's attributes if needed.
    fn matches(
        &self,
        query: &TypedQuery,
        ascending: bool,
        enough: usize,
    ) -> Result<(Vec<Found>, String, usize), StorageError> {
        let ordered = match &query.filter {
            Some(Filter::Cond(c)) => scans_of(c)
                .filter(|scans| scans.len() == 1 && scans[0].start_ordered())
                .and_then(|mut scans| scans.pop()),
            _ => None,
        };
        // Keys collected and sorted, or a scan in start order read in the order asked,
        // no further than the page: one condition's scan, or every run.
        let (source, plan) = match ordered {
            Some(scan) => {
                let plan = format!("index {}", scan.name());
                (Err(scan), plan)
            }
            None => match self.candidates(query.filter.as_ref())? {
                (Some(keys), plan) => (Ok(keys), plan),
                (None, plan) => (
                    Err(Scan::Start {
                        lo: Unbounded,
                        hi: Unbounded,
                    }),
                    plan,
                ),
            },
        };
        let with_attributes = query.uses_attributes();
        let mut out = Vec::new();
        let mut examined = 0;
        let mut test = |id: &str| -> Result<bool, StorageError> {
            examined += 1;
            let run = self.record(id)?;
            let attributes = if with_attributes {
                self.attributes(id)?
            } else {
                None
            };
            if query
                .filter
                .as_ref()
                .is_none_or(|f| f.matches(&run, attributes.as_ref()))
            {
                out.push((run, attributes));
            }
            Ok(out.len() < enough)
        };
        match source {
            Ok(mut keys) => {
                if ascending {
                    keys.reverse();
                }
                for (_, id) in keys {
                    if !test(&id)? {
                        break;
                    }
                }
            }
            Err(scan) => {
                let mut failed = None;
                self.walk(&scan, !ascending, |(_, id)| match test(&id) {
                    Ok(more) => more,
                    Err(e) => {
                        failed = Some(e);
                        false
                    }
                })?;
                if let Some(e) = failed {
                    return Err(e);
                }
            }
        }
        Ok((out, plan, examined))
    }
}

/// The runs passing `query`, in its order, `limit` of them from `offset`.
pub fn search(
    tx: &ReadTransaction,
    query: &TypedQuery,
    offset: usize,
    limit: usize,
) -> Result<SearchPage, StorageError> {
    let tables = Tables::open(tx)?;
    let wanted = offset.saturating_add(limit).saturating_add(1);
    let (mut found, plan, examined) = match &query.order_by {
        None | Some((Target::StartTime, true)) => tables.matches(query, false, wanted)?,
        Some((Target::StartTime, false)) => tables.matches(query, true, wanted)?,
        Some((target, descending)) => {
            let (mut all, plan, examined) = tables.matches(query, false, usize::MAX)?;
            let key = |(run, attributes): &Found| {
                field_values(target, run, attributes.as_ref())
                    .into_iter()
                    .next()
            };
            // Stable: ties keep the newest start first.
            all.sort_by(|a, b| match (key(a), key(b)) {
                (Some(x), Some(y)) => {
                    let o = x.compare(&y).unwrap_or(std::cmp::Ordering::Equal);
                    if *descending {
                        o.reverse()
                    } else {
                        o
                    }
                }
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            });
            (all, plan, examined)
        }
    };
    let more = found.len() > offset.saturating_add(limit);
    let runs = found
        .drain(offset.min(found.len())..)
        .take(limit)
        .map(|(run, _)| run)
        .collect();
    Ok(SearchPage {
        runs,
        more,
        plan,
        examined,
    })
}

/// How many runs pass `query` (per status when it groups by status).
pub fn count(tx: &ReadTransaction, query: &TypedQuery) -> Result<Counted, StorageError> {
    let tables = Tables::open(tx)?;
    let (found, plan, examined) = tables.matches(query, false, usize::MAX)?;
    let by_status = query.group_by_status.then(|| {
        let mut counts: BTreeMap<u8, (Status, u64)> = BTreeMap::new();
        for (run, _) in &found {
            counts
                .entry(run.status.index_byte())
                .or_insert((run.status, 0))
                .1 += 1;
        }
        counts.into_values().collect()
    });
    Ok(Counted {
        total: found.len() as u64,
        by_status,
        plan,
        examined,
    })
}

/// The type of every attribute name.
pub fn attribute_types(
    tx: &ReadTransaction,
) -> Result<BTreeMap<String, SearchAttributeKind>, StorageError> {
    let table = tx.open_table(ATTRIBUTE_TYPES)?;
    let mut out = BTreeMap::new();
    for row in table.iter()? {
        let (name, byte) = row?;
        let name = name.value().to_string();
        let kind = decode_kind(&name, byte.value())?;
        out.insert(name, kind);
    }
    Ok(out)
}
