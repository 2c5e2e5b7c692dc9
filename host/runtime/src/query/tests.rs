use std::collections::BTreeMap;

use weft_types::{SearchAttributeKind as Kind, SearchAttributeValue as V};

use super::typed::{resolve, Filter, Target, Test, Value};
use super::*;
use crate::storage::{RunAttributes, RunRecord, Status};

fn types() -> BTreeMap<String, Kind> {
    [
        ("OrderStatus", Kind::Keyword),
        ("Amount", Kind::Int),
        ("Score", Kind::Double),
        ("Vip", Kind::Bool),
        ("DueAt", Kind::Datetime),
        ("Tags", Kind::KeywordList),
        ("Note", Kind::Text),
    ]
    .into_iter()
    .map(|(n, k)| (n.to_string(), k))
    .collect()
}

fn typed(q: &str) -> typed::TypedQuery {
    resolve(q, &parse(q).unwrap(), &types()).unwrap()
}

fn error(q: &str) -> QueryError {
    match parse(q) {
        Err(e) => e,
        Ok(parsed) => resolve(q, &parsed, &types()).unwrap_err(),
    }
}

fn run(workflow_type: &str, status: Status, start_ms: u64) -> RunRecord {
    RunRecord {
        workflow_id: format!("{workflow_type}-1"),
        run_id: format!("r{start_ms}"),
        workflow_type: workflow_type.into(),
        module_digest: "d".into(),
        status,
        start_ms,
        close_ms: None,
        history_len: 0,
        format_version: 4,
    }
}

fn attrs(values: &[(&str, V)]) -> RunAttributes {
    RunAttributes {
        search: values
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect(),
        memo: BTreeMap::new(),
        paused: false,
        priority: None,
        summary: None,
        current_details: None,
    }
}

#[test]
fn precedence_and_binds_tighter_than_or() {
    let q = parse("a = 1 OR b = 2 AND c = 3").unwrap();
    let Some(Expr::Or(_, right)) = q.filter else {
        panic!("{q:?}")
    };
    assert!(matches!(*right, Expr::And(_, _)));
    let q = parse("(a = 1 OR b = 2) AND c = 3").unwrap();
    assert!(matches!(q.filter, Some(Expr::And(_, _))));
}

#[test]
fn every_operator_parses() {
    for q in [
        "WorkflowType = 'hello'",
        "WorkflowType = \"hello\"",
        "Amount != 5",
        "Amount <> 5",
        "Amount < 5 and Amount <= 6 AND Amount > 1 AND Amount >= -2",
        "OrderStatus IN ('a', 'b',\"c\")",
        "Amount BETWEEN 1 AND 10",
        "OrderStatus STARTS_WITH 'sh'",
        "Score > 2.5e1",
        "Vip = true",
        "`OrderStatus` = 'x'",
        "ORDER BY StartTime DESC",
        "Amount > 1 ORDER BY Amount ASC",
        "GROUP BY ExecutionStatus",
        "",
    ] {
        parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    }
}

#[test]
fn malformed_queries_point_at_the_column() {
    let e = error("WorkflowType = ");
    assert_eq!(e.column, 16, "{e}");
    assert!(e.message.contains("expected a value"), "{e}");
    let e = error("WorkflowType == 'x'");
    assert_eq!(e.column, 15, "{e}");
    let e = error("WorkflowType = 'x");
    assert!(e.message.contains("never closed"), "{e}");
    assert_eq!(e.column, 16);
    let e = error("(Amount = 1");
    assert!(e.message.contains("`)`"), "{e}");
    let e = error("Amount = 1 Amount = 2");
    assert_eq!(e.column, 12, "{e}");
    let e = error("Amount ~ 2");
    assert_eq!(e.column, 8);
    let e = error("OrderStatus = shipped");
    assert!(e.message.contains("quote strings"), "{e}");
    // The caret sits under the column.
    let shown = error("WorkflowType = ").to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines[1], "  WorkflowType = ");
    assert_eq!(lines[2].find('^'), Some(2 + 15));
}

#[test]
fn fields_and_literals_are_checked_against_the_types() {
    let e = error("Colour = 'red'");
    assert!(e.message.contains("unknown field `Colour`"), "{e}");
    assert!(e.message.contains("OrderStatus"), "{e}");
    assert_eq!(error("Amount = 'x'").column, 10);
    assert!(error("DueAt > 'yesterday'").message.contains("RFC 3339"));
    assert!(error("ExecutionStatus = 'Sleeping'")
        .message
        .contains("Running"));
    assert!(error("ExecutionStatus > 'Running'").message.contains("IN"));
    assert!(error("Amount STARTS_WITH '1'")
        .message
        .contains("string field"));
    assert!(error("GROUP BY WorkflowType")
        .message
        .contains("ExecutionStatus"));
    assert!(error("ORDER BY Tags").message.contains("KeywordList"));
    // An Int literal fits a Double.
    let q = typed("Score >= 3");
    let Some(Filter::Cond(c)) = q.filter else {
        panic!()
    };
    assert_eq!(c.test, Test::Cmp(CmpOp::Ge, Value::Double(3.0)));
    assert_eq!(
        c.target,
        Target::Attribute {
            name: "Score".into(),
            kind: Kind::Double
        }
    );
}

#[test]
fn filters_test_runs_like_temporal() {
    let r = run("order", Status::Running, 1_000);
    let a = attrs(&[
        ("OrderStatus", V::keyword("shipped")),
        ("Amount", V::Int(42)),
        ("Tags", V::keyword_list(["red", "big"])),
        ("DueAt", V::Datetime(weft_types::Datetime::from_unix_ms(0))),
    ]);
    let yes = |q: &str| typed(q).filter.unwrap().matches(&r, Some(&a));
    assert!(yes("OrderStatus = 'shipped' AND Amount > 40"));
    assert!(yes("OrderStatus = 'paid' OR Amount BETWEEN 42 AND 50"));
    assert!(yes("Tags = 'big'"));
    assert!(yes("Tags IN ('x', 'red')"));
    assert!(yes("OrderStatus STARTS_WITH 'ship'"));
    assert!(yes("DueAt < '1970-01-01T00:00:01Z'"));
    assert!(yes(
        "WorkflowType = 'order' AND ExecutionStatus = 'Running'"
    ));
    assert!(yes("ExecutionStatus IN ('running', 'Completed')"));
    assert!(yes("StartTime >= '1970-01-01T00:00:01Z'"));
    assert!(!yes("Amount != 42"));
    assert!(!yes(
        "(OrderStatus = 'paid' OR Amount < 0) AND WorkflowType = 'order'"
    ));
    // A run without the attribute fails every condition on it, `!=` included.
    assert!(!yes("Score != 1.0"));
    assert!(!yes("CloseTime > '1970-01-01T00:00:00Z'"));
}
