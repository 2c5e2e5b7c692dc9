//! Hosts on one database as a cluster: who takes the shards, who is fenced, and how the
//! shards move when a host joins or leaves.

mod common;

use std::time::Duration;

use common::TestSchema;
use weft_postgres::cluster::{ClusterConfig, Membership};
use weft_postgres::{OpenError, PgStorage};
use weft_runtime::storage::conformance::{commit, run};
use weft_runtime::storage::{Status, Storage, StorageError, Write};

/// The schema's URL: the test database's, with the schema on the search path.
fn url_of(schema: &TestSchema) -> String {
    let sep = if schema.url.contains('?') { '&' } else { '?' };
    format!(
        "{}{sep}options=-c%20search_path%3D{}",
        schema.url, schema.name
    )
}

/// Quick leases, so a test sees several renewals in a fraction of a second.
fn node(id: &str) -> ClusterConfig {
    ClusterConfig {
        shards: Some(8),
        lease: Duration::from_secs(3),
        heartbeat: Duration::from_millis(50),
        margin: Duration::from_secs(1),
        ..ClusterConfig::new(id, format!("http://{id}.invalid"))
    }
}

/// A storage on the schema that joined its cluster as node `id`.
fn joined(schema: &TestSchema, id: &str) -> (PgStorage, Membership) {
    let storage = PgStorage::open(&url_of(schema)).unwrap();
    let membership = storage.join(node(id)).unwrap();
    (storage, membership)
}

/// Wait (bounded) until `membership` holds every shard.
fn until_active(membership: &Membership) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(async {
            tokio::time::timeout(Duration::from_secs(20), membership.active()).await
        })
        .expect("the host became active within 20 s")
        .expect("the host kept its leases");
}

/// Wait (bounded) until `holds` says yes of the shards `membership` holds.
fn until_holding(membership: &Membership, holds: impl Fn(&[u32]) -> bool) -> Vec<u32> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let held = membership.held();
        if holds(&held) {
            return held;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} holds {held:?}",
            membership.node_id()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The first of the test runs (see [`step`]) whose workflow falls in one of `shards`.
fn run_in(shards: &[u32]) -> usize {
    (1..)
        .find(|&i| {
            let workflow_id = run(i, "t", 0, Status::Running).workflow_id;
            shards.contains(&weft_postgres::cluster::shard_of(&workflow_id, 8))
        })
        .unwrap()
}

/// A batch of one run's step, fenced by its workflow id.
fn step(id: usize) -> Vec<Write> {
    let record = run(id, "t", id as u64, Status::Running);
    vec![
        Write::Fence {
            workflow_id: record.workflow_id.clone(),
        },
        Write::PutRun(record),
    ]
}

fn fence_lost(result: Result<(), std::sync::Arc<StorageError>>) -> bool {
    matches!(
        result.as_ref().map_err(|e| &**e),
        Err(StorageError::FenceLost { .. })
    )
}

#[test]
fn a_joining_host_takes_its_share_of_the_shards_from_the_first() {
    let Some(schema) = TestSchema::new("cluster_first") else {
        return;
    };
    let (a, a_member) = joined(&schema, "a");
    until_active(&a_member);
    let (b, b_member) = joined(&schema, "b");
    let b_held = until_holding(&b_member, |h| !h.is_empty());
    let a_held = until_holding(&a_member, |h| h.len() + b_held.len() == 8);
    assert!(!a_held.is_empty() && a_held.iter().all(|s| !b_held.contains(s)));

    let (on_a, on_b) = (run_in(&a_held), run_in(&b_held));
    commit(&a, step(on_a)).expect("a commits for its shards");
    commit(&b, step(on_b)).expect("b commits for its shards");
    assert!(
        fence_lost(commit(&b, step(on_a))),
        "b commits nothing for a's shards"
    );
    assert!(
        fence_lost(commit(&a, step(on_b))),
        "a released b's shards and commits nothing for them"
    );
    commit(&b, vec![Write::PutRun(run(9999, "t", 3, Status::Running))])
        .expect("an unfenced batch is not a run's step and commits");
    assert!(
        a.failure().is_none() && b.failure().is_none(),
        "a release is not a loss"
    );

    let status = a.cluster_status(Duration::from_millis(50)).unwrap();
    assert_eq!(status.shard_count, 8);
    let shards: Vec<(&str, u32, bool)> = status
        .nodes
        .iter()
        .map(|n| (n.node_id.as_str(), n.shards, n.alive))
        .collect();
    assert_eq!(
        shards,
        [
            ("a", a_held.len() as u32, true),
            ("b", b_held.len() as u32, true)
        ]
    );
    assert_eq!(status.nodes[0].address, "http://a.invalid");
}

#[test]
fn a_restart_under_the_same_node_id_fences_the_old_process() {
    let Some(schema) = TestSchema::new("cluster_restart") else {
        return;
    };
    let (old, old_member) = joined(&schema, "a");
    until_active(&old_member);
    commit(&old, step(1)).unwrap();

    // The old process has not noticed anything yet: its own trust window is open.
    let (new, new_member) = joined(&schema, "a");
    until_active(&new_member);
    assert!(
        fence_lost(commit(&old, step(2))),
        "the old process is fenced"
    );
    assert!(
        old.run("run-0002").unwrap().is_none(),
        "nothing of it was written"
    );
    let failure = old
        .failure()
        .expect("the old process knows it lost its leases");
    assert!(failure.contains("losing its shard leases"), "{failure}");
    assert!(old_member.lost().is_some());

    commit(&new, step(2)).expect("the new process commits");
    let status = new.cluster_status(Duration::from_millis(50)).unwrap();
    assert_eq!(status.nodes.len(), 1);
    assert_eq!((status.nodes[0].shards, status.nodes[0].epoch), (8, 2));
}

#[test]
fn the_others_take_over_the_shards_a_leaving_host_releases() {
    let Some(schema) = TestSchema::new("cluster_release") else {
        return;
    };
    let (a, a_member) = joined(&schema, "a");
    until_active(&a_member);
    let (b, b_member) = joined(&schema, "b");
    let b_held = until_holding(&b_member, |h| !h.is_empty());
    let a_held = until_holding(&a_member, |h| h.len() + b_held.len() == 8);
    let on_a = run_in(&a_held);
    commit(&a, step(on_a)).unwrap();

    a_member.leave();
    until_active(&b_member);
    commit(&b, step(on_a)).expect("b commits for the shards a left");
    assert!(
        fence_lost(commit(&a, step(on_a))),
        "the host that left is fenced"
    );
    let status = b.cluster_status(Duration::from_millis(50)).unwrap();
    let b_status = status.nodes.iter().find(|n| n.node_id == "b").unwrap();
    assert_eq!(b_status.shards, 8);
}

#[test]
fn the_shard_count_is_fixed_when_the_cluster_is_created() {
    let Some(schema) = TestSchema::new("cluster_shards") else {
        return;
    };
    let (_a, _a_member) = joined(&schema, "a");
    let b = PgStorage::open(&url_of(&schema)).unwrap();
    let error = b
        .join(ClusterConfig {
            shards: Some(16),
            ..node("b")
        })
        .err()
        .expect("another shard count is refused");
    assert!(matches!(error, OpenError::Cluster(_)));
    assert!(error.to_string().contains("has 8 shards"), "{error}");
    b.join(ClusterConfig {
        shards: None,
        ..node("b")
    })
    .expect("joining without --shards takes the cluster's count");
}
