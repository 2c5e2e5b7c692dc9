//! Panics: reported to the host before the guest traps.
//!
//! Workflows are built with `panic = "abort"`, so a panic traps the instance and the host
//! sees only "unreachable executed". The hook installed here first hands the message and
//! location to the host (`report-panic`), which turns the trap into a task failure that
//! says what happened. No command list is ever returned from a task that panicked.
//!
//! A workflow marked `#[workflow(fail_on_panic)]` reports with `report-fatal-panic`
//! instead: the host then fails the run rather than retrying the task.
//!
//! Where panics unwind (native tests), the instance catches them instead; the hook keeps
//! the report so the task failure can carry it.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::sync::Once;

use crate::host;
use crate::location;
use crate::wit::SourceLocation;

/// A panic's message and where it happened.
#[derive(Debug, Clone)]
pub(crate) struct PanicReport {
    pub(crate) message: String,
    pub(crate) location: Option<SourceLocation>,
}

thread_local! {
    static LAST: RefCell<Option<PanicReport>> = const { RefCell::new(None) };
    /// The running workflow fails its run on a panic (`#[workflow(fail_on_panic)]`).
    static FAILS_RUN: Cell<bool> = const { Cell::new(false) };
}

/// Whether a panic from now on fails the run (set when an instance starts).
pub(crate) fn set_fails_run(fails_run: bool) {
    FAILS_RUN.with(|f| f.set(fails_run));
}

/// Installs the hook, once per process. Chains to the hook that was there before, so
/// native test output keeps its panic messages.
pub(crate) fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let report = PanicReport {
                message: message(info.payload()),
                location: info.location().map(location::from_caller),
            };
            if FAILS_RUN.with(Cell::get) {
                host::report_fatal_panic(&report.message, report.location.clone());
            } else {
                host::report_panic(&report.message, report.location.clone());
            }
            LAST.with(|last| {
                if let Ok(mut last) = last.try_borrow_mut() {
                    *last = Some(report);
                }
            });
            previous(info);
        }));
    });
}

/// The report of the last panic on this thread, if the hook saw one; falls back to the
/// panic payload.
pub(crate) fn take_report(payload: &(dyn Any + Send)) -> PanicReport {
    LAST.with(|last| last.borrow_mut().take())
        .unwrap_or_else(|| PanicReport {
            message: message(payload),
            location: None,
        })
}

fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "a panic without a message".to_owned()
    }
}
