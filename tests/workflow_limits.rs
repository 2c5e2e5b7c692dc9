//! Workflow limits: with N runs of a type open, a further start of the type is answered
//! at once but its run is pending (it runs no task) until one of them closes; pending
//! runs start by priority, then first come first served; a cancelled pending run closes
//! without ever running; a restarted server keeps them pending, in order.
//!
//! The runs are `signal_basic` (of the `messages` fixture): each waits for a signal, so
//! the test decides when a run closes.

use crate::support;

use serde_json::json;
use support::server::{ok, Server};
use support::*;
use weft_host::contract::Payload;
use weft_host::flow::Priority;
use weft_host::history::{Event, Outcome};
use weft_host::runtime::{Host, StartRequest};

const TYPE: &str = "signal_basic";

fn start(id: &str, priority: u8) -> StartRequest {
    StartRequest {
        workflow_id: Some(id.to_string()),
        priority: Some(Priority::new(priority).unwrap()),
        ..StartRequest::new(TYPE, Payload::json(&json!(null)))
    }
}

fn ran(events: &[Event]) -> bool {
    events
        .iter()
        .any(|e| matches!(e, Event::TaskStarted { .. }))
}

async fn signal(host: &Host, id: &str, value: &str) {
    host.signal(id, "my_signal", Payload::json(&json!(value)))
        .await
        .unwrap();
}

#[tokio::test]
async fn starts_past_the_limit_wait_and_run_by_priority_as_others_close() {
    let env = test_env().workflow_limit(TYPE, 1).start().await.unwrap();
    env.deploy(component_bytes("messages"), "messages")
        .await
        .unwrap();
    let host = env.host();
    let first = host.start(start("first", 3)).await.unwrap();
    let mut runs = vec![first.clone()];
    for (id, priority) in [("later", 3), ("urgent", 1), ("dropped", 3)] {
        runs.push(host.start(start(id, priority)).await.unwrap());
        let why = pending(host, id).await;
        assert_eq!(
            why.as_deref(),
            Some("workflow limit signal_basic=1"),
            "{id}"
        );
    }
    assert_eq!(pending(host, "first").await, None);
    let metrics = host.render_metrics();
    assert!(
        metrics.contains("weft_pending_starts{workflow_type=\"signal_basic\"} 3"),
        "{metrics}"
    );
    // A signal to a pending run waits for its first task.
    let early = {
        let host = host.clone();
        tokio::spawn(async move { signal(&host, "later", "for later").await })
    };
    // Cancelled while pending: closed at once, without ever running.
    host.cancel("dropped", "not needed").await.unwrap();
    let dropped = host.wait(&runs[3].run_id).await.unwrap();
    assert!(
        matches!(&dropped, Outcome::Terminated(r) if r.contains("pending")),
        "{dropped:?}"
    );
    assert!(!ran(&host.history(&runs[3].run_id).unwrap()));
    assert!(!ran(&host.history(&runs[1].run_id).unwrap()));
    // `first` closes: `urgent` (priority 1) takes its place, `later` still waits.
    signal(host, "first", "done").await;
    host.wait(&first.run_id).await.unwrap();
    poll::until_async("urgent to start", || async {
        pending(host, "urgent").await.is_none().then_some(())
    })
    .await;
    assert!(pending(host, "later").await.is_some());
    signal(host, "urgent", "go").await;
    let urgent = host.wait(&runs[2].run_id).await.unwrap();
    assert!(
        matches!(&urgent, Outcome::Completed(p) if p.to_json() == json!("go")),
        "{urgent:?}"
    );
    // Then `later`, which finds the signal sent while it was pending.
    let later = host.wait(&runs[1].run_id).await.unwrap();
    assert!(
        matches!(&later, Outcome::Completed(p) if p.to_json() == json!("for later")),
        "{later:?}"
    );
    early.await.unwrap();
    // (`dropped` has no task to replay.)
    for run in [&runs[0], &runs[1], &runs[2]] {
        assert_replays(host, "messages", &host.history(&run.run_id).unwrap());
    }
    let metrics = host.render_metrics();
    assert!(
        metrics.contains("weft_pending_starts{workflow_type=\"signal_basic\"} 0"),
        "{metrics}"
    );
}

#[test]
fn pending_starts_stay_pending_in_order_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let limit = ["--workflow-limit", "signal_basic=1"];
    let server = Server::start_with(dir.path(), &[], &limit);
    let component = component("messages");
    ok(server.cli(&["deploy", component.to_str().unwrap(), "--name", "messages"]));
    for id in ["one", "two", "three"] {
        // Answered at once, with its run id, pending or not.
        ok(server.cli(&["start", TYPE, "--id", id]));
    }
    let status = |server: &Server, id: &str| {
        let described = ok(server.cli(&["describe", id]));
        described
            .lines()
            .find(|l| l.trim_start().starts_with("status"))
            .unwrap_or_else(|| panic!("{described}"))
            .to_string()
    };
    assert!(status(&server, "one").ends_with("running"));
    for id in ["two", "three"] {
        let line = status(&server, id);
        assert!(line.contains("pending"), "{line}");
        assert!(
            line.contains("waiting: workflow limit signal_basic=1"),
            "{line}"
        );
    }
    let list = ok(server.cli(&["list"]));
    let row = |id: &str| list_row(&list, id);
    assert!(row("two").contains("pending"), "{list}");
    assert!(row("one").contains("running"), "{list}");
    // A graceful stop lets go of the pending runs' actors without starting them.
    assert!(server.terminate().success());
    // The same data, a new server: `one` runs, `two` and `three` still wait, in order.
    let server = Server::start_with(dir.path(), &[], &limit);
    assert!(status(&server, "two").contains("pending"));
    assert!(status(&server, "three").contains("pending"));
    ok(server.cli(&["signal", "one", "my_signal", "--input", "\"1\""]));
    server.result("one");
    poll::until_seen("two to start", || {
        let line = status(&server, "two");
        line.ends_with("running").then_some(()).ok_or(line)
    });
    assert!(status(&server, "three").contains("pending"));
    ok(server.cli(&["signal", "two", "my_signal", "--input", "\"2\""]));
    assert_eq!(server.result("two")["result"], json!("2"));
    ok(server.cli(&["signal", "three", "my_signal", "--input", "\"3\""]));
    assert_eq!(server.result("three")["result"], json!("3"));
    for id in ["one", "two", "three"] {
        server.assert_replays(id, "messages");
    }
}
