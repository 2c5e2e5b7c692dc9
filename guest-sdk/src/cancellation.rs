//! Cancellation: of one operation (its future's `cancel()`, or dropping the future before
//! it resolved), and of the whole workflow (the host's `cancel-requested` job).
//!
//! How an operation is cancelled depends on its kind and, for activities, on its
//! [`ActivityCancellationType`]. The cancellation types exist only in the SDK, as in
//! Temporal's SDKs: the host sees at most a `request-cancel-activity` command (for a
//! local activity, a `cancel-local-activity` call, which is not recorded).
//!
//! | operation       | `TryCancel` (default)            | `WaitCancellationCompleted`      | `Abandon`            |
//! |-----------------|----------------------------------|----------------------------------|----------------------|
//! | activity        | `request-cancel-activity`; the future resolves cancelled at once | `request-cancel-activity`; the future resolves with the host's `resolve-activity`, whatever it says | no command; resolves cancelled at once |
//! | local activity  | `cancel-local-activity` (no command); resolves cancelled at once | `cancel-local-activity`; resolves with the host's `resolve-local-activity` | nothing; resolves cancelled at once |
//! | timer           | `cancel-timer`; resolves cancelled at once | — | — |
//! | child workflow  | `cancel-child-workflow`; resolves cancelled at once | `cancel-child-workflow`; resolves when the child closes | no command; resolves cancelled at once |
//! | wait condition  | resolves cancelled at once (workflow cancellation only) | — | — |
//!
//! When the future resolves at once, the host's answer is still expected: it is accepted
//! and ignored when it comes. There is no command to cancel a local activity (the
//! contract has none): the host is told through the `cancel-local-activity` import, and
//! tells the activity through its context (or ends its backoff as cancelled).
//!
//! An operation is cancelled at most once; cancelling one that has already resolved (its
//! answer arrived, even if its future has not taken it yet) does nothing.
//!
//! # Workflow cancellation
//!
//! When `cancel-requested` arrives, every activity, local activity, timer and child
//! workflow pending at that moment is cancelled as above (in that order, each kind by
//! sequence number; children by their [`ChildWorkflowCancellationType`](crate::ChildWorkflowCancellationType)), and
//! every pending wait condition resolves cancelled — except those shielded by
//! [`WfContext::non_cancellable`]. Operations the workflow starts afterwards are not
//! touched: the cleanup scope is simply the code that runs after the workflow has caught
//! the cancellation. The workflow then decides: returning an error that is a
//! cancellation ([`WorkflowError::is_cancelled`](crate::WorkflowError::is_cancelled))
//! ends the run with `cancel-workflow-confirmed`; returning anything else ends it as
//! usual (completed, or failed).

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::future::FusedFuture;

use crate::conditions::ConditionFuture;
use crate::context::WfContext;
use crate::error::{error_types, sdk_failure};
use crate::state::{SharedState, WorkflowState};
use crate::wit::{ActivityResolution, Command};

/// What happens when an activity (or a local activity) is cancelled. Set with
/// [`ActivityOptions::cancellation_type`](crate::ActivityOptions::cancellation_type).
///
/// See the table in [`ActivityFuture::cancel`](crate::ActivityFuture::cancel).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ActivityCancellationType {
    /// Ask the host to cancel the activity and stop waiting for it: the future resolves
    /// as cancelled at once.
    #[default]
    TryCancel,
    /// Ask the host to cancel the activity and wait for its outcome: the future resolves
    /// with what the activity ended with (cancelled, or completed or failed if it
    /// finished anyway).
    WaitCancellationCompleted,
    /// Stop waiting for the activity without telling the host: it runs to its end, and
    /// its result is ignored. The future resolves as cancelled at once.
    Abandon,
}

/// A timer or a wait condition was cancelled. Converts into a
/// [`WorkflowError`](crate::WorkflowError) with `?`; a workflow that returns that error
/// after its cancellation was requested ends as cancelled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Cancelled {
    message: String,
}

impl Cancelled {
    pub(crate) fn new(what: &str, cause: Cause) -> Self {
        Self {
            message: format!("{what} was cancelled: {}", cause.describe()),
        }
    }

    /// What was cancelled and why.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Why an operation is cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// The workflow cancelled it (`cancel()`, or its future was dropped).
    Workflow,
    /// The workflow's cancellation was requested.
    CancelRequested,
}

impl Cause {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Workflow => "the workflow cancelled it",
            Self::CancelRequested => "the workflow's cancellation was requested",
        }
    }
}

/// The kinds of operations that a cancellation can reach through their sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpKind {
    Activity,
    LocalActivity,
    Timer,
}

/// The outcome of an activity that the SDK settles itself, without waiting for the host.
fn cancelled_activity(cause: Cause) -> ActivityResolution {
    ActivityResolution::Cancelled(sdk_failure(
        error_types::CANCELLED,
        cause.describe().to_owned(),
    ))
}

/// Cancels operation `seq` of `kind` (see the module's table), if it still waits for its
/// answer and no cancellation has begun. A command it issues is located `at`, or else at
/// the line that started the operation.
pub(crate) fn cancel(
    state: &mut WorkflowState,
    kind: OpKind,
    seq: u32,
    cause: Cause,
    at: Option<&'static Location<'static>>,
) {
    let table = match kind {
        OpKind::Activity => &mut state.activities,
        OpKind::LocalActivity => &mut state.local_activities,
        OpKind::Timer => {
            let Some(op) = state.timers.begin_cancel(seq) else {
                return;
            };
            state
                .timers
                .settle(seq, Err(Cancelled::new(&format!("timer {seq}"), cause)));
            state.issue(Command::CancelTimer(seq), Some(at.unwrap_or(op.origin)));
            return;
        }
    };
    let Some(op) = table.begin_cancel(seq) else {
        return;
    };
    if op.cancellation != ActivityCancellationType::WaitCancellationCompleted {
        table.settle(seq, cancelled_activity(cause));
    }
    if op.cancellation == ActivityCancellationType::Abandon {
        return;
    }
    match kind {
        OpKind::Activity => state.issue(
            Command::RequestCancelActivity(seq),
            Some(at.unwrap_or(op.origin)),
        ),
        // No command cancels a local activity: the host is told aside, while replaying
        // too (it ignores the call then).
        _ => crate::host::cancel_local_activity(seq),
    }
}

/// Applies the `cancel-requested` job. A second request changes nothing.
pub(crate) fn request(state: &mut WorkflowState) {
    if state.cancel_requested {
        return;
    }
    state.cancel_requested = true;
    let pending = [
        (OpKind::Activity, state.activities.cancellable()),
        (OpKind::LocalActivity, state.local_activities.cancellable()),
        (OpKind::Timer, state.timers.cancellable()),
    ];
    for (kind, seqs) in pending {
        for seq in seqs {
            cancel(state, kind, seq, Cause::CancelRequested, None);
        }
    }
    crate::child_workflow::cancel_all(state);
    state.conditions.cancel_all();
}

impl<S> WfContext<S> {
    /// Whether the host has asked this workflow to cancel.
    ///
    /// A workflow learns of the request through the operations it waits on (they resolve
    /// as cancelled), through [`cancelled`](Self::cancelled), or by asking here.
    pub fn is_cancel_requested(&self) -> bool {
        self.state.borrow().cancel_requested
    }

    /// Resolves once the workflow's cancellation is requested (at once if it already
    /// was). Never cancelled itself, so it can wait beside other work in a
    /// [`select!`](crate::select).
    ///
    /// ```no_run
    /// use weft_sdk::{select, workflow, WfContext, WfResult, WorkflowError};
    ///
    /// #[workflow]
    /// async fn until_cancelled(ctx: WfContext) -> WfResult<()> {
    ///     let mut stop = ctx.signal_channel::<()>("stop");
    ///     select! {
    ///         _ = stop.recv() => Ok(()),
    ///         () = ctx.cancelled() => Err(WorkflowError::cancelled("asked to stop")),
    ///     }
    /// }
    /// ```
    #[track_caller]
    pub fn cancelled(&self) -> CancelRequested {
        let state = self.state.clone();
        let made = (crate::wit::WaitKind::Cancellation, Location::caller());
        CancelRequested {
            condition: ConditionFuture::new(&self.state, true, made, move || {
                state.borrow().cancel_requested
            }),
        }
    }

    /// Shields `future` from the workflow's cancellation: the activities, local
    /// activities, timers and wait conditions it starts or waits on are not cancelled by
    /// a `cancel-requested` (their own `cancel()`, and dropping them, still cancel them).
    ///
    /// An operation is shielded once it is started or polled inside `future`, so wrap an
    /// operation started outside where it is awaited, before the request can arrive.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// use weft_sdk::{workflow, ActivityOptions, WfContext, WfResult};
    ///
    /// #[workflow]
    /// async fn pay(ctx: WfContext, order: String) -> WfResult<String> {
    ///     let options = ActivityOptions::start_to_close(Duration::from_secs(30));
    ///     // Once charged, the receipt must be sent even if the workflow is cancelled.
    ///     let receipt = ctx.non_cancellable(async {
    ///         let payment: String = ctx.activity_by_name("charge", &order, &options).await?;
    ///         ctx.activity_by_name::<String>("send_receipt", &payment, &options).await
    ///     });
    ///     Ok(receipt.await?)
    /// }
    /// ```
    pub fn non_cancellable<F: Future>(&self, future: F) -> NonCancellable<F> {
        NonCancellable {
            state: self.state.clone(),
            future: Box::pin(future),
            done: false,
        }
    }
}

/// Resolves once the workflow's cancellation is requested. Created by
/// [`WfContext::cancelled`]; fused.
#[must_use = "futures do nothing unless awaited"]
pub struct CancelRequested {
    condition: ConditionFuture,
}

impl Future for CancelRequested {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Shielded: it can only resolve `Ok`.
        Pin::new(&mut self.condition).poll(cx).map(|_| ())
    }
}

impl FusedFuture for CancelRequested {
    fn is_terminated(&self) -> bool {
        self.condition.is_terminated()
    }
}

/// A future whose operations the workflow's cancellation does not reach. Created by
/// [`WfContext::non_cancellable`].
#[must_use = "futures do nothing unless awaited"]
pub struct NonCancellable<F> {
    state: SharedState,
    // Boxed so that no unsafe pin projection is needed.
    future: Pin<Box<F>>,
    done: bool,
}

impl<F: Future> Future for NonCancellable<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let _shield = Shield::enter(&this.state);
        let output = this.future.as_mut().poll(cx);
        this.done = output.is_ready();
        output
    }
}

impl<F: Future> FusedFuture for NonCancellable<F> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

/// Shields what is started or polled while it lives; undone even if the poll panics.
struct Shield<'a>(&'a SharedState);

impl<'a> Shield<'a> {
    fn enter(state: &'a SharedState) -> Self {
        state.borrow_mut().shield_depth += 1;
        Self(state)
    }
}

impl Drop for Shield<'_> {
    fn drop(&mut self) {
        if let Ok(mut state) = self.0.try_borrow_mut() {
            state.shield_depth -= 1;
        }
    }
}
