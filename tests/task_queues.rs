//! Concurrency limits: a host runs at most N activities at once (host-wide, and per
//! task queue); the others wait for a slot, in order, and every activity still runs.
//! On the virtual clock: each activity sleeps a second on the host's clock, so the
//! attempts overlap exactly as far as the limit lets them. A rate limit
//! (`--rate QUEUE=N/s`) spaces their starts on the same clock.

use crate::support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::json;
use support::*;
use weft_host::contract::Payload;
use weft_host::history::Outcome;
use weft_host::runtime::clock::Clock;
use weft_host::runtime::StartRequest;
use weft_host::testing::{TestEnv, TestEnvBuilder};
use weft_host::{ActivityError, ActivityRegistry};

/// How many `square` attempts run at once, at most.
#[derive(Default)]
struct Overlap {
    running: AtomicUsize,
    most: AtomicUsize,
}

fn squares(overlap: Arc<Overlap>) -> ActivityRegistry {
    let mut registry = ActivityRegistry::new();
    registry.register_fn("square", move |ctx, n: u64| {
        let overlap = overlap.clone();
        async move {
            let now = overlap.running.fetch_add(1, Ordering::SeqCst) + 1;
            overlap.most.fetch_max(now, Ordering::SeqCst);
            ctx.sleep(Duration::from_secs(1)).await;
            overlap.running.fetch_sub(1, Ordering::SeqCst);
            Ok::<_, ActivityError>(n * n)
        }
    });
    registry
}

/// Run `fanout` over ten activities to its end (its history replays); how long it took
/// on the host's clock.
async fn fanout10(env: &TestEnv) -> u64 {
    env.deploy(component_bytes("fanout"), "fanout")
        .await
        .unwrap();
    let started = env.now_ms();
    let run = env
        .host()
        .start(StartRequest::new(
            "fanout",
            Payload::json(&json!({"n": 10})),
        ))
        .await
        .unwrap();
    let outcome = env.host().wait(&run.run_id).await.unwrap();
    let Outcome::Completed(result) = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(result.to_json(), json!({"sum": 285}));
    let events = env.host().history(&run.run_id).unwrap();
    assert_replays(env.host(), "fanout", &events);
    env.now_ms() - started
}

async fn fanout_under(builder: impl FnOnce(TestEnvBuilder) -> TestEnvBuilder) -> (usize, u64) {
    let overlap = Arc::new(Overlap::default());
    let env = builder(test_env().activities(squares(overlap.clone())))
        .start()
        .await
        .unwrap();
    let took = fanout10(&env).await;
    (overlap.most.load(Ordering::SeqCst), took)
}

#[tokio::test]
async fn a_host_runs_at_most_its_limit_of_activities_at_once() {
    // Unlimited: all ten at once, one second in all.
    let (most, took) = fanout_under(|b| b).await;
    assert_eq!(most, 10);
    assert_eq!(took, 1_000);
    // Three at a time: four rounds.
    let (most, took) = fanout_under(|b| b.max_concurrent_activities(3)).await;
    assert_eq!(most, 3);
    assert_eq!(took, 4_000);
    // The default queue limited to two, the host to five: the queue's limit holds.
    let (most, took) = fanout_under(|b| {
        b.max_concurrent_activities(5)
            .task_queue("default", Some(2))
    })
    .await;
    assert_eq!(most, 2);
    assert_eq!(took, 5_000);
}

#[tokio::test]
async fn a_rate_limit_spaces_the_starts_of_a_queues_attempts() {
    // Two at once, then one every 500 ms, whatever the concurrency.
    let clock: Arc<OnceLock<Clock>> = Arc::default();
    let starts = Arc::new(Mutex::new(Vec::new()));
    let mut registry = ActivityRegistry::new();
    let (c, s) = (clock.clone(), starts.clone());
    registry.register_fn("square", move |_ctx, n: u64| {
        s.lock().unwrap().push(c.get().unwrap().now_ms());
        async move { Ok::<_, ActivityError>(n * n) }
    });
    let env = test_env()
        .rate("default=2/s")
        .activities(registry)
        .start()
        .await
        .unwrap();
    clock.set(env.host().clock().clone()).unwrap();
    let began = env.now_ms();
    fanout10(&env).await;
    let starts: Vec<u64> = starts.lock().unwrap().iter().map(|t| t - began).collect();
    assert_eq!(
        starts,
        [0, 0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000]
    );
    // Another queue's rate holds back nothing of the default queue.
    let (most, took) = fanout_under(|b| b.task_queue("mail", None).rate("mail=1/h")).await;
    assert_eq!((most, took), (10, 1_000));
}
