//! Wait conditions: `ctx.wait_condition(|s| …)`, `ctx.wait_until(|| …)` and
//! `ctx.all_handlers_finished()`.
//!
//! A condition is a predicate over state that only jobs and workflow code change, so it
//! can only turn true while the executor runs. It is checked when its future is polled,
//! and again each time the executor's tasks have gone quiet (see
//! [`crate::executor`]): every condition that is waited on is evaluated, in creation
//! order, and those that turned true wake their tasks.
//!
//! | entry   | polled                          | evaluated after the tasks went quiet |
//! |---------|---------------------------------|--------------------------------------|
//! | waiting | true → removed, ready           | true → fired, task woken             |
//! |         | false → stores waker, pending   | false → stays waiting                |
//! | fired   | → removed, ready                | — (not evaluated again)              |
//! | cancelled | → removed, ready (cancelled)  | — (not evaluated again)              |
//!
//! A waiting condition is cancelled when the workflow's cancellation is requested,
//! unless it is shielded (see [`crate::cancellation`]). Dropping the future removes its
//! entry. A condition that fired stays fired even if its
//! predicate turns false again before its task is polled: it was true at a moment the
//! workflow could observe, which is what waiting for it means.

use std::collections::BTreeMap;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures::future::FusedFuture;

use crate::cancellation::{Cancelled, Cause};
use crate::context::WfContext;
use crate::state::SharedState;
use crate::wit::{WaitKind, WaitPoint};

type Predicate = Rc<dyn Fn() -> bool>;

enum Entry {
    Waiting {
        predicate: Predicate,
        waker: Option<Waker>,
        /// Not cancelled by a workflow cancellation request.
        shielded: bool,
        /// What it is, and the line that made it (reported to the host, see
        /// [`crate::waits`]).
        kind: WaitKind,
        location: &'static Location<'static>,
    },
    Fired,
    Cancelled,
}

/// The conditions of one execution, by creation number.
#[derive(Default)]
pub(crate) struct ConditionTable {
    last: u64,
    entries: BTreeMap<u64, Entry>,
}

impl ConditionTable {
    fn add(
        &mut self,
        predicate: Predicate,
        shielded: bool,
        kind: WaitKind,
        location: &'static Location<'static>,
    ) -> u64 {
        self.last += 1;
        self.entries.insert(
            self.last,
            Entry::Waiting {
                predicate,
                waker: None,
                shielded,
                kind,
                location,
            },
        );
        self.last
    }

    /// The conditions a task waits on now (polled, not fired), in creation order, as
    /// the host's `waiting-on` takes them.
    pub(crate) fn wait_points(&self) -> impl Iterator<Item = WaitPoint> + '_ {
        self.entries.values().filter_map(|entry| match entry {
            Entry::Waiting {
                waker: Some(_),
                kind,
                location,
                ..
            } => Some(WaitPoint {
                kind: *kind,
                name: String::new(),
                location: Some(crate::location::from_caller(location)),
            }),
            _ => None,
        })
    }

    /// Cancels every waiting condition that is not shielded, and wakes its task.
    pub(crate) fn cancel_all(&mut self) {
        for entry in self.entries.values_mut() {
            if let Entry::Waiting {
                shielded: false, ..
            } = entry
            {
                if let Entry::Waiting {
                    waker: Some(waker), ..
                } = std::mem::replace(entry, Entry::Cancelled)
                {
                    waker.wake();
                }
            }
        }
    }

    /// The conditions that a task waits on (polled at least once, not fired), in order.
    fn waited_on(&self) -> Vec<(u64, Predicate)> {
        self.entries
            .iter()
            .filter_map(|(id, entry)| match entry {
                Entry::Waiting {
                    predicate,
                    waker: Some(_),
                    ..
                } => Some((*id, predicate.clone())),
                _ => None,
            })
            .collect()
    }

    fn fire(&mut self, id: u64) {
        if let Some(entry) = self.entries.get_mut(&id) {
            if let Entry::Waiting {
                waker: Some(waker), ..
            } = std::mem::replace(entry, Entry::Fired)
            {
                waker.wake();
            }
        }
    }
}

/// Evaluates the conditions that tasks wait on, in creation order; wakes those that
/// turned true and says whether there was one.
///
/// Predicates run without a borrow of the shared state, so they may read anything a
/// workflow may read (the workflow's own state, other shared values).
pub(crate) fn evaluate(state: &SharedState) -> bool {
    let waited_on = state.borrow().conditions.waited_on();
    let mut fired = false;
    for (id, predicate) in waited_on {
        if predicate() {
            state.borrow_mut().conditions.fire(id);
            fired = true;
        }
    }
    fired
}

/// Resolves once its condition is true (`Ok`), or when the workflow's cancellation is
/// requested while it waits (`Err`). Created by [`WfContext::wait_condition`],
/// [`WfContext::wait_until`] and [`WfContext::all_handlers_finished`].
///
/// Fused, so it can be a branch of [`select!`](crate::select).
#[must_use = "a condition is only checked while its future is awaited"]
pub struct ConditionFuture {
    state: SharedState,
    /// `None` once it has resolved.
    id: Option<u64>,
}

impl ConditionFuture {
    pub(crate) fn new(
        state: &SharedState,
        shielded: bool,
        (kind, location): (WaitKind, &'static Location<'static>),
        condition: impl Fn() -> bool + 'static,
    ) -> Self {
        let mut shared = state.borrow_mut();
        let shielded = shielded || shared.shielding();
        let id = shared
            .conditions
            .add(Rc::new(condition), shielded, kind, location);
        Self {
            state: state.clone(),
            id: Some(id),
        }
    }
}

impl Future for ConditionFuture {
    type Output = Result<(), Cancelled>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let id = this.id.expect("condition future polled after it completed");
        let entry = match this.state.borrow().conditions.entries.get(&id) {
            Some(Entry::Waiting { predicate, .. }) => Some(Some(predicate.clone())),
            Some(Entry::Fired) => Some(None),
            Some(Entry::Cancelled) => None,
            None => unreachable!("condition {id} polled after it was removed"),
        };
        let Some(predicate) = entry else {
            this.state.borrow_mut().conditions.entries.remove(&id);
            this.id = None;
            let cancelled = Cancelled::new("the wait condition", Cause::CancelRequested);
            return Poll::Ready(Err(cancelled));
        };
        // The predicate runs with no borrow held (see `evaluate`).
        if predicate.is_none_or(|predicate| predicate()) {
            this.state.borrow_mut().conditions.entries.remove(&id);
            this.id = None;
            return Poll::Ready(Ok(()));
        }
        let mut state = this.state.borrow_mut();
        let shielding = state.shielding();
        if let Some(Entry::Waiting {
            waker, shielded, ..
        }) = state.conditions.entries.get_mut(&id)
        {
            *waker = Some(cx.waker().clone());
            *shielded |= shielding;
        }
        Poll::Pending
    }
}

impl FusedFuture for ConditionFuture {
    fn is_terminated(&self) -> bool {
        self.id.is_none()
    }
}

impl Drop for ConditionFuture {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            // `try_`: never panic in drop (e.g. while unwinding from a borrow panic).
            if let Ok(mut state) = self.state.try_borrow_mut() {
                state.conditions.entries.remove(&id);
            }
        }
    }
}

impl<S: 'static> WfContext<S> {
    /// Waits until `condition` holds for the workflow's state.
    ///
    /// Checked at once, and again whenever the workflow's tasks have done all they can
    /// in an activation (after jobs were applied and handlers ran), so a condition that a
    /// signal or update handler makes true resumes the waiting code in the same
    /// activation. The condition must depend only on the workflow's state; it must not
    /// itself touch the state mutably.
    ///
    /// Resolves `Err(Cancelled)` if the workflow's cancellation is requested while it
    /// waits (see [Cancellation](crate#cancellation)); `?` passes that on, and the run then ends as
    /// cancelled.
    ///
    /// ```no_run
    /// use weft_sdk::{workflow, WfContext, WfResult};
    ///
    /// #[derive(Default)]
    /// struct Approval {
    ///     approved: bool,
    /// }
    ///
    /// #[workflow]
    /// impl Approval {
    ///     async fn run(ctx: WfContext<Self>) -> WfResult<()> {
    ///         ctx.wait_condition(|s| s.approved).await?;
    ///         Ok(())
    ///     }
    ///
    ///     #[signal]
    ///     fn approve(&mut self) {
    ///         self.approved = true;
    ///     }
    /// }
    /// ```
    #[track_caller]
    pub fn wait_condition(&self, condition: impl Fn(&S) -> bool + 'static) -> ConditionFuture {
        let data = self.data.clone();
        self.wait_until(move || data.read(&condition))
    }
}

impl<S> WfContext<S> {
    /// Waits until `condition` returns true: [`wait_condition`](Self::wait_condition)
    /// for state the closure captures itself, such as an `Rc<Cell<_>>` shared with other
    /// branches of a function-form workflow.
    ///
    /// The closure must read only values that workflow code changes (never the clock or
    /// anything outside the workflow), or a replay could decide differently.
    ///
    /// ```no_run
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    /// use weft_sdk::{join, workflow, WfContext, WfResult};
    ///
    /// #[workflow]
    /// async fn two_steps(ctx: WfContext) -> WfResult<u32> {
    ///     let steps = Rc::new(Cell::new(0));
    ///     let counted = steps.clone();
    ///     let mut stops = ctx.signal_channel::<()>("stop");
    ///     let count = async move {
    ///         stops.recv().await;
    ///         counted.set(counted.get() + 1);
    ///         stops.recv().await;
    ///         counted.set(counted.get() + 1);
    ///     };
    ///     let seen = steps.clone();
    ///     let ((), reached) = join!(count, ctx.wait_until(move || seen.get() == 2));
    ///     reached?;
    ///     Ok(steps.get())
    /// }
    /// ```
    #[track_caller]
    pub fn wait_until(&self, condition: impl Fn() -> bool + 'static) -> ConditionFuture {
        let made = (WaitKind::Condition, Location::caller());
        ConditionFuture::new(&self.state, false, made, condition)
    }

    /// Waits until no signal or update handler task is running: await it before the run
    /// method returns, so that updates in flight complete (and their callers get their
    /// results) before the workflow does.
    ///
    /// The workflow completes when its run method returns, whether handlers are still
    /// running or not; handlers that are cut off that way are logged as a warning.
    #[track_caller]
    pub fn all_handlers_finished(&self) -> ConditionFuture {
        let state = self.state.clone();
        let made = (WaitKind::HandlersFinished, Location::caller());
        ConditionFuture::new(&self.state, false, made, move || {
            state.borrow().running.is_empty()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::task::Waker;

    #[test]
    fn evaluates_waited_on_conditions_in_creation_order() {
        let state = SharedState::default();
        let order = Rc::new(std::cell::RefCell::new(Vec::new()));
        let flag = Rc::new(Cell::new(false));
        let mut ids = Vec::new();
        for name in ["a", "b", "c"] {
            let (order, flag) = (order.clone(), flag.clone());
            ids.push(state.borrow_mut().conditions.add(
                Rc::new(move || {
                    order.borrow_mut().push(name);
                    flag.get()
                }),
                false,
                WaitKind::Condition,
                Location::caller(),
            ));
        }
        // Only "a" and "c" are waited on.
        for &id in [ids[0], ids[2]].iter() {
            if let Some(Entry::Waiting { waker, .. }) =
                state.borrow_mut().conditions.entries.get_mut(&id)
            {
                *waker = Some(Waker::noop().clone());
            }
        }
        assert!(!evaluate(&state));
        flag.set(true);
        assert!(evaluate(&state));
        // Fired conditions are not evaluated again.
        assert!(!evaluate(&state));
        assert_eq!(*order.borrow(), ["a", "c", "a", "c"]);
    }
}
