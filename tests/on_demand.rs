//! Runs on demand: an open run that only waits lets its actor and decoded history go
//! (it rests), and whatever arrives for it — a timer, a signal, an update, a query —
//! wakes it from storage. An opening host decodes no resting run's history: it arms
//! their timers from the timer table and wakes the others in the background.

use std::time::Duration;

use crate::support;

use serde_json::{json, Value};
use support::server::{execution, Server};
use support::{activities, assert_replays, completed, component_bytes, test_env};
use weft_host::contract::Payload;
use weft_host::runtime::{Host, RunHandle, StartRequest};
use weft_host::testing::TestEnv;

fn sample(host: &Host, series: &str) -> f64 {
    let text = host.render_metrics();
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no sample {series} in\n{text}"))
}

async fn start(env: &TestEnv, workflow_type: &str, id: &str, input: Value) -> RunHandle {
    env.host()
        .start(StartRequest {
            workflow_id: Some(id.to_string()),
            ..StartRequest::new(workflow_type, Payload::json(&input))
        })
        .await
        .unwrap()
}

/// Wait (bounded, polling) until `n` runs rest in storage.
async fn until_resting(host: &Host, n: usize) {
    let what = format!("{n} resting runs");
    support::poll::until_seen_async(&what, || async {
        let resting = host.storage().resting_runs().unwrap().len();
        if resting == n {
            Ok(())
        } else {
            Err(resting)
        }
    })
    .await
}

#[tokio::test]
async fn waiting_runs_rest_and_wake_for_timers_and_messages() {
    let env = test_env()
        .activities(activities())
        .actor_cache_size(0)
        .start()
        .await
        .unwrap();
    env.deploy(component_bytes("timer"), "timer").await.unwrap();
    env.deploy(component_bytes("entity"), "entity")
        .await
        .unwrap();

    let account = start(&env, "entity", "acct", json!({"balance": 100})).await;
    let sleepers: Vec<RunHandle> = start_sleepers(&env, 10).await;
    let host = env.host();
    host.signal("acct", "deposit", Payload::json(&json!({"amount": 50})))
        .await
        .unwrap();
    let balance: i64 = env.query("acct", "balance", Value::Null).await.unwrap();
    assert_eq!(balance, 150);
    let left = env
        .update("acct", "withdraw", json!({"amount": 30}))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(left, 120);
    host.signal("acct", "close", Payload::json(&Value::Null))
        .await
        .unwrap();

    let closed = completed(&host.wait(&account.run_id).await.unwrap());
    assert_eq!(closed["balance"], 120, "{closed}");
    assert_replays(host, "entity", &host.history(&account.run_id).unwrap());
    for run in &sleepers {
        let done = completed(&host.wait(&run.run_id).await.unwrap());
        assert_eq!(done["greeting"], "Hello, timer!", "{done}");
        assert!(done["slept_ms"].as_u64().unwrap() >= 3_600_000, "{done}");
        assert_replays(host, "timer", &host.history(&run.run_id).unwrap());
    }
    // Each run rested while it waited and was woken by what came for it.
    assert!(sample(host, "weft_runs_rested_total") >= 11.0);
    assert!(sample(host, "weft_runs_woken_total") >= 11.0);
    assert!(host.storage().resting_runs().unwrap().is_empty());
}

/// Start `n` runs of `timer` sleeping an hour, as `sleep-<i>`.
async fn start_sleepers(env: &TestEnv, n: usize) -> Vec<RunHandle> {
    let mut runs = Vec::new();
    for i in 0..n {
        runs.push(
            start(
                env,
                "timer",
                &format!("sleep-{i}"),
                json!({"seconds": 3600}),
            )
            .await,
        );
    }
    runs
}

#[tokio::test]
async fn an_opening_host_decodes_no_resting_run() {
    let dir = tempfile::tempdir().unwrap();
    let open = || {
        test_env()
            .activities(activities())
            .data_dir(dir.path())
            .actor_cache_size(0)
            .manual_time()
            .start()
    };
    let env = open().await.unwrap();
    env.deploy(component_bytes("timer"), "timer").await.unwrap();
    let mut runs = Vec::new();
    for i in 0..30 {
        runs.push(
            start(
                &env,
                "timer",
                &format!("day-{i}"),
                json!({"seconds": 86_400}),
            )
            .await,
        );
    }
    until_resting(env.host(), 30).await;
    drop(env);

    let env = open().await.unwrap();
    let host = env.host();
    assert_eq!(host.open_runs(), 30);
    assert_eq!(sample(host, "weft_runs_woken_total"), 0.0);
    let described = host.find_run("day-3").unwrap();
    assert!(described.status.is_open());
    env.skip(Duration::from_secs(86_400));
    for run in &runs {
        let done = completed(&host.wait(&run.run_id).await.unwrap());
        assert_eq!(done["greeting"], "Hello, timer!", "{done}");
        assert_replays(host, "timer", &host.history(&run.run_id).unwrap());
    }
    assert_eq!(sample(host, "weft_runs_woken_total"), 30.0);
    assert_eq!(host.open_runs(), 0);
}

/// The value of sample `series` on the server's `/metrics`.
fn served(server: &Server, series: &str) -> f64 {
    let mut resp = ureq::get(format!("{}/metrics", server.url)).call().unwrap();
    let text = resp.body_mut().read_to_string().unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no sample {series} in\n{text}"))
}

#[test]
fn a_server_killed_with_many_waiting_runs_answers_at_once_and_reads_none_of_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let args = ["--actor-cache-size", "10"];
    let server = Server::start_with(&data, &[], &args);
    let (status, body) = server.post_bytes("/v1/modules?name=timer", &component_bytes("timer"));
    assert_eq!(status, 201, "{body}");
    let start = |server: &Server, id: &str| {
        let request = json!({"workflow_type": "timer", "id": id, "input": {"seconds": 86_400}});
        let (status, body) = server.post_json("/v1/executions", &request);
        assert_eq!(status, 201, "{body}");
    };
    for i in 0..200 {
        start(&server, &format!("day-{i}"));
    }
    // Past the ten live actors, every run rests.
    support::poll::until_seen("190 runs resting", || {
        let rested = served(&server, "weft_runs_rested_total");
        if rested >= 190.0 {
            Ok(())
        } else {
            Err(rested)
        }
    });
    // A resting row's commit is not awaited: one durable commit after them (the one
    // writer takes commits in order) makes them all durable before the kill. A batch
    // that finds nothing is such a commit.
    let flush = json!({"operation": "cancel", "query": "WorkflowId = 'none'", "reason": "flush"});
    let (status, body) = server.post_json("/v1/batches", &flush);
    assert_eq!(status, 201, "{body}");
    server.kill();

    // The restarted server answers, starts, and has read back only the runs that did
    // not rest (at most the ten that were live).
    let server = Server::start_with(&data, &[], &args);
    let (status, body) = server.get("/v1/health");
    assert_eq!(status, 200, "{body}");
    start(&server, "after-restart");
    assert_eq!(served(&server, "weft_open_runs"), 201.0);
    assert!(served(&server, "weft_runs_woken_total") <= 10.0);
    let (status, body) = server.get(&execution("day-150"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "running", "{body}");
    // Terminating a resting run wakes it; it closes, and its history replays.
    let (status, body) = server.post_json(
        &format!("{}/terminate", execution("day-150")),
        &json!({"reason": "test"}),
    );
    assert!(status == 200 || status == 202, "{status} {body}");
    let events = server.assert_replays("day-150", "timer");
    assert_eq!(events.last().map(|e| e.name()), Some("terminated"));
}

/// `weft bench --scenario open-runs` prints the one JSON line its interface names: the
/// runs stay open across the restart in a server of its own (here on the virtual clock,
/// which the server inherits, so its one-second timers fire at once).
#[test]
fn the_open_runs_bench_prints_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = support::weft()
        .env("WEFT_VIRTUAL_CLOCK", "1")
        .args(["bench", "--scenario", "open-runs", "--executions", "300"])
        .arg("--timer")
        .arg(support::component("timer"))
        .arg("--data")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["scenario"], "open-runs", "{line}");
    // The 300 runs, the first start after the restart, and the ten short ones if any
    // were still open when counted.
    let open = line["open_runs"].as_u64().unwrap();
    assert!((301..=311).contains(&open), "{line}");
    for key in ["peak_rss_mb", "restart_peak_rss_mb", "starts_per_s"] {
        assert!(line[key].as_f64().unwrap() > 0.0, "{key}: {line}");
    }
    assert!(line["restart_first_start_s"].as_f64().is_some(), "{line}");
}
