//! Operations in flight, keyed by sequence number: one table per command kind.
//!
//! A command that expects an answer (an activity, a timer, …) takes the next sequence
//! number of its kind — each kind counts from 1 on its own — and leaves an entry here.
//! The job that answers it finds the entry by number.
//!
//! | entry      | resolved by a job          | polled                | future dropped |
//! |------------|----------------------------|-----------------------|----------------|
//! | waiting    | → resolved, waker woken    | stores waker, pending | → abandoned    |
//! | resolved   | error: duplicate           | → removed, ready      | → removed      |
//! | abandoned  | → removed (answer ignored) | —                     | —              |
//! | (none)     | error: duplicate / unknown | —                     | —              |
//!
//! Dropping a future does not cancel the operation (cancellation is a command of its
//! own); its answer is just ignored when it arrives.

use std::collections::BTreeMap;
use std::task::{Context, Poll, Waker};

enum Entry<T> {
    Waiting(Option<Waker>),
    Resolved(T),
    Abandoned,
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
    pub(crate) fn issue(&mut self) -> u32 {
        self.last += 1;
        self.entries.insert(self.last, Entry::Waiting(None));
        self.last
    }

    /// Whether `seq` can be resolved now.
    pub(crate) fn check(&self, seq: u32) -> Result<(), ResolveError> {
        match self.entries.get(&seq) {
            Some(Entry::Waiting(_) | Entry::Abandoned) => Ok(()),
            Some(Entry::Resolved(_)) => Err(ResolveError::Duplicate { seq }),
            None if seq == 0 || seq > self.last => Err(ResolveError::Unknown {
                seq,
                last: self.last,
            }),
            None => Err(ResolveError::Duplicate { seq }),
        }
    }

    /// Delivers the answer for `seq` and wakes whoever waits for it.
    pub(crate) fn resolve(&mut self, seq: u32, value: T) -> Result<(), ResolveError> {
        self.check(seq)?;
        match self.entries.insert(seq, Entry::Resolved(value)) {
            Some(Entry::Waiting(waker)) => {
                if let Some(waker) = waker {
                    waker.wake();
                }
            }
            _ => {
                // Abandoned: nobody will ever poll for it.
                self.entries.remove(&seq);
            }
        }
        Ok(())
    }

    /// Takes the answer for `seq` if it has arrived.
    pub(crate) fn poll(&mut self, seq: u32, cx: &mut Context<'_>) -> Poll<T> {
        match self.entries.remove(&seq) {
            Some(Entry::Resolved(value)) => Poll::Ready(value),
            Some(Entry::Waiting(_)) => {
                self.entries
                    .insert(seq, Entry::Waiting(Some(cx.waker().clone())));
                Poll::Pending
            }
            Some(Entry::Abandoned) | None => {
                unreachable!("sequence number {seq} polled after it was taken or abandoned")
            }
        }
    }

    /// The future waiting for `seq` was dropped before it took the answer.
    pub(crate) fn abandon(&mut self, seq: u32) {
        if let Some(entry) = self.entries.get_mut(&seq) {
            match entry {
                Entry::Waiting(_) => *entry = Entry::Abandoned,
                Entry::Resolved(_) => {
                    self.entries.remove(&seq);
                }
                Entry::Abandoned => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn numbers_start_at_one() {
        let mut table = SeqTable::<()>::default();
        assert_eq!(table.issue(), 1);
        assert_eq!(table.issue(), 2);
    }

    #[test]
    fn resolve_then_poll() {
        let mut table = SeqTable::default();
        let seq = table.issue();
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
        let seq = table.issue();
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
        let seq = table.issue();
        table.abandon(seq);
        table.resolve(seq, 1).unwrap();
        assert!(table.entries.is_empty());
        assert_eq!(table.check(seq), Err(ResolveError::Duplicate { seq }));
    }
}
