//! What the user sees while weft sets things up: one-line messages, always printed, and an
//! indicatif spinner on stderr that indicatif hides when stderr is not a terminal.

use std::borrow::Cow;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A spinner for one long operation, plus one-line messages printed above it.
pub(crate) struct Progress {
    spinner: ProgressBar,
}

impl Progress {
    /// Starts a spinner on stderr.
    pub(crate) fn start() -> Self {
        let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        spinner.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                .expect("the spinner template is valid"),
        );
        spinner.enable_steady_tick(Duration::from_millis(120));
        Progress { spinner }
    }

    /// Prints a line on stderr whether or not stderr is a terminal.
    pub(crate) fn say(&self, line: &str) {
        tracing::info!("{line}");
        // `ProgressBar::println` prints nothing when the bar is hidden; this always does.
        self.spinner.suspend(|| eprintln!("{line}"));
    }

    /// Changes what the spinner says it is doing.
    pub(crate) fn step(&self, what: impl Into<Cow<'static, str>>) {
        let what = what.into();
        tracing::debug!("{what}");
        self.spinner.set_message(what);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.spinner.finish_and_clear();
    }
}
