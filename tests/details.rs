//! A workflow's current details (`ctx.set_current_details`) the way a user sees them:
//! the `stack` fixture's `steps` run says what it does at each step; `describe` (text
//! and JSON), `list` (text and JSON), `history show` and the web UI show the latest,
//! also after the server was killed and started again; its history replays.

use crate::support;

use serde_json::Value;
use support::server::{ok, Server};
use support::*;

/// `weft describe --json` of `id` once its current details are `want`.
fn details_become(server: &Server, id: &str, want: &str) -> Value {
    poll::until_seen(&format!("current details {want:?} of {id}"), || {
        let json: Value =
            serde_json::from_str(&ok(server.cli(&["describe", id, "--json"]))).unwrap();
        match json["current_details"].as_str() {
            Some(now) if now == want => Ok(json),
            _ => Err(json),
        }
    })
}

#[test]
fn current_details_are_shown_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (data, server) = crate::stack::steps_run(dir.path());

    // Its first task set them twice: only the last is shown (and recorded).
    let waiting = "waiting for **go** and an approval";
    details_become(&server, "steps-1", waiting);
    let described = ok(server.cli(&["describe", "steps-1"]));
    assert!(
        described.contains(&format!("now:\n  {waiting}\n")),
        "{described}"
    );
    let history = ok(server.cli(&["history", "show", "steps-1"]));
    assert_eq!(history.matches("current-details").count(), 1, "{history}");
    assert!(!history.contains("starting"), "{history}");

    ok(server.cli(&["signal", "steps-1", "go"]));
    let went = "go received; waiting for an approval";
    // Recorded with the task that delivered the signal, which the signal waited for.
    let json: Value =
        serde_json::from_str(&ok(server.cli(&["describe", "steps-1", "--json"]))).unwrap();
    assert_eq!(json["current_details"], went, "{json}");

    // Killed and started again, keeping no instance and no live run between tasks:
    // the same details, read from the history and the stored attributes; the run goes
    // on from there (each task on an instance rebuilt by replay, which records nothing
    // new of the details it sets again).
    server.kill();
    let server = crate::stack::restart_evicting(&data);
    let json: Value =
        serde_json::from_str(&ok(server.cli(&["describe", "steps-1", "--json"]))).unwrap();
    assert_eq!(json["current_details"], went, "{json}");
    let page: Value = serde_json::from_str(&ok(server.cli(&["list", "--json"]))).unwrap();
    assert_eq!(page["executions"][0]["current_details"], went, "{page}");

    ok(server.cli(&["signal", "steps-1", "approve", "--input", "\"ops\""]));
    let approved = "approved by ops\n\n- sleeping an hour";
    details_become(&server, "steps-1", approved);
    let described = ok(server.cli(&["describe", "steps-1"]));
    assert!(
        described.contains("now:\n  approved by ops\n\n  - sleeping an hour\n"),
        "{described}"
    );
    // The list shows the first line, in a column of its own.
    let listed = ok(server.cli(&["list"]));
    assert!(
        listed.lines().next().unwrap().contains("DETAILS"),
        "{listed}"
    );
    let row = listed.lines().find(|l| l.contains("steps-1")).unwrap();
    assert!(row.trim_end().ends_with("approved by ops"), "{listed}");
    let page: Value = serde_json::from_str(&ok(server.cli(&["list", "--json"]))).unwrap();
    assert_eq!(page["executions"][0]["current_details"], approved, "{page}");
    let history = ok(server.cli(&["history", "show", "steps-1"]));
    assert_eq!(history.matches("current-details").count(), 3, "{history}");
    assert!(history.contains("\"approved by ops"), "{history}");
    let page = support::pages::Visitor::new(&server.url).get("/ui/executions/steps-1");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("approved by ops"), "{}", page.body);

    ok(server.cli(&["terminate", "steps-1", "--reason", "test over"]));
    server.assert_replays("steps-1", "stack");
}
