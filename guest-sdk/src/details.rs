//! `ctx.set_current_details(..)`: what the run is doing now, in Markdown, for the people
//! who look at it (`weft describe`, `weft list`, the web UI).
//!
//! The host records the value in the history when a task that is not replayed leaves
//! it changed (one `current-details` event per such task, whatever the number of
//! calls); while replaying, a call only sets the value the next change is compared
//! with, and nothing checks it against the history: details describe the run, they
//! are not its state, so changing their text in new code never breaks a replay.

use crate::host;
use crate::WfContext;

/// The longest details the host takes, in bytes (as for `weft start --details`).
pub const MAX_CURRENT_DETAILS_BYTES: usize = 20_000;

impl<S> WfContext<S> {
    /// Says what the run is doing now, in Markdown: `weft describe` shows the latest
    /// value, `weft list` carries it. An empty string clears it.
    ///
    /// ```no_run
    /// use weft_sdk::{workflow, WfContext, WfResult};
    ///
    /// #[workflow]
    /// async fn review(ctx: WfContext, order: String) -> WfResult<()> {
    ///     ctx.set_current_details(format!("waiting for approval of **{order}**"));
    ///     ctx.signal_channel::<()>("approve").recv().await;
    ///     ctx.set_current_details("approved; shipping");
    ///     Ok(())
    /// }
    /// ```
    ///
    /// # Panics
    ///
    /// If `details` is longer than [`MAX_CURRENT_DETAILS_BYTES`].
    #[track_caller]
    pub fn set_current_details(&self, details: impl AsRef<str>) {
        let details = details.as_ref();
        assert!(
            details.len() <= MAX_CURRENT_DETAILS_BYTES,
            "set_current_details: {} bytes, over the limit of {MAX_CURRENT_DETAILS_BYTES}",
            details.len()
        );
        host::set_current_details(details);
    }
}
