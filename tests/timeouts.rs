//! Run and execution timeouts: a run still open at its deadline closes as timed out,
//! on the virtual clock, whatever it waits for; a run that ends in time is untouched.

use crate::support;

use std::time::Duration;

use serde_json::json;
use support::*;
use weft_host::contract::Payload;
use weft_host::history::{Event, Outcome};
use weft_host::runtime::StartRequest;
use weft_host::storage::Status;
use weft_host::testing::TestEnv;

fn timer(id: &str, seconds: u64) -> StartRequest {
    StartRequest {
        workflow_id: Some(id.to_string()),
        ..StartRequest::new("timer", Payload::json(&json!({ "seconds": seconds })))
    }
}

/// A test environment whose clock moves only when the test says: with the clock
/// skipping ahead on its own, a run's deadline could come before the first task that
/// sets its timer had run.
async fn env() -> TestEnv {
    let env = test_env()
        .manual_time()
        .activities(activities())
        .start()
        .await
        .unwrap();
    env.deploy(component_bytes("timer"), "timer").await.unwrap();
    env
}

/// Wait until run `id` waits on its timer: its first task has run.
async fn until_its_timer_is_set(env: &TestEnv, id: &str) {
    poll::until_seen_async(&format!("{id} to set its timer"), || async {
        let waiting = env.host().describe_stored(id).unwrap().waiting;
        (!waiting.timers.is_empty()).then_some(()).ok_or(waiting)
    })
    .await;
}

#[tokio::test]
async fn a_run_past_its_timeout_closes_as_timed_out() {
    let env = env().await;
    let host = env.host();
    let started = env.now_ms();
    // A day's sleep under an hour's run timeout (and a week's execution timeout).
    let run = host
        .start(StartRequest {
            run_timeout: Some(Duration::from_secs(3600)),
            execution_timeout: Some(Duration::from_secs(7 * 86_400)),
            ..timer("late", 86_400)
        })
        .await
        .unwrap();
    until_its_timer_is_set(&env, "late").await;
    env.skip(Duration::from_secs(3600));
    let outcome = host.wait(&run.run_id).await.unwrap();
    let Outcome::TimedOut(reason) = outcome else {
        panic!("expected a timeout, got {outcome:?}");
    };
    assert!(reason.contains("run timeout"), "{reason}");
    assert_eq!(host.find_run("late").unwrap().status, Status::TimedOut);
    let events = host.history(&run.run_id).unwrap();
    assert!(matches!(events.last(), Some(Event::TimedOut { .. })));
    // It closed at its deadline, not at the timer's.
    let closed = host.find_run("late").unwrap().close_ms.unwrap();
    assert_eq!(closed - started, 3_600_000);
    assert_replays(host, "timer", &events);

    // A run that ends before its deadline is untouched.
    let quick = host
        .start(StartRequest {
            run_timeout: Some(Duration::from_secs(3600)),
            ..timer("quick", 60)
        })
        .await
        .unwrap();
    until_its_timer_is_set(&env, "quick").await;
    env.skip(Duration::from_secs(60));
    let outcome = host.wait(&quick.run_id).await.unwrap();
    assert!(matches!(outcome, Outcome::Completed(_)), "{outcome:?}");
}
