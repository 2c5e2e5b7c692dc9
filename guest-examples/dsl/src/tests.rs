//! The interpreter on the SDK's native harness: the test plays the activities and the
//! timers. `tests/dsl.rs` runs definitions of every kind on a real host.

use super::*;
use serde_json::json;
use weft_sdk::testing::{self, Harness};
use weft_sdk::wit::{Command, IssuedCommand};

/// What the commands start: `activity name(input)` or `timer <ms>`, in order.
fn issued(commands: &[IssuedCommand]) -> Vec<String> {
    commands
        .iter()
        .filter_map(|issued| match &issued.command {
            Command::ScheduleActivity(s) => Some(format!(
                "{}({})",
                s.activity_type,
                String::from_utf8_lossy(&s.input.data)
            )),
            Command::StartTimer(t) => Some(format!("timer {}", t.duration_ms)),
            _ => None,
        })
        .collect()
}

fn activity(name: &str, activity: &str, input: Value) -> Value {
    json!({"kind": "activity", "name": name, "activity": activity, "input": input})
}

fn started(definition: Value) -> (Harness, Vec<IssuedCommand>) {
    let mut harness = Harness::new::<dsl>();
    let commands = harness.start(&definition).unwrap();
    (harness, commands)
}

#[test]
fn an_activity_step_carries_its_timeout_and_retry_policy() {
    let mut step = activity("up", "to_upper", json!({"ref": "input"}));
    step["timeout_s"] = json!(7);
    step["retry"] = json!({"maximum_attempts": 4, "non_retryable_error_types": ["Bad"]});
    let (_, commands) = started(json!({"input": "abc", "steps": [step]}));
    let Command::ScheduleActivity(schedule) = &commands[0].command else {
        panic!("{commands:?}");
    };
    assert_eq!(schedule.input.data, br#""abc""#);
    assert_eq!(schedule.options.start_to_close_timeout_ms, 7000);
    let policy = schedule.options.retry_policy.as_ref().unwrap();
    assert_eq!(policy.maximum_attempts, 4);
    assert_eq!(policy.non_retryable_error_types, ["Bad"]);
}

#[test]
fn branches_start_at_once_and_their_results_merge() {
    let (mut harness, commands) = started(json!({
        "input": 3,
        "steps": [{"kind": "parallel", "branches": [
            [activity("a", "square", json!({"ref": "input"}))],
            [activity("b", "square", json!(4)), activity("c", "square", json!({"ref": "b"}))]
        ]}]
    }));
    assert_eq!(issued(&commands), ["square(3)", "square(4)"]);
    let commands = harness
        .activate(vec![testing::complete_activity(2, &16)])
        .unwrap();
    assert_eq!(issued(&commands), ["square(16)"]);
    let done = harness
        .activate(vec![
            testing::complete_activity(1, &9),
            testing::complete_activity(3, &256),
        ])
        .unwrap();
    assert_eq!(
        testing::completed::<Value>(&done),
        Some(json!({"input": 3, "a": 9, "b": 16, "c": 256}))
    );
}

#[test]
fn a_step_timeout_fires_on_a_durable_timer_and_cancels_the_step() {
    let (mut harness, commands) = started(json!({"steps": [{
        "kind": "parallel", "name": "slow", "timeout_s": 5,
        "branches": [[activity("nap", "nap", json!(60_000))]]
    }]}));
    assert_eq!(issued(&commands), ["timer 5000", "nap(60000)"]);
    let done = harness.activate(vec![testing::fire_timer(1)]).unwrap();
    assert!(done
        .iter()
        .any(|c| matches!(c.command, Command::RequestCancelActivity(1))));
    let failure = testing::failed(&done).expect("the run fails");
    assert_eq!(failure.error_type, STEP_TIMEOUT);
    assert_eq!(failure.message, "step `slow`: timed out after 5 s");
}

#[test]
fn a_retried_step_runs_again_after_its_backoff() {
    let (mut harness, commands) = started(json!({"steps": [{
        "kind": "loop", "times": 1, "retry": {"maximum_attempts": 2, "initial_interval_s": 3},
        "steps": [activity("x", "flaky", json!(1))]
    }]}));
    assert_eq!(issued(&commands), ["flaky(1)"]);
    let commands = harness
        .activate(vec![testing::fail_activity(1, "not yet", "Busy")])
        .unwrap();
    assert_eq!(issued(&commands), ["timer 3000"]);
    let commands = harness.activate(vec![testing::fire_timer(1)]).unwrap();
    assert_eq!(issued(&commands), ["flaky(1)"]);
    let done = harness
        .activate(vec![testing::complete_activity(2, &"ok")])
        .unwrap();
    assert_eq!(
        testing::completed::<Value>(&done).unwrap()["x"],
        json!("ok")
    );
}

#[test]
fn a_reference_to_no_variable_fails_the_step_that_makes_it() {
    let (_, done) = started(json!({"steps": [activity("x", "square", json!({"ref": "nope"}))]}));
    let failure = testing::failed(&done).expect("the run fails");
    assert_eq!(failure.error_type, INVALID_DEFINITION);
    assert_eq!(
        failure.message,
        "step `x`: no variable `nope` (there are: input)"
    );
}
