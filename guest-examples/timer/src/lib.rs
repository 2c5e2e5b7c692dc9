//! `timer`: sleeps on a durable timer, then greets.
//!
//! Input: `{"seconds": N}`. Result: `{"slept_ms": <workflow time slept>, "greeting":
//! "Hello, timer!"}`. The time slept is measured with `ctx.now()`, the recorded time of
//! each activation, so it is at least `N * 1000` and the same on every replay.

use std::time::Duration;

use example_activities_api::Greet;
use serde::{Deserialize, Serialize};
use weft_sdk::{workflow, ActivityOptions, WfContext, WfResult, WorkflowError};

/// The workflow's input.
#[derive(Debug, Serialize, Deserialize)]
pub struct TimerInput {
    /// How long to sleep.
    pub seconds: u64,
}

/// The workflow's result.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimerOutput {
    /// Workflow time between before and after the sleep, in milliseconds.
    pub slept_ms: u64,
    /// What `greet("timer")` returned.
    pub greeting: String,
}

#[workflow]
pub async fn timer(ctx: WfContext, input: TimerInput) -> WfResult<TimerOutput> {
    let options = ActivityOptions::start_to_close(Duration::from_secs(10));
    let before = ctx.now();
    ctx.sleep(Duration::from_secs(input.seconds)).await?;
    let slept = ctx
        .now()
        .duration_since(before)
        .map_err(|_| WorkflowError::new("workflow time went backwards across the sleep"))?;
    let greeting = ctx.activity(Greet, "timer".to_owned(), &options).await?;
    Ok(TimerOutput {
        slept_ms: u64::try_from(slept.as_millis()).unwrap_or(u64::MAX),
        greeting,
    })
}

weft_sdk::export_workflows!(timer);

#[cfg(test)]
mod tests {
    use super::*;
    use weft_sdk::testing::{self, Harness};
    use weft_sdk::wit::Command;

    #[test]
    fn sleeps_then_greets() {
        let mut harness = Harness::new::<timer>();
        let commands = harness.start(&TimerInput { seconds: 2 }).unwrap();
        assert!(matches!(
            &commands[..],
            [c] if matches!(c.command, Command::StartTimer(t) if t.seq == 1 && t.duration_ms == 2000)
        ));
        harness.advance(Duration::from_millis(2005));
        let commands = harness.activate(vec![testing::fire_timer(1)]).unwrap();
        assert!(matches!(
            &commands[..],
            [c] if matches!(&c.command, Command::ScheduleActivity(s) if s.activity_type == "greet")
        ));
        let done = harness
            .activate(vec![testing::complete_activity(1, &"Hello, timer!")])
            .unwrap();
        assert_eq!(
            testing::completed::<TimerOutput>(&done),
            Some(TimerOutput {
                slept_ms: 2005,
                greeting: "Hello, timer!".into()
            })
        );
    }
}
