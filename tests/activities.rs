//! Activity policies on a real host: retries with backoff, non-retryable error types,
//! start-to-close timeouts, unknown activity names; every failed attempt recorded. The
//! host runs on the test environment's virtual clock: backoffs and timeouts take no
//! real time.

use crate::support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::*;
use weft_host::history::Event;
use weft_host::{ActivityError, ActivityRegistry};

#[tokio::test]
async fn retries_timeouts_and_unknown_activities() {
    let flaky_calls = Arc::new(AtomicU32::new(0));
    let mut registry = ActivityRegistry::new();
    let calls = flaky_calls.clone();
    registry
        .register_fn("flaky", move |ctx, _: String| {
            let calls = calls.clone();
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                if ctx.attempt < 3 {
                    Err(ActivityError::retryable(format!(
                        "attempt {} failed",
                        ctx.attempt
                    )))
                } else {
                    Ok(format!("succeeded on attempt {}", ctx.attempt))
                }
            }
        })
        .register_fn("fatal", |_, _: String| async {
            Err::<String, _>(ActivityError::retryable("cannot go on").with_type("Fatal"))
        })
        .register_fn("slow", |ctx, _: String| async move {
            ctx.sleep(Duration::from_secs(5)).await;
            Ok::<_, ActivityError>("too late".to_string())
        });
    let env = test_env().activities(registry).start().await.unwrap();
    let host = env.host();
    host.deploy(component_bytes("policies"), "policies", false)
        .await
        .unwrap();
    let started = env.now_ms();
    let (run_id, outcome) = execute(host, "policies", serde_json::Value::Null).await;
    let results = completed(&outcome);
    let results: Vec<&str> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();

    assert_eq!(results[0], "ok: succeeded on attempt 3");
    assert_eq!(flaky_calls.load(Ordering::SeqCst), 3);
    assert!(
        results[1].starts_with("Failed (Fatal): cannot go on"),
        "{}",
        results[1]
    );
    assert!(
        results[2].starts_with("TimedOut (weft.ActivityTimeout)"),
        "{}",
        results[2]
    );
    assert!(
        results[3].starts_with("Failed (weft.UnknownActivity)"),
        "{}",
        results[3]
    );
    assert!(
        results[3].contains("no activity named `missing`"),
        "{}",
        results[3]
    );

    // Every failed attempt that was retried is in the history: two for flaky, one for
    // slow (its second attempt was the last).
    let events = host.history(&run_id).unwrap();
    let attempts: Vec<(u32, u32)> = events
        .iter()
        .filter_map(|e| match e {
            Event::ActivityAttemptFailed { seq, attempt, .. } => Some((*seq, *attempt)),
            _ => None,
        })
        .collect();
    assert_eq!(attempts, [(1, 1), (1, 2), (3, 1)]);
    // Workflow time moved by the backoffs (50 + 100 ms) and slow's two timeouts (200 ms
    // each, 50 ms apart), not by slow's 5 s sleeps, which the timeouts cut short.
    assert_eq!(env.now_ms() - started, 50 + 100 + 200 + 50 + 200);
    assert_replays(host, "policies", &events);
}

/// `history-info` gives a task the same length and size live and in replay: with no
/// instance cache, every task first replays the ones before it, so the values the
/// workflow returns come from replays and from the live task alike; each must match the
/// recorded history.
#[tokio::test]
async fn history_info_is_the_same_live_and_in_replay() {
    let mut registry = ActivityRegistry::new();
    registry.register_fn("step", |_, i: u32| async move { Ok::<_, ActivityError>(i) });
    let env = test_env()
        .activities(registry)
        .cache_size(0)
        .start()
        .await
        .unwrap();
    env.deploy(component_bytes("policies"), "policies")
        .await
        .unwrap();
    let host = env.host();
    let (run_id, outcome) = execute(host, "history_info_steps", serde_json::Value::Null).await;
    let seen: Vec<(u32, u64)> = serde_json::from_value(completed(&outcome)).unwrap();
    let events = host.history(&run_id).unwrap();
    let expected: Vec<(u32, u64)> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, Event::TaskStarted { .. }))
        .map(|(i, _)| {
            let size = events[..i]
                .iter()
                .map(weft_host::history::codec::encoded_len)
                .sum();
            (i as u32, size)
        })
        .collect();
    assert_eq!(seen, expected);
    assert_replays(host, "policies", &events);
}
