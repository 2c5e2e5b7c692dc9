//! What an activity sees of the call it serves: who called it, the attempt, the host's
//! clock, heartbeats, and whether it should stop (cancelled by its workflow, or the host
//! shutting down).
//!
//! # Heartbeats and their throttling
//!
//! [`ActivityContext::heartbeat`] is cheap: every call resets the heartbeat timeout (the
//! runtime watches it in memory), but only some are written to the history. The first
//! heartbeat of an attempt is recorded at once; after that at most one per throttle
//! interval, and the last details held back are recorded when the interval ends (or when
//! the attempt fails, so the next attempt sees them). The interval is 80% of the
//! heartbeat timeout, or 30 s without one, and never more than 60 s (Temporal's
//! numbers), so a host that crashes loses at most one interval of progress.

use crate::custom_metrics::CustomMetrics;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::watch;

use super::ActivityError;
use crate::clock::{Busy, Clock};
use crate::history::vocab::Encoding;
use crate::history::Payload;

/// Heartbeat throttle without a heartbeat timeout.
const DEFAULT_THROTTLE_MS: u64 = 30_000;
/// Longest heartbeat throttle.
const MAX_THROTTLE_MS: u64 = 60_000;

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
    #[doc(hidden)]
    pub clock: Clock,
    #[doc(hidden)]
    pub busy: Arc<Mutex<Option<Busy>>>,
    #[doc(hidden)]
    pub beats: Arc<Mutex<Beats>>,
    #[doc(hidden)]
    pub stop: Stop,
    #[doc(hidden)]
    pub metrics: CustomMetrics,
}

/// Why an activity should stop, as the runtime tells it.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct Stop {
    /// Its workflow asked for it to be cancelled (or its run closed).
    pub cancel: watch::Receiver<bool>,
    /// The host is shutting down.
    pub shutdown: watch::Receiver<bool>,
}

impl Stop {
    /// Nothing will ever ask to stop.
    pub fn never() -> Stop {
        Stop {
            cancel: watch::channel(false).1,
            shutdown: watch::channel(false).1,
        }
    }
}

/// A heartbeat to record, as an attempt's context reports it (throttled).
#[derive(Debug)]
pub struct Heartbeat {
    pub seq: u32,
    pub attempt: u32,
    pub details: Option<Payload>,
    pub time_ms: u64,
    /// Work in flight until the heartbeat is recorded.
    pub busy: Busy,
}

/// Where an attempt's heartbeats go to be recorded: the runtime that runs the attempt
/// implements it (an activity crate never sees it).
pub trait HeartbeatReport: Send + Sync + std::fmt::Debug {
    fn report(&self, beat: Heartbeat);
}

/// The heartbeats of one attempt.
#[doc(hidden)]
#[derive(Debug)]
pub struct Beats {
    /// The latest details (of this attempt, or carried from an earlier one).
    pub details: Option<Payload>,
    /// When the attempt last heartbeated (its start before the first heartbeat).
    pub last_beat_ms: u64,
    /// When a heartbeat was last sent to be recorded.
    last_sent_ms: Option<u64>,
    /// Details newer than the last recorded ones wait for the throttle.
    pub unsent: bool,
    pub throttle_ms: u64,
    /// Where recorded heartbeats go (none for a detached context).
    report: Option<Arc<dyn HeartbeatReport>>,
}

impl Beats {
    /// The heartbeats of an attempt that started at `started_ms`, with the details of
    /// the attempts before it.
    pub fn new(
        started_ms: u64,
        details: Option<Payload>,
        heartbeat_timeout_ms: Option<u64>,
        report: Option<Arc<dyn HeartbeatReport>>,
    ) -> Beats {
        let throttle_ms = heartbeat_timeout_ms
            .map_or(DEFAULT_THROTTLE_MS, |t| t / 5 * 4)
            .clamp(1, MAX_THROTTLE_MS);
        Beats {
            details,
            last_beat_ms: started_ms,
            last_sent_ms: None,
            unsent: false,
            throttle_ms,
            report,
        }
    }

    /// When the attempt times out without another heartbeat, under `timeout_ms`.
    pub fn heartbeat_deadline(&self, timeout_ms: Option<u64>) -> Option<u64> {
        timeout_ms.map(|t| self.last_beat_ms.saturating_add(t.max(1)))
    }

    /// When the held-back details are due to be recorded.
    pub fn flush_at(&self) -> Option<u64> {
        match (self.unsent, self.last_sent_ms) {
            (true, Some(sent)) => Some(sent.saturating_add(self.throttle_ms)),
            (true, None) => Some(0),
            _ => None,
        }
    }

    /// Send the latest details to be recorded.
    pub fn send(&mut self, seq: u32, attempt: u32, clock: &Clock) {
        let now = clock.now_ms();
        self.last_sent_ms = Some(now);
        self.unsent = false;
        if let Some(report) = &self.report {
            report.report(Heartbeat {
                seq,
                attempt,
                details: self.details.clone(),
                time_ms: now,
                busy: clock.busy(),
            });
        }
    }
}

impl ActivityContext {
    /// A context for calling an activity outside a host (unit tests of activities).
    pub fn detached(activity_type: &str, attempt: u32) -> ActivityContext {
        let clock = Clock::system();
        ActivityContext {
            workflow_id: String::new(),
            run_id: String::new(),
            activity_type: activity_type.to_string(),
            seq: 0,
            attempt,
            beats: Arc::new(Mutex::new(Beats::new(clock.now_ms(), None, None, None))),
            clock,
            busy: Arc::new(Mutex::new(None)),
            stop: Stop::never(),
            metrics: CustomMetrics::default(),
        }
    }

    /// The host's custom metrics: counters, gauges and histograms made on first use
    /// and served by `GET /metrics` beside the host's own
    /// (`ctx.metrics().add("emails_sent", 1.0, &[("template", "welcome")])`).
    pub fn metrics(&self) -> &CustomMetrics {
        &self.metrics
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

    /// Report progress: resets the heartbeat timeout, and `details` are what the next
    /// attempt reads with [`ActivityContext::heartbeat_details`] if this one fails
    /// (recorded throttled, see the module's documentation). Returns an error once the
    /// activity is cancelled, so `ctx.heartbeat(&progress)?` stops a cancelled activity
    /// at its next heartbeat.
    ///
    /// ```
    /// # async fn demo(ctx: weft_activity::ActivityContext) -> Result<u64, weft_activity::ActivityError> {
    /// let start = ctx.heartbeat_details::<u64>().unwrap_or(0);
    /// for page in start..100 {
    ///     // ... process one page ...
    ///     ctx.heartbeat(&(page + 1))?;
    /// }
    /// # Ok(100)
    /// # }
    /// ```
    pub fn heartbeat(&self, details: &impl Serialize) -> Result<(), ActivityError> {
        let data = serde_json::to_vec(details).map_err(|e| {
            ActivityError::non_retryable(format!("heartbeat details do not encode: {e}"))
        })?;
        let now = self.clock.now_ms();
        let mut beats = self.beats.lock().unwrap();
        beats.last_beat_ms = now;
        beats.details = Some(Payload {
            encoding: Encoding::Json,
            data,
        });
        beats.unsent = true;
        if beats.flush_at().is_some_and(|at| at <= now) {
            beats.send(self.seq, self.attempt, &self.clock);
        }
        drop(beats);
        if self.is_cancelled() {
            return Err(ActivityError::cancelled(
                "the workflow cancelled the activity",
            ));
        }
        Ok(())
    }

    /// The details of the last heartbeat before this attempt (or of this attempt),
    /// if any decode as `T`.
    pub fn heartbeat_details<T: DeserializeOwned>(&self) -> Option<T> {
        let beats = self.beats.lock().unwrap();
        let details = beats.details.as_ref()?;
        serde_json::from_slice(&details.data).ok()
    }

    /// Whether the workflow asked for this activity to be cancelled (or its run
    /// closed). The activity may clean up and return
    /// [`ActivityError::cancelled`]; one that goes on is stopped by its timeouts.
    pub fn is_cancelled(&self) -> bool {
        *self.stop.cancel.borrow()
    }

    /// Resolves once the activity is cancelled (never for a detached context).
    pub async fn cancelled(&self) {
        let mut cancel = self.stop.cancel.clone();
        if cancel.wait_for(|c| *c).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Whether the host is shutting down: the activity has the host's grace period to
    /// finish; what does not finish is retried by the host that comes next.
    pub fn is_shutting_down(&self) -> bool {
        *self.stop.shutdown.borrow()
    }

    /// Resolves once the host starts shutting down.
    pub async fn shutting_down(&self) {
        let mut shutdown = self.stop.shutdown.clone();
        if shutdown.wait_for(|s| *s).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
