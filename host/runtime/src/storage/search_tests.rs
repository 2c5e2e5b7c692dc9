//! The list-query conformance tests on redb, and what is redb's own: the index a query
//! is answered from and how many runs it reads.

use std::collections::BTreeMap;

use weft_types::SearchAttributeValue as V;

use super::conformance::{self, search::check, Backend};
use super::*;
use crate::query::{parse, typed::resolve};

/// Runs `test` on a redb file of its own, opened again at every `Backend::open`.
fn on_redb(test: impl FnOnce(&Backend<'_>)) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weft.redb");
    let open = move || Box::new(RedbStorage::open(&path).unwrap()) as Box<dyn Storage>;
    test(&Backend {
        open: &open,
        nul_in_text: true,
    });
}

#[test]
fn index_answers_agree_with_testing_every_run() {
    on_redb(conformance::search::answers_agree_with_testing_every_run);
}

#[test]
fn order_by_sorts_and_pages() {
    on_redb(conformance::search::order_by_sorts_and_pages);
}

#[test]
fn counts_group_by_status() {
    on_redb(conformance::search::counts_group_by_status);
}

#[test]
fn replacing_attributes_moves_their_index_rows() {
    on_redb(conformance::search::replacing_attributes_moves_their_index_rows);
}

#[test]
fn a_selective_condition_reads_only_its_candidates() {
    let storage = RedbStorage::in_memory().unwrap();
    let all = conformance::search::fill(&storage);
    let page = check(&storage, &all, "WorkflowType = 'refund' AND Score = 0");
    assert_eq!(page.plan, "index search_attribute_index on Score");
    assert_eq!(page.examined, 1);
    let page = check(&storage, &all, "OrderStatus = 'paid' OR Score = 0");
    assert!(
        page.plan.contains("OrderStatus") && page.plan.contains("Score"),
        "{}",
        page.plan
    );
    assert_eq!(page.examined, 61);
    let page = check(&storage, &all, "WorkflowId = 'order-5'");
    assert_eq!(page.plan, "index runs_by_workflow");
    assert_eq!(page.examined, 1);
    let page = check(&storage, &all, "WorkflowId != 'order-5'");
    assert_eq!(page.plan, "scan of runs_by_start");
    let q = "ORDER BY StartTime ASC";
    let typed = resolve(q, &parse(q).unwrap(), &storage.attribute_types().unwrap()).unwrap();
    assert_eq!(storage.search_runs(&typed, 0, 3).unwrap().examined, 4);
    // One condition in start order: a page of it and one more, either way.
    for q in [
        "WorkflowType = 'order'",
        "WorkflowType = 'order' ORDER BY StartTime ASC",
        "ExecutionStatus = 'Running'",
        "OrderStatus = 'paid'",
    ] {
        let typed = resolve(q, &parse(q).unwrap(), &storage.attribute_types().unwrap()).unwrap();
        let page = storage.search_runs(&typed, 0, 3).unwrap();
        assert_eq!(
            (page.runs.len(), page.examined),
            (3, 4),
            "{q}: {}",
            page.plan
        );
        let every = check(&storage, &all, q);
        assert_eq!(page.runs, every.runs[..3], "{q}");
    }
}
/// A database written before `runs_by_workflow` existed gets it built when opened.
#[test]
fn the_workflow_index_is_built_for_an_older_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weft.redb");
    let all = conformance::search::fill(&RedbStorage::open(&path).unwrap());
    {
        let db = redb::Database::open(&path).unwrap();
        let tx = db.begin_write().unwrap();
        assert!(tx.delete_table(redb_tables::RUNS_BY_WORKFLOW).unwrap());
        tx.commit().unwrap();
    }
    let storage = RedbStorage::open(&path).unwrap();
    let page = check(
        &storage,
        &all,
        "WorkflowId = 'order-5' OR WorkflowId = 'order-7'",
    );
    assert_eq!(page.plan, "index runs_by_workflow");
    assert_eq!(page.runs.len(), 2);
}

/// Times queries over 100,000 runs with attributes (`cargo test -p weft-host --release
/// --lib search_bench -- --ignored --nocapture`); prints, asserts no time.
#[test]
#[ignore]
fn search_bench_100k() {
    let dir = tempfile::tempdir().unwrap();
    let storage = RedbStorage::open(&dir.path().join("weft.redb")).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let began = std::time::Instant::now();
    for chunk in 0..100u64 {
        let mut writes = Vec::new();
        for i in chunk * 1000..(chunk + 1) * 1000 {
            let run = RunRecord {
                workflow_id: format!("order-{i}"),
                run_id: format!("{i:032x}"),
                workflow_type: ["order", "refund", "invoice"][(i % 3) as usize].into(),
                module_digest: "d".into(),
                status: Status::ALL[(i % 3) as usize],
                start_ms: 1_700_000_000_000 + i,
                close_ms: None,
                history_len: 0,
                format_version: 4,
            };
            let mut search = BTreeMap::new();
            search.insert(
                "CustomerId".to_string(),
                V::keyword(format!("c-{}", i % 5000)),
            );
            search.insert("Amount".to_string(), V::Int((i * 7919 % 100_000) as i64));
            search.insert(
                "OrderStatus".to_string(),
                V::keyword(["new", "paid", "shipped"][(i % 3) as usize]),
            );
            writes.push(Write::PutAttributes {
                run_id: run.run_id.clone(),
                start_ms: run.start_ms,
                attributes: RunAttributes {
                    search,
                    memo: BTreeMap::new(),
                    paused: false,
                    priority: None,
                    summary: None,
                    current_details: None,
                },
            });
            writes.push(Write::PutRun(run));
        }
        rt.block_on(durable(storage.commit(writes))).unwrap();
    }
    println!("filled 100,000 runs in {:?}", began.elapsed());
    let types = storage.attribute_types().unwrap();
    let typed = |q: &str| resolve(q, &parse(q).unwrap(), &types).unwrap();
    for q in [
        "CustomerId = 'c-42'",
        "CustomerId = 'c-42' AND WorkflowType = 'order'",
        "Amount BETWEEN 1000 AND 1100 ORDER BY Amount DESC",
        "CustomerId IN ('c-1', 'c-2', 'c-3') OR Amount < 50",
        "WorkflowType = 'order' AND OrderStatus = 'new'",
    ] {
        let t = typed(q);
        let began = std::time::Instant::now();
        let page = storage.search_runs(&t, 0, 50).unwrap();
        println!(
            "list  {q:<60} {:>4} runs, {:>6} examined, {:?} ({})",
            page.runs.len(),
            page.examined,
            began.elapsed(),
            page.plan
        );
    }
    for q in [
        "Amount < 5000",
        "GROUP BY ExecutionStatus",
        "CustomerId STARTS_WITH 'c-49'",
    ] {
        let t = typed(q);
        let began = std::time::Instant::now();
        let counted = storage.count_runs(&t).unwrap();
        println!(
            "count {q:<60} {:>6} runs, {:?} ({})",
            counted.total,
            began.elapsed(),
            counted.plan
        );
    }
}
