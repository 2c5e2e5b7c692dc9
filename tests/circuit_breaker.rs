//! The `circuit_breaker` example (`guest-examples/circuit-breaker`) on the test
//! environment, its clock moved only by the test (`manual_time`), so an open circuit
//! stays open until the test skips the cool-down: a mocked downstream fails, the circuit
//! opens and refuses calls, the downstream recovers, the durable timer half-opens the
//! circuit and a trial call closes it. Every second call the breaker continues as a new
//! run, which takes its state over. And the same breaker through a real `weft server`
//! and the CLI, refusing a call while open. Every run's history replays.

use crate::support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use support::server::{fails_with, ok, Server};
use support::*;
use weft_host::contract::Command;
use weft_host::history::Event;
use weft_host::testing::TestEnv;
use weft_host::ActivityError;

const ID: &str = "breaker-1";

async fn call(env: &TestEnv, sku: &str) -> Result<Result<Value, String>, String> {
    match env.update(ID, "call", json!(sku)).await {
        Ok(answer) => Ok(answer.map_err(|failure| failure.message)),
        Err(refused) => Err(refused.to_string()),
    }
}

async fn position(env: &TestEnv) -> Value {
    let report: Value = env.query(ID, "state", json!(null)).await.unwrap();
    report["position"].clone()
}

#[tokio::test]
async fn circuit_opens_refuses_half_opens_on_its_timer_and_closes() {
    let healthy = Arc::new(AtomicBool::new(false));
    let downstream = healthy.clone();
    let builder = test_env()
        .manual_time()
        .mock_activity("inventory", move |sku: String| {
            match downstream.load(Ordering::SeqCst) {
                true => Ok(format!("{sku}: 12 in stock")),
                false => Err(ActivityError::retryable("inventory unavailable").with_type("Down")),
            }
        });
    let env = features::deployed(builder, "circuit-breaker").await;
    let config = json!({
        "activity": "inventory", "failure_threshold": 3, "open_s": 30, "calls_per_run": 2
    });
    let first = features::start(&env, "circuit_breaker", ID, config).await;

    // Two failures, then a new run; the third failure, in the new run, opens the circuit.
    for sku in ["a", "b", "c"] {
        let failed = call(&env, sku).await.unwrap().unwrap_err();
        assert!(failed.contains("inventory unavailable"), "{failed}");
    }
    assert_eq!(position(&env).await, json!("open"));
    assert_ne!(env.host().find_run(ID).unwrap().run_id, first.run_id);
    // Open: refused at once, though the downstream has recovered meanwhile; the clock
    // short of the cool-down changes nothing.
    healthy.store(true, Ordering::SeqCst);
    let refused = call(&env, "d").await.unwrap_err();
    assert!(
        refused.contains("circuit open: `inventory` failed 3 times"),
        "{refused}"
    );
    env.skip(Duration::from_secs(29));
    assert_eq!(position(&env).await, json!("open"));

    env.skip(Duration::from_secs(1));
    poll::until_seen_async("the circuit to half-open", || async {
        let seen = position(&env).await;
        (seen == json!("half_open")).then_some(()).ok_or(seen)
    })
    .await;
    assert_eq!(call(&env, "e").await, Ok(Ok(json!("e: 12 in stock"))));
    assert_eq!(position(&env).await, json!("closed"));

    // The trial call was the second run's second call: that run continues as new.
    // Stop the third run once it has started (not the second, on its way out).
    let runs_of_id = || {
        env.host()
            .runs()
            .unwrap()
            .into_iter()
            .filter(|run| run.workflow_id == ID)
            .count()
    };
    poll::until_seen_async("the third run to start", || async {
        let runs = runs_of_id();
        (runs == 3).then_some(()).ok_or(runs)
    })
    .await;
    let last = env.host().find_run(ID).unwrap();
    env.signal(ID, "stop", json!(null)).await.unwrap();
    let outcome = poll::within("the last run to close", env.host().wait(&last.run_id)).await;
    let report = completed(&outcome.unwrap());
    assert_eq!(report["calls"], json!(4));
    assert_eq!(report["failures"], json!(3));
    assert_eq!(report["opened"], json!(1));

    // Three runs, each replaying; four calls reached the downstream in all, the
    // refused one left no trace.
    let runs: Vec<String> = env
        .host()
        .runs()
        .unwrap()
        .into_iter()
        .filter(|run| run.workflow_id == ID)
        .map(|run| run.run_id)
        .collect();
    assert_eq!(runs.len(), 3, "{runs:?}");
    let mut calls = 0;
    for run in &runs {
        let events = env.host().history(run).unwrap();
        assert_replays(env.host(), "circuit-breaker", &events);
        calls += events
            .iter()
            .filter(|e| matches!(e, Event::Command(c) if matches!(&c.command, Command::ScheduleActivity(s) if s.activity_type == "inventory")))
            .count();
    }
    assert_eq!(calls, 4);
}

/// Through a real `weft server` and the CLI, on the host's own clock, with the example
/// host's `check_status` as the downstream: called without retries, `3` fails (not
/// ready at attempt 1) and `1` answers. Three failures open the circuit, and the next
/// call is refused at once (exit 3) with the circuit's message. The cool-down is an
/// hour, and nothing here waits for it.
#[test]
fn an_open_circuit_refuses_calls_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let component = component("circuit-breaker");
    ok(server.cli(&[
        "deploy",
        component.to_str().unwrap(),
        "--name",
        "circuit-breaker",
    ]));
    let config = r#"{"activity": "check_status", "failure_threshold": 3, "open_s": 3600}"#;
    ok(server.cli(&[
        "start",
        "circuit_breaker",
        "--id",
        "breaker-cli",
        "--input",
        config,
    ]));
    let call = |input: &str| server.cli(&["update", "breaker-cli", "call", "--input", input]);
    assert_eq!(ok(call("1")), "1");
    for _ in 0..3 {
        let failed = fails_with(call("3"), 3);
        assert!(failed.contains("not ready yet"), "{failed}");
    }
    let refused = fails_with(call("1"), 3);
    assert!(
        refused.contains("rejected: circuit open: `check_status` failed 3 times within 60 s"),
        "{refused}"
    );
    let state: Value =
        serde_json::from_str(&ok(server.cli(&["query", "breaker-cli", "state"]))).unwrap();
    assert_eq!(state["position"], json!("open"));
    ok(server.cli(&["signal", "breaker-cli", "stop"]));
    let report: Value = serde_json::from_str(&ok(server.cli(&["result", "breaker-cli"]))).unwrap();
    assert_eq!(
        (report["calls"].clone(), report["failures"].clone()),
        (json!(4), json!(3))
    );
    server.assert_replays("breaker-cli", "circuit-breaker");
}
