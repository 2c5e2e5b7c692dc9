//! Two `weft server` processes on one PostgreSQL database: the first holds every shard,
//! the second waits as a standby; SIGKILL the first and the standby takes the shards
//! over once their leases expire, serving the runs the first host started.

use crate::support;

use serde_json::{json, Value};
use support::poll::until_seen;
use support::postgres::Schema;
use support::server::{execution, ok, Server};
use support::*;

/// The nodes of `/v1/cluster` as (node id, alive, shards, epoch).
fn nodes(status: &Value) -> Vec<(String, bool, u64, i64)> {
    status["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["node_id"].as_str().unwrap().to_string(),
                n["alive"].as_bool().unwrap(),
                n["shards"].as_u64().unwrap(),
                n["epoch"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// A host of a test's cluster on the database at `url`: 8 shards, leases of 2 s.
pub(super) fn start(data: &std::path::Path, url: &str, node: &str) -> Server {
    let args = [
        "--database",
        url,
        "--lease-time",
        "2s",
        "--shards",
        "8",
        "--node-id",
        node,
    ];
    Server::start_with(data, &[], &args)
}

/// Post `body` to `path` until the host answers 200 (a host that is taking over answers
/// 503 meanwhile); the answer.
fn posted(server: &Server, path: &str, body: &Value) -> Value {
    until_seen(&format!("POST {path} to succeed"), || {
        match server.post_json(path, body) {
            (200 | 201, answer) => Ok(answer),
            (503, answer) => Err(answer),
            (status, answer) => panic!("POST {path}: {status} {answer}"),
        }
    })
}

#[test]
fn a_standby_forwards_then_takes_over_the_runs_of_a_killed_host() {
    let Some(schema) = Schema::new("failover") else {
        return;
    };
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = start(a_dir.path(), &schema.url, "a");
    let b = start(b_dir.path(), &schema.url, "b");
    let seen = nodes(&b.get("/v1/cluster").1);
    assert_eq!(
        seen,
        [("a".to_string(), true, 8, 1), ("b".to_string(), true, 0, 0)]
    );
    let listed: Value = serde_json::from_str(&ok(b.cli(&["cluster", "status", "--json"]))).unwrap();
    assert_eq!(listed["shards"], 8, "{listed}");

    // Through the standby: forwarded to the host that serves.
    let (status, body) = b.post_bytes("/v1/modules?name=entity", &component_bytes("entity"));
    assert_eq!(status, 201, "{body}");
    let begin = json!({"workflow_type": "entity", "input": {"balance": 100}, "id": "acct-1"});
    assert_eq!(b.post_json("/v1/executions", &begin).0, 201);
    let deposit = format!("{}/signals/deposit", execution("acct-1"));
    posted(&b, &deposit, &json!({"input": {"amount": 50}}));
    let described = ok(b.cli(&["describe", "acct-1"]));
    assert!(described.contains("running"), "{described}");

    a.kill();
    // The run the killed host started goes on here, with what it had recorded.
    posted(&b, &deposit, &json!({"input": {"amount": 25}}));
    let moved = nodes(&b.get("/v1/cluster").1);
    assert_eq!(
        moved.iter().find(|n| n.0 == "b"),
        Some(&("b".to_string(), true, 8, 2)),
        "{moved:?}"
    );
    posted(
        &b,
        &format!("{}/signals/close", execution("acct-1")),
        &json!({}),
    );
    assert_eq!(b.result("acct-1")["result"], json!({"balance": 175}));
    b.assert_replays("acct-1", "entity");
    let (_, metrics) = b.get("/metrics");
    let metrics = metrics.as_str().unwrap().to_string();
    for series in [
        "weft_cluster_shards_held 8",
        "weft_cluster_shards 8",
        "weft_cluster_epoch 2",
        "weft_cluster_forwarded_total{outcome=\"answered\"}",
    ] {
        assert!(metrics.contains(series), "{series} in {metrics}");
    }
    let table = ok(b.cli(&["cluster", "status"]));
    assert!(
        table.contains("NODE") && table.contains("8 shards"),
        "{table}"
    );
}
