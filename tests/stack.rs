//! `weft stack` the way a user runs it: a real `weft server`, the `stack` fixture's
//! `waits` run blocked on an activity, a timer and a child at once, and the CLI asked
//! where it waits. No test waits for the hour-long timers: the runs are terminated.

use crate::support;

use serde_json::Value;
use support::server::{fails_with, ok, Server};
use support::*;

/// The 1-based line of the fixture's source that contains `text`.
fn line_of(text: &str) -> u32 {
    let source =
        std::fs::read_to_string(repo_root().join("tests/fixtures/stack/src/lib.rs")).unwrap();
    let index = source
        .lines()
        .position(|l| l.contains(text))
        .unwrap_or_else(|| panic!("{text} is not in the fixture"));
    index as u32 + 1
}

/// `weft stack --json` of `id` once it has `frames` frames.
fn stack_of(server: &Server, id: &str, frames: usize) -> Value {
    poll::until_seen(&format!("{frames} frames in the stack of {id}"), || {
        let stack: Value = serde_json::from_str(&ok(server.cli(&["stack", id, "--json"]))).unwrap();
        match stack["frames"].as_array().map(Vec::len) {
            Some(n) if n == frames => Ok(stack),
            _ => Err(stack),
        }
    })
}

#[test]
fn stack_names_the_line_of_every_pending_future() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let component = component("stack");
    ok(server.cli(&["deploy", component.to_str().unwrap(), "--name", "stack"]));
    ok(server.cli(&["start", "waits", "--id", "waits-1"]));

    let stack = stack_of(&server, "waits-1", 3);
    let frames = stack["frames"].as_array().unwrap();
    let expected = [
        (
            "activity",
            "never_complete",
            "ctx.activity(NeverComplete",
            20,
        ),
        (
            "timer",
            "3600000ms",
            "ctx.sleep(Duration::from_secs(3600)),",
            21,
        ),
        (
            "child",
            "waits-1/child-1",
            "ctx.child_workflow::<napper>",
            22,
        ),
    ];
    for (frame, (kind, name, call, line)) in frames.iter().zip(expected) {
        assert_eq!(line_of(call), line, "the fixture's lines moved");
        assert_eq!(frame["kind"], kind, "{stack}");
        assert_eq!(frame["seq"], 1, "{stack}");
        assert_eq!(frame["name"], name, "{stack}");
        assert_eq!(frame["line"], line, "{stack}");
        let file = frame["file"].as_str().unwrap();
        assert!(file.ends_with("stack/src/lib.rs"), "{stack}");
    }

    // As text: one line per future, each with `lib.rs:LINE`; `describe` shows the same
    // lines under "waiting at".
    let text = ok(server.cli(&["stack", "waits-1"]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    for (line, (kind, name, _, number)) in lines.iter().zip(expected) {
        assert!(
            line.starts_with(&format!("{kind} seq=1 {name}  awaited at ")),
            "{text}"
        );
        assert!(line.ends_with(&format!("src/lib.rs:{number}")), "{text}");
    }
    let described = ok(server.cli(&["describe", "waits-1"]));
    let waiting = described
        .split_once("waiting at:\n")
        .unwrap_or_else(|| panic!("{described}"))
        .1;
    for line in &lines {
        assert!(waiting.contains(line), "{line} missing from\n{described}");
    }
    let json: Value =
        serde_json::from_str(&ok(server.cli(&["describe", "waits-1", "--json"]))).unwrap();
    assert_eq!(json["waiting_at"], stack["frames"], "{json}");

    // The child waits at its own line.
    let child = stack_of(&server, "waits-1/child-1", 1);
    assert_eq!(child["frames"][0]["kind"], "timer", "{child}");
    let nap = line_of("ctx.sleep(Duration::from_secs(3600)).await?");
    assert_eq!(child["frames"][0]["line"], nap, "{child}");

    // Closed, it waits for nothing; an unknown id is exit 4.
    ok(server.cli(&["terminate", "waits-1", "--reason", "test over"]));
    let closed = ok(server.cli(&["stack", "waits-1"]));
    assert!(closed.ends_with("is closed"), "{closed}");
    let json: Value =
        serde_json::from_str(&ok(server.cli(&["stack", "waits-1", "--json"]))).unwrap();
    assert_eq!(json["frames"], serde_json::json!([]), "{json}");
    let unknown = fails_with(server.cli(&["stack", "no-such-run"]), 4);
    assert!(unknown.contains("no-such-run"), "{unknown}");
    server.assert_replays("waits-1", "stack");
    server.assert_replays("waits-1/child-1", "stack");
}
