//! Activity policies on a real host: retries with backoff, non-retryable error types,
//! start-to-close timeouts, unknown activity names; every failed attempt recorded. The
//! host runs on the test environment's virtual clock: backoffs and timeouts take no
//! real time.

mod support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::*;
use weft_host::history::Event;
use weft_host::testing::TestEnv;
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
    let env = TestEnv::builder()
        .activities(registry)
        .start()
        .await
        .unwrap();
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
