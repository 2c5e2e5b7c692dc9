//! Signals without a handler, by name: queued for the channel of their name, or kept
//! until one is opened.
//!
//! One inbox per name holds the payloads in arrival order. Whether a channel is open only
//! decides who may take them, so a signal that arrives before its channel exists is
//! simply there when the channel is opened, and values a dropped channel left behind
//! wait for the next one.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::panic::Location;
use std::task::{Context, Poll, Waker};

use crate::wit::{Payload, WaitKind, WaitPoint};

#[derive(Default)]
pub(crate) struct Mailbox {
    inboxes: BTreeMap<String, Inbox>,
    /// Signals that have a handler: they never reach the mailbox and cannot have a
    /// channel.
    handled: BTreeSet<&'static str>,
}

#[derive(Default)]
struct Inbox {
    queue: VecDeque<Payload>,
    open: bool,
    /// The channel's pending `recv`, to wake when a signal arrives.
    waker: Option<Waker>,
    /// The line that awaits it, while it waits (reported to the host, see
    /// [`crate::waits`]).
    waiting_at: Option<&'static Location<'static>>,
}

/// Why a channel cannot be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenError {
    AlreadyOpen,
    HasHandler,
}

impl Mailbox {
    /// Names that have a handler (set when the execution starts).
    pub(crate) fn set_handled(&mut self, names: impl IntoIterator<Item = &'static str>) {
        self.handled = names.into_iter().collect();
    }

    /// Queues a signal that has no handler and wakes its channel's `recv`.
    pub(crate) fn deliver(&mut self, name: String, input: Payload) {
        let inbox = self.inboxes.entry(name).or_default();
        inbox.queue.push_back(input);
        inbox.waiting_at = None;
        if let Some(waker) = inbox.waker.take() {
            waker.wake();
        }
    }

    pub(crate) fn open(&mut self, name: &str) -> Result<(), OpenError> {
        if self.handled.contains(name) {
            return Err(OpenError::HasHandler);
        }
        let inbox = self.inboxes.entry(name.to_owned()).or_default();
        if inbox.open {
            return Err(OpenError::AlreadyOpen);
        }
        inbox.open = true;
        Ok(())
    }

    /// The channel was dropped; what it did not take stays for the next one.
    pub(crate) fn close(&mut self, name: &str) {
        if let Some(inbox) = self.inboxes.get_mut(name) {
            inbox.open = false;
            inbox.waker = None;
            inbox.waiting_at = None;
            if inbox.queue.is_empty() {
                self.inboxes.remove(name);
            }
        }
    }

    /// Takes the oldest signal of `name`, if there is one.
    pub(crate) fn take(&mut self, name: &str) -> Option<Payload> {
        self.inboxes.get_mut(name)?.queue.pop_front()
    }

    /// Takes the oldest signal of `name`, or arranges to be woken when one arrives
    /// (the code at `at` waits for it).
    pub(crate) fn poll_take(
        &mut self,
        name: &str,
        cx: &mut Context<'_>,
        at: &'static Location<'static>,
    ) -> Poll<Payload> {
        let inbox = self.inboxes.entry(name.to_owned()).or_default();
        match inbox.queue.pop_front() {
            Some(input) => {
                inbox.waiting_at = None;
                Poll::Ready(input)
            }
            None => {
                inbox.waker = Some(cx.waker().clone());
                inbox.waiting_at = Some(at);
                Poll::Pending
            }
        }
    }

    /// The `recv` of `name` that waited was dropped before it got a value.
    pub(crate) fn stop_waiting(&mut self, name: &str) {
        if let Some(inbox) = self.inboxes.get_mut(name) {
            inbox.waiting_at = None;
        }
    }

    /// The channels whose `recv` waits now, by name, as the host's `waiting-on` takes
    /// them.
    pub(crate) fn wait_points(&self) -> impl Iterator<Item = WaitPoint> + '_ {
        self.inboxes.iter().filter_map(|(name, inbox)| {
            let at = inbox.waiting_at.filter(|_| inbox.open)?;
            Some(WaitPoint {
                kind: WaitKind::SignalChannel,
                name: name.clone(),
                location: Some(crate::location::from_caller(at)),
            })
        })
    }

    /// How many signals of `name` are waiting.
    pub(crate) fn len(&self, name: &str) -> usize {
        self.inboxes.get(name).map_or(0, |inbox| inbox.queue.len())
    }

    /// The names that have an open channel, sorted.
    pub(crate) fn open_names(&self) -> impl Iterator<Item = &str> {
        self.inboxes
            .iter()
            .filter(|(_, inbox)| inbox.open)
            .map(|(name, _)| name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wit::Encoding;

    fn json(text: &str) -> Payload {
        Payload {
            encoding: Encoding::Json,
            data: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn early_signals_wait_for_their_channel_in_arrival_order() {
        let mut mailbox = Mailbox::default();
        mailbox.deliver("a".into(), json("1"));
        mailbox.deliver("b".into(), json("2"));
        mailbox.deliver("a".into(), json("3"));
        mailbox.open("a").unwrap();
        assert_eq!(mailbox.take("a"), Some(json("1")));
        assert_eq!(mailbox.take("a"), Some(json("3")));
        assert_eq!(mailbox.take("a"), None);
        assert_eq!(mailbox.len("b"), 1);
        assert_eq!(mailbox.open_names().collect::<Vec<_>>(), ["a"]);
    }

    #[test]
    fn one_channel_per_name_and_none_for_handled_names() {
        let mut mailbox = Mailbox::default();
        mailbox.set_handled(["h"]);
        assert_eq!(mailbox.open("h"), Err(OpenError::HasHandler));
        mailbox.open("a").unwrap();
        assert_eq!(mailbox.open("a"), Err(OpenError::AlreadyOpen));
        mailbox.deliver("a".into(), json("1"));
        mailbox.close("a");
        // Reopened: the value the first channel left is still there.
        mailbox.open("a").unwrap();
        assert_eq!(mailbox.take("a"), Some(json("1")));
    }
}
