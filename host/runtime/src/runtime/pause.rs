//! Pause points, for crash tests: with `WEFT_PAUSE_AT=<point>` in its environment, a
//! host that reaches that point stops there for good (the thread blocks, the process
//! stays up) so that a test can kill it (SIGKILL) at exactly that moment, which no
//! timing could hit reliably. Without the variable a point costs one comparison.
//!
//! | point            | where                                                            |
//! |------------------|------------------------------------------------------------------|
//! | `parent-closed`  | a run's close is durable; its children's close policies not yet applied |
//! | `continued`      | a continue-as-new is durable; the next run has no actor yet     |
//! | `effects-recorded` | a task's effects on other runs are in the outbox, not carried out |
//! | `task-recorded`  | a workflow task's events are durable; nothing acknowledged or acted on yet |
//!
//! A simulator that runs a host on its own thread sees the same points through a hook
//! of that thread ([`set_point_hook`]): it may crash the simulated process there. The
//! hook costs a thread-local read where no simulator set one.

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

/// What a simulator runs at each point its thread reaches.
pub type PointHook = Arc<dyn Fn(&str)>;

thread_local! {
    static HOOK: RefCell<Option<PointHook>> = const { RefCell::new(None) };
}

/// Run `hook` at every point this thread reaches, until replaced (`None`: none).
pub fn set_point_hook(hook: Option<PointHook>) {
    HOOK.with(|h| *h.borrow_mut() = hook);
}

/// Tell this thread's hook, if any, that `point` is reached; then stop here for good
/// when `WEFT_PAUSE_AT` names `point`.
pub(crate) fn point(point: &str) {
    if let Some(hook) = HOOK.with(|h| h.borrow().clone()) {
        hook(point);
    }
    static AT: OnceLock<Option<String>> = OnceLock::new();
    let at = AT.get_or_init(|| std::env::var("WEFT_PAUSE_AT").ok());
    if at.as_deref() != Some(point) {
        return;
    }
    tracing::warn!(
        point,
        "paused for good (WEFT_PAUSE_AT): waiting to be killed"
    );
    loop {
        std::thread::park();
    }
}
