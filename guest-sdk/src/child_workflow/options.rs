//! How a child workflow is started and cancelled.

use std::time::Duration;

use crate::options::{millis, RetryPolicy};
use crate::wit;
use crate::wit::ChildOptions;

/// What happens to a child when its parent closes (completes, fails, is cancelled,
/// times out, continues as new). Applied by the host; recorded in the start command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ParentClosePolicy {
    /// The child is terminated.
    #[default]
    Terminate,
    /// The child runs on, on its own.
    Abandon,
    /// The child is asked to cancel (it decides what to do about it).
    RequestCancel,
}

impl ParentClosePolicy {
    pub(crate) fn to_wit(self) -> wit::ParentClosePolicy {
        match self {
            Self::Terminate => wit::ParentClosePolicy::Terminate,
            Self::Abandon => wit::ParentClosePolicy::Abandon,
            Self::RequestCancel => wit::ParentClosePolicy::RequestCancel,
        }
    }
}

/// What cancelling a child does: by
/// [`ChildWorkflowHandle::cancel`](crate::ChildWorkflowHandle::cancel), or because the
/// parent's cancellation was requested. Kept by the SDK: the host sees at most a
/// `cancel-child-workflow` command. (Temporal's `ChildWorkflowCancellationType`; the
/// default is its Python SDK's, waiting for the child's cancellation to complete.)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ChildWorkflowCancellationType {
    /// Ask the host to cancel the child and stop waiting for it: its result resolves as
    /// cancelled at once (and its start too, if it had not started).
    TryCancel,
    /// Ask the host to cancel the child and wait for it to close: its result is what the
    /// child ended with (cancelled, or completed or failed if it ignored the request).
    /// The default, as in Temporal's Python SDK: a parent cancelled with its children
    /// ends after them, so their cleanup is done when it is.
    #[default]
    WaitCancellationCompleted,
    /// Ask the host to cancel the child and wait until the child's run has recorded
    /// the request (Temporal's server accepting it): then its result resolves as
    /// cancelled, while the child goes on to handle its cancellation. The host tells
    /// the parent with a `child-cancel-requested` job.
    WaitCancellationRequested,
    /// Stop waiting for the child without telling the host: no command is issued, the
    /// child runs on (its parent-close policy still applies), and its result resolves
    /// as cancelled at once.
    Abandon,
}

impl ChildWorkflowCancellationType {
    /// Whether cancelling issues `cancel-child-workflow`.
    pub(crate) fn requests(self) -> bool {
        self != Self::Abandon
    }

    /// Whether the SDK settles the handle as cancelled at once, without waiting for the
    /// host.
    pub(crate) fn settles(self) -> bool {
        matches!(self, Self::TryCancel | Self::Abandon)
    }
}

/// How a child workflow is started. Everything is optional.
///
/// ```
/// use weft_sdk::{ChildWorkflowCancellationType, ChildWorkflowOptions, ParentClosePolicy};
///
/// let options = ChildWorkflowOptions::new()
///     .workflow_id("order-42/payment")
///     .parent_close_policy(ParentClosePolicy::Abandon)
///     .cancellation_type(ChildWorkflowCancellationType::WaitCancellationCompleted);
/// assert_eq!(options.id(), Some("order-42/payment"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChildWorkflowOptions {
    workflow_id: Option<String>,
    parent_close_policy: ParentClosePolicy,
    cancellation: ChildWorkflowCancellationType,
    execution_timeout: Option<Duration>,
    run_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    flow: crate::flow::Flow,
}

impl ChildWorkflowOptions {
    /// The defaults: a derived workflow id, [`ParentClosePolicy::Terminate`],
    /// [`ChildWorkflowCancellationType::WaitCancellationCompleted`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The child's workflow id. Without one it is `<parent workflow id>/child-<seq>`,
    /// derived by the SDK (so the same on every replay) and written into the command.
    pub fn workflow_id(mut self, workflow_id: impl Into<String>) -> Self {
        self.workflow_id = Some(workflow_id.into());
        self
    }

    /// What happens to the child when the parent closes; `Terminate` by default.
    pub fn parent_close_policy(mut self, policy: ParentClosePolicy) -> Self {
        self.parent_close_policy = policy;
        self
    }

    /// What cancelling the child does; `WaitCancellationCompleted` by default, as in
    /// Temporal's Python SDK.
    pub fn cancellation_type(mut self, cancellation: ChildWorkflowCancellationType) -> Self {
        self.cancellation = cancellation;
        self
    }

    /// Close the child's execution (every run and attempt) as timed out this long after
    /// it starts; the parent's `result()` then fails with a timeout.
    pub fn execution_timeout(mut self, timeout: Duration) -> Self {
        self.execution_timeout = Some(timeout);
        self
    }

    /// Close each run of the child as timed out this long after it starts.
    pub fn run_timeout(mut self, timeout: Duration) -> Self {
        self.run_timeout = Some(timeout);
        self
    }

    /// Start the child again (same workflow id, a new run, the next attempt) when a
    /// run fails or times out, as `policy` says; the parent sees the last attempt's
    /// end. Without one, a child is never retried.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The child runs at this priority, 1 (highest) to 5 (lowest), instead of its
    /// parent's; its own activities and children inherit it.
    ///
    /// # Panics
    /// If `priority` is not 1 to 5.
    #[track_caller]
    pub fn priority(mut self, priority: u8) -> Self {
        self.flow.priority(priority);
        self
    }

    /// The child's work is for `key`, with weight `weight` (1 to 1000), instead of its
    /// parent's fairness key; its own activities and children inherit it.
    ///
    /// # Panics
    /// If `key` is blank or `weight` is not 1 to 1000.
    #[track_caller]
    pub fn fairness(mut self, key: impl Into<String>, weight: u32) -> Self {
        self.flow.fairness(key.into(), weight);
        self
    }

    /// What the host is told of the flow options, when any is set.
    pub(crate) fn flow_to_wit(&self) -> Option<wit::FlowOptions> {
        self.flow.to_wit()
    }

    /// What the host is told about timeouts and retries, when anything.
    pub(crate) fn to_wit(&self) -> Option<ChildOptions> {
        if self.execution_timeout.is_none() && self.run_timeout.is_none() && self.retry.is_none() {
            return None;
        }
        Some(ChildOptions {
            execution_timeout_ms: self.execution_timeout.map(millis),
            run_timeout_ms: self.run_timeout.map(millis),
            retry_policy: self.retry.as_ref().map(RetryPolicy::to_wit),
        })
    }

    /// The workflow id set with [`workflow_id`](Self::workflow_id), if any.
    pub fn id(&self) -> Option<&str> {
        self.workflow_id.as_deref()
    }

    /// The parent-close policy in force.
    pub fn close_policy(&self) -> ParentClosePolicy {
        self.parent_close_policy
    }

    /// The cancellation type in force.
    pub fn cancellation(&self) -> ChildWorkflowCancellationType {
        self.cancellation
    }
}
