//! Module upgrades for running executions: a new version of a module name takes the open
//! runs of the earlier versions whose histories replay on it; the others stay where they
//! are and are listed. `check` refuses the whole deployment if any diverges; `pin`
//! moves nobody. On `hello` (v1), `hello-v2` (the same decisions) and `hello-changed`
//! (a different first activity); the runs wait in their activity until the test lets
//! them go.

use crate::support;

use std::sync::Arc;

use serde_json::json;
use support::*;
use weft_host::contract::Payload;
use weft_host::history::{Event, Outcome};
use weft_host::runtime::{DeployError, DeployMode, RunHandle, StartRequest};
use weft_host::testing::TestEnv;
use weft_host::{ActivityError, ActivityRegistry};

/// `greet` waits until the test lets it go.
fn gated(gate: Arc<tokio::sync::Semaphore>) -> ActivityRegistry {
    let mut registry = ActivityRegistry::new();
    registry.register_fn("greet", move |_ctx, name: String| {
        let gate = gate.clone();
        async move {
            gate.acquire().await.unwrap().forget();
            Ok::<_, ActivityError>(format!("Hello, {name}!"))
        }
    });
    registry
}

async fn start(env: &TestEnv, id: &str) -> RunHandle {
    env.host()
        .start(StartRequest {
            workflow_id: Some(id.into()),
            ..StartRequest::new("hello", Payload::json(&json!(id)))
        })
        .await
        .unwrap()
}

fn ids(runs: &[RunHandle]) -> Vec<&str> {
    let mut ids: Vec<&str> = runs.iter().map(|r| r.workflow_id.as_str()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn open_runs_move_to_a_version_they_replay_on() {
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let env = test_env()
        .activities(gated(gate.clone()))
        .start()
        .await
        .unwrap();
    let host = env.host();
    let v1 = host
        .deploy_module(component_bytes("hello"), "hello", DeployMode::Move)
        .await
        .unwrap();
    let (a, b) = (start(&env, "a").await, start(&env, "b").await);

    // A checked deployment of a diverging version is refused, naming both runs.
    let refused = host
        .deploy_module(component_bytes("hello-changed"), "hello", DeployMode::Check)
        .await;
    let Err(DeployError::Diverged(found)) = refused else {
        panic!("a diverging checked deployment was accepted: {refused:?}");
    };
    assert_eq!(found.len(), 2);
    // Pinned, it is recorded and moves nobody.
    let pinned = host
        .deploy_module(component_bytes("hello-changed"), "hello", DeployMode::Pin)
        .await
        .unwrap();
    assert!(pinned.moved.is_empty() && pinned.stayed.is_empty());
    assert_eq!(host.find_run("a").unwrap().module_digest, v1.version.digest);

    // A version with the same decisions takes both.
    let v2 = host
        .deploy_module(component_bytes("hello-v2"), "hello", DeployMode::Move)
        .await
        .unwrap();
    assert_eq!(ids(&v2.moved), ["a", "b"]);
    assert!(v2.stayed.is_empty());
    for id in ["a", "b"] {
        assert_eq!(host.find_run(id).unwrap().module_digest, v2.version.digest);
    }
    let described = weft_host::api::describe::describe(host, "a").unwrap();
    assert_eq!(described.module_version, Some(v2.version.version));
    assert!(described.module_moved_ms.is_some());

    // `a` completes on the new version.
    gate.add_permits(1);
    let outcome = host.wait(&a.run_id).await.unwrap();
    assert_eq!(completed(&outcome), json!("Hello, a!"));
    let events = host.history(&a.run_id).unwrap();
    assert!(events.iter().any(|e| matches!(e,
        Event::ModuleChanged { to_digest, .. } if *to_digest == v2.version.digest)));
    assert_replays(host, "hello-v2", &events);

    // A diverging version, not checked: `b` stays, with the report.
    let changed = host
        .deploy_module(component_bytes("hello-changed"), "hello", DeployMode::Move)
        .await
        .unwrap();
    assert!(changed.moved.is_empty());
    assert_eq!(changed.stayed.len(), 1);
    assert_eq!(changed.stayed[0].workflow_id, "b");
    assert!(
        changed.stayed[0].report.contains("WEFT-NDE"),
        "{}",
        changed.stayed[0].report
    );
    assert_eq!(host.find_run("b").unwrap().module_digest, v2.version.digest);
    gate.add_permits(1);
    let outcome = host.wait(&b.run_id).await.unwrap();
    assert!(matches!(outcome, Outcome::Completed(_)), "{outcome:?}");
    assert_replays(host, "hello-v2", &host.history(&b.run_id).unwrap());
}

/// A run stuck on a failing task (a panic, retried with backoff) moves to a fixed
/// version of its module and completes there at once.
#[tokio::test]
async fn a_stuck_run_moves_to_a_fix_and_completes() {
    let env = test_env().start().await.unwrap();
    let host = env.host();
    host.deploy_module(component_bytes("misbehave"), "misbehave", DeployMode::Move)
        .await
        .unwrap();
    let run = host
        .start(StartRequest {
            workflow_id: Some("stuck".into()),
            ..StartRequest::new("panics", Payload::json(&json!(null)))
        })
        .await
        .unwrap();
    let failing = failing_task(host, &run.run_id).await;
    assert!(
        failing.failure.message.contains("deliberate panic"),
        "{failing:?}"
    );
    let fixed = host
        .deploy_module(
            component_bytes("misbehave-fixed"),
            "misbehave",
            DeployMode::Move,
        )
        .await
        .unwrap();
    assert_eq!(ids(&fixed.moved), ["stuck"]);
    let outcome = host.wait(&run.run_id).await.unwrap();
    assert_eq!(completed(&outcome), json!("fixed"));
    assert_replays(host, "misbehave-fixed", &host.history(&run.run_id).unwrap());
}
