//! Stopping executions the way a user does: a real `weft server` on loopback and the CLI
//! verbs `terminate` and `cancel` on a `timer` run that sleeps for an hour (no test
//! waits for it: the run is stopped long before its timer fires).
//!
//! The timer example passes a cancellation on (its `sleep(..).await?`), so a cancelled
//! run ends cancelled in the task that delivers the request.

use crate::support;

use serde_json::{json, Value};
use support::server::{fails_with, ok, said, Server};
use support::*;

/// A server with the timer example deployed and a run of it, `id`, sleeping an hour.
fn sleeping_run(dir: &std::path::Path, id: &str) -> Server {
    let server = Server::start(&dir.join("data"), &[]);
    let component = component("timer");
    ok(server.cli(&["deploy", component.to_str().unwrap(), "--name", "timer"]));
    ok(server.cli(&[
        "start",
        "timer",
        "--input",
        r#"{"seconds": 3600}"#,
        "--id",
        id,
    ]));
    server
}

#[test]
fn terminate_closes_the_run_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let server = sleeping_run(dir.path(), "nap-1");
    let note = said(server.cli(&["terminate", "nap-1", "--reason", "stuck on a bad deploy"]));
    assert!(note.contains("terminated nap-1"), "{note}");

    let described = ok(server.cli(&["describe", "nap-1"]));
    assert!(described.contains("terminated"), "{described}");
    assert!(described.contains("stuck on a bad deploy"), "{described}");
    assert!(!described.contains("pending timers"), "{described}");
    let json: Value =
        serde_json::from_str(&ok(server.cli(&["describe", "nap-1", "--json"]))).unwrap();
    assert_eq!(json["status"], "terminated", "{json}");
    assert_eq!(
        json["result"]["failure"],
        json!({"message": "stuck on a bad deploy", "error_type": "weft.Terminated"}),
        "{json}"
    );

    // `result` of a terminated run fails (exit 3) with its status and reason.
    let result = fails_with(server.cli(&["result", "nap-1"]), 3);
    assert!(result.contains("terminated"), "{result}");
    assert!(result.contains("stuck on a bad deploy"), "{result}");

    // A closed run refuses both (exit 5, naming why); an unknown id is exit 4.
    let again = fails_with(server.cli(&["terminate", "nap-1"]), 5);
    assert!(again.contains("is closed (terminated)"), "{again}");
    let cancel = fails_with(server.cli(&["cancel", "nap-1"]), 5);
    assert!(cancel.contains("is closed (terminated)"), "{cancel}");
    for verb in ["terminate", "cancel"] {
        let unknown = fails_with(server.cli(&[verb, "no-such-run"]), 4);
        assert!(unknown.contains("no-such-run"), "{unknown}");
    }

    let events = server.assert_replays("nap-1", "timer");
    assert!(
        matches!(events.last(), Some(weft_host::history::Event::Terminated { reason }) if reason == "stuck on a bad deploy"),
        "{events:?}"
    );
}

#[test]
fn cancel_is_recorded_and_described() {
    let dir = tempfile::tempdir().unwrap();
    let server = sleeping_run(dir.path(), "nap-2");
    let note = said(server.cli(&["cancel", "nap-2", "--reason", "no longer needed"]));
    assert!(note.contains("cancel requested for nap-2"), "{note}");
    // The task that delivered the request ended the run: asking again finds it closed.
    let again = fails_with(server.cli(&["cancel", "nap-2", "--reason", "really"]), 5);
    assert!(again.contains("closed (cancelled)"), "{again}");

    let history = ok(server.cli(&["history", "show", "nap-2"]));
    assert!(history.contains("cancel-requested"), "{history}");
    assert!(history.contains("no longer needed"), "{history}");
    assert!(history.contains("cancel-timer"), "{history}");
    assert!(history.contains("cancel-workflow-confirmed"), "{history}");
    assert!(!history.contains("really"), "{history}");

    let described = ok(server.cli(&["describe", "nap-2"]));
    assert!(described.contains("cancelled"), "{described}");
    assert!(described.contains("no longer needed"), "{described}");
    let json: Value =
        serde_json::from_str(&ok(server.cli(&["describe", "nap-2", "--json"]))).unwrap();
    assert_eq!(json["status"], "cancelled", "{json}");
    assert_eq!(
        json["cancel_requested"],
        json!({"reason": "no longer needed"}),
        "{json}"
    );
    let result = server.cli(&["result", "nap-2"]);
    assert!(!result.status.success());
    assert!(String::from_utf8_lossy(&result.stderr).contains("cancelled"));

    let events = server.assert_replays("nap-2", "timer");
    let requests = events
        .iter()
        .filter(|e| matches!(e, weft_host::history::Event::CancelRequested { .. }))
        .count();
    assert_eq!(requests, 1, "{events:?}");
}

/// The routes directly: an empty body records the default reason; a blank reason is
/// 400; an unknown id 404 `not_found`; a closed run 409 `closed`.
#[test]
fn stop_routes_answer_with_clear_codes() {
    let dir = tempfile::tempdir().unwrap();
    let server = sleeping_run(dir.path(), "nap-3");
    let (status, body) = server.post_json("/v1/executions/nap-3/cancel", &json!({"reason": " "}));
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    let (_, described) = server.get("/v1/executions/nap-3");
    for verb in ["cancel", "terminate"] {
        let (status, body) = server.post_json(&format!("/v1/executions/nobody/{verb}"), &json!({}));
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("not_found")),
            "{body}"
        );
    }
    let (status, body) =
        server.post_json("/v1/executions/nap-3/terminate", &json!({"reason": "done"}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["run_id"], described["run_id"], "{body}");
    for verb in ["cancel", "terminate"] {
        let (status, body) = server.post_json(&format!("/v1/executions/nap-3/{verb}"), &json!({}));
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("closed")),
            "{body}"
        );
    }
    server.assert_replays("nap-3", "timer");

    // An empty body records the default reason.
    ok(server.cli(&[
        "start",
        "timer",
        "--input",
        r#"{"seconds": 3600}"#,
        "--id",
        "nap-4",
    ]));
    let (status, body) = server.post_bytes("/v1/executions/nap-4/cancel", b"");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["workflow_id"], "nap-4", "{body}");
    let (_, described) = server.get("/v1/executions/nap-4");
    assert_eq!(
        described["cancel_requested"]["reason"],
        weft_host::api::types::DEFAULT_CANCEL_REASON,
        "{described}"
    );
    server.assert_replays("nap-4", "timer");
}

/// SIGTERM stops the server cleanly (exit 0) after its activities' grace period.
#[test]
fn sigterm_shuts_the_server_down_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&dir.path().join("data"), &[], &["--shutdown-grace", "1s"]);
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
}
