//! The web UI in real browsers (headless Chromium through WebDriver, and the same walk
//! in headless Firefox through Marionette) against a real
//! `weft server`: htmx loads the counts under the content security policy, a filter,
//! the timeline of a run that changes without a reload when a signal arrives, a
//! rejected update's message, JSON checked before a form leaves, terminate behind its
//! confirmation, the history's "reset here" opening the reset form, no request to
//! another origin, and a login with a token. Every step
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
