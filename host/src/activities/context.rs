//! What an activity sees of the call it serves: who called it, the attempt, the host's
//! clock.

use std::sync::{Arc, Mutex};

use crate::runtime::{Busy, Clock};

/// What an activity knows about the call it serves.
#[derive(Debug, Clone)]
pub struct ActivityContext {
    pub workflow_id: String,
    pub run_id: String,
    pub activity_type: String,
    /// The activity's sequence number within its run.
    pub seq: u32,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The host's clock, and this attempt's mark of work in flight.
    pub(crate) clock: Clock,
    pub(crate) busy: Arc<Mutex<Option<Busy>>>,
}

impl ActivityContext {
    /// A context for calling an activity outside a host (unit tests of activities).
    pub fn detached(activity_type: &str, attempt: u32) -> ActivityContext {
        ActivityContext {
            workflow_id: String::new(),
            run_id: String::new(),
            activity_type: activity_type.to_string(),
            seq: 0,
            attempt,
            clock: Clock::system(),
            busy: Arc::new(Mutex::new(None)),
        }
    }

    /// The host's time, in milliseconds since the Unix epoch (virtual in a test
    /// environment).
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Wait `duration` on the host's clock. In a test environment the virtual clock
    /// skips it (timeouts still apply), where `tokio::time::sleep` would take real time
    /// and hold the clock still.
    pub async fn sleep(&self, duration: std::time::Duration) {
        let held = self.busy.lock().unwrap().take().unwrap_or_else(Busy::none);
        let woke = self
            .clock
            .sleep_releasing(self.clock.after(duration), held)
            .await;
        *self.busy.lock().unwrap() = Some(woke);
    }
}
