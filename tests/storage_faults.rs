//! A host on a storage that refuses commits: what failed leaves no trace, and the host
//! carries on once the storage works again.

use crate::support;

use std::sync::Arc;

use serde_json::json;
use support::*;
use weft_host::contract::Payload;
use weft_host::runtime::{Host, HostConfig, StartError, StartRequest};
use weft_host::storage::{FaultyStorage, RedbStorage, RunFilter, Storage};

fn hello(id: &str) -> StartRequest {
    StartRequest {
        workflow_id: Some(id.into()),
        ..StartRequest::new("hello", Payload::json(&json!("disk")))
    }
}

#[tokio::test]
async fn a_refused_start_leaves_nothing_and_the_next_one_runs() {
    let dir = tempfile::tempdir().unwrap();
    let redb = RedbStorage::open(&dir.path().join("weft.redb")).unwrap();
    let storage = Arc::new(FaultyStorage::new(Arc::new(redb)));
    let host = Host::open_with_storage(HostConfig::in_memory(), storage.clone(), activities())
        .await
        .unwrap();
    host.deploy(component_bytes("hello"), "hello", false)
        .await
        .unwrap();

    storage.fail_commits(1);
    let refused = host.start(hello("faulty-1")).await.unwrap_err();
    assert!(matches!(refused, StartError::Storage(_)), "{refused:?}");
    assert!(refused.to_string().contains("injected fault"), "{refused}");
    assert_eq!(storage.refused_commits(), 1);
    assert!(storage
        .list_runs(&RunFilter::default(), 10)
        .unwrap()
        .is_empty());

    // The id is free again, and the outcome of the run that closes is stored.
    let handle = host.start(hello("faulty-1")).await.unwrap();
    let outcome = host.wait(&handle.run_id).await.unwrap();
    assert_eq!(completed(&outcome), json!("Hello, disk!"));
    let run = host.find_run("faulty-1").unwrap();
    assert_eq!(host.outcome(&run).unwrap(), Some(outcome));
    assert!(storage.outcome(&handle.run_id).unwrap().is_some());
}
