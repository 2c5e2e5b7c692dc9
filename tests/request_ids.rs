//! Request ids: a start, signal, cancellation or termination sent again with the same
//! request id is applied once and answered as the first was, also once the run has
//! closed; an update id stays deduplicated after the run continues as new. On the
//! `entity` example in the test environment, and over HTTP and the CLI on a server.

use crate::support;

use serde_json::json;
use support::server::{fails_with, ok, Server};
use support::*;
use weft_host::contract::Payload;
use weft_host::history::{Event, Job, Outcome};
use weft_host::runtime::{MessageError, StartRequest, UpdateOutcome, UpdateRequest, UpdateStage};
use weft_host::testing::TestEnv;

async fn entity_env() -> TestEnv {
    let env = test_env().start().await.unwrap();
    env.deploy(component_bytes("entity"), "entity")
        .await
        .unwrap();
    env
}

/// A start of account `id` with `request_id`.
fn open(id: &str, request_id: &str, input: serde_json::Value) -> StartRequest {
    StartRequest {
        workflow_id: Some(id.to_string()),
        request_id: Some(request_id.to_string()),
        ..StartRequest::new("entity", Payload::json(&input))
    }
}

fn signals(events: &[Event], name: &str) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::Job(Job::Signal(s)) if s.name == name))
        .count()
}

#[tokio::test]
async fn a_start_sent_twice_starts_one_run_also_after_it_closed() {
    let env = entity_env().await;
    let host = env.host();
    let first = host
        .start_execution(open("acct-s", "open-1", json!({"balance": 5})))
        .await
        .unwrap();
    assert!(first.started);
    // Again while it runs: the same answer, not "already running".
    let again = host
        .start_execution(open("acct-s", "open-1", json!({"balance": 5})))
        .await
        .unwrap();
    assert_eq!(again, first);
    // Two at once: one run.
    let (a, b) = tokio::join!(
        host.start_execution(open("acct-t", "open-2", json!({"balance": 1}))),
        host.start_execution(open("acct-t", "open-2", json!({"balance": 1}))),
    );
    assert_eq!(a.unwrap(), b.unwrap());
    // Closed, then again: the first answer; nothing starts.
    env.signal("acct-s", "close", json!(null)).await.unwrap();
    host.wait(&first.run.run_id).await.unwrap();
    let after = host
        .start_execution(open("acct-s", "open-1", json!({"balance": 5})))
        .await
        .unwrap();
    assert_eq!(after, first);
    assert_eq!(host.find_run("acct-s").unwrap().run_id, first.run.run_id);
    // Another request id is another start.
    let other = host
        .start_execution(open("acct-s", "open-3", json!({"balance": 5})))
        .await
        .unwrap();
    assert!(other.started);
    assert_ne!(other.run.run_id, first.run.run_id);
    // Without a workflow id, the id comes from the request id: a retry names it again.
    let derived = |request_id: &str| StartRequest {
        request_id: Some(request_id.to_string()),
        ..StartRequest::new("entity", Payload::json(&json!({"balance": 0})))
    };
    let one = host.start_execution(derived("no-id")).await.unwrap();
    let two = host.start_execution(derived("no-id")).await.unwrap();
    assert_eq!(one, two);
    assert!(one.run.workflow_id.starts_with("entity-"), "{one:?}");
}

#[tokio::test]
async fn a_signal_sent_twice_is_delivered_once() {
    let env = entity_env().await;
    let host = env.host();
    let run = host
        .start(open("acct-d", "open", json!({"balance": 0})))
        .await
        .unwrap();
    let deposit = || Payload::json(&json!({"amount": 7}));
    let first = host
        .signal_with_request("acct-d", "deposit", deposit(), Some("dep-1"))
        .await
        .unwrap();
    let second = host
        .signal_with_request("acct-d", "deposit", deposit(), Some("dep-1"))
        .await
        .unwrap();
    assert_eq!((&first, &second), (&run, &run));
    // Two at once: delivered once.
    let (a, b) = tokio::join!(
        host.signal_with_request("acct-d", "deposit", deposit(), Some("dep-2")),
        host.signal_with_request("acct-d", "deposit", deposit(), Some("dep-2")),
    );
    a.unwrap();
    b.unwrap();
    // A start's request id is not a signal's.
    host.signal_with_request("acct-d", "deposit", deposit(), Some("open"))
        .await
        .unwrap();
    let balance: i64 = env.query("acct-d", "balance", json!(null)).await.unwrap();
    assert_eq!(balance, 21);
    env.signal("acct-d", "close", json!(null)).await.unwrap();
    host.wait(&run.run_id).await.unwrap();
    // Closed: the same request id still answers success, for the run it reached.
    let closed = host
        .signal_with_request("acct-d", "deposit", deposit(), Some("dep-1"))
        .await
        .unwrap();
    assert_eq!(closed, run);
    let refused = host
        .signal_with_request("acct-d", "deposit", deposit(), Some("dep-9"))
        .await;
    assert!(
        matches!(refused, Err(MessageError::Closed { .. })),
        "{refused:?}"
    );
    let events = host.history(&run.run_id).unwrap();
    assert_eq!(signals(&events, "deposit"), 3);
    assert_replays(host, "entity", &events);
}

#[tokio::test]
async fn a_cancel_or_termination_sent_again_applies_nothing() {
    let env = entity_env().await;
    let host = env.host();
    let account = || open("acct-c", &uuid_like(), json!({"balance": 0}));
    let first = host.start(account()).await.unwrap();
    for _ in 0..2 {
        let reached = host
            .cancel_with_request("acct-c", "asked", Some("cancel-1"))
            .await
            .unwrap();
        assert_eq!(reached, first);
    }
    host.wait(&first.run_id).await.unwrap();
    let asked = host
        .history(&first.run_id)
        .unwrap()
        .iter()
        .filter(|e| matches!(e, Event::CancelRequested { .. }))
        .count();
    assert_eq!(asked, 1);
    // Closed since: the same request id answers success for the run it reached.
    let closed = host
        .cancel_with_request("acct-c", "asked", Some("cancel-1"))
        .await
        .unwrap();
    assert_eq!(closed, first);

    let second = host.start(account()).await.unwrap();
    for _ in 0..2 {
        let terminated = host
            .terminate_with_request("acct-c", "stop", Some("stop-1"))
            .await
            .unwrap();
        assert_eq!(terminated, second);
    }
    assert!(matches!(
        host.wait(&second.run_id).await.unwrap(),
        Outcome::Terminated(_)
    ));
    // A later run of the id: the requests sent again reach nothing.
    let third = host.start(account()).await.unwrap();
    let again = host
        .terminate_with_request("acct-c", "stop", Some("stop-1"))
        .await
        .unwrap();
    assert_eq!(again, second);
    let cancelled_again = host
        .cancel_with_request("acct-c", "asked", Some("cancel-1"))
        .await
        .unwrap();
    assert_eq!(cancelled_again, first);
    env.signal("acct-c", "deposit", json!({"amount": 1}))
        .await
        .unwrap();
    let balance: i64 = env.query("acct-c", "balance", json!(null)).await.unwrap();
    assert_eq!(balance, 1, "the third run is open and serves");
    let events = host.history(&third.run_id).unwrap();
    let stopped = |e: &Event| matches!(e, Event::CancelRequested { .. } | Event::Terminated { .. });
    assert!(!events.iter().any(stopped), "{events:?}");
    // Request ids are checked: the message names the field.
    let bad = host.cancel_with_request("acct-c", "asked", Some("")).await;
    assert!(
        matches!(&bad, Err(MessageError::Invalid(m)) if m.contains("request_id")),
        "{bad:?}"
    );
}

/// A request id of its own for each start.
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("start-{}", NEXT.fetch_add(1, Ordering::SeqCst))
}

#[tokio::test]
async fn an_update_sent_again_after_continue_as_new_answers_its_first_outcome() {
    let env = entity_env().await;
    let host = env.host();
    // One operation per run: the withdrawal's run continues as new right after it.
    let input = json!({"balance": 100, "operations_per_run": 1});
    let first = host.start(open("acct-u", "open", input)).await.unwrap();
    let withdraw = || UpdateRequest {
        update_id: Some("w-1".into()),
        name: "withdraw".into(),
        input: Payload::json(&json!({"amount": 30})),
        wait: UpdateStage::Completed,
    };
    let answer = host.update("acct-u", withdraw()).await.unwrap();
    let completed = |outcome: UpdateOutcome| match outcome {
        UpdateOutcome::Completed { result, .. } => result.unwrap().to_json(),
        other => panic!("expected completion, got {other:?}"),
    };
    assert_eq!(completed(answer), json!(70));
    assert!(matches!(
        host.wait(&first.run_id).await.unwrap(),
        Outcome::ContinuedAsNew
    ));
    let next = host.find_run("acct-u").unwrap();
    assert_ne!(next.run_id, first.run_id);
    // The next run does not know the id; its first run's outcome answers.
    let again = host.update("acct-u", withdraw()).await.unwrap();
    assert_eq!(completed(again), json!(70));
    let balance: i64 = env.query("acct-u", "balance", json!(null)).await.unwrap();
    assert_eq!(balance, 70, "the handler did not run again");
    let updates = host
        .history(&next.run_id)
        .unwrap()
        .iter()
        .filter(|e| matches!(e, Event::Job(Job::Update(_))))
        .count();
    assert_eq!(updates, 0);
}

/// Over HTTP and the CLI: `--request-id` on `start`, `signal`, `cancel`, `terminate`;
/// a refused request id is 400 naming the field.
#[test]
fn request_ids_through_the_api_and_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let component = component("entity");
    ok(server.cli(&["deploy", component.to_str().unwrap(), "--name", "entity"]));
    let start = || {
        server.cli(&[
            "start",
            "entity",
            "--input",
            r#"{"balance": 1}"#,
            "--id",
            "acct-h",
            "--request-id",
            "open-h",
            "--json",
        ])
    };
    let first: serde_json::Value = serde_json::from_str(&ok(start())).unwrap();
    let second: serde_json::Value = serde_json::from_str(&ok(start())).unwrap();
    assert_eq!(first, second);
    for _ in 0..2 {
        ok(server.cli(&[
            "signal",
            "acct-h",
            "deposit",
            "--input",
            r#"{"amount": 2}"#,
            "--request-id",
            "dep-h",
        ]));
    }
    assert_eq!(ok(server.cli(&["query", "acct-h", "balance"])), "3");
    let (status, body) = server.post_json(
        "/v1/executions/acct-h/signals/deposit",
        &json!({"input": {"amount": 2}, "request_id": "bad\nid"}),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("request_id"),
        "{body}"
    );
    fails_with(server.cli(&["cancel", "acct-h", "--request-id", ""]), 2);
    for _ in 0..2 {
        ok(server.cli(&["terminate", "acct-h", "--request-id", "stop-h"]));
    }
    let described = ok(server.cli(&["describe", "acct-h"]));
    assert!(described.contains("terminated"), "{described}");
    server.assert_replays("acct-h", "entity");
}
