//! Pausing and unpausing runs: on the test environment's manual clock (a timer comes
//! due while the run is paused, an activity's result arrives while it is paused), across
//! a restart of the host, and the way an operator does it, with a real `weft server`
//! and the CLI. Every test replays what it recorded.

use crate::support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use support::features::{deployed, finish, reopened, start};
use support::poll;
use support::server::{fails_with, ok, said, Server};
use weft_host::history::{Event, Job};
use weft_host::runtime::{MessageError, SteerError, UpdateOutcome, UpdateRequest, UpdateStage};
use weft_host::testing::{TestEnv, TestEnvBuilder};

/// An environment on a clock that moves only when the test skips it, whose activity
/// `six` answers 6 once `open` is set.
async fn env(builder: TestEnvBuilder, open: Arc<AtomicBool>) -> TestEnv {
    let builder = builder
        .manual_time()
        .mock_activity_with_context("six", move |ctx, (): ()| {
            let open = open.clone();
            async move {
                while !open.load(Ordering::SeqCst) {
                    ctx.sleep(Duration::from_millis(100)).await;
                }
                Ok(6i64)
            }
        });
    deployed(builder, "messages").await
}

/// Wait until the last event of `id`'s history passes `check`.
async fn until_last(env: &TestEnv, run_id: &str, what: &str, check: impl Fn(&Event) -> bool) {
    poll::until_seen_async(what, || async {
        let events = env.host().history(run_id).unwrap();
        match events.last() {
            Some(last) if check(last) => Ok(()),
            other => Err(other.cloned()),
        }
    })
    .await
}

async fn log(env: &TestEnv, id: &str) -> Vec<String> {
    env.query::<Vec<String>>(id, "log", json!(null))
        .await
        .unwrap()
}

/// Wait until `id` has a timer armed.
async fn until_timer(env: &TestEnv, id: &str) {
    poll::until_async("a timer armed", || async {
        let described = env.host().describe(id).await.unwrap();
        (!described.waiting.timers.is_empty()).then_some(())
    })
    .await
}

/// No task runs while paused: a timer that comes due, a signal, an activity's result
/// are recorded as pending jobs and delivered at unpause; an update waits for the
/// unpause; queries answer from the last task; describe shows who paused it and why.
#[tokio::test]
async fn a_paused_run_runs_no_task_until_unpaused() {
    let open = Arc::new(AtomicBool::new(false));
    let env = env(TestEnv::builder(), open.clone()).await;
    let host = env.host();
    let input = json!({"seconds": 60, "activity": "six"});
    let run = start(&env, "pausable", "p-1", input).await;
    env.signal("p-1", "step", json!("a")).await.unwrap();

    host.pause("p-1", "downstream is down", "ops")
        .await
        .unwrap();
    let again = host.pause("p-1", "again", "ops").await.unwrap_err();
    assert!(matches!(again, SteerError::AlreadyPaused { .. }), "{again}");
    assert!(
        again.to_string().contains("by ops: downstream is down"),
        "{again}"
    );

    // The sleep's timer comes due: recorded, not delivered.
    env.skip(Duration::from_secs(60));
    until_last(&env, &run.run_id, "the fired timer parked", |e| {
        matches!(e, Event::PendingJob(Job::FireTimer(_)))
    })
    .await;
    env.signal("p-1", "step", json!("b")).await.unwrap();
    let events = host.history(&run.run_id).unwrap();
    assert!(
        matches!(events.last(), Some(Event::PendingJob(Job::Signal(s))) if s.name == "step"),
        "{events:?}"
    );
    // The query sees the state of the last task: only the first step.
    assert_eq!(log(&env, "p-1").await, vec!["a"]);
    let described = host.describe("p-1").await.unwrap();
    let paused = described.waiting.paused.expect("described as paused");
    assert_eq!(
        (paused.identity.as_str(), paused.reason.as_str()),
        ("ops", "downstream is down")
    );
    assert!(described.waiting.timers.is_empty(), "the timer fired");

    // An update waits for the unpause.
    let update = {
        let host = host.clone();
        tokio::spawn(async move {
            let request = UpdateRequest {
                update_id: Some("note-1".into()),
                name: "note".into(),
                input: weft_host::contract::Payload::json(&json!("c")),
                wait: UpdateStage::Completed,
            };
            host.update("p-1", request).await
        })
    };
    assert_eq!(log(&env, "p-1").await, vec!["a"]);
    assert!(!update.is_finished(), "an update completed on a paused run");

    host.unpause("p-1", "it is back", "ops").await.unwrap();
    let answered = poll::within("the update", update).await.unwrap().unwrap();
    assert!(
        matches!(answered, UpdateOutcome::Completed { result: Ok(_), .. }),
        "{answered:?}"
    );
    let refused = host.unpause("p-1", "twice", "ops").await.unwrap_err();
    assert!(matches!(refused, SteerError::NotPaused(_)), "{refused}");

    // The activity runs; paused again before it answers, its result waits too.
    poll::until_async("the activity scheduled", || async {
        let described = host.describe("p-1").await.unwrap();
        (!described.waiting.activities.is_empty()).then_some(())
    })
    .await;
    host.pause("p-1", "again", "ops").await.unwrap();
    open.store(true, Ordering::SeqCst);
    env.skip(Duration::from_millis(100));
    until_last(&env, &run.run_id, "the activity's result parked", |e| {
        matches!(e, Event::PendingJob(Job::ResolveActivity(_)))
    })
    .await;
    assert!(!log(&env, "p-1").await.contains(&"six=6".to_string()));
    host.unpause("p-1", "go on", "ops").await.unwrap();
    env.signal("p-1", "finish", json!(null)).await.unwrap();

    let outcome = finish(&env, &run).await;
    let result = support::completed(&outcome);
    // (The SDK runs the update's handler after the timer's continuation.)
    assert_eq!(result, json!(["a", "b", "slept", "c", "six=6"]), "{result}");
    let events = host.history(&run.run_id).unwrap();
    let count = |name: &str| events.iter().filter(|e| e.name() == name).count();
    assert_eq!((count("paused"), count("unpaused")), (2, 2), "{events:?}");
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Paused { identity, .. } if identity == "ops")));
}

/// A run paused when its host stops is still paused when the host opens again: what
/// arrives waits, and after unpause it completes.
#[tokio::test]
async fn a_restart_keeps_a_paused_run_paused() {
    let dir = tempfile::tempdir().unwrap();
    let open = Arc::new(AtomicBool::new(true));
    let builder = || TestEnv::builder().data_dir(dir.path());
    let env1 = env(builder(), open.clone()).await;
    let run = start(&env1, "pausable", "p-2", json!({"seconds": 5})).await;
    env1.host()
        .pause("p-2", "maintenance", "ops")
        .await
        .unwrap();
    env1.signal("p-2", "step", json!("a")).await.unwrap();
    drop(env1);

    let env = reopened(|| TestEnv::builder().data_dir(dir.path()).manual_time()).await;
    let host = env.host();
    let described = host.describe("p-2").await.unwrap();
    assert!(
        described.waiting.paused.is_some(),
        "not paused after the restart"
    );
    env.signal("p-2", "finish", json!(null)).await.unwrap();
    assert_eq!(log(&env, "p-2").await, Vec::<String>::new());
    host.unpause("p-2", "done", "ops").await.unwrap();
    until_timer(&env, "p-2").await;
    env.skip(Duration::from_secs(5));
    let outcome = finish(&env, &run).await;
    assert_eq!(support::completed(&outcome), json!(["a", "slept"]));
}

/// Closed runs refuse a pause; a paused run can be terminated at once.
#[tokio::test]
async fn terminate_closes_a_paused_run_and_a_closed_run_refuses_a_pause() {
    let env = env(TestEnv::builder(), Arc::new(AtomicBool::new(true))).await;
    let host = env.host();
    let run = start(&env, "pausable", "p-3", json!({"seconds": 5})).await;
    host.pause("p-3", "hold", "ops").await.unwrap();
    host.terminate("p-3", "give up").await.unwrap();
    let closed = host.pause("p-3", "hold", "ops").await.unwrap_err();
    assert!(
        matches!(closed, SteerError::Message(MessageError::Closed { .. })),
        "{closed}"
    );
    let events = host.history(&run.run_id).unwrap();
    support::assert_replays(host, "messages", &events);
}

/// A cancellation asked of a paused run is recorded at once and delivered at unpause.
#[tokio::test]
async fn a_paused_run_is_cancelled_at_unpause() {
    let env = env(TestEnv::builder(), Arc::new(AtomicBool::new(true))).await;
    let host = env.host();
    let run = start(&env, "pausable", "p-5", json!({"seconds": 5})).await;
    host.pause("p-5", "hold", "ops").await.unwrap();
    host.cancel("p-5", "no longer needed").await.unwrap();
    let events = host.history(&run.run_id).unwrap();
    assert!(
        matches!(events.last(), Some(Event::PendingJob(Job::CancelRequested))),
        "{events:?}"
    );
    assert!(host.find_run("p-5").unwrap().status.is_open());
    host.unpause("p-5", "go", "ops").await.unwrap();
    let outcome = finish(&env, &run).await;
    assert!(
        matches!(outcome, weft_host::history::Outcome::Cancelled),
        "{outcome:?}"
    );
}

/// The operator's view: `weft pause` / `unpause` through a real server on the virtual
/// clock; `describe` and `list` say `paused`, with who and why; the run keeps its pause
/// across a restart of the server; `history show` has both events; errors exit 5.
#[test]
fn pause_and_unpause_with_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = [("WEFT_VIRTUAL_CLOCK", "1")];
    let server = Server::virtual_with(&data, "messages");
    let input = r#"{"seconds": 3600}"#;
    ok(server.cli(&["start", "pausable", "--input", input, "--id", "p-4"]));

    let note = said(server.cli(&[
        "pause",
        "p-4",
        "--reason",
        "payments API down",
        "--identity",
        "alice",
    ]));
    assert!(note.contains("paused p-4"), "{note}");
    let described = ok(server.cli(&["describe", "p-4"]));
    assert!(described.contains("running, paused"), "{described}");
    assert!(described.contains("by alice at"), "{described}");
    assert!(described.contains("payments API down"), "{described}");
    let json: Value =
        serde_json::from_str(&ok(server.cli(&["describe", "p-4", "--json"]))).unwrap();
    assert_eq!(json["paused"]["identity"], "alice", "{json}");
    let (status, page) = server.get("/ui/executions/p-4");
    assert_eq!(status, 200);
    let page = page.as_str().unwrap_or_default().to_string();
    assert!(
        page.contains("Paused") && page.contains("payments API down"),
        "{page}"
    );
    let listed = ok(server.cli(&["list"]));
    let row = listed.lines().find(|l| l.contains("p-4")).unwrap();
    assert!(row.contains("paused"), "{listed}");
    let again = fails_with(server.cli(&["pause", "p-4"]), 5);
    assert!(again.contains("already paused"), "{again}");

    // A signal is taken while paused; the sleep it starts waits for the unpause.
    ok(server.cli(&["signal", "p-4", "step", "--input", r#""a""#]));
    let query = ok(server.cli(&["query", "p-4", "log"]));
    assert!(!query.contains('a'), "{query}");
    drop(server);

    let server = Server::start(&data, &env);
    let described = ok(server.cli(&["describe", "p-4"]));
    assert!(described.contains("running, paused"), "{described}");
    let unpaused = ok(server.cli(&["unpause", "p-4", "--reason", "it is back", "--json"]));
    let unpaused: Value = serde_json::from_str(&unpaused).unwrap();
    assert_eq!(unpaused["workflow_id"], "p-4");
    let not_paused = fails_with(server.cli(&["unpause", "p-4"]), 5);
    assert!(not_paused.contains("is not paused"), "{not_paused}");
    ok(server.cli(&["signal", "p-4", "finish"]));
    let result = ok(server.cli(&["result", "p-4"]));
    assert!(result.contains("slept"), "{result}");
    let closed = fails_with(server.cli(&["pause", "p-4"]), 5);
    assert!(closed.contains("closed"), "{closed}");

    let history = ok(server.cli(&["history", "show", "p-4"]));
    assert!(
        history.contains("paused") && history.contains("by alice"),
        "{history}"
    );
    assert!(
        history.contains("unpaused") && history.contains("it is back"),
        "{history}"
    );
    server.assert_replays("p-4", "messages");
}
