//! The index scans a list query reads: what a condition selects in which index
//! (`scans_of`), and the walk over a scan's keys, either way. The planner that picks
//! and combines them is `redb_search`.

use std::ops::Bound::{self, Excluded, Included, Unbounded};

use redb::{ReadOnlyTable, ReadTransaction};

use super::attr_index::{encode_value, ATTRIBUTE_INDEX, RUN_ATTRIBUTES};
use super::plan::{CmpOp, Cond, Target, Test, Value};
use super::redb_tables::{
    decode_run, RUNS, RUNS_BY_START, RUNS_BY_STATUS, RUNS_BY_TYPE, RUNS_BY_WORKFLOW,
};
use super::StorageError;

/// A run's place in every index.
pub(super) type Key = (u64, String);

/// Greater than any run id (they are hex).
const MAX_ID: &str = "\u{10FFFF}";

/// One index scan.
#[derive(Debug, Clone)]
pub(super) enum Scan {
    Attribute {
        name: String,
        lo: Bound<Vec<u8>>,
        hi: Bound<Vec<u8>>,
    },
    /// A range of workflow types, or of workflow ids.
    Text {
        by: TextIndex,
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

/// The indexes keyed by a run's text field, then its start.
#[derive(Debug, Clone, Copy)]
pub(super) enum TextIndex {
    Type,
    Workflow,
}

impl Scan {
    pub(super) fn name(&self) -> String {
        match self {
            Scan::Attribute { name, .. } => format!("search_attribute_index on {name}"),
            Scan::Text {
                by: TextIndex::Type,
                ..
            } => "runs_by_type".into(),
            Scan::Text {
                by: TextIndex::Workflow,
                ..
            } => "runs_by_workflow".into(),
            Scan::Status(_) => "runs_by_status".into(),
            Scan::Start { .. } => "runs_by_start".into(),
            Scan::Run(_) => "runs".into(),
        }
    }

    /// Its keys come in start order: one value of its index, or the start index.
    pub(super) fn start_ordered(&self) -> bool {
        match self {
            Scan::Status(_) | Scan::Start { .. } | Scan::Run(_) => true,
            Scan::Text {
                lo: Included(a),
                hi: Included(b),
                ..
            } => a == b,
            Scan::Attribute {
                lo: Included(a),
                hi: Included(b),
                ..
            } => a == b,
            _ => false,
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
pub(super) fn scans_of(cond: &Cond) -> Option<Vec<Scan>> {
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
        Target::WorkflowType | Target::WorkflowId => {
            let by = match cond.target {
                Target::WorkflowType => TextIndex::Type,
                _ => TextIndex::Workflow,
            };
            let text =
                |b: Bound<Vec<u8>>| map_bound(b, |v| String::from_utf8(v).unwrap_or_default());
            Some(
                byte_ranges(&cond.test)?
                    .into_iter()
                    .map(|(lo, hi)| Scan::Text {
                        by,
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
        Target::CloseTime | Target::Priority => None,
    }
}

/// The tables a query reads.
pub(super) struct Tables {
    pub(super) runs: ReadOnlyTable<&'static str, &'static [u8]>,
    pub(super) attributes: ReadOnlyTable<&'static str, &'static [u8]>,
    pub(super) index: ReadOnlyTable<(&'static str, &'static [u8], u64, &'static str), ()>,
    pub(super) by_start: ReadOnlyTable<(u64, &'static str), ()>,
    pub(super) by_status: ReadOnlyTable<(u8, u64, &'static str), ()>,
    pub(super) by_type: ReadOnlyTable<(&'static str, u64, &'static str), ()>,
    pub(super) by_workflow: ReadOnlyTable<(&'static str, u64, &'static str), ()>,
}

impl Tables {
    pub(super) fn open(tx: &ReadTransaction) -> Result<Tables, StorageError> {
        Ok(Tables {
            runs: tx.open_table(RUNS)?,
            attributes: tx.open_table(RUN_ATTRIBUTES)?,
            index: tx.open_table(ATTRIBUTE_INDEX)?,
            by_start: tx.open_table(RUNS_BY_START)?,
            by_status: tx.open_table(RUNS_BY_STATUS)?,
            by_type: tx.open_table(RUNS_BY_TYPE)?,
            by_workflow: tx.open_table(RUNS_BY_WORKFLOW)?,
        })
    }

    /// Walk the keys of `scan` (backwards when `rev`), stopping when `visit` says so
    /// (returns false).
    pub(super) fn walk(
        &self,
        scan: &Scan,
        rev: bool,
        mut visit: impl FnMut(Key) -> bool,
    ) -> Result<(), StorageError> {
        macro_rules! each {
            ($iter:expr, |$k:ident| $key:expr) => {{
                let rows = $iter;
                let rows: Box<dyn Iterator<Item = _>> = match rev {
                    true => Box::new(rows.rev()),
                    false => Box::new(rows),
                };
                for row in rows {
                    let ($k, _) = row?;
                    let $k = $k.value();
                    if !visit($key) {
                        break;
                    }
                }
            }};
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
            Scan::Text { by, lo, hi } => {
                let table = match by {
                    TextIndex::Type => &self.by_type,
                    TextIndex::Workflow => &self.by_workflow,
                };
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
                each!(table.range::<(&str, u64, &str)>((lo, hi))?, |k| (
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
}
