//! The applied requests ([`Write::PutRequest`], [`Storage::request`]): keyed by workflow
//! id and request key, the first record of a key stays, within a commit and across
//! commits, and they survive reopening.

use super::{commit, Backend};
use crate::storage::Write;

fn put(workflow_id: &str, key: &str, record: &[u8]) -> Write {
    Write::PutRequest {
        workflow_id: workflow_id.into(),
        key: key.into(),
        record: record.to_vec(),
    }
}

/// A request's record reads back by (workflow id, key), after reopening too; the same
/// key of another workflow id, or another key, is another request.
pub fn requests_read_back_by_workflow_id_and_key(b: &Backend<'_>) {
    {
        let storage = b.open();
        assert_eq!(storage.request("wf-1", "start:a").unwrap(), None);
        commit(
            &*storage,
            vec![
                put("wf-1", "start:a", b"run-1"),
                put("wf-2", "start:a", b"run-2"),
                put("wf-1", "signal:a", b"run-1 signalled"),
            ],
        )
        .unwrap();
    }
    let storage = b.open();
    let read = |wf: &str, key: &str| storage.request(wf, key).unwrap();
    assert_eq!(read("wf-1", "start:a").as_deref(), Some(&b"run-1"[..]));
    assert_eq!(read("wf-2", "start:a").as_deref(), Some(&b"run-2"[..]));
    assert_eq!(
        read("wf-1", "signal:a").as_deref(),
        Some(&b"run-1 signalled"[..])
    );
    assert_eq!(read("wf-1", "start:b"), None);
    assert_eq!(read("wf-3", "start:a"), None);
    // Keys are compared whole: a prefix is another key.
    assert_eq!(read("wf-1", "start:"), None);
    assert_eq!(read("wf", "start:a"), None);
}

/// The first record of a request stays: a later write of the key, in the same commit
/// or a later one, changes nothing.
pub fn the_first_record_of_a_request_stays(b: &Backend<'_>) {
    let storage = b.open();
    commit(
        &*storage,
        vec![put("wf-1", "k", b"first"), put("wf-1", "k", b"second")],
    )
    .unwrap();
    commit(&*storage, vec![put("wf-1", "k", b"third")]).unwrap();
    assert_eq!(
        storage.request("wf-1", "k").unwrap().as_deref(),
        Some(&b"first"[..])
    );
}
