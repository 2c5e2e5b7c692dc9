//! The workflow's own state (the struct of the `#[workflow] impl` form), shared by the run
//! method, the handlers and the wait conditions of one execution.
//!
//! Every access is a closure (`ctx.state(|s| …)`, `ctx.state_mut(|s| …)`), so a borrow
//! can never be held across an `await`: whatever runs between two polls (a signal
//! handler, a query, a condition) always finds the state free. The one way to collide is
//! to reach for the state again inside such a closure; that is a bug in the workflow, and
//! the panic says so at the line that did it.

use std::cell::RefCell;

pub(crate) struct StateCell<S> {
    cell: RefCell<S>,
}

impl<S> StateCell<S> {
    pub(crate) fn new(state: S) -> Self {
        Self {
            cell: RefCell::new(state),
        }
    }

    /// Runs `f` on the state, read-only.
    #[track_caller]
    pub(crate) fn read<R>(&self, f: impl FnOnce(&S) -> R) -> R {
        let Ok(state) = self.cell.try_borrow() else {
            panic!(
                "the workflow state is being changed (inside `ctx.state_mut` or a signal \
                 handler) and cannot be read at the same time: read it before or after \
                 that closure, not inside it"
            )
        };
        f(&state)
    }

    /// Runs `f` on the state, which it may change.
    #[track_caller]
    pub(crate) fn write<R>(&self, f: impl FnOnce(&mut S) -> R) -> R {
        let Ok(mut state) = self.cell.try_borrow_mut() else {
            panic!(
                "the workflow state is already borrowed (inside `ctx.state`, \
                 `ctx.state_mut`, a wait condition or a handler) and cannot be changed at \
                 the same time: call `ctx.state_mut` outside that closure, not inside it"
            )
        };
        f(&mut state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes() {
        let cell = StateCell::new(1);
        cell.write(|n| *n += 1);
        assert_eq!(cell.read(|n| *n), 2);
        // Nested reads are fine.
        assert_eq!(cell.read(|a| cell.read(|b| a + b)), 4);
    }

    #[test]
    #[should_panic(expected = "already borrowed")]
    fn a_write_inside_a_read_panics() {
        let cell = StateCell::new(1);
        cell.read(|_| cell.write(|n| *n += 1));
    }

    #[test]
    #[should_panic(expected = "cannot be read at the same time")]
    fn a_read_inside_a_write_panics() {
        let cell = StateCell::new(1);
        cell.write(|_| cell.read(|n| *n));
    }
}
