//! Signals, ported from Temporal's feature suite (`features/signal/*`): one test per
//! feature, named after it, asserting what its checker asserts. On the time-skipping
//! test environment with the `messages` fixture; every test replays what it recorded.

use crate::support;

use serde_json::json;
use support::features::{env, finish, replays, result, start};
use weft_host::contract::Payload;
use weft_host::history::vocab::Signal;
use weft_host::history::{Event, Job};
use weft_host::runtime::{MessageError, StartRequest};

/// signal/basic: the workflow waits until a signal sets its state and returns it.
#[tokio::test]
async fn signal_basic() {
    let env = env().await;
    let run = start(&env, "signal_basic", "signal-basic", json!(null)).await;
    env.signal("signal-basic", "my_signal", json!("arg"))
        .await
        .unwrap();
    assert_eq!(result(&env, &run).await, json!("arg"));
}

/// signal/external: a client signals a running workflow, which returns the payload
/// (here through a typed signal channel of the function form).
#[tokio::test]
async fn signal_external() {
    let env = env().await;
    let run = start(&env, "signal_external", "signal-external", json!(null)).await;
    let signalled = env
        .signal("signal-external", "my_signal", json!("Signaled!"))
        .await
        .unwrap();
    assert_eq!(signalled.run_id, run.run_id);
    assert_eq!(result(&env, &run).await, json!("Signaled!"));
    // The signal is in the history, as a job of a task.
    let events = env.host().history(&run.run_id).unwrap();
    assert!(events.iter().any(|e| matches!(e,
        Event::Job(Job::Signal(s)) if s.name == "my_signal" && s.input.to_json() == json!("Signaled!"))));
}

/// signal/activities: a signal handler runs five activities concurrently and sums
/// them; the run waits for the total.
#[tokio::test]
async fn signal_activities() {
    let env = env().await;
    let run = start(&env, "signal_activities", "signal-activities", json!(null)).await;
    env.signal("signal-activities", "start", json!(null))
        .await
        .unwrap();
    assert_eq!(result(&env, &run).await, json!(30));
}

/// signal/signal_with_start: a new id starts a run with the signal in its first task
/// (1 + 42); an id with an open run gets the signal delivered to that run (-2 + 42).
#[tokio::test]
async fn signal_signal_with_start() {
    let env = env().await;
    let with_signal = |id: &str, input: i64| StartRequest {
        workflow_id: Some(id.to_string()),
        signal: Some(Signal {
            name: "add".into(),
            input: Payload::json(&json!(42)),
        }),
        ..StartRequest::new("signal_with_start", Payload::json(&json!(input)))
    };
    let fresh = env
        .host()
        .start_execution(with_signal("sws-new", 1))
        .await
        .unwrap();
    assert!(fresh.started);
    assert_eq!(result(&env, &fresh.run).await, json!(43));
    // Started and signalled in one commit: the first task delivers both.
    let events = env.host().history(&fresh.run.run_id).unwrap();
    let first_task: Vec<&str> = events.iter().skip(2).take(2).map(|e| e.name()).collect();
    assert_eq!(first_task, ["start-workflow", "signal"]);

    let blocked = start(&env, "signal_with_start", "sws-open", json!(-2)).await;
    let to_open = env
        .host()
        .start_execution(with_signal("sws-open", 7))
        .await
        .unwrap();
    assert!(!to_open.started);
    assert_eq!(to_open.run, blocked);
    assert_eq!(result(&env, &blocked).await, json!(40));
}

/// signal/prevent_close: case 1, a signal to a completed run is refused (closed); case
/// 2, a signal that arrives while the task that completes the run is in flight is not
/// lost: the completion is refused and the run goes on with it, returning [1, 2].
#[tokio::test]
async fn signal_prevent_close() {
    let env = env().await;
    // Case 1.
    let run = start(&env, "signal_prevent_close", "prevent-close-1", json!(null)).await;
    env.signal("prevent-close-1", "add", json!(1))
        .await
        .unwrap();
    assert_eq!(result(&env, &run).await, json!([1]));
    let refused = env.signal("prevent-close-1", "add", json!(2)).await;
    assert!(
        matches!(
            refused,
            Err(weft_host::testing::TestEnvError::Message(
                MessageError::Closed { .. }
            ))
        ),
        "{refused:?}"
    );

    // Case 2: the workflow logs just before it returns, inside the completing task;
    // the log hook sends the second signal right then, while that task is in flight.
    let host = env.host().clone();
    let in_flight =
        support::logs::send_on_log("prevent-close-2", "prevent_close: completing", move || {
            let host = host.clone();
            async move {
                host.signal("prevent-close-2", "add", Payload::json(&json!(2)))
                    .await
                    .map(|_| ())
            }
        });
    let run = start(&env, "signal_prevent_close", "prevent-close-2", json!(null)).await;
    env.signal("prevent-close-2", "add", json!(1))
        .await
        .unwrap();
    let outcome = finish(&env, &run).await;
    assert_eq!(support::completed(&outcome), json!([1, 2]));
    support::logs::sent(&in_flight).await.unwrap();
    // The refused completion left no trace: one completion, after both signals.
    let events = replays(&env, &run);
    let names: Vec<&str> = events.iter().map(|e| e.name()).collect();
    assert_eq!(
        names.iter().filter(|n| **n == "complete-workflow").count(),
        1,
        "{names:?}"
    );
}
