//! Signal channels: how a function-form workflow receives signals.

use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures::future::FusedFuture;
use futures::stream::{FusedStream, Stream};
use serde::de::DeserializeOwned;

use super::mailbox::OpenError;
use crate::context::WfContext;
use crate::payload;
use crate::state::SharedState;
use crate::wit::{LogLevel, Payload};

impl<S> WfContext<S> {
    /// Opens the channel of the signal `name`: every signal of that name, in arrival
    /// order, including those that arrived before the channel was opened.
    ///
    /// Values are decoded as `T` when they are received; a signal whose input does not
    /// decode is logged as a warning and skipped.
    ///
    /// # Panics
    ///
    /// If a channel of that name is open already (one receiver per signal), or if the
    /// workflow has a `#[signal]` handler of that name.
    ///
    /// ```no_run
    /// use weft_sdk::{workflow, WfContext, WfResult};
    ///
    /// #[workflow]
    /// async fn collect(ctx: WfContext, count: usize) -> WfResult<Vec<String>> {
    ///     let mut items = ctx.signal_channel::<String>("item");
    ///     let mut received = Vec::new();
    ///     while received.len() < count {
    ///         received.push(items.recv().await);
    ///     }
    ///     Ok(received)
    /// }
    /// ```
    #[track_caller]
    pub fn signal_channel<T: DeserializeOwned>(&self, name: &str) -> SignalChannel<T> {
        let opened = self.state.borrow_mut().mailbox.open(name);
        match opened {
            Ok(()) => SignalChannel {
                name: name.into(),
                state: self.state.clone(),
                opened_at: Location::caller(),
                value: PhantomData,
            },
            Err(OpenError::AlreadyOpen) => panic!(
                "a channel for signal `{name}` is open already; a signal has one channel at \
                 a time (keep the first one, or drop it before opening another)"
            ),
            Err(OpenError::HasHandler) => {
                panic!("signal `{name}` has a #[signal] handler, so it cannot also have a channel")
            }
        }
    }
}

/// The receiving end of one signal name. Created by
/// [`WfContext::signal_channel`]; dropping it leaves signals not yet received for the
/// next channel of that name.
///
/// Also a [`Stream`] of the values (`futures::StreamExt::next`), which never ends.
pub struct SignalChannel<T> {
    name: Rc<str>,
    state: SharedState,
    /// Where a stream poll waits, as `weft stack` shows it (a `recv` names its own
    /// line).
    opened_at: &'static Location<'static>,
    value: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> SignalChannel<T> {
    /// The signal's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The next value: at once if one is waiting, else when the next signal arrives.
    ///
    /// Fused, so it can be a branch of [`select!`](crate::select); a value is only taken
    /// when the future completes, so a losing `recv` loses nothing.
    #[track_caller]
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv {
            channel: self,
            done: false,
            at: Location::caller(),
        }
    }

    /// The next value if one is waiting.
    pub fn try_recv(&mut self) -> Option<T> {
        loop {
            let input = self.state.borrow_mut().mailbox.take(&self.name)?;
            if let Some(value) = self.decode(&input) {
                return Some(value);
            }
        }
    }

    /// Every value waiting now, oldest first.
    pub fn drain(&mut self) -> Vec<T> {
        std::iter::from_fn(|| self.try_recv()).collect()
    }

    /// How many signals are waiting (some may turn out not to decode).
    pub fn len(&self) -> usize {
        self.state.borrow().mailbox.len(&self.name)
    }

    /// Whether no signal is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn poll_value(&mut self, cx: &mut Context<'_>, at: &'static Location<'static>) -> Poll<T> {
        loop {
            let input = self
                .state
                .borrow_mut()
                .mailbox
                .poll_take(&self.name, cx, at);
            match input {
                Poll::Ready(input) => {
                    if let Some(value) = self.decode(&input) {
                        return Poll::Ready(value);
                    }
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// A signal that does not decode is dropped: the sender cannot be told, and failing
    /// the task would only repeat the failure on every retry.
    fn decode(&self, input: &Payload) -> Option<T> {
        match payload::decode_input(input) {
            Ok(value) => Some(value),
            Err(error) => {
                crate::log(
                    LogLevel::Warn,
                    &format!("signal `{}` dropped: {error}", self.name),
                );
                None
            }
        }
    }
}

impl<T> Drop for SignalChannel<T> {
    fn drop(&mut self) {
        // `try_`: never panic in drop.
        if let Ok(mut state) = self.state.try_borrow_mut() {
            state.mailbox.close(&self.name);
        }
    }
}

impl<T: DeserializeOwned> Stream for SignalChannel<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        let at = this.opened_at;
        this.poll_value(cx, at).map(Some)
    }
}

impl<T: DeserializeOwned> FusedStream for SignalChannel<T> {
    fn is_terminated(&self) -> bool {
        false
    }
}

/// The next value of a [`SignalChannel`]. Created by [`SignalChannel::recv`].
#[must_use = "futures do nothing unless awaited"]
pub struct Recv<'a, T> {
    channel: &'a mut SignalChannel<T>,
    done: bool,
    /// The line that awaits it.
    at: &'static Location<'static>,
}

impl<T: DeserializeOwned> Future for Recv<'_, T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        assert!(!this.done, "`recv` future polled after it completed");
        let value = this.channel.poll_value(cx, this.at);
        this.done = value.is_ready();
        value
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        // A `recv` that lost a `select!` no longer waits (`try_`: never panic in drop).
        if !self.done {
            if let Ok(mut state) = self.channel.state.try_borrow_mut() {
                state.mailbox.stop_waiting(&self.channel.name);
            }
        }
    }
}

impl<T: DeserializeOwned> FusedFuture for Recv<'_, T> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}
