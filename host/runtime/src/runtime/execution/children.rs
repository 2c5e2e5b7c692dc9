//! Child workflows and signals to other runs, from the parent's actor.
//!
//! | the parent                      | the host                                            |
//! |---------------------------------|-----------------------------------------------------|
//! | records `start-child-workflow`  | starts the child (its start names the parent), then |
//! |                                 | delivers `started(run id)`, or `failed` when the id |
//! |                                 | is in use; then watches the child (following its    |
//! |                                 | continue-as-new chain) and delivers how it closed   |
//! | records `cancel-child-workflow` | asks the child to cancel, after its start           |
//! | records `signal-external`       | signals the workflow id (a refusal is logged)       |
//! | closes                          | applies each open child's parent close policy:      |
//! |                                 | terminate (default), request-cancel, or abandon     |
//!
//! The last three are effects on other runs: outbox rows written with the commit that
//! records them, carried out exactly once and in order (see `runtime::outbox`).
//!
//! After a restart the parent takes up its pending children again: a child whose start
//! was delivered is watched; one whose start was not is looked up first (a child of this
//! parent started after the command was recorded is adopted, not started twice).

use super::*;
use crate::flow::Turn;
use crate::history::vocab::{
    ChildResolution, ParentClosePolicy, ResolveChildWorkflow, StartChildWorkflow,
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

impl Execution {
    /// Start (or, `resumed`, take up again) a pending child and watch it.
    pub(super) fn watch_child(&mut self, child: PendingChild, resumed: bool) {
        // The watcher holds the host's state, not a handle on the host: a handle would
        // keep the host up as long as the child runs.
        let inner = self.host.clone();
        let seq = child.start.seq;
        let workflow_id = child.workflow_id();
        let parent = self.record.workflow_id.clone();
        // A child runs at its parent's priority and fairness, unless it set its own.
        let turn = Turn::of_run(&self.state).with(&child.flow);
        let actor = self.tx.clone();
        let policy = child.policy();
        let watched_id = workflow_id.clone();
        let (started_tx, started) = watch::channel(child.run_id.is_some());
        let task = async move {
            let run_id = match child.run_id.clone() {
                Some(run_id) => run_id,
                None => {
                    let Some(host) = inner.handle() else { return };
                    let started =
                        start_child(&host, &parent, &workflow_id, &child, resumed, turn).await;
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
            let closed = super::child_watch::watch(&inner, &parent, &child, run_id).await;
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
        let options = self
            .aside
            .child_options
            .remove(&start.seq)
            .unwrap_or_default();
        let flow = self
            .aside
            .child_flows
            .remove(&start.seq)
            .unwrap_or_default();
        let child = PendingChild {
            start,
            scheduled_ms: time_ms,
            run_id: None,
            options,
            flow,
        };
        self.watch_child(child, false);
    }
}

/// The start of attempt `attempt` of `child` (`execution_timeout`: what is left of the
/// execution timeout, for a later attempt), at `turn` (its own, else its parent's).
///
/// A child another host of the cluster serves is started there under a request id made
/// of its parent, its place and the attempt, so a start sent again after a lost reply
/// starts it once.
pub(super) fn child_request(
    host: &HostInner,
    parent: &str,
    child: &PendingChild,
    attempt: u32,
    execution_timeout: Option<std::time::Duration>,
    turn: Turn,
) -> StartRequest {
    let ms = std::time::Duration::from_millis;
    let workflow_id = child.workflow_id();
    let request_id = (!host.placement.owns(&workflow_id)).then(|| {
        let (seq, at) = (child.start.seq, child.scheduled_ms);
        let parent = crate::placement::fnv1a64(format!("{parent}\0{at}").as_bytes());
        format!("child:{parent:016x}:{seq}:{attempt}")
    });
    StartRequest {
        request_id,
        workflow_id: Some(child.workflow_id()),
        parent_workflow_id: Some(parent.to_string()),
        attempt,
        run_timeout: child.options.run_timeout_ms.map(ms),
        execution_timeout: execution_timeout.or(child.options.execution_timeout_ms.map(ms)),
        priority: Some(turn.priority),
        fairness: turn.fairness,
        ..StartRequest::new(child.start.workflow_type.clone(), child.start.input.clone())
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
    turn: Turn,
) -> Result<String, Failure> {
    if resumed {
        if let Some((existing, _)) =
            started_by(&host.inner, workflow_id, parent, child.scheduled_ms)
        {
            return Ok(existing.run_id);
        }
    }
    host.start(child_request(&host.inner, parent, child, 1, None, turn))
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

/// The latest run of `workflow_id`, with its history, when `parent` started it at
/// `since_ms` or later: a child run started before a restart, which the parent's actor
/// takes up instead of starting it again.
pub(super) fn started_by(
    host: &HostInner,
    workflow_id: &str,
    parent: &str,
    since_ms: u64,
) -> Option<(RunRecord, History)> {
    let run = host.storage.latest_run(workflow_id).ok()??;
    if run.start_ms < since_ms {
        return None;
    }
    let history = host.read_history(&run).ok()?;
    (history.parent_workflow_id().as_deref() == Some(parent)).then_some((run, history))
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
