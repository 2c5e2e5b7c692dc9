//! A module's dynamic workflow (`guest-examples/dynamic-workflow`, `#[workflow(dynamic)]`)
//! serves every workflow type no deployed module exports, through a real `weft server`
//! and the CLI: `weft execute <any type>` runs it, `describe`, `list` and `history show`
//! name the type asked for, a module that exports a type keeps serving it, the dynamic
//! name itself cannot be started, and every history replays.

use crate::support;

use serde_json::{json, Value};
use support::server::{fails_with, ok, Server};
use support::*;

#[test]
fn a_dynamic_workflow_serves_the_types_no_module_exports() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let deploy = |example: &str| {
        let component = component(example);
        ok(server.cli(&["deploy", component.to_str().unwrap(), "--name", example]))
    };
    let deployed = deploy("dynamic-workflow");
    assert!(deployed.contains("* (dynamic)"), "{deployed}");
    deploy("hello");

    let out = ok(server.cli(&["execute", "invoice.send", "--input", "7", "--id", "dyn-1"]));
    let result: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(result, json!({"type": "invoice.send", "input": 7}));
    let described = ok(server.cli(&["describe", "dyn-1"]));
    assert!(described.starts_with("dyn-1 (invoice.send)"), "{described}");
    let listed = ok(server.cli(&["list", "--query", "WorkflowType = 'invoice.send'"]));
    assert!(listed.contains("dyn-1"), "{listed}");
    let history = ok(server.cli(&["history", "show", "dyn-1"]));
    assert!(history.contains("invoice.send"), "{history}");
    server.assert_replays("dyn-1", "dynamic-workflow");

    // A type a module exports is that module's, even with a dynamic workflow deployed.
    let out = ok(server.cli(&[
        "execute",
        "hello",
        "--input",
        r#""dynamic""#,
        "--id",
        "dyn-2",
    ]));
    assert!(out.contains("Hello, dynamic!"), "{out}");
    server.assert_replays("dyn-2", "hello");

    let refused = fails_with(server.cli(&["start", "*", "--input", "1"]), 5);
    assert!(refused.contains("dynamic workflow"), "{refused}");
}
