//! Panics: reported to the host before the guest traps.
//!
//! Workflows are built with `panic = "abort"`, so a panic traps the instance and the host
//! sees only "unreachable executed". The hook installed here first hands the message and
//! location to the host (`report-panic`), which turns the trap into a task failure that
//! says what happened. No command list is ever returned from a task that panicked.
//!
//! A workflow marked `#[workflow(fail_on_panic)]` reports with `report-fatal-panic`
//! instead: the host then fails the run rather than retrying the task. A panic in an
//! update's validator is reported with `report-validator-panic`, whatever the workflow:
//! the host rejects that update with the message, as Temporal's SDKs turn a validator's
//! panic into a rejection, where a handler's panic fails the workflow task.
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
    /// The update whose validator is running.
    static VALIDATING: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `validate`, the validator of update `update_id`: a panic in it is that update's
/// rejection, with the panic's message. Where panics unwind (natively) it is caught
/// here; in a component it traps, and the hook has told the host which update it was.
pub(crate) fn validating<T>(
    update_id: &str,
    validate: impl FnOnce() -> Result<T, String>,
) -> Result<T, String> {
    VALIDATING.with(|v| *v.borrow_mut() = Some(update_id.to_owned()));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(validate));
    VALIDATING.with(|v| *v.borrow_mut() = None);
    result.unwrap_or_else(|payload| {
        let report = take_report(payload.as_ref());
        let at = match &report.location {
            Some(l) => format!(" (at {}:{}:{})", l.file, l.line, l.column),
            None => String::new(),
        };
        Err(format!(
            "the update's validator panicked: {}{at}",
            report.message
        ))
    })
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
            let validating = VALIDATING.with(|v| v.try_borrow().ok().and_then(|v| v.clone()));
            if let Some(update_id) = validating {
                let location = report.location.clone();
                host::report_validator_panic(&update_id, &report.message, location);
            } else if FAILS_RUN.with(Cell::get) {
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
