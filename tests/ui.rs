//! The web UI of `weft server`, browserless: every page's HTML over loopback HTTP from a
//! real server on real components, the actions through its forms (with the session
//! cookie and CSRF token a browser would send), forged posts, read-only mode, login
//! with a token, and a server without the UI.

use serde_json::{json, Value};

use crate::support;
use support::pages::{Page, Visitor};
use support::server::Server;
use support::*;

/// A workflow id with markup and a `/` in it: shown escaped, linked percent-encoded.
pub(crate) const HOSTILE_ID: &str = "<script>alert(1)</script>/x";

/// `id` as one path segment.
pub(crate) fn encoded(id: &str) -> String {
    form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// `id`'s page in the UI.
pub(crate) fn path_of(id: &str) -> String {
    format!("/ui/executions/{}", encoded(id))
}

pub(crate) fn ok_page(page: Page, what: &str) -> String {
    assert_eq!(page.status, 200, "{what}: {}", page.body);
    page.body
}

/// A server with hello, timer and entity deployed, one finished run with a hostile
/// id, a timer sleeping for a day and an open account.
pub(crate) fn server_with_runs(args: &[&str], env: &[(&str, &str)]) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), env, args);
    let bearer = env
        .iter()
        .find(|(k, _)| *k == "WEFT_SERVER_TOKENS")
        .map(|(_, v)| *v);
    let api = |path: &str, body: Option<&[u8]>| {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let url = format!("{}{path}", server.url);
        let mut request = agent.post(url).content_type("application/json");
        if let Some(token) = bearer {
            request = request.header("authorization", &format!("Bearer {token}"));
        }
        let mut response = request.send(body.unwrap_or_default()).unwrap();
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .unwrap();
        assert!(status < 300, "{path}: {status} {text}");
        serde_json::from_str::<Value>(&text).unwrap()
    };
    for name in ["hello", "timer", "entity"] {
        api(
            &format!("/v1/modules?name={name}"),
            Some(&component_bytes(name)),
        );
    }
    for (workflow_type, id, input) in [
        ("hello", HOSTILE_ID, json!("world")),
        ("timer", "nap-1", json!({"seconds": 86_400})),
        ("entity", "acct-1", json!({"balance": 100})),
    ] {
        let body = json!({"workflow_type": workflow_type, "id": id, "input": input});
        api("/v1/executions", Some(body.to_string().as_bytes()));
    }
    (dir, server)
}

#[test]
fn pages_show_runs_escaped_and_forms_act_on_them() {
    let (_dir, server) = server_with_runs(&[], &[]);
    server.result(&encoded(HOSTILE_ID));
    let mut browser = Visitor::new(&server.url);
    let mut waiter = Visitor::new(&server.url);
    support::poll::until("the timer's first task", || {
        let page = waiter.get(&path_of("nap-1"));
        page.body.contains(r#"data-kind="timer""#).then_some(())
    });

    // The list: every run, the hostile id as text, the headers of a careful page.
    let list = browser.get("/ui/executions");
    assert!(list
        .header("content-security-policy")
        .unwrap()
        .contains("script-src 'self'"));
    let cookie = list.header("set-cookie").unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/ui/"),
        "{cookie}"
    );
    let html = ok_page(list, "the list");
    for shown in ["acct-1", "nap-1", "&lt;script&gt;alert(1)&lt;/script&gt;/x"] {
        assert!(html.contains(shown), "{shown} in {html}");
    }
    assert!(!html.contains("<script>alert(1)"), "{html}");
    let counts = ok_page(browser.get("/ui/executions/counts?query="), "counts");
    assert!(
        counts.contains("Running 2") && counts.contains("Completed 1"),
        "{counts}"
    );
    let filtered = ok_page(
        browser.get("/ui/executions?query=WorkflowType+%3D+%27timer%27"),
        "a query",
    );
    assert!(
        filtered.contains("nap-1") && !filtered.contains("acct-1"),
        "{filtered}"
    );
    let bad = browser.get("/ui/executions?query=WorkflowType+%3D");
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("(column 15)") && bad.body.contains("<form"),
        "{}",
        bad.body
    );
    let jump = browser.get("/ui/executions?id=acct-1");
    assert_eq!(
        (jump.status, jump.location()),
        (303, "/ui/executions/acct-1")
    );
    assert_eq!(browser.get("/ui/executions?id=nobody").status, 404);
    let assets = browser.get("/ui/assets/htmx.min.js");
    assert!(assets.status == 200 && assets.body.contains("htmx"));

    // One run: the timeline's rows by kind and seq, the history, its download.
    let hello = ok_page(browser.get(&path_of(HOSTILE_ID)), "the hostile run");
    assert!(hello.contains(r#"<svg class="timeline""#), "{hello}");
    assert!(
        hello.contains(r#"data-kind="activity" data-seq="1" data-outcome="completed""#),
        "{hello}"
    );
    assert!(
        hello.contains("&lt;script&gt;alert(1)&lt;/script&gt;/x")
            && !hello.contains("<script>alert(1)")
    );
    assert!(hello.contains("Hello, world!"), "the result: {hello}");
    let nap = ok_page(browser.get(&path_of("nap-1")), "the sleeping run");
    assert!(
        nap.contains(r#"data-kind="timer" data-seq="1" data-outcome="pending""#),
        "{nap}"
    );
    assert!(
        nap.contains("Pending timers") && nap.contains("Terminate"),
        "{nap}"
    );
    let real_time = ok_page(
        browser.get(&format!("{}?tab=timeline&idle=show", path_of("nap-1"))),
        "idle shown",
    );
    assert!(real_time.contains("Collapse idle stretches"), "{real_time}");
    let compact = ok_page(
        browser.get(&format!("{}?tab=history", path_of(HOSTILE_ID))),
        "compact",
    );
    assert!(
        compact.contains("greet") && compact.contains("Download JSON"),
        "{compact}"
    );
    let full = ok_page(
        browser.get(&format!("{}?tab=history&view=full", path_of(HOSTILE_ID))),
        "full",
    );
    assert!(
        full.contains("execution-started") && full.contains(r#"id="e0""#),
        "{full}"
    );
    let download = browser.get(&format!("{}/history.json", path_of(HOSTILE_ID)));
    assert!(download
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment"));
    assert!(download.body.contains("weft-history"), "{}", download.body);
    assert_eq!(browser.get("/ui/executions/nobody").status, 404);

    // The downloaded file, imported: its timeline and events, the id escaped.
    let csrf = browser.get("/ui/import").csrf();
    let imported = browser.post(
        "/ui/import",
        &[("csrf", &csrf), ("history", &download.body)],
        &[],
    );
    let imported = ok_page(imported, "the imported history");
    assert!(
        imported.contains("Imported history of")
            && imported.contains(r#"<svg class="timeline""#)
            && imported.contains("execution-started")
            && !imported.contains(HOSTILE_ID),
        "{imported}"
    );
    let garbage = browser.post(
        "/ui/import",
        &[("csrf", &csrf), ("history", "{\"nope\": 1}")],
        &[],
    );
    assert_eq!(garbage.status, 400);
    assert!(
        garbage.body.contains("not a history file"),
        "{}",
        garbage.body
    );

    // Messages through the forms: a query, a signal, a rejected and an accepted update.
    let account = path_of("acct-1");
    let csrf = browser.get(&format!("{account}?tab=messages")).csrf();
    let message = |browser: &mut Visitor, kind: &str, name: &str, input: &str| {
        browser.post(
            &format!("{account}/{kind}"),
            &[("csrf", &csrf), ("name", name), ("input", input)],
            &[],
        )
    };
    let balance = ok_page(message(&mut browser, "query", "balance", ""), "query");
    assert!(
        balance.contains(r#"answered:<pre class="json">100</pre>"#),
        "{balance}"
    );
    let signalled = ok_page(
        message(&mut browser, "signal", "deposit", r#"{"amount": 50}"#),
        "signal",
    );
    assert!(signalled.contains("is durable"), "{signalled}");
    let rejected = message(&mut browser, "update", "withdraw", r#"{"amount": 999}"#);
    assert_eq!(rejected.status, 422, "{}", rejected.body);
    assert!(
        rejected
            .body
            .contains("The workflow rejected update withdraw"),
        "{}",
        rejected.body
    );
    let withdrawn = ok_page(
        message(&mut browser, "update", "withdraw", r#"{"amount": 30}"#),
        "update",
    );
    assert!(
        withdrawn.contains(r#"completed:<pre class="json">120</pre>"#),
        "{withdrawn}"
    );
    assert_eq!(
        message(&mut browser, "signal", "deposit", "{nope").status,
        400
    );
    let timeline = ok_page(browser.get(&account), "the account");
    assert!(
        timeline.contains(r#"data-kind="update" data-seq="1" data-outcome="completed""#),
        "{timeline}"
    );
    assert!(timeline.contains("mark signal"), "{timeline}");
    assert!(
        timeline.contains("Handlers") && timeline.contains("updates: withdraw"),
        "{timeline}"
    );

    // Terminate: refused without the token or from another origin, then done.
    let nap = path_of("nap-1");
    let forged = browser.post(&format!("{nap}/terminate"), &[("reason", "forged")], &[]);
    assert_eq!(forged.status, 403, "{}", forged.body);
    let elsewhere = browser.post(
        &format!("{nap}/terminate"),
        &[("csrf", &csrf), ("reason", "x")],
        &[("origin", "http://evil.example")],
    );
    assert_eq!(elsewhere.status, 403, "{}", elsewhere.body);
    let stranger = Visitor::new(&server.url).post(
        &format!("{nap}/terminate"),
        &[("csrf", &csrf), ("reason", "x")],
        &[],
    );
    assert_eq!(
        stranger.status, 403,
        "another browser's token: {}",
        stranger.body
    );
    assert_eq!(server.get("/v1/executions/nap-1").1["status"], "running");
    let done = browser.post(
        &format!("{nap}/terminate"),
        &[("csrf", &csrf), ("reason", "ui test")],
        &[],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    let result = server.result("nap-1");
    assert_eq!(
        (
            result["status"].as_str(),
            result["failure"]["message"].as_str()
        ),
        (Some("terminated"), Some("ui test"))
    );
    let closed = ok_page(browser.get(&nap), "the terminated run");
    assert!(
        !closed.contains(">Terminate<") && closed.contains(r#"data-outcome="terminated""#),
        "{closed}"
    );

    schedules_modules_and_start(&server, &mut browser, &csrf);
}

/// The schedule, module and start pages, and their forms.
fn schedules_modules_and_start(server: &Server, browser: &mut Visitor, csrf: &str) {
    let schedule = json!({"id": "yearly", "spec": {"cron": ["0 0 1 1 *"]},
        "action": {"workflow_type": "hello", "input": "schedule"}});
    let (status, body) = server.post_json("/v1/schedules", &schedule);
    assert_eq!(status, 201, "{body}");
    let list = ok_page(browser.get("/ui/schedules"), "schedules");
    assert!(
        list.contains("/ui/schedules/yearly") && list.contains("active"),
        "{list}"
    );
    let paused = browser.post(
        "/ui/schedules/yearly/pause",
        &[("csrf", csrf), ("note", "maint")],
        &[],
    );
    assert_eq!(
        (paused.status, paused.location()),
        (303, "/ui/schedules/yearly")
    );
    assert_eq!(server.get("/v1/schedules/yearly").1["paused"], true);
    let page = ok_page(browser.get("/ui/schedules/yearly"), "the schedule");
    assert!(page.contains("maint") && page.contains("Unpause"), "{page}");
    assert_eq!(
        browser
            .post("/ui/schedules/yearly/trigger", &[("csrf", csrf)], &[])
            .status,
        303
    );
    let triggered = server.get("/v1/schedules/yearly").1;
    let run = triggered["recent"][0]["workflow_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(ok_page(browser.get("/ui/schedules/yearly"), "recent").contains(&run));
    // Backfill: the range holds two of its times (1 January 2025 and 2026), taken while
    // paused, beside any run still open.
    let actions = triggered["actions"].as_u64().unwrap();
    let range = [
        ("csrf", csrf),
        ("start", "2024-06-01T00:00"),
        ("end", "2026-06-01T00:00"),
        ("overlap", "allow-all"),
    ];
    let backfill = browser.post("/ui/schedules/yearly/backfill", &range, &[]);
    assert_eq!(backfill.status, 303, "{}", backfill.body);
    assert_eq!(
        server.get("/v1/schedules/yearly").1["actions"].as_u64(),
        Some(actions + 2)
    );
    let bad = [
        ("csrf", csrf),
        ("start", "yesterday"),
        ("end", "2026-06-01T00:00"),
    ];
    let refused = browser.post("/ui/schedules/yearly/backfill", &bad, &[]);
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("`yesterday` is not a time"),
        "{}",
        refused.body
    );
    assert_eq!(
        browser
            .post("/ui/schedules/yearly/delete", &[("csrf", csrf)], &[])
            .status,
        303
    );
    assert_eq!(server.get("/v1/schedules/yearly").0, 404);

    let modules = ok_page(browser.get("/ui/modules"), "modules");
    for shown in ["hello", "timer", "entity", "v1"] {
        assert!(modules.contains(shown), "{shown} in {modules}");
    }
    let like = ok_page(browser.get("/ui/start?like=acct-1"), "start like");
    assert!(
        like.contains(r#"<option value="entity" selected>"#)
            && like.contains("&quot;balance&quot;: 100"),
        "{like}"
    );
    let started = browser.post(
        "/ui/start",
        &[
            ("csrf", csrf),
            ("workflow_type", "hello"),
            ("id", "from-ui"),
            ("input", r#""ui""#),
        ],
        &[],
    );
    assert_eq!(started.status, 303, "{}", started.body);
    assert_eq!(server.result("from-ui")["result"], "Hello, ui!");
    let unknown = browser.post(
        "/ui/start",
        &[("csrf", csrf), ("workflow_type", "nope"), ("input", "")],
        &[],
    );
    assert_eq!(unknown.status, 404, "{}", unknown.body);
}

#[test]
fn read_only_with_tokens_needs_a_login_and_refuses_every_action() {
    let (_dir, server) = server_with_runs(&["--ui-read-only"], &[("WEFT_SERVER_TOKENS", "t1")]);
    let mut browser = Visitor::new(&server.url);
    let away = browser.get("/ui/executions");
    assert_eq!((away.status, away.location()), (303, "/ui/login"));
    assert_eq!(
        browser
            .post("/ui/executions/nap-1/terminate", &[("reason", "x")], &[])
            .status,
        401
    );
    let login = ok_page(browser.get("/ui/login"), "the login page");
    assert!(login.contains(r#"type="password""#), "{login}");
    assert_eq!(
        browser.post("/ui/login", &[("token", "t2")], &[]).status,
        401
    );
    let in_ = browser.post("/ui/login", &[("token", "t1")], &[]);
    assert_eq!((in_.status, in_.location()), (303, "/ui/executions"));
    let cookie = in_.header("set-cookie").unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/ui/"),
        "{cookie}"
    );

    let list = ok_page(browser.get("/ui/executions"), "the list, logged in");
    assert!(
        list.contains("acct-1") && list.contains("read-only"),
        "{list}"
    );
    let nap = ok_page(browser.get(&path_of("nap-1")), "a run, read-only");
    assert!(
        !nap.contains(">Terminate<") && !nap.contains(">Cancel<") && !nap.contains(">Pause<"),
        "{nap}"
    );
    assert!(
        !nap.contains("Reset…") && !list.contains("Batch action"),
        "{nap}"
    );
    let csrf = browser.get("/ui/executions").csrf();
    for (path, fields) in [
        ("/ui/executions/nap-1/terminate", vec![("reason", "x")]),
        ("/ui/executions/nap-1/cancel", vec![]),
        (
            "/ui/executions/acct-1/signal",
            vec![("name", "deposit"), ("input", "{}")],
        ),
        ("/ui/executions/acct-1/query", vec![("name", "balance")]),
        ("/ui/start", vec![("workflow_type", "hello")]),
        ("/ui/executions/acct-1/pause", vec![]),
        (
            "/ui/executions/acct-1/reset",
            vec![("point", "first-task"), ("reason", "x")],
        ),
        ("/ui/executions/acct-1/activities/1/reset", vec![]),
        (
            "/ui/batches",
            vec![("operation", "cancel"), ("query", ""), ("reason", "x")],
        ),
    ] {
        let mut fields = fields;
        fields.push(("csrf", &csrf));
        assert_eq!(browser.post(path, &fields, &[]).status, 403, "{path}");
    }
    assert_eq!(
        browser
            .get("/ui/batches/new?query=&operation=cancel&reason=x")
            .status,
        403
    );
    // The API ignores the UI's cookie: it still wants the bearer token.
    let (status, _) = server.get("/v1/executions");
    assert_eq!(status, 401);
    let out = browser.post("/ui/logout", &[("csrf", &csrf)], &[]);
    assert_eq!((out.status, out.location()), (303, "/ui/login"));
    assert_eq!(browser.get("/ui/executions").status, 303, "logged out");
    drop(server);

    let dir = tempfile::tempdir().unwrap();
    let plain = Server::start_with(dir.path(), &[], &["--no-ui"]);
    assert_eq!(plain.get("/ui/executions").0, 404);
    assert_eq!(plain.get("/v1/health").0, 200);
}
