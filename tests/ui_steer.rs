//! Repairing and steering from the web UI, browserless, against a real `weft server`:
//! reset (refused when it would diverge, with the report; then done, to the new run),
//! pause and unpause, delete, an activity's operations and where a run waits, and
//! batches submitted from the executions list, stopped and finished. Each act goes
//! through the page's form (session cookie, CSRF token), its effect is checked through
//! the API or the CLI, and the histories it produced replay.

use serde_json::{json, Value};

use crate::support;
use crate::ui::{ok_page, path_of, server_with_runs};
use support::pages::{Page, Visitor};
use support::server::{ok, Server};
use support::*;

/// Post `fields` (with the CSRF token) to `path`: a redirect, whose target is returned.
pub(crate) fn redirected(
    browser: &mut Visitor,
    path: &str,
    csrf: &str,
    fields: &[(&str, &str)],
) -> String {
    let mut all = vec![("csrf", csrf)];
    all.extend_from_slice(fields);
    let page = browser.post(path, &all, &[]);
    assert_eq!(page.status, 303, "{path}: {}", page.body);
    page.location().to_string()
}

/// Post `fields` to `path`, refused with `status`: the page says `said`.
pub(crate) fn refused(
    browser: &mut Visitor,
    path: &str,
    csrf: &str,
    fields: &[(&str, &str)],
    status: u16,
    said: &str,
) {
    let mut all = vec![("csrf", csrf)];
    all.extend_from_slice(fields);
    let page = browser.post(path, &all, &[]);
    assert_eq!(page.status, status, "{path}: {}", page.body);
    assert!(
        page.body.contains(said) && page.body.contains(r#"role="alert""#),
        "{said} in {}",
        page.body
    );
}

/// The API's description of `id`.
fn described(server: &Server, id: &str) -> Value {
    let (status, body) = server.get(&format!("/v1/executions/{id}"));
    assert_eq!(status, 200, "{body}");
    body
}

#[test]
fn reset_pause_and_delete_from_the_ui() {
    let (_dir, server) = server_with_runs(&[], &[]);
    let start = json!({"workflow_type": "hello", "id": "greet-1", "input": "ada"});
    assert_eq!(server.post_json("/v1/executions", &start).0, 201);
    assert_eq!(server.result("greet-1")["result"], "Hello, ada!");
    let mut browser = Visitor::new(&server.url);
    let greet = path_of("greet-1");

    let first_task = reset_here(&server, &mut browser, &greet);
    let csrf = Page::csrf(&browser.get(&greet));

    // A changed module: a reset to the last task would diverge, and is refused with the
    // report; nothing is written.
    let changed = server.post_bytes("/v1/modules?name=hello", &component_bytes("hello-changed"));
    assert_eq!(changed.0, 201, "{}", changed.1);
    let old_run = described(&server, "greet-1")["run_id"].clone();
    assert!(old_run.is_string(), "{old_run}");
    let reset = format!("{greet}/reset");
    let last = [
        ("point", "last-task"),
        ("reapply", "all"),
        ("reason", "new greeting"),
    ];
    refused(&mut browser, &reset, &csrf, &last, 409, "does not replay");
    assert_eq!(described(&server, "greet-1")["run_id"], old_run);
    refused(
        &mut browser,
        &reset,
        &csrf,
        &[("point", "event"), ("reason", "x")],
        400,
        "event: give the index",
    );
    refused(
        &mut browser,
        &reset,
        &csrf,
        &[("point", "first-task"), ("reason", " ")],
        400,
        "blank",
    );

    // From the first task it goes ahead, and the page is the new run's.
    let event = first_task.to_string();
    let fields = [
        ("point", "event"),
        ("event", &event),
        ("reapply", "all"),
        ("reason", "greet loudly"),
    ];
    let new_page = redirected(&mut browser, &reset, &csrf, &fields);
    let new_run = described(&server, "greet-1")["run_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(new_page, path_of(&new_run));
    assert_eq!(server.result("greet-1")["result"], "Hello, ADA!");
    let page = ok_page(
        browser.get(&format!("{new_page}?tab=relationships")),
        "the new run",
    );
    assert!(
        page.contains("Reset from") && page.contains("greet loudly"),
        "{page}"
    );
    server.assert_replays("greet-1", "hello-changed");
    server.assert_replays(old_run.as_str().unwrap(), "hello");

    pause_and_unpause(&server, &mut browser, &csrf);
    delete(&server, &mut browser, &csrf);
}

/// The full history's "reset here" on the first workflow task of `page`'s run fills the
/// reset form; that task's event index.
fn reset_here(server: &Server, browser: &mut Visitor, page: &str) -> usize {
    let full = ok_page(
        browser.get(&format!("{page}?tab=history&view=full")),
        "the full history",
    );
    let first_task = server
        .history("greet-1")
        .iter()
        .position(|e| matches!(e, weft_host::history::Event::TaskStarted { .. }))
        .unwrap();
    let here = format!("view=full&amp;page=0&amp;reset_to={first_task}#reset");
    assert!(
        full.contains(&here) && full.contains("reset here"),
        "{full}"
    );
    let filled = ok_page(
        browser.get(&format!(
            "{page}?tab=history&view=full&page=0&reset_to={first_task}"
        )),
        "the reset form, filled",
    );
    assert!(
        filled.contains(r#"<details class="reset" id="reset" open>"#)
            && filled.contains(&format!(r#"name="event" min="0" value="{first_task}""#))
            && filled.contains(r#"<option value="event" selected>"#)
            && filled.contains("data-confirm=\"Reset this execution?")
            && filled.contains(">Delete<"),
        "{filled}"
    );
    first_task
}

/// Pause the open account: a signal waits for the unpause; both are in the history.
fn pause_and_unpause(server: &Server, browser: &mut Visitor, csrf: &str) {
    let account = path_of("acct-1");
    let page = ok_page(browser.get(&account), "the account");
    assert!(
        page.contains(">Pause<") && !page.contains(">Delete<"),
        "{page}"
    );
    let back = redirected(
        browser,
        &format!("{account}/pause"),
        csrf,
        &[("reason", "ledger <migration>")],
    );
    assert!(back.starts_with("/ui/executions/"), "{back}");
    let paused = &described(server, "acct-1")["paused"];
    assert_eq!(
        (paused["identity"].as_str(), paused["reason"].as_str()),
        (Some("web UI"), Some("ledger <migration>")),
        "{paused}"
    );
    let page = ok_page(browser.get(&account), "the paused account");
    assert!(
        page.contains(">Unpause<") && page.contains("ledger &lt;migration&gt;"),
        "{page}"
    );
    refused(
        browser,
        &format!("{account}/pause"),
        csrf,
        &[],
        409,
        "already paused",
    );
    let signal = json!({"input": {"amount": 50}});
    let (status, body) = server.post_json("/v1/executions/acct-1/signals/deposit", &signal);
    assert_eq!(status, 200, "{body}");
    let balance = || {
        server
            .post_json("/v1/executions/acct-1/queries/balance", &json!({}))
            .1
    };
    assert_eq!(balance()["result"], 100, "the signal waits for the unpause");
    redirected(
        browser,
        &format!("{account}/unpause"),
        csrf,
        &[("reason", "")],
    );
    poll::until("the deposit after the unpause", || {
        (balance()["result"] == 150).then_some(())
    });
    assert!(described(server, "acct-1").get("paused").is_none());
    let history = ok(server.cli(&["history", "show", "acct-1"]));
    assert!(
        history.contains("by web UI") && history.contains("unpaused"),
        "{history}"
    );
}

/// Delete: refused while open, then done, and the execution is gone.
fn delete(server: &Server, browser: &mut Visitor, csrf: &str) {
    let account = path_of("acct-1");
    refused(
        browser,
        &format!("{account}/delete"),
        csrf,
        &[],
        409,
        "terminate it first",
    );
    server.assert_replays("acct-1", "entity");
    ok(server.cli(&["terminate", "acct-1", "--reason", "closing the account"]));
    let page = ok_page(browser.get(&account), "the closed account");
    assert!(
        page.contains(">Delete<") && !page.contains(">Pause<"),
        "{page}"
    );
    let gone = redirected(browser, &format!("{account}/delete"), csrf, &[]);
    assert_eq!(gone, "/ui/executions?deleted=acct-1");
    let list = ok_page(browser.get(&gone), "the list after a delete");
    assert!(list.contains("Deleted the execution"), "{list}");
    assert_eq!(server.get("/v1/executions/acct-1").0, 404);
    assert_eq!(
        browser
            .post(&format!("{account}/delete"), &[("csrf", csrf)], &[])
            .status,
        404
    );
}

#[test]
fn stack_and_activity_operations_from_the_ui() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    for name in ["stack", "polling-infrequent"] {
        let component = component(name);
        ok(server.cli(&["deploy", component.to_str().unwrap(), "--name", name]));
    }
    ok(server.cli(&["start", "waits", "--id", "waits-1"]));
    let mut browser = Visitor::new(&server.url);
    let waits = path_of("waits-1");

    // Where it waits: the three futures, each with its line.
    let page = poll::until("three frames on the page", || {
        let page = browser.get(&waits).body;
        (page.matches("<tr data-kind=").count() >= 3 && page.contains("Where it waits"))
            .then_some(page)
    });
    for (kind, line) in [("activity", 21), ("timer", 22), ("child", 23)] {
        let row = format!(r#"<tr data-kind="{kind}">"#);
        assert!(page.contains(&row), "{row} in {page}");
        assert!(
            page.contains(&format!("stack/src/lib.rs:{line}</code>")),
            "line {line} in {page}"
        );
    }
    assert!(
        page.contains("/activities/1/pause") && page.contains("Operate…"),
        "{page}"
    );
    let csrf = Page::csrf(&browser.get(&waits));

    // An attempt in flight that never ends: a reset waits for it, and the page says so.
    let waiting = browser.post(
        &format!("{waits}/activities/1/reset"),
        &[("csrf", &csrf)],
        &[],
    );
    assert_eq!(waiting.status, 202, "{}", waiting.body);
    assert!(
        waiting.body.contains("waits for it to end"),
        "{}",
        waiting.body
    );
    ok(server.cli(&["terminate", "waits-1", "--reason", "test over"]));
    server.assert_replays("waits-1", "stack");
    let closed = ok_page(browser.get(&waits), "the closed run");
    assert!(
        !closed.contains("Where it waits") && !closed.contains("Operate…"),
        "{closed}"
    );

    activity_operations(&server, &mut browser, &csrf);
}

/// Pause, change the options, unpause and reset an activity between its attempts (it
/// polls a service that is never ready, a minute apart): each recorded, each refused
/// when wrong.
fn activity_operations(server: &Server, browser: &mut Visitor, csrf: &str) {
    ok(server.cli(&[
        "start",
        "polling-infrequent",
        "--id",
        "poll-1",
        "--input",
        "1000",
    ]));
    poll::until("the first failed poll", || {
        let pending = &described(server, "poll-1")["pending_activities"][0];
        pending["last_failure"].as_str().map(drop)
    });
    let poll = path_of("poll-1");
    let activity = format!("{poll}/activities/1");
    redirected(
        browser,
        &format!("{activity}/pause"),
        csrf,
        &[("reason", "downstream <down>")],
    );
    let pending = &described(server, "poll-1")["pending_activities"][0];
    assert_eq!(pending["paused"], true, "{pending}");
    let page = ok_page(browser.get(&poll), "a paused activity");
    assert!(
        page.contains("/activities/1/unpause") && page.contains(r#"class="badge paused""#),
        "{page}"
    );
    acts_and_refusals(browser, &poll, csrf);
    let history = ok(server.cli(&["history", "show", "poll-1"]));
    for want in [
        "activity-paused",
        "downstream <down>",
        "activity-options-updated",
        "at most 5 attempts",
        "activity-unpaused",
        "activity-reset",
        "by web UI",
    ] {
        assert!(history.contains(want), "{want} missing from\n{history}");
    }
    ok(server.cli(&["terminate", "poll-1", "--reason", "test over"]));
    server.assert_replays("poll-1", "polling-infrequent");
}

/// On the paused activity: a second pause refused, the options changed (bad ones
/// refused), unpaused and reset; an unknown activity or act refused. Each refusal
/// with the API's status and message.
fn acts_and_refusals(browser: &mut Visitor, poll: &str, csrf: &str) {
    let activity = format!("{poll}/activities/1");
    refused(
        browser,
        &format!("{activity}/pause"),
        csrf,
        &[],
        409,
        "already paused",
    );
    let options = [
        ("maximum_attempts", "5"),
        ("start_to_close", "2h"),
        ("initial_interval", ""),
    ];
    redirected(
        browser,
        &format!("{activity}/update-options"),
        csrf,
        &options,
    );
    refused(
        browser,
        &format!("{activity}/update-options"),
        csrf,
        &[("start_to_close", "soon")],
        400,
        "start-to-close:",
    );
    refused(
        browser,
        &format!("{activity}/update-options"),
        csrf,
        &[],
        400,
        "give at least one option",
    );
    refused(
        browser,
        &format!("{activity}/reset"),
        csrf,
        &[("maximum_attempts", "3")],
        400,
        "changed by `update-options`",
    );
    redirected(browser, &format!("{activity}/unpause"), csrf, &[]);
    redirected(
        browser,
        &format!("{activity}/reset"),
        csrf,
        &[("reason", "start over")],
    );
    refused(
        browser,
        &format!("{poll}/activities/9/pause"),
        csrf,
        &[],
        404,
        "no pending activity",
    );
    refused(
        browser,
        &format!("{activity}/explode"),
        csrf,
        &[],
        404,
        "no activity operation",
    );
}
