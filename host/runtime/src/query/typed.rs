//! A parsed query checked against the fields it names: every literal converted to the
//! type of its field, ready to plan over the indexes and to test a run. The checked
//! query is the storage's plan type ([`crate::storage::plan`]): this module produces it.

use std::collections::BTreeMap;

use weft_types::search_attributes::{Datetime, SearchAttributeKind as Kind};

use super::{CmpOp, Expr, Field, Lit, Literal, Op, Query, QueryError};
use crate::storage::Status;

pub use crate::storage::plan::{field_values, Cond, Filter, Target, Test, TypedQuery, Value};

/// Check `query` (the text it was parsed from, for errors) against the attribute types
/// the store knows.
pub fn resolve(
    text: &str,
    query: &Query,
    types: &BTreeMap<String, Kind>,
) -> Result<TypedQuery, QueryError> {
    let r = Resolver { text, types };
    let filter = query.filter.as_ref().map(|e| r.expr(e)).transpose()?;
    let order_by = match &query.order_by {
        Some(o) => {
            let target = r.target(&o.field)?;
            if matches!(
                &target,
                Target::Attribute {
                    kind: Kind::KeywordList,
                    ..
                }
            ) {
                return Err(r.err(
                    o.field.at,
                    format!("cannot order by `{}`, a KeywordList", o.field.name),
                ));
            }
            Some((target, o.descending))
        }
        None => None,
    };
    let group_by_status = match &query.group_by {
        Some(f) if r.target(f).ok() == Some(Target::ExecutionStatus) => true,
        Some(f) => {
            return Err(r.err(
                f.at,
                format!(
                    "cannot group by `{}`: only GROUP BY ExecutionStatus is supported",
                    f.name
                ),
            ))
        }
        None => false,
    };
    Ok(TypedQuery {
        filter,
        order_by,
        group_by_status,
    })
}

struct Resolver<'a> {
    text: &'a str,
    types: &'a BTreeMap<String, Kind>,
}

impl Resolver<'_> {
    fn err(&self, at: usize, message: impl Into<String>) -> QueryError {
        QueryError::new(self.text, at, message)
    }

    fn expr(&self, e: &Expr) -> Result<Filter, QueryError> {
        Ok(match e {
            Expr::And(a, b) => Filter::And(Box::new(self.expr(a)?), Box::new(self.expr(b)?)),
            Expr::Or(a, b) => Filter::Or(Box::new(self.expr(a)?), Box::new(self.expr(b)?)),
            Expr::Cond(c) => {
                let target = self.target(&c.field)?;
                let test = match &c.op {
                    Op::Cmp(op, lit) => {
                        if target == Target::ExecutionStatus && !matches!(op, CmpOp::Eq | CmpOp::Ne)
                        {
                            return Err(self.err(c.field.at, "ExecutionStatus takes =, != or IN"));
                        }
                        Test::Cmp(*op, self.value(&target, &c.field, lit)?)
                    }
                    Op::In(lits) => Test::In(
                        lits.iter()
                            .map(|l| self.value(&target, &c.field, l))
                            .collect::<Result<_, _>>()?,
                    ),
                    Op::Between(lo, hi) => Test::Between(
                        self.value(&target, &c.field, lo)?,
                        self.value(&target, &c.field, hi)?,
                    ),
                    Op::StartsWith(lit) => match (&lit.value, is_string(&target)) {
                        (Lit::Str(s), true) => Test::StartsWith(s.clone()),
                        (_, true) => {
                            return Err(self.err(lit.at, "STARTS_WITH takes a quoted string"))
                        }
                        (_, false) => {
                            return Err(self.err(
                                c.field.at,
                                format!(
                                    "STARTS_WITH needs a string field; `{}` is not one",
                                    c.field.name
                                ),
                            ))
                        }
                    },
                };
                Filter::Cond(Cond { target, test })
            }
        })
    }

    fn target(&self, field: &Field) -> Result<Target, QueryError> {
        let builtin = match field.name.as_str() {
            "WorkflowId" => Some(Target::WorkflowId),
            "WorkflowType" => Some(Target::WorkflowType),
            "ExecutionStatus" => Some(Target::ExecutionStatus),
            "StartTime" => Some(Target::StartTime),
            "CloseTime" => Some(Target::CloseTime),
            "RunId" => Some(Target::RunId),
            "Priority" => Some(Target::Priority),
            _ => None,
        };
        if let Some(t) = builtin {
            return Ok(t);
        }
        match self.types.get(&field.name) {
            Some(kind) => Ok(Target::Attribute {
                name: field.name.clone(),
                kind: *kind,
            }),
            None => {
                let known: Vec<&str> = self.types.keys().map(String::as_str).collect();
                Err(self.err(
                    field.at,
                    format!(
                        "unknown field `{}`: not a built-in field (WorkflowId, WorkflowType, \
                         ExecutionStatus, StartTime, CloseTime, RunId, Priority) nor a search attribute \
                         any execution has set ({})",
                        field.name,
                        if known.is_empty() {
                            "none yet".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                ))
            }
        }
    }

    fn value(&self, target: &Target, field: &Field, lit: &Literal) -> Result<Value, QueryError> {
        let wrong = |wants: &str| self.err(lit.at, format!("`{}` takes {wants}", field.name));
        let kind = match target {
            Target::WorkflowId | Target::WorkflowType | Target::RunId => Kind::Keyword,
            Target::StartTime | Target::CloseTime => Kind::Datetime,
            Target::Priority => Kind::Int,
            Target::ExecutionStatus => {
                return match &lit.value {
                    Lit::Str(s) => status_named(s).map(Value::Status).ok_or_else(|| {
                        self.err(lit.at, format!("`{s}` is not an execution status (Running, Completed, Failed, Canceled, Terminated, ContinuedAsNew, TimedOut)"))
                    }),
                    _ => Err(wrong("a quoted status, as in 'Running'")),
                }
            }
            Target::Attribute { kind, .. } => *kind,
        };
        match (kind, &lit.value) {
            (Kind::Keyword | Kind::Text | Kind::KeywordList, Lit::Str(s)) => {
                Ok(Value::Str(s.clone()))
            }
            (Kind::Keyword | Kind::Text | Kind::KeywordList, _) => Err(wrong("a quoted string")),
            (Kind::Int, Lit::Int(i)) => Ok(Value::Int(*i)),
            (Kind::Int, _) => Err(wrong("an integer (it is an Int attribute)")),
            (Kind::Double, Lit::Int(i)) => Ok(Value::Double(*i as f64)),
            (Kind::Double, Lit::Float(v)) => Ok(Value::Double(*v)),
            (Kind::Double, _) => Err(wrong("a number (it is a Double attribute)")),
            (Kind::Bool, Lit::Bool(b)) => Ok(Value::Bool(*b)),
            (Kind::Bool, Lit::Str(s)) if s.parse::<bool>().is_ok() => {
                Ok(Value::Bool(s.parse().expect("checked")))
            }
            (Kind::Bool, _) => Err(wrong("true or false")),
            (Kind::Datetime, Lit::Str(s)) => Datetime::parse(s)
                .map(|t| Value::Time(t.unix_ms))
                .map_err(|e| self.err(lit.at, e)),
            (Kind::Datetime, _) => Err(wrong(
                "an RFC 3339 date and time in quotes, as in '2024-05-01T00:00:00Z'",
            )),
        }
    }
}

fn is_string(target: &Target) -> bool {
    matches!(
        target,
        Target::WorkflowId
            | Target::WorkflowType
            | Target::RunId
            | Target::Attribute {
                kind: Kind::Keyword | Kind::Text | Kind::KeywordList,
                ..
            }
    )
}

/// A status by Temporal's name or weft's (any case; `-`, `_` and spaces ignored).
pub fn status_named(name: &str) -> Option<Status> {
    let key: String = name
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    Some(match key.as_str() {
        "running" => Status::Running,
        "completed" => Status::Completed,
        "failed" => Status::Failed,
        "canceled" | "cancelled" => Status::Cancelled,
        "terminated" => Status::Terminated,
        "continuedasnew" => Status::ContinuedAsNew,
        "timedout" => Status::TimedOut,
        _ => return None,
    })
}

/// Temporal's name of a status, as `GROUP BY ExecutionStatus` reports it.
pub fn status_label(status: Status) -> &'static str {
    match status {
        Status::Running => "Running",
        Status::Completed => "Completed",
        Status::Failed => "Failed",
        Status::Cancelled => "Canceled",
        Status::Terminated => "Terminated",
        Status::ContinuedAsNew => "ContinuedAsNew",
        Status::TimedOut => "TimedOut",
    }
}
