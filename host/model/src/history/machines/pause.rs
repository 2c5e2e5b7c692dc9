//! Whether the run is paused, by whom and why.
//!
//! | state \ event | `paused`                | `unpaused`  |
//! |---------------|-------------------------|-------------|
//! | running       | paused (who, why, when) | running     |
//! | paused        | paused (first kept)     | running     |
//!
//! The host refuses to pause a paused run and to unpause a running one, so the
//! no-change transitions are for histories no host writes. While paused no workflow
//! task runs: what arrives is recorded as `pending-job`s, which the first task after
//! `unpaused` delivers (see `task`).

/// Who paused the run, why, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PauseInfo {
    pub reason: String,
    pub identity: String,
    pub time_ms: u64,
}

/// The run's pause: `None` while it runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PauseMachine {
    paused: Option<PauseInfo>,
}

impl PauseMachine {
    /// Who paused the run, if it is paused.
    pub fn paused(&self) -> Option<&PauseInfo> {
        self.paused.as_ref()
    }

    /// The `paused` event.
    pub fn pause(&mut self, info: PauseInfo) {
        if self.paused.is_none() {
            self.paused = Some(info);
        }
    }

    /// The `unpaused` event.
    pub fn unpause(&mut self) {
        self.paused = None;
    }
}

#[cfg(test)]
mod tests {
    use crate::history::vocab::{Command, IssuedCommand, Job, StartTimer};
    use crate::history::{Event, RunState};

    fn paused(reason: &str) -> Event {
        Event::Paused {
            reason: reason.into(),
            identity: "ops".into(),
            time_ms: 5,
        }
    }

    /// A timer that fires while the run is paused is recorded as a pending job: it is no
    /// longer armed, and the next task (after `unpaused`) delivers it.
    #[test]
    fn pending_jobs_of_a_paused_run_resolve_their_machines_and_are_carried() {
        let timer = Event::Command(IssuedCommand {
            command: Command::StartTimer(StartTimer {
                seq: 1,
                duration_ms: 10,
            }),
            location: None,
        });
        let mut events = vec![Event::TaskStarted { time_ms: 0 }, timer, paused("why")];
        let state = RunState::fold(&events);
        assert_eq!(state.paused().map(|p| p.reason.as_str()), Some("why"));
        assert_eq!(state.timers().len(), 1);

        events.push(Event::PendingJob(Job::FireTimer(1)));
        events.push(paused("second, ignored"));
        let state = RunState::fold(&events);
        assert!(state.timers().is_empty());
        assert_eq!(state.carried_jobs(), vec![Job::FireTimer(1)]);
        assert_eq!(state.paused().map(|p| p.reason.as_str()), Some("why"));

        events.push(Event::Unpaused {
            reason: "back".into(),
            identity: "ops".into(),
            time_ms: 9,
        });
        events.push(Event::TaskStarted { time_ms: 9 });
        let state = RunState::fold(&events);
        assert!(state.paused().is_none());
        assert!(state.carried_jobs().is_empty());
    }

    /// A cancellation recorded while paused is delivered only by the next task.
    #[test]
    fn a_pending_cancellation_is_not_delivered_yet() {
        let events = [
            paused("why"),
            Event::CancelRequested { reason: "r".into() },
            Event::PendingJob(Job::CancelRequested),
        ];
        let state = RunState::fold(&events);
        assert_eq!(
            state.cancel().state(),
            crate::history::machines::CancelState::Requested
        );
    }
}
