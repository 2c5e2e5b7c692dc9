//! `weft batch` as an operator uses it, through a real server and the CLI: after a
//! fix is deployed, one batch resets every run a bug failed (found by a list query)
//! and they complete; another terminates what is still running; a batch paced with
//! `--rps` survives its server being killed mid-way, and acts on each execution once.

use crate::support;

use serde_json::Value;
use support::poll;
use support::server::{fails_with, ok, Server};
use support::*;
use weft_host::history::{Event, Job};

fn batch(server: &Server, args: &[&str]) -> Value {
    let mut all = vec!["batch"];
    all.extend_from_slice(args);
    all.push("--json");
    serde_json::from_str(&ok(server.cli(&all))).unwrap()
}

/// Poll `weft batch describe <id> --json` until the batch has ended.
fn ended(server: &Server, id: &str) -> Value {
    poll::until_seen(&format!("batch {id} to end"), || {
        let b = batch(server, &["describe", id]);
        if b["state"] == "running" {
            Err(b)
        } else {
            Ok(b)
        }
    })
}

fn deploy(server: &Server, fixture: &str, name: &str) {
    let component = component(fixture);
    ok(server.cli(&["deploy", component.to_str().unwrap(), "--name", name]));
}

#[test]
fn a_batch_reset_repairs_every_run_a_bug_broke() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    deploy(&server, "invoice", "invoice");
    let broken: Vec<String> = (11..17).map(|n| format!("inv-{n}")).collect();
    for (n, id) in (11..17).zip(&broken) {
        ok(server.cli(&["start", "invoice", "--input", &n.to_string(), "--id", id]));
        ok(server.cli(&["signal", id, "note", "--input", "\"paid\""]));
    }
    for id in &broken {
        fails_with(server.cli(&["result", id]), 3);
    }
    for id in ["open-1", "open-2"] {
        ok(server.cli(&["start", "invoice", "--input", "2", "--id", id]));
    }
    deploy(&server, "invoice-fixed", "invoice");

    let query = "WorkflowType = 'invoice' AND ExecutionStatus = 'Failed'";
    let submitted = batch(
        &server,
        &[
            "reset",
            "--query",
            query,
            "--to",
            "last-task",
            "--reason",
            "tax bug fixed",
            "--wait",
        ],
    );
    assert_eq!(submitted["state"], "completed", "{submitted}");
    assert_eq!(
        (
            &submitted["total"],
            &submitted["done"],
            &submitted["failed"]
        ),
        (&Value::from(6), &Value::from(6), &Value::from(0)),
        "{submitted}"
    );
    for (n, id) in (11u64..17).zip(&broken) {
        assert_eq!(server.result(id)["result"], format!("{} paid", n * n));
        server.assert_replays(id, "invoice-fixed");
    }
    let id = submitted["id"].as_str().unwrap();
    let described = batch(&server, &["describe", id]);
    assert_eq!(described["operation"], "reset");
    let shown = ok(server.cli(&["batch", "describe", id]));
    assert!(shown.contains("6 done, 0 failed of 6"), "{shown}");

    // Paused and unpaused by query (pause twice: the second finds them paused).
    for op in ["pause", "pause", "unpause"] {
        let b = batch(
            &server,
            &[
                op,
                "--query",
                "ExecutionStatus = 'Running'",
                "--reason",
                "hold",
                "--wait",
            ],
        );
        assert_eq!(
            (b["done"].as_u64(), b["failed"].as_u64()),
            (Some(2), Some(0)),
            "{b}"
        );
        let described = ok(server.cli(&["describe", "open-1"]));
        assert_eq!(described.contains("paused"), op == "pause", "{described}");
    }

    // Without --wait: the id on stdout, then its progress by describe.
    let out = ok(server.cli(&[
        "batch",
        "terminate",
        "--query",
        "ExecutionStatus = 'Running'",
        "--reason",
        "cleanup",
        "--id",
        "cleanup-1",
    ]));
    assert_eq!(out, "cleanup-1");
    let done = ended(&server, "cleanup-1");
    assert_eq!(
        (done["total"].as_u64(), done["done"].as_u64()),
        (Some(2), Some(2)),
        "{done}"
    );
    for id in ["open-1", "open-2"] {
        let described = ok(server.cli(&["describe", id]));
        assert!(described.contains("terminated"), "{described}");
        assert!(
            described.contains("cleanup (batch cleanup-1)"),
            "{described}"
        );
    }
    let deleted = batch(
        &server,
        &[
            "delete",
            "--query",
            "ExecutionStatus = 'Terminated'",
            "--reason",
            "tidy",
            "--wait",
        ],
    );
    assert_eq!(
        (deleted["done"].as_u64(), deleted["failed"].as_u64()),
        (Some(2), Some(0))
    );
    fails_with(server.cli(&["describe", "open-1"]), 4);
    let listed = ok(server.cli(&["batch", "list"]));
    assert!(
        listed.contains("cleanup-1") && listed.contains(id),
        "{listed}"
    );
    // Stopping a batch that ended changes nothing.
    assert_eq!(batch(&server, &["stop", "cleanup-1"])["state"], "completed");

    let refused = fails_with(
        server.cli(&["batch", "cancel", "--query", "Nope ===", "--reason", "x"]),
        5,
    );
    assert!(refused.contains("query"), "{refused}");
    fails_with(server.cli(&["batch", "describe", "nobody"]), 4);
    let taken = fails_with(
        server.cli(&[
            "batch",
            "cancel",
            "--query",
            "ExecutionStatus = 'Running'",
            "--reason",
            "x",
            "--id",
            "cleanup-1",
        ]),
        5,
    );
    assert!(taken.contains("already exists"), "{taken}");
}

#[test]
fn a_batch_resumes_after_a_crash_and_acts_once_on_each() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, &[]);
    deploy(&server, "messages", "messages");
    let ids: Vec<String> = (0..6).map(|n| format!("sig-{n}")).collect();
    for id in &ids {
        ok(server.cli(&["start", "signal_basic", "--input", "null", "--id", id]));
    }
    let query = "WorkflowType = 'signal_basic'";
    ok(server.cli(&[
        "batch",
        "signal",
        "--query",
        query,
        "--name",
        "my_signal",
        "--input",
        "\"hi\"",
        "--reason",
        "greet",
        "--rps",
        "2",
        "--id",
        "greet-1",
    ]));
    // Killed part-way (its progress is stored every 50 executions: none yet).
    poll::until_seen("two signalled", || {
        let b = batch(&server, &["describe", "greet-1"]);
        if b["done"].as_u64() >= Some(2) {
            Ok(())
        } else {
            Err(b)
        }
    });
    server.kill();
    let server = Server::start(&data, &[]);
    let done = ended(&server, "greet-1");
    assert_eq!(done["state"], "completed", "{done}");
    assert_eq!(
        (done["done"].as_u64(), done["failed"].as_u64()),
        (Some(6), Some(0)),
        "{done}"
    );
    for id in &ids {
        assert_eq!(server.result(id)["result"], "hi");
        let events = server.assert_replays(id, "messages");
        let signals = events
            .iter()
            .filter(|e| matches!(e, Event::Job(Job::Signal(_))))
            .count();
        assert_eq!(signals, 1, "{id}: {events:?}");
    }
}
