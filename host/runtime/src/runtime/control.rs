//! Cancelling and terminating executions, and telling running activities that the
//! host shuts down.

use std::time::Duration;

use tokio::sync::oneshot;

use super::messages::MessageError;
use super::outbox::Ack;
use super::remote::RemoteMessage;
use super::request_ids::{RequestKey, RequestKind};
use super::{Host, Message, RunHandle};
use crate::history::vocab::ParentClosePolicy;

/// What a request to stop an execution asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StopKind {
    Cancel,
    Terminate,
}

impl Host {
    /// Ask the open run of `id` (a workflow id or a run id) to cancel. The request is
    /// recorded and delivered to the workflow, which cancels what it waits for and
    /// decides how to end; returns once the request is durable. Asking twice is the
    /// same as asking once.
    pub async fn cancel(&self, id: &str, reason: &str) -> Result<RunHandle, MessageError> {
        self.stop(id, reason, StopKind::Cancel, None).await
    }

    /// [`Host::cancel`] with a request id: asked again with the same `request_id`, it
    /// answers as the first did, even once the run has closed (see `request_ids`).
    pub async fn cancel_with_request(
        &self,
        id: &str,
        reason: &str,
        request_id: Option<&str>,
    ) -> Result<RunHandle, MessageError> {
        self.stop(id, reason, StopKind::Cancel, request_id).await
    }

    /// [`Host::terminate`] with a request id: asked again with the same `request_id`,
    /// it answers as the first did and terminates nothing (not a later run of the id).
    pub async fn terminate_with_request(
        &self,
        id: &str,
        reason: &str,
        request_id: Option<&str>,
    ) -> Result<RunHandle, MessageError> {
        self.stop(id, reason, StopKind::Terminate, request_id).await
    }

    /// Close the open run of `id` at once as terminated, with `reason`: no workflow code
    /// runs, its running activities are stopped. Returns once the run is closed.
    pub async fn terminate(&self, id: &str, reason: &str) -> Result<RunHandle, MessageError> {
        self.stop(id, reason, StopKind::Terminate, None).await
    }

    async fn stop(
        &self,
        id: &str,
        reason: &str,
        kind: StopKind,
        request_id: Option<&str>,
    ) -> Result<RunHandle, MessageError> {
        let here = self.stop_here(id, reason, kind, request_id).await;
        if !self.inner.placement.is_partial() {
            return here;
        }
        let message = RemoteMessage::Stop {
            reason: reason.to_string(),
            terminate: kind == StopKind::Terminate,
            request_id: request_id.map(str::to_string),
        };
        self.or_elsewhere(here, message).await
    }

    /// [`Host::cancel_with_request`] or [`Host::terminate_with_request`] on this host
    /// only.
    pub(super) async fn stop_here(
        &self,
        id: &str,
        reason: &str,
        kind: StopKind,
        request_id: Option<&str>,
    ) -> Result<RunHandle, MessageError> {
        let terminate = kind == StopKind::Terminate;
        let run = match request_id {
            None => loop {
                let (reply, acked) = oneshot::channel();
                let run = self.stop_acked(id, reason, terminate, Ack::new(reply))?;
                match acked.await.unwrap_or_else(|_| Err(self.gone(&run.run_id))) {
                    Ok(()) => break run,
                    // Asked of a workflow id, whose run closed as the request arrived
                    // and was followed by the next run of the execution (a cron
                    // chain's, a continue-as-new's): the request is that run's.
                    Err(MessageError::Closed { .. }) if self.followed(id, &run) => continue,
                    Err(e) => return Err(e),
                }
            },
            Some(request_id) => {
                let kind = match kind {
                    StopKind::Cancel => RequestKind::Cancel,
                    StopKind::Terminate => RequestKind::Terminate,
                };
                let key = RequestKey::new(kind, request_id).map_err(MessageError::Invalid)?;
                self.keyed(id, &key, |run, ack| {
                    self.send_stop(run, reason, terminate, ack, Some(key.clone()))
                })
                .await?
            }
        };
        if terminate {
            // Acknowledged before the actor let go of the run: wait for it, so the
            // caller's next look at the run sees it closed.
            let _ = self.wait(&run.run_id).await;
        }
        Ok(run)
    }

    /// Whether `id` names a workflow id (not the run id of `run`) whose open run is now
    /// another than `run`.
    pub(super) fn followed(&self, id: &str, run: &RunHandle) -> bool {
        id != run.run_id
            && self
                .open_target(id)
                .is_ok_and(|next| next.run_id != run.run_id)
    }

    /// Ask the open run of `id` to cancel, or terminate it; `ack` is answered once the
    /// request is durable.
    pub(super) fn stop_acked(
        &self,
        id: &str,
        reason: &str,
        terminate: bool,
        ack: Ack,
    ) -> Result<RunHandle, MessageError> {
        let run = self.open_target(id)?;
        self.send_stop(&run, reason, terminate, ack, None)?;
        Ok(run)
    }

    fn send_stop(
        &self,
        run: &RunHandle,
        reason: &str,
        terminate: bool,
        ack: Ack,
        request: Option<RequestKey>,
    ) -> Result<(), MessageError> {
        let reason = reason.to_string();
        let busy = self.inner.clock.busy();
        let message = match terminate {
            false => Message::CancelRequest {
                reason,
                ack,
                request,
                busy,
            },
            true => Message::Terminate {
                reason,
                ack,
                request,
                busy,
            },
        };
        if !self.inner.send(&run.run_id, message) {
            return Err(self.gone(&run.run_id));
        }
        Ok(())
    }

    /// Apply the parent close policy of every open child (`(child id, parent id)`)
    /// whose parent closed while the host was down, before it could apply it.
    pub(super) fn apply_orphaned_policies(&self, children: Vec<(String, String)>) {
        for (child, parent) in children {
            let Ok(Some(parent_run)) = self.inner.storage.latest_run(&parent) else {
                continue;
            };
            if parent_run.status.is_open() {
                continue;
            }
            let Ok(history) = self.inner.read_history(&parent_run) else {
                continue;
            };
            let Some(pending) = history
                .pending_children()
                .into_iter()
                .find(|c| c.workflow_id() == child)
            else {
                continue;
            };
            let policy = pending.policy();
            tracing::info!(%child, %parent, ?policy, "applying the closed parent's policy");
            self.apply_close_policy(child, &parent, policy);
        }
    }

    /// Apply to `child` the close policy of its parent `parent`, which closed: terminate
    /// it, ask it to cancel, or leave it be.
    pub(crate) fn apply_close_policy(
        &self,
        child: String,
        parent: &str,
        policy: ParentClosePolicy,
    ) {
        if policy == ParentClosePolicy::Abandon {
            return;
        }
        let host = self.clone();
        let reason = format!("its parent `{parent}` closed");
        self.inner.workflows.spawn(async move {
            let _ = match policy {
                ParentClosePolicy::Terminate => host.terminate(&child, &reason).await,
                ParentClosePolicy::RequestCancel => host.cancel(&child, &reason).await,
                ParentClosePolicy::Abandon => return,
            };
        });
    }

    /// Begin a graceful shutdown: every running activity learns of it through its
    /// context ([`ActivityContext::is_shutting_down`](crate::ActivityContext)), and
    /// the host waits up to `grace` for the ones running to end and their outcomes to
    /// be recorded. What has not ended by then is run again by the next host.
    pub async fn shutdown_activities(&self, grace: Duration) {
        self.inner.shutdown.send_replace(true);
        let deadline = tokio::time::Instant::now() + grace;
        // Each running activity holds a receiver until it has reported its outcome.
        while self.inner.shutdown.receiver_count() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Then every actor records what it received.
        let actors: Vec<_> = self
            .inner
            .actors
            .lock()
            .unwrap()
            .values()
            .cloned()
            .collect();
        let mut flushed = Vec::new();
        for actor in actors {
            let (tx, rx) = oneshot::channel();
            if actor.send(Message::Flush(tx)).is_ok() {
                flushed.push(rx);
            }
        }
        let _ = tokio::time::timeout_at(deadline, futures::future::join_all(flushed)).await;
    }
}
