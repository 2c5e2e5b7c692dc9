//! An operator's acts on one activity (`weft activity pause | unpause | reset |
//! update-options`): an activity paused while a fake downstream is down and unpaused
//! once it is back completes without burning its attempts; raising the maximum attempts
//! of an activity about to exhaust them lets it succeed; a reset starts the attempts
//! from 1. On a clock that moves only when the test skips it; the operator's test runs
//! the CLI against a server in this process, whose clock the test holds.

use crate::support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use support::features::{deployed, finish, reopened, start};
use support::in_process::InProcess;
use support::poll;
use support::server::{fails_with, ok};
use weft_host::history::Event;
use weft_host::runtime::{
    ActivityAction, ActivityRef, OptionsUpdate, Steer, SteerAction, SteerError,
};
use weft_host::testing::TestEnv;
use weft_host::{ActivityError, ActivityRegistry, Host, HostConfig};

/// A downstream the activity `flaky` calls: down until the test brings it back. Each
/// attempt number `flaky` ran with is kept.
#[derive(Clone, Default)]
struct Downstream {
    up: Arc<AtomicBool>,
    attempts: Arc<Mutex<Vec<u32>>>,
}

impl Downstream {
    fn register(&self, registry: &mut ActivityRegistry) {
        let this = self.clone();
        registry.register_fn("flaky", move |ctx, (): ()| {
            let this = this.clone();
            async move {
                this.attempts.lock().unwrap().push(ctx.attempt);
                match this.up.load(Ordering::SeqCst) {
                    true => Ok(6i64),
                    false => Err(ActivityError::retryable("the downstream is down")),
                }
            }
        });
    }

    fn attempts(&self) -> Vec<u32> {
        self.attempts.lock().unwrap().clone()
    }
}

async fn env(downstream: &Downstream) -> TestEnv {
    deployed(builder(downstream), "messages").await
}

/// An environment builder on a clock that moves only when the test skips it, with
/// `downstream`'s activity.
fn builder(downstream: &Downstream) -> weft_host::testing::TestEnvBuilder {
    let mut registry = ActivityRegistry::new();
    downstream.register(&mut registry);
    TestEnv::builder().manual_time().activities(registry)
}

fn act(which: ActivityRef, action: ActivityAction) -> Steer {
    Steer {
        action: SteerAction::Activity(which, action),
        reason: "the downstream is down".into(),
        identity: "ops".into(),
    }
}

/// Wait until `id`'s history has `n` failed attempts of its activity.
async fn until_failed(host: &Host, run_id: &str, n: usize) {
    poll::until_seen_async(&format!("{n} failed attempts"), || async {
        let events = host.history(run_id).unwrap();
        let failed = (events.iter())
            .filter(|e| matches!(e, Event::ActivityAttemptFailed { .. }))
            .count();
        if failed >= n {
            Ok(())
        } else {
            Err(failed)
        }
    })
    .await
}

/// Start `pausable` with activity `flaky` at most `max_attempts` times, and bring it to
/// its first failed attempt (waiting out its backoff).
async fn first_failure(env: &TestEnv, id: &str, max_attempts: u32) -> weft_host::RunHandle {
    let input = json!({"seconds": 1, "activity": "flaky", "max_attempts": max_attempts});
    let run = start(env, "pausable", id, input).await;
    env.signal(id, "step", json!("a")).await.unwrap();
    poll::until_async("the sleep armed", || async {
        let described = env.host().describe(id).await.unwrap();
        (!described.waiting.timers.is_empty()).then_some(())
    })
    .await;
    env.skip(Duration::from_secs(1));
    until_failed(env.host(), &run.run_id, 1).await;
    run
}

#[tokio::test]
async fn a_paused_activity_waits_out_the_outage_without_burning_attempts() {
    let downstream = Downstream::default();
    let env = env(&downstream).await;
    let host = env.host();
    let run = first_failure(&env, "flaky-1", 3).await;

    let paused = host
        .steer(
            "flaky-1",
            act(ActivityRef::Type("flaky".into()), ActivityAction::Pause),
        )
        .await
        .unwrap();
    let seq = paused.seq.unwrap();
    let again = host
        .steer("flaky-1", act(ActivityRef::Seq(seq), ActivityAction::Pause))
        .await
        .unwrap_err();
    assert!(
        matches!(&again, SteerError::Activity(m) if m.contains("already paused")),
        "{again}"
    );
    let described = host.describe("flaky-1").await.unwrap();
    assert!(described.waiting.activities[0].paused, "{described:?}");

    // An hour of outage: no attempt starts (three would have exhausted it).
    env.skip(Duration::from_secs(3600));
    assert_eq!(downstream.attempts(), vec![1]);
    downstream.up.store(true, Ordering::SeqCst);
    host.steer(
        "flaky-1",
        act(ActivityRef::Seq(seq), ActivityAction::Unpause),
    )
    .await
    .unwrap();
    poll::until_async("the activity's result", || async {
        let log = env
            .query::<Vec<String>>("flaky-1", "log", json!(null))
            .await
            .unwrap();
        log.contains(&"flaky=6".to_string()).then_some(())
    })
    .await;
    env.signal("flaky-1", "finish", json!(null)).await.unwrap();
    finish(&env, &run).await;
    assert_eq!(downstream.attempts(), vec![1, 2]);
    let events = host.history(&run.run_id).unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.name()).collect();
    assert!(
        names.contains(&"activity-paused") && names.contains(&"activity-unpaused"),
        "{names:?}"
    );
    let missing = host
        .steer("flaky-1", act(ActivityRef::Seq(seq), ActivityAction::Reset))
        .await
        .unwrap_err();
    assert!(matches!(missing, SteerError::Message(_)), "{missing}");
}

/// A host that opens on a run with a paused activity leaves it paused: the act is in
/// the history.
#[tokio::test]
async fn a_paused_activity_stays_paused_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let downstream = Downstream::default();
    let first = deployed(builder(&downstream).data_dir(dir.path()), "messages").await;
    let run = first_failure(&first, "flaky-4", 3).await;
    let pause = act(ActivityRef::Type("flaky".into()), ActivityAction::Pause);
    first.host().steer("flaky-4", pause).await.unwrap();
    drop(first);

    let env = reopened(|| builder(&downstream).data_dir(dir.path())).await;
    let host = env.host();
    assert!(host.describe("flaky-4").await.unwrap().waiting.activities[0].paused);
    env.skip(Duration::from_secs(3600));
    assert_eq!(downstream.attempts(), vec![1]);
    downstream.up.store(true, Ordering::SeqCst);
    let unpause = act(ActivityRef::Type("flaky".into()), ActivityAction::Unpause);
    host.steer("flaky-4", unpause).await.unwrap();
    poll::until_async("the activity's result", || async {
        let log = env
            .query::<Vec<String>>("flaky-4", "log", json!(null))
            .await
            .unwrap();
        log.contains(&"flaky=6".to_string()).then_some(())
    })
    .await;
    env.signal("flaky-4", "finish", json!(null)).await.unwrap();
    finish(&env, &run).await;
    assert_eq!(downstream.attempts(), vec![1, 2]);
}

#[tokio::test]
async fn more_attempts_and_a_reset_keep_an_activity_going() {
    let downstream = Downstream::default();
    let env = env(&downstream).await;
    let host = env.host();
    // Two attempts in all: the second failure would end it.
    let run = first_failure(&env, "flaky-2", 2).await;
    let more = OptionsUpdate {
        maximum_attempts: Some(5),
        initial_interval_ms: Some(2_000),
        ..OptionsUpdate::default()
    };
    let which = || ActivityRef::Type("flaky".into());
    host.steer("flaky-2", act(which(), ActivityAction::UpdateOptions(more)))
        .await
        .unwrap();
    // Attempt 2 fails and is retried: the new policy is in force.
    env.skip(Duration::from_secs(1));
    until_failed(host, &run.run_id, 2).await;
    let described = host.describe("flaky-2").await.unwrap();
    let activity = &described.waiting.activities[0];
    assert_eq!(activity.next_attempt, 3, "{activity:?}");
    let policy = activity.schedule.options.retry_policy.clone().unwrap();
    assert_eq!(policy.maximum_attempts, 5);

    // A reset starts again from attempt 1, at once.
    downstream.up.store(true, Ordering::SeqCst);
    host.steer("flaky-2", act(which(), ActivityAction::Reset))
        .await
        .unwrap();
    poll::until_async("the activity's result", || async {
        let log = env
            .query::<Vec<String>>("flaky-2", "log", json!(null))
            .await
            .unwrap();
        log.contains(&"flaky=6".to_string()).then_some(())
    })
    .await;
    assert_eq!(downstream.attempts(), vec![1, 2, 1]);
    env.signal("flaky-2", "finish", json!(null)).await.unwrap();
    finish(&env, &run).await;
    let events = host.history(&run.run_id).unwrap();
    assert!(events.iter().any(|e| matches!(e,
        Event::ActivityOptionsUpdated { options, .. }
            if options.retry_policy.as_ref().is_some_and(|p| p.maximum_attempts == 5))));
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::ActivityReset { .. })));
}

/// The operator's view: deploy, start, and on the activity's first failure pause it
/// with the CLI; describe shows it paused; an hour passes with no attempt; new options
/// are recorded while it is parked; unpaused once the downstream is back, it completes;
/// `history show` has each act with who and why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_operations_with_the_cli() {
    let downstream = Downstream::default();
    let mut registry = ActivityRegistry::new();
    downstream.register(&mut registry);
    let config = HostConfig::in_memory();
    let server = InProcess::start(config, registry, 1_800_000_000_000).await;
    let component = support::component("messages");
    ok(server
        .cli(&["deploy", component.to_str().unwrap(), "--name", "messages"])
        .await);
    let input = r#"{"seconds": 1, "activity": "flaky", "max_attempts": 3}"#;
    ok(server
        .cli(&["start", "pausable", "--input", input, "--id", "flaky-3"])
        .await);
    ok(server
        .cli(&["signal", "flaky-3", "step", "--input", r#""a""#])
        .await);
    poll::until_async("the sleep armed", || async {
        let d = server.describe("flaky-3").await;
        (!d["pending_timers"].as_array().unwrap().is_empty()).then_some(())
    })
    .await;
    server.clock.skip(Duration::from_secs(1));
    poll::until_async("the first failure", || async {
        let d = server.describe("flaky-3").await;
        d["pending_activities"][0]["next_attempt_ms"]
            .as_u64()
            .map(drop)
    })
    .await;

    let args = [
        "--activity",
        "flaky",
        "--reason",
        "payments API down",
        "--identity",
        "bob",
    ];
    let paused = ok(server
        .cli(&[&["activity", "pause", "flaky-3", "--json"][..], &args].concat())
        .await);
    let paused: Value = serde_json::from_str(&paused).unwrap();
    let seq = paused["seq"].as_u64().unwrap().to_string();
    let described = ok(server.cli(&["describe", "flaky-3"]).await);
    let row = described.lines().find(|l| l.contains(" flaky ")).unwrap();
    assert!(row.contains("paused"), "{described}");
    let again = fails_with(
        server
            .cli(&[&["activity", "pause", "flaky-3"][..], &args].concat())
            .await,
        5,
    );
    assert!(again.contains("already paused"), "{again}");
    let unknown = fails_with(
        server
            .cli(&["activity", "reset", "flaky-3", "--activity", "nope"])
            .await,
        4,
    );
    assert!(unknown.contains("no pending activity `nope`"), "{unknown}");
    let bad = server
        .cli(&["activity", "update-options", "flaky-3", "--activity", &seq])
        .await;
    assert_eq!(bad.status.code(), Some(5), "{bad:?}");

    server.clock.skip(Duration::from_secs(3600));
    assert_eq!(downstream.attempts(), vec![1]);
    let options = [
        "--max-attempts",
        "10",
        "--initial-interval",
        "2s",
        "--start-to-close",
        "20s",
    ];
    ok(server
        .cli(
            &[
                &["activity", "update-options", "flaky-3", "--activity", &seq][..],
                &options,
            ]
            .concat(),
        )
        .await);
    downstream.up.store(true, Ordering::SeqCst);
    ok(server
        .cli(&[
            "activity",
            "unpause",
            "flaky-3",
            "--activity",
            &seq,
            "--reason",
            "back",
        ])
        .await);
    ok(server.cli(&["signal", "flaky-3", "finish"]).await);
    let result = ok(server.cli(&["result", "flaky-3"]).await);
    assert!(result.contains("flaky=6"), "{result}");
    assert_eq!(downstream.attempts(), vec![1, 2]);

    let history = ok(server.cli(&["history", "show", "flaky-3"]).await);
    for want in [
        "activity-paused",
        "by bob at",
        "payments API down",
        "activity-options-updated",
        "at most 10 attempts",
        "activity-unpaused",
    ] {
        assert!(history.contains(want), "{want} missing from\n{history}");
    }
    server.assert_replays("flaky-3", "messages").await;
}
