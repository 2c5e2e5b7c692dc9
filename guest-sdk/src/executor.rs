//! The deterministic executor: the main task of an execution and its handler tasks,
//! polled on the calling thread.
//!
//! Workflow futures only become ready because a job resolved them, because a wait
//! condition became true, or because a future woke itself to yield. So an activation
//! applies its jobs, then [`Executor::run`] polls until nothing can make progress before
//! the next activation. There is no clock, no I/O and no other thread, so the same jobs
//! always lead to the same polls and the same commands.
//!
//! One run of the executor:
//!
//! 1. Poll every woken task, the main task first and then the handler tasks in creation
//!    order; repeat while a poll woke a task (a task woken by a later one is polled in
//!    the next round, so order never depends on who woke whom).
//! 2. Evaluate the wait conditions (the `check` callback). If one became true it woke its
//!    task: go back to 1. Otherwise stop.
//!
//! The run ends early when the main task finishes: the workflow is complete, and handler
//! tasks still running are never polled again.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// A future the executor can own: not `Send`, since workflow state is `Rc`-shared.
pub type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// Set when the task's future is woken. Starts set: a new task is polled once.
struct WakeFlag(AtomicBool);

impl Wake for WakeFlag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::Relaxed);
    }
}

struct Task<T> {
    future: LocalBoxFuture<T>,
    flag: Arc<WakeFlag>,
    waker: Waker,
}

impl<T> Task<T> {
    fn new(future: LocalBoxFuture<T>) -> Self {
        let flag = Arc::new(WakeFlag(AtomicBool::new(true)));
        Self {
            future,
            waker: Waker::from(flag.clone()),
            flag,
        }
    }

    /// Polls the task if it was woken since its last poll; `None` if it was not.
    fn poll_if_woken(&mut self) -> Option<Poll<T>> {
        if !self.flag.0.swap(false, Ordering::Relaxed) {
            return None;
        }
        let mut cx = Context::from_waker(&self.waker);
        Some(self.future.as_mut().poll(&mut cx))
    }
}

pub(crate) struct Executor<T> {
    main: Option<Task<T>>,
    /// Signal and update handlers, in creation order; finished ones are removed.
    handlers: Vec<Task<()>>,
}

impl<T> Executor<T> {
    pub(crate) fn new(main: LocalBoxFuture<T>) -> Self {
        Self {
            main: Some(Task::new(main)),
            handlers: Vec::new(),
        }
    }

    /// Adds a handler task; it is first polled in the next [`Executor::run`].
    pub(crate) fn spawn(&mut self, future: LocalBoxFuture<()>) {
        self.handlers.push(Task::new(future));
    }

    /// Whether the main task has finished (the workflow is complete).
    pub(crate) fn finished(&self) -> bool {
        self.main.is_none()
    }

    /// Polls until the main task finishes (returning its output) or nothing can make
    /// progress (returning `None`). `check` evaluates the wait conditions and says
    /// whether one became true. After the main task has finished this does nothing.
    pub(crate) fn run(&mut self, mut check: impl FnMut() -> bool) -> Option<T> {
        self.main.as_ref()?;
        loop {
            loop {
                let mut polled = false;
                let main = self.main.as_mut().expect("checked above");
                if let Some(poll) = main.poll_if_woken() {
                    polled = true;
                    if let Poll::Ready(output) = poll {
                        self.main = None;
                        return Some(output);
                    }
                }
                self.handlers.retain_mut(|task| match task.poll_if_woken() {
                    None => true,
                    Some(poll) => {
                        polled = true;
                        poll.is_pending()
                    }
                });
                if !polled {
                    break;
                }
            }
            if !check() {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};
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

    fn never() -> bool {
        false
    }

    #[test]
    fn runs_until_self_wakes_stop() {
        let mut executor = Executor::new(Box::pin(async {
            YieldTimes(3).await;
            7
        }));
        assert_eq!(executor.run(never), Some(7));
        assert!(executor.finished());
        // Finished: nothing left to poll.
        assert_eq!(executor.run(never), None);
    }

    #[test]
    fn polls_only_woken_tasks() {
        let polls = Rc::new(Cell::new(0));
        let counted = polls.clone();
        let mut executor = Executor::new(Box::pin(std::future::poll_fn(move |_| {
            counted.set(counted.get() + 1);
            Poll::<()>::Pending
        })));
        assert_eq!(executor.run(never), None);
        assert_eq!(polls.get(), 1);
        // Nobody woke it: not polled again.
        assert_eq!(executor.run(never), None);
        assert_eq!(polls.get(), 1);
    }

    /// Logs `name` on each poll; yields `times` times before finishing.
    fn logged(
        name: &'static str,
        times: u32,
        log: &Rc<RefCell<Vec<&'static str>>>,
    ) -> LocalBoxFuture<()> {
        let log = log.clone();
        Box::pin(async move {
            for _ in 0..times {
                log.borrow_mut().push(name);
                YieldTimes(1).await;
            }
            log.borrow_mut().push(name);
        })
    }

    #[test]
    fn main_then_handlers_in_creation_order_round_by_round() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut executor = Executor::new(Box::pin(std::future::pending::<()>()));
        executor.spawn(logged("a", 2, &log));
        executor.spawn(logged("b", 0, &log));
        executor.spawn(logged("c", 1, &log));
        assert_eq!(executor.run(never), None);
        assert_eq!(*log.borrow(), ["a", "b", "c", "a", "c", "a"]);
        assert!(executor.handlers.is_empty());
    }

    #[test]
    fn conditions_are_checked_when_tasks_are_quiet() {
        // The main task waits for a flag that the check callback "evaluates".
        let flag = Rc::new(Cell::new(false));
        let waker_slot: Rc<RefCell<Option<Waker>>> = Rc::default();
        let (seen, slot) = (flag.clone(), waker_slot.clone());
        let mut executor = Executor::new(Box::pin(std::future::poll_fn(move |cx| {
            if seen.get() {
                Poll::Ready("done")
            } else {
                *slot.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        })));
        let mut checks = 0;
        let outcome = executor.run(|| {
            checks += 1;
            flag.set(true);
            waker_slot.borrow_mut().take().unwrap().wake();
            true
        });
        assert_eq!(outcome, Some("done"));
        assert_eq!(checks, 1);
    }

    #[test]
    fn handlers_are_not_polled_after_the_main_task_finished() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut executor = Executor::new(Box::pin(async { 1 }));
        executor.spawn(logged("handler", 0, &log));
        assert_eq!(executor.run(never), Some(1));
        assert_eq!(executor.run(never), None);
        assert!(log.borrow().is_empty());
    }
}
