//! Durable timers: `WfContext::sleep`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::future::FusedFuture;

use crate::state::Answer;

/// Resolves when the host fires the timer. Created by
/// [`WfContext::sleep`](crate::WfContext::sleep), which issued the `start-timer` command.
///
/// Dropping it does not cancel the timer; its firing is ignored.
#[must_use = "the timer is started either way; await the future to wait for it"]
pub struct TimerFuture {
    answer: Option<Answer<()>>,
}

impl TimerFuture {
    pub(crate) fn new(answer: Answer<()>) -> Self {
        Self {
            answer: Some(answer),
        }
    }

    /// The timer's sequence number, until it has fired.
    pub fn seq(&self) -> Option<u32> {
        self.answer.as_ref().map(Answer::seq)
    }
}

impl Future for TimerFuture {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
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
