//! Fairness, concurrency keys and rates by type and key, through the `tenants` example:
//! under contention, runs of two tenants share a host by their weights (their
//! activities, and their pending starts past a workflow limit), activities with a
//! concurrency key run at most the key's limit at once, rates per activity type and per
//! key space their starts on the virtual clock, and a child runs with the flow options
//! its parent gave it. Every history replays.

use crate::support;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::json;
use support::*;
use tokio::sync::Semaphore;
use weft_host::contract::Payload;
use weft_host::flow::{Fairness, Priority};
use weft_host::history::{Event, Outcome};
use weft_host::runtime::clock::Clock;
use weft_host::runtime::{Host, RunHandle, StartRequest};
use weft_host::testing::{TestEnv, TestEnvBuilder};
use weft_host::{ActivityError, ActivityRegistry};

/// What the `charge` activity saw: the customers in the order they were charged, with
/// the host's time, and how many charges ran at once at most.
#[derive(Default)]
struct Charges {
    order: Mutex<Vec<(String, u64)>>,
    running: Mutex<(usize, usize)>,
    clock: OnceLock<Clock>,
}

/// `charge` that notes each customer; one named `hold…` waits for a permit of `gate`;
/// with `sleep`, each charge takes that long on the host's clock.
fn charges(seen: Arc<Charges>, gate: Arc<Semaphore>, sleep: Option<Duration>) -> ActivityRegistry {
    let mut registry = ActivityRegistry::new();
    registry.register_fn("charge", move |ctx, customer: String| {
        let (seen, gate) = (seen.clone(), gate.clone());
        async move {
            let now = seen.clock.get().map_or(0, Clock::now_ms);
            seen.order.lock().unwrap().push((customer.clone(), now));
            {
                let mut running = seen.running.lock().unwrap();
                running.0 += 1;
                running.1 = running.1.max(running.0);
            }
            if customer.starts_with("hold") {
                gate.acquire().await.unwrap().forget();
            }
            if let Some(d) = sleep {
                ctx.sleep(d).await;
            }
            seen.running.lock().unwrap().0 -= 1;
            Ok::<_, ActivityError>(format!("receipt for {customer}"))
        }
    });
    registry
}

async fn env_with(
    seen: &Arc<Charges>,
    gate: &Arc<Semaphore>,
    sleep: Option<Duration>,
    builder: impl FnOnce(TestEnvBuilder) -> TestEnvBuilder,
) -> TestEnv {
    let env = builder(test_env().activities(charges(seen.clone(), gate.clone(), sleep)))
        .start()
        .await
        .unwrap();
    env.deploy(component_bytes("tenants"), "tenants")
        .await
        .unwrap();
    seen.clock.set(env.host().clock().clone()).ok();
    env
}

fn charge_all(id: &str, customers: &[&str], fairness: Option<(&str, u32)>) -> StartRequest {
    StartRequest {
        workflow_id: Some(id.to_string()),
        fairness: fairness.map(|(k, w)| Fairness::new(k, Some(w)).unwrap()),
        ..StartRequest::new(
            "charge_all",
            Payload::json(&json!({ "customers": customers })),
        )
    }
}

async fn activities_waiting(host: &Host, n: usize) {
    poll::until_seen_async(&format!("{n} activities waiting"), || async {
        let load = host.activity_load();
        (load.waiting == n).then_some(()).ok_or(load)
    })
    .await
}

/// Every run ends completed and its history replays on `tenants`.
async fn all_complete(host: &Host, runs: &[RunHandle]) {
    for run in runs {
        let outcome = host.wait(&run.run_id).await.unwrap();
        assert!(matches!(outcome, Outcome::Completed(_)), "{outcome:?}");
        assert_replays(host, "tenants", &host.history(&run.run_id).unwrap());
    }
}

fn order(seen: &Charges) -> Vec<String> {
    seen.order
        .lock()
        .unwrap()
        .iter()
        .map(|(c, _)| c.clone())
        .collect()
}

/// A holder takes the host's only slot; then tenant `a` (weight 1) queues 12 charges
/// and tenant `b` (weight 2) 4. With first come first served `b` would wait for all of
/// `a`; by weight, `b` gets two turns for each of `a`'s while both wait.
#[tokio::test]
async fn two_tenants_share_a_busy_host_by_weight() {
    let (seen, gate) = (Arc::new(Charges::default()), Arc::new(Semaphore::new(0)));
    let env = env_with(&seen, &gate, None, |b| b.max_concurrent_activities(1)).await;
    let host = env.host();
    let mut runs = vec![host
        .start(charge_all("holder", &["hold"], None))
        .await
        .unwrap()];
    activities_waiting(host, 0).await;
    poll::until("the holder to run", || {
        (!order(&seen).is_empty()).then_some(())
    });
    let mut waiting = 0;
    for (tenant, weight, n) in [("a", 1, 12), ("b", 2, 4)] {
        for i in 1..=n {
            let id = format!("{tenant}{i}");
            let run = charge_all(&id, &[id.as_str()], Some((tenant, weight)));
            runs.push(host.start(run).await.unwrap());
            waiting += 1;
            activities_waiting(host, waiting).await;
        }
    }
    gate.add_permits(1);
    all_complete(host, &runs).await;
    let a_rest: Vec<String> = (3..=12).map(|i| format!("a{i}")).collect();
    let mut want = vec!["hold", "a1", "b1", "b2", "a2", "b3", "b4"];
    want.extend(a_rest.iter().map(String::as_str));
    assert_eq!(order(&seen), want);
    let described = host.describe("b1").await.unwrap();
    assert_eq!(
        described.fairness,
        Some(Fairness::new("b", Some(2)).unwrap())
    );
    let events = host.history(&runs[1].run_id).unwrap();
    assert!(events.contains(&Event::Fairness(Fairness::new("a", Some(1)).unwrap())));
}

/// Starts past a workflow limit wait in the same line: a tenant that started six runs
/// and one that started two after it take turns.
#[tokio::test]
async fn pending_starts_take_turns_by_tenant() {
    let (seen, gate) = (Arc::new(Charges::default()), Arc::new(Semaphore::new(0)));
    let env = env_with(&seen, &gate, None, |b| b.workflow_limit("charge_all", 1)).await;
    let host = env.host();
    let mut runs = vec![host
        .start(charge_all("holder", &["hold"], None))
        .await
        .unwrap()];
    poll::until("the holder to run", || {
        (!order(&seen).is_empty()).then_some(())
    });
    for (tenant, n) in [("a", 6), ("b", 2)] {
        for i in 1..=n {
            let id = format!("{tenant}{i}");
            let run = charge_all(&id, &[id.as_str()], Some((tenant, 1)));
            runs.push(host.start(run).await.unwrap());
        }
    }
    assert_eq!(
        host.pending_reason(&runs[7].run_id).as_deref(),
        Some("workflow limit charge_all=1")
    );
    gate.add_permits(1);
    all_complete(host, &runs).await;
    assert_eq!(
        order(&seen),
        ["hold", "a1", "b1", "a2", "b2", "a3", "a4", "a5", "a6"]
    );
}

/// Six charges of one run under `--concurrency-limit payments=2`, each a second long:
/// two at a time, three seconds in all; a charge waiting says for what.
#[tokio::test]
async fn a_concurrency_key_runs_at_most_its_limit_at_once() {
    let (seen, gate) = (Arc::new(Charges::default()), Arc::new(Semaphore::new(0)));
    let sleep = Some(Duration::from_secs(1));
    let env = env_with(&seen, &gate, sleep, |b| b.concurrency_limit("payments", 2)).await;
    let host = env.host();
    let began = env.now_ms();
    let customers = ["c1", "c2", "c3", "c4", "c5", "c6"];
    let run = host
        .start(charge_all("six", &customers, None))
        .await
        .unwrap();
    all_complete(host, std::slice::from_ref(&run)).await;
    assert_eq!(seen.running.lock().unwrap().1, 2);
    assert_eq!(env.now_ms() - began, 3_000);
    let events = host.history(&run.run_id).unwrap();
    let flows = events.iter().filter(|e| matches!(e, Event::ActivityFlow { flow, .. } if flow.concurrency_key.as_deref() == Some("payments"))).count();
    assert_eq!(flows, 6);

    // Two holders take the key's slots; the third waits, and `describe` says for what.
    let run = host
        .start(charge_all("held", &["hold1", "hold2", "c7"], None))
        .await
        .unwrap();
    poll::until_seen_async("the third charge to wait for the key", || async {
        let d = host.describe("held").await.unwrap();
        let note = d.waiting.activity_waits.values().next().cloned();
        (note.as_deref()
            == Some("waiting for a slot of concurrency key `payments` (limit 2, all taken)"))
        .then_some(())
        .ok_or(note)
    })
    .await;
    let metrics = host.render_metrics();
    for line in [
        "weft_concurrency_key_waiting{key=\"payments\"} 1",
        "weft_activities_waiting{for=\"key_slot\"} 1",
        "weft_activities_waiting{for=\"host_slot\"} 0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line}\n{metrics}");
    }
    gate.add_permits(2);
    all_complete(host, &[run]).await;
    // Four of the six waited for the key, and the seventh.
    let metrics = host.render_metrics();
    let waits = "weft_activity_waits_total{for=\"key_slot\"} 5";
    assert!(metrics.lines().any(|l| l == waits), "{metrics}");
}

/// `--rate type:charge=2/s` and `--rate key:payments=1/s` space the starts of six
/// charges on the host's clock, whatever their task queue.
#[tokio::test]
async fn rates_per_activity_type_and_per_key_space_the_starts() {
    let customers = ["c1", "c2", "c3", "c4", "c5", "c6"];
    for (rate, want) in [
        ("type:charge=2/s", [0, 0, 500, 1000, 1500, 2000]),
        ("key:payments=1/s", [0, 1000, 2000, 3000, 4000, 5000]),
    ] {
        let (seen, gate) = (Arc::new(Charges::default()), Arc::new(Semaphore::new(0)));
        let env = env_with(&seen, &gate, None, |b| b.rate(rate)).await;
        let began = env.now_ms();
        let run = env
            .host()
            .start(charge_all("six", &customers, None))
            .await
            .unwrap();
        all_complete(env.host(), &[run]).await;
        let mut starts: Vec<u64> = seen
            .order
            .lock()
            .unwrap()
            .iter()
            .map(|(_, t)| t - began)
            .collect();
        starts.sort();
        assert_eq!(starts, want, "{rate}");
    }
}

/// `onboard` starts its child at priority 1 for the fairness key `vip`, whatever its
/// own start said; the child's activities inherit that.
#[tokio::test]
async fn a_child_runs_with_the_flow_options_its_parent_gave_it() {
    let (seen, gate) = (Arc::new(Charges::default()), Arc::new(Semaphore::new(0)));
    let env = env_with(&seen, &gate, None, |b| b).await;
    let host = env.host();
    let parent = host
        .start(StartRequest {
            workflow_id: Some("acme".into()),
            priority: Some(Priority::new(4).unwrap()),
            fairness: Some(Fairness::new("tenant-a", Some(3)).unwrap()),
            ..StartRequest::new("onboard", Payload::json(&json!({"customers": ["ada"]})))
        })
        .await
        .unwrap();
    all_complete(host, std::slice::from_ref(&parent)).await;
    let child = host.describe("acme/charges").await.unwrap();
    assert_eq!(child.priority.get(), 1);
    assert_eq!(child.fairness, Some(Fairness::new("vip", Some(5)).unwrap()));
    let parent_described = host.describe("acme").await.unwrap();
    assert_eq!(parent_described.priority.get(), 4);
    assert_eq!(
        parent_described.fairness,
        Some(Fairness::new("tenant-a", Some(3)).unwrap())
    );
    let events = host.history(&parent.run_id).unwrap();
    assert!(events.iter().any(|e| matches!(e, Event::ChildFlow { .. })));
    assert_replays(host, "tenants", &host.history(&child.run.run_id).unwrap());
}

/// Through a server and the CLI: `weft start --fairness` is recorded and shown by
/// `describe` (text and JSON) and `history show`; bad keys, weights and limits are
/// refused with a message naming them.
#[test]
fn weft_start_fairness_shows_in_describe_and_history() {
    use support::server::{fails_with, ok, Server};
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let component = component("hello");
    ok(server.cli(&["deploy", component.to_str().unwrap(), "--name", "hello"]));
    let start = ["start", "hello", "--id", "t-a", "--input", "\"a\""];
    ok(server.cli(&[&start[..], &["--fairness", "tenant-a:2"]].concat()));
    server.result("t-a");
    let described = ok(server.cli(&["describe", "t-a"]));
    assert!(
        described
            .lines()
            .any(|l| l == "  fairness tenant-a (weight 2)"),
        "{described}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(server.cli(&["describe", "t-a", "--json"]))).unwrap();
    assert_eq!(json["fairness"], json!({"key": "tenant-a", "weight": 2}));
    let history = ok(server.cli(&["history", "show", "t-a"]));
    assert!(
        history.contains("fairness") && history.contains("key=\"tenant-a\" weight=2"),
        "{history}"
    );
    server.assert_replays("t-a", "hello");
    for (bad, says) in [
        (":2", "fairness key"),
        ("tenant-a:0", "fairness weight `0` is out of range"),
        ("tenant-a:x", "the weight after `:` must be a whole number"),
    ] {
        let out = server.cli(&["start", "hello", "--input", "\"b\"", "--fairness", bad]);
        let message = fails_with(out, 2);
        assert!(message.contains(says), "{bad}: {message}");
    }
    let (status, body) = server.post_json(
        "/v1/executions",
        &json!({"workflow_type": "hello", "input": "c", "fairness_weight": 2}),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body.to_string()
            .contains("`fairness_weight` needs `fairness_key`"),
        "{body}"
    );
    let out = weft()
        .args([
            "server",
            "--data",
            dir.path().to_str().unwrap(),
            "--concurrency-limit",
            "payments=0",
        ])
        .output()
        .unwrap();
    let message = fails_with(out, 2);
    assert!(
        message.contains("the limit must be a whole number, 1 or more"),
        "{message}"
    );
}

/// `weft server --config FILE` reads the flow settings from a TOML file (a flag on the
/// command line still given), and a key that is no flag is refused, naming it.
#[test]
fn a_config_file_sets_the_flow_limits() {
    use support::server::{fails_with, Server};
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("weft.toml");
    std::fs::write(
        &config,
        "[flow]\nworkflow-limit = [\"hello=1\", \"report=2\"]\nconcurrency-limit = [\"payments=3\"]\nrate = [\"type:greet=100/s\"]\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let server = Server::start_with(&data, &[], &["--config", config.to_str().unwrap()]);
    let (status, _) = server.get("/v1/executions");
    assert_eq!(status, 200);
    let metrics = support::server::ok(server.cli(&["metrics", "weft_"]));
    for line in [
        "weft_pending_starts{workflow_type=\"hello\"} 0",
        "weft_pending_starts{workflow_type=\"report\"} 0",
        "weft_concurrency_key_waiting{key=\"payments\"} 0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line}\n{metrics}");
    }
    drop(server);
    std::fs::write(&config, "[flow]\nbogus-limit = 3\n").unwrap();
    let out = weft()
        .args(["server", "--data", data.to_str().unwrap(), "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let message = fails_with(out, 2);
    assert!(message.contains("--bogus-limit"), "{message}");
}

/// `--workflow-limit key:*=1`: each tenant runs one run at a time, whatever the type:
/// tenant `a`'s second run waits for its first while tenant `b`'s runs at once.
#[tokio::test]
async fn a_key_limit_holds_each_tenant_to_one_run() {
    let (seen, gate) = (Arc::new(Charges::default()), Arc::new(Semaphore::new(0)));
    let env = env_with(&seen, &gate, None, |b| b.workflow_limit("key:*", 1)).await;
    let host = env.host();
    let a1 = host
        .start(charge_all("a1", &["hold"], Some(("a", 1))))
        .await
        .unwrap();
    poll::until("a1 to run", || (!order(&seen).is_empty()).then_some(()));
    let a2 = host
        .start(charge_all("a2", &["a2"], Some(("a", 1))))
        .await
        .unwrap();
    assert_eq!(
        host.pending_reason(&a2.run_id).as_deref(),
        Some("workflow limit key:a=1")
    );
    let b1 = host
        .start(charge_all("b1", &["b1"], Some(("b", 1))))
        .await
        .unwrap();
    all_complete(host, std::slice::from_ref(&b1)).await;
    assert_eq!(order(&seen), ["hold", "b1"]);
    gate.add_permits(1);
    all_complete(host, &[a1, a2]).await;
    assert_eq!(order(&seen), ["hold", "b1", "a2"]);
}
