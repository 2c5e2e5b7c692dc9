//! `weft server` as a real process over loopback HTTP: the API end to end, bad input,
//! checked deployments. A SIGKILL under load is a heavy test (`heavy::server_crash`).

use crate::support;

use serde_json::{json, Value};
use support::server::{fails_with, ok, Server};
use support::*;
use weft_host::history::export;

fn replay_matches(component_name: &str, history: &Value) {
    let (_, _, events) = export::from_json(&history.to_string()).unwrap();
    let engine = support::engine();
    let module = engine.load(&component_bytes(component_name)).unwrap();
    weft_host::replay::replay(&engine, &module, &events)
        .unwrap_or_else(|e| panic!("replay of {component_name} failed: {e}"));
}

#[test]
fn api_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let (status, v) = server.post_bytes("/v1/modules?name=hello", &component_bytes("hello"));
    assert_eq!(status, 201, "{v}");
    assert_eq!(
        (v["name"].as_str(), v["version"].as_u64()),
        (Some("hello"), Some(1))
    );
    assert_eq!(v["workflow_types"], json!(["hello"]));
    let (_, v) = server.get("/v1/modules");
    assert_eq!(v["modules"].as_array().unwrap().len(), 1);

    let (status, started) = server.post_json(
        "/v1/executions",
        &json!({"workflow_type": "hello", "input": "api", "id": "api-1"}),
    );
    assert_eq!(status, 201, "{started}");
    let result = server.result("api-1");
    assert_eq!(result["status"], "completed");
    assert_eq!(result["result"], "Hello, api!");

    let (status, d) = server.get("/v1/executions/api-1");
    assert_eq!(status, 200);
    assert_eq!(
        (d["module_name"].as_str(), d["module_version"].as_u64()),
        (Some("hello"), Some(1))
    );
    assert_eq!(d["workflow_type"], "hello");
    assert!(d["close_ms"].as_u64().is_some());

    // Reusing the id of a closed execution starts a new run.
    let (status, again) = server.post_json(
        "/v1/executions",
        &json!({"workflow_type": "hello", "input": "again", "id": "api-1"}),
    );
    assert_eq!(status, 201);
    assert_ne!(again["run_id"], started["run_id"]);
    assert_eq!(server.result("api-1")["result"], "Hello, again!");
    // The old run is still readable by its run id.
    let (_, old) = server.get(&format!(
        "/v1/executions/{}/result",
        started["run_id"].as_str().unwrap()
    ));
    assert_eq!(old["result"], "Hello, api!");

    // Listing: newest first, filtered, paginated.
    for i in 0..3 {
        server.post_json(
            "/v1/executions",
            &json!({"workflow_type": "hello", "input": format!("n{i}"), "id": format!("page-{i}")}),
        );
        server.result(&format!("page-{i}"));
    }
    let (_, page1) = server.get("/v1/executions?status=completed&type=hello&limit=2");
    let ids: Vec<&str> = page1["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["workflow_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["page-2", "page-1"]);
    let cursor = page1["next_cursor"].as_str().unwrap();
    let (_, page2) = server.get(&format!(
        "/v1/executions?status=completed&limit=10&cursor={cursor}"
    ));
    let ids: Vec<&str> = page2["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["workflow_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["page-0", "api-1", "api-1"]);
    assert!(page2["next_cursor"].is_null());
    let (_, none) = server.get("/v1/executions?status=failed");
    assert!(none["executions"].as_array().unwrap().is_empty());

    // The exported history replays against the component.
    let (status, history) = server.get("/v1/executions/api-1/history");
    assert_eq!(status, 200);
    replay_matches("hello", &history);
}

#[test]
fn bad_requests_get_clear_errors_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    server.post_bytes("/v1/modules?name=hello", &component_bytes("hello"));
    server.post_bytes("/v1/modules?name=timer", &component_bytes("timer"));

    let expect = |(status, body): (u16, Value), want: u16, code: &str, text: &str| {
        assert_eq!(status, want, "{body}");
        assert_eq!(body["code"], code, "{body}");
        assert!(body["message"].as_str().unwrap().contains(text), "{body}");
    };
    // Malformed JSON, unknown type, unknown ids.
    let raw = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build();
    let resp = ureq::Agent::from(raw)
        .post(format!("{}/v1/executions", server.url))
        .content_type("application/json")
        .send("{\"workflow_type\": ")
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    expect(
        server.post_json("/v1/executions", &json!({"workflow_type": "nope"})),
        404,
        "not_found",
        "nope",
    );
    expect(
        server.get("/v1/executions/nobody"),
        404,
        "not_found",
        "nobody",
    );
    expect(
        server.get("/v1/executions/nobody/result"),
        404,
        "not_found",
        "nobody",
    );
    expect(
        server.get("/v1/executions/nobody/history"),
        404,
        "not_found",
        "nobody",
    );
    expect(
        server.get("/v1/executions?status=bogus"),
        400,
        "bad_request",
        "bogus",
    );
    // Oversized input (documented limit: 2 MiB).
    let big = "x".repeat(weft_host::api::types::MAX_INPUT_BYTES + 10);
    expect(
        server.post_json(
            "/v1/executions",
            &json!({"workflow_type": "hello", "input": big}),
        ),
        413,
        "too_large",
        "limit",
    );
    // A second start with an id that is still running.
    let (status, _) = server.post_json(
        "/v1/executions",
        &json!({"workflow_type": "timer", "input": {"seconds": 60}, "id": "busy"}),
    );
    assert_eq!(status, 201);
    expect(
        server.post_json(
            "/v1/executions",
            &json!({"workflow_type": "hello", "input": "x", "id": "busy"}),
        ),
        409,
        "conflict",
        "already has a running execution",
    );
    // A non-component upload, and a wrong-world component.
    expect(
        server.post_bytes("/v1/modules?name=hello", b"not wasm at all"),
        422,
        "invalid",
        "not a valid WebAssembly component",
    );
    expect(
        server.post_bytes("/v1/modules?name=hello", b"\0asm\x0d\x00\x01\x00"),
        422,
        "invalid",
        "weft:workflow",
    );
    // Nothing changed: still one version each, and only the timer run exists.
    let (_, modules) = server.get("/v1/modules");
    let versions: Vec<(String, u64)> = modules["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_string(),
                m["version"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        versions,
        [("hello".to_string(), 1), ("timer".to_string(), 1)]
    );
    let (_, list) = server.get("/v1/executions");
    assert_eq!(list["executions"].as_array().unwrap().len(), 1);
    let (_, d) = server.get("/v1/executions/busy");
    assert_eq!(d["pending_timers"].as_array().unwrap().len(), 1);
}

#[test]
fn checked_deploys_replay_open_executions() {
    let dir = tempfile::tempdir().unwrap();
    // Compile the components into the server's cache first, so that deploying is quick.
    let engine = weft_host::engine::Engine::new(weft_host::engine::EngineConfig {
        cache_dir: Some(dir.path().join("compiled")),
        ..Default::default()
    })
    .unwrap();
    for name in ["hello", "hello-v2", "hello-changed"] {
        engine.load(&component_bytes(name)).unwrap();
    }
    // Every activity takes 4 s, so the first execution is still open while we deploy.
    let server = Server::start(dir.path(), &[("WEFT_EXAMPLE_ACTIVITY_DELAY_MS", "4000")]);
    let (status, _) = server.post_bytes("/v1/modules?name=greeter", &component_bytes("hello"));
    assert_eq!(status, 201);
    server.post_json(
        "/v1/executions",
        &json!({"workflow_type": "hello", "input": "v1", "id": "open-1"}),
    );

    // Compatible: same `hello`, plus a new workflow type.
    let (status, v2) = server.post_bytes(
        "/v1/modules?name=greeter&check=true",
        &component_bytes("hello-v2"),
    );
    assert_eq!(status, 201, "{v2}");
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["checked_executions"], 1);
    // It replays on v2, so it moved there.
    assert_eq!(v2["moved"][0]["workflow_id"], "open-1", "{v2}");

    // Incompatible: refused with the divergence of the open execution.
    let (status, refused) = server.post_bytes(
        "/v1/modules?name=greeter&check=true",
        &component_bytes("hello-changed"),
    );
    assert_eq!(status, 409, "{refused}");
    let divergence = &refused["divergences"][0];
    assert_eq!(divergence["workflow_id"], "open-1");
    assert!(
        divergence["report"]
            .as_str()
            .unwrap()
            .contains("WEFT-NDE-1"),
        "{refused}"
    );
    let (_, modules) = server.get("/v1/modules");
    assert_eq!(modules["modules"].as_array().unwrap().len(), 2);

    // The open execution moved to version 2 (and says when); new ones use it too.
    let (_, d) = server.get("/v1/executions/open-1");
    assert_eq!(d["module_version"], 2);
    assert!(d["module_moved_ms"].is_u64(), "{d}");
    assert_eq!(d["pending_activities"][0]["activity_type"], "greet");
    server.post_json(
        "/v1/executions",
        &json!({"workflow_type": "hello", "input": "v2", "id": "new-1"}),
    );
    let (_, d) = server.get("/v1/executions/new-1");
    assert_eq!(d["module_version"], 2);
    assert_eq!(server.result("open-1")["result"], "Hello, v1!");
    assert_eq!(server.result("new-1")["result"], "Hello, v2!");
    let (_, history) = server.get("/v1/executions/open-1/history");
    replay_matches("hello", &history);
    replay_matches("hello-v2", &history);
}

/// Run `weft <args>` against `server`; returns (exit code, stdout, stderr).
fn cli(server: &Server, args: &[&str]) -> (i32, String, String) {
    let out = weft()
        .args(args)
        .env("WEFT_SERVER", &server.url)
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).to_string();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

#[test]
fn cli_drives_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let hello = component("hello");
    let hello = hello.to_str().unwrap();

    let (code, out, err) = cli(&server, &["deploy", hello, "--name", "hello"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("version 1"), "{out}");
    let (code, out, _) = cli(&server, &["modules", "--json"]);
    assert_eq!(code, 0);
    assert!(out.contains("\"workflow_types\":[\"hello\"]"), "{out}");

    let (code, out, err) = cli(
        &server,
        &["execute", "hello", "--input", "\"cli\"", "--id", "cli-1"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "\"Hello, cli!\"");
    let (code, out, _) = cli(
        &server,
        &["start", "hello", "--input", "\"two\"", "--id", "cli-2"],
    );
    assert_eq!((code, out.trim()), (0, "cli-2"));
    let (code, out, _) = cli(&server, &["result", "cli-2"]);
    assert_eq!((code, out.trim()), (0, "\"Hello, two!\""));
    let (code, out, _) = cli(&server, &["describe", "cli-1"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("completed") && out.contains("hello version 1"),
        "{out}"
    );
    // `list --json` prints one object with and without a query: the API's page.
    let page = |args: &[&str]| {
        let (code, out, err) = cli(&server, args);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<Value>(&out).unwrap()
    };
    let listed = page(&["list", "--type", "hello", "--json"]);
    assert_eq!(
        listed["executions"].as_array().unwrap().len(),
        2,
        "{listed}"
    );
    assert_eq!(listed["next_cursor"], Value::Null);
    let first = page(&["list", "--limit", "1", "--json"]);
    assert_eq!(first["executions"].as_array().unwrap().len(), 1, "{first}");
    assert!(first["next_cursor"].is_string(), "{first}");
    let queried = page(&["list", "--query", "WorkflowType = 'hello'", "--json"]);
    let ids = |page: &Value| {
        let mut ids: Vec<String> = page["executions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|run| run["workflow_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&queried), ["cli-1", "cli-2"]);
    assert_eq!(ids(&queried), ids(&listed));
    let (code, out, _) = cli(&server, &["history", "show", "cli-1"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("schedule-activity") && out.contains("greet"),
        "{out}"
    );

    // Export, then replay the file, the live execution, and a folder.
    let folder = dir.path().join("histories");
    std::fs::create_dir(&folder).unwrap();
    let file = folder.join("cli-1.json");
    let (code, _, err) = cli(
        &server,
        &["history", "export", "cli-1", "-o", file.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cli(
        &server,
        &["replay", "--module", hello, file.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cli(&server, &["replay", "--module", hello, "--id", "cli-2"]);
    assert_eq!(code, 0, "{err}");
    let changed = component("hello-changed");
    let (code, out, err) = cli(
        &server,
        &[
            "replay",
            "--module",
            changed.to_str().unwrap(),
            folder.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 3, "{out}{err}");
    assert!(format!("{out}{err}").contains("WEFT-NDE-1"), "{out}{err}");

    // Distinct exit codes: not found, rejected (a bad module; input the workflow
    // type does not decode), bad usage. A failed workflow exits 3
    // (tests/activity_examples.rs).
    assert_eq!(cli(&server, &["describe", "nobody"]).0, 4);
    assert_eq!(cli(&server, &["deploy", file.to_str().unwrap()]).0, 5);
    assert_eq!(cli(&server, &["execute", "hello", "--input", "42"]).0, 5);
    assert_eq!(
        cli(&server, &["start", "hello", "--input", "not json"]).0,
        2
    );
}

/// A server on a redb file is a cluster of one: `weft cluster status` shows its node id
/// and address, holding the one shard.
#[test]
fn a_redb_server_is_a_cluster_of_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &[], &["--node-id", "solo"]);
    let out = ok(server.cli(&["cluster", "status", "--json"]));
    let status: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["shards"], 1, "{status}");
    let node = &status["nodes"][0];
    assert_eq!(
        (&node["node_id"], &node["alive"], &node["shards"]),
        (&json!("solo"), &json!(true), &json!(1)),
        "{status}"
    );
    assert_eq!(node["address"].as_str(), Some(server.url.as_str()));
    let table = ok(server.cli(&["cluster", "status"]));
    assert!(table.contains("solo") && table.contains("alive"), "{table}");
    let shards_alone = weft()
        .args(["server", "--data", "x", "--shards", "8"])
        .output();
    let usage = fails_with(shards_alone.unwrap(), 2);
    assert!(usage.contains("--database"), "{usage}");
}
