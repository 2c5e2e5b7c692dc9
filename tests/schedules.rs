//! Schedules on the virtual clock: ports of Temporal's `schedule/*` features, the
//! overlap policies, catch-up after the host was down, and a slot acted on once even
//! when the host stopped before it recorded the action. Each run a schedule started
//! is replayed.

use crate::support;

use std::time::Duration;

use serde_json::{json, Value};
use support::server::{fails_with, ok, said, Server};
use weft_host::history::{Event, Outcome};
use weft_host::runtime::Host;
use weft_host::schedules::{
    parse_rfc3339, rfc3339, OverlapPolicy, Schedule, ScheduleAction, ScheduleError,
    SchedulePolicies, ScheduleSpec, Schedules,
};
use weft_host::storage::{durable, RunFilter, Write};
use weft_host::testing::TestEnv;

use support::{assert_replays, completed, component_bytes, poll, test_env};

pub(crate) const MINUTE: Duration = Duration::from_secs(60);
/// A round start time, so slot times are easy to read.
pub(crate) const T0: &str = "2026-11-23T08:00:00Z";

pub(crate) async fn env_at(start: &str, data: Option<&std::path::Path>) -> TestEnv {
    let mut builder = test_env()
        .manual_time()
        .start_at(parse_rfc3339(start).unwrap());
    if let Some(dir) = data {
        builder = builder.data_dir(dir);
    }
    let env = builder.start().await.unwrap();
    if env.host().module_versions().is_empty() {
        env.deploy(component_bytes("schedule"), "schedule")
            .await
            .unwrap();
    }
    env
}

fn schedule(
    spec: ScheduleSpec,
    workflow_type: &str,
    input: Value,
    overlap: OverlapPolicy,
) -> Schedule {
    Schedule {
        spec,
        action: ScheduleAction {
            workflow_type: workflow_type.into(),
            input_json: input.to_string(),
            workflow_id: format!("{workflow_type}-wf"),
            module: None,
            run_timeout_ms: None,
            execution_timeout_ms: None,
            memo: Vec::new(),
        },
        policies: SchedulePolicies {
            overlap,
            ..SchedulePolicies::default()
        },
    }
}

/// Wait until the schedule's state passes `check` (the runner acts on its own task).
async fn until(
    schedules: &Schedules,
    id: &str,
    what: &str,
    check: impl Fn(&weft_host::schedules::ScheduleDescription) -> bool,
) -> weft_host::schedules::ScheduleDescription {
    poll::until_seen_async(&format!("schedule {id} to get to: {what}"), || async {
        let d = schedules.describe(id).await.unwrap();
        if check(&d) {
            Ok(d)
        } else {
            Err(d.record.state)
        }
    })
    .await
}

/// Wait for a run, replay it, and return its result.
async fn result_of(host: &Host, run_id: &str) -> Value {
    let outcome = host.wait(run_id).await.unwrap();
    assert_replays(host, "schedule", &host.history(run_id).unwrap());
    completed(&outcome)
}

/// Every run of `workflow_type`, oldest first.
pub(crate) fn runs_of(host: &Host, workflow_type: &str) -> Vec<weft_host::storage::RunRecord> {
    let filter = RunFilter {
        workflow_type: Some(workflow_type.into()),
        ..RunFilter::default()
    };
    let mut runs = host.list_runs(&filter, 10_000).unwrap();
    runs.reverse();
    runs
}

#[tokio::test]
async fn schedule_basic() {
    let env = env_at(T0, None).await;
    let schedules = Schedules::start(env.host()).await.unwrap();
    let every_2s = ScheduleSpec::every(Duration::from_secs(2));
    let s = schedule(
        every_2s.clone(),
        "echo",
        json!("arg1"),
        OverlapPolicy::BufferOne,
    );
    schedules.create("basic", s, false, "").await.unwrap();
    let listed = schedules.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].record.id, "basic");

    env.skip(Duration::from_secs(2));
    let d = until(&schedules, "basic", "one action", |d| {
        d.record.state.actions == 1
    })
    .await;
    let first = &d.record.state.recent[0];
    assert_eq!(first.run.workflow_id, "echo-wf-2026-11-23T08:00:02Z");
    assert_eq!(
        result_of(env.host(), &first.run.run_id).await,
        json!("arg1")
    );

    let s = schedule(every_2s, "echo", json!("arg2"), OverlapPolicy::BufferOne);
    schedules.update("basic", s).await.unwrap();
    env.skip(Duration::from_secs(2));
    let d = until(&schedules, "basic", "two actions", |d| {
        d.record.state.actions == 2
    })
    .await;
    let second = &d.record.state.recent[1];
    assert_eq!(
        result_of(env.host(), &second.run.run_id).await,
        json!("arg2")
    );
    // Scheduled runs carry the schedule id and their slot as search attributes.
    let found = env
        .host()
        .inspect()
        .search(
            "WeftScheduledById = 'basic' AND WeftScheduledStartTime >= '2026-11-23T08:00:04Z'",
            0,
            10,
        )
        .unwrap();
    assert_eq!(found.runs.len(), 1, "{}", found.plan);
    assert_eq!(found.runs[0].run_id, second.run.run_id);
    let ids: Vec<String> = runs_of(env.host(), "echo")
        .into_iter()
        .map(|r| r.workflow_id)
        .collect();
    assert!(ids.iter().all(|id| id.starts_with("echo-wf-")), "{ids:?}");
    assert_eq!(ids.len(), 2);
}

/// schedule/cron: Temporal's legacy cron on start options, as a user runs it against a
/// real server on the virtual clock: `weft start --cron '@every 2s'`; each run checks
/// that its info reports that cron string; soon the runs of the workflow id are at
/// least two completed ones and no status but running or completed; terminating ends
/// the chain. Each run's first task waited for a 2 s slot after its start, each run
/// follows the one before, and every completed run replays.
#[test]
fn schedule_cron() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::virtual_with(&data.path().join("data"), "schedule");
    let bad = fails_with(
        server.cli(&["start", "cron_run", "--id", "bad", "--cron", "@every soon"]),
        2,
    );
    assert!(
        bad.contains("--cron") && bad.contains("not a duration"),
        "{bad}"
    );
    let (status, body) = server.post_json(
        "/v1/executions",
        &json!({"workflow_type": "cron_run", "cron_schedule": "61 * * * *"}),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("cron_schedule"), "{body}");

    let input = "\"@every 2s\"";
    ok(server.cli(&[
        "start",
        "cron_run",
        "--id",
        "cron-1",
        "--input",
        input,
        "--cron",
        "@every 2s",
    ]));
    let described = ok(server.cli(&["describe", "cron-1"]));
    let cron_line = described
        .lines()
        .find(|l| l.trim_start().starts_with("cron "));
    assert!(
        cron_line.is_some_and(|l| l.contains("@every 2s, next slot 20")),
        "{described}"
    );
    let listed = |query: &str| -> Vec<Value> {
        let page = ok(server.cli(&["list", "--query", query, "--all", "--json"]));
        let page: Value = serde_json::from_str(&page).unwrap();
        page["executions"].as_array().unwrap().clone()
    };
    let status_of = |run: &Value| run["status"].as_str().unwrap().to_string();
    poll::until_seen("two completed runs of cron-1", || {
        let runs = listed("WorkflowId = 'cron-1'");
        let statuses: Vec<String> = runs.iter().map(status_of).collect();
        assert!(
            statuses.iter().all(|s| s == "completed" || s == "running"),
            "{statuses:?}"
        );
        let done = statuses.iter().filter(|s| *s == "completed").count();
        if done >= 2 {
            Ok(())
        } else {
            Err(statuses)
        }
    });
    // (A run that closes as the termination arrives passes it on to the next run.)
    let note = said(server.cli(&["terminate", "cron-1", "--reason", "enough"]));
    assert!(note.contains("terminated"), "{note}");
    let mut runs = listed("WorkflowId = 'cron-1'");
    runs.sort_by_key(|r| r["start_ms"].as_u64());
    let (last, completed) = runs.split_last().unwrap();
    assert_eq!(status_of(last), "terminated", "{runs:?}");
    assert!(completed.len() >= 2, "{runs:?}");
    // Each run starts as the one before closes, and follows it.
    for pair in runs.windows(2) {
        assert_eq!(pair[1]["start_ms"], pair[0]["close_ms"], "{pair:?}");
    }
    let mut previous: Option<String> = None;
    for (n, run) in completed.iter().enumerate() {
        assert_eq!(status_of(run), "completed", "{runs:?}");
        let run_id = run["run_id"].as_str().unwrap();
        let events = match n < 3 {
            true => server.assert_replays(run_id, "schedule"),
            false => server.history(run_id),
        };
        let started = events.iter().find_map(Event::time_ms).unwrap();
        let first_task = events.iter().find_map(|e| match e {
            Event::TaskStarted { time_ms } => Some(*time_ms),
            _ => None,
        });
        let slot = first_task.unwrap();
        assert!(slot > started && slot % 2_000 == 0, "{started} {slot}");
        assert!(events.contains(&Event::CronSchedule {
            spec: "@every 2s".into(),
            run_timeout_ms: None,
        }));
        let from = events.iter().find_map(|e| match e {
            Event::ContinuedFrom { run_id } => Some(run_id.clone()),
            _ => None,
        });
        assert_eq!(from, previous, "each run follows the one before");
        previous = Some(run_id.to_string());
    }
    let shown = ok(server.cli(&["history", "show", completed[0]["run_id"].as_str().unwrap()]));
    assert!(shown.contains("cron-schedule"), "{shown}");
    // The chain ended: the terminated run was the last.
    let after = listed("WorkflowId = 'cron-1'");
    assert_eq!(after.len(), runs.len(), "{after:?}");
}

/// The cron expressions a schedule takes: `@every 2s` and a 6-field cron with seconds
/// both work.
#[tokio::test]
async fn schedule_cron_expressions() {
    let env = env_at(T0, None).await;
    let schedules = Schedules::start(env.host()).await.unwrap();
    for (id, cron) in [("every", "@every 2s"), ("seconds", "*/2 * * * * *")] {
        let spec = ScheduleSpec {
            cron: vec![cron.into()],
            ..ScheduleSpec::default()
        };
        let mut s = schedule(spec, "echo", json!(id), OverlapPolicy::Skip);
        s.action.workflow_id = format!("cron-{id}");
        schedules.create(id, s, false, "").await.unwrap();
    }
    for n in 1..=2 {
        env.skip(Duration::from_secs(2));
        for id in ["every", "seconds"] {
            let d = until(&schedules, id, "an action per 2s", |d| {
                d.record.state.actions == n
            })
            .await;
            let run = &d.record.state.recent.last().unwrap().run;
            assert_eq!(result_of(env.host(), &run.run_id).await, json!(id));
        }
    }
    let runs = runs_of(env.host(), "echo");
    assert_eq!(runs.len(), 4);
    assert!(runs
        .iter()
        .all(|r| r.status == weft_host::storage::Status::Completed));
}

#[tokio::test]
async fn schedule_backfill() {
    let env = env_at(T0, None).await;
    let schedules = Schedules::start(env.host()).await.unwrap();
    let s = schedule(
        ScheduleSpec::every(MINUTE),
        "echo",
        json!("old"),
        OverlapPolicy::AllowAll,
    );
    schedules.create("backfill", s, true, "").await.unwrap();
    let now = env.now_ms();
    let three_years = 3 * 365 * 24 * 3_600_000;
    for start in [now - three_years, now - 30 * 60_000] {
        let (_, slots) = schedules
            .backfill("backfill", start, start + 2 * 60_000, None)
            .await
            .unwrap();
        assert_eq!(slots, 3, "both ends of a 2-minute window are slots");
    }
    let d = until(&schedules, "backfill", "no running action", |d| {
        d.record.state.running.is_empty()
    })
    .await;
    assert_eq!(d.record.state.actions, 6);
    for a in &d.record.state.recent {
        assert_eq!(result_of(env.host(), &a.run.run_id).await, json!("old"));
    }
    let oldest = &d.record.state.recent[0];
    assert_eq!(
        oldest.run.workflow_id,
        format!("echo-wf-{}", rfc3339(now - three_years))
    );
}

#[tokio::test]
async fn schedule_pause() {
    let env = env_at(T0, None).await;
    let schedules = Schedules::start(env.host()).await.unwrap();
    let s = schedule(
        ScheduleSpec::every(MINUTE),
        "echo",
        json!("x"),
        OverlapPolicy::Skip,
    );
    schedules
        .create("pause", s, true, "initial note")
        .await
        .unwrap();
    let state =
        |d: weft_host::schedules::ScheduleDescription| (d.record.state.paused, d.record.state.note);
    let d = schedules.describe("pause").await.unwrap();
    assert_eq!(state(d), (true, "initial note".to_string()));
    let steps: [(bool, Option<&str>, &str); 4] = [
        (true, Some("note1"), "note1"),
        (false, None, "Unpaused via weft"),
        (false, Some("note2"), "note2"),
        (true, None, "Paused via weft"),
    ];
    for (pause, note, expected) in steps {
        let r = if pause {
            schedules.pause("pause", note).await.unwrap()
        } else {
            schedules.unpause("pause", note).await.unwrap()
        };
        assert_eq!((r.state.paused, r.state.note.as_str()), (pause, expected));
        let d = schedules.describe("pause").await.unwrap();
        assert_eq!(state(d), (pause, expected.to_string()));
    }
    // Paused: a slot passes with no action and none is due.
    env.skip(2 * MINUTE);
    let d = schedules.describe("pause").await.unwrap();
    assert_eq!(d.record.state.actions, 0);
    assert!(d.next_action_ms.is_empty());
}

#[tokio::test]
async fn schedule_trigger() {
    let env = env_at(T0, None).await;
    let schedules = Schedules::start(env.host()).await.unwrap();
    let s = schedule(
        ScheduleSpec::every(MINUTE),
        "echo",
        json!("now"),
        OverlapPolicy::Skip,
    );
    schedules.create("trigger", s, true, "").await.unwrap();
    for n in 1..=2u64 {
        let r = schedules.trigger("trigger", None).await.unwrap();
        assert_eq!(r.state.actions, n, "triggers act while paused");
        let run = &r.state.recent.last().unwrap().run;
        assert_eq!(result_of(env.host(), &run.run_id).await, json!("now"));
        env.skip(Duration::from_secs(2));
    }
}

#[tokio::test]
async fn schedule_duplicate_error() {
    let env = env_at(T0, None).await;
    let schedules = Schedules::start(env.host()).await.unwrap();
    let hourly = ScheduleSpec::every(60 * MINUTE);
    let s = schedule(hourly, "echo", json!(1), OverlapPolicy::Skip);
    schedules.create("dup", s.clone(), true, "").await.unwrap();
    let err = schedules.create("dup", s, true, "").await.unwrap_err();
    assert!(
        matches!(err, ScheduleError::AlreadyExists(ref id) if id == "dup"),
        "{err}"
    );
    assert!(err.to_string().contains("already exists"));
    schedules.delete("dup").await.unwrap();
    assert!(matches!(
        schedules.describe("dup").await,
        Err(ScheduleError::NotFound(_))
    ));
}

/// Reports take 90 s and come due every minute: what each policy does with the
/// second slot while the first report runs.
#[tokio::test]
async fn overlap_policies_decide_what_a_busy_slot_does() {
    let env = env_at(T0, None).await;
    let schedules = Schedules::start(env.host()).await.unwrap();
    let input = json!({"name": "sales", "minutes": 0});
    // `minutes: 0` would not overlap; 2 minutes does.
    let input_long = json!({"name": "sales", "minutes": 2});
    let _ = input;
    for policy in [
        OverlapPolicy::Skip,
        OverlapPolicy::BufferOne,
        OverlapPolicy::AllowAll,
        OverlapPolicy::TerminateOther,
    ] {
        let mut s = schedule(
            ScheduleSpec::every(MINUTE),
            "report",
            input_long.clone(),
            policy,
        );
        s.action.workflow_id = format!("report-{}", policy.as_str());
        schedules
            .create(policy.as_str(), s, false, "")
            .await
            .unwrap();
    }
    env.skip(MINUTE);
    for policy in ["skip", "buffer-one", "allow-all", "terminate-other"] {
        until(&schedules, policy, "first action", |d| {
            d.record.state.actions == 1
        })
        .await;
    }
    env.skip(MINUTE);
    let skip = until(&schedules, "skip", "second slot skipped", |d| {
        d.record.state.skipped_overlap == 1
    })
    .await;
    assert_eq!(skip.record.state.actions, 1);
    let buffer = until(&schedules, "buffer-one", "second slot buffered", |d| {
        d.record.state.buffered.len() == 1
    })
    .await;
    assert_eq!(buffer.record.state.actions, 1);
    let all = until(&schedules, "allow-all", "two running", |d| {
        d.record.state.running.len() == 2
    })
    .await;
    assert_eq!(all.record.state.actions, 2);
    let term = until(&schedules, "terminate-other", "second action", |d| {
        d.record.state.actions == 2
    })
    .await;
    assert_eq!(term.record.state.running.len(), 1);
    let first = &term.record.state.recent[0].run;
    let outcome = env.host().wait(&first.run_id).await.unwrap();
    assert!(matches!(outcome, Outcome::Terminated { .. }), "{outcome:?}");
    // The first buffer-one report ends at 08:03; the buffered one starts then.
    env.skip(MINUTE);
    until(&schedules, "buffer-one", "buffered action started", |d| {
        d.record.state.actions == 2
    })
    .await;
    for policy in ["skip", "buffer-one", "allow-all", "terminate-other"] {
        schedules.pause(policy, None).await.unwrap();
    }
    for run in runs_of(env.host(), "report") {
        assert_replays(
            env.host(),
            "schedule",
            &env.host().history(&run.run_id).unwrap(),
        );
    }
}

/// The host is down from 08:00:30 to 08:05:30: the four slots it missed are acted on
/// when it opens again (the catch-up window is a year); a schedule whose window is
/// 90 seconds acts only on the two newest and counts the others as missed.
#[tokio::test]
async fn missed_slots_are_caught_up_within_the_window() {
    let data = tempfile::tempdir().unwrap();
    {
        let env = env_at("2026-11-23T08:00:30Z", Some(data.path())).await;
        let schedules = Schedules::start(env.host()).await.unwrap();
        let mut all = schedule(
            ScheduleSpec::every(MINUTE),
            "echo",
            json!("a"),
            OverlapPolicy::AllowAll,
        );
        all.action.workflow_id = "all".into();
        schedules.create("all", all, false, "").await.unwrap();
        let mut window = schedule(
            ScheduleSpec::every(MINUTE),
            "echo",
            json!("w"),
            OverlapPolicy::AllowAll,
        );
        window.action.workflow_id = "window".into();
        window.policies.catchup_window_ms = 90_000;
        schedules.create("window", window, false, "").await.unwrap();
        schedules.stop().await;
    }
    let env = env_at("2026-11-23T08:05:30Z", Some(data.path())).await;
    let schedules = Schedules::start(env.host()).await.unwrap();
    let all = until(&schedules, "all", "caught up", |d| {
        d.record.state.actions == 5
    })
    .await;
    let window = until(&schedules, "window", "caught up", |d| {
        d.record.state.actions == 2
    })
    .await;
    assert_eq!(window.record.state.missed_catchup, 3);
    assert_eq!(
        all.record.state.recent[0].run.workflow_id,
        "all-2026-11-23T08:01:00Z"
    );
    assert_eq!(
        window.record.state.recent[0].run.workflow_id,
        "window-2026-11-23T08:04:00Z"
    );
    for a in all
        .record
        .state
        .recent
        .iter()
        .chain(&window.record.state.recent)
    {
        result_of(env.host(), &a.run.run_id).await;
    }
}

/// The host started a slot's run and stopped before it recorded the action: the
/// restarted host finds the slot's run by its id and starts no second one.
#[tokio::test]
async fn a_slot_started_before_a_crash_is_not_started_again() {
    let data = tempfile::tempdir().unwrap();
    let before_action;
    {
        let env = env_at(T0, Some(data.path())).await;
        let schedules = Schedules::start(env.host()).await.unwrap();
        let s = schedule(
            ScheduleSpec::every(MINUTE),
            "echo",
            json!("once"),
            OverlapPolicy::Skip,
        );
        let created = schedules.create("once", s, false, "").await.unwrap();
        before_action = created.encode(env.host().codec());
        env.skip(MINUTE);
        until(&schedules, "once", "one action", |d| {
            d.record.state.actions == 1
        })
        .await;
        schedules.stop().await;
        // Put back the record as it was before the action, as if the host had died
        // between starting the run and saving the schedule.
        let write = Write::PutSchedule {
            id: "once".into(),
            schedule: before_action.clone(),
        };
        durable(env.host().storage().commit(vec![write]))
            .await
            .unwrap();
    }
    let env = env_at("2026-11-23T08:01:30Z", Some(data.path())).await;
    let schedules = Schedules::start(env.host()).await.unwrap();
    let d = until(&schedules, "once", "the slot handled again", |d| {
        d.record.state.last_processed_ms >= parse_rfc3339("2026-11-23T08:01:00Z").unwrap()
    })
    .await;
    let runs = runs_of(env.host(), "echo");
    assert_eq!(runs.len(), 1, "one run for the slot: {runs:?}");
    assert_eq!(runs[0].workflow_id, "echo-wf-2026-11-23T08:01:00Z");
    assert_eq!(
        d.record.state.actions, 1,
        "the slot's run is its one action"
    );
    assert_eq!(d.record.state.recent[0].run.run_id, runs[0].run_id);
    result_of(env.host(), &runs[0].run_id).await;
}
