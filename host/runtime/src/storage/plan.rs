//! The plan a list or count query runs as: conditions over a run's fields and search
//! attributes, typed, with the order and grouping asked for. The storage defines it and
//! runs it over its indexes; the query language (`crate::query`) produces it.

use std::cmp::Ordering;

use weft_types::search_attributes::{SearchAttributeKind as Kind, SearchAttributeValue};

use super::{RunAttributes, RunRecord, Status};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// What a condition looks at.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    WorkflowId,
    WorkflowType,
    ExecutionStatus,
    StartTime,
    CloseTime,
    RunId,
    /// The run's priority, 1 to 5 (3 when it was not given); kept with its attributes.
    Priority,
    Attribute {
        name: String,
        kind: Kind,
    },
}

/// A value of a field, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Double(f64),
    Bool(bool),
    /// Milliseconds since the Unix epoch.
    Time(i64),
    Status(Status),
}

impl Value {
    /// Order between values of one type; `None` across types.
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
            (Value::Int(a), Value::Int(b)) | (Value::Time(a), Value::Time(b)) => Some(a.cmp(b)),
            (Value::Double(a), Value::Double(b)) => Some(a.total_cmp(b)),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            (Value::Status(a), Value::Status(b)) => Some((*a as u8).cmp(&(*b as u8))),
            _ => None,
        }
    }

    /// The values a stored attribute stands for (a keyword list: each keyword).
    pub fn of_attribute(value: &SearchAttributeValue) -> Vec<Value> {
        match value {
            SearchAttributeValue::Keyword(s) | SearchAttributeValue::Text(s) => {
                vec![Value::Str(s.clone())]
            }
            SearchAttributeValue::Int(i) => vec![Value::Int(*i)],
            SearchAttributeValue::Double(v) => vec![Value::Double(*v)],
            SearchAttributeValue::Bool(b) => vec![Value::Bool(*b)],
            SearchAttributeValue::Datetime(t) => vec![Value::Time(t.unix_ms)],
            SearchAttributeValue::KeywordList(l) => l.iter().cloned().map(Value::Str).collect(),
        }
    }
}

/// The test a condition applies to its field's value(s).
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Cmp(CmpOp, Value),
    In(Vec<Value>),
    Between(Value, Value),
    StartsWith(String),
}

impl Test {
    /// Whether `v` passes.
    pub fn passes(&self, v: &Value) -> bool {
        let ord = |w: &Value| v.compare(w);
        match self {
            Test::Cmp(op, w) => ord(w).is_some_and(|o| match op {
                CmpOp::Eq => o.is_eq(),
                CmpOp::Ne => o.is_ne(),
                CmpOp::Lt => o.is_lt(),
                CmpOp::Le => o.is_le(),
                CmpOp::Gt => o.is_gt(),
                CmpOp::Ge => o.is_ge(),
            }),
            Test::In(ws) => ws.iter().any(|w| ord(w).is_some_and(Ordering::is_eq)),
            Test::Between(lo, hi) => {
                ord(lo).is_some_and(Ordering::is_ge) && ord(hi).is_some_and(Ordering::is_le)
            }
            Test::StartsWith(prefix) => {
                matches!(v, Value::Str(s) if s.starts_with(prefix.as_str()))
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cond {
    pub target: Target,
    pub test: Test,
}

/// A checked filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Cond(Cond),
}

impl Filter {
    /// Whether `run` (with its current attributes, if any) passes. A run without the
    /// attribute a condition names fails it, whatever the operator (as SQL's null).
    pub fn matches(&self, run: &RunRecord, attributes: Option<&RunAttributes>) -> bool {
        match self {
            Filter::And(a, b) => a.matches(run, attributes) && b.matches(run, attributes),
            Filter::Or(a, b) => a.matches(run, attributes) || b.matches(run, attributes),
            Filter::Cond(c) => field_values(&c.target, run, attributes)
                .iter()
                .any(|v| c.test.passes(v)),
        }
    }

    /// Whether testing a run needs its custom attributes.
    pub fn uses_attributes(&self) -> bool {
        match self {
            Filter::And(a, b) | Filter::Or(a, b) => a.uses_attributes() || b.uses_attributes(),
            Filter::Cond(c) => c.target.uses_attributes(),
        }
    }
}

/// The value(s) of `target` for a run: none when it has no such attribute (or, for
/// `CloseTime`, has not closed).
pub fn field_values(
    target: &Target,
    run: &RunRecord,
    attributes: Option<&RunAttributes>,
) -> Vec<Value> {
    match target {
        Target::WorkflowId => vec![Value::Str(run.workflow_id.clone())],
        Target::WorkflowType => vec![Value::Str(run.workflow_type.clone())],
        Target::ExecutionStatus => vec![Value::Status(run.status)],
        Target::StartTime => vec![Value::Time(run.start_ms as i64)],
        Target::CloseTime => run
            .close_ms
            .map(|ms| Value::Time(ms as i64))
            .into_iter()
            .collect(),
        Target::RunId => vec![Value::Str(run.run_id.clone())],
        Target::Priority => {
            let priority = attributes.map(RunAttributes::priority).unwrap_or_default();
            vec![Value::Int(i64::from(priority.get()))]
        }
        Target::Attribute { name, .. } => attributes
            .and_then(|a| a.search.get(name))
            .map(Value::of_attribute)
            .unwrap_or_default(),
    }
}

/// A checked query.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedQuery {
    pub filter: Option<Filter>,
    /// The field to order by and whether descending; `None`: newest start first.
    pub order_by: Option<(Target, bool)>,
    /// `GROUP BY ExecutionStatus` (the only grouping there is).
    pub group_by_status: bool,
}

impl TypedQuery {
    /// Whether listing needs each run's custom attributes.
    pub fn uses_attributes(&self) -> bool {
        self.filter.as_ref().is_some_and(Filter::uses_attributes)
            || self
                .order_by
                .as_ref()
                .is_some_and(|(target, _)| target.uses_attributes())
    }
}

impl Target {
    /// Whether a run's value of it is kept with its attributes.
    pub fn uses_attributes(&self) -> bool {
        matches!(self, Target::Attribute { .. } | Target::Priority)
    }
}
