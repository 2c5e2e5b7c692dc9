//! `fanout`: `n` activities in parallel, joined.
//!
//! Input: `{"n": N}`. Schedules `square(i)` for every `i` in `0..N` at once and waits for
//! all of them. Result: `{"sum": 0² + 1² + … + (N-1)²}`.

use std::time::Duration;

use example_activities_api::Square;
use serde::{Deserialize, Serialize};
use weft_sdk::{join_all, workflow, ActivityOptions, WfContext, WfResult};

/// The workflow's input.
#[derive(Debug, Serialize, Deserialize)]
pub struct FanoutInput {
    /// How many activities to run.
    pub n: u64,
}

/// The workflow's result.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FanoutOutput {
    /// The sum of the squares.
    pub sum: u64,
}

#[workflow]
pub async fn fanout(ctx: WfContext, input: FanoutInput) -> WfResult<FanoutOutput> {
    let options = ActivityOptions::start_to_close(Duration::from_secs(10));
    let squares = join_all((0..input.n).map(|i| ctx.activity(Square, i, &options))).await;
    let mut sum = 0;
    for square in squares {
        sum += square?;
    }
    Ok(FanoutOutput { sum })
}

weft_sdk::export_workflows!(fanout);

#[cfg(test)]
mod tests {
    use super::*;
    use weft_sdk::testing::{self, Harness};
    use weft_sdk::wit::Command;

    #[test]
    fn schedules_all_squares_at_once_and_sums_them() {
        let mut harness = Harness::new::<fanout>();
        let commands = harness.start(&FanoutInput { n: 5 }).unwrap();
        let inputs: Vec<(u32, String)> = commands
            .iter()
            .map(|c| match &c.command {
                Command::ScheduleActivity(s) => {
                    assert_eq!(s.activity_type, "square");
                    (s.seq, String::from_utf8(s.input.data.clone()).unwrap())
                }
                other => panic!("{other:?}"),
            })
            .collect();
        let expected: Vec<(u32, String)> = (0..5u32).map(|i| (i + 1, i.to_string())).collect();
        assert_eq!(inputs, expected);
        let jobs = (0..5u64)
            .rev()
            .map(|i| testing::complete_activity(i as u32 + 1, &(i * i)))
            .collect();
        let done = harness.activate(jobs).unwrap();
        assert_eq!(
            testing::completed::<FanoutOutput>(&done),
            Some(FanoutOutput { sum: 30 })
        );
    }

    #[test]
    fn zero_completes_at_once() {
        let mut harness = Harness::new::<fanout>();
        let done = harness.start(&FanoutInput { n: 0 }).unwrap();
        assert_eq!(
            testing::completed::<FanoutOutput>(&done),
            Some(FanoutOutput { sum: 0 })
        );
    }
}
