//! The web UI in real browsers (headless Chromium through WebDriver, and the same walk
//! in headless Firefox through Marionette) against a real
//! `weft server`: htmx loads the counts under the content security policy, a filter,
//! the timeline of a run that changes without a reload when a signal arrives, a
//! rejected update's message, JSON checked before a form leaves, terminate behind its
//! confirmation, the history's "reset here" opening the reset form, no request to
//! another origin, a login with a token, a schedule paused from its page, the timeline's
//! rows checked against the history, a forged post refused and read-only mode. Every step
//! saves a screenshot under `target/ui-screenshots/`.

use serde_json::{json, Value};

use crate::support::browser::Browser;
use crate::ui::{path_of, server_with_runs};

/// The page has logged no script error.
fn no_script_errors(browser: &Browser) {
    assert_eq!(browser.execute("return window.__weftErrors"), json!([]));
}

#[test]
fn list_timeline_messages_and_terminate() {
    let Some(browser) = Browser::start("ui") else {
        return;
    };
    walk(&browser);
}

/// The same walk in Firefox: the pages, htmx and the forms work there too.
#[test]
fn list_timeline_messages_and_terminate_in_firefox() {
    let Some(browser) = Browser::firefox("ui-firefox") else {
        return;
    };
    walk(&browser);
}

/// List, filter, a timeline changed in place by a signal, messages, terminate and the
/// history's reset link, with a screenshot at each step.
fn walk(browser: &Browser) {
    let (_dir, server) = server_with_runs(&[], &[]);
    let url = |path: &str| format!("{}{path}", server.url);

    // The list, its counts fetched by htmx apart, and a filter.
    browser.goto(&url("/ui/executions"));
    browser.find("#counts a.badge");
    let counts = browser.text(&browser.find("#counts"));
    assert!(counts.contains("Running 2"), "{counts}");
    browser.screenshot("list");
    let query = browser.find("input[name=query]");
    browser.type_into(&query, "WorkflowType = 'timer'");
    browser.click(&browser.find("form[role=search] button"));
    let shown = browser.wait_for_text("the filtered list", |t| {
        t.contains("nap-1") && !t.contains("acct-1")
    });
    assert!(shown.contains("Plan:"), "{shown}");
    browser.screenshot("filtered");
    no_script_errors(browser);

    // A run's timeline changes in place when a signal arrives.
    browser.goto(&url(&path_of("acct-1")));
    browser.find("svg.timeline g.row[data-kind=workflow]");
    let load = browser.execute("return window.__loadId");
    let marks = browser.find_all("circle.mark.signal").len();
    browser.screenshot("timeline");
    let (status, body) = server.post_json(
        "/v1/executions/acct-1/signals/deposit",
        &json!({"input": {"amount": 5}}),
    );
    assert_eq!(status, 200, "{body}");
    crate::support::poll::until("the signal on the timeline", || {
        (browser.find_all("circle.mark.signal").len() > marks).then_some(())
    });
    assert_eq!(
        browser.execute("return window.__loadId"),
        load,
        "swapped in place, not reloaded"
    );
    browser.screenshot("signalled");

    // Messages: a rejected update shows the validator's message; bad JSON never leaves.
    browser.goto(&url(&format!("{}?tab=messages", path_of("acct-1"))));
    browser.type_into(
        &browser.find(r#"form[action$="/update"] input[name=name]"#),
        "withdraw",
    );
    browser.type_into(
        &browser.find(r#"form[action$="/update"] textarea"#),
        r#"{"amount": 999}"#,
    );
    browser.click(&browser.find(r#"form[action$="/update"] button"#));
    browser.wait_for_text("the rejection", |t| {
        t.contains("The workflow rejected update withdraw")
    });
    browser.screenshot("update-rejected");
    let signal_input = browser.find(r#"form[action$="/signal"] textarea"#);
    browser.type_into(
        &browser.find(r#"form[action$="/signal"] input[name=name]"#),
        "deposit",
    );
    browser.type_into(&signal_input, "{nope");
    browser.click(&browser.find(r#"form[action$="/signal"] button"#));
    let refusal = browser.execute(
        r#"return document.querySelector('form[action$="/signal"] textarea').validationMessage"#,
    );
    assert!(
        refusal
            .as_str()
            .unwrap_or_default()
            .contains("not valid JSON"),
        "{refusal}"
    );
    browser.screenshot("bad-json");

    // Terminate, confirmed (the driver accepts the dialog), with a reason.
    browser.goto(&url(&path_of("nap-1")));
    browser.type_into(
        &browser.find(r#"form[action$="/terminate"] input[name=reason]"#),
        "browser test",
    );
    browser.click(&browser.find(r#"form[action$="/terminate"] button"#));
    browser.wait_for_text("the terminated run", |t| {
        t.contains("Terminated: browser test")
    });
    let actions = browser.find_all(r#"form[action$="/terminate"]"#);
    assert!(actions.is_empty(), "no action on a closed run");
    assert_eq!(server.result("nap-1")["failure"]["message"], "browser test");
    browser.screenshot("terminated");

    // The full history's "reset here" opens the reset form set to that task.
    browser.goto(&url(&format!("{}?tab=history&view=full", path_of("nap-1"))));
    browser.click(&browser.find("a.reset-here"));
    browser.find("details#reset[open] select[name=point]");
    let event = browser.execute("return document.querySelector('#reset input[name=event]').value");
    assert!(event.as_str().is_some_and(|e| !e.is_empty()), "{event}");
    browser.screenshot("reset-form");

    let origins: Value =
        browser.execute("return performance.getEntriesByType('resource').map(e => e.name)");
    for resource in origins.as_array().unwrap() {
        assert!(
            resource.as_str().unwrap().starts_with(&server.url),
            "{resource}"
        );
    }
    no_script_errors(browser);
}

#[test]
fn log_in_with_a_token() {
    let Some(browser) = Browser::start("ui-login") else {
        return;
    };
    let (_dir, server) = server_with_runs(&[], &[("WEFT_SERVER_TOKENS", "t1")]);
    browser.goto(&format!("{}/ui/executions", server.url));
    let token = browser.find("input[name=token]");
    browser.screenshot("login");
    browser.type_into(&token, "t1");
    browser.click(&browser.find("form.login button"));
    browser.wait_for_text("the list", |t| t.contains("acct-1"));
    let cookies = browser.execute("return document.cookie");
    assert!(
        !cookies
            .as_str()
            .unwrap_or_default()
            .contains("weft_session"),
        "HttpOnly: {cookies}"
    );
    browser.screenshot("logged-in");
    no_script_errors(&browser);
}

/// A schedule paused from its page; a run's timeline rows are its history's
/// activities; a form posted from another origin is refused and changes nothing; with
/// `--ui-read-only` a run's page has no action and a post is answered 403.
#[test]
fn schedule_timeline_rows_forgery_and_read_only() {
    let Some(browser) = Browser::start("ui-guard") else {
        return;
    };
    let (_dir, server) = server_with_runs(&[], &[]);
    let url = |path: &str| format!("{}{path}", server.url);

    let schedule = json!({"id": "yearly", "spec": {"cron": ["0 0 1 1 *"]},
        "action": {"workflow_type": "hello", "input": "schedule"}});
    assert_eq!(server.post_json("/v1/schedules", &schedule).0, 201);
    browser.goto(&url("/ui/schedules/yearly"));
    browser.type_into(
        &browser.find(r#"form[action$="/pause"] input[name=note]"#),
        "maintenance",
    );
    browser.click(&browser.find(r#"form[action$="/pause"] button"#));
    browser.wait_for_text("the paused schedule", |t| t.contains("paused"));
    browser.find(r#"form[action$="/unpause"]"#);
    assert_eq!(server.get("/v1/schedules/yearly").1["paused"], true);
    browser.screenshot("schedule-paused");

    // The hello run's timeline: one activity row per activity its history scheduled.
    let id = crate::ui::HOSTILE_ID;
    server.result(&crate::ui::encoded(id));
    browser.goto(&url(&path_of(id)));
    browser.find("svg.timeline g.row[data-kind=activity]");
    let rows = browser.execute(
        "return [...document.querySelectorAll('svg.timeline g.row[data-kind=activity]')].map(g => Number(g.dataset.seq))",
    );
    let (status, history) = server.get(&format!(
        "/v1/executions/{}/history",
        crate::ui::encoded(id)
    ));
    assert_eq!(status, 200, "{history}");
    let scheduled: Vec<Value> = (history["events"].as_array().unwrap().iter())
        .filter_map(|e| e["Command"]["command"]["ScheduleActivity"]["seq"].as_u64())
        .map(Value::from)
        .collect();
    assert!(!scheduled.is_empty(), "{history}");
    assert_eq!(rows, Value::from(scheduled));
    browser.screenshot("timeline-rows");

    // A page of another origin posts a terminate form: refused, the run goes on.
    let forged = format!(
        "data:text/html,<form id=f method=post action='{}/ui/executions/acct-1/terminate'>\
         <input name=reason value=forged><input name=csrf value=x></form>\
         <script>document.getElementById('f').submit()</script>",
        server.url
    );
    browser.goto(&forged);
    browser.wait_for_text("the refusal", |t| t.contains("refused"));
    browser.screenshot("forged-post");
    assert_eq!(server.get("/v1/executions/acct-1").1["status"], "running");

    // Read-only: no action on the page, and a post from the page itself is refused.
    let (_dir, read_only) = server_with_runs(&["--ui-read-only"], &[]);
    browser.goto(&format!("{}{}", read_only.url, path_of("acct-1")));
    browser.find("svg.timeline");
    assert!(browser.find_all("form[method=post]").is_empty());
    let status = browser.execute(
        "return fetch('/ui/executions/acct-1/terminate', {method: 'POST', body: new URLSearchParams({reason: 'x'})}).then(r => r.status)",
    );
    assert_eq!(status, 403);
    assert_eq!(
        read_only.get("/v1/executions/acct-1").1["status"],
        "running"
    );
    browser.screenshot("read-only");
    no_script_errors(&browser);
}
