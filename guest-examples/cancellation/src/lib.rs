//! `cancellation`: a workflow that cleans up when it is cancelled.
//!
//! Input: none (`null`). It runs the activity `never_complete` (heartbeat timeout 5 s,
//! start-to-close 1 h, one attempt, cancellation type `WaitCancellationCompleted`), which
//! only ends when it is cancelled. When the workflow's cancellation is requested, the SDK
//! issues `request-cancel-activity` and waits for the activity to report that it stopped;
//! the workflow then runs the activity `cleanup` (input: `"workflow cancelled"`) and
//! returns the cancellation, so the run ends with `cancel-workflow-confirmed`.
//!
//! Activities it needs from the host: `never_complete` (input `null`, heartbeats until
//! cancelled) and `cleanup` (input a string, any result).

use std::time::Duration;

use serde::de::IgnoredAny;
use weft_sdk::{
    workflow, ActivityCancellationType, ActivityOptions, RetryPolicy, WfContext, WfResult,
};

/// What `cleanup` is told: why it runs.
pub const CLEANUP_REASON: &str = "workflow cancelled";

#[workflow]
pub async fn cancellation(ctx: WfContext) -> WfResult<()> {
    let options = ActivityOptions::start_to_close(Duration::from_secs(3600))
        .heartbeat(Duration::from_secs(5))
        .retry(RetryPolicy::no_retries())
        .cancellation_type(ActivityCancellationType::WaitCancellationCompleted);
    match ctx
        .activity_by_name::<IgnoredAny>("never_complete", &(), &options)
        .await
    {
        Err(error) if error.is_cancelled() => {
            // The cleanup scope: started after the request, so it runs to its end.
            let cleanup = ActivityOptions::start_to_close(Duration::from_secs(30));
            ctx.activity_by_name::<IgnoredAny>("cleanup", &CLEANUP_REASON, &cleanup)
                .await?;
            Err(error.into())
        }
        Err(error) => Err(error.into()),
        Ok(_) => Ok(()),
    }
}

weft_sdk::export_workflows!(cancellation);

#[cfg(test)]
mod tests {
    use weft_sdk::testing::{self, Harness};
    use weft_sdk::wit::Command;

    #[test]
    fn cleans_up_and_confirms_the_cancellation() {
        let mut harness = Harness::new::<super::cancellation>();
        let started = harness.start(&()).unwrap();
        let Command::ScheduleActivity(never) = &started[0].command else {
            panic!("expected schedule-activity, got {started:?}");
        };
        assert_eq!(never.activity_type, "never_complete");
        assert_eq!(never.options.heartbeat_timeout_ms, Some(5_000));
        // The request: the activity is asked to cancel, and the workflow waits for it.
        let step = harness.cancel().unwrap();
        assert_eq!(step.len(), 1);
        assert_eq!(step[0].command, Command::RequestCancelActivity(1));
        let step = harness.activate(vec![testing::cancel_activity(1)]).unwrap();
        let Command::ScheduleActivity(cleanup) = &step[0].command else {
            panic!("expected the cleanup activity, got {step:?}");
        };
        assert_eq!(cleanup.activity_type, "cleanup");
        assert_eq!(cleanup.input.data, br#""workflow cancelled""#);
        let done = harness
            .activate(vec![testing::complete_activity(2, &())])
            .unwrap();
        assert!(testing::cancel_confirmed(&done));
    }
}
