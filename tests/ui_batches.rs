//! Batches from the web UI, browserless, against a real `weft server`: the "Batch
//! action" form under a filtered executions list, its confirmation page with the count
//! the query matches, the submit, a batch stopped from its page and others that finish
//! (one with failures, listed with their executions and messages), the batches page,
//! and the refusals, each with the API's message. The histories the batches produced
//! replay.

use serde_json::{json, Value};

use crate::support;
use crate::ui::{ok_page, server_with_runs};
use crate::ui_steer::redirected;
use support::pages::{Page, Visitor};
use support::server::Server;
use support::*;

/// The API's view of batch `id`.
fn batch(server: &Server, id: &str) -> Value {
    let (status, body) = server.get(&format!("/v1/batches/{id}"));
    assert_eq!(status, 200, "{body}");
    body
}

/// The batch id a submit redirected to.
fn batch_id(location: &str) -> String {
    location
        .strip_prefix("/ui/batches/")
        .unwrap_or_else(|| panic!("not a batch's page: {location}"))
        .to_string()
}

/// The confirmation page of a batch over `query` with `fields`.
fn confirmation(browser: &mut Visitor, query: &str, fields: &[(&str, &str)]) -> Page {
    let mut all = vec![("query", query)];
    all.extend_from_slice(fields);
    let encoded: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&all)
        .finish();
    browser.get(&format!("/ui/batches/new?{encoded}"))
}

/// Submit, as the confirmation page's button does: its hidden fields and CSRF token.
fn submit(browser: &mut Visitor, confirmed: &Page) -> String {
    let csrf = confirmed.csrf();
    let form = &confirmed.body[confirmed.body.find(r#"action="/ui/batches""#).unwrap()..];
    let form = &form[..form.find("</form>").unwrap()];
    let mut fields = Vec::new();
    for input in form.split("<input type=\"hidden\" name=\"").skip(1) {
        let (name, rest) = input.split_once('"').unwrap();
        let value = rest
            .split_once("value=\"")
            .unwrap()
            .1
            .split_once('"')
            .unwrap()
            .0;
        if name != "csrf" {
            fields.push((name.to_string(), html_unescape(value)));
        }
    }
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    redirected(browser, "/ui/batches", &csrf, &fields)
}

fn html_unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[test]
fn batches_submitted_stopped_and_finished_from_the_ui() {
    let (_dir, server) = server_with_runs(&[], &[]);
    for id in ["nap-2", "nap-3"] {
        let body = json!({"workflow_type": "timer", "id": id, "input": {"seconds": 86_400}});
        assert_eq!(server.post_json("/v1/executions", &body).0, 201);
    }
    let mut browser = Visitor::new(&server.url);
    let query = "WorkflowType = 'timer'";

    // The form under the filtered list leads to a confirmation with the count.
    let list = ok_page(
        browser.get("/ui/executions?query=WorkflowType+%3D+%27timer%27"),
        "the filtered list",
    );
    assert!(
        list.contains(r#"action="/ui/batches/new""#)
            && list
                .contains(r#"<input type="hidden" name="query" value="WorkflowType = 'timer'">"#),
        "{list}"
    );
    let fields = [
        ("operation", "pause"),
        ("reason", "<em>nap time</em>"),
        ("rps", "0.001"),
    ];
    let confirmed = confirmation(&mut browser, query, &fields);
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert!(
        confirmed.body.contains(r#"data-count="3""#)
            && confirmed.body.contains("&lt;em&gt;nap time&lt;/em&gt;"),
        "{}",
        confirmed.body
    );

    let (paused, csrf) = stopped_from_its_page(&server, &mut browser, &confirmed);
    let (terminated, deleted) = finished(&server, &mut browser, query);

    let batches = ok_page(browser.get("/ui/batches"), "the batches");
    for shown in [&paused, &terminated, &deleted] {
        assert!(
            batches.contains(&format!("/ui/batches/{shown}")),
            "{shown} in {batches}"
        );
    }
    for state in ["stopped", "completed"] {
        assert!(
            batches.contains(&format!(r#"data-state="{state}""#)),
            "{state} in {batches}"
        );
    }
    refusals(&server, &mut browser, &csrf);
}

/// Submit the paused batch (paced at one execution per 1,000 s) and stop it from its
/// page after the first; its id, and the CSRF token.
fn stopped_from_its_page(
    server: &Server,
    browser: &mut Visitor,
    confirmed: &Page,
) -> (String, String) {
    let paused = batch_id(&submit(browser, confirmed));
    poll::until_seen("the first pause", || {
        let b = batch(server, &paused);
        if b["done"] == 1 {
            Ok(())
        } else {
            Err(b)
        }
    });
    let page = ok_page(
        browser.get(&format!("/ui/batches/{paused}")),
        "a running batch",
    );
    assert!(
        page.contains(">Stop<") && page.contains("every 3s") && page.contains("&lt;em&gt;nap time"),
        "{page}"
    );
    let csrf = Page::csrf(&browser.get(&format!("/ui/batches/{paused}")));
    let back = redirected(
        browser,
        &format!("/ui/batches/{paused}/stop"),
        &csrf,
        &[("reason", "enough")],
    );
    assert_eq!(back, format!("/ui/batches/{paused}"));
    let stopped = batch(server, &paused);
    assert_eq!(
        (
            stopped["state"].as_str(),
            stopped["done"].as_u64(),
            stopped["stop_reason"].as_str()
        ),
        (Some("stopped"), Some(1), Some("enough")),
        "{stopped}"
    );
    let page = ok_page(browser.get(&back), "a stopped batch");
    assert!(
        page.contains("stopped") && page.contains("enough") && !page.contains(">Stop<"),
        "{page}"
    );

    (paused, csrf)
}

/// A terminate batch over `query` and a delete batch that fails on the open account,
/// both finished; their ids.
fn finished(server: &Server, browser: &mut Visitor, query: &str) -> (String, String) {
    // Terminate them all: it finishes.
    let confirmed = confirmation(
        browser,
        query,
        &[("operation", "terminate"), ("reason", "naps over")],
    );
    let terminated = batch_id(&submit(browser, &confirmed));
    let done = ended(server, &terminated);
    assert_eq!(
        (done["done"].as_u64(), done["failed"].as_u64()),
        (Some(3), Some(0)),
        "{done}"
    );
    for id in ["nap-1", "nap-2", "nap-3"] {
        assert_eq!(server.result(id)["status"], "terminated");
        server.assert_replays(id, "timer");
    }

    // Delete the open account: the batch fails on it, and its page says why.
    let entity = "WorkflowType = 'entity'";
    let confirmed = confirmation(
        browser,
        entity,
        &[("operation", "delete"), ("reason", "tidy")],
    );
    assert!(
        confirmed.body.contains(r#"data-count="1""#),
        "{}",
        confirmed.body
    );
    let deleted = batch_id(&submit(browser, &confirmed));
    let done = ended(server, &deleted);
    assert_eq!(done["failed"], 1, "{done}");
    let page = ok_page(
        browser.get(&format!("/ui/batches/{deleted}")),
        "a batch with a failure",
    );
    let message = done["failures"][0]["message"].as_str().unwrap();
    assert!(
        page.contains(r#"href="/ui/executions/acct-1""#)
            && page.contains(message)
            && page.contains("Failures (1)"),
        "{page}"
    );
    assert_eq!(server.get("/v1/executions/acct-1").0, 200);

    (terminated, deleted)
}

/// Batch `id` once it has ended.
fn ended(server: &Server, id: &str) -> Value {
    poll::until_seen(&format!("batch {id} to end"), || {
        let b = batch(server, id);
        if b["state"] == "running" {
            Err(b)
        } else {
            Ok(b)
        }
    })
}

/// What the API refuses, the UI refuses with its message; nothing is submitted.
fn refusals(server: &Server, browser: &mut Visitor, csrf: &str) {
    let before = server.get("/v1/batches").1.as_array().unwrap().len();
    for (query, fields, said) in [
        (
            "",
            vec![("operation", "signal"), ("reason", "r")],
            "needs `signal`",
        ),
        (
            "WorkflowType =",
            vec![("operation", "cancel"), ("reason", "r")],
            "(column 15)",
        ),
        (
            "",
            vec![("operation", "cancel"), ("reason", "r"), ("rps", "fast")],
            "rps: `fast` is not a number",
        ),
        (
            "",
            vec![("operation", "explode"), ("reason", "r")],
            "is not a batch operation",
        ),
        (
            "",
            vec![("operation", "cancel"), ("reason", " ")],
            "needs a reason",
        ),
    ] {
        let page = confirmation(browser, query, &fields);
        assert_eq!(page.status, 400, "{said}: {}", page.body);
        assert!(
            page.body.contains(said) && page.body.contains(r#"role="alert""#),
            "{said} in {}",
            page.body
        );
    }
    let page = browser.post(
        "/ui/batches",
        &[
            ("csrf", csrf),
            ("query", ""),
            ("operation", "signal"),
            ("reason", "r"),
            ("input", "{"),
        ],
        &[],
    );
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("not valid JSON"), "{}", page.body);
    assert_eq!(
        browser
            .post("/ui/batches/nobody/stop", &[("csrf", csrf)], &[])
            .status,
        404
    );
    assert_eq!(browser.get("/ui/batches/nobody").status, 404);
    assert_eq!(
        server.get("/v1/batches").1.as_array().unwrap().len(),
        before
    );
}
