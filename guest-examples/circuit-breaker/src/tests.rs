//! The breaker on the SDK's native harness: the test plays the downstream, failing or
//! answering each call, and moves the workflow clock by hand.

use super::*;
use serde_json::json;
use weft_sdk::testing::{self, Harness};
use weft_sdk::wit::{Command, Failure, IssuedCommand};

const OPEN_MS: u64 = 30_000;

fn config() -> BreakerConfig {
    BreakerConfig {
        activity: "inventory".to_owned(),
        ..BreakerConfig::default()
    }
}

fn started_with(config: &BreakerConfig) -> (Harness, Vec<IssuedCommand>) {
    let mut harness = Harness::new::<Breaker>();
    let commands = harness.start(config).unwrap();
    (harness, commands)
}

fn started() -> Harness {
    let (harness, commands) = started_with(&config());
    assert!(commands.is_empty());
    harness
}

/// The seqs of the activities and timers the commands start.
fn scheduled(commands: &[IssuedCommand]) -> (Vec<u32>, Vec<(u32, u64)>) {
    let (mut activities, mut timers) = (Vec::new(), Vec::new());
    for issued in commands {
        match &issued.command {
            Command::ScheduleActivity(s) => {
                assert_eq!(s.activity_type, "inventory");
                assert_eq!(s.options.retry_policy.as_ref().unwrap().maximum_attempts, 1);
                activities.push(s.seq);
            }
            Command::StartTimer(t) => timers.push((t.seq, t.duration_ms)),
            _ => {}
        }
    }
    (activities, timers)
}

/// Sends call `id`, which must be accepted and scheduled as activity `seq`, and resolves
/// it as the downstream does: `Ok` answers, `Err` fails. The commands of the resolution.
fn call(
    harness: &mut Harness,
    id: &str,
    seq: u32,
    answer: Result<u64, &str>,
) -> Vec<IssuedCommand> {
    let commands = harness.update(id, "call", &json!({"sku": id})).unwrap();
    assert_eq!(testing::accepted(&commands), [id]);
    assert_eq!(scheduled(&commands).0, [seq]);
    let resolution = match answer {
        Ok(n) => testing::complete_activity(seq, &n),
        Err(message) => testing::fail_activity(seq, message, "Unavailable"),
    };
    let commands = harness.activate(vec![resolution]).unwrap();
    let result = testing::update_result::<Value>(&commands, id).expect("the call answers");
    match answer {
        Ok(n) => assert_eq!(result, Ok(json!(n))),
        Err(message) => assert!(result.unwrap_err().message.contains(message)),
    }
    commands
}

fn refused(harness: &mut Harness, id: &str) -> Failure {
    let commands = harness.update(id, "call", &json!({})).unwrap();
    let rejected = testing::rejected(&commands);
    assert_eq!(commands.len(), 1, "{commands:?}");
    rejected[0].1.clone()
}

fn position(harness: &mut Harness) -> BreakerReport {
    harness.query("state", &()).unwrap()
}

/// Three failures trip it: the third call's resolution arms the cool-down timer.
fn tripped() -> Harness {
    let mut harness = started();
    call(&mut harness, "c1", 1, Err("down"));
    harness.advance(Duration::from_secs(5));
    call(&mut harness, "c2", 2, Err("down"));
    let commands = call(&mut harness, "c3", 3, Err("down"));
    assert_eq!(scheduled(&commands).1, [(1, OPEN_MS)]);
    harness
}

#[test]
fn opens_after_threshold_failures_and_refuses_calls_fast() {
    let mut harness = tripped();
    let report = position(&mut harness);
    assert_eq!(report.position, Position::Open);
    let opened_at = testing_now_ms(&harness);
    assert_eq!(report.open_until_ms, Some(opened_at + OPEN_MS));
    assert_eq!((report.calls, report.failures, report.opened), (3, 3, 1));
    let refusal = refused(&mut harness, "c4");
    assert!(refusal
        .message
        .starts_with("circuit open: `inventory` failed 3 times within 60 s"));
    assert!(refusal.message.contains(&(opened_at + OPEN_MS).to_string()));
}

#[test]
fn failures_spread_wider_than_the_window_keep_it_closed() {
    let mut harness = started();
    call(&mut harness, "c1", 1, Err("down"));
    harness.advance(Duration::from_secs(61));
    call(&mut harness, "c2", 2, Err("down"));
    call(&mut harness, "c3", 3, Ok(7));
    let commands = call(&mut harness, "c4", 4, Err("down"));
    assert_eq!(scheduled(&commands).1, []);
    let report = position(&mut harness);
    assert_eq!(report.position, Position::Closed);
    assert_eq!(report.recent_failures, 2);
}

#[test]
fn half_opens_on_the_timer_and_a_successful_trial_closes_it() {
    let mut harness = tripped();
    harness.advance(Duration::from_millis(OPEN_MS));
    harness.activate(vec![testing::fire_timer(1)]).unwrap();
    assert_eq!(position(&mut harness).position, Position::HalfOpen);
    let commands = harness.update("trial", "call", &json!({})).unwrap();
    assert_eq!(scheduled(&commands).0, [4]);
    // One trial at a time.
    let refusal = refused(&mut harness, "during-trial");
    assert!(
        refusal.message.starts_with("circuit half-open"),
        "{}",
        refusal.message
    );
    let commands = harness
        .activate(vec![testing::complete_activity(4, &11)])
        .unwrap();
    assert_eq!(
        testing::update_result::<Value>(&commands, "trial"),
        Some(Ok(json!(11)))
    );
    let report = position(&mut harness);
    assert_eq!(
        (report.position, report.recent_failures),
        (Position::Closed, 0)
    );
    call(&mut harness, "after", 5, Ok(12));
}

#[test]
fn a_failed_trial_opens_it_again_on_a_new_timer() {
    let mut harness = tripped();
    harness.advance(Duration::from_millis(OPEN_MS));
    harness.activate(vec![testing::fire_timer(1)]).unwrap();
    let commands = call(&mut harness, "trial", 4, Err("still down"));
    assert_eq!(scheduled(&commands).1, [(2, OPEN_MS)]);
    let report = position(&mut harness);
    assert_eq!((report.position, report.opened), (Position::Open, 2));
}

#[test]
fn two_calls_in_one_activation_while_half_open_make_one_trial() {
    let mut harness = tripped();
    harness.advance(Duration::from_millis(OPEN_MS));
    harness.activate(vec![testing::fire_timer(1)]).unwrap();
    let commands = harness
        .activate(vec![
            testing::update("t1", "call", &json!({})),
            testing::update("t2", "call", &json!({})),
        ])
        .unwrap();
    assert_eq!(testing::accepted(&commands), ["t1", "t2"]);
    assert_eq!(scheduled(&commands).0, [4]);
    let failure = testing::update_result::<Value>(&commands, "t2")
        .unwrap()
        .unwrap_err();
    assert_eq!(failure.error_type, CIRCUIT_OPEN);
}

#[test]
fn stop_completes_with_the_report_even_while_open() {
    let mut harness = tripped();
    let done = harness.signal("stop", &()).unwrap();
    let report = testing::completed::<BreakerReport>(&done).expect("the run completes");
    assert_eq!((report.position, report.failures), (Position::Open, 3));
    assert!(done
        .iter()
        .any(|c| matches!(c.command, Command::CancelTimer(1))));
}

#[test]
fn a_config_without_an_activity_is_refused() {
    let mut harness = Harness::new::<Breaker>();
    let done = harness.start(&json!({"failure_threshold": 2})).unwrap();
    assert_eq!(testing::failed(&done).unwrap().error_type, "InvalidInput");
}

#[test]
fn continues_as_new_after_its_calls_per_run_carrying_the_window() {
    let config = BreakerConfig {
        calls_per_run: Some(2),
        ..config()
    };
    let (mut harness, _) = started_with(&config);
    call(&mut harness, "c1", 1, Err("down"));
    let failed_at = testing_now_ms(&harness);
    let commands = call(&mut harness, "c2", 2, Ok(5));
    let Some(Command::ContinueAsNew(next)) = commands.last().map(|c| &c.command) else {
        panic!("{commands:?}");
    };
    let next: BreakerConfig = serde_json::from_slice(&next.input.data).unwrap();
    let carried = next.carried.clone().expect("the breaker is carried");
    assert_eq!(carried.failure_times, [failed_at]);
    assert_eq!((carried.calls, carried.failures), (2, 1));
    assert_eq!(next.calls_per_run, Some(2));

    // The next run counts the carried failure: two more open the circuit.
    let (mut harness, commands) = started_with(&next);
    assert!(commands.is_empty(), "{commands:?}");
    assert_eq!(position(&mut harness).recent_failures, 1);
    call(&mut harness, "c3", 1, Err("down"));
    let commands = call(&mut harness, "c4", 2, Err("down"));
    assert_eq!(scheduled(&commands).1, [(1, OPEN_MS)]);
    assert_eq!(position(&mut harness).calls, 4);
}

#[test]
fn an_open_circuit_carried_over_waits_out_the_rest_of_its_cool_down() {
    let now = unix_ms(Harness::new::<Breaker>().now());
    let config = BreakerConfig {
        carried: Some(Carried {
            position: Position::Open,
            failure_times: Vec::new(),
            open_until_ms: Some(now + 12_000),
            calls: 3,
            failures: 3,
            opened: 1,
        }),
        ..config()
    };
    let (mut harness, commands) = started_with(&config);
    assert_eq!(scheduled(&commands).1, [(1, 12_000)]);
    assert!(refused(&mut harness, "early")
        .message
        .starts_with("circuit open"));
    harness.advance(Duration::from_secs(12));
    harness.activate(vec![testing::fire_timer(1)]).unwrap();
    assert_eq!(position(&mut harness).position, Position::HalfOpen);
}

fn testing_now_ms(harness: &Harness) -> u64 {
    unix_ms(harness.now())
}
