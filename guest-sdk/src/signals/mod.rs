//! Signals: one-way messages to a running workflow, recorded in its history.
//!
//! A `signal` job goes, when it is applied (in the activation's job order):
//!
//! | the workflow has                           | what happens                                   |
//! |--------------------------------------------|------------------------------------------------|
//! | a sync handler, `fn(&mut self, input)`     | it runs at once, before any task is polled     |
//! | an async handler, `async fn(ctx, input)`   | a handler task starts; polled after the jobs   |
//! | a channel of that name                     | queued; the channel's `recv` wakes             |
//! | none of these                              | kept until a channel of that name is opened    |
//!
//! Input that does not decode into the handler's (or channel's) type is logged as a
//! warning and dropped: the sender cannot be told, and failing the workflow task would
//! only fail again on every retry.

mod channel;
mod mailbox;

use std::future::Future;
use std::rc::Rc;

use serde::de::DeserializeOwned;

pub use channel::{Recv, SignalChannel};
pub(crate) use mailbox::Mailbox;

use crate::context::WfContext;
use crate::executor::LocalBoxFuture;
use crate::handlers::{self, Handlers, Kind, Named};
use crate::payload;
use crate::wit::{Payload, Signal};

/// Decodes a signal's input into what its handler will do with it.
type Prepare<S> = Box<dyn Fn(&Payload) -> Result<SignalAction<S>, String>>;

pub(crate) struct SignalHandler<S> {
    name: &'static str,
    prepare: Prepare<S>,
}

impl<S> Named for SignalHandler<S> {
    const KIND: Kind = Kind::Signal;

    fn name(&self) -> &'static str {
        self.name
    }
}

/// A handler call with its input decoded.
pub(crate) enum SignalAction<S> {
    /// A sync handler: runs on the state when the job is applied.
    Apply(Box<dyn FnOnce(&mut S)>),
    /// An async handler: becomes a handler task.
    Spawn(Box<dyn FnOnce(WfContext<S>) -> LocalBoxFuture<()>>),
}

/// A signal job, sorted by what will receive it.
pub(crate) enum SignalDelivery<S> {
    Handler {
        name: String,
        action: SignalAction<S>,
    },
    /// For a handler, but the input does not decode into its type.
    Undecodable { name: String, error: String },
    /// No handler: for the channel of its name.
    Mailbox(Signal),
}

impl<S> SignalDelivery<S> {
    pub(crate) fn sort(handlers: &Handlers<S>, signal: Signal) -> Self {
        let Some(handler) = handlers::find(&handlers.signals, &signal.name) else {
            return Self::Mailbox(signal);
        };
        match (handler.prepare)(&signal.input) {
            Ok(action) => Self::Handler {
                name: signal.name,
                action,
            },
            Err(error) => Self::Undecodable {
                name: signal.name,
                error,
            },
        }
    }
}

impl<S: 'static> Handlers<S> {
    /// Registers a sync signal handler: it runs on the state as soon as the signal is
    /// applied, before any task is polled. Use `()` as the input type for a signal
    /// without input.
    ///
    /// # Panics
    ///
    /// If a signal handler of that name is registered already.
    pub fn signal<I, H>(mut self, name: &'static str, handler: H) -> Self
    where
        I: DeserializeOwned + 'static,
        H: Fn(&mut S, I) + 'static,
    {
        let handler = Rc::new(handler);
        let prepare: Prepare<S> = Box::new(move |input| {
            let input: I = payload::decode_input(input)?;
            let handler = handler.clone();
            Ok(SignalAction::Apply(Box::new(move |state| {
                handler(state, input)
            })))
        });
        handlers::register(&mut self.signals, SignalHandler { name, prepare });
        self
    }

    /// Registers an async signal handler: each signal starts a handler task, polled
    /// after the activation's jobs were applied (after the main task, in creation
    /// order). It reaches the state through its context.
    ///
    /// # Panics
    ///
    /// If a signal handler of that name is registered already.
    pub fn async_signal<I, H, F>(mut self, name: &'static str, handler: H) -> Self
    where
        I: DeserializeOwned + 'static,
        H: Fn(WfContext<S>, I) -> F + 'static,
        F: Future<Output = ()> + 'static,
    {
        let handler = Rc::new(handler);
        let prepare: Prepare<S> = Box::new(move |input| {
            let input: I = payload::decode_input(input)?;
            let handler = handler.clone();
            Ok(SignalAction::Spawn(Box::new(move |ctx| {
                Box::pin(handler(ctx, input))
            })))
        });
        handlers::register(&mut self.signals, SignalHandler { name, prepare });
        self
    }
}
