//! The `dsl` example (`guest-examples/dsl`) on the test environment with the example
//! host's activities: definitions of each kind of step (activity, parallel, conditional,
//! loop), results passed between steps by name, step timeouts and retry policies, and
//! steps that fail. Every run's history replays.

use crate::support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use support::*;
use weft_host::history::{Event, Failure, Outcome};
use weft_host::testing::TestEnv;
use weft_host::ActivityError;

/// The example activities, `charge` that always declines, and `flaky` that fails its
/// first two calls.
async fn env() -> TestEnv {
    let calls = Arc::new(AtomicU32::new(0));
    let builder = test_env()
        .activities(activities())
        .mock_activity("charge", |card: String| -> Result<String, _> {
            Err(
                ActivityError::non_retryable(format!("card {card} declined"))
                    .with_type("CardDeclined"),
            )
        })
        .mock_activity("flaky", move |n: u64| {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(ActivityError::retryable("busy, try again")),
                _ => Ok(n + 1),
            }
        });
    features::deployed(builder, "dsl").await
}

fn activity(name: &str, activity: &str, input: Value) -> Value {
    json!({"kind": "activity", "name": name, "activity": activity, "input": input})
}

/// Runs `definition` as workflow id `id` to its end; how it ended and its history.
async fn run(env: &TestEnv, id: &str, definition: Value) -> (Outcome, Vec<Event>) {
    let run = features::start(env, "dsl", id, definition).await;
    let outcome = features::finish_with(env, &run, "dsl").await;
    (outcome, env.host().history(&run.run_id).unwrap())
}

fn failed(outcome: Outcome) -> Failure {
    match outcome {
        Outcome::Failed(failure) => failure,
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// The activities the run scheduled, per workflow task: `name(input)`.
fn scheduled_per_task(events: &[Event]) -> Vec<Vec<String>> {
    let tasks = features::scheduled_per_task(events);
    let calls = tasks.into_iter().map(|task| {
        task.into_iter()
            .map(|(name, input)| format!("{name}({input})"))
    });
    calls.map(Iterator::collect).collect()
}

#[tokio::test]
async fn activity_steps_pass_their_results_by_name() {
    let env = env().await;
    let definition = json!({"input": "abc", "result": "greeting", "steps": [
        activity("upper", "to_upper", json!({"ref": "input"})),
        activity("reversed", "reverse", json!({"ref": "upper"})),
        activity("greeting", "greet", json!({"ref": "reversed"})),
    ]});
    let (outcome, events) = run(&env, "dsl-activity", definition).await;
    assert_eq!(completed(&outcome), json!("Hello, CBA!"));
    let calls = scheduled_per_task(&events).concat();
    assert_eq!(
        calls,
        [r#"to_upper("abc")"#, r#"reverse("ABC")"#, r#"greet("CBA")"#]
    );
}

/// The definition the crate's documentation shows, one step of each kind.
#[tokio::test]
async fn the_documented_definition_runs() {
    let env = env().await;
    let path = repo_root().join("guest-examples/dsl/example.json");
    let definition: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let (outcome, events) = run(&env, "dsl-example", definition).await;
    assert_eq!(completed(&outcome), json!("Hello, ABC!"));
    let tasks = scheduled_per_task(&events);
    assert_eq!(
        tasks.concat(),
        [
            r#"to_upper("abc")"#,
            r#"reverse("ABC")"#,
            r#"greet("ABC")"#,
            r#"greet("yes")"#,
            "square(0)",
            "square(1)",
            "square(2)"
        ]
    );
    assert_eq!(tasks[1], [r#"reverse("ABC")"#, r#"greet("ABC")"#]);
}

#[tokio::test]
async fn parallel_branches_start_together_and_merge_their_variables() {
    let env = env().await;
    let definition = json!({"input": 3, "steps": [{"kind": "parallel", "branches": [
        [activity("a", "square", json!({"ref": "input"}))],
        [activity("b", "square", json!(4)), activity("c", "square", json!({"ref": "b"}))],
    ]}]});
    let (outcome, events) = run(&env, "dsl-parallel", definition).await;
    assert_eq!(
        completed(&outcome),
        json!({"input": 3, "a": 9, "b": 16, "c": 256})
    );
    assert_eq!(scheduled_per_task(&events)[0], ["square(3)", "square(4)"]);
}

#[tokio::test]
async fn a_conditional_runs_the_arm_its_condition_picks() {
    let env = env().await;
    for (input, expected) in [(50, "to_upper(\"big\")"), (5, "reverse(\"small\")")] {
        let definition = json!({"input": input, "steps": [{"kind": "conditional",
            "if": {"ref": "input", "greater_than": 10},
            "then": [activity("size", "to_upper", json!("big"))],
            "else": [activity("size", "reverse", json!("small"))],
        }]});
        let (outcome, events) = run(&env, &format!("dsl-conditional-{input}"), definition).await;
        assert!(completed(&outcome)["size"].is_string());
        assert_eq!(scheduled_per_task(&events).concat(), [expected]);
    }
}

#[tokio::test]
async fn a_loop_repeats_while_its_condition_holds_and_stops_at_its_limit() {
    let env = env().await;
    let squaring = |max_iterations: u32| {
        json!({"input": 2, "result": "n", "steps": [
            {"kind": "activity", "name": "n", "activity": "square", "input": {"ref": "input"}},
            {"kind": "loop", "name": "grow", "while": {"ref": "n", "less_than": 100},
             "max_iterations": max_iterations,
             "steps": [activity("n", "square", json!({"ref": "n"}))]}
        ]})
    };
    let (outcome, events) = run(&env, "dsl-loop", squaring(10)).await;
    assert_eq!(completed(&outcome), json!(256), "2² = 4, then 16, then 256");
    assert_eq!(scheduled_per_task(&events).concat().len(), 3);

    let (outcome, _) = run(&env, "dsl-loop-limit", squaring(1)).await;
    let failure = failed(outcome);
    assert_eq!(failure.error_type, "LoopLimit");
    assert_eq!(
        failure.message,
        "step `grow`: still running after 1 iterations"
    );
}

#[tokio::test]
async fn a_failing_step_fails_the_run_naming_where_it_sits() {
    let env = env().await;
    let definition = json!({"input": "4000-0002", "steps": [
        {"kind": "parallel", "name": "pay", "branches": [
            [activity("receipt", "greet", json!("Ada"))],
            [activity("payment", "charge", json!({"ref": "input"}))],
        ]},
        activity("after", "greet", json!("never")),
    ]});
    let (outcome, events) = run(&env, "dsl-failing", definition).await;
    let failure = failed(outcome);
    assert_eq!(failure.error_type, "CardDeclined");
    assert!(
        failure
            .message
            .starts_with("step `pay`: branch 2: step `payment`: activity `charge` failed"),
        "{}",
        failure.message
    );
    assert!(failure.message.contains("card 4000-0002 declined"));
    let calls = scheduled_per_task(&events).concat();
    assert!(
        !calls.contains(&r#"greet("never")"#.to_owned()),
        "{calls:?}"
    );
}

#[tokio::test]
async fn step_policies_retry_an_activity_and_time_out_a_step() {
    let env = env().await;
    let retried = json!({"result": "n", "steps": [{
        "kind": "activity", "name": "n", "activity": "flaky", "input": 41,
        "timeout_s": 5, "retry": {"maximum_attempts": 3, "initial_interval_s": 2}
    }]});
    let (outcome, events) = run(&env, "dsl-retry", retried).await;
    assert_eq!(completed(&outcome), json!(42));
    let retries = events
        .iter()
        .filter(|e| matches!(e, Event::ActivityAttemptFailed { .. }))
        .count();
    assert_eq!(retries, 2);

    // An hour's nap in a step bounded to a minute: the step's timer fires first.
    let slow = json!({"steps": [{
        "kind": "parallel", "name": "slow", "timeout_s": 60,
        "branches": [[{"kind": "activity", "activity": "nap", "input": 3_600_000, "timeout_s": 7200}]]
    }]});
    let (outcome, _) = run(&env, "dsl-timeout", slow).await;
    let failure = failed(outcome);
    assert_eq!(failure.error_type, "StepTimeout");
    assert_eq!(failure.message, "step `slow`: timed out after 60 s");
}
