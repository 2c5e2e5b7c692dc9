//! Priorities: under contention (here a host that runs one activity at a time), the
//! activities of higher-priority runs take the slot first, first come first served
//! within a priority; a run's priority survives in its history and its list entry, its
//! child inherits it, and `weft start --priority` / `weft describe` show it.

use crate::support;

use std::sync::{Arc, Mutex};

use serde_json::json;
use support::server::{ok, Server};
use support::*;
use tokio::sync::Notify;
use weft_host::contract::Payload;
use weft_host::flow::Priority;
use weft_host::history::{Event, Outcome};
use weft_host::runtime::{Host, StartRequest};
use weft_host::{ActivityError, ActivityRegistry};

/// `greet` that notes the order names arrive in; `holder` keeps its slot until
/// `release` is notified.
fn greeter(order: Arc<Mutex<Vec<String>>>, release: Arc<Notify>) -> ActivityRegistry {
    let mut registry = ActivityRegistry::new();
    registry.register_fn("greet", move |_ctx, name: String| {
        let (order, release) = (order.clone(), release.clone());
        async move {
            order.lock().unwrap().push(name.clone());
            if name == "holder" {
                release.notified().await;
            }
            Ok::<_, ActivityError>(format!("Hello, {name}!"))
        }
    });
    registry
}

fn hello(name: &str, priority: Option<u8>) -> StartRequest {
    StartRequest {
        workflow_id: Some(name.to_string()),
        priority: priority.map(|p| Priority::new(p).unwrap()),
        ..StartRequest::new("hello", Payload::json(&json!(name)))
    }
}

async fn waiting(host: &Host, n: usize) {
    poll::until_seen_async(&format!("{n} activities waiting for the slot"), || async {
        let load = host.activity_load();
        (load.waiting == n).then_some(()).ok_or(load)
    })
    .await
}

#[tokio::test]
async fn waiting_activities_run_by_priority_then_arrival() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let release = Arc::new(Notify::new());
    let env = test_env()
        .max_concurrent_activities(1)
        .activities(greeter(order.clone(), release.clone()))
        .start()
        .await
        .unwrap();
    env.deploy(component_bytes("hello"), "hello").await.unwrap();
    let host = env.host();
    let mut runs = vec![host.start(hello("holder", None)).await.unwrap()];
    poll::until_async("the holder's activity to run", || async {
        (!order.lock().unwrap().is_empty()).then_some(())
    })
    .await;
    // Lowest first: each is in line before the next starts.
    for (i, (name, priority)) in [("p5", 5), ("p3", 3), ("p1", 1), ("q3", 3)]
        .into_iter()
        .enumerate()
    {
        runs.push(host.start(hello(name, Some(priority))).await.unwrap());
        waiting(host, i + 1).await;
    }
    // `describe` says what each waits for.
    let described = host.describe("p5").await.unwrap();
    let seq = described.waiting.activities[0].schedule.seq;
    assert_eq!(
        described
            .waiting
            .activity_waits
            .get(&seq)
            .map(String::as_str),
        Some("waiting for a slot of the host (--max-concurrent-activities 1, all taken)")
    );
    release.notify_one();
    for run in &runs {
        let outcome = host.wait(&run.run_id).await.unwrap();
        assert!(matches!(outcome, Outcome::Completed(_)), "{outcome:?}");
    }
    assert_eq!(*order.lock().unwrap(), ["holder", "p1", "p3", "q3", "p5"]);
    for (run, want) in runs.iter().zip([3, 5, 3, 1, 3]) {
        let described = host.describe(&run.workflow_id).await.unwrap();
        assert_eq!(described.priority.get(), want, "{}", run.workflow_id);
        let events = host.history(&run.run_id).unwrap();
        // Recorded after `ExecutionStarted` when not the default.
        let recorded = events.iter().find_map(|e| match e {
            Event::Priority { priority } => Some(*priority),
            _ => None,
        });
        assert_eq!(recorded, (want != 3).then_some(want), "{}", run.workflow_id);
        assert_replays(host, "hello", &events);
    }
    let found = |q: &str| {
        let mut ids: Vec<String> = host
            .inspect()
            .search(q, 0, 10)
            .unwrap()
            .runs
            .into_iter()
            .map(|r| r.workflow_id)
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(found("Priority = 1"), ["p1"]);
    assert_eq!(found("Priority = 3"), ["holder", "p3", "q3"]);
    assert_eq!(
        found("Priority >= 3 AND WorkflowId != 'holder'"),
        ["p3", "p5", "q3"]
    );
}

#[tokio::test]
async fn a_child_runs_at_its_parents_priority() {
    let env = test_env().start().await.unwrap();
    env.deploy(component_bytes("child-workflow"), "child-workflow")
        .await
        .unwrap();
    let host = env.host();
    let parent = host
        .start(StartRequest {
            workflow_id: Some("family".into()),
            priority: Some(Priority::new(2).unwrap()),
            ..StartRequest::new("parent", Payload::json(&json!("World")))
        })
        .await
        .unwrap();
    let outcome = host.wait(&parent.run_id).await.unwrap();
    assert!(matches!(outcome, Outcome::Completed(_)), "{outcome:?}");
    let child = host.describe("family/child-1").await.unwrap();
    assert_eq!(child.priority.get(), 2);
    for run in [&parent.run_id, &child.run.run_id] {
        let events = host.history(run).unwrap();
        assert_replays(host, "child-workflow", &events);
    }
}

#[test]
fn weft_start_priority_shows_in_describe_and_list() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let component = component("hello");
    ok(server.cli(&["deploy", component.to_str().unwrap(), "--name", "hello"]));
    ok(server.cli(&[
        "start",
        "hello",
        "--id",
        "urgent",
        "--input",
        "\"a\"",
        "--priority",
        "2",
    ]));
    ok(server.cli(&["start", "hello", "--id", "usual", "--input", "\"b\""]));
    server.result("urgent");
    server.result("usual");
    let described = ok(server.cli(&["describe", "urgent"]));
    assert!(
        described.lines().any(|l| l == "  priority 2"),
        "{described}"
    );
    let described = ok(server.cli(&["describe", "usual"]));
    assert!(
        described.lines().any(|l| l == "  priority 3"),
        "{described}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(server.cli(&["describe", "urgent", "--json"]))).unwrap();
    assert_eq!(json["priority"], 2);
    let table = ok(server.cli(&["list"]));
    assert!(
        table.lines().next().unwrap().contains("PRIORITY"),
        "{table}"
    );
    let urgent = table.lines().find(|l| l.starts_with("urgent")).unwrap();
    assert!(urgent.trim_end().ends_with(" 2"), "{table}");
    let page: serde_json::Value = serde_json::from_str(&ok(server.cli(&[
        "list",
        "--query",
        "Priority = 2",
        "--json",
    ])))
    .unwrap();
    let ids: Vec<&str> = page["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["workflow_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["urgent"]);
    assert_eq!(page["executions"][0]["priority"], 2);
    // Out of range: refused by the CLI, and by the API naming the field.
    let refused = server.cli(&["start", "hello", "--priority", "0"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("1 (highest) to 5 (lowest)"), "{said}");
    let (status, body) = server.post_json(
        "/v1/executions",
        &json!({"workflow_type": "hello", "input": "c", "priority": 9}),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("`priority`"), "{body}");
    for id in ["urgent", "usual"] {
        server.assert_replays(id, "hello");
    }
    let shown = ok(server.cli(&["history", "show", "urgent"]));
    assert!(shown.contains("priority 2"), "{shown}");
}
