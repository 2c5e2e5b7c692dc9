//! Polling a fake external service, two ways: from inside one long activity that
//! heartbeats (`poll_until_ready`), and by letting the retry policy's backoff be the
//! polling interval (`check_status`).

use std::time::Duration;

use example_activities_api::{PollJob, PollReport};
use weft_activity::{ActivityContext, ActivityError};

/// How long the activity waits between polls, on the host's clock.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The fake service: a job's status is ready from its `ready_after`-th poll on. It
/// keeps no state of its own; the poll count travels in the activity's heartbeat
/// details, so it survives retries and host crashes.
fn is_ready(polls: u32, job: &PollJob) -> bool {
    polls >= job.ready_after
}

/// Poll once a second until ready, heartbeating the count after every poll. A retry
/// (after a heartbeat timeout, or a host that died) resumes from the last recorded
/// count; the report says from where.
pub(crate) async fn poll_until_ready(
    ctx: ActivityContext,
    job: PollJob,
) -> Result<PollReport, ActivityError> {
    let resumed_from = ctx.heartbeat_details::<u32>().unwrap_or(0);
    let mut polls = resumed_from;
    loop {
        polls += 1;
        poll_work().await;
        ctx.heartbeat(&polls).map_err(|_| {
            ActivityError::cancelled(format!("poll_until_ready cancelled after {polls} poll(s)"))
        })?;
        if is_ready(polls, &job) {
            return Ok(PollReport {
                polls,
                resumed_from,
                attempt: ctx.attempt,
            });
        }
        ctx.sleep(POLL_INTERVAL).await;
        if ctx.is_shutting_down() {
            // The next host resumes from the last recorded count.
            return Err(ActivityError::retryable(format!(
                "poll_until_ready stopped after {polls} poll(s): the host is shutting down"
            )));
        }
    }
}

/// `WEFT_EXAMPLE_POLL_WORK_MS=<ms>`: every poll takes that long of real time, a
/// stand-in for the request to the service. On a virtual clock, that real time is work
/// in flight (the clock does not skip during it), which leaves a test time to kill a
/// host between two polls.
async fn poll_work() {
    if let Some(ms) = std::env::var("WEFT_EXAMPLE_POLL_WORK_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

/// One look at the status per attempt: the status is ready at attempt `ready_at`.
/// Until then the attempt fails, retryably, and the retry policy decides when to look
/// again. The attempt number is the whole state: the host records it.
pub(crate) async fn check_status(
    ctx: ActivityContext,
    ready_at: u32,
) -> Result<u32, ActivityError> {
    if ctx.attempt >= ready_at {
        Ok(ctx.attempt)
    } else {
        Err(ActivityError::retryable(format!(
            "not ready yet (attempt {} of {ready_at})",
            ctx.attempt
        ))
        .with_type("NotReady"))
    }
}
