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

use std::sync::OnceLock;

/// Stop here for good when `WEFT_PAUSE_AT` names `point`.
pub(crate) fn point(point: &str) {
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
