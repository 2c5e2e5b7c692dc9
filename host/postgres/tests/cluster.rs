//! Hosts on one database as a cluster: who takes the shards, who is fenced, and how a
//! standby takes over.

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
fn the_first_host_takes_every_shard_and_a_standby_none() {
    let Some(schema) = TestSchema::new("cluster_first") else {
        return;
    };
    let (a, a_member) = joined(&schema, "a");
    until_active(&a_member);
    let (b, b_member) = joined(&schema, "b");
    std::thread::sleep(Duration::from_millis(300));
    assert!(!b_member.is_active());

    commit(&a, step(1)).expect("the holder commits");
    assert!(
        fence_lost(commit(&b, step(2))),
        "a standby commits nothing fenced"
    );
    commit(&b, vec![Write::PutRun(run(3, "t", 3, Status::Running))])
        .expect("an unfenced batch is not a run's step and commits");
    assert!(a.run("run-0002").unwrap().is_none());
    assert!(a.failure().is_none() && b.failure().is_none());

    let status = a.cluster_status(Duration::from_millis(50)).unwrap();
    assert_eq!(status.shard_count, 8);
    let shards: Vec<(&str, u32, bool)> = status
        .nodes
        .iter()
        .map(|n| (n.node_id.as_str(), n.shards, n.alive))
        .collect();
    assert_eq!(shards, [("a", 8, true), ("b", 0, true)]);
    assert_eq!(status.nodes[0].address, "http://a.invalid");
    assert_eq!(status.nodes[0].epoch, 1);
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
fn a_standby_takes_over_the_shards_a_host_releases() {
    let Some(schema) = TestSchema::new("cluster_release") else {
        return;
    };
    let (a, a_member) = joined(&schema, "a");
    until_active(&a_member);
    let (b, b_member) = joined(&schema, "b");
    commit(&a, step(1)).unwrap();

    a_member.leave();
    until_active(&b_member);
    commit(&b, step(2)).expect("the new holder commits");
    assert!(
        fence_lost(commit(&a, step(3))),
        "the host that left is fenced"
    );
    let status = b.cluster_status(Duration::from_millis(50)).unwrap();
    let b_status = status.nodes.iter().find(|n| n.node_id == "b").unwrap();
    assert_eq!((b_status.shards, b_status.epoch), (8, 2));
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
