//! Child workflows and signals to other runs, from the parent's actor.
//!
//! | the parent                      | the host                                            |
//! |---------------------------------|-----------------------------------------------------|
//! | records `start-child-workflow`  | starts the child (its start names the parent), then |
//! |                                 | delivers `started(run id)`, or `failed` when the id |
//! |                                 | is in use; then watches the child (following its    |
//! |                                 | continue-as-new chain) and delivers how it closed   |
//! | records `cancel-child-workflow` | asks the child to cancel                            |
//! | records `signal-external`       | signals the workflow id (fire and forget; a refusal |
//! |                                 | is logged)                                          |
//! | closes                          | applies each open child's parent close policy:      |
//! |                                 | terminate (default), request-cancel, or abandon     |
//!
//! After a restart the parent takes up its pending children again: a child whose start
//! was delivered is watched; one whose start was not is looked up first (a child of this
//! parent started after the command was recorded is adopted, not started twice).

use super::*;
use crate::history::vocab::{
    ChildResolution, ParentClosePolicy, ResolveChildWorkflow, SignalExternal, StartChildWorkflow,
};
use crate::history::{Failure, PendingChild};
use crate::runtime::{Host, HostInner, StartRequest};
use tokio::sync::watch;

/// A child this actor watches.
pub(crate) struct RunningChild {
    pub workflow_id: String,
    pub policy: ParentClosePolicy,
    pub watcher: AbortHandle,
    /// Turns true once the child's start was answered: a signal or a cancellation the
    /// parent sends it waits for that, so it never reaches the id before the child.
    pub started: watch::Receiver<bool>,
}

impl RunningChild {
    /// Wait until the child's start was answered (or its watcher stopped).
    async fn wait_started(mut started: watch::Receiver<bool>) {
        let _ = started.wait_for(|s| *s).await;
    }
}

impl Execution {
    /// Start (or, `resumed`, take up again) a pending child and watch it.
    pub(super) fn watch_child(&mut self, child: PendingChild, resumed: bool) {
        // The watcher holds the host's state, not a handle on the host: a handle would
        // keep the host up as long as the child runs.
        let inner = self.host.clone();
        let seq = child.start.seq;
        let workflow_id = child.workflow_id();
        let parent = self.record.workflow_id.clone();
        let actor = self.tx.clone();
        let policy = child.policy();
        let watched_id = workflow_id.clone();
        let (started_tx, started) = watch::channel(child.run_id.is_some());
        let task = async move {
            let run_id = match child.run_id.clone() {
                Some(run_id) => run_id,
                None => {
                    let Some(host) = inner.handle() else { return };
                    let started = start_child(&host, &parent, &workflow_id, &child, resumed).await;
                    let _ = started_tx.send(true);
                    match started {
                        Ok(run_id) => {
                            resolve(
                                &inner,
                                &actor,
                                seq,
                                ChildResolution::Started(run_id.clone()),
                            );
                            run_id
                        }
                        Err(failure) => {
                            resolve(&inner, &actor, seq, ChildResolution::Failed(failure));
                            return;
                        }
                    }
                }
            };
            let closed = watch(&inner, &workflow_id, run_id).await;
            resolve(&inner, &actor, seq, closed);
        };
        let watcher = self.host.workflows.spawn(task).abort_handle();
        self.children.insert(
            seq,
            RunningChild {
                workflow_id: watched_id,
                policy,
                watcher,
                started,
            },
        );
    }

    pub(super) fn start_child(&mut self, start: StartChildWorkflow, time_ms: u64) {
        let child = PendingChild {
            start,
            scheduled_ms: time_ms,
            run_id: None,
        };
        self.watch_child(child, false);
    }

    pub(super) fn cancel_child(&mut self, seq: u32) {
        let (Some(child), Some(host)) = (self.children.get(&seq), self.host.handle()) else {
            return;
        };
        let id = child.workflow_id.clone();
        let started = child.started.clone();
        self.host.workflows.spawn(async move {
            RunningChild::wait_started(started).await;
            if let Err(e) = host.cancel(&id, "cancelled by its parent").await {
                tracing::warn!(child = %id, "cannot cancel the child: {e}");
            }
        });
    }

    pub(super) fn signal_external(&mut self, signal: SignalExternal) {
        let Some(host) = self.host.handle() else {
            return;
        };
        let from = self.record.workflow_id.clone();
        // To one of this run's children: after its start (the parent may signal a child
        // in the task that starts it).
        let started = self
            .children
            .values()
            .find(|c| c.workflow_id == signal.workflow_id)
            .map(|c| c.started.clone());
        self.host.workflows.spawn(async move {
            if let Some(started) = started {
                RunningChild::wait_started(started).await;
            }
            let SignalExternal {
                workflow_id,
                name,
                input,
                ..
            } = signal;
            if let Err(e) = host.signal(&workflow_id, &name, input).await {
                tracing::warn!(from = %from, to = %workflow_id, signal = %name, "signal not delivered: {e}");
            }
        });
    }

    /// The parent closed: apply each open child's parent close policy.
    pub(super) fn apply_parent_close_policies(&mut self) {
        let host = self.host.handle();
        for (_, child) in self.children.drain() {
            child.watcher.abort();
            let Some(host) = host.clone() else { continue };
            let id = child.workflow_id;
            let reason = format!("its parent `{}` closed", self.record.workflow_id);
            match child.policy {
                ParentClosePolicy::Abandon => {}
                ParentClosePolicy::Terminate => {
                    self.host.workflows.spawn(async move {
                        let _ = host.terminate(&id, &reason).await;
                    });
                }
                ParentClosePolicy::RequestCancel => {
                    self.host.workflows.spawn(async move {
                        let _ = host.cancel(&id, &reason).await;
                    });
                }
            }
        }
    }
}

/// Start the child; or, `resumed`, adopt it when a run of its id was already started by
/// this parent (the host restarted before the start reached the parent).
async fn start_child(
    host: &Host,
    parent: &str,
    workflow_id: &str,
    child: &PendingChild,
    resumed: bool,
) -> Result<String, Failure> {
    let existing = match resumed {
        true => host.inner.storage.latest_run(workflow_id),
        false => Ok(None),
    };
    if let Ok(Some(existing)) = existing {
        let ours = existing.start_ms >= child.scheduled_ms
            && host
                .inner
                .read_history(&existing)
                .ok()
                .and_then(|h| h.parent_workflow_id())
                .is_some_and(|p| p == parent);
        if ours {
            return Ok(existing.run_id);
        }
    }
    let request = StartRequest {
        workflow_id: Some(workflow_id.to_string()),
        parent_workflow_id: Some(parent.to_string()),
        ..StartRequest::new(child.start.workflow_type.clone(), child.start.input.clone())
    };
    host.start(request)
        .await
        .map(|run| run.run_id)
        .map_err(|e| {
            let error_type = match &e {
                crate::runtime::StartError::AlreadyRunning(_) => "ChildWorkflowAlreadyStarted",
                _ => "ChildWorkflowStartFailed",
            };
            Failure::new(
                format!("child workflow `{workflow_id}` did not start: {e}"),
                error_type,
            )
            .non_retryable()
        })
}

/// Wait for the child to close, following its continue-as-new chain.
async fn watch(host: &Arc<HostInner>, workflow_id: &str, mut run_id: String) -> ChildResolution {
    loop {
        let outcome = match host.wait(&run_id).await {
            Ok(outcome) => outcome,
            Err(e) => {
                return ChildResolution::Failed(Failure::new(
                    format!("child workflow `{workflow_id}` cannot be watched: {e}"),
                    "ChildWorkflowLost",
                ))
            }
        };
        match outcome {
            Outcome::Completed(result) => return ChildResolution::Completed(result),
            Outcome::Failed(failure) => return ChildResolution::Failed(failure),
            Outcome::Cancelled => {
                return ChildResolution::Cancelled(Failure::new(
                    format!("child workflow `{workflow_id}` was cancelled"),
                    "weft.Cancelled",
                ))
            }
            Outcome::Terminated(reason) => {
                return ChildResolution::Terminated(Failure::new(
                    format!("child workflow `{workflow_id}` was terminated: {reason}"),
                    "weft.Terminated",
                ))
            }
            Outcome::TimedOut(reason) => {
                return ChildResolution::Failed(Failure::new(
                    format!("child workflow `{workflow_id}` timed out: {reason}"),
                    "weft.TimedOut",
                ))
            }
            Outcome::ContinuedAsNew => match host.storage.latest_run(workflow_id) {
                Ok(Some(next)) if next.run_id != run_id => run_id = next.run_id,
                _ => {
                    return ChildResolution::Failed(Failure::new(
                        format!("child workflow `{workflow_id}` continued as new, but its next run is missing"),
                        "ChildWorkflowLost",
                    ))
                }
            },
        }
    }
}

fn resolve(
    host: &HostInner,
    actor: &UnboundedSender<Message>,
    seq: u32,
    resolution: ChildResolution,
) {
    let job = Job::ResolveChildWorkflow(ResolveChildWorkflow { seq, resolution });
    let _ = actor.send(Message::Resolve(job, host.clock.busy()));
}
