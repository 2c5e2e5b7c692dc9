//! Start rates per workflow type (`weft server --start-rate TYPE=N/s[,refuse|delay]`):
//! past the rate a start is refused at once (429 `resource_exhausted`, saying when to
//! try again), or answered at once and pending until its token, the delayed starts
//! running at the rate in the order they came. A child of a limited type is never
//! refused: it waits for its token. A continue-as-new takes no token. On a clock only
//! the test moves, so the times asserted are exact.

use crate::support;

use std::time::Duration;

use serde_json::json;
use support::features::reopened;
use support::in_process::InProcess;
use support::poll;
use support::server::{fails_with, ok, Server};
use support::*;
use weft_host::contract::Payload;
use weft_host::history::Outcome;
use weft_host::runtime::{Host, RunHandle, StartError, StartRequest};
use weft_host::testing::{TestEnv, TestEnvBuilder};
use weft_host::HostConfig;

const TYPE: &str = "signal_basic";
const T0: u64 = 1_800_000_000_000;

fn start(id: &str) -> StartRequest {
    StartRequest {
        workflow_id: Some(id.to_string()),
        ..StartRequest::new(TYPE, Payload::json(&json!(null)))
    }
}

/// When `run`'s first task started, if it did.
fn first_task_at(host: &Host, run: &RunHandle) -> Option<u64> {
    first_task_ms(&host.history(&run.run_id).unwrap())
}

/// A host on a clock at `T0` that only the test moves, with these start rates.
fn builder(rates: &[&str]) -> TestEnvBuilder {
    let builder = test_env().manual_time().start_at(T0);
    rates.iter().fold(builder, |b, r| b.start_rate(r))
}

/// [`builder`]'s host with these components deployed.
async fn deployed(rates: &[&str], components: &[&str]) -> TestEnv {
    deployed_on(builder(rates), components).await
}

async fn deployed_on(builder: TestEnvBuilder, components: &[&str]) -> TestEnv {
    let env = builder.start().await.unwrap();
    for name in components {
        env.deploy(component_bytes(name), name).await.unwrap();
    }
    env
}

#[tokio::test]
async fn delayed_starts_run_at_the_rate_in_the_order_they_came() {
    let env = deployed(&["signal_basic=2/s"], &["messages"]).await;
    let host = env.host();
    let mut runs = Vec::new();
    for i in 0..5 {
        runs.push(host.start(start(&format!("s-{i}"))).await.unwrap());
    }
    // A burst of 2, then one every 500 ms.
    assert_eq!(first_task(host, &runs[0].run_id).await, T0);
    assert_eq!(first_task(host, &runs[1].run_id).await, T0);
    for (i, run) in runs.iter().enumerate().skip(2) {
        let why = host.describe(&format!("s-{i}")).await.unwrap().pending;
        assert_eq!(why.as_deref(), Some("start rate signal_basic 2/s"), "s-{i}");
        assert_eq!(first_task_at(host, run), None);
    }
    let metrics = host.render_metrics();
    for line in [
        "weft_start_rate_waits_total{workflow_type=\"signal_basic\"} 3",
        "weft_start_waits{reason=\"start_rate\"} 3",
    ] {
        assert!(metrics.contains(line), "{line} missing from\n{metrics}");
    }
    for (i, run) in runs.iter().enumerate().skip(2) {
        env.skip(Duration::from_millis(499));
        assert_eq!(first_task_at(host, run), None, "s-{i} early");
        env.skip(Duration::from_millis(1));
        assert_eq!(
            first_task(host, &run.run_id).await,
            T0 + (i as u64 - 1) * 500,
            "s-{i}"
        );
        // The next is not there yet.
        if let Some(next) = runs.get(i + 1) {
            assert_eq!(first_task_at(host, next), None);
        }
    }
    for (i, run) in runs.iter().enumerate() {
        finish_signal_basic(host, &format!("s-{i}"), run).await;
    }
}

/// A host reopened while delayed starts wait: they keep their order and the rate,
/// counting the token the open run that started before the restart took.
#[tokio::test]
async fn a_restarted_host_keeps_delayed_starts_at_the_rate() {
    let dir = tempfile::tempdir().unwrap();
    let rates = ["signal_basic=1/m"];
    let first = deployed_on(builder(&rates).data_dir(dir.path()), &["messages"]).await;
    let mut runs = Vec::new();
    for id in ["a", "b", "c"] {
        runs.push(first.host().start(start(id)).await.unwrap());
        // A reopened host orders the waiting starts by start time (then run id).
        first.skip(Duration::from_millis(1));
    }
    assert_eq!(first_task(first.host(), &runs[0].run_id).await, T0);
    first.skip(Duration::from_millis(9_997));
    drop(first);

    let env = reopened(|| builder(&rates).start_at(T0 + 10_000).data_dir(dir.path())).await;
    let host = env.host();
    for id in ["b", "c"] {
        let why = pending(host, id).await;
        assert_eq!(why.as_deref(), Some("start rate signal_basic 1/m"), "{id}");
    }
    env.skip(Duration::from_millis(49_999));
    assert_eq!(first_task_at(host, &runs[1]), None);
    env.skip(Duration::from_millis(1));
    assert_eq!(first_task(host, &runs[1].run_id).await, T0 + 60_000);
    assert_eq!(first_task_at(host, &runs[2]), None);
    env.skip(Duration::from_secs(60));
    assert_eq!(first_task(host, &runs[2].run_id).await, T0 + 120_000);
    for (id, run) in ["a", "b", "c"].into_iter().zip(&runs) {
        finish_signal_basic(host, id, run).await;
    }
}

/// Children and continue-as-new of a type that refuses past its rate: the second
/// child is not refused but waits an hour for its token; a continue-as-new takes none.
#[tokio::test]
async fn a_child_waits_for_its_token_and_a_continue_as_new_takes_none() {
    let rates = ["echo_child=1/h,refuse", "continue_as_same=1/h,refuse"];
    let env = deployed(&rates, &["children", "messages"]).await;
    let host = env.host();
    let parent = |id: &str| StartRequest {
        workflow_id: Some(id.to_string()),
        ..StartRequest::new("result", Payload::json(&json!(null)))
    };
    let first = host.start(parent("p-1")).await.unwrap();
    let outcome = host.wait(&first.run_id).await.unwrap();
    assert!(matches!(&outcome, Outcome::Completed(p) if p.to_json() == json!("Test")));
    let second = host.start(parent("p-2")).await.unwrap();
    let child = poll::until_async("the second child", || async {
        host.find_run("p-2/child-1").ok()
    })
    .await;
    let why = host.describe("p-2/child-1").await.unwrap().pending;
    assert_eq!(why.as_deref(), Some("start rate echo_child 1/h"));
    // Its own start would be refused.
    let refused = host
        .start(StartRequest {
            workflow_id: Some("alone".into()),
            ..StartRequest::new("echo_child", Payload::json(&json!("x")))
        })
        .await
        .unwrap_err();
    assert!(
        matches!(refused, StartError::RateLimited { .. }),
        "{refused}"
    );
    env.skip(Duration::from_secs(3600));
    let outcome = host.wait(&second.run_id).await.unwrap();
    assert!(matches!(&outcome, Outcome::Completed(p) if p.to_json() == json!("Test")));
    assert_eq!(first_task(host, &child.run_id).await, T0 + 3_600_000);
    for run_id in [&first.run_id, &second.run_id, &child.run_id] {
        assert_replays(host, "children", &host.history(run_id).unwrap());
    }

    let cont = StartRequest {
        workflow_id: Some("cont".into()),
        ..StartRequest::new("continue_as_same", Payload::json(&json!("again")))
    };
    let run = host.start(cont).await.unwrap();
    let outcome = host.wait(&run.run_id).await.unwrap();
    assert!(matches!(outcome, Outcome::ContinuedAsNew), "{outcome:?}");
    let next = host.find_run("cont").unwrap();
    let outcome = host.wait(&next.run_id).await.unwrap();
    assert!(matches!(&outcome, Outcome::Completed(p) if p.to_json() == json!("again")));
    for run_id in [&run.run_id, &next.run_id] {
        assert_replays(host, "messages", &host.history(run_id).unwrap());
    }
}

/// Refuse mode through a real server and the CLI: the second start within the hour
/// exits 5 saying when to try again; over HTTP it is 429 `resource_exhausted`.
#[test]
fn past_a_rate_that_refuses_a_start_is_answered_429() {
    let dir = tempfile::tempdir().unwrap();
    let rate = ["--start-rate", "signal_basic=1/h,refuse"];
    let server = Server::start_with(dir.path(), &[], &rate);
    let component = component("messages");
    ok(server.cli(&["deploy", component.to_str().unwrap(), "--name", "messages"]));
    ok(server.cli(&["start", TYPE, "--id", "first"]));
    let refused = fails_with(server.cli(&["start", TYPE, "--id", "second"]), 5);
    assert!(
        refused.contains("past their rate of 1/h; try again in"),
        "{refused}"
    );
    let body = json!({"workflow_type": TYPE, "id": "third"});
    let (status, answer) = server.post_json("/v1/executions", &body);
    assert_eq!(status, 429, "{answer}");
    assert_eq!(answer["code"], "resource_exhausted", "{answer}");
    let (status, _) = server.get("/v1/executions/second");
    assert_eq!(status, 404, "a refused start records nothing");
    let (_, metrics) = server.get("/metrics");
    let metrics = metrics.as_str().unwrap_or_default().to_string();
    assert!(
        metrics.contains("weft_start_rate_refused_total{workflow_type=\"signal_basic\"} 2"),
        "{metrics}"
    );
    ok(server.cli(&["signal", "first", "my_signal", "--input", "\"1\""]));
    assert_eq!(server.result("first")["result"], json!("1"));
    server.assert_replays("first", "messages");
}

/// Delay mode through the CLI: `describe` and `list` show the delayed start pending,
/// and it runs when its token comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delayed_start_with_the_cli() {
    let mut config = HostConfig::in_memory();
    config.start_rates = vec!["signal_basic=1/m".parse().unwrap()];
    let server = InProcess::start(config, activities(), T0).await;
    let component = support::component("messages");
    ok(server
        .cli(&["deploy", component.to_str().unwrap(), "--name", "messages"])
        .await);
    for id in ["now", "later"] {
        ok(server.cli(&["start", TYPE, "--id", id]).await);
    }
    let described = ok(server.cli(&["describe", "later"]).await);
    assert!(
        described.contains("pending (waiting: start rate signal_basic 1/m)"),
        "{described}"
    );
    let list = ok(server.cli(&["list"]).await);
    let row = |id: &str| list_row(&list, id);
    assert!(row("later").contains("pending"), "{list}");
    assert!(row("now").contains("running"), "{list}");
    server.clock.skip(Duration::from_secs(60));
    poll::until_async("later to start", || async {
        let d = server.describe("later").await;
        d["run"]["pending"].is_null().then_some(())
    })
    .await;
    for id in ["now", "later"] {
        let signal = ["signal", id, "my_signal", "--input", "\"x\""];
        ok(server.cli(&signal).await);
        let path = format!("/v1/executions/{id}/result?wait_s=10");
        let (status, result) = server.get(&path).await;
        assert_eq!((status, &result["result"]), (200, &json!("x")), "{result}");
        let events = server.assert_replays(id, "messages").await;
        let first_task = first_task_ms(&events);
        let at = if id == "now" { T0 } else { T0 + 60_000 };
        assert_eq!(first_task, Some(at), "{id}");
    }
}
