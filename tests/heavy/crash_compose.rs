//! Composition across a crash: a real `weft server` killed (SIGKILL) at the two moments
//! no timing could hit, held there by a pause point (`WEFT_PAUSE_AT`): after a parent's
//! close is durable but before its children's close policies ran, and after a
//! continue-as-new is durable but before its next run got going. After the restart the
//! policies are applied once, and the chain of runs is whole.

use crate::support;

use serde_json::{json, Value};
use support::server::{execution, Server};
use support::*;

/// Poll `GET path` until `done` holds for its body.
fn poll_get(server: &Server, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    poll::until_seen(&format!("GET {path} to get there"), || {
        let (status, body) = server.get(path);
        if status == 200 && done(&body) {
            Ok(body)
        } else {
            Err((status, body))
        }
    })
}

fn status_is(status: &'static str) -> impl Fn(&Value) -> bool {
    move |body| body["status"] == status
}

/// The status of each run of `workflow_type` listed, as `(workflow id, status)`: read
/// from the store alone (a paused host does not answer `describe`, which asks the
/// run's instance for its handlers).
fn listed(server: &Server, workflow_type: &str) -> Vec<(String, String)> {
    let (status, page) = server.get(&format!("/v1/executions?type={workflow_type}"));
    assert_eq!(status, 200, "{page}");
    page["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let field = |name: &str| r[name].as_str().unwrap().to_string();
            (field("workflow_id"), field("status"))
        })
        .collect()
}

/// Poll until `done` holds for what [`listed`] says.
fn poll_listed(server: &Server, workflow_type: &str, done: impl Fn(&[(String, String)]) -> bool) {
    poll::until_seen(&format!("the runs of {workflow_type} to get there"), || {
        let runs = listed(server, workflow_type);
        if done(&runs) {
            Ok(())
        } else {
            Err(runs)
        }
    })
}

fn is(run: &(String, String), id: &str, status: &str) -> bool {
    run.0 == id && run.1 == status
}

fn count(events: &[weft_host::history::Event], name: &str) -> usize {
    events.iter().filter(|e| e.name() == name).count()
}

#[test]
fn a_parent_killed_before_its_close_policies_applies_them_once_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, &[("WEFT_PAUSE_AT", "parent-closed")]);
    let (status, body) =
        server.post_bytes("/v1/modules?name=children", &component_bytes("children"));
    assert_eq!(status, 201, "{body}");
    let (status, body) = server.post_json(
        "/v1/executions",
        &json!({"workflow_type": "leave_children", "id": "leaver"}),
    );
    assert_eq!(status, 201, "{body}");
    // The parent's close is durable; the host stopped before touching its children.
    poll_listed(&server, "leave_children", |runs| {
        runs.iter().any(|r| is(r, "leaver", "completed"))
    });
    let children = listed(&server, "exit_child");
    assert_eq!(children.len(), 2, "{children:?}");
    assert!(children.iter().all(|r| r.1 == "running"), "{children:?}");
    server.kill();

    // The next host finds the orphans: the terminate policy runs, the abandon one not.
    let server = Server::start(&data, &[]);
    poll_get(
        &server,
        &execution("leaver/child-1"),
        status_is("terminated"),
    );
    let events = server.assert_replays("leaver/child-1", "children");
    assert_eq!(count(&events, "terminated"), 1);
    server.kill();

    // Once: another restart terminates nothing more, and the abandoned child runs on.
    let server = Server::start(&data, &[]);
    let child_2 = poll_get(&server, &execution("leaver/child-2"), |_| true);
    assert_eq!(child_2["status"], "running", "{child_2}");
    let (status, body) = server.post_json(
        &format!("{}/signals/exit", execution("leaver/child-2")),
        &json!({"input": null}),
    );
    assert!(status == 200 || status == 202, "{status} {body}");
    assert_eq!(server.result("leaver/child-2")["result"], "abandoned");
    let events = server.assert_replays("leaver/child-1", "children");
    assert_eq!(count(&events, "terminated"), 1);
    server.assert_replays("leaver/child-2", "children");
    let parent = server.assert_replays("leaver", "children");
    assert_eq!(count(&parent, "start-child-workflow"), 2);
}

#[test]
fn a_run_killed_in_the_middle_of_continue_as_new_keeps_its_chain_whole() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The loop sleeps a second per iteration: on virtual time that takes none.
    let clock = ("WEFT_VIRTUAL_CLOCK", "1");
    let server = Server::start(&data, &[clock, ("WEFT_PAUSE_AT", "continued")]);
    let (status, body) = server.post_bytes(
        "/v1/modules?name=continue-as-new",
        &component_bytes("continue-as-new"),
    );
    assert_eq!(status, 201, "{body}");
    let input = json!({"iterations": 30, "per_run": 10});
    let (status, body) = server.post_json(
        "/v1/executions",
        &json!({"workflow_type": "looper", "id": "loop-crash", "input": input}),
    );
    assert_eq!(status, 201, "{body}");
    let first = body["run_id"].as_str().unwrap().to_string();
    // The first run closed and its successor is recorded, with no actor yet.
    poll_listed(&server, "looper", |runs| {
        runs.iter().any(|r| is(r, "loop-crash", "continued-as-new"))
    });
    let runs = listed(&server, "looper");
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(
        runs.iter().any(|r| is(r, "loop-crash", "running")),
        "{runs:?}"
    );
    server.kill();

    let server = Server::start(&data, &[clock]);
    let result = server.result("loop-crash");
    assert_eq!(result["result"], json!({"iterations": 30}), "{result}");
    // Three runs, each continued from the one before, each replaying.
    let (status, page) = server.get("/v1/executions?type=looper");
    assert_eq!(status, 200, "{page}");
    let runs: Vec<&Value> = page["executions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["workflow_id"] == "loop-crash")
        .collect();
    assert_eq!(runs.len(), 3, "{page}");
    let mut run_id = server.get(&execution("loop-crash")).1["run_id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut chain = vec![run_id.clone()];
    while let Some(previous) = server.get(&execution(&run_id)).1["continued_from"]
        .as_str()
        .map(str::to_string)
    {
        // Bounded: a chain that loops back fails here instead of walking forever.
        assert!(
            chain.len() <= runs.len(),
            "the chain is longer than the runs: {chain:?}"
        );
        chain.push(previous.clone());
        run_id = previous;
    }
    assert_eq!(chain.len(), 3, "{chain:?}");
    assert_eq!(chain.last(), Some(&first));
    for run in &chain {
        let events = server.assert_replays(run, "continue-as-new");
        assert_eq!(count(&events, "execution-started"), 1);
    }
}

#[test]
fn a_signal_recorded_before_a_crash_arrives_once_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, &[("WEFT_PAUSE_AT", "effects-recorded")]);
    let (status, body) =
        server.post_bytes("/v1/modules?name=children", &component_bytes("children"));
    assert_eq!(status, 201, "{body}");
    let start = |workflow_type: &str, id: &str, input: Value| {
        let request = json!({"workflow_type": workflow_type, "id": id, "input": input});
        let (status, body) = server.post_json("/v1/executions", &request);
        assert_eq!(status, 201, "{body}");
    };
    start("signal_receiver", "receiver", Value::Null);
    // The sender records its signal and closes in one task; the host stops before the
    // signal leaves the outbox.
    start("workflow_to_workflow", "sender", json!("receiver"));
    poll_listed(&server, "workflow_to_workflow", |runs| {
        runs.iter().any(|r| is(r, "sender", "completed"))
    });
    assert!(listed(&server, "signal_receiver")
        .iter()
        .all(|r| r.1 == "running"));
    server.kill();

    // The next host finds the effect in the outbox and carries it out.
    let server = Server::start(&data, &[]);
    let result = server.result("receiver");
    assert_eq!(result["result"], "hello from sender", "{result}");
    let events = server.assert_replays("receiver", "children");
    assert_eq!(count(&events, "signal"), 1);
    server.assert_replays("sender", "children");
    server.kill();

    // Once: the row went with the signal's record, so another restart sends nothing.
    let server = Server::start(&data, &[]);
    let events = server.assert_replays("receiver", "children");
    assert_eq!(count(&events, "signal"), 1);
    let (status, body) = server.get("/v1/health");
    assert_eq!(status, 200, "{body}");
}
