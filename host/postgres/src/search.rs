//! List and count queries: a checked query (`TypedQuery`) translated to SQL over `runs`
//! and `search_attribute_values`, with the semantics of the runtime's `Filter::matches`
//! and the order of redb's answers.
//!
//! * A condition on a run's field compares its column; a value of another type than the
//!   field's passes nothing (as `Value::compare` gives no order across types).
//! * A condition on a custom attribute holds when some value row of the run's attribute
//!   passes (a keyword list has a row per keyword); the value's type picks the column.
//! * A run without the field (no such attribute, not closed) fails every test, as SQL's
//!   null does.
//! * Order: newest start first (or oldest with `ORDER BY StartTime ASC`), run id
//!   breaking ties, in byte order; by another field, its first value, runs without it
//!   last, ties newest start first.

use deadpool_postgres::Client;
use tokio_postgres::types::ToSql;
use weft_runtime::storage::plan::{CmpOp, Cond, Filter, Target, Test, TypedQuery, Value};
use weft_runtime::storage::{Counted, SearchPage, Status, StorageError};
use weft_types::SearchAttributeKind as Kind;

use crate::reads::{db, run_from_row, status, RUN_COLUMNS};

/// What a page or count reports as its plan.
const PLAN: &str = "PostgreSQL query over runs and search_attribute_values";

/// SQL text being built, with its parameters.
#[derive(Default)]
struct Sql {
    text: String,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Sql {
    /// A placeholder for `p`.
    fn param(&mut self, p: impl ToSql + Sync + Send + 'static) -> String {
        self.params.push(Box::new(p));
        format!("${}", self.params.len())
    }

    /// A placeholder for a query value, with its SQL type.
    fn value(&mut self, v: &Value) -> String {
        match v {
            Value::Str(s) => self.param(s.clone()) + "::text",
            Value::Int(i) | Value::Time(i) => self.param(*i) + "::bigint",
            Value::Double(d) => self.param(*d) + "::float8",
            Value::Bool(b) => self.param(*b) + "::bool",
            Value::Status(s) => self.param(*s as i16) + "::smallint",
        }
    }

    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|b| b.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// Whether a value is of the type a field compares with.
type Accepts = fn(&Value) -> bool;

/// The column of a run field, and the type of value it compares with.
fn run_column(target: &Target) -> Option<(&'static str, Accepts)> {
    let str_ = |v: &Value| matches!(v, Value::Str(_));
    let time = |v: &Value| matches!(v, Value::Time(_));
    Some(match target {
        Target::WorkflowId => ("r.workflow_id", str_),
        Target::WorkflowType => ("r.workflow_type", str_),
        Target::RunId => ("r.run_id", str_),
        Target::ExecutionStatus => ("r.status", |v| matches!(v, Value::Status(_))),
        Target::StartTime => ("r.start_ms", time),
        Target::CloseTime => ("r.close_ms", time),
        // Kept with the attributes only when not the default.
        Target::Priority => (
            "COALESCE((SELECT (a.attributes->>'priority')::bigint FROM run_attributes a \
              WHERE a.run_id = r.run_id), 3)",
            |v| matches!(v, Value::Int(_)),
        ),
        Target::Attribute { .. } => return None,
    })
}

/// The value column of `search_attribute_values` that holds values like `v`.
fn value_column(v: &Value) -> Option<&'static str> {
    Some(match v {
        Value::Str(_) => "v.v_str",
        Value::Int(_) => "v.v_int",
        Value::Double(_) => "v.v_double",
        Value::Bool(_) => "v.v_bool",
        Value::Time(_) => "v.v_time",
        Value::Status(_) => return None,
    })
}

/// The column compared with `v`, given the condition's target (`None`: nothing of the
/// target's can equal a value of `v`'s type).
fn column_for(target: &Target, v: &Value) -> Option<&'static str> {
    match run_column(target) {
        Some((column, accepts)) => accepts(v).then_some(column),
        None => value_column(v),
    }
}

/// `column op value`, or `FALSE` across types.
fn compare(sql: &mut Sql, target: &Target, op: &str, v: &Value) -> String {
    match column_for(target, v) {
        Some(column) => format!("{column} {op} {}", sql.value(v)),
        None => "FALSE".into(),
    }
}

/// A `LIKE` pattern matching what starts with `prefix`.
fn prefix_pattern(prefix: &str) -> String {
    let mut p = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '\\' | '%' | '_') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The SQL test of one value of `target` (a column, or `v.*` for attributes).
fn test(sql: &mut Sql, target: &Target, t: &Test) -> String {
    match t {
        Test::Cmp(op, v) => {
            let op = match op {
                CmpOp::Eq => "=",
                CmpOp::Ne => "<>",
                CmpOp::Lt => "<",
                CmpOp::Le => "<=",
                CmpOp::Gt => ">",
                CmpOp::Ge => ">=",
            };
            compare(sql, target, op, v)
        }
        Test::In(vs) if vs.is_empty() => "FALSE".into(),
        Test::In(vs) => {
            let each: Vec<String> = vs.iter().map(|v| compare(sql, target, "=", v)).collect();
            format!("({})", each.join(" OR "))
        }
        Test::Between(lo, hi) => format!(
            "({} AND {})",
            compare(sql, target, ">=", lo),
            compare(sql, target, "<=", hi)
        ),
        Test::StartsWith(prefix) => {
            let probe = Value::Str(String::new());
            match column_for(target, &probe) {
                Some(column) => format!("{column} LIKE {}", sql.param(prefix_pattern(prefix))),
                None => "FALSE".into(),
            }
        }
    }
}

fn condition(sql: &mut Sql, c: &Cond) -> String {
    match &c.target {
        Target::Attribute { name, .. } => {
            let name = sql.param(name.clone());
            let passes = test(sql, &c.target, &c.test);
            format!(
                "EXISTS (SELECT 1 FROM search_attribute_values v \
                 WHERE v.run_id = r.run_id AND v.name = {name} AND {passes})"
            )
        }
        _ => test(sql, &c.target, &c.test),
    }
}

fn filter(sql: &mut Sql, f: &Filter) -> String {
    match f {
        Filter::And(a, b) => format!("({} AND {})", filter(sql, a), filter(sql, b)),
        Filter::Or(a, b) => format!("({} OR {})", filter(sql, a), filter(sql, b)),
        Filter::Cond(c) => condition(sql, c),
    }
}

/// `FROM runs r WHERE …` for the query's filter.
fn from_where(sql: &mut Sql, query: &TypedQuery) -> String {
    match &query.filter {
        Some(f) => format!("FROM runs r WHERE {}", filter(sql, f)),
        None => "FROM runs r".into(),
    }
}

/// The first value of an attribute, by the column of its declared kind.
fn attribute_key(sql: &mut Sql, name: &str, kind: Kind) -> String {
    let column = match kind {
        Kind::Keyword | Kind::Text | Kind::KeywordList => "v_str",
        Kind::Int => "v_int",
        Kind::Double => "v_double",
        Kind::Bool => "v_bool",
        Kind::Datetime => "v_time",
    };
    let name = sql.param(name.to_string());
    format!(
        "(SELECT v.{column} FROM search_attribute_values v \
          WHERE v.run_id = r.run_id AND v.name = {name} AND v.position = 0)"
    )
}

fn order_by(sql: &mut Sql, query: &TypedQuery) -> String {
    let key = match &query.order_by {
        None | Some((Target::StartTime, true)) => return "r.start_ms DESC, r.run_id DESC".into(),
        Some((Target::StartTime, false)) => return "r.start_ms ASC, r.run_id ASC".into(),
        Some((Target::Attribute { name, kind }, descending)) => {
            (attribute_key(sql, name, *kind), *descending)
        }
        Some((target, descending)) => {
            let (column, _) = run_column(target).expect("a run field");
            (column.to_string(), *descending)
        }
    };
    let direction = if key.1 { "DESC" } else { "ASC" };
    format!(
        "{} {direction} NULLS LAST, r.start_ms DESC, r.run_id DESC",
        key.0
    )
}

/// The runs passing `query`, in its order, `limit` of them from `offset`.
pub async fn search(
    c: &Client,
    query: &TypedQuery,
    offset: usize,
    limit: usize,
) -> Result<SearchPage, StorageError> {
    let mut sql = Sql::default();
    let from = from_where(&mut sql, query);
    let order = order_by(&mut sql, query);
    // One more than the page, to tell whether more follow.
    let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
    let skip = i64::try_from(offset).unwrap_or(i64::MAX);
    let fetch = sql.param(fetch);
    let skip = sql.param(skip);
    sql.text = format!("SELECT {RUN_COLUMNS} {from} ORDER BY {order} LIMIT {fetch} OFFSET {skip}");
    let rows = c.query(&sql.text, &sql.params()).await.map_err(db)?;
    let examined = rows.len();
    let more = rows.len() > limit;
    let runs = rows
        .iter()
        .take(limit)
        .map(run_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SearchPage {
        runs,
        more,
        plan: PLAN.into(),
        examined,
    })
}

/// How many runs pass `query` (per status when it groups by status).
pub async fn count(c: &Client, query: &TypedQuery) -> Result<Counted, StorageError> {
    let mut sql = Sql::default();
    let from = from_where(&mut sql, query);
    sql.text = format!("SELECT r.status, count(*) {from} GROUP BY r.status ORDER BY r.status");
    let rows = c.query(&sql.text, &sql.params()).await.map_err(db)?;
    let mut groups: Vec<(Status, u64)> = Vec::with_capacity(rows.len());
    for row in &rows {
        let n: i64 = row.get(1);
        groups.push((status("in a count", row.get(0))?, n as u64));
    }
    let total = groups.iter().map(|(_, n)| n).sum();
    Ok(Counted {
        total,
        by_status: query.group_by_status.then_some(groups),
        plan: PLAN.into(),
        examined: total as usize,
    })
}
