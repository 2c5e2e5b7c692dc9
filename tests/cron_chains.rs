//! Cron chains (`weft start --cron`) past the happy path of `schedules::schedule_cron`,
//! on the virtual clock: a run that times out or fails is followed by the next, and
//! terminating the open run ends the chain.

use crate::support;

use std::time::Duration;

use serde_json::json;
use weft_host::history::{Event, Outcome, Payload};
use weft_host::runtime::StartRequest;
use weft_host::schedules::parse_rfc3339;

use crate::schedules::{env_at, runs_of, MINUTE, T0};
use support::{assert_replays, component_bytes, poll};

/// A run of a cron chain that reaches its run timeout is followed by the next, whose
/// own timeout counts from the slot it waits for; terminating the open run ends the
/// chain.
#[tokio::test]
async fn a_cron_chain_goes_on_after_a_run_timeout_until_terminated() {
    let env = env_at(T0, None).await;
    let host = env.host();
    let t0 = parse_rfc3339(T0).unwrap();
    let first = host
        .start(StartRequest {
            workflow_id: Some("cron-report".into()),
            cron_schedule: Some("@every 1m".into()),
            run_timeout: Some(Duration::from_secs(30)),
            ..StartRequest::new("report", Payload::json(&json!({"name": "x", "minutes": 5})))
        })
        .await
        .unwrap();
    let history = host.history(&first.run_id).unwrap();
    let deadline = Event::Deadlines {
        run_deadline_ms: Some(t0 + 90_000),
        execution_deadline_ms: None,
    };
    assert!(history.contains(&deadline), "{history:?}");
    // The first run waits for its slot, a minute after the start, then works.
    env.skip(MINUTE);
    poll::until_seen_async("the first run's first task", || async {
        let events = host.history(&first.run_id).unwrap();
        match events.iter().find_map(|e| match e {
            Event::TaskStarted { time_ms } => Some(*time_ms),
            _ => None,
        }) {
            Some(at) => Ok(at),
            None => Err(events.len()),
        }
    })
    .await;
    env.skip(Duration::from_secs(30));
    let outcome = host.wait(&first.run_id).await.unwrap();
    assert!(matches!(outcome, Outcome::TimedOut(_)), "{outcome:?}");
    assert_replays(host, "schedule", &host.history(&first.run_id).unwrap());
    let runs = runs_of(host, "report");
    assert_eq!(runs.len(), 2, "{runs:?}");
    let next = &runs[1];
    assert_eq!(next.start_ms, t0 + 90_000);
    let events = host.history(&next.run_id).unwrap();
    let deadline = Event::Deadlines {
        run_deadline_ms: Some(t0 + 150_000),
        execution_deadline_ms: None,
    };
    assert!(events.contains(&deadline), "{events:?}");
    let linked = Event::ContinuedFrom {
        run_id: first.run_id.clone(),
    };
    assert!(events.contains(&linked), "{events:?}");
    host.terminate("cron-report", "enough").await.unwrap();
    let outcome = host.wait(&next.run_id).await.unwrap();
    assert!(matches!(outcome, Outcome::Terminated(_)), "{outcome:?}");
    env.skip(MINUTE);
    assert_eq!(runs_of(host, "report").len(), 2);
}

/// A run of a cron chain that fails (a panic of a workflow that fails its run on one)
/// is followed by the next, as Temporal's cron goes on after a failure.
#[tokio::test]
async fn a_failed_cron_run_is_followed_by_the_next() {
    let env = env_at(T0, None).await;
    let host = env.host();
    host.deploy(component_bytes("misbehave"), "misbehave", false)
        .await
        .unwrap();
    let first = host
        .start(StartRequest {
            workflow_id: Some("cron-panics".into()),
            cron_schedule: Some("@every 1m".into()),
            ..StartRequest::new("panics_fatally", Payload::json(&json!(null)))
        })
        .await
        .unwrap();
    env.skip(MINUTE);
    let outcome = host.wait(&first.run_id).await.unwrap();
    assert!(matches!(outcome, Outcome::Failed(_)), "{outcome:?}");
    assert_replays(host, "misbehave", &host.history(&first.run_id).unwrap());
    let runs = runs_of(host, "panics_fatally");
    assert_eq!(runs.len(), 2, "{runs:?}");
    let t0 = parse_rfc3339(T0).unwrap();
    assert_eq!(runs[1].start_ms, t0 + 60_000);
    assert!(runs[1].status.is_open());
    host.terminate("cron-panics", "enough").await.unwrap();
}

/// Under a workflow limit of one on its type, a cron chain goes on: a run gives its
/// place back when it closes, and the next takes it at its slot (waiting for its slot,
/// it counts as no running run), so the chain never waits for itself.
#[tokio::test]
async fn a_cron_chain_keeps_its_place_under_a_workflow_limit() {
    let env = support::test_env()
        .manual_time()
        .start_at(parse_rfc3339(T0).unwrap())
        .workflow_limit("cron_run", 1)
        .start()
        .await
        .unwrap();
    let host = env.host();
    env.deploy(component_bytes("schedule"), "schedule")
        .await
        .unwrap();
    host.start(StartRequest {
        workflow_id: Some("cron-limited".into()),
        cron_schedule: Some("@every 1m".into()),
        ..StartRequest::new("cron_run", Payload::json(&json!("@every 1m")))
    })
    .await
    .unwrap();
    for n in 1..=3 {
        env.skip(MINUTE);
        let done = poll::until_async("the next completed run", || async {
            let runs = runs_of(host, "cron_run");
            let completed = (runs.iter())
                .filter(|r| r.status == weft_host::storage::Status::Completed)
                .count();
            (completed == n).then_some(runs)
        })
        .await;
        assert_eq!(done.len(), n + 1, "{done:?}");
        assert!(done[n].status.is_open());
        let pending = host.describe(&done[n].run_id).await.unwrap().pending;
        assert!(pending.is_some_and(|p| p.starts_with("cron @every 1m")));
    }
    let runs = runs_of(host, "cron_run");
    assert_replays(host, "schedule", &host.history(&runs[2].run_id).unwrap());
}
