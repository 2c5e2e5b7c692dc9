//! Local activities: their command, their own sequence numbers, and their answers.

use std::time::Duration;

use weft_sdk::testing::{self, Harness};
use weft_sdk::wit::Command;
use weft_sdk::{
    workflow, ActivityErrorKind, ActivityOptions, ActivityType, LocalActivityOptions, RetryPolicy,
    WfContext, WfResult,
};

mod common;
use common::describe;

struct Echo;

impl ActivityType for Echo {
    const NAME: &'static str = "echo";
    type Input = String;
    type Output = String;
}

/// An activity, two local activities and another activity, all issued before any is
/// awaited; returns their results joined, or how the first local one failed.
#[workflow]
async fn mixed(ctx: WfContext) -> WfResult<String> {
    let options = ActivityOptions::start_to_close(Duration::from_secs(10));
    let local = LocalActivityOptions::start_to_close(Duration::from_secs(2))
        .schedule_to_close(Duration::from_secs(30))
        .retry(RetryPolicy {
            maximum_attempts: 5,
            ..RetryPolicy::default()
        });
    let a1 = ctx.activity(Echo, "a1".into(), &options);
    let l1 = ctx.local_activity(Echo, "l1".into(), &local);
    let l2 = ctx.local_activity_by_name::<String>("echo", &"l2", &local);
    let a2 = ctx.activity(Echo, "a2".into(), &options);
    let l1 = match l1.await {
        Ok(value) => value,
        Err(error) if error.kind() == ActivityErrorKind::Failed => {
            return Ok(format!("l1 failed: {}", error.message()))
        }
        Err(error) => return Err(error.into()),
    };
    Ok([a1.await?, l1, l2.await?, a2.await?].join(","))
}

#[test]
fn local_activities_count_their_own_sequence_numbers() {
    let mut harness = Harness::new::<mixed>();
    let commands = harness.start(&()).unwrap();
    assert_eq!(
        describe(&commands),
        [
            "activity:1:echo",
            "local-activity:1:echo",
            "local-activity:2:echo",
            "activity:2:echo"
        ]
    );
    let Command::ScheduleLocalActivity(schedule) = &commands[1].command else {
        unreachable!()
    };
    assert_eq!(String::from_utf8_lossy(&schedule.input.data), r#""l1""#);
    let options = &schedule.options;
    assert_eq!(options.start_to_close_timeout_ms, 2_000);
    assert_eq!(options.schedule_to_close_timeout_ms, Some(30_000));
    assert_eq!(options.task_queue, None);
    assert_eq!(options.heartbeat_timeout_ms, None);
    assert_eq!(options.retry_policy.as_ref().unwrap().maximum_attempts, 5);

    // Local activity 1 and activity 1 are different operations.
    let step = harness
        .activate(vec![
            testing::complete_local_activity(1, &"L1"),
            testing::complete_local_activity(2, &"L2"),
            testing::complete_activity(1, &"A1"),
        ])
        .unwrap();
    assert!(step.is_empty());
    let done = harness
        .activate(vec![testing::complete_activity(2, &"A2")])
        .unwrap();
    assert_eq!(
        testing::completed::<String>(&done).as_deref(),
        Some("A1,L1,L2,A2")
    );
}

#[test]
fn a_failed_local_activity_reaches_the_workflow() {
    let mut harness = Harness::new::<mixed>();
    harness.start(&()).unwrap();
    let commands = harness
        .activate(vec![testing::fail_local_activity(
            1,
            "attempt 5 failed",
            "Boom",
        )])
        .unwrap();
    // Returning drops the other three futures (in reverse order of declaration, as Rust
    // drops locals): the activities are cancelled, the local one needs no command.
    assert_eq!(
        describe(&commands),
        [
            "cancel-activity:2",
            "cancel-activity:1",
            "complete:\"l1 failed: attempt 5 failed\""
        ]
    );
}

#[test]
fn answers_for_local_activities_are_checked_apart() {
    let mut harness = Harness::new::<mixed>();
    harness.start(&()).unwrap();
    let error = harness
        .activate(vec![testing::complete_local_activity(3, &"x")])
        .unwrap_err();
    assert!(
        error
            .message
            .contains("`resolve-local-activity` for seq 3: sequence number 3 was never issued"),
        "{}",
        error.message
    );
    let error = harness
        .activate(vec![
            testing::complete_local_activity(1, &"x"),
            testing::complete_local_activity(1, &"y"),
        ])
        .unwrap_err();
    assert!(
        error.message.contains("delivered twice"),
        "{}",
        error.message
    );
}
