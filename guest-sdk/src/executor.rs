//! The deterministic executor: one task per execution, polled on the calling thread.
//!
//! Workflow futures only become ready because a job resolved them (or because a future
//! woke itself to yield). So an activation applies its jobs, then [`Executor::run`] polls
//! the workflow until it stops waking itself: at that point nothing can make progress
//! until the next activation. There is no clock, no I/O and no other thread, so the same
//! jobs always lead to the same polls and the same commands.
//!
//! Later work (signal and update handlers) adds tasks beside the main one; they will be
//! polled in creation order in the same loop.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// A future the executor can own: not `Send`, since workflow state is `Rc`-shared.
pub type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// Set when any future of the execution is woken.
#[derive(Default)]
struct WakeFlag(AtomicBool);

impl Wake for WakeFlag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::Relaxed);
    }
}

pub(crate) struct Executor<T> {
    main: Option<LocalBoxFuture<T>>,
    flag: Arc<WakeFlag>,
    waker: Waker,
}

impl<T> Executor<T> {
    pub(crate) fn new(main: LocalBoxFuture<T>) -> Self {
        let flag = Arc::new(WakeFlag::default());
        Self {
            main: Some(main),
            waker: Waker::from(flag.clone()),
            flag,
        }
    }

    /// Polls the main task until it finishes (returning its output) or stops making
    /// progress (returning `None`). After it has finished this does nothing.
    pub(crate) fn run(&mut self) -> Option<T> {
        let main = self.main.as_mut()?;
        let mut cx = Context::from_waker(&self.waker);
        loop {
            self.flag.0.store(false, Ordering::Relaxed);
            if let Poll::Ready(output) = main.as_mut().poll(&mut cx) {
                self.main = None;
                return Some(output);
            }
            if !self.flag.0.load(Ordering::Relaxed) {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;

    /// Pending on its first `n` polls, waking itself each time.
    struct YieldTimes(u32);

    impl Future for YieldTimes {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 == 0 {
                return Poll::Ready(());
            }
            self.0 -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    #[test]
    fn runs_until_self_wakes_stop() {
        let mut executor = Executor::new(Box::pin(async {
            YieldTimes(3).await;
            7
        }));
        assert_eq!(executor.run(), Some(7));
        // Finished: nothing left to poll.
        assert_eq!(executor.run(), None);
    }

    #[test]
    fn stops_when_nothing_woke() {
        let polls = Rc::new(Cell::new(0));
        let counted = polls.clone();
        let mut executor = Executor::new(Box::pin(std::future::poll_fn(move |_| {
            counted.set(counted.get() + 1);
            Poll::<()>::Pending
        })));
        assert_eq!(executor.run(), None);
        assert_eq!(polls.get(), 1);
        assert_eq!(executor.run(), None);
        assert_eq!(polls.get(), 2);
    }
}
