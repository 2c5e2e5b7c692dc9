//! The `cancellation` example the way a user meets it: a real `weft server`, the CLI.
//! The workflow runs `never_complete`, which heartbeats until it is cancelled; `weft
//! cancel` asks the workflow to cancel, the activity learns of it at its next heartbeat
//! and stops, the workflow runs `cleanup` and ends as cancelled.

use crate::support;

use serde_json::Value;
use support::server::{ok, Server};
use support::*;
use weft_host::history::{Command, Event, Job};

#[test]
fn cancellation_runs_cleanup_and_ends_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let component = component("cancellation");
    ok(server.cli(&[
        "deploy",
        component.to_str().unwrap(),
        "--name",
        "cancellation",
    ]));
    ok(server.cli(&[
        "start",
        "cancellation",
        "--input",
        "null",
        "--id",
        "order-7",
    ]));
    ok(server.cli(&[
        "cancel",
        "order-7",
        "--reason",
        "customer changed their mind",
    ]));

    // The result: not a success, status cancelled.
    let result = server.cli(&["result", "order-7", "--json"]);
    assert!(!result.status.success());
    let body: Value = serde_json::from_slice(&result.stdout).unwrap();
    assert_eq!(body["status"], "cancelled", "{body}");
    let said = server.cli(&["result", "order-7"]);
    assert!(!said.status.success());
    assert!(String::from_utf8_lossy(&said.stderr).contains("cancelled"));

    // The history shows the request, the activity's cancellation and the cleanup.
    let shown = ok(server.cli(&["history", "show", "order-7"]));
    for expected in [
        "cancel-requested",
        "customer changed their mind",
        "request-cancel-activity",
        "never_complete seq=1 cancelled",
        "cleanup",
        "cancel-workflow-confirmed",
    ] {
        assert!(shown.contains(expected), "no `{expected}` in:\n{shown}");
    }
    let describe = ok(server.cli(&["describe", "order-7"]));
    assert!(describe.contains("cancelled"), "{describe}");

    // What it recorded replays.
    let events = server.assert_replays("order-7", "cancellation");
    server.kill();
    assert!(events.iter().any(|e| matches!(e,
        Event::Job(Job::ResolveActivity(r)) if r.seq == 2)));
    assert!(events.iter().any(|e| matches!(e,
        Event::Command(c) if matches!(c.command, Command::CancelWorkflowConfirmed))));
}

/// A run closed while its activity runs (here terminated; the same for any close): the
/// activity is told through its context, as a cancellation, and its own cleanup runs to
/// its end instead of being dropped mid-flight. The history still replays.
#[tokio::test]
async fn an_activity_of_a_run_that_closes_is_told_and_cleans_up() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let started = Arc::new(AtomicBool::new(false));
    let cleaned = Arc::new(AtomicBool::new(false));
    let (on_start, on_clean) = (started.clone(), cleaned.clone());
    let builder = test_env().mock_activity_with_context("greet", move |ctx, _name: String| {
        let (on_start, on_clean) = (on_start.clone(), on_clean.clone());
        async move {
            on_start.store(true, Ordering::SeqCst);
            ctx.cancelled().await;
            // The activity's own cleanup, which a dropped future would never reach.
            tokio::task::yield_now().await;
            on_clean.store(true, Ordering::SeqCst);
            Err::<String, _>(weft_host::ActivityError::cancelled("cleaned up"))
        }
    });
    let env = features::deployed(builder, "hello").await;
    let run = features::start(&env, "hello", "closing-1", serde_json::json!("x")).await;
    poll::until_async("the activity to start", || {
        let started = started.clone();
        async move { started.load(Ordering::SeqCst).then_some(()) }
    })
    .await;
    env.host()
        .terminate("closing-1", "closed while its activity runs")
        .await
        .unwrap();
    poll::until_async("the activity's cleanup", || {
        let cleaned = cleaned.clone();
        async move { cleaned.load(Ordering::SeqCst).then_some(()) }
    })
    .await;
    let events = env.host().history(&run.run_id).unwrap();
    assert!(events.iter().any(|e| matches!(e, Event::Terminated { .. })));
    assert_replays(env.host(), "hello", &events);
}
