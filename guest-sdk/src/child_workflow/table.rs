//! The children in flight, keyed by sequence number, and what the host's answers and a
//! cancellation do to them.
//!
//! A child gets two answers, unlike the operations of [`crate::pending`]: `started`, then
//! one closing answer. The handle and its futures share the child's [`Child`] record with
//! the table; the table lets go of it when the closing answer arrives.
//!
//! | host's answer for seq       | start not yet answered           | start answered            | (not in the table) |
//! |-----------------------------|----------------------------------|---------------------------|--------------------|
//! | `started(run-id)`           | start → `Ok(run-id)`             | error: duplicate          | error              |
//! | `failed` / `completed` / …  | start and result → that answer (a start failure) | result → that answer | error   |
//!
//! Each answer wakes whoever waits on the handle. A child the SDK settled as cancelled
//! (see [`cancel`]) keeps that outcome: the host's later answers are checked as above and
//! then ignored. The host's word that a child recorded the cancellation this run
//! requested settles a `WaitCancellationRequested` child being cancelled, and is ignored
//! for any other (or one no longer in the table): it is news, not an answer.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::Location;
use std::rc::Rc;
use std::task::Waker;

use super::ChildWorkflowCancellationType;
use crate::cancellation::Cause;
use crate::error::{error_types, sdk_failure};
use crate::pending::ResolveError;
use crate::state::WorkflowState;
use crate::wit::{ChildResolution, Command, Failure};

/// One child, as its handle and the table see it.
pub(crate) struct Child {
    /// `Ok(run id)`, or the failure that kept it from starting (or cancelled it first).
    pub(crate) started: Option<Result<String, ChildResolution>>,
    /// The closing answer (never `started`).
    pub(crate) closed: Option<ChildResolution>,
    /// The causes of the closing answer's failure, outermost first.
    pub(crate) causes: Vec<Failure>,
    /// Whether the host has answered `started` (or closed it without a start).
    host_started: bool,
    /// The SDK settled it as cancelled: the host's answers are ignored.
    settled: bool,
    wakers: Vec<Waker>,
    pub(crate) cancellation: ChildWorkflowCancellationType,
    /// Not cancelled by the workflow's cancellation (`ctx.non_cancellable`).
    pub(crate) shielded: bool,
    /// Why its cancellation began, once it did.
    cancelling: Option<Cause>,
    /// The line that started the child: the location of a cancel command no line issued.
    origin: &'static Location<'static>,
}

pub(crate) type ChildRef = Rc<RefCell<Child>>;

impl Child {
    pub(crate) fn new(
        cancellation: ChildWorkflowCancellationType,
        shielded: bool,
        origin: &'static Location<'static>,
    ) -> Self {
        Self {
            started: None,
            closed: None,
            causes: Vec::new(),
            host_started: false,
            settled: false,
            wakers: Vec::new(),
            cancellation,
            shielded,
            cancelling: None,
            origin,
        }
    }

    /// A child that was never started (its input does not encode): both outcomes are
    /// that failure.
    pub(crate) fn not_started(failure: Failure, origin: &'static Location<'static>) -> Self {
        let mut child = Self::new(ChildWorkflowCancellationType::default(), false, origin);
        child.started = Some(Err(ChildResolution::Failed(failure.clone())));
        child.closed = Some(ChildResolution::Failed(failure));
        child.host_started = true;
        child.settled = true;
        child
    }

    /// Remembers `waker` to wake when an answer arrives.
    pub(crate) fn wait(&mut self, waker: &Waker) {
        if !self.wakers.iter().any(|w| w.will_wake(waker)) {
            self.wakers.push(waker.clone());
        }
    }

    fn wake(&mut self) {
        for waker in self.wakers.drain(..) {
            waker.wake();
        }
    }
}

/// The children whose closing answer has not arrived.
#[derive(Default)]
pub(crate) struct ChildTable {
    last: u32,
    children: BTreeMap<u32, ChildRef>,
}

impl ChildTable {
    /// Takes the next sequence number (the first is 1) for `child`.
    pub(crate) fn issue(&mut self, child: ChildRef) -> u32 {
        self.last += 1;
        self.children.insert(self.last, child);
        self.last
    }

    /// Whether `answers` (seq, is it `started`), in this order, can be applied now:
    /// checks one activation's answers together, changing nothing.
    pub(crate) fn check(&self, answers: &[(u32, bool)]) -> Result<(), ResolveError> {
        let mut started = BTreeMap::new();
        let mut closed = BTreeMap::new();
        for &(seq, is_start) in answers {
            let Some(child) = self.children.get(&seq) else {
                return Err(if seq == 0 || seq > self.last {
                    ResolveError::Unknown {
                        seq,
                        last: self.last,
                    }
                } else {
                    ResolveError::Duplicate { seq }
                });
            };
            let was_started = *started
                .entry(seq)
                .or_insert_with(|| child.borrow().host_started);
            if closed.contains_key(&seq) || (is_start && was_started) {
                return Err(ResolveError::Duplicate { seq });
            }
            if is_start {
                started.insert(seq, true);
            } else {
                closed.insert(seq, ());
            }
        }
        Ok(())
    }

    /// Applies the host's answer for `seq` (checked before).
    pub(crate) fn resolve(&mut self, seq: u32, resolution: ChildResolution, causes: Vec<Failure>) {
        let Some(child) = self.children.get(&seq).cloned() else {
            unreachable!("answers are checked before they are applied");
        };
        let mut child = child.borrow_mut();
        if let ChildResolution::Started(run_id) = resolution {
            child.host_started = true;
            if !child.settled {
                child.started = Some(Ok(run_id));
            }
        } else {
            if !child.settled {
                if !child.host_started {
                    child.started = Some(Err(resolution.clone()));
                }
                child.closed = Some(resolution);
                child.causes = causes;
            }
            child.host_started = true;
            self.children.remove(&seq);
        }
        child.wake();
    }

    /// Child `seq`'s run recorded the cancellation this run requested: a
    /// `WaitCancellationRequested` child being cancelled resolves as cancelled now.
    pub(crate) fn cancel_recorded(&mut self, seq: u32) {
        let Some(child) = self.children.get(&seq) else {
            return;
        };
        let mut child = child.borrow_mut();
        let waits = child.cancellation == ChildWorkflowCancellationType::WaitCancellationRequested;
        if let (true, Some(cause), false) = (waits, child.cancelling, child.settled) {
            settle_cancelled(&mut child, cause);
        }
    }

    /// The children a workflow cancellation cancels, in sequence order.
    fn cancellable(&self) -> Vec<(u32, ChildRef)> {
        self.children
            .iter()
            .filter(|(_, child)| {
                let child = child.borrow();
                !child.shielded && child.cancelling.is_none() && child.closed.is_none()
            })
            .map(|(seq, child)| (*seq, child.clone()))
            .collect()
    }
}

/// Cancels child `seq` as its cancellation type says (see
/// [`ChildWorkflowCancellationType`]), if it has not closed and no cancellation has
/// begun. The command it issues is located `at`, or else at the line that started it.
pub(crate) fn cancel(
    state: &mut WorkflowState,
    seq: u32,
    child: &ChildRef,
    cause: Cause,
    at: Option<&'static Location<'static>>,
) {
    let mut child = child.borrow_mut();
    if child.closed.is_some() || child.cancelling.is_some() {
        return;
    }
    child.cancelling = Some(cause);
    if child.cancellation.settles() {
        settle_cancelled(&mut child, cause);
    }
    if child.cancellation.requests() {
        let at = at.unwrap_or(child.origin);
        state.issue(Command::CancelChildWorkflow(seq), Some(at));
    }
}

/// Resolves `child` as cancelled (by `cause`), whatever the host answers later.
fn settle_cancelled(child: &mut Child, cause: Cause) {
    let cancelled = ChildResolution::Cancelled(sdk_failure(
        error_types::CANCELLED,
        cause.describe().to_owned(),
    ));
    if child.started.is_none() {
        child.started = Some(Err(cancelled.clone()));
    }
    child.closed = Some(cancelled);
    child.settled = true;
    child.wake();
}

/// Cancels every pending child that is not shielded (the workflow's cancellation).
pub(crate) fn cancel_all(state: &mut WorkflowState) {
    for (seq, child) in state.children.cancellable() {
        cancel(state, seq, &child, Cause::CancelRequested, None);
    }
}
