//! A real `weft server` on PostgreSQL (`--database`), killed with SIGKILL while
//! executions run: after a restart on the same database every acknowledged execution
//! completes, once, and its history replays. The data folder holds no redb file.

use crate::support;

use std::collections::HashMap;

use serde_json::json;
use support::postgres::{OwnPostgres, Schema};
use support::server::Server;
use support::*;

#[test]
fn a_server_on_postgres_resumes_its_runs_after_sigkill() {
    let Some(schema) = Schema::new("sigkill") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let env = [("WEFT_EXAMPLE_ACTIVITY_DELAY_MS", "150")];
    let args = ["--database", schema.url.as_str()];
    let server = Server::start_with(dir.path(), &env, &args);
    let (status, _) = server.post_bytes("/v1/modules?name=sequence", &component_bytes("sequence"));
    assert_eq!(status, 201);
    let ids: Vec<String> = (0..12).map(|i| format!("pg-{i}")).collect();
    for id in &ids {
        let body = json!({"workflow_type": "sequence", "input": id, "id": id});
        let (status, body) = server.post_json("/v1/executions", &body);
        assert_eq!(status, 201, "{body}");
    }
    // Some have finished, the others are mid-way (each activity takes 150 ms).
    server.result(&ids[0]);
    server.kill();
    assert!(!dir.path().join("weft.redb").exists());

    let server = Server::start_with(dir.path(), &env, &args);
    each_sequence_completed_once(&server, &ids);
}

/// Every run of `ids` (started as `sequence` with its id as input) closes with its
/// result, once, and replays; how many runs each workflow id has.
fn each_sequence_completed_once(server: &Server, ids: &[String]) -> HashMap<String, usize> {
    for id in ids {
        let result = server.result(id);
        let expected: String = id.to_uppercase().chars().rev().collect();
        assert_eq!(
            result["result"],
            json!(format!("Hello, {expected}!")),
            "{id}: {result}"
        );
        server.assert_replays(id, "sequence");
    }
    let (_, list) = server.get("/v1/executions?limit=200");
    let mut runs: HashMap<String, usize> = HashMap::new();
    for e in list["executions"].as_array().unwrap() {
        *runs
            .entry(e["workflow_id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    for id in ids {
        assert_eq!(runs.get(id), Some(&1), "{id}");
    }
    runs
}

/// PostgreSQL crashes (an immediate shutdown: no checkpoint, recovery from the WAL) and
/// comes back while a server on it runs executions: every start it acknowledged, before
/// or after, completes once with its result, a start it refused left nothing behind, and
/// every history replays. A server that met a commit whose outcome it could not learn
/// stops with an error, and is started again here as a supervisor would.
#[test]
fn postgres_crashing_under_load_loses_nothing_acknowledged() {
    let Some(pg) = OwnPostgres::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let env = [("WEFT_EXAMPLE_ACTIVITY_DELAY_MS", "100")];
    let args = ["--database", pg.url.as_str()];
    let mut server = Server::start_with(dir.path(), &env, &args);
    let (status, _) = server.post_bytes("/v1/modules?name=sequence", &component_bytes("sequence"));
    assert_eq!(status, 201);
    let start = |server: &Server, id: &str| {
        let body = json!({"workflow_type": "sequence", "input": id, "id": id});
        server.post_json("/v1/executions", &body)
    };
    let mut acked: Vec<String> = Vec::new();
    for i in 0..10 {
        let id = format!("crash-{i}");
        let (status, body) = start(&server, &id);
        assert_eq!(status, 201, "{body}");
        acked.push(id);
    }
    pg.crash_restart();
    // Starts after the crash, until the server takes them again (bounded).
    let mut refused = Vec::new();
    for i in 10..60 {
        if let Some(status) = server.exited() {
            assert!(!status.success(), "the server stopped with {status}");
            server = Server::start_with(dir.path(), &env, &args);
        }
        let id = format!("crash-{i}");
        let (status, body) = start(&server, &id);
        match status {
            201 => acked.push(id),
            _ if body.to_string().contains("unknown") => {}
            _ => refused.push(id),
        }
        if acked.len() >= 15 {
            break;
        }
    }
    assert!(
        acked.len() >= 15,
        "the server took no start after the database came back"
    );
    let runs = each_sequence_completed_once(&server, &acked);
    for id in &refused {
        assert_eq!(runs.get(id), None, "{id} was refused, yet it has a run");
    }
}

/// `weft bench --database` runs a scenario on a schema of its own in the database (a
/// cluster of one) and prints its line; the schema holds the runs it made.
#[test]
fn bench_runs_a_scenario_on_postgres() {
    let Some(schema) = Schema::new("bench") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = weft()
        .args(["bench", "--scenario", "seq3", "--executions", "20"])
        .args(["--database", schema.url.as_str()])
        .arg("--sequence")
        .arg(component("sequence"))
        .arg("--data")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["scenario"], "seq3", "{line}");
    assert!(line["wf_per_s"].as_f64().unwrap() > 0.0, "{line}");
    assert!(!dir.path().join("seq3/weft.redb").exists(), "no redb file");
    // 220 latency samples and 20 in the throughput phase, all on PostgreSQL.
    let runs = schema.count("SELECT count(*) FROM weft_bench_seq3.runs");
    schema.drop_other("weft_bench_seq3");
    assert_eq!(runs, 240);
}
