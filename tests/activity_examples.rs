//! The activity examples (`polling-frequent`, `polling-infrequent`, `exceptions`,
//! `dynamic-activities`) run end to end on the time-skipping test environment, with the
//! example activities of the `weft` binary; every recorded history replays.

use crate::support;

use serde_json::json;
use support::*;
use weft_host::history::{Event, Failure, Outcome};
use weft_host::testing::TestEnv;
use weft_host::ActivityRegistry;

/// Deploy `name` on `env`, run it with `input`, check that its history replays.
async fn run(env: &TestEnv, name: &str, input: serde_json::Value) -> (Outcome, Vec<Event>) {
    env.deploy(component_bytes(name), name).await.unwrap();
    let (run, outcome) = env.execute(name, input).await.unwrap();
    let events = env.host().history(&run.run_id).unwrap();
    assert_replays(env.host(), name, &events);
    (outcome, events)
}

async fn env_with(registry: ActivityRegistry) -> TestEnv {
    test_env().activities(registry).start().await.unwrap()
}

/// The failed attempts of activity `seq`: `(attempt, failure, retry_at_ms)`.
fn failed_attempts(events: &[Event], seq: u32) -> Vec<(u32, Failure, u64)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ActivityAttemptFailed {
                seq: s,
                attempt,
                failure,
                retry_at_ms,
            } if *s == seq => Some((*attempt, failure.clone(), *retry_at_ms)),
            _ => None,
        })
        .collect()
}

fn failed(outcome: &Outcome) -> &Failure {
    match outcome {
        Outcome::Failed(f) => f,
        other => panic!("expected a failed run, got {other:?}"),
    }
}

/// Five polls a second apart in one attempt; the heartbeats that were recorded carry
/// the poll count, the last one the final count.
#[tokio::test]
async fn polling_frequent_heartbeats_every_poll() {
    let env = env_with(activities()).await;
    let start = env.now_ms();
    let (outcome, events) = run(&env, "polling-frequent", json!({"ready_after": 5})).await;
    assert_eq!(
        completed(&outcome),
        json!({"polls": 5, "resumed_from": 0, "attempt": 1})
    );
    // Four one-second waits between the five polls, on the virtual clock.
    assert!(env.now_ms() - start >= 4_000);
    let beats: Vec<(u64, u64)> = events
        .iter()
        .filter_map(|e| match e {
            Event::ActivityHeartbeat {
                seq: 1,
                details: Some(d),
                time_ms,
                ..
            } => Some((d.to_json().as_u64().unwrap(), *time_ms)),
            _ => None,
        })
        .collect();
    // Throttled to one per 4 s (80% of the 5 s heartbeat timeout): the first poll's,
    // then the fifth's.
    assert_eq!(
        beats.iter().map(|b| b.0).collect::<Vec<_>>(),
        [1, 5],
        "{beats:?}"
    );
    assert_eq!(beats[1].1 - beats[0].1, 4_000);
    assert!(failed_attempts(&events, 1).is_empty());
}

/// Three failed polls, each retried 60 s after the one before (coefficient 1), then the
/// fourth attempt sees the status ready; on the virtual clock, so no real minute passes.
#[tokio::test]
async fn polling_infrequent_retries_a_minute_apart() {
    let env = env_with(activities()).await;
    let start = env.now_ms();
    let (outcome, events) = run(&env, "polling-infrequent", json!(4)).await;
    assert_eq!(completed(&outcome), json!(4));
    let failures = failed_attempts(&events, 1);
    assert_eq!(
        failures.iter().map(|f| f.0).collect::<Vec<_>>(),
        [1, 2, 3],
        "{failures:?}"
    );
    for (attempt, failure, _) in &failures {
        assert_eq!(failure.error_type, "NotReady");
        assert_eq!(
            failure.message,
            format!("not ready yet (attempt {attempt} of 4)")
        );
    }
    let retry_at: Vec<u64> = failures.iter().map(|f| f.2).collect();
    assert!(retry_at[0] - start >= 60_000, "{retry_at:?}");
    for pair in retry_at.windows(2) {
        assert_eq!(pair[1] - pair[0], 60_000, "{retry_at:?}");
    }
    assert!(env.now_ms() - start >= 180_000);
}

/// A good card is charged. A flaky gateway is retried twice (`GatewayTimeout`), and the
/// third attempt's `CardDeclined`, listed as non-retryable, stops the retries there
/// (the policy would allow 5); the run fails as `PaymentFailed` with the whole chain.
#[tokio::test]
async fn exceptions_stop_retrying_at_the_non_retryable_type() {
    let env = env_with(activities()).await;
    let order = |card: &str| json!({"id": "order-7", "card": card, "amount_cents": 1999});
    let (outcome, _) = run(&env, "exceptions", order("4242-4242-4242-4242")).await;
    assert_eq!(completed(&outcome), json!("pay-4242-1999"));

    let (outcome, events) = run(
        &env,
        "exceptions",
        order(example_activities::FLAKY_DECLINED_CARD),
    )
    .await;
    let failure = failed(&outcome);
    assert_eq!(failure.error_type, "PaymentFailed");
    assert_eq!(
        failure.message,
        "order order-7 was not charged: activity `charge_card` failed (CardDeclined): \
         card ending 0119 declined for 1999 cents: insufficient funds"
    );
    let details = failure.details.as_ref().map(|d| d.to_json());
    assert_eq!(
        details,
        Some(json!({"last4": "0119", "reason": "insufficient funds"}))
    );
    let failures = failed_attempts(&events, 1);
    let types: Vec<&str> = failures.iter().map(|f| f.1.error_type.as_str()).collect();
    assert_eq!(types, ["GatewayTimeout", "GatewayTimeout"], "{failures:?}");
    let attempts = attempts_of(&events, "charge_card");
    assert_eq!(attempts, 3);

    // Declined at once: one attempt, no retry.
    let (outcome, events) = run(&env, "exceptions", order(example_activities::DECLINED_CARD)).await;
    assert!(failed(&outcome).message.contains("(CardDeclined)"));
    assert!(failed_attempts(&events, 1).is_empty());
}

/// Attempts of the run's activity `activity_type` (one scheduled): the failed ones
/// recorded, plus the last that resolved it.
fn attempts_of(events: &[Event], activity_type: &str) -> usize {
    let scheduled = events
        .iter()
        .filter(|e| match e {
            Event::Command(c) => matches!(
                &c.command,
                weft_host::contract::Command::ScheduleActivity(s) if s.activity_type == activity_type
            ),
            _ => false,
        })
        .count();
    assert_eq!(scheduled, 1);
    failed_attempts(events, 1).len() + 1
}

/// `weft run` shows the failure's type and its cause chain, and exits 3.
#[test]
fn exceptions_show_their_cause_in_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let input =
        json!({"id": "order-8", "card": example_activities::DECLINED_CARD, "amount_cents": 500});
    let out = weft()
        .env("WEFT_VIRTUAL_CLOCK", "1")
        .args(["run", "--data"])
        .arg(dir.path().join("data"))
        .arg(component("exceptions"))
        .args(["exceptions", "--input", &input.to_string()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(
            "workflow failed (PaymentFailed): order order-8 was not charged: activity \
             `charge_card` failed (CardDeclined): card ending 0002 declined"
        ),
        "{stderr}"
    );
}

fn dynamic_calls() -> serde_json::Value {
    json!({"calls": [
        {"activity": "text.upper", "input": "hello"},
        {"activity": "text.reverse", "input": "abc"},
        {"activity": "word_count", "input": "one two three"},
        {"activity": "text.shout", "input": "hi"},
    ]})
}

/// Names from the input: the `text.*` ones reach the dynamic handler, `word_count` the
/// activity registered after the host started, and a name nobody serves fails once,
/// non-retryably, saying what to do.
#[tokio::test]
async fn dynamic_activities_reach_the_fallback_and_a_late_registration() {
    let mut registry = activities();
    example_activities::register_dynamic(&mut registry);
    let env = env_with(registry.clone()).await;
    // The host runs; the registry it shares takes one more activity.
    registry.register(
        example_activities_api::WordCount,
        example_activities::word_count,
    );
    let (outcome, events) = run(&env, "dynamic-activities", dynamic_calls()).await;
    let steps = completed(&outcome);
    assert_eq!(
        steps[0],
        json!({"activity": "text.upper", "result": "HELLO"})
    );
    assert_eq!(
        steps[1],
        json!({"activity": "text.reverse", "result": "cba"})
    );
    assert_eq!(steps[2], json!({"activity": "word_count", "result": 3}));
    assert_eq!(steps[3]["error_type"], json!("weft.UnknownActivity"));
    let message = steps[3]["error"].as_str().unwrap();
    assert!(
        message.contains("no activity named `text.shout`")
            && message.contains("text.upper, text.lower, text.reverse"),
        "{message}"
    );
    for seq in 1..=4 {
        assert!(failed_attempts(&events, seq).is_empty());
    }
}

/// Without a dynamic handler, an unregistered name fails at once with the host's own
/// message (`weft.UnknownActivity`, not retried), and the run goes on.
#[tokio::test]
async fn dynamic_activities_without_a_fallback_fail_clearly() {
    let env = env_with(activities()).await;
    let (outcome, events) = run(&env, "dynamic-activities", dynamic_calls()).await;
    let steps = completed(&outcome);
    for (i, name) in ["text.upper", "text.reverse", "word_count", "text.shout"]
        .iter()
        .enumerate()
    {
        assert_eq!(
            steps[i]["error_type"],
            json!("weft.UnknownActivity"),
            "{steps}"
        );
        let message = steps[i]["error"].as_str().unwrap();
        assert!(
            message.contains(&format!("no activity named `{name}` is registered"))
                && message.contains("register_dynamic"),
            "{message}"
        );
        assert!(failed_attempts(&events, i as u32 + 1).is_empty());
    }
}
