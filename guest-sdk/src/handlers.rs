//! Message handlers: what a workflow does with the signals, queries and updates sent to
//! it, and which of its handler tasks are still running.
//!
//! `#[workflow]` on an `impl` block fills a [`Handlers`] table from the block's
//! `#[signal]`, `#[query]`, `#[update]` and `#[update_validator]` methods. Each kind of
//! handler is registered and run by its own module (`signals`, `queries`, `updates`);
//! this one holds what they share. Handlers are kept in `Vec`s in registration order and
//! looked up by name: nothing that issues commands depends on a hash order.

use std::collections::BTreeMap;

use crate::executor::LocalBoxFuture;
use crate::queries::QueryHandler;
use crate::signals::SignalHandler;
use crate::state::SharedState;
use crate::updates::UpdateHandler;

/// The signal, query and update handlers of a workflow type whose state is `S`.
///
/// Written by `#[workflow]` on an `impl` block; by hand only for a
/// [`Workflow`](crate::Workflow) implemented by hand. Registering two handlers of one
/// kind under one name panics.
///
/// ```
/// use weft_sdk::{Handlers, WfContext, WfResult};
///
/// #[derive(Default)]
/// struct Counter {
///     count: u64,
/// }
///
/// let handlers = Handlers::<Counter>::new()
///     .signal("add", |state: &mut Counter, n: u64| state.count += n)
///     .query("count", |state: &Counter, (): ()| state.count)
///     .validated_update(
///         "reset",
///         |ctx: WfContext<Counter>, (): ()| async move {
///             WfResult::Ok(ctx.state_mut(|s| std::mem::take(&mut s.count)))
///         },
///         |state: &Counter, _: &()| {
///             if state.count == 0 {
///                 Err("nothing to reset")
///             } else {
///                 Ok(())
///             }
///         },
///     );
/// # let _ = handlers;
/// ```
pub struct Handlers<S> {
    pub(crate) signals: Vec<SignalHandler<S>>,
    pub(crate) queries: Vec<QueryHandler<S>>,
    pub(crate) updates: Vec<UpdateHandler<S>>,
}

impl<S> Handlers<S> {
    /// No handlers: signals go to channels (or wait for one), queries and updates are
    /// answered with "unknown".
    pub fn new() -> Self {
        Self {
            signals: Vec::new(),
            queries: Vec::new(),
            updates: Vec::new(),
        }
    }
}

impl<S> Default for Handlers<S> {
    fn default() -> Self {
        Self::new()
    }
}

/// A handler that has a name.
pub(crate) trait Named {
    /// Which kind of handler it is.
    const KIND: Kind;
    fn name(&self) -> &'static str;
}

/// The kinds of message a workflow handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Signal,
    Query,
    Update,
}

impl Kind {
    fn one(self) -> &'static str {
        match self {
            Self::Signal => "signal",
            Self::Query => "query",
            Self::Update => "update",
        }
    }

    fn many(self) -> &'static str {
        match self {
            Self::Signal => "signals",
            Self::Query => "queries",
            Self::Update => "updates",
        }
    }
}

/// The handler named `name`.
pub(crate) fn find<'h, H: Named>(handlers: &'h [H], name: &str) -> Option<&'h H> {
    handlers.iter().find(|handler| handler.name() == name)
}

/// Adds `handler`; a second handler of the same kind and name is a bug in the workflow.
pub(crate) fn register<H: Named>(handlers: &mut Vec<H>, handler: H) {
    if find(handlers, handler.name()).is_some() {
        panic!(
            "two {} handlers are registered under the name `{}`",
            H::KIND.one(),
            handler.name()
        );
    }
    handlers.push(handler);
}

/// The names of `handlers`, sorted.
pub(crate) fn sorted_names<H: Named>(handlers: &[H]) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = handlers.iter().map(Named::name).collect();
    names.sort_unstable();
    names
}

/// "workflow `entity` has no query `foo`; it handles queries: balance, history".
pub(crate) fn unknown<H: Named>(workflow: &str, name: &str, known: &[H]) -> String {
    let (one, many) = (H::KIND.one(), H::KIND.many());
    let known = sorted_names(known);
    let handled = if known.is_empty() {
        format!("it handles no {many}")
    } else {
        format!("it handles {many}: {}", known.join(", "))
    };
    format!("workflow `{workflow}` has no {one} `{name}`; {handled}")
}

/// The handler tasks (async signal handlers, update handlers) that have not finished,
/// by start order, each described for the log ("update `withdraw` (id 7)").
#[derive(Default)]
pub(crate) struct RunningHandlers {
    last: u64,
    running: BTreeMap<u64, String>,
}

impl RunningHandlers {
    pub(crate) fn is_empty(&self) -> bool {
        self.running.is_empty()
    }

    /// The running handlers, in start order.
    pub(crate) fn descriptions(&self) -> Vec<&str> {
        self.running.values().map(String::as_str).collect()
    }
}

/// Wraps a handler's future so that it counts as running until it finishes.
pub(crate) fn tracked(
    state: &SharedState,
    description: String,
    handler: LocalBoxFuture<()>,
) -> LocalBoxFuture<()> {
    let id = {
        let mut state = state.borrow_mut();
        state.running.last += 1;
        let id = state.running.last;
        state.running.running.insert(id, description);
        id
    };
    let state = state.clone();
    Box::pin(async move {
        handler.await;
        state.borrow_mut().running.running.remove(&id);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Q(&'static str);

    impl Named for Q {
        const KIND: Kind = Kind::Query;
        fn name(&self) -> &'static str {
            self.0
        }
    }

    #[test]
    fn unknown_lists_the_known_names_sorted() {
        assert_eq!(
            unknown("entity", "foo", &[Q("history"), Q("balance")]),
            "workflow `entity` has no query `foo`; it handles queries: balance, history"
        );
        assert_eq!(
            unknown::<Q>("entity", "foo", &[]),
            "workflow `entity` has no query `foo`; it handles no queries"
        );
    }

    #[test]
    #[should_panic(expected = "two query handlers are registered under the name `a`")]
    fn duplicate_names_panic() {
        let mut handlers = vec![Q("a")];
        register(&mut handlers, Q("a"));
    }
}
