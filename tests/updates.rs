//! Updates, ported from Temporal's feature suite (`features/update/*`): one test per
//! feature, named after it, asserting what its checker asserts. On the time-skipping
//! test environment with the `messages` fixture (`update/worker_restart`, which kills a
//! real host, is in `tests/crash_resume.rs`); every test replays what it recorded.

use crate::support;

use std::sync::{Arc, OnceLock};

use serde_json::{json, Value};
use support::features::{env, env_with, replays, result, start, update_events};
use support::server::{fails_with, ok, said, Server};
use weft_host::activities::ActivityRegistry;
use weft_host::contract::Payload;
use weft_host::history::Event;
use weft_host::runtime::{Host, MessageError, UpdateOutcome, UpdateRequest, UpdateStage};
use weft_host::testing::{TestEnv, TestEnvError};

fn request(id: Option<&str>, name: &str, input: Value, wait: UpdateStage) -> UpdateRequest {
    UpdateRequest {
        update_id: id.map(str::to_string),
        name: name.into(),
        input: Payload::json(&input),
        wait,
    }
}

fn completed(outcome: UpdateOutcome) -> Result<Value, String> {
    match outcome {
        UpdateOutcome::Completed { result, .. } => {
            result.map(|p| p.to_json()).map_err(|f| f.message)
        }
        other => panic!("expected a completed update, got {other:?}"),
    }
}

fn rejected(answer: Result<Result<Value, weft_host::history::Failure>, TestEnvError>) -> String {
    match answer {
        Err(TestEnvError::Message(MessageError::Rejected(f))) => f.message,
        other => panic!("expected a rejected update, got {other:?}"),
    }
}

/// update/basic: the validator rejects a bad argument; a good one sets the state and
/// returns "update-result:<arg>"; the run returns "workflow-result:<arg>". No rejected
/// update leaves a trace in the history.
#[tokio::test]
async fn update_basic() {
    let env = env().await;
    let run = start(&env, "update_basic", "update-basic", json!(null)).await;
    let refused = rejected(env.update("update-basic", "my_update", json!("bad")).await);
    assert!(refused.contains("Invalid"), "{refused}");
    let answer = env
        .update("update-basic", "my_update", json!("arg"))
        .await
        .unwrap();
    assert_eq!(answer, Ok(json!("update-result:arg")));
    assert_eq!(result(&env, &run).await, json!("workflow-result:arg"));
    let events = replays(&env, &run);
    assert_eq!(update_events(&events), (1, 1, 0, 1));
}

/// update/basic_async: waiting only for acceptance; a bad argument is rejected at that
/// stage, a good one is accepted and its result fetched later by its update id.
#[tokio::test]
async fn update_basic_async() {
    let env = env().await;
    let host = env.host();
    let run = start(&env, "update_basic", "update-async", json!(null)).await;
    let bad = host
        .update(
            "update-async",
            request(None, "my_update", json!("bad"), UpdateStage::Accepted),
        )
        .await;
    assert!(matches!(bad, Err(MessageError::Rejected(_))), "{bad:?}");
    let accepted = host
        .update(
            "update-async",
            request(
                Some("u-1"),
                "my_update",
                json!("update-arg"),
                UpdateStage::Accepted,
            ),
        )
        .await
        .unwrap();
    assert_eq!(accepted.update_id(), "u-1");
    let done = host
        .update(
            "update-async",
            request(
                Some("u-1"),
                "my_update",
                json!("ignored"),
                UpdateStage::Completed,
            ),
        )
        .await
        .unwrap();
    assert_eq!(completed(done), Ok(json!("update-result:update-arg")));
    assert_eq!(
        result(&env, &run).await,
        json!("workflow-result:update-arg")
    );
    let events = replays(&env, &run);
    assert_eq!(update_events(&events), (1, 1, 0, 1));
}

/// update/activities: the handler runs five activities concurrently and returns their
/// sum (30), which the run returns too.
#[tokio::test]
async fn update_activities() {
    let env = env().await;
    let run = start(&env, "update_activities", "update-activities", json!(null)).await;
    let answer = env
        .update("update-activities", "run_activities", json!(null))
        .await
        .unwrap();
    assert_eq!(answer, Ok(json!(30)));
    assert_eq!(result(&env, &run).await, json!(30));
    let events = replays(&env, &run);
    assert_eq!(update_events(&events).2, 0);
}

/// update/async_accepted: a caller waiting for acceptance is answered before the
/// handler finishes; the result is fetched by update id afterwards (123); a failing
/// handler's error reaches its caller ("Dying on purpose").
#[tokio::test]
async fn update_async_accepted() {
    let env = env().await;
    let host = env.host();
    let run = start(
        &env,
        "update_async_accepted",
        "update-accepted",
        json!(null),
    )
    .await;
    let accepted = host
        .update(
            "update-accepted",
            request(Some("ok"), "wait_then", json!(false), UpdateStage::Accepted),
        )
        .await
        .unwrap();
    assert_eq!(
        accepted,
        UpdateOutcome::Accepted {
            update_id: "ok".into()
        }
    );
    env.signal("update-accepted", "unblock", json!(null))
        .await
        .unwrap();
    let done = host
        .update(
            "update-accepted",
            request(
                Some("ok"),
                "wait_then",
                json!(false),
                UpdateStage::Completed,
            ),
        )
        .await
        .unwrap();
    assert_eq!(completed(done), Ok(json!(123)));
    let failing = host
        .update(
            "update-accepted",
            request(
                Some("dies"),
                "wait_then",
                json!(true),
                UpdateStage::Completed,
            ),
        )
        .await
        .unwrap();
    let message = completed(failing).unwrap_err();
    assert!(message.contains("Dying on purpose"), "{message}");
    env.signal("update-accepted", "finish", json!(null))
        .await
        .unwrap();
    support::features::finish(&env, &run).await;
    let events = replays(&env, &run);
    assert_eq!(update_events(&events), (2, 2, 0, 2));
}

/// update/async_accepted, its deadline case, the way a user meets it: an accepted update
/// whose caller's deadline passes before the handler finishes gets a timeout error
/// (`weft update --timeout`, exit 1), and the update still completes: asked again by
/// its id it answers 123. (`--timeout 0` answers with the stage reached at once, so no
/// test clock or real time is raced.)
#[test]
fn update_async_accepted_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::virtual_with(&dir.path().join("data"), "messages");
    let id = "accepted-cli";
    ok(server.cli(&["start", "update_async_accepted", "--id", id]));
    let update = |extra: &[&str]| {
        let args = [&["update", id, "wait_then", "--input", "false"], extra].concat();
        server.cli(&args)
    };
    let accepted = said(update(&["--update-id", "ok", "--wait", "accepted"]));
    assert!(accepted.contains("update ok accepted"), "{accepted}");
    let timed_out = fails_with(update(&["--update-id", "ok", "--timeout", "0"]), 1);
    assert!(
        timed_out.contains("update ok timed out: not completed within 0s"),
        "{timed_out}"
    );
    assert!(timed_out.contains("--update-id ok"), "{timed_out}");
    let refused = fails_with(update(&["--timeout", "500ms"]), 2);
    assert!(refused.contains("--timeout"), "{refused}");

    ok(server.cli(&["signal", id, "unblock"]));
    assert_eq!(ok(update(&["--update-id", "ok"])), "123");
    ok(server.cli(&["signal", id, "finish"]));
    ok(server.cli(&["result", id]));
    let events = server.assert_replays(id, "messages");
    assert_eq!(update_events(&events), (1, 1, 0, 1));
}

/// update/deduplication: requests with the same update id, while the first is still
/// running and after it completed, all get the first outcome (1); the handler ran
/// once: one `complete-update` for the id. A new id runs the handler again. (The same
/// across a restart of the host: `update_worker_restart` in `tests/crash_resume.rs`.)
#[tokio::test]
async fn update_deduplication() {
    let env = env().await;
    let host = env.host().clone();
    let run = start(&env, "update_deduplication", "update-dedup", json!(null)).await;
    let first = host
        .update(
            "update-dedup",
            request(Some("same"), "incr", json!(null), UpdateStage::Accepted),
        )
        .await
        .unwrap();
    assert!(matches!(first, UpdateOutcome::Accepted { .. }));
    let waiting: Vec<_> = (0..2)
        .map(|_| {
            let host = host.clone();
            tokio::spawn(async move {
                host.update(
                    "update-dedup",
                    request(Some("same"), "incr", json!(null), UpdateStage::Completed),
                )
                .await
            })
        })
        .collect();
    env.signal("update-dedup", "unblock", json!(null))
        .await
        .unwrap();
    for w in waiting {
        assert_eq!(completed(w.await.unwrap().unwrap()), Ok(json!(1)));
    }
    let again = host
        .update(
            "update-dedup",
            request(Some("same"), "incr", json!(null), UpdateStage::Completed),
        )
        .await
        .unwrap();
    assert_eq!(completed(again), Ok(json!(1)));
    let other = env
        .update("update-dedup", "incr", json!(null))
        .await
        .unwrap();
    assert_eq!(other, Ok(json!(2)));
    env.signal("update-dedup", "finish", json!(null))
        .await
        .unwrap();
    assert_eq!(result(&env, &run).await, json!(2));
    let events = replays(&env, &run);
    let same_completions = events
        .iter()
        .filter(|e| matches!(e, Event::Command(c)
            if matches!(&c.command, weft_host::history::Command::CompleteUpdate(u) if u.id == "same")))
        .count();
    assert_eq!(same_completions, 1);
    assert_eq!(update_events(&events), (2, 2, 0, 2));
}

/// update/non_durable_reject: -1 is rejected, +1 accepted, five times each; the run
/// returns 5 and its history holds no rejected update at all.
#[tokio::test]
async fn update_non_durable_reject() {
    let env = env().await;
    let run = start(
        &env,
        "update_non_durable_reject",
        "update-reject",
        json!(null),
    )
    .await;
    for i in 1..=5 {
        rejected(env.update("update-reject", "add", json!(-1)).await);
        let answer = env.update("update-reject", "add", json!(1)).await.unwrap();
        assert_eq!(answer, Ok(json!(i)));
    }
    assert_eq!(result(&env, &run).await, json!(5));
    let events = replays(&env, &run);
    assert_eq!(update_events(&events), (5, 5, 0, 5));
}

/// update/self: the workflow runs an activity that sends an update to the workflow
/// itself; the update's effect is visible when the activity returns.
#[tokio::test]
async fn update_self() {
    let host: Arc<OnceLock<Host>> = Arc::default();
    let reach = host.clone();
    let mut activities = ActivityRegistry::new();
    activities.register_fn("update_self", move |ctx, (): ()| {
        let host = reach.get().expect("set before the run starts").clone();
        async move {
            host.update(
                &ctx.workflow_id,
                request(None, "set_flag", json!(null), UpdateStage::Completed),
            )
            .await
            .map(|_| ())
            .map_err(|e| weft_host::activities::ActivityError::retryable(e.to_string()))
        }
    });
    let env = env_with(TestEnv::builder().activities(activities)).await;
    host.set(env.host().clone()).ok().unwrap();
    let run = start(&env, "update_self", "update-self", json!(null)).await;
    assert_eq!(result(&env, &run).await, json!("called"));
}

/// update/task_failure: update `do_update`'s handler panics on the first two attempts
/// of its workflow task, which fails the task like any panic in workflow code (recorded,
/// retried after its backoff on the virtual clock, the update delivered again), then
/// fails the update; `throw_or_done(true)`'s validator panics, which rejects the update
/// and fails no task; `throw_or_done(false)` ends the run, which returns the handler's
/// count of failed tasks: 2, as Temporal's checker asserts.
#[tokio::test]
async fn update_task_failure() {
    let env = env().await;
    let run = start(&env, "update_task_failure", "update-fail", json!(null)).await;
    let failed = env
        .update("update-fail", "do_update", json!(null))
        .await
        .unwrap();
    assert_eq!(failed.unwrap_err().message, "I'll fail update");
    let refused = rejected(
        env.update("update-fail", "throw_or_done", json!(true))
            .await,
    );
    assert!(
        refused.contains("validator panicked: This update is not allowed"),
        "{refused}"
    );
    let done = env
        .update("update-fail", "throw_or_done", json!(false))
        .await
        .unwrap();
    assert_eq!(done, Ok(json!(null)));
    assert_eq!(result(&env, &run).await, json!(2));
    let events = replays(&env, &run);
    // The streak of failed attempts is recorded once, naming the update it waits with.
    let failures: Vec<_> = (events.iter())
        .filter_map(|e| match e {
            Event::TaskAttemptFailed {
                failure, attempt, ..
            } => Some((failure.message.as_str(), *attempt)),
            _ => None,
        })
        .collect();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].0.contains("I'll fail task"), "{failures:?}");
    assert!(failures[0].0.contains("`do_update`"), "{failures:?}");
    // Only the task that ran the handler to its end recorded the update; the rejected
    // one left no trace.
    assert_eq!(update_events(&events), (2, 2, 0, 2));
    assert!(!events.iter().any(|e| matches!(e, Event::TaskFailed(_))));
}

/// update/validation_replay: the validator runs when the update is delivered and never
/// again in a replay: an instance rebuilt from the history has run it zero times.
#[tokio::test]
async fn update_validation_replay() {
    for (cache, expected) in [(None, 1), (Some(0), 0)] {
        let mut builder = TestEnv::builder();
        if let Some(n) = cache {
            builder = builder.cache_size(n);
        }
        let env = env_with(builder).await;
        let run = start(
            &env,
            "update_validation_replay",
            "update-replay",
            json!(null),
        )
        .await;
        let answer = env
            .update("update-replay", "my_update", json!(null))
            .await
            .unwrap();
        assert_eq!(answer, Ok(json!(null)));
        let validations: u32 = env
            .query("update-replay", "validations", json!(null))
            .await
            .unwrap();
        assert_eq!(validations, expected, "cache {cache:?}");
        env.signal("update-replay", "finish", json!(null))
            .await
            .unwrap();
        support::features::finish(&env, &run).await;
    }
}
