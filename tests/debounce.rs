//! Debounced starts (`weft start TYPE --debounce KEY=PERIOD`): of the starts of one
//! workflow type and key less than a period apart, only the last runs, when the period
//! has passed since it came; the earlier ones close at once as superseded, naming the
//! run that superseded them. Starts further apart than the period each run. A restarted
//! host keeps a pending start and its due time. On a clock only the test moves, so the
//! times asserted are exact.
//!
//! The runs are `signal_basic` (of the `messages` fixture): each waits for a signal, so
//! a run that started stays open until the test signals it.

use crate::support;

use std::time::Duration;

use serde_json::{json, Value};
use support::features::reopened;
use support::in_process::InProcess;
use support::poll;
use support::server::{fails_with, ok, Server};
use support::*;
use weft_host::contract::Payload;
use weft_host::flow::Debounce;
use weft_host::history::{Event, Outcome};
use weft_host::runtime::{RunHandle, StartRequest};
use weft_host::testing::{TestEnv, TestEnvBuilder};
use weft_host::HostConfig;

const TYPE: &str = "signal_basic";
const T0: u64 = 1_800_000_000_000;

fn debounced(id: &str, key: &str, period_s: u64) -> StartRequest {
    StartRequest {
        workflow_id: Some(id.to_string()),
        debounce: Some(Debounce::new(key, Duration::from_secs(period_s)).unwrap()),
        ..StartRequest::new(TYPE, Payload::json(&json!(null)))
    }
}

fn builder() -> TestEnvBuilder {
    test_env().manual_time()
}

async fn deployed(builder: TestEnvBuilder) -> TestEnv {
    let env = builder.start().await.unwrap();
    env.deploy(component_bytes("messages"), "messages")
        .await
        .unwrap();
    env
}

#[tokio::test]
async fn of_five_starts_within_the_period_only_the_last_runs() {
    let env = deployed(builder().start_at(T0)).await;
    let host = env.host();
    let mut runs: Vec<RunHandle> = Vec::new();
    for i in 0..5 {
        if i > 0 {
            env.skip(Duration::from_secs(10));
        }
        let run = host
            .start(debounced(&format!("d-{i}"), "user-42", 30))
            .await
            .unwrap();
        if let Some(previous) = runs.last() {
            // Closed at once, naming the run that superseded it.
            let outcome = host.wait(&previous.run_id).await.unwrap();
            assert!(
                matches!(&outcome, Outcome::Terminated(r)
                    if r.contains("superseded by run") && r.contains(&run.run_id)),
                "{outcome:?}"
            );
        }
        runs.push(run);
    }
    // Another key is apart: it runs on its own period.
    let other = host.start(debounced("other", "user-7", 30)).await.unwrap();
    let due = T0 + 40_000 + 30_000;
    let until = weft_host::schedules::rfc3339(due);
    assert_eq!(
        pending(host, "d-4").await.as_deref(),
        Some(format!("debounce user-42 until {until}").as_str())
    );
    let metrics = host.render_metrics();
    for line in [
        "weft_debounced_starts_total{workflow_type=\"signal_basic\"} 6",
        "weft_debounce_superseded_total{workflow_type=\"signal_basic\"} 4",
        "weft_start_waits{reason=\"debounce\"} 2",
    ] {
        assert!(metrics.contains(line), "{line} missing from\n{metrics}");
    }
    // `other` (due at T0 + 70 s too) and `d-4` run when their period is over, not before.
    env.skip(Duration::from_millis(29_999));
    assert!(pending(host, "d-4").await.is_some());
    env.skip(Duration::from_millis(1));
    assert_eq!(first_task(host, &runs[4].run_id).await, due);
    assert_eq!(first_task(host, &other.run_id).await, due);
    assert_eq!(pending(host, "d-4").await, None);
    finish_signal_basic(host, "d-4", &runs[4]).await;
    finish_signal_basic(host, "other", &other).await;
    for (i, run) in runs.iter().enumerate() {
        let events = host.history(&run.run_id).unwrap();
        assert_eq!(first_task_ms(&events).is_some(), i == 4, "d-{i}");
        let supersedes = events.iter().find_map(|e| match e {
            Event::Debounced { supersedes, .. } => Some(supersedes.clone()),
            _ => None,
        });
        let previous = (i > 0).then(|| runs[i - 1].run_id.clone());
        assert_eq!(supersedes, Some(previous), "d-{i}");
    }
    // (The superseded runs have no task to replay; the others replayed as they closed.)
    assert!(host
        .render_metrics()
        .contains("weft_start_waits{reason=\"debounce\"} 0"));
}

#[tokio::test]
async fn starts_further_apart_than_the_period_each_run() {
    let env = deployed(builder().start_at(T0)).await;
    let host = env.host();
    let mut runs = Vec::new();
    for i in 0..3 {
        let id = format!("apart-{i}");
        let run = host.start(debounced(&id, "k", 5)).await.unwrap();
        env.skip(Duration::from_secs(5));
        assert_eq!(
            first_task(host, &run.run_id).await,
            T0 + i * 5_000 + 5_000,
            "{id}"
        );
        runs.push((id, run));
    }
    for (id, run) in &runs {
        finish_signal_basic(host, id, run).await;
    }
    // A cancelled pending start closes without running, and supersedes nothing later.
    let dropped = host.start(debounced("dropped", "k", 5)).await.unwrap();
    host.cancel("dropped", "not needed").await.unwrap();
    let outcome = host.wait(&dropped.run_id).await.unwrap();
    assert!(
        matches!(&outcome, Outcome::Terminated(r) if r.contains("pending")),
        "{outcome:?}"
    );
    let next = host.start(debounced("next", "k", 5)).await.unwrap();
    let events = host.history(&next.run_id).unwrap();
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Debounced {
            supersedes: None,
            ..
        }
    )));
    env.skip(Duration::from_secs(5));
    first_task(host, &next.run_id).await;
    finish_signal_basic(host, "next", &next).await;
    assert_eq!(first_task_ms(&host.history(&dropped.run_id).unwrap()), None);
}

/// Under a workflow limit, a debounced start whose period is over takes its place in
/// the limit's line: it runs when a run of its type closes.
#[tokio::test]
async fn a_debounced_start_then_waits_under_its_workflow_limit() {
    let env = deployed(builder().start_at(T0).workflow_limit(TYPE, 1)).await;
    let host = env.host();
    let busy = StartRequest {
        workflow_id: Some("busy".into()),
        ..StartRequest::new(TYPE, Payload::json(&json!(null)))
    };
    let busy = host.start(busy).await.unwrap();
    let late = host.start(debounced("late", "k", 5)).await.unwrap();
    env.skip(Duration::from_secs(5));
    let limit = "workflow limit signal_basic=1";
    poll::until_async("late in the limit's line", || async {
        (pending(host, "late").await.as_deref() == Some(limit)).then_some(())
    })
    .await;
    finish_signal_basic(host, "busy", &busy).await;
    assert_eq!(first_task(host, &late.run_id).await, T0 + 5_000);
    finish_signal_basic(host, "late", &late).await;
}

#[tokio::test]
async fn a_restarted_host_keeps_the_pending_start_and_its_due_time() {
    let dir = tempfile::tempdir().unwrap();
    let first = deployed(builder().start_at(T0).data_dir(dir.path())).await;
    let early = first.host().start(debounced("r-1", "k", 60)).await.unwrap();
    first.skip(Duration::from_secs(20));
    let late = first.host().start(debounced("r-2", "k", 60)).await.unwrap();
    first.host().wait(&early.run_id).await.unwrap();
    drop(first);

    // The host comes back 30 s after the first start; `r-2` is due at T0 + 80 s.
    let env = reopened(|| builder().start_at(T0 + 30_000).data_dir(dir.path())).await;
    let host = env.host();
    let until = weft_host::schedules::rfc3339(T0 + 80_000);
    // Said at once, while the opening host takes the run up in the background.
    let why = pending(host, "r-2").await;
    assert_eq!(why, Some(format!("debounce k until {until}")));
    assert_eq!(first_task_ms(&host.history(&late.run_id).unwrap()), None);
    env.skip(Duration::from_millis(49_999));
    assert!(pending(host, "r-2").await.is_some());
    env.skip(Duration::from_millis(1));
    assert_eq!(first_task(host, &late.run_id).await, T0 + 80_000);
    finish_signal_basic(host, "r-2", &late).await;
    assert_eq!(first_task_ms(&host.history(&early.run_id).unwrap()), None);
}

/// The operator's view, through the CLI: `weft start --debounce`, `describe` (and its
/// `--json`), `list`, `history show`, the metrics; bad input is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debounce_with_the_cli() {
    let server = InProcess::start(HostConfig::in_memory(), activities(), T0).await;
    let component = support::component("messages");
    ok(server
        .cli(&["deploy", component.to_str().unwrap(), "--name", "messages"])
        .await);
    for id in ["c-1", "c-2"] {
        let args = ["start", TYPE, "--id", id, "--debounce", "user-42=30s"];
        assert_eq!(ok(server.cli(&args).await), id);
    }
    let second = server.describe("c-2").await;
    let second_run = second["run_id"].as_str().unwrap().to_string();
    let described = poll::until_async("c-1 superseded", || async {
        let described = ok(server.cli(&["describe", "c-1"]).await);
        described.contains("terminated").then_some(described)
    })
    .await;
    let said = format!("reason    superseded by run {second_run}");
    assert!(described.contains(&said), "{described}");
    let events = server.history("c-1").await;
    assert_eq!(first_task_ms(&events), None);
    let reason = events.iter().find_map(|e| match e {
        Event::Terminated { reason } => Some(reason.clone()),
        _ => None,
    });
    let reason = reason.unwrap();
    assert!(
        reason.contains("superseded by run") && reason.contains(&second_run),
        "{reason}"
    );
    let until = weft_host::schedules::rfc3339(T0 + 30_000);
    assert_eq!(
        second["pending"],
        json!(format!("debounce user-42 until {until}"))
    );
    let described = ok(server.cli(&["describe", "c-2"]).await);
    assert!(
        described.contains(&format!(
            "pending (waiting: debounce user-42 until {until})"
        )),
        "{described}"
    );
    let list = ok(server.cli(&["list"]).await);
    assert!(list_row(&list, "c-2").contains("pending"), "{list}");
    let history = ok(server.cli(&["history", "show", "c-2"]).await);
    assert!(
        history.contains("debounced") && history.contains("\"user-42\""),
        "{history}"
    );
    assert!(history.contains("superseding run"), "{history}");
    let (_, metrics) = server.get("/metrics").await;
    let metrics = metrics.as_str().unwrap_or_default().to_string();
    assert!(
        metrics.contains("weft_debounced_starts_total{workflow_type=\"signal_basic\"} 2"),
        "{metrics}"
    );

    for bad in ["user-42", "user-42=0s", "=30s", "user-42=soon"] {
        let args = ["start", TYPE, "--debounce", bad];
        let error = fails_with(server.cli(&args).await, 2);
        assert!(error.contains("--debounce"), "{bad}: {error}");
    }
    let body = json!({"workflow_type": TYPE, "debounce": {"key": "k", "period_ms": 0}});
    let (status, refused) = server.post_json("/v1/executions", &body).await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused["message"]
        .as_str()
        .unwrap()
        .starts_with("debounce: "));

    server.clock.skip(Duration::from_secs(30));
    poll::until_async("c-2 to start", || async {
        let d = server.describe("c-2").await;
        d["pending"].is_null().then_some(())
    })
    .await;
    ok(server
        .cli(&["signal", "c-2", "my_signal", "--input", "\"done\""])
        .await);
    let (status, result) = server.get("/v1/executions/c-2/result?wait_s=10").await;
    assert_eq!(
        (status, &result["result"]),
        (200, &json!("done")),
        "{result}"
    );
    server.assert_replays("c-2", "messages").await;
}

/// A real server, on the system clock, stopped and started again: the pending start
/// is still pending, due at the same time.
#[test]
fn a_restarted_server_keeps_the_pending_debounced_start() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let component = component("messages");
    ok(server.cli(&["deploy", component.to_str().unwrap(), "--name", "messages"]));
    ok(server.cli(&["start", TYPE, "--id", "s-1", "--debounce", "nightly=1h"]));
    let pending = |server: &Server| -> Value {
        let described = ok(server.cli(&["describe", "s-1", "--json"]));
        serde_json::from_str::<Value>(&described).unwrap()["pending"].clone()
    };
    let before = pending(&server);
    assert!(
        before
            .as_str()
            .unwrap()
            .starts_with("debounce nightly until "),
        "{before}"
    );
    assert!(server.terminate().success());
    let server = Server::start(dir.path(), &[]);
    assert_eq!(pending(&server), before);
    ok(server.cli(&["cancel", "s-1", "--reason", "not needed"]));
    poll::until_seen("s-1 closed", || {
        let described = ok(server.cli(&["describe", "s-1"]));
        described
            .contains("terminated")
            .then_some(())
            .ok_or(described)
    });
    assert_eq!(first_task_ms(&server.history("s-1")), None);
}
