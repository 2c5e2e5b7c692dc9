//! A host on a disk that fails: after the first I/O error the host stops (fail-stop),
//! the request that met it hears "outcome unknown", later requests are refused, and a
//! restart on a healthy disk resumes from what is durable.

use crate::support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use support::*;
use weft_host::api::{HostFailed, Security};
use weft_host::contract::Payload;
use weft_host::runtime::{Host, HostConfig, MessageError, StartError, StartRequest};
use weft_host::storage::{
    durable, DiskSwitch, FailingBackend, RedbStorage, Storage, StorageError, Write,
};

fn hello(id: &str) -> StartRequest {
    StartRequest {
        workflow_id: Some(id.into()),
        ..StartRequest::new("hello", Payload::json(&json!("disk")))
    }
}

/// A host on the database at `path` over a disk that fails when told, with
/// `component` deployed under its own name.
async fn host_on_failing_disk(path: &Path, component: &str) -> (Host, DiskSwitch) {
    let (backend, disk) = FailingBackend::open(path).unwrap();
    let storage = Arc::new(RedbStorage::with_backend(backend).unwrap());
    let host = Host::open_with_storage(HostConfig::in_memory(), storage, activities())
        .await
        .unwrap();
    host.deploy(component_bytes(component), component, false)
        .await
        .unwrap();
    (host, disk)
}

/// A host on the file's database, reopened on a healthy disk once the failed host has
/// let go of it.
async fn reopen_host(path: &Path) -> Host {
    let storage = Arc::new(reopen(path).await);
    Host::open_with_storage(HostConfig::in_memory(), storage, activities())
        .await
        .unwrap()
}

/// The file's database, reopened once the failed host has let go of it.
async fn reopen(path: &Path) -> RedbStorage {
    for _ in 0..100 {
        match RedbStorage::open(path) {
            Ok(storage) => return storage,
            Err(StorageError::Open { .. }) => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(e) => panic!("reopening: {e}"),
        }
    }
    panic!("the failed host never let go of the database file");
}

#[tokio::test]
async fn the_host_stops_at_the_first_io_error_and_a_restart_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weft.redb");
    let (host, disk) = host_on_failing_disk(&path, "hello").await;
    let before = host.start(hello("before")).await.unwrap();
    host.wait(&before.run_id).await.unwrap();
    assert_eq!(host.failure(), None);

    disk.fail();
    let unknown = host.start(hello("during")).await.unwrap_err();
    assert!(
        matches!(unknown, StartError::OutcomeUnknown(_)),
        "{unknown:?}"
    );
    assert!(unknown.to_string().contains("outcome unknown"), "{unknown}");
    let failure = host.failure().expect("the host has failed");
    assert!(failure.contains("injected disk failure"), "{failure}");
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(5), host.failed())
            .await
            .unwrap(),
        failure
    );

    // Every later request is refused at once, with what to do about it.
    let refused = host.start(hello("after")).await.unwrap_err();
    assert!(matches!(refused, StartError::Stopped(_)), "{refused:?}");
    assert!(refused.to_string().contains("restart it"), "{refused}");
    let refused = host
        .signal("before", "ping", Payload::json(&json!(1)))
        .await
        .unwrap_err();
    assert!(matches!(refused, MessageError::Stopped(_)), "{refused:?}");
    let refused = host
        .deploy(component_bytes("hello"), "hello", false)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("restart it"), "{refused}");
    drop(host);

    // A restart on a healthy disk resumes from what is durable.
    let host = reopen_host(&path).await;
    assert_eq!(host.failure(), None);
    let run = host.find_run("before").unwrap();
    let outcome = host.outcome(&run).unwrap().expect("its outcome is durable");
    assert_eq!(completed(&outcome), json!("Hello, disk!"));
    // "during" may or may not have been written; if it was, it runs to its end.
    if let Ok(run) = host.find_run("during") {
        let outcome = host.wait(&run.run_id).await.unwrap();
        assert_eq!(completed(&outcome), json!("Hello, disk!"));
    }
    let after = host.start(hello("after")).await.unwrap();
    let outcome = host.wait(&after.run_id).await.unwrap();
    assert_eq!(completed(&outcome), json!("Hello, disk!"));
}

#[tokio::test]
async fn the_server_stops_with_the_host_failure() {
    let dir = tempfile::tempdir().unwrap();
    let (backend, disk) = FailingBackend::open(&dir.path().join("weft.redb")).unwrap();
    let storage = Arc::new(RedbStorage::with_backend(backend).unwrap());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let server = tokio::spawn(weft_host::api::serve(
        HostConfig::in_memory(),
        Some(storage.clone()),
        Arc::new(weft_host::api::cluster::SingleHost::new("test")),
        port,
        Duration::from_secs(1),
        activities(),
        Security::default(),
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!server.is_finished(), "the server runs on a healthy disk");

    disk.fail();
    let error = durable(storage.commit(vec![Write::DeleteResting("none".into())]))
        .await
        .unwrap_err();
    assert!(error.is_fatal(), "{error}");
    let served = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops soon after the failure")
        .unwrap();
    let error = served.unwrap_err();
    let failed = error
        .downcast_ref::<HostFailed>()
        .expect("a HostFailed error");
    assert!(failed.to_string().contains("restart it"), "{failed}");
}

#[tokio::test]
async fn a_signal_whose_commit_fails_is_answered_outcome_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weft.redb");
    let (host, disk) = host_on_failing_disk(&path, "entity").await;
    host.start(StartRequest {
        workflow_id: Some("acct".into()),
        ..StartRequest::new("entity", Payload::json(&json!({"balance": 100})))
    })
    .await
    .unwrap();
    let deposit = |amount: i64| Payload::json(&json!({ "amount": amount }));
    host.signal("acct", "deposit", deposit(50)).await.unwrap();

    disk.fail();
    let unknown = host
        .signal("acct", "deposit", deposit(10))
        .await
        .unwrap_err();
    assert!(
        matches!(unknown, MessageError::OutcomeUnknown(_)),
        "{unknown:?}"
    );
    assert!(host.failure().is_some());
    let refused = host
        .query("acct", "balance", Payload::json(&json!(null)))
        .await
        .unwrap_err();
    assert!(matches!(refused, MessageError::Stopped(_)), "{refused:?}");
    drop(host);

    // After the restart the run goes on from what is durable: the first deposit for
    // sure, the second perhaps.
    let host = reopen_host(&path).await;
    host.signal("acct", "deposit", deposit(1)).await.unwrap();
    let balance = host
        .query("acct", "balance", Payload::json(&json!(null)))
        .await
        .unwrap();
    let balance = balance.to_json();
    assert!(balance == json!(151) || balance == json!(161), "{balance}");
}
