//! Operations in flight, keyed by sequence number: one table per command kind.
//!
//! A command that expects an answer (an activity, a local activity, a timer) takes the
//! next sequence number of its kind — each kind counts from 1 on its own — and leaves an
//! entry here. The job that answers it finds the entry by number.
//!
//! | entry        | host's answer arrives      | polled                | settled by the SDK | future dropped |
//! |--------------|----------------------------|-----------------------|--------------------|----------------|
//! | waiting      | → resolved, waker woken    | stores waker, pending | → early, woken     | → abandoned    |
//! | resolved     | error: duplicate           | → removed, ready      | —                  | → removed      |
//! | early        | → resolved (answer ignored)| → abandoned, ready    | —                  | → abandoned    |
//! | abandoned    | → removed (answer ignored) | —                     | —                  | —              |
//! | (none)       | error: duplicate / unknown | —                     | —                  | —              |
//!
//! "Settled by the SDK" is a cancellation that does not wait for the host (see
//! [`crate::cancellation`]): the future gets its outcome at once, and the host's answer,
//! which is still due, is accepted and ignored when it comes. Whether an entry is
//! cancelled, and how, is decided there; this table only keeps what that needs ([`Op`]).

use std::collections::BTreeMap;
use std::panic::Location;
use std::task::{Context, Poll, Waker};

use crate::cancellation::ActivityCancellationType;

enum Entry<T> {
    Waiting {
        waker: Option<Waker>,
        op: Op,
    },
    /// The outcome is here and not yet taken. `answer_due`: the SDK settled it (a
    /// cancellation) and the host's answer is still to come.
    Resolved {
        value: T,
        answer_due: bool,
    },
    /// Nobody will take the outcome; the host's answer is still to come.
    Abandoned,
}

/// What the SDK keeps about an operation in flight, for cancelling it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Op {
    /// How a cancellation proceeds (timers: always like `TryCancel`).
    pub(crate) cancellation: ActivityCancellationType,
    /// Not cancelled by a workflow cancellation request (`ctx.non_cancellable`).
    pub(crate) shielded: bool,
    /// A cancellation has begun (it is never begun twice).
    pub(crate) cancelling: bool,
    /// The line that started the operation: the location of a cancel command that no
    /// line of workflow code issued (a dropped future, a workflow cancellation).
    pub(crate) origin: &'static Location<'static>,
}

impl Op {
    pub(crate) fn new(
        cancellation: ActivityCancellationType,
        shielded: bool,
        origin: &'static Location<'static>,
    ) -> Self {
        Self {
            cancellation,
            shielded,
            cancelling: false,
            origin,
        }
    }
}

/// Why a job cannot resolve an entry. Either way the host and the workflow disagree
/// about what happened, so the workflow task fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ResolveError {
    /// The sequence number was never issued.
    #[error("sequence number {seq} was never issued (the last one issued is {last})")]
    Unknown { seq: u32, last: u32 },
    /// The entry was already resolved.
    #[error("sequence number {seq} was already resolved")]
    Duplicate { seq: u32 },
}

pub(crate) struct SeqTable<T> {
    last: u32,
    entries: BTreeMap<u32, Entry<T>>,
}

impl<T> Default for SeqTable<T> {
    fn default() -> Self {
        Self {
            last: 0,
            entries: BTreeMap::new(),
        }
    }
}

impl<T> SeqTable<T> {
    /// Takes the next sequence number (the first is 1) and starts waiting for its answer.
    pub(crate) fn issue(&mut self, op: Op) -> u32 {
        self.last += 1;
        self.entries
            .insert(self.last, Entry::Waiting { waker: None, op });
        self.last
    }

    /// Whether `seq` can be resolved now.
    pub(crate) fn check(&self, seq: u32) -> Result<(), ResolveError> {
        match self.entries.get(&seq) {
            Some(Entry::Waiting { .. } | Entry::Abandoned) => Ok(()),
            Some(Entry::Resolved { answer_due, .. }) if *answer_due => Ok(()),
            Some(Entry::Resolved { .. }) => Err(ResolveError::Duplicate { seq }),
            None if seq == 0 || seq > self.last => Err(ResolveError::Unknown {
                seq,
                last: self.last,
            }),
            None => Err(ResolveError::Duplicate { seq }),
        }
    }

    /// Delivers the host's answer for `seq` and wakes whoever waits for it.
    pub(crate) fn resolve(&mut self, seq: u32, value: T) -> Result<(), ResolveError> {
        self.check(seq)?;
        match self.entries.remove(&seq) {
            Some(Entry::Waiting { waker, .. }) => {
                self.entries.insert(
                    seq,
                    Entry::Resolved {
                        value,
                        answer_due: false,
                    },
                );
                if let Some(waker) = waker {
                    waker.wake();
                }
            }
            Some(Entry::Resolved { value: early, .. }) => {
                // Settled early by a cancellation: that outcome stands.
                self.entries.insert(
                    seq,
                    Entry::Resolved {
                        value: early,
                        answer_due: false,
                    },
                );
            }
            // Abandoned: nobody will ever poll for it.
            Some(Entry::Abandoned) | None => {}
        }
        Ok(())
    }

    /// Gives `seq` its outcome now, without the host's answer (which is still due), and
    /// wakes whoever waits for it. Only a waiting entry can be settled.
    pub(crate) fn settle(&mut self, seq: u32, value: T) {
        if let Some(entry @ Entry::Waiting { .. }) = self.entries.get_mut(&seq) {
            let previous = std::mem::replace(
                entry,
                Entry::Resolved {
                    value,
                    answer_due: true,
                },
            );
            if let Entry::Waiting {
                waker: Some(waker), ..
            } = previous
            {
                waker.wake();
            }
        }
    }

    /// Takes the outcome for `seq` if it has arrived.
    pub(crate) fn poll(&mut self, seq: u32, cx: &mut Context<'_>) -> Poll<T> {
        match self.entries.remove(&seq) {
            Some(Entry::Resolved { value, answer_due }) => {
                if answer_due {
                    self.entries.insert(seq, Entry::Abandoned);
                }
                Poll::Ready(value)
            }
            Some(Entry::Waiting { op, .. }) => {
                let waker = Some(cx.waker().clone());
                self.entries.insert(seq, Entry::Waiting { waker, op });
                Poll::Pending
            }
            Some(Entry::Abandoned) | None => {
                unreachable!("sequence number {seq} polled after it was taken or abandoned")
            }
        }
    }

    /// The future waiting for `seq` was dropped before it took the outcome.
    pub(crate) fn abandon(&mut self, seq: u32) {
        match self.entries.get(&seq) {
            Some(
                Entry::Waiting { .. }
                | Entry::Resolved {
                    answer_due: true, ..
                },
            ) => {
                self.entries.insert(seq, Entry::Abandoned);
            }
            Some(Entry::Resolved { .. }) => {
                self.entries.remove(&seq);
            }
            Some(Entry::Abandoned) | None => {}
        }
    }

    /// Begins cancelling `seq`: if it still waits for its answer and no cancellation has
    /// begun, marks it and returns what the cancellation needs to know.
    pub(crate) fn begin_cancel(&mut self, seq: u32) -> Option<Op> {
        match self.entries.get_mut(&seq) {
            Some(Entry::Waiting { op, .. }) if !op.cancelling => {
                op.cancelling = true;
                Some(*op)
            }
            _ => None,
        }
    }

    /// Exempts `seq` from workflow cancellation.
    pub(crate) fn shield(&mut self, seq: u32) {
        if let Some(Entry::Waiting { op, .. }) = self.entries.get_mut(&seq) {
            op.shielded = true;
        }
    }

    /// The entries a workflow cancellation cancels: waiting, not shielded, not being
    /// cancelled already; in sequence order.
    pub(crate) fn cancellable(&self) -> Vec<u32> {
        self.entries
            .iter()
            .filter_map(|(seq, entry)| match entry {
                Entry::Waiting { op, .. } if !op.shielded && !op.cancelling => Some(*seq),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    #[track_caller]
    fn op() -> Op {
        Op::new(
            ActivityCancellationType::TryCancel,
            false,
            Location::caller(),
        )
    }

    #[test]
    fn numbers_start_at_one() {
        let mut table = SeqTable::<()>::default();
        assert_eq!(table.issue(op()), 1);
        assert_eq!(table.issue(op()), 2);
    }

    #[test]
    fn resolve_then_poll() {
        let mut table = SeqTable::default();
        let seq = table.issue(op());
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(table.poll(seq, &mut cx), Poll::Pending);
        table.resolve(seq, "done").unwrap();
        assert_eq!(table.poll(seq, &mut cx), Poll::Ready("done"));
        assert_eq!(
            table.resolve(seq, "again"),
            Err(ResolveError::Duplicate { seq })
        );
    }

    #[test]
    fn unknown_and_duplicate_are_errors() {
        let mut table = SeqTable::default();
        let seq = table.issue(op());
        assert_eq!(
            table.check(0),
            Err(ResolveError::Unknown { seq: 0, last: 1 })
        );
        assert_eq!(
            table.check(2),
            Err(ResolveError::Unknown { seq: 2, last: 1 })
        );
        table.resolve(seq, 1).unwrap();
        assert_eq!(table.check(seq), Err(ResolveError::Duplicate { seq }));
    }

    #[test]
    fn abandoned_answers_are_ignored() {
        let mut table = SeqTable::default();
        let seq = table.issue(op());
        table.abandon(seq);
        table.resolve(seq, 1).unwrap();
        assert!(table.entries.is_empty());
        assert_eq!(table.check(seq), Err(ResolveError::Duplicate { seq }));
    }

    #[test]
    fn settled_entries_take_the_host_answer_once_and_ignore_it() {
        let mut cx = Context::from_waker(Waker::noop());
        // Answer after the outcome was taken.
        let mut table = SeqTable::default();
        let seq = table.issue(op());
        table.settle(seq, "cancelled");
        assert_eq!(table.poll(seq, &mut cx), Poll::Ready("cancelled"));
        table.resolve(seq, "completed").unwrap();
        assert_eq!(table.check(seq), Err(ResolveError::Duplicate { seq }));
        // Answer before the outcome was taken: the settled outcome stands.
        let seq = table.issue(op());
        table.settle(seq, "cancelled");
        table.resolve(seq, "completed").unwrap();
        assert_eq!(table.poll(seq, &mut cx), Poll::Ready("cancelled"));
        assert!(table.entries.is_empty());
    }

    #[test]
    fn a_cancellation_begins_once_and_only_while_waiting() {
        let mut table = SeqTable::default();
        let (a, b, c) = (table.issue(op()), table.issue(op()), table.issue(op()));
        table.shield(b);
        assert_eq!(table.cancellable(), [a, c]);
        assert!(table.begin_cancel(a).is_some());
        assert!(table.begin_cancel(a).is_none());
        table.resolve(c, 3).unwrap();
        assert!(table.begin_cancel(c).is_none());
        assert!(table.cancellable().is_empty());
    }
}
