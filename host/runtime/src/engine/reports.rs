//! What a workflow reports for the people who look at it, as its instance keeps it:
//! its current details (`set-current-details`: the host records a change made by a
//! task that is not replayed) and what it waits on that issued no command
//! (`waiting-on`: kept in memory only, for `weft stack`).

/// The longest current details a task may leave (as for a start's details).
pub const MAX_CURRENT_DETAILS_BYTES: usize = 20_000;

/// What kind of future a [`WaitPoint`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WaitKind {
    /// `ctx.wait_condition(..)`, `ctx.wait_until(..)`.
    Condition,
    /// `ctx.all_handlers_finished()`.
    HandlersFinished,
    /// A signal channel's `recv`.
    SignalChannel,
    /// `ctx.cancelled()`.
    Cancellation,
}

/// A future the workflow awaits that issued no command (`waiting-on`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WaitPoint {
    pub kind: WaitKind,
    /// The signal's name, for a channel; empty otherwise.
    pub name: String,
    pub location: Option<crate::history::vocab::SourceLocation>,
}

/// The workflow's current details (`set-current-details`) as the instance knows them.
#[derive(Debug, Default)]
pub(crate) struct Details {
    /// The value the workflow gave last, replayed or not.
    current: Option<String>,
    /// The value as of the end of the last task: what its history holds.
    recorded: Option<String>,
    /// Set by a task that is not replayed.
    changed: bool,
}

impl Details {
    pub(crate) fn set(&mut self, details: String, replaying: bool) {
        if replaying {
            // What was recorded then; nothing to record now.
            self.recorded = Some(details.clone());
            self.changed = false;
        } else {
            self.changed = true;
        }
        self.current = Some(details);
    }

    /// The value to record for the task that just ran: `Some` when it is not replayed
    /// and left the details changed. A value over the limit fails the task.
    pub(crate) fn take_change(&mut self) -> Result<Option<String>, String> {
        if !std::mem::take(&mut self.changed) || self.current == self.recorded {
            return Ok(None);
        }
        let current = self.current.clone().unwrap_or_default();
        if current.len() > MAX_CURRENT_DETAILS_BYTES {
            return Err(format!(
                "set_current_details: {} bytes, over the limit of {MAX_CURRENT_DETAILS_BYTES}",
                current.len()
            ));
        }
        self.recorded = self.current.clone();
        Ok(Some(current))
    }
}

#[cfg(test)]
mod tests {
    use super::Details;

    /// Only a task that is not replayed and leaves the details changed records them;
    /// a replayed one sets what the next change is compared with.
    #[test]
    fn details_are_recorded_when_a_live_task_changes_them() {
        let mut details = Details::default();
        details.set("a".into(), true);
        assert_eq!(details.take_change(), Ok(None));
        details.set("a".into(), false);
        assert_eq!(details.take_change(), Ok(None), "unchanged");
        details.set("b".into(), false);
        details.set("c".into(), false);
        assert_eq!(
            details.take_change(),
            Ok(Some("c".into())),
            "the last of a task"
        );
        assert_eq!(details.take_change(), Ok(None), "no call since");
        details.set("x".repeat(20_001), false);
        assert!(details
            .take_change()
            .unwrap_err()
            .contains("over the limit"));
    }
}
