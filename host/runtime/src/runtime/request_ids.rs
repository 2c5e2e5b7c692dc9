//! Requests with an id: a start, signal, cancellation or termination that carries a
//! request id is applied at most once per workflow id, so a caller that lost the
//! answer may send it again. A completed update is remembered the same way, so its id
//! stays deduplicated after the run continues as new.
//!
//! | request   | key             | its row is written in                    | a retry answers             |
//! |-----------|-----------------|------------------------------------------|-----------------------------|
//! | start     | `start:<id>`    | the run's first commit (or the signal's, | the run first answered, and |
//! |           |                 | for signal-with-start on an open run)    | whether it was started      |
//! | signal    | `signal:<id>`   | the task that records the signal         | success, nothing delivered  |
//! | cancel    | `cancel:<id>`   | the task that records `cancel-requested` | success, nothing recorded   |
//! | terminate | `terminate:<id>`| the commit that records `terminated`     | success, nothing closed     |
//! | update    | `update:<id>`   | the task that records its completion     | its outcome (completed)     |
//!
//! Duplicates that arrive together are serialized where their requests are: the
//! starts of one key wait for each other ([`KeyLocks`]), and signals, cancellations
//! and terminations of one run are taken in turn by its actor, which looks the key up
//! before it applies one. A request without an id costs nothing of this.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{oneshot, Notify};

use super::execution::IN_PROGRESS;
use super::outbox::Ack;
use super::requests::{closed, Target};
use super::{Host, HostInner, MessageError, RunHandle};
use crate::storage::{StorageError, Write};

/// The longest request id accepted, in bytes.
pub const MAX_REQUEST_ID_BYTES: usize = 128;

/// What a request with an id asks for: each kind has a key namespace of its own, so a
/// signal's request id never meets a start's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    Start,
    Signal,
    Cancel,
    Terminate,
    Update,
}

impl RequestKind {
    fn prefix(self) -> &'static str {
        match self {
            RequestKind::Start => "start",
            RequestKind::Signal => "signal",
            RequestKind::Cancel => "cancel",
            RequestKind::Terminate => "terminate",
            RequestKind::Update => "update",
        }
    }
}

/// A checked request id in its kind's namespace: the key of its row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestKey(String);

impl RequestKey {
    /// The key of request `id` of `kind`, or why the id is refused.
    ///
    /// ```
    /// use weft_runtime::runtime::{RequestKey, RequestKind};
    ///
    /// assert_eq!(RequestKey::new(RequestKind::Signal, "r-1").unwrap().as_str(), "signal:r-1");
    /// assert!(RequestKey::new(RequestKind::Start, "").is_err());
    /// ```
    pub fn new(kind: RequestKind, id: &str) -> Result<RequestKey, String> {
        check_request_id(id)?;
        Ok(RequestKey(format!("{}:{id}", kind.prefix())))
    }

    /// The key of an update id (checked by the update's own rules).
    pub(crate) fn update(update_id: &str) -> RequestKey {
        RequestKey(format!("{}:{update_id}", RequestKind::Update.prefix()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Refuse a request id that is empty, longer than [`MAX_REQUEST_ID_BYTES`] or holds a
/// control character; the message names the field `request_id`.
pub fn check_request_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > MAX_REQUEST_ID_BYTES || id.chars().any(char::is_control) {
        return Err(format!(
            "`request_id` must be 1 to {MAX_REQUEST_ID_BYTES} bytes of printable characters \
             (got {} bytes: {id:?})",
            id.len()
        ));
    }
    Ok(())
}

/// What an applied request did, as its row keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The run it started, reached, or (for an update) completed in.
    pub run_id: String,
    /// A start that started that run (false: an open run took it).
    pub started: bool,
}

/// The row's encoding: postcard of a versioned enum, so a later shape is a new variant.
#[derive(serde::Serialize, serde::Deserialize)]
enum Stored {
    V1 { run_id: String, started: bool },
}

impl Applied {
    /// The write that records this for request `key` of `workflow_id`.
    pub(crate) fn write(&self, workflow_id: &str, key: &RequestKey) -> Write {
        let stored = Stored::V1 {
            run_id: self.run_id.clone(),
            started: self.started,
        };
        Write::PutRequest {
            workflow_id: workflow_id.to_string(),
            key: key.0.clone(),
            record: postcard::to_stdvec(&stored).expect("request records always encode"),
        }
    }
}

impl HostInner {
    /// What request `key` did to `workflow_id`, if it was applied.
    pub(crate) fn applied(
        &self,
        workflow_id: &str,
        key: &RequestKey,
    ) -> Result<Option<Applied>, StorageError> {
        let Some(bytes) = self.storage.request(workflow_id, key.as_str())? else {
            return Ok(None);
        };
        let Stored::V1 { run_id, started } =
            postcard::from_bytes(&bytes).map_err(|source| StorageError::Decode {
                what: format!("request `{}` of `{workflow_id}`", key.as_str()),
                source,
            })?;
        Ok(Some(Applied { run_id, started }))
    }
}

/// Times a duplicate still in progress is sent again before the caller hears so.
const IN_PROGRESS_TRIES: u32 = 8;

impl Host {
    /// Apply a request with an id to the open run of `id` (`send` hands it to the run's
    /// actor with the acknowledgement to answer), or answer it as applied when its key
    /// is recorded for the workflow id (also when the run has closed since). A duplicate
    /// whose first request is still on its way is sent again after a short wait.
    pub(super) async fn keyed(
        &self,
        id: &str,
        key: &RequestKey,
        send: impl Fn(&RunHandle, Ack) -> Result<(), MessageError>,
    ) -> Result<RunHandle, MessageError> {
        let mut delay = Duration::from_millis(10);
        for _ in 0..IN_PROGRESS_TRIES {
            let run = match self.target(id)? {
                Target::Open(run) => run,
                Target::Closed(record) => {
                    return self.applied_or(&record.workflow_id, key, closed(&record))
                }
            };
            let (reply, acked) = oneshot::channel();
            let answer = match send(&run, Ack::new(reply)) {
                Ok(()) => acked.await.unwrap_or_else(|_| Err(self.gone(&run.run_id))),
                Err(e) => Err(e),
            };
            match answer {
                // Applied now, or before (then perhaps to an earlier run of the id): the
                // row names the run either way.
                Ok(()) => return Ok(self.applied_or(&run.workflow_id, key, ()).unwrap_or(run)),
                Err(MessageError::Unavailable(why)) if why == IN_PROGRESS => {
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(e @ MessageError::Closed { .. }) => {
                    match self.applied_or(&run.workflow_id, key, e) {
                        // Asked of a workflow id whose run closed as the request
                        // arrived, followed by the next run: the request is that run's.
                        Err(MessageError::Closed { .. }) if self.followed(id, &run) => {}
                        answer => return answer,
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Err(MessageError::Unavailable(IN_PROGRESS.into()))
    }

    /// The run request `key` was applied to, or `otherwise` when it was not (or the
    /// look-up failed).
    fn applied_or<E>(
        &self,
        workflow_id: &str,
        key: &RequestKey,
        otherwise: E,
    ) -> Result<RunHandle, E> {
        match self.inner.applied(workflow_id, key) {
            Ok(Some(applied)) => Ok(RunHandle {
                workflow_id: workflow_id.to_string(),
                run_id: applied.run_id,
            }),
            Ok(None) => Err(otherwise),
            Err(e) => {
                tracing::warn!(
                    workflow_id,
                    key = key.as_str(),
                    "cannot look up a request id: {e}"
                );
                Err(otherwise)
            }
        }
    }
}

/// Keys held by requests in flight: a second request of a key waits until the first
/// lets go, then finds what it did.
#[derive(Debug, Default)]
pub(crate) struct KeyLocks {
    held: Mutex<HashSet<String>>,
    freed: Notify,
}

/// Holds a key of [`KeyLocks`] until dropped.
pub(crate) struct KeyGuard<'a> {
    locks: &'a KeyLocks,
    key: String,
}

impl KeyLocks {
    /// Take `key`, waiting while another request holds it.
    pub async fn lock(&self, key: String) -> KeyGuard<'_> {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before the look, so a release in between is not missed.
            freed.as_mut().enable();
            if self.held.lock().unwrap().insert(key.clone()) {
                return KeyGuard { locks: self, key };
            }
            freed.await;
        }
    }
}

impl Drop for KeyGuard<'_> {
    fn drop(&mut self) {
        self.locks.held.lock().unwrap().remove(&self.key);
        self.locks.freed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_checked_and_kinds_do_not_collide() {
        let key = |kind, id: &str| RequestKey::new(kind, id).map(|k| k.0);
        assert_eq!(key(RequestKind::Start, "a").unwrap(), "start:a");
        assert_ne!(
            key(RequestKind::Start, "a").unwrap(),
            key(RequestKind::Signal, "a").unwrap()
        );
        assert!(key(RequestKind::Cancel, &"x".repeat(MAX_REQUEST_ID_BYTES)).is_ok());
        for bad in [
            "",
            "a\nb",
            "tab\there",
            &"x".repeat(MAX_REQUEST_ID_BYTES + 1),
        ] {
            let refused = key(RequestKind::Terminate, bad).unwrap_err();
            assert!(refused.contains("`request_id`"), "{refused}");
        }
    }

    #[tokio::test]
    async fn a_held_key_waits_for_its_release() {
        let locks = std::sync::Arc::new(KeyLocks::default());
        let first = locks.lock("k".into()).await;
        let other = locks.lock("other".into()).await;
        let waiting = {
            let locks = locks.clone();
            tokio::spawn(async move {
                let _second = locks.lock("k".into()).await;
            })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(other);
        drop(first);
        waiting.await.unwrap();
    }
}
