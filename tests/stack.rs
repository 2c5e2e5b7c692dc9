//! `weft stack` the way a user runs it: a real `weft server`, the `stack` fixture's
//! `waits` run blocked on an activity, a timer and a child at once, and the CLI asked
//! where it waits. No test waits for the hour-long timers: the runs are terminated.

use crate::support;

use serde_json::Value;
use support::server::{fails_with, ok, Server};
use support::*;

/// The 1-based line of the fixture's source that contains `text`.
pub(crate) fn line_of(text: &str) -> u32 {
    let source =
        std::fs::read_to_string(repo_root().join("tests/fixtures/stack/src/lib.rs")).unwrap();
    let index = source
        .lines()
        .position(|l| l.contains(text))
        .unwrap_or_else(|| panic!("{text} is not in the fixture"));
    index as u32 + 1
}

/// `weft stack --json` of `id` once it has `frames` frames.
pub(crate) fn stack_of(server: &Server, id: &str, frames: usize) -> Value {
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
            21,
        ),
        (
            "timer",
            "3600000ms",
            "ctx.sleep(Duration::from_secs(3600)),",
            22,
        ),
        (
            "child",
            "waits-1/child-1",
            "ctx.child_workflow::<napper>",
            23,
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
    assert_eq!(nap, 34, "the fixture's lines moved");
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

/// A server on a data folder in `dir` (returned, to start it again) with the fixture
/// deployed and its `steps` workflow started as `steps-1`.
pub(crate) fn steps_run(dir: &std::path::Path) -> (std::path::PathBuf, Server) {
    let data = dir.join("data");
    let server = Server::start(&data, &[]);
    let component = component("stack");
    ok(server.cli(&["deploy", component.to_str().unwrap(), "--name", "stack"]));
    ok(server.cli(&["start", "steps", "--id", "steps-1"]));
    (data, server)
}

/// A server started again on `data` that keeps no workflow instance and no live run
/// between tasks: every run is read back from storage, and rebuilt by replay, on
/// demand.
pub(crate) fn restart_evicting(data: &std::path::Path) -> Server {
    let evicting = ["--cache-size", "0", "--actor-cache-size", "0"];
    Server::start_with(data, &[], &evicting)
}

/// Futures that issue no command, as the SDK reports them: the `steps` run waits on a
/// wait condition and a signal channel's `recv` at once; `stack` and `describe` name
/// their lines, before and after a restart of the server that then keeps nothing in
/// memory (the report is kept in memory, rebuilt by replay), and once the condition is
/// through only the `recv` is left.
#[test]
fn stack_names_the_lines_of_conditions_and_channel_receives() {
    let dir = tempfile::tempdir().unwrap();
    let (data, server) = steps_run(dir.path());
    let condition = line_of("waits: go");
    let recv = line_of("waits: approve");
    // What each line starts with, and the fixture's line it ends with.
    let expected = [
        ("condition".to_string(), condition),
        ("signal channel \"approve\" recv".to_string(), recv),
    ];
    let shows = |server: &Server, lines: &[(String, u32)]| {
        let stack = stack_of(server, "steps-1", lines.len());
        let text = ok(server.cli(&["stack", "steps-1"]));
        let described = ok(server.cli(&["describe", "steps-1"]));
        for (what, number) in lines {
            let shown = text
                .lines()
                .find(|l| l.starts_with(&format!("{what}  awaited at ")))
                .unwrap_or_else(|| panic!("{what} missing from\n{text}"));
            // The file as the compiler named it: a path that ends with the fixture's.
            assert!(
                shown.ends_with(&format!("stack/src/lib.rs:{number}")),
                "{text}"
            );
            assert!(
                described.contains(shown),
                "{shown} missing from\n{described}"
            );
        }
        stack
    };
    let stack = shows(&server, &expected);
    assert_eq!(stack["frames"][0]["kind"], "condition", "{stack}");
    assert_eq!(stack["frames"][1]["kind"], "signal-channel", "{stack}");
    assert_eq!(stack["frames"][1]["name"], "approve", "{stack}");
    assert_eq!(stack["frames"][1]["line"], recv, "{stack}");

    // Killed and started again, keeping no instance and no live run between tasks:
    // each ask rebuilds the run by replay, whose last activation reports again.
    server.kill();
    let server = restart_evicting(&data);
    shows(&server, &expected);

    // The condition is through; the `recv` still waits.
    ok(server.cli(&["signal", "steps-1", "go"]));
    shows(&server, &expected[1..]);
    ok(server.cli(&["signal", "steps-1", "approve", "--input", "\"ops\""]));
    let stack = stack_of(&server, "steps-1", 1);
    assert_eq!(stack["frames"][0]["kind"], "timer", "{stack}");
    ok(server.cli(&["terminate", "steps-1", "--reason", "test over"]));
    server.assert_replays("steps-1", "stack");
}

/// A start's summary and details as `describe`, `list` and `history show` show them;
/// a summary of two lines is refused naming it.
#[test]
fn summary_and_details_are_shown() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let component = component("stack");
    ok(server.cli(&["deploy", component.to_str().unwrap(), "--name", "stack"]));
    let details = "**why**: a test\n\n- first\n- second";
    ok(server.cli(&[
        "start",
        "reports",
        "--id",
        "reports-1",
        "--summary",
        "refund for order 17",
        "--details",
        details,
    ]));
    let described = ok(server.cli(&["describe", "reports-1"]));
    assert!(
        described.contains("  summary   refund for order 17\n"),
        "{described}"
    );
    assert!(
        described.contains("details:\n  **why**: a test\n\n  - first\n  - second\n"),
        "{described}"
    );
    let json: Value =
        serde_json::from_str(&ok(server.cli(&["describe", "reports-1", "--json"]))).unwrap();
    assert_eq!(json["summary"], "refund for order 17", "{json}");
    assert_eq!(json["details"], details, "{json}");

    let listed = ok(server.cli(&["list"]));
    let row = listed.lines().find(|l| l.contains("reports-1")).unwrap();
    assert!(row.contains("refund for order 17"), "{listed}");
    assert!(
        listed.lines().next().unwrap().contains("SUMMARY"),
        "{listed}"
    );
    let page: Value = serde_json::from_str(&ok(server.cli(&["list", "--json"]))).unwrap();
    assert_eq!(
        page["executions"][0]["summary"], "refund for order 17",
        "{page}"
    );

    let history = ok(server.cli(&["history", "show", "reports-1"]));
    assert!(history.contains("user-metadata"), "{history}");
    assert!(
        history.contains("summary=\"refund for order 17\""),
        "{history}"
    );
    server.assert_replays("reports-1", "stack");

    // A summary is one line; the message names the field.
    let refused = fails_with(
        server.cli(&["start", "reports", "--summary", "two\nlines"]),
        5,
    );
    assert!(refused.contains("summary"), "{refused}");
    ok(server.cli(&["terminate", "reports-1"]));
}
