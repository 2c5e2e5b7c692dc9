//! Deterministic ways to wait for several things at once.
//!
//! All of them poll their futures in the order they were written (or yielded by the
//! iterator), every time, so that the code that runs after an `await` runs in the same
//! order on every replay. Commands are issued when a future is created, not when it is
//! polled, so creation order is also issue order.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::future::FusedFuture;

/// Waits for all futures and returns their outputs in the iterator's order.
///
/// Every poll polls the unfinished futures in that order (unlike `futures`' `join_all`
/// for large inputs, which polls them in wake-up order).
///
/// ```no_run
/// # use std::time::Duration;
/// # use weft_sdk::{join_all, ActivityOptions, WfContext, WfResult};
/// async fn squares(ctx: WfContext) -> WfResult<u64> {
///     let options = ActivityOptions::start_to_close(Duration::from_secs(10));
///     let calls = (0..10u64).map(|i| ctx.activity_by_name::<u64>("square", &i, &options));
///     let mut sum = 0;
///     for square in join_all(calls).await {
///         sum += square?;
///     }
///     Ok(sum)
/// }
/// ```
pub fn join_all<I>(futures: I) -> JoinAll<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
{
    JoinAll {
        slots: futures
            .into_iter()
            .map(|future| Slot::Running(Box::pin(future)))
            .collect(),
        done: false,
    }
}

/// The future returned by [`join_all`].
#[must_use = "futures do nothing unless awaited"]
pub struct JoinAll<F: Future> {
    slots: Vec<Slot<F>>,
    done: bool,
}

enum Slot<F: Future> {
    // Boxed so that `JoinAll` is `Unpin` and needs no unsafe pin projection.
    Running(Pin<Box<F>>),
    Finished(F::Output),
    Taken,
}

// Nothing is pinned structurally: the futures are boxed, outputs are plain values.
impl<F: Future> Unpin for JoinAll<F> {}

impl<F: Future> Future for JoinAll<F> {
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut all_finished = true;
        for slot in this.slots.iter_mut() {
            if let Slot::Running(future) = slot {
                match future.as_mut().poll(cx) {
                    Poll::Ready(output) => *slot = Slot::Finished(output),
                    Poll::Pending => all_finished = false,
                }
            }
        }
        if !all_finished {
            return Poll::Pending;
        }
        this.done = true;
        let outputs = this
            .slots
            .iter_mut()
            .map(|slot| match std::mem::replace(slot, Slot::Taken) {
                Slot::Finished(output) => output,
                _ => unreachable!("join_all polled after it completed"),
            })
            .collect();
        Poll::Ready(outputs)
    }
}

impl<F: Future> FusedFuture for JoinAll<F> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::task::Waker;

    /// Records each poll in a shared log; ready on its `ready_on`-th poll.
    fn probe(
        name: &'static str,
        ready_on: u32,
        log: Rc<RefCell<Vec<&'static str>>>,
    ) -> impl Future<Output = &'static str> {
        let mut polls = 0;
        std::future::poll_fn(move |_| {
            polls += 1;
            log.borrow_mut().push(name);
            if polls >= ready_on {
                Poll::Ready(name)
            } else {
                Poll::Pending
            }
        })
    }

    #[test]
    fn polls_in_declaration_order_and_keeps_it_in_the_output() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut all = Box::pin(join_all([
            probe("a", 2, log.clone()),
            probe("b", 1, log.clone()),
            probe("c", 3, log.clone()),
        ]));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(all.as_mut().poll(&mut cx).is_pending());
        assert!(all.as_mut().poll(&mut cx).is_pending());
        assert_eq!(all.as_mut().poll(&mut cx), Poll::Ready(vec!["a", "b", "c"]));
        assert!(all.is_terminated());
        // Finished futures are not polled again; the rest always in order.
        assert_eq!(*log.borrow(), ["a", "b", "c", "a", "c", "c"]);
    }

    #[test]
    fn large_inputs_are_polled_in_order_too() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let names: Vec<&'static str> = (0..100)
            .map(|i| &*Box::leak(i.to_string().into_boxed_str()))
            .collect();
        let mut all = Box::pin(join_all(names.iter().map(|n| probe(n, 2, log.clone()))));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(all.as_mut().poll(&mut cx).is_pending());
        assert_eq!(*log.borrow(), names);
    }

    #[test]
    fn empty_is_ready() {
        let mut all = Box::pin(join_all(Vec::<std::future::Ready<u8>>::new()));
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(all.as_mut().poll(&mut cx), Poll::Ready(vec![]));
    }
}
