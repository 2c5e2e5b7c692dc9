//! `polling-frequent`: poll an external service often, from inside one activity.
//!
//! Input: a [`PollJob`] (`{"ready_after": 5}`: the fake service's status is ready at the
//! fifth poll). Result: the activity's [`PollReport`] (`{"polls": 5, "resumed_from": 0,
//! "attempt": 1}`).
//!
//! The activity `poll_until_ready` polls once a second (on the host's clock) and
//! heartbeats the poll count after every poll; only its result enters the workflow's
//! history, so a poll every second costs no workflow task. With a heartbeat timeout of
//! 5 s, an activity that hangs is noticed within 5 s and retried; the retry resumes from
//! the count of the last recorded heartbeat (heartbeats are recorded throttled, at most
//! one per 4 s), as it does after a host crash. For polls minutes apart, see
//! `polling-infrequent`.

use std::time::Duration;

use example_activities_api::{PollJob, PollReport, PollUntilReady};
use weft_sdk::{workflow, ActivityOptions, WfContext, WfResult};

/// A poll never takes long: an attempt that has not heartbeated for this long is stuck.
pub const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(5);

#[workflow(name = "polling-frequent")]
pub async fn polling_frequent(ctx: WfContext, job: PollJob) -> WfResult<PollReport> {
    let options =
        ActivityOptions::start_to_close(Duration::from_secs(3600)).heartbeat(HEARTBEAT_TIMEOUT);
    Ok(ctx.activity(PollUntilReady, job, &options).await?)
}

weft_sdk::export_workflows!(polling_frequent);
