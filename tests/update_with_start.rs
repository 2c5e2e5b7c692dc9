//! Update-with-start the way a user runs it: a real `weft server` (on the virtual
//! clock) and `weft update-with-start`. A new id starts a run whose first task carries
//! the update; an open run takes the update under `use-existing` (no second run) and
//! refuses it under `fail` (no update applied); the same request and update ids again
//! answer the first outcome; after a restart the history still has the update in its
//! first task and replays.

use crate::support;

use serde_json::{json, Value};
use support::server::{fails_with, ok, Server};
use weft_host::contract::Command;
use weft_host::history::{Event, Job};

fn uws(server: &Server, id: &str, note: &str, extra: &[&str]) -> std::process::Output {
    let input = format!("\"{note}\"");
    let args = [
        "update-with-start",
        id,
        "--type",
        "pausable",
        "--input",
        r#"{"seconds": 1}"#,
        "--update",
        "note",
        "--update-input",
        &input,
    ];
    server.cli(&[&args[..], extra].concat())
}

fn answer(out: std::process::Output) -> Value {
    serde_json::from_str(&ok(out)).unwrap()
}

/// The first task of `events`: its jobs and its commands.
fn first_task(events: &[Event]) -> (Vec<&Job>, Vec<&Command>) {
    let start = events
        .iter()
        .position(|e| matches!(e, Event::TaskStarted { .. }))
        .unwrap();
    let task = events[start + 1..]
        .iter()
        .take_while(|e| !matches!(e, Event::TaskStarted { .. }));
    let (mut jobs, mut commands) = (Vec::new(), Vec::new());
    for event in task {
        match event {
            Event::Job(job) => jobs.push(job),
            Event::Command(c) => commands.push(&c.command),
            _ => {}
        }
    }
    (jobs, commands)
}

#[test]
fn update_with_start_starts_or_uses_the_open_run() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = [("WEFT_VIRTUAL_CLOCK", "1")];
    let server = Server::virtual_with(&data, "messages");

    // A new id: the run starts and the update's result comes back.
    let first = answer(uws(&server, "cart-1", "first", &["--json"]));
    assert_eq!(first["started"], true, "{first}");
    assert_eq!(first["update"]["result"], json!(1), "{first}");
    let run_id = first["run_id"].as_str().unwrap().to_string();

    // An open run, use-existing: the update goes to it, no second run.
    let second = answer(uws(
        &server,
        "cart-1",
        "second",
        &["--id-conflict-policy", "use-existing", "--json"],
    ));
    assert_eq!(second["started"], false, "{second}");
    assert_eq!(second["run_id"], run_id.as_str(), "{second}");
    // (The log also gets `slept` once the run's timer fires on the virtual clock.)
    assert!(second["update"]["result"].as_u64() >= Some(2), "{second}");
    let plain = ok(uws(
        &server,
        "cart-1",
        "third",
        &["--id-conflict-policy", "use-existing"],
    ));
    assert!(plain.parse::<u64>().unwrap() >= 3, "{plain}");

    // An open run, fail: refused, and no update applied.
    let refused = fails_with(uws(&server, "cart-1", "fourth", &[]), 5);
    assert!(refused.contains("cart-1"), "{refused}");
    let log = ok(server.cli(&["query", "cart-1", "log"]));
    assert!(!log.contains("fourth") && log.contains("third"), "{log}");
    let listed = ok(server.cli(&["list", "--json"]));
    let listed: Value = serde_json::from_str(&listed).unwrap();
    let runs = listed["executions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["workflow_id"] == "cart-1")
        .count();
    assert_eq!(runs, 1, "{listed}");

    // The same request id and update id again: the same run, the first outcome.
    let ids = [
        "--request-id",
        "cart-2-start",
        "--update-id",
        "add-1",
        "--json",
    ];
    let once = answer(uws(&server, "cart-2", "only", &ids));
    let twice = answer(uws(&server, "cart-2", "only", &ids));
    assert_eq!(once["run_id"], twice["run_id"], "{once} {twice}");
    assert_eq!(twice["update"]["result"], json!(1), "{twice}");
    let updates = server
        .history("cart-2")
        .iter()
        .filter(|e| matches!(e, Event::Job(Job::Update(_))))
        .count();
    assert_eq!(updates, 1);

    // Bad requests name what is wrong.
    let unknown = server.cli(&[
        "update-with-start",
        "cart-3",
        "--type",
        "nope",
        "--update",
        "note",
    ]);
    assert_eq!(unknown.status.code(), Some(4), "{unknown:?}");
    let body =
        json!({"start": {"workflow_type": "pausable", "id": "other"}, "update_name": "note"});
    let (status, error) = server.post_json("/v1/executions/cart-3/update-with-start", &body);
    assert_eq!(
        (status, error["code"].as_str()),
        (400, Some("bad_request")),
        "{error}"
    );
    assert!(
        error["message"].as_str().unwrap().contains("start.id"),
        "{error}"
    );

    // After a restart the first task still holds the start and the update, and replays.
    drop(server);
    let server = Server::start(&data, &env);
    let events = server.assert_replays("cart-1", "messages");
    let (jobs, commands) = first_task(&events);
    assert!(
        matches!(jobs[..], [Job::StartWorkflow(_), Job::Update(_)]),
        "{jobs:?}"
    );
    assert!(
        commands
            .iter()
            .any(|c| matches!(c, Command::AcceptUpdate(_))),
        "{commands:?}"
    );
    assert!(
        commands
            .iter()
            .any(|c| matches!(c, Command::CompleteUpdate(_))),
        "{commands:?}"
    );
    ok(server.cli(&["signal", "cart-1", "finish"]));
    let result = ok(server.cli(&["result", "cart-1"]));
    for want in ["first", "second", "third", "slept"] {
        assert!(result.contains(want), "{want} missing from {result}");
    }
}
