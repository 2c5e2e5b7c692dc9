//! A failed workflow task is retried, not fatal: a task whose commit fails is retried
//! from what is durable and the run completes; a workflow that panics on every task
//! stays running on a real server, and `weft describe` shows the panic and its line.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use support::server::Server;
use support::*;
use weft_host::history::{Event, History};
use weft_host::storage::{FaultyStorage, RedbStorage};

#[tokio::test]
async fn a_task_whose_commit_fails_is_retried_and_completes() {
    let storage = Arc::new(FaultyStorage::new(Arc::new(
        RedbStorage::in_memory().unwrap(),
    )));
    let env = test_env()
        .activities(activities())
        .storage(storage.clone())
        .manual_time()
        .start()
        .await
        .unwrap();
    env.deploy(component_bytes("timer"), "timer").await.unwrap();
    let run = env.start("timer", json!({"seconds": 60})).await.unwrap();
    // The timer's task will not be recorded the first time.
    storage.fail_commits(1);
    env.skip(Duration::from_secs(60));
    poll::until_async("the timer's task commit to be refused", || async {
        (storage.refused_commits() >= 1).then_some(())
    })
    .await;
    assert_eq!(storage.refused_commits(), 1);
    // The task is retried after its backoff (1 s of workflow time) and the run goes on.
    env.skip(Duration::from_secs(1));
    let outcome = env.host().wait(&run.run_id).await.unwrap();
    let result = completed(&outcome);
    assert_eq!(result["greeting"], json!("Hello, timer!"));
    assert!(result["slept_ms"].as_u64().unwrap() >= 61_000, "{result}");
    let events = env.host().history(&run.run_id).unwrap();
    // The refused commit left no trace; the timer fired once.
    let fired = events
        .iter()
        .filter(|e| matches!(e, Event::Job(weft_host::history::Job::FireTimer(_))))
        .count();
    assert_eq!(fired, 1);
    assert_replays(env.host(), "timer", &events);
}

fn cli(server: &Server, args: &[&str]) -> (i32, String) {
    let out = weft()
        .args(args)
        .env("WEFT_SERVER", &server.url)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_panicking_workflow_stays_running_and_describe_shows_why() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let misbehave = component("misbehave");
    let (code, _) = cli(&server, &["deploy", misbehave.to_str().unwrap()]);
    assert_eq!(code, 0);
    let (code, _) = cli(&server, &["start", "panics", "--id", "p-1"]);
    assert_eq!(code, 0);
    // Wait (bounded) for the first failure to be recorded.
    let shown = poll::until_seen("describe p-1 to show its failing task", || {
        let (code, out) = cli(&server, &["describe", "p-1"]);
        assert_eq!(code, 0, "{out}");
        if out.contains("task failing") {
            Ok(out)
        } else {
            Err(out)
        }
    });
    assert!(shown.contains("running"), "{shown}");
    assert!(shown.contains("deliberate panic in a workflow"), "{shown}");
    assert!(shown.contains("misbehave/src/lib.rs"), "{shown}");
    let (_, json_out) = cli(&server, &["describe", "p-1", "--json"]);
    let d: serde_json::Value = serde_json::from_str(&json_out).unwrap();
    assert_eq!(d["status"], json!("running"));
    assert!(d["failing_task"]["message"]
        .as_str()
        .unwrap()
        .contains("deliberate panic"));
    // The history replays against the component that recorded it.
    let (code, _) = cli(
        &server,
        &[
            "replay",
            "--module",
            misbehave.to_str().unwrap(),
            "--id",
            "p-1",
        ],
    );
    assert_eq!(code, 0);
    let history: serde_json::Value = server.get("/v1/executions/p-1/history").1;
    let events = weft_host::history::export::from_json(&history.to_string())
        .unwrap()
        .2;
    assert!(History::new(events).failing_task().is_some());
}
