//! Activities, ported from Temporal's feature suite (`features/activity/*` and the
//! `local_activity/*` ones that apply): one test per feature, named after it, asserting
//! what its checker asserts. On the time-skipping test environment with the
//! `activity-features` fixture (`tests/fixtures/activity-features`), whose workflow types carry the
//! features' names; every test replays what it recorded.

use crate::support;

use std::sync::{Arc, OnceLock};

use std::time::Duration;
use weft_host::runtime::WeakHost;

use serde_json::{json, Value};
use support::*;
use weft_host::contract::Payload;
use weft_host::history::vocab::ActivityResolution;
use weft_host::history::{Command, Event, Job, Outcome};
use weft_host::runtime::{RunHandle, StartRequest};
use weft_host::testing::TestEnv;
use weft_host::{ActivityContext, ActivityError, ActivityRegistry};

/// What `heartbeat_until_cancelled` signals its workflow with.
async fn tell(host: &Arc<OnceLock<WeakHost>>, ctx: &ActivityContext, result: &str) {
    let Some(host) = host.get().and_then(WeakHost::upgrade) else {
        return;
    };
    host.signal(
        &ctx.workflow_id,
        "activity-result",
        Payload::json(&json!(result)),
    )
    .await
    .ok();
}

/// The fixture's activities, as its doc comments describe them.
fn activities(host: Arc<OnceLock<WeakHost>>) -> ActivityRegistry {
    let mut registry = ActivityRegistry::new();
    registry
        .register_fn("echo", |_ctx, s: String| async move {
            Ok::<_, ActivityError>(s)
        })
        .register_fn("heartbeat_until_cancelled", {
            let host = host.clone();
            move |ctx, (): ()| {
                let host = host.clone();
                async move {
                    for second in 0..60u32 {
                        if ctx.heartbeat(&second).is_err() {
                            tell(&host, &ctx, "cancelled").await;
                            return Err(ActivityError::cancelled("cancelled at a heartbeat"));
                        }
                        ctx.sleep(Duration::from_secs(1)).await;
                    }
                    tell(&host, &ctx, "timeout").await;
                    Ok("timeout".to_string())
                }
            }
        })
        .register_fn("heartbeat_ten_seconds", {
            let host = host.clone();
            move |ctx, (): ()| {
                let host = host.clone();
                async move {
                    let mut told = false;
                    for second in 0..10u32 {
                        told |= ctx.heartbeat(&second).is_err();
                        ctx.sleep(Duration::from_secs(1)).await;
                    }
                    let report = if told { "told" } else { "not told" };
                    tell(&host, &ctx, report).await;
                    Ok::<_, ActivityError>(report.to_string())
                }
            }
        })
        .register_fn("report_cancellation", {
            let host = host.clone();
            move |ctx, (): ()| {
                let host = host.clone();
                async move {
                    tokio::select! {
                        // The cancellation is sent while the clock is held; a virtual
                        // clock may skip past the sleep before this task is polled,
                        // and then both are ready: the one told first wins.
                        biased;
                        () = ctx.cancelled() => {
                            tell(&host, &ctx, "told").await;
                            Err(ActivityError::cancelled("told of its cancellation"))
                        }
                        () = ctx.sleep(Duration::from_secs(10)) => {
                            tell(&host, &ctx, "not told").await;
                            Ok("not told".to_string())
                        }
                    }
                }
            }
        })
        .register_fn("fail_with_attempt", |ctx, (): ()| async move {
            Err::<(), _>(ActivityError::retryable(format!(
                "activity attempt {} failed",
                ctx.attempt
            )))
        })
        .register_fn("wait_for_shutdown_then_succeed", |ctx, (): ()| async move {
            ctx.shutting_down().await;
            Ok::<_, ActivityError>("done".to_string())
        })
        .register_fn("wait_for_shutdown_then_fail", |ctx, (): ()| async move {
            ctx.shutting_down().await;
            Err::<String, _>(ActivityError::retryable("worker is shutting down"))
        })
        .register_fn("heartbeat_then_stall", |ctx, (): ()| async move {
            if let Some(seen) = ctx.heartbeat_details::<u32>() {
                return Ok(format!("attempt {} saw {seen}", ctx.attempt));
            }
            ctx.heartbeat(&1u32)?;
            ctx.sleep(Duration::from_secs(10)).await;
            Ok::<_, ActivityError>("never cut off".to_string())
        })
        .register_fn("succeed_on_third_attempt", |ctx, (): ()| async move {
            if ctx.attempt < 3 {
                return Err(ActivityError::retryable("not yet"));
            }
            Ok("ok".to_string())
        })
        .register_fn("sleep_ignoring_shutdown", |ctx, (): ()| async move {
            ctx.sleep(Duration::from_secs(15)).await;
            Ok::<_, ActivityError>("slept".to_string())
        });
    registry
}

async fn env() -> TestEnv {
    let host = Arc::new(OnceLock::new());
    let env = test_env()
        .activities(activities(host.clone()))
        .start()
        .await
        .unwrap();
    host.set(env.host().downgrade()).ok();
    env.deploy(component_bytes("activity-features"), "activity-features")
        .await
        .unwrap();
    env
}

async fn start(env: &TestEnv, workflow_type: &str) -> RunHandle {
    env.host()
        .start(StartRequest {
            workflow_id: Some(workflow_type.replace('_', "-")),
            ..StartRequest::new(workflow_type, Payload::json(&Value::Null))
        })
        .await
        .unwrap()
}

/// Wait for the run to close, replay its history; how it ended, and the history.
async fn finish(env: &TestEnv, run: &RunHandle) -> (Outcome, Vec<Event>) {
    let outcome = env.host().wait(&run.run_id).await.unwrap();
    let events = env.host().history(&run.run_id).unwrap();
    assert_replays(env.host(), "activity-features", &events);
    (outcome, events)
}

async fn run(workflow_type: &str) -> (Outcome, Vec<Event>) {
    let env = env().await;
    let run = start(&env, workflow_type).await;
    finish(&env, &run).await
}

fn commands(events: &[Event]) -> impl Iterator<Item = &Command> {
    events.iter().filter_map(|e| match e {
        Event::Command(c) => Some(&c.command),
        _ => None,
    })
}

/// The commands of the first workflow task.
fn first_task(events: &[Event]) -> Vec<&Command> {
    events
        .iter()
        .skip_while(|e| !matches!(e, Event::TaskStarted { .. }))
        .skip(1)
        .take_while(|e| !matches!(e, Event::TaskStarted { .. }))
        .filter_map(|e| match e {
            Event::Command(c) => Some(&c.command),
            _ => None,
        })
        .collect()
}

fn failure_message(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::Failed(f) => &f.message,
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// activity/basic_no_workflow_timeout: an activity with only start-to-close, then one
/// with only schedule-to-close, in a run without an execution timeout.
#[tokio::test]
async fn activity_basic_no_workflow_timeout() {
    let (outcome, _) = run("basic_no_workflow_timeout").await;
    assert_eq!(completed(&outcome), json!("echo"));
}

/// activity/retry_on_error: five attempts, counted from 1; the workflow fails with the
/// last attempt's message as the cause.
#[tokio::test]
async fn activity_retry_on_error() {
    let (outcome, events) = run("retry_on_error").await;
    let message = failure_message(&outcome);
    assert!(message.ends_with("activity attempt 5 failed"), "{message}");
    let retried = events
        .iter()
        .filter(|e| matches!(e, Event::ActivityAttemptFailed { .. }))
        .count();
    assert_eq!(retried, 4);
}

/// activity/cancel_try_cancel: the future resolves cancelled at once; the activity
/// learns of the cancellation at its next heartbeat and signals the workflow.
#[tokio::test]
async fn activity_cancel_try_cancel() {
    let (outcome, events) = run("cancel_try_cancel").await;
    assert_eq!(completed(&outcome), json!("cancelled"));
    assert!(commands(&events).any(|c| matches!(c, Command::RequestCancelActivity(1))));
}

/// activity/cancel_wait_cancel: the future resolves only once the activity reported
/// how it ended (cancelled), after the request and before the run completes.
#[tokio::test]
async fn activity_cancel_wait_cancel() {
    let (outcome, events) = run("cancel_wait_cancel").await;
    assert_eq!(completed(&outcome), json!("cancelled"));
    let at = |pred: &dyn Fn(&Event) -> bool| events.iter().position(pred).unwrap();
    let requested = at(
        &|e| matches!(e, Event::Command(c) if matches!(c.command, Command::RequestCancelActivity(1))),
    );
    let resolved = at(&|e| {
        matches!(e, Event::Job(Job::ResolveActivity(r)) if r.seq == 1
            && matches!(r.resolution, weft_host::history::vocab::ActivityResolution::Cancelled(_)))
    });
    let done = at(
        &|e| matches!(e, Event::Command(c) if matches!(c.command, Command::CompleteWorkflow(_))),
    );
    assert!(requested < resolved && resolved < done, "{events:#?}");
}

/// activity/cancel_abandon: nothing reaches the host; the future resolves cancelled at
/// once, and the activity, heartbeating on while the run stays open, is never told: its
/// context never sees a cancellation (it reports `"told"` if it does).
#[tokio::test]
async fn activity_cancel_abandon() {
    let env = env().await;
    let started = env.now_ms();
    let run = start(&env, "cancel_abandon").await;
    let (outcome, events) = finish(&env, &run).await;
    assert_eq!(
        completed(&outcome),
        json!("cancelled; the activity: not told")
    );
    assert!(!commands(&events).any(|c| matches!(c, Command::RequestCancelActivity(_))));
    let closed = env.host().find_run(&run.run_id).unwrap().close_ms.unwrap();
    assert!(closed - started < 60_000);
}

/// activity/heartbeating: heartbeats keep an activity alive far past its heartbeat
/// timeout; they are recorded (throttled), and the cancellation reaches it through a
/// heartbeat.
#[tokio::test]
async fn activity_heartbeating() {
    let (outcome, events) = run("heartbeating").await;
    assert_eq!(completed(&outcome), json!("cancelled"));
    let beats: Vec<(u64, Value)> = events
        .iter()
        .filter_map(|e| match e {
            Event::ActivityHeartbeat {
                time_ms, details, ..
            } => Some((*time_ms, details.as_ref().unwrap().to_json())),
            _ => None,
        })
        .collect();
    // Ten seconds of heartbeats a second apart, recorded at most once per 80% of the
    // 2 s timeout: fewer records than heartbeats, and never two within 1.6 s.
    assert!(beats.len() >= 3 && beats.len() < 11, "{beats:?}");
    for pair in beats.windows(2) {
        assert!(pair[1].0 - pair[0].0 >= 1_600, "{beats:?}");
    }
}

/// activity/running_concurrently: one workflow task schedules all three; each result
/// arrives on its own.
#[tokio::test]
async fn activity_running_concurrently() {
    let (outcome, events) = run("running_concurrently").await;
    assert_eq!(completed(&outcome), json!(["a", "b", "c"]));
    let first = first_task(&events);
    let seqs: Vec<u32> = first
        .iter()
        .filter_map(|c| match c {
            Command::ScheduleActivity(s) => Some(s.seq),
            _ => None,
        })
        .collect();
    assert_eq!(seqs, [1, 2, 3]);
}

/// activity/shutdown: a host shut down gracefully tells its running activities: one
/// succeeds, one fails with `worker is shutting down`, one that ignores the notice is
/// cut off by its schedule-to-close timeout.
#[tokio::test]
async fn activity_shutdown() {
    let env = env().await;
    let run = start(&env, "shutdown").await;
    // The three activities are scheduled with the first task, recorded with the start.
    let scheduled = env.host().history(&run.run_id).unwrap();
    assert_eq!(
        commands(&scheduled)
            .filter(|c| matches!(c, Command::ScheduleActivity(_)))
            .count(),
        3
    );
    env.host()
        .shutdown_activities(Duration::from_secs(30))
        .await;
    let (outcome, _) = finish(&env, &run).await;
    assert_eq!(completed(&outcome), json!("done"));
}

/// local_activity/retry_on_error: retried in place, five attempts; recorded once.
#[tokio::test]
async fn local_activity_retry_on_error() {
    let (outcome, events) = run("local_retry_on_error").await;
    let message = failure_message(&outcome);
    assert!(message.ends_with("activity attempt 5 failed"), "{message}");
    let scheduled = commands(&events)
        .filter(|c| matches!(c, Command::ScheduleLocalActivity(_)))
        .count();
    let resolved = events
        .iter()
        .filter(|e| matches!(e, Event::Job(Job::ResolveLocalActivity(_))))
        .count();
    assert_eq!((scheduled, resolved), (1, 1));
    assert!(!events
        .iter()
        .any(|e| matches!(e, Event::LocalActivityAttemptFailed { .. })));
}

/// The local activity's resolution in `events`, and where it is.
fn local_resolution(events: &[Event]) -> Option<(usize, &ActivityResolution)> {
    events.iter().enumerate().find_map(|(i, e)| match e {
        Event::Job(Job::ResolveLocalActivity(r)) => Some((i, &r.resolution)),
        _ => None,
    })
}

/// local_activity/cancel_try_cancel: resolves cancelled at once, with no command; the
/// activity is told (through its context: it reports `told`).
#[tokio::test]
async fn local_activity_cancel_try_cancel() {
    let (outcome, events) = run("local_cancel_try_cancel").await;
    assert_eq!(completed(&outcome), json!("cancelled; the activity: told"));
    assert!(!commands(&events).any(|c| matches!(c, Command::RequestCancelActivity(_))));
}

/// local_activity/cancel_abandon: resolves cancelled at once, and the activity is never
/// told: it waits out its 10 s and reports `not told`.
#[tokio::test]
async fn local_activity_cancel_abandon() {
    let (outcome, events) = run("local_cancel_abandon").await;
    assert_eq!(
        completed(&outcome),
        json!("cancelled; the activity: not told")
    );
    assert!(!commands(&events).any(|c| matches!(c, Command::RequestCancelActivity(_))));
}

/// local_activity/cancel_wait_completed: the activity is told, and the workflow waits
/// for it to end: its recorded `cancelled` resolution comes after its report and
/// before the run completes.
#[tokio::test]
async fn local_activity_cancel_wait_completed() {
    let (outcome, events) = run("local_cancel_wait_completed").await;
    assert_eq!(completed(&outcome), json!("cancelled; the activity: told"));
    let (resolved, resolution) = local_resolution(&events).expect("a resolution");
    assert!(
        matches!(resolution, ActivityResolution::Cancelled(_)),
        "{resolution:?}"
    );
    let reported = events
        .iter()
        .position(|e| matches!(e, Event::Job(Job::Signal(s)) if s.name == "activity-result"))
        .unwrap();
    let done = events
        .iter()
        .position(
            |e| matches!(e, Event::Command(c) if matches!(c.command, Command::CompleteWorkflow(_))),
        )
        .unwrap();
    assert!(reported <= resolved && resolved < done, "{events:#?}");
}

/// local_activity/cancel_failing: cancelled while it waits out a backoff between
/// attempts, it resolves cancelled (recorded so) without another attempt.
#[tokio::test]
async fn local_activity_cancel_failing() {
    let (outcome, events) = run("local_cancel_failing").await;
    assert_eq!(completed(&outcome), json!("cancelled"));
    let failed = events
        .iter()
        .filter(|e| matches!(e, Event::LocalActivityAttemptFailed { .. }))
        .count();
    assert_eq!(failed, 1, "{events:#?}");
    let (_, resolution) = local_resolution(&events).expect("a resolution");
    assert!(
        matches!(resolution, ActivityResolution::Cancelled(_)),
        "{resolution:?}"
    );
}

/// local_activity/serial: three in a row, each answered before the next is issued.
#[tokio::test]
async fn local_activity_serial() {
    let (outcome, events) = run("local_serial").await;
    assert_eq!(completed(&outcome), json!(["1", "2", "3"]));
    let mut issued = Vec::new();
    for event in &events {
        match event {
            Event::Command(c) => {
                if let Command::ScheduleLocalActivity(s) = &c.command {
                    issued.push(format!("schedule {}", s.seq));
                }
            }
            Event::Job(Job::ResolveLocalActivity(r)) => issued.push(format!("resolve {}", r.seq)),
            _ => {}
        }
    }
    assert_eq!(
        issued,
        [
            "schedule 1",
            "resolve 1",
            "schedule 2",
            "resolve 2",
            "schedule 3",
            "resolve 3"
        ]
    );
}

/// local_activity/concurrent: three at once from one workflow task.
#[tokio::test]
async fn local_activity_concurrent() {
    let (outcome, events) = run("local_concurrent").await;
    assert_eq!(completed(&outcome), json!(["a", "b", "c"]));
    let first = first_task(&events);
    assert_eq!(
        first
            .iter()
            .filter(|c| matches!(c, Command::ScheduleLocalActivity(_)))
            .count(),
        3
    );
}

/// Schedule-to-start: an attempt that waits for a slot longer than its schedule-to-start
/// timeout times out, and is not retried.
#[tokio::test]
async fn activity_schedule_to_start_timeout() {
    let host = Arc::new(OnceLock::new());
    let env = test_env()
        .activities(activities(host.clone()))
        .max_concurrent_activities(1)
        .start()
        .await
        .unwrap();
    host.set(env.host().downgrade()).ok();
    env.deploy(component_bytes("activity-features"), "activity-features")
        .await
        .unwrap();
    let run = start(&env, "schedule_to_start_timeout").await;
    let (outcome, events) = finish(&env, &run).await;
    assert_eq!(completed(&outcome), json!(["ok: slept", "timed out"]));
    assert!(!events
        .iter()
        .any(|e| matches!(e, Event::ActivityAttemptFailed { .. })));
}

/// local_activity/backoff_with_persistent_timer: a backoff longer than the host waits in
/// place is recorded, and the local activity waits like an activity; it completes on
/// its third attempt.
#[tokio::test]
async fn local_activity_backoff_with_persistent_timer() {
    let (outcome, events) = run("local_backoff_with_persistent_timer").await;
    assert_eq!(completed(&outcome), json!("ok"));
    let retries: Vec<(u32, u64)> = events
        .iter()
        .filter_map(|e| match e {
            Event::LocalActivityAttemptFailed {
                attempt,
                retry_at_ms,
                ..
            } => Some((*attempt, *retry_at_ms)),
            _ => None,
        })
        .collect();
    assert_eq!(retries.len(), 2, "{events:#?}");
    assert_eq!(retries[0].0, 1);
    assert_eq!(retries[1].0, 2);
    assert_eq!(retries[1].1 - retries[0].1, 120_000);
}

/// A heartbeat timeout fails the attempt, which is retried per its policy; the next
/// attempt reads the last recorded heartbeat's details.
#[tokio::test]
async fn activity_heartbeat_timeout() {
    let (outcome, events) = run("heartbeat_timeout").await;
    assert_eq!(completed(&outcome), json!("attempt 2 saw 1"));
    let failed: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::ActivityAttemptFailed { failure, .. } => Some(failure.error_type.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(failed, ["weft.ActivityHeartbeatTimeout"]);
}
