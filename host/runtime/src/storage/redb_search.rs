//! Answering list filter queries from the indexes.
//!
//! The planner turns a checked filter into index scans: a condition on a custom
//! attribute becomes a range of `search_attribute_index` (`=` one value, `<`/`>`/
//! `BETWEEN` a range, `IN` one range per value, `STARTS_WITH` a prefix range);
//! `WorkflowType` and `ExecutionStatus` use `runs_by_type` and `runs_by_status`,
//! `StartTime` ranges `runs_by_start`, `RunId` the records. Of the conjuncts of an
//! `AND` that an index serves, the one whose scans hold the fewest rows is taken (rows
//! are counted, the count of each candidate stopping at the best so far); an `OR` is
//! served when every side is, by the union of their scans. What no index serves
//! (`!=`, `WorkflowId`, `CloseTime`, `Priority`, an `OR` with such a side) walks
//! `runs_by_start`.
//! Every candidate is then tested against the whole filter, so the index only has to
//! hold a superset. In start order (the default, or `ORDER BY StartTime`) a page stops
//! as soon as it is full; another order sorts the matches (runs without the field
//! last).

use std::collections::BTreeMap;
use std::ops::Bound::{self, Excluded, Included, Unbounded};

use redb::{ReadOnlyTable, ReadTransaction, ReadableTable};
use weft_types::SearchAttributeKind;

use super::attr_index::{
    decode_attributes, decode_kind, encode_value, ATTRIBUTE_INDEX, ATTRIBUTE_TYPES, RUN_ATTRIBUTES,
};
use super::plan::{field_values, CmpOp, Cond, Filter, Target, Test, TypedQuery, Value};
use super::redb_tables::{decode_run, RUNS, RUNS_BY_START, RUNS_BY_STATUS, RUNS_BY_TYPE};
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

/// A run's place in every index.
type Key = (u64, String);

/// Greater than any run id (they are hex).
const MAX_ID: &str = "\u{10FFFF}";

/// One index scan.
#[derive(Debug, Clone)]
enum Scan {
    Attribute {
        name: String,
        lo: Bound<Vec<u8>>,
        hi: Bound<Vec<u8>>,
    },
    Type {
        lo: Bound<String>,
        hi: Bound<String>,
    },
    Status(u8),
    Start {
        lo: Bound<u64>,
        hi: Bound<u64>,
    },
    Run(String),
}

impl Scan {
    fn name(&self) -> String {
        match self {
            Scan::Attribute { name, .. } => format!("search_attribute_index on {name}"),
            Scan::Type { .. } => "runs_by_type".into(),
            Scan::Status(_) => "runs_by_status".into(),
            Scan::Start { .. } => "runs_by_start".into(),
            Scan::Run(_) => "runs".into(),
        }
    }
}

/// The byte string just past every string that starts with `prefix`.
fn past_prefix(prefix: &[u8]) -> Bound<Vec<u8>> {
    let mut p = prefix.to_vec();
    while let Some(last) = p.pop() {
        if last < 0xFF {
            p.push(last + 1);
            return Excluded(p);
        }
    }
    Unbounded
}

/// The value bounds a test puts on a field; `None` when no range serves it (`!=`).
fn value_ranges(test: &Test) -> Option<Vec<(Bound<Value>, Bound<Value>)>> {
    Some(match test {
        Test::Cmp(op, v) => vec![match op {
            CmpOp::Eq => (Included(v.clone()), Included(v.clone())),
            CmpOp::Lt => (Unbounded, Excluded(v.clone())),
            CmpOp::Le => (Unbounded, Included(v.clone())),
            CmpOp::Gt => (Excluded(v.clone()), Unbounded),
            CmpOp::Ge => (Included(v.clone()), Unbounded),
            CmpOp::Ne => return None,
        }],
        Test::In(vs) => vs
            .iter()
            .map(|v| (Included(v.clone()), Included(v.clone())))
            .collect(),
        Test::Between(lo, hi) => vec![(Included(lo.clone()), Included(hi.clone()))],
        Test::StartsWith(_) => return None,
    })
}

fn map_bound<T, U>(b: Bound<T>, f: impl Fn(T) -> U) -> Bound<U> {
    match b {
        Included(t) => Included(f(t)),
        Excluded(t) => Excluded(f(t)),
        Unbounded => Unbounded,
    }
}

/// A range of encoded values.
type ByteRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// A run and its attributes (when the query needs them).
type Found = (RunRecord, Option<RunAttributes>);

/// The byte ranges of a string or attribute field that `test` selects.
fn byte_ranges(test: &Test) -> Option<Vec<ByteRange>> {
    Some(match test {
        Test::StartsWith(p) => vec![(Included(p.as_bytes().to_vec()), past_prefix(p.as_bytes()))],
        test => value_ranges(test)?
            .into_iter()
            .map(|(lo, hi)| {
                (
                    map_bound(lo, |v| encode_value(&v)),
                    map_bound(hi, |v| encode_value(&v)),
                )
            })
            .collect(),
    })
}

/// The scans that find every run passing `cond`, or `None` if no index serves it.
fn scans_of(cond: &Cond) -> Option<Vec<Scan>> {
    match &cond.target {
        Target::Attribute { name, .. } => Some(
            byte_ranges(&cond.test)?
                .into_iter()
                .map(|(lo, hi)| Scan::Attribute {
                    name: name.clone(),
                    lo,
                    hi,
                })
                .collect(),
        ),
        Target::WorkflowType => {
            let text =
                |b: Bound<Vec<u8>>| map_bound(b, |v| String::from_utf8(v).unwrap_or_default());
            Some(
                byte_ranges(&cond.test)?
                    .into_iter()
                    .map(|(lo, hi)| Scan::Type {
                        lo: text(lo),
                        hi: text(hi),
                    })
                    .collect(),
            )
        }
        Target::ExecutionStatus => {
            let statuses = match &cond.test {
                Test::Cmp(CmpOp::Eq, v) => vec![v.clone()],
                Test::In(vs) => vs.clone(),
                _ => return None,
            };
            Some(
                statuses
                    .into_iter()
                    .filter_map(|v| match v {
                        Value::Status(s) => Some(Scan::Status(s.index_byte())),
                        _ => None,
                    })
                    .collect(),
            )
        }
        Target::StartTime => {
            let ms = |b: Bound<Value>| {
                map_bound(b, |v| match v {
                    Value::Time(t) => t.max(0) as u64,
                    _ => 0,
                })
            };
            Some(
                value_ranges(&cond.test)?
                    .into_iter()
                    .map(|(lo, hi)| Scan::Start {
                        lo: ms(lo),
                        hi: ms(hi),
                    })
                    .collect(),
            )
        }
        Target::RunId => {
            let ids = match &cond.test {
                Test::Cmp(CmpOp::Eq, v) => vec![v.clone()],
                Test::In(vs) => vs.clone(),
                _ => return None,
            };
            Some(
                ids.into_iter()
                    .filter_map(|v| match v {
                        Value::Str(s) => Some(Scan::Run(s)),
                        _ => None,
                    })
                    .collect(),
            )
        }
        Target::WorkflowId | Target::CloseTime | Target::Priority => None,
    }
}

/// The tables a query reads.
struct Tables {
    runs: ReadOnlyTable<&'static str, &'static [u8]>,
    attributes: ReadOnlyTable<&'static str, &'static [u8]>,
    index: ReadOnlyTable<(&'static str, &'static [u8], u64, &'static str), ()>,
    by_start: ReadOnlyTable<(u64, &'static str), ()>,
    by_status: ReadOnlyTable<(u8, u64, &'static str), ()>,
    by_type: ReadOnlyTable<(&'static str, u64, &'static str), ()>,
}

impl Tables {
    fn open(tx: &ReadTransaction) -> Result<Tables, StorageError> {
        Ok(Tables {
            runs: tx.open_table(RUNS)?,
            attributes: tx.open_table(RUN_ATTRIBUTES)?,
            index: tx.open_table(ATTRIBUTE_INDEX)?,
            by_start: tx.open_table(RUNS_BY_START)?,
            by_status: tx.open_table(RUNS_BY_STATUS)?,
            by_type: tx.open_table(RUNS_BY_TYPE)?,
        })
    }

    /// Walk the keys of `scan`, stopping when `visit` says so (returns false).
    fn walk(&self, scan: &Scan, mut visit: impl FnMut(Key) -> bool) -> Result<(), StorageError> {
        macro_rules! each {
            ($iter:expr, |$k:ident| $key:expr) => {
                for row in $iter {
                    let ($k, _) = row?;
                    let $k = $k.value();
                    if !visit($key) {
                        break;
                    }
                }
            };
        }
        match scan {
            Scan::Attribute { name, lo, hi } => {
                let name = name.as_str();
                let next = format!("{name}\0");
                let lo = match lo {
                    Included(v) => Included((name, v.as_slice(), 0, "")),
                    Excluded(v) => Excluded((name, v.as_slice(), u64::MAX, MAX_ID)),
                    Unbounded => Included((name, &[][..], 0, "")),
                };
                let hi = match hi {
                    Included(v) => Included((name, v.as_slice(), u64::MAX, MAX_ID)),
                    Excluded(v) => Excluded((name, v.as_slice(), 0, "")),
                    Unbounded => Excluded((next.as_str(), &[][..], 0, "")),
                };
                each!(
                    self.index.range::<(&str, &[u8], u64, &str)>((lo, hi))?,
                    |k| (k.2, k.3.to_string())
                );
            }
            Scan::Type { lo, hi } => {
                let lo = match lo {
                    Included(v) => Included((v.as_str(), 0, "")),
                    Excluded(v) => Excluded((v.as_str(), u64::MAX, MAX_ID)),
                    Unbounded => Unbounded,
                };
                let hi = match hi {
                    Included(v) => Included((v.as_str(), u64::MAX, MAX_ID)),
                    Excluded(v) => Excluded((v.as_str(), 0, "")),
                    Unbounded => Unbounded,
                };
                each!(self.by_type.range::<(&str, u64, &str)>((lo, hi))?, |k| (
                    k.1,
                    k.2.to_string()
                ));
            }
            Scan::Status(s) => {
                each!(self.by_status.range((*s, 0, "")..(*s + 1, 0, ""))?, |k| (
                    k.1,
                    k.2.to_string()
                ));
            }
            Scan::Start { lo, hi } => {
                let lo = map_bound(*lo, |ms| (ms, ""));
                let lo = match lo {
                    Excluded((ms, _)) => Excluded((ms, MAX_ID)),
                    other => other,
                };
                let hi = match map_bound(*hi, |ms| (ms, MAX_ID)) {
                    Excluded((ms, _)) => Excluded((ms, "")),
                    other => other,
                };
                each!(self.by_start.range::<(u64, &str)>((lo, hi))?, |k| (
                    k.0,
                    k.1.to_string()
                ));
            }
            Scan::Run(id) => {
                if let Some(bytes) = self.runs.get(id.as_str())? {
                    let run = decode_run(id, bytes.value())?;
                    visit((run.start_ms, run.run_id));
                }
            }
        }
        Ok(())
    }

    /// How many rows `scans` hold, counting no further than `cap`.
    fn count_rows(&self, scans: &[Scan], cap: usize) -> Result<usize, StorageError> {
        let mut n = 0;
        for scan in scans {
            self.walk(scan, |_| {
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
            self.walk(scan, |k| {
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
        let (keys, plan) = self.candidates(query.filter.as_ref())?;
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
        match keys {
            Some(mut keys) => {
                if ascending {
                    keys.reverse();
                }
                for (_, id) in keys {
                    if !test(&id)? {
                        break;
                    }
                }
            }
            None => {
                let rows = self.by_start.iter()?;
                let rows: Box<dyn Iterator<Item = _>> = if ascending {
                    Box::new(rows)
                } else {
                    Box::new(rows.rev())
                };
                for row in rows {
                    let (key, _) = row?;
                    if !test(key.value().1)? {
                        break;
                    }
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
