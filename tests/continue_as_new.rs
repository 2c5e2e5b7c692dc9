//! Continue-as-new end to end, the ports of Temporal's feature suite: signals block a
//! continue-as-new, updates do not, and a run continues as the same. The long chain of
//! the `looper` example is a heavy test (`heavy::long_chains`).

use crate::support;

use serde_json::json;
use support::*;
use weft_host::contract::Payload;
use weft_host::history::{Event, Outcome};
use weft_host::runtime::StartRequest;

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
