//! List queries (`search_runs`, `count_runs`) agree with testing every run against the
//! filter, in the order the query asks for.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use weft_types::SearchAttributeValue as V;

use super::{commit, Backend};
use crate::query::{parse, typed::resolve};
use crate::storage::plan::{field_values, Target, TypedQuery};
use crate::storage::{RunAttributes, RunRecord, SearchPage, Status, Storage, Write};

/// 300 runs with attributes: a keyword, an int, a double, on every other run a keyword
/// list, and on every fourth a priority (the others have the default, 3).
pub fn fill(storage: &dyn Storage) -> Vec<(RunRecord, RunAttributes)> {
    let mut writes = Vec::new();
    let mut all = Vec::new();
    for i in 0..300u64 {
        let run = RunRecord {
            workflow_id: format!("order-{i}"),
            run_id: format!("{i:032x}"),
            workflow_type: if i % 3 == 0 { "order" } else { "refund" }.into(),
            module_digest: "d".into(),
            status: Status::ALL[(i % 4) as usize],
            // Every fifth start time is shared with the run before, so ties occur.
            start_ms: 1_000 + (i - u64::from(i % 5 == 1)) * 10,
            close_ms: (i % 4 != 0).then_some(2_000 + i % 50),
            history_len: 0,
            format_version: 4,
        };
        let mut search = BTreeMap::new();
        search.insert(
            "OrderStatus".to_string(),
            V::keyword(["new", "paid", "shipped", "done", "lost"][(i % 5) as usize]),
        );
        search.insert("Amount".to_string(), V::Int(i as i64 % 37 - 10));
        search.insert("Score".to_string(), V::Double(i as f64 / 7.0 - 10.0));
        if i % 2 == 0 {
            search.insert(
                "Tags".to_string(),
                V::keyword_list([format!("t{}", i % 7), "all".into()]),
            );
        }
        let attributes = RunAttributes {
            search,
            memo: BTreeMap::new(),
            paused: false,
            priority: (i % 4 == 1).then_some(1 + (i % 5) as u8),
            summary: None,
            current_details: None,
        };
        writes.push(Write::PutRun(run.clone()));
        writes.push(Write::PutAttributes {
            run_id: run.run_id.clone(),
            start_ms: run.start_ms,
            attributes: attributes.clone(),
        });
        all.push((run, attributes));
    }
    commit(storage, writes).unwrap();
    all
}

fn typed(storage: &dyn Storage, q: &str) -> TypedQuery {
    let types = storage.attribute_types().unwrap();
    resolve(q, &parse(q).unwrap(), &types).unwrap_or_else(|e| panic!("{q}: {e}"))
}

/// The runs of `all` that pass `query`, in its order: newest start first, or by the
/// ordering field's first value (runs without one last), ties newest start first.
fn model(all: &[(RunRecord, RunAttributes)], query: &TypedQuery) -> Vec<RunRecord> {
    let mut found: Vec<&(RunRecord, RunAttributes)> = all
        .iter()
        .filter(|(r, a)| query.filter.as_ref().is_none_or(|f| f.matches(r, Some(a))))
        .collect();
    found.sort_by(|(a, _), (b, _)| b.order_key().cmp(&a.order_key()));
    match &query.order_by {
        None | Some((Target::StartTime, true)) => {}
        Some((Target::StartTime, false)) => found.reverse(),
        Some((target, descending)) => {
            let key = |(r, a): &&(RunRecord, RunAttributes)| {
                field_values(target, r, Some(a)).into_iter().next()
            };
            found.sort_by(|x, y| match (key(x), key(y)) {
                (Some(x), Some(y)) => {
                    let o = x.compare(&y).unwrap_or(Ordering::Equal);
                    if *descending {
                        o.reverse()
                    } else {
                        o
                    }
                }
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            });
        }
    }
    found.into_iter().map(|(r, _)| r.clone()).collect()
}

/// Search and count `q`; both agree with the model, whole and a page at a time.
pub fn check(storage: &dyn Storage, all: &[(RunRecord, RunAttributes)], q: &str) -> SearchPage {
    let query = typed(storage, q);
    let expected = model(all, &query);
    let page = storage.search_runs(&query, 0, 1000).unwrap();
    assert_eq!(page.runs, expected, "{q}");
    assert!(!page.more, "{q}");
    let mut paged = Vec::new();
    loop {
        let next = storage.search_runs(&query, paged.len(), 23).unwrap();
        let more = next.more;
        paged.extend(next.runs);
        if !more {
            break;
        }
    }
    assert_eq!(paged, expected, "paged, {q}");
    let counted = storage.count_runs(&query).unwrap();
    assert_eq!(counted.total as usize, expected.len(), "{q}");
    page
}

/// Queries of every kind of condition, and orders by every kind of field.
pub fn answers_agree_with_testing_every_run(b: &Backend<'_>) {
    let storage = b.open();
    let all = fill(storage.as_ref());
    for q in [
        "OrderStatus = 'paid'",
        "OrderStatus IN ('paid', 'lost')",
        "OrderStatus STARTS_WITH 'sh'",
        "OrderStatus STARTS_WITH 'x%'",
        "Amount < 0",
        "Amount >= -3 AND Amount <= 3",
        "Amount BETWEEN 10 AND 20",
        "Amount > 150",
        "Amount != 7",
        "Score < -9.5",
        "Score > 0 AND Score < 1.5",
        "Tags = 't3'",
        "Tags != 'all'",
        "Tags = 'all' AND WorkflowType = 'order'",
        "OrderStatus = 'paid' OR Amount = 7",
        "WorkflowType = 'order' AND ExecutionStatus = 'Running'",
        "WorkflowType STARTS_WITH 're'",
        "ExecutionStatus IN ('Completed', 'Failed')",
        "ExecutionStatus != 'Running'",
        "StartTime > '1970-01-01T00:00:02Z'",
        "StartTime BETWEEN '1970-01-01T00:00:02Z' AND '1970-01-01T00:00:03Z'",
        "OrderStatus != 'paid' AND Amount < -5",
        "WorkflowId = 'order-5'",
        "WorkflowId IN ('order-5', 'order-6', 'none')",
        "RunId = '0000000000000000000000000000000a'",
        "CloseTime > '1970-01-01T00:00:02.030Z'",
        "(OrderStatus = 'new' OR OrderStatus = 'done') AND ExecutionStatus = 'Completed'",
        "",
        "ORDER BY StartTime ASC",
        "ORDER BY StartTime DESC",
        "OrderStatus = 'paid' ORDER BY Amount DESC",
        "ORDER BY Amount",
        "ORDER BY Score DESC",
        "ORDER BY OrderStatus",
        "ORDER BY CloseTime",
        "ORDER BY CloseTime DESC",
        "ORDER BY WorkflowId",
        "ORDER BY ExecutionStatus DESC",
        "WorkflowType = 'refund' ORDER BY WorkflowType",
        "Priority = 1",
        "Priority = 3",
        "Priority != 3",
        "Priority <= 2 AND WorkflowType = 'order'",
        "Priority IN (1, 5) OR Amount = 7",
        "ORDER BY Priority",
        "ExecutionStatus = 'Running' ORDER BY Priority DESC",
    ] {
        check(storage.as_ref(), &all, q);
    }
}

/// A page of an ordered query is a slice of the whole answer; `more` says whether more
/// follow.
pub fn order_by_sorts_and_pages(b: &Backend<'_>) {
    let storage = b.open();
    let all = fill(storage.as_ref());
    let q = "OrderStatus = 'paid' ORDER BY Amount DESC";
    let page = check(storage.as_ref(), &all, q);
    assert_eq!(page.runs.len(), 60);
    let query = typed(storage.as_ref(), q);
    let first = storage.search_runs(&query, 0, 25).unwrap();
    let second = storage.search_runs(&query, 25, 100).unwrap();
    assert!(first.more && !second.more);
    assert_eq!(first.runs.len() + second.runs.len(), 60);
    assert_eq!(first.runs[..], page.runs[..25]);
    assert_eq!(second.runs[..], page.runs[25..]);
    let oldest = storage
        .search_runs(&typed(storage.as_ref(), "ORDER BY StartTime ASC"), 0, 3)
        .unwrap();
    assert_eq!(oldest.runs[0].start_ms, 1_000);
    assert!(oldest.more);
}

/// `GROUP BY ExecutionStatus` counts per status, leaving out statuses with no run.
pub fn counts_group_by_status(b: &Backend<'_>) {
    let storage = b.open();
    fill(storage.as_ref());
    let q = "WorkflowType = 'order' GROUP BY ExecutionStatus";
    let counted = storage.count_runs(&typed(storage.as_ref(), q)).unwrap();
    assert_eq!(counted.total, 100);
    let groups = counted.by_status.unwrap();
    assert_eq!(groups.iter().map(|(_, n)| n).sum::<u64>(), 100);
    let statuses: Vec<Status> = groups.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses, Status::ALL[..4].to_vec());
    let plain = storage
        .count_runs(&typed(storage.as_ref(), "WorkflowType = 'order'"))
        .unwrap();
    assert_eq!(plain.total, 100);
    assert!(plain.by_status.is_none());
}

/// New attributes replace a run's old ones in every answer, across reopening.
pub fn replacing_attributes_moves_their_index_rows(b: &Backend<'_>) {
    let run = {
        let storage = b.open();
        fill(storage.as_ref());
        let run = storage.run(&format!("{:032x}", 7)).unwrap().unwrap();
        let mut attributes = storage.run_attributes(&run.run_id).unwrap().unwrap();
        attributes
            .search
            .insert("OrderStatus".into(), V::keyword("returned"));
        attributes.search.remove("Amount");
        let put = Write::PutAttributes {
            run_id: run.run_id.clone(),
            start_ms: run.start_ms,
            attributes,
        };
        commit(storage.as_ref(), vec![put]).unwrap();
        run
    };
    let storage = b.open();
    let find = |q: &str| {
        storage
            .search_runs(&typed(storage.as_ref(), q), 0, 10)
            .unwrap()
            .runs
    };
    assert_eq!(find("OrderStatus = 'returned'"), vec![run.clone()]);
    assert!(!find("Amount = -3").contains(&run));
    assert!(!find("OrderStatus = 'shipped'").contains(&run));
    // Attributes with nothing searchable left are dropped whole.
    let put = Write::PutAttributes {
        run_id: run.run_id.clone(),
        start_ms: run.start_ms,
        attributes: RunAttributes::default(),
    };
    commit(storage.as_ref(), vec![put]).unwrap();
    assert_eq!(storage.run_attributes(&run.run_id).unwrap(), None);
    assert!(find("OrderStatus = 'returned'").is_empty());
    // A paused run's flag alone is kept, and dropped with it.
    let flagged = RunAttributes {
        paused: true,
        ..RunAttributes::default()
    };
    let put = |attributes: &RunAttributes| Write::PutAttributes {
        run_id: run.run_id.clone(),
        start_ms: run.start_ms,
        attributes: attributes.clone(),
    };
    commit(storage.as_ref(), vec![put(&flagged)]).unwrap();
    assert_eq!(storage.run_attributes(&run.run_id).unwrap(), Some(flagged));
    commit(storage.as_ref(), vec![put(&RunAttributes::default())]).unwrap();
    assert_eq!(storage.run_attributes(&run.run_id).unwrap(), None);
    // So are the workflow's current details alone (Markdown, kept as given).
    let described = RunAttributes {
        current_details: Some("waiting for **approval**\n\n- by finance".into()),
        ..RunAttributes::default()
    };
    commit(storage.as_ref(), vec![put(&described)]).unwrap();
    assert_eq!(
        storage.run_attributes(&run.run_id).unwrap(),
        Some(described)
    );
    commit(storage.as_ref(), vec![put(&RunAttributes::default())]).unwrap();
    assert_eq!(storage.run_attributes(&run.run_id).unwrap(), None);
}
