//! Continue-as-new end to end: the `continue-as-new` example's `looper` runs 10,000
//! iterations in runs of 250, each run closing and starting the next in one durable
//! commit; every run's history stays short and replays; the chain is whole.

use crate::support;

use serde_json::json;
use support::*;
use weft_host::contract::Payload;
use weft_host::history::{Event, Outcome};
use weft_host::runtime::StartRequest;
use weft_host::storage::Status;

#[tokio::test]
async fn looper_reaches_ten_thousand_iterations_in_short_runs() {
    let env = test_env().start().await.unwrap();
    let host = env.host();
    env.deploy(component_bytes("continue-as-new"), "continue-as-new")
        .await
        .unwrap();
    let first = host
        .start(StartRequest {
            workflow_id: Some("loop-1".into()),
            ..StartRequest::new(
                "looper",
                Payload::json(&json!({"iterations": 10_000, "per_run": 250})),
            )
        })
        .await
        .unwrap();
    // Follow the chain, run by run.
    let mut run_id = first.run_id.clone();
    let mut runs = 0;
    let mut longest = 0;
    let result = loop {
        runs += 1;
        let outcome = host.wait(&run_id).await.unwrap();
        let events = host.history(&run_id).unwrap();
        longest = longest.max(events.len());
        if runs == 1 || runs % 10 == 0 {
            assert_replays(host, "continue-as-new", &events);
        }
        match outcome {
            Outcome::ContinuedAsNew => {
                let next = host.find_run("loop-1").unwrap();
                assert_ne!(next.run_id, run_id, "the next run is the id's latest");
                let next_events = host.history(&next.run_id).unwrap();
                assert!(
                    next_events.iter().any(
                        |e| matches!(e, Event::ContinuedFrom { run_id: from } if *from == run_id)
                    ),
                    "run {} does not say it continued {run_id}",
                    next.run_id
                );
                assert_eq!(
                    host.find_run(&run_id).unwrap().status,
                    Status::ContinuedAsNew
                );
                let described = weft_host::api::describe::describe(host, &next.run_id).unwrap();
                assert_eq!(described.continued_from.as_deref(), Some(run_id.as_str()));
                run_id = next.run_id;
            }
            other => break completed(&other),
        }
    };
    assert_eq!(result, json!({"iterations": 10_000}));
    assert_eq!(runs, 40);
    // A run holds its 250 iterations (a task, a timer and its firing each), not 10,000.
    assert!(longest < 1_100, "a run's history grew to {longest} events");
}

/// continue_as_new/signals_block_continue_as_new: a signal made durable while the task
/// that continues as new is in flight blocks it: that task is not recorded, and the run
/// goes on with the signal (here: returns it). Without the signal, the run continues.
#[tokio::test]
async fn continue_as_new_signals_block_continue_as_new() {
    let env = support::features::env().await;
    // Without a signal: the first run continues, the second returns.
    let plain =
        support::features::start(&env, "continue_as_new_signals", "can-plain", json!({})).await;
    assert!(matches!(
        env.host().wait(&plain.run_id).await.unwrap(),
        Outcome::ContinuedAsNew
    ));
    support::features::replays(&env, &plain);

    // The workflow logs inside the continuing task; the hook signals right then.
    let host = env.host().clone();
    let in_flight = support::logs::send_on_log(
        "can-signalled",
        "continue_as_new_signals: continuing",
        move || {
            let host = host.clone();
            async move {
                host.signal("can-signalled", "sig", Payload::json(&json!("hello")))
                    .await
                    .map(|_| ())
            }
        },
    );
    let run =
        support::features::start(&env, "continue_as_new_signals", "can-signalled", json!({})).await;
    let outcome = support::features::finish(&env, &run).await;
    assert_eq!(completed(&outcome), json!("hello"));
    support::logs::sent(&in_flight).await.unwrap();
    // The blocked continue-as-new left no trace, and no second run.
    let events = env.host().history(&run.run_id).unwrap();
    assert!(!events.iter().any(|e| matches!(e,
        Event::Command(c) if matches!(c.command, weft_host::history::Command::ContinueAsNew(_)))));
    assert_eq!(
        env.host().find_run("can-signalled").unwrap().run_id,
        run.run_id
    );
}

/// continue_as_new/updates_do_not_block_continue_as_new: an update that arrives while
/// the task that continues as new is in flight does not block it: the first run
/// continues, and the next run handles the update. The update answers the run id of
/// the run that handled it (not the first), which the next run then returns; only the
/// next run's history accepts and completes it.
#[tokio::test]
async fn continue_as_new_updates_do_not_block_continue_as_new() {
    use weft_host::runtime::{UpdateOutcome, UpdateRequest, UpdateStage};
    let env = support::features::env().await;
    let host = env.host().clone();
    let in_flight = support::logs::send_on_log(
        "can-updated",
        "continue_as_new_updates: continuing",
        move || {
            let host = host.clone();
            async move {
                let request = UpdateRequest {
                    update_id: Some("which-run".into()),
                    name: "run_id".into(),
                    input: Payload::json(&json!(null)),
                    wait: UpdateStage::Completed,
                };
                host.update("can-updated", request).await
            }
        },
    );
    let first =
        support::features::start(&env, "continue_as_new_updates", "can-updated", json!({})).await;
    assert!(matches!(
        env.host().wait(&first.run_id).await.unwrap(),
        Outcome::ContinuedAsNew
    ));
    let answer = support::logs::sent(&in_flight).await.unwrap();
    let UpdateOutcome::Completed { result, .. } = answer else {
        panic!("{answer:?}");
    };
    let handled_by = result.unwrap().to_json();
    assert_ne!(handled_by, json!(first.run_id));
    let next = env.host().find_run("can-updated").unwrap();
    assert_eq!(handled_by, json!(next.run_id));
    let outcome = env.host().wait(&next.run_id).await.unwrap();
    assert_eq!(completed(&outcome), json!(next.run_id));
    let names = |run_id: &str| -> Vec<&'static str> {
        let events = env.host().history(run_id).unwrap();
        assert_replays(env.host(), "messages", &events);
        events.iter().map(|e| e.name()).collect()
    };
    let before = names(&first.run_id);
    assert!(!before.contains(&"accept-update"), "{before:?}");
    assert!(!before.contains(&"complete-update"), "{before:?}");
    let after = names(&next.run_id);
    assert!(after.contains(&"accept-update"), "{after:?}");
    assert!(after.contains(&"complete-update"), "{after:?}");
}

/// continue_as_new/continue_as_same: started with id `TestID`, input `"InputData"` and
/// memo `{"MemoKey": "MemoValue"}`, the first run continues as new with the same input;
/// the next run (which knows it continued) returns it. The workflow id stays, and the
/// last run still has the memo.
#[tokio::test]
async fn continue_as_new_continue_as_same() {
    let env = support::features::env().await;
    let request = StartRequest {
        workflow_id: Some("TestID".into()),
        memo: vec![("MemoKey".into(), Payload::json(&json!("MemoValue")))],
        ..StartRequest::new("continue_as_same", Payload::json(&json!("InputData")))
    };
    let first = env.host().start(request).await.unwrap();
    assert!(matches!(
        env.host().wait(&first.run_id).await.unwrap(),
        Outcome::ContinuedAsNew
    ));
    let last = env.host().find_run("TestID").unwrap();
    assert_ne!(last.run_id, first.run_id);
    assert_eq!(last.workflow_id, "TestID");
    let outcome = env.host().wait(&last.run_id).await.unwrap();
    assert_eq!(completed(&outcome), json!("InputData"));
    let described = weft_host::api::describe::describe(env.host(), "TestID").unwrap();
    assert_eq!(described.memo["MemoKey"], json!("MemoValue"));
    assert_eq!(
        described.continued_from.as_deref(),
        Some(first.run_id.as_str())
    );
    for run in [&first.run_id, &last.run_id] {
        let events = env.host().history(run).unwrap();
        assert_replays(env.host(), "messages", &events);
    }
}
