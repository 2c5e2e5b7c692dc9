//! `polling-infrequent`: poll an external service every minute, by retry policy.
//!
//! Input: the attempt at which the fake service's status is ready (`4`). Result: that
//! attempt (`4`).
//!
//! The activity `check_status` looks at the status once per attempt and fails
//! (retryably) while it is not ready. The retry policy does the waiting: initial
//! interval 60 s, backoff coefficient 1 (so every wait is 60 s), no attempt limit. Nothing
//! runs between polls, and each failed poll is one `activity-attempt-failed` event in the
//! history (its `retry_at_ms` 60 s after the one before). For polls seconds apart, see
//! `polling-frequent`.

use std::time::Duration;

use example_activities_api::CheckStatus;
use weft_sdk::{workflow, ActivityOptions, RetryPolicy, WfContext, WfResult};

/// Time between two polls.
pub const POLL_INTERVAL: Duration = Duration::from_secs(60);

#[workflow(name = "polling-infrequent")]
pub async fn polling_infrequent(ctx: WfContext, ready_at: u32) -> WfResult<u32> {
    let every_minute = RetryPolicy {
        initial_interval: POLL_INTERVAL,
        backoff_coefficient: 1.0,
        maximum_interval: POLL_INTERVAL,
        maximum_attempts: 0,
        non_retryable_error_types: Vec::new(),
    };
    let options = ActivityOptions::start_to_close(Duration::from_secs(10)).retry(every_minute);
    Ok(ctx.activity(CheckStatus, ready_at, &options).await?)
}

weft_sdk::export_workflows!(polling_infrequent);
