//! The `batch` example end to end, on the time-skipping test environment with the
//! example activities: a batch runs page by page, a child workflow per item, continuing
//! as new between pages; the chain of runs is whole, every item's child ran once, and
//! every run's history (and a sample of the children's) replays.

use crate::support;

use std::collections::BTreeSet;

use serde_json::{json, Value};
use support::*;
use weft_host::contract::Payload;
use weft_host::history::{Event, Outcome};
use weft_host::runtime::{RunHandle, StartRequest};
use weft_host::storage::{RunRecord, Status};
use weft_host::testing::{TestEnv, TestEnvBuilder};
use weft_host::ActivityError;

async fn env(builder: TestEnvBuilder) -> TestEnv {
    let env = builder.start().await.unwrap();
    env.deploy(component_bytes("batch"), "batch").await.unwrap();
    env
}

async fn start(env: &TestEnv, id: &str, input: Value) -> RunHandle {
    env.host()
        .start(StartRequest {
            workflow_id: Some(id.to_string()),
            ..StartRequest::new("batch", Payload::json(&input))
        })
        .await
        .unwrap()
}

/// Follow the chain of runs from `first` to its last run, checking that each run names
/// the one it continued and that its history replays. Every run's id in order, and how
/// the last one ended.
async fn follow_chain(env: &TestEnv, first: &RunHandle) -> (Vec<String>, Outcome) {
    let host = env.host();
    let described = weft_host::api::describe::describe(host, &first.run_id).unwrap();
    assert_eq!(
        described.continued_from, None,
        "the first run continued none"
    );
    let mut runs = vec![first.run_id.clone()];
    loop {
        // Bounded: a chain that never ends fails here instead of running forever.
        assert!(runs.len() <= 100, "the chain is past 100 runs: {runs:?}");
        let run_id = runs.last().unwrap().clone();
        let outcome = poll::within(&format!("run {run_id} to close"), host.wait(&run_id))
            .await
            .unwrap();
        assert_replays(host, "batch", &host.history(&run_id).unwrap());
        if !matches!(outcome, Outcome::ContinuedAsNew) {
            return (runs, outcome);
        }
        assert_eq!(
            host.find_run(&run_id).unwrap().status,
            Status::ContinuedAsNew
        );
        // The next run was written with this one's close; it may have continued too by
        // now, so it is the run of the id that names this one, not the id's latest.
        let next = next_run(env, &first.workflow_id, &run_id);
        let described = weft_host::api::describe::describe(host, &next).unwrap();
        assert_eq!(described.continued_from.as_deref(), Some(run_id.as_str()));
        runs.push(next);
    }
}

/// The one run of the workflow id `id` whose history says it continued `run_id`.
fn next_run(env: &TestEnv, id: &str, run_id: &str) -> String {
    let runs = env.host().inspect().runs().unwrap();
    let next: Vec<String> = runs
        .into_iter()
        .filter(|run| run.workflow_id == id)
        .filter(|run| {
            let events = env.host().history(&run.run_id).unwrap();
            events
                .iter()
                .any(|e| matches!(e, Event::ContinuedFrom { run_id: from } if from == run_id))
        })
        .map(|run| run.run_id)
        .collect();
    assert_eq!(next.len(), 1, "the runs that continued {run_id}: {next:?}");
    next.into_iter().next().unwrap()
}

/// The runs of every child of the batch `id`, by workflow id.
fn child_runs(env: &TestEnv, id: &str) -> Vec<RunRecord> {
    let prefix = format!("{id}/item-");
    let runs = env.host().inspect().runs().unwrap();
    runs.into_iter()
        .filter(|run| run.workflow_id.starts_with(&prefix))
        .collect()
}

fn item_id(batch: &str, item: u64) -> String {
    format!("{batch}/item-{item}")
}

/// 300 items in pages of 50: six runs, each starting the 50 children of its page; the
/// summary counts every item once, and its sums are those of `0..300` and their squares.
#[tokio::test]
async fn batch_processes_every_item_across_pages() {
    const ITEMS: u64 = 300;
    const PAGE: u64 = 50;
    let env = env(test_env().activities(activities())).await;
    let host = env.host();
    let first = start(&env, "batch-1", json!({"items": ITEMS, "page_size": PAGE})).await;
    let (runs, outcome) = follow_chain(&env, &first).await;
    let item_sum: u64 = (0..ITEMS).sum();
    let square_sum: u64 = (0..ITEMS).map(|i| i * i).sum();
    assert_eq!(
        completed(&outcome),
        json!({"processed": ITEMS, "item_sum": item_sum, "square_sum": square_sum, "runs": 6})
    );
    assert_eq!(runs.len(), 6);

    // Each run started the children of its own page, and saw each of them complete;
    // a page bounds its run's history.
    for (page, run_id) in runs.iter().enumerate() {
        let described = weft_host::api::describe::describe(host, run_id).unwrap();
        let items = page as u64 * PAGE..(page as u64 + 1) * PAGE;
        let expected: Vec<String> = items.map(|item| item_id("batch-1", item)).collect();
        let ids: Vec<&str> = described
            .children
            .iter()
            .map(|child| child.workflow_id.as_str())
            .collect();
        assert_eq!(ids, expected, "the children of run {page}");
        for child in &described.children {
            assert_eq!(child.workflow_type, "process_item");
            assert_eq!(child.state, "completed", "{}", child.workflow_id);
        }
        let events = host.history(run_id).unwrap().len() as u64;
        assert!(events < 4 * PAGE, "run {page} holds {events} events");
    }

    // One run per item, each completed: no item was processed twice or missed.
    let children = child_runs(&env, "batch-1");
    assert_eq!(children.len() as u64, ITEMS);
    let ids: BTreeSet<String> = children.iter().map(|c| c.workflow_id.clone()).collect();
    let expected: BTreeSet<String> = (0..ITEMS).map(|item| item_id("batch-1", item)).collect();
    assert_eq!(ids, expected);
    assert!(children.iter().all(|c| c.status == Status::Completed));

    // A sample of the children, at the edges of pages and between them, replays.
    for item in [0, 49, 50, 137, 250, ITEMS - 1] {
        let child = host.find_run(&item_id("batch-1", item)).unwrap();
        assert_eq!(
            completed(&host.wait(&child.run_id).await.unwrap()),
            json!({"item": item, "square": item * item})
        );
        let described = weft_host::api::describe::describe(host, &child.run_id).unwrap();
        assert_eq!(described.parent_workflow_id.as_deref(), Some("batch-1"));
        assert_replays(host, "batch", &host.history(&child.run_id).unwrap());
    }
}

/// A child that fails fails the batch once its page is in, with the child's error; the
/// rest of its page completed, and no later page was started.
#[tokio::test]
async fn a_failing_item_fails_the_batch() {
    let builder = test_env().mock_activity("square", |n: u64| match n {
        7 => Err(ActivityError::non_retryable("seven is unlucky").with_type("Unlucky")),
        n => Ok(n * n),
    });
    let env = env(builder).await;
    let first = start(&env, "batch-2", json!({"items": 20, "page_size": 10})).await;
    let (runs, outcome) = follow_chain(&env, &first).await;
    assert_eq!(runs.len(), 1);
    let Outcome::Failed(failure) = outcome else {
        panic!("{outcome:?}");
    };
    // A child failure, as Temporal's: the child's own failure is its cause.
    assert_eq!(failure.error_type, "weft.ChildWorkflowFailure");
    assert!(
        failure.message.contains("batch-2/item-7"),
        "{}",
        failure.message
    );
    assert!(
        failure
            .chain()
            .any(|f| f.error_type == "Unlucky" && f.message.contains("seven is unlucky")),
        "{failure:?}"
    );
    let children = child_runs(&env, "batch-2");
    assert_eq!(children.len(), 10);
    for child in &children {
        let expected = match child.workflow_id == item_id("batch-2", 7) {
            true => Status::Failed,
            false => Status::Completed,
        };
        assert_eq!(child.status, expected, "{}", child.workflow_id);
    }
    let failed = env.host().find_run(&item_id("batch-2", 7)).unwrap();
    assert_replays(
        env.host(),
        "batch",
        &env.host().history(&failed.run_id).unwrap(),
    );
}

/// `weft run` waits for the whole chain of runs, not only the first: it prints the last
/// run's result and exits 0.
#[test]
fn weft_run_follows_the_batch_to_its_last_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = weft()
        .args(["run", "--data"])
        .arg(dir.path())
        .arg(component("batch"))
        .args(["batch", "--input", r#"{"items": 6, "page_size": 2}"#])
        .args(["--id", "batch-cli"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        result,
        json!({"processed": 6, "item_sum": 15, "square_sum": 55, "runs": 3})
    );
    assert!(
        stderr.contains("continued as new; following run"),
        "{stderr}"
    );
}
