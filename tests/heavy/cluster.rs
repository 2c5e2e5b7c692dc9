//! Three `weft server` processes on one PostgreSQL database share its shards: each
//! serves the shards rendezvous hashing gives it, any host answers any call (forwarding
//! a call about a workflow to the host that serves it), and when one is SIGKILLed the
//! others take its shards over once their leases expire and finish its runs.

use crate::support;

use serde_json::{json, Value};
use support::poll::until_seen;
use support::postgres::Schema;
use support::server::{execution, ok, Server};
use support::*;

/// The nodes of `/v1/cluster` as (node id, alive, shards).
fn nodes(status: &Value) -> Vec<(String, bool, u64)> {
    status["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["node_id"].as_str().unwrap().to_string(),
                n["alive"].as_bool().unwrap(),
                n["shards"].as_u64().unwrap(),
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

/// Post `body` to `path` until the host answers 200 (a shard being taken over answers
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

/// How many calls `hosts` forwarded with `outcome`, as their metrics say.
fn forwarded(hosts: &[&Server], outcome: &str) -> u64 {
    let series = format!("weft_cluster_forwarded_total{{outcome=\"{outcome}\"}}");
    (hosts.iter())
        .map(|h| {
            let (_, metrics) = h.get("/metrics");
            let text = metrics.as_str().unwrap().to_string();
            let line = text.lines().find(|l| l.starts_with(&series));
            line.and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .unwrap_or(0.0) as u64
        })
        .sum()
}

/// Wait until the live nodes named `alive` hold every one of the 8 shards between
/// them, each some; the nodes as `/v1/cluster` lists them then.
fn settled(server: &Server, alive: &[&str]) -> Vec<(String, bool, u64)> {
    until_seen("the shards to settle on the live hosts", || {
        let seen = nodes(&server.get("/v1/cluster").1);
        let holding: Vec<_> = seen.iter().filter(|n| n.2 > 0).collect();
        let total: u64 = holding.iter().map(|n| n.2).sum();
        let names: Vec<&str> = holding.iter().map(|n| n.0.as_str()).collect();
        if total == 8 && names == alive {
            Ok(seen)
        } else {
            Err(seen)
        }
    })
}

#[test]
fn hosts_share_the_shards_and_take_over_the_runs_of_a_killed_host() {
    let Some(schema) = Schema::new("cluster3") else {
        return;
    };
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let a = start(dirs[0].path(), &schema.url, "a");
    let b = start(dirs[1].path(), &schema.url, "b");
    let c = start(dirs[2].path(), &schema.url, "c");
    let spread = settled(&b, &["a", "b", "c"]);
    let listed: Value = serde_json::from_str(&ok(c.cli(&["cluster", "status", "--json"]))).unwrap();
    assert_eq!(listed["shards"], 8, "{listed}");
    assert_eq!(nodes(&listed), spread);

    // A deploy through one host serves starts through every other.
    let (status, body) = a.post_bytes("/v1/modules?name=entity", &component_bytes("entity"));
    assert_eq!(status, 201, "{body}");
    let hosts = [&a, &b, &c];
    let accounts: Vec<String> = (0..6).map(|i| format!("acct-{i}")).collect();
    for (i, id) in accounts.iter().enumerate() {
        let begin = json!({"workflow_type": "entity", "input": {"balance": 100}, "id": id});
        posted(hosts[i % 3], "/v1/executions", &begin);
        // Each deposit through another host than the start.
        let deposit = format!("{}/signals/deposit", execution(id));
        posted(
            hosts[(i + 1) % 3],
            &deposit,
            &json!({"input": {"amount": 50}}),
        );
    }
    let described = ok(c.cli(&["describe", "acct-0"]));
    assert!(described.contains("running"), "{described}");
    // Yearly schedules, each created through one host and served by the host of its
    // id's shard; triggered once before the kill and once after.
    let schedules: Vec<String> = (0..6).map(|i| format!("yearly-{i}")).collect();
    for (i, id) in schedules.iter().enumerate() {
        let schedule = json!({"id": id, "spec": {"cron": ["0 0 1 1 *"]}, "overlap": "allow-all",
            "action": {"workflow_type": "entity", "input": {"balance": i}}});
        let (status, body) = hosts[i % 3].post_json("/v1/schedules", &schedule);
        assert_eq!(status, 201, "{body}");
        posted(
            hosts[(i + 1) % 3],
            &format!("/v1/schedules/{id}/trigger"),
            &json!({}),
        );
    }
    let (_, listed) = c.get("/v1/schedules");
    assert_eq!(
        listed["schedules"].as_array().map(Vec::len),
        Some(6),
        "{listed}"
    );

    a.kill();
    let moved = settled(&b, &["b", "c"]);
    assert!(moved.iter().any(|n| n.0 == "a" && !n.1), "{moved:?}");
    // The runs the killed host served go on with what they had recorded.
    for (i, id) in accounts.iter().enumerate() {
        let host = [&b, &c][i % 2];
        let deposit = format!("{}/signals/deposit", execution(id));
        posted(host, &deposit, &json!({"input": {"amount": 25}}));
        posted(
            host,
            &format!("{}/signals/close", execution(id)),
            &json!({}),
        );
    }
    for (i, id) in accounts.iter().enumerate() {
        let host = [&c, &b][i % 2];
        assert_eq!(host.result(id)["result"], json!({"balance": 175}), "{id}");
        host.assert_replays(id, "entity");
    }
    // Every schedule acts from the host that serves it now, a's shards with the others.
    for (i, id) in schedules.iter().enumerate() {
        let host = [&b, &c][i % 2];
        posted(host, &format!("/v1/schedules/{id}/trigger"), &json!({}));
        let described = until_seen(&format!("{id}'s two actions"), || {
            let (_, described) = host.get(&format!("/v1/schedules/{id}"));
            match described["recent"].as_array().map(Vec::len) {
                Some(2) => Ok(described),
                _ => Err(described),
            }
        });
        for action in described["recent"].as_array().unwrap() {
            let run = action["workflow_id"].as_str().unwrap();
            let deposit = format!("{}/signals/close", execution(run));
            posted(host, &deposit, &json!({}));
            assert_eq!(host.result(run)["result"], json!({"balance": i}), "{run}");
        }
    }
    let forwarded = forwarded(&[&b, &c], "answered");
    assert!(forwarded > 0, "calls were forwarded between the hosts");
    let table = ok(b.cli(&["cluster", "status"]));
    assert!(
        table.contains("NODE") && table.contains("8 shards"),
        "{table}"
    );
}

/// The three hosts of a test's cluster, once the shards settled on all of them, with
/// `component` deployed.
fn three_hosts(schema: &Schema, component: &str) -> (Vec<tempfile::TempDir>, Vec<Server>) {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let hosts: Vec<Server> = ["a", "b", "c"]
        .iter()
        .zip(&dirs)
        .map(|(node, dir)| start(dir.path(), &schema.url, node))
        .collect();
    settled(&hosts[0], &["a", "b", "c"]);
    let path = format!("/v1/modules?name={component}");
    let (status, body) = hosts[0].post_bytes(&path, &component_bytes(component));
    assert_eq!(status, 201, "{body}");
    (dirs, hosts)
}

#[test]
fn children_signals_and_close_policies_reach_runs_on_other_hosts() {
    let Some(schema) = Schema::new("cluster_children") else {
        return;
    };
    let (_dirs, hosts) = three_hosts(&schema, "children");
    let start = |host: &Server, workflow_type: &str, id: &str, input: Value| {
        let body = json!({"workflow_type": workflow_type, "id": id, "input": input});
        posted(host, "/v1/executions", &body);
    };
    // Eight of each, so that parents and children, senders and receivers, fall on
    // different hosts (their shards are the FNV hash of their ids).
    for i in 0..8 {
        let host = &hosts[i % 3];
        start(
            host,
            "signal_child_workflow",
            &format!("parent-{i}"),
            json!(null),
        );
        start(host, "signal_receiver", &format!("rx-{i}"), json!(null));
        start(
            host,
            "workflow_to_workflow",
            &format!("tx-{i}"),
            json!(format!("rx-{i}")),
        );
        start(host, "leave_children", &format!("leaver-{i}"), json!(null));
    }
    for i in 0..8 {
        let host = &hosts[(i + 1) % 3];
        let parent = format!("parent-{i}");
        assert_eq!(
            host.result(&parent)["result"],
            json!("child-wf-arg signal-arg")
        );
        let (rx, tx) = (format!("rx-{i}"), format!("tx-{i}"));
        assert_eq!(host.result(&tx)["result"], json!("sent"));
        assert_eq!(
            host.result(&rx)["result"],
            json!(format!("hello from {tx}"))
        );
        let leaver = format!("leaver-{i}");
        assert_eq!(host.result(&leaver)["result"], json!("left"));
        // The parent's close policy reached its child wherever it ran.
        let terminated = format!("{leaver}/child-1");
        assert_eq!(
            host.result(&terminated)["status"],
            "terminated",
            "{terminated}"
        );
        let abandoned = format!("{leaver}/child-2");
        let described = ok(host.cli(&["describe", &abandoned]));
        assert!(described.contains("running"), "{abandoned}: {described}");
        for id in [
            &parent,
            &format!("{parent}/child-1"),
            &rx,
            &tx,
            &leaver,
            &terminated,
        ] {
            host.assert_replays(id, "children");
        }
        let (status, body) = host.post_json(
            &format!("{}/terminate", execution(&abandoned)),
            &json!({"reason": "the test is over"}),
        );
        assert_eq!(status, 200, "{body}");
    }
    // Racing starts of one workflow id through every host at once: one run.
    let racers: Vec<_> = (0..9)
        .map(|i| {
            let url = hosts[i % 3].url.clone();
            std::thread::spawn(move || {
                let body = json!({"workflow_type": "signal_receiver", "id": "race", "input": null});
                support::server::read(
                    support::server::agent()
                        .post(format!("{url}/v1/executions"))
                        .send_json(&body),
                )
                .0
            })
        })
        .collect();
    let mut statuses: Vec<u16> = racers.into_iter().map(|r| r.join().unwrap()).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [201, 409, 409, 409, 409, 409, 409, 409, 409],
        "one start won"
    );
    let (_, listed) = hosts[2].get("/v1/executions?query=WorkflowId%20%3D%20%27race%27");
    let runs = listed["executions"].as_array().map(Vec::len);
    assert_eq!(runs, Some(1), "{listed}");
    let internal = forwarded(&hosts.iter().collect::<Vec<_>>(), "internal");
    assert!(
        internal >= 8,
        "the hosts' own requests crossed to other hosts: {internal}"
    );
}
