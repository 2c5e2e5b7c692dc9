//! Durable timers: `WfContext::sleep`.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::future::FusedFuture;

use crate::cancellation::{self, Cancelled, Cause, OpKind};
use crate::state::Answer;

/// Resolves `Ok(())` when the host fires the timer, or `Err(Cancelled)` when it is
/// cancelled. Created by [`WfContext::sleep`](crate::WfContext::sleep), which issued the
/// `start-timer` command.
///
/// A timer is cancelled by [`cancel`](Self::cancel), by dropping the future before it
/// fired, or by the workflow's cancellation; each issues `cancel-timer`.
#[must_use = "the timer is started either way; await the future to wait for it"]
pub struct TimerFuture {
    answer: Option<Answer<Result<(), Cancelled>>>,
}

impl TimerFuture {
    pub(crate) fn new(answer: Answer<Result<(), Cancelled>>) -> Self {
        Self {
            answer: Some(answer),
        }
    }

    /// The timer's sequence number, until it has fired.
    pub fn seq(&self) -> Option<u32> {
        self.answer.as_ref().map(Answer::seq)
    }

    /// Cancels the timer: issues `cancel-timer`, and the future resolves
    /// `Err(Cancelled)`. Does nothing if the timer has fired (even if the future has
    /// not been polled since) or was cancelled already.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # use weft_sdk::{workflow, WfContext, WfResult};
    /// #[workflow]
    /// async fn reminder(ctx: WfContext) -> WfResult<bool> {
    ///     let mut timer = ctx.sleep(Duration::from_secs(3600));
    ///     timer.cancel();
    ///     Ok(timer.await.is_err())
    /// }
    /// ```
    #[track_caller]
    pub fn cancel(&mut self) {
        self.cancel_at(Some(Location::caller()));
    }

    fn cancel_at(&mut self, at: Option<&'static Location<'static>>) {
        let Some(answer) = &self.answer else {
            return;
        };
        // `try_`: also called in drop, where a panic must not start.
        if let Ok(mut state) = answer.state().try_borrow_mut() {
            cancellation::cancel(&mut state, OpKind::Timer, answer.seq(), Cause::Workflow, at);
        }
    }
}

impl Future for TimerFuture {
    type Output = Result<(), Cancelled>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let answer = this
            .answer
            .as_mut()
            .expect("timer future polled after it completed");
        let fired = answer.poll(cx);
        if fired.is_ready() {
            this.answer = None;
        }
        fired
    }
}

impl FusedFuture for TimerFuture {
    fn is_terminated(&self) -> bool {
        self.answer.is_none()
    }
}

impl Drop for TimerFuture {
    /// A timer nobody waits for is cancelled, at the line that started it.
    fn drop(&mut self) {
        self.cancel_at(None);
    }
}
