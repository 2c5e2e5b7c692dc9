//! Local activities: the example activities run by the workflow's own host, each answered
//! within the workflow's step instead of through a task queue.
//!
//! - `local-activity`: input a string `s`; runs `to_upper`, `reverse` and `greet` as
//!   local activities, one after another, and returns every step
//!   (`{"upper": "ABC", "reversed": "CBA", "greeting": "Hello, CBA!"}` for `"abc"`).
//! - `sequence-local`: exactly `sequence`'s workflow (`greet(reverse(to_upper(s)))`)
//!   with local activities, to compare the two in a benchmark.

use std::time::Duration;

use example_activities_api::{Greet, Reverse, ToUpper};
use serde::{Deserialize, Serialize};
use weft_sdk::{workflow, LocalActivityOptions, WfContext, WfResult};

/// Every step of `local-activity`.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Steps {
    pub upper: String,
    pub reversed: String,
    pub greeting: String,
}

fn options() -> LocalActivityOptions {
    LocalActivityOptions::start_to_close(Duration::from_secs(10))
}

#[workflow(name = "local-activity")]
pub async fn local_activity(ctx: WfContext, s: String) -> WfResult<Steps> {
    let upper = ctx.local_activity(ToUpper, s, &options()).await?;
    let reversed = ctx
        .local_activity(Reverse, upper.clone(), &options())
        .await?;
    let greeting = ctx
        .local_activity(Greet, reversed.clone(), &options())
        .await?;
    Ok(Steps {
        upper,
        reversed,
        greeting,
    })
}

#[workflow(name = "sequence-local")]
pub async fn sequence_local(ctx: WfContext, s: String) -> WfResult<String> {
    let options = options();
    let upper = ctx.local_activity(ToUpper, s, &options).await?;
    let reversed = ctx.local_activity(Reverse, upper, &options).await?;
    Ok(ctx.local_activity(Greet, reversed, &options).await?)
}

weft_sdk::export_workflows!(local_activity, sequence_local);

#[cfg(test)]
mod tests {
    use weft_sdk::testing::{self, Harness};
    use weft_sdk::wit::{Command, IssuedCommand};

    fn scheduled(commands: &[IssuedCommand]) -> (u32, String) {
        match commands {
            [IssuedCommand {
                command: Command::ScheduleLocalActivity(s),
                ..
            }] => (s.seq, s.activity_type.clone()),
            other => panic!("expected one schedule-local-activity, got {other:?}"),
        }
    }

    #[test]
    fn runs_the_three_local_activities_in_order() {
        let mut harness = Harness::new::<super::local_activity>();
        assert_eq!(
            scheduled(&harness.start(&"abc").unwrap()),
            (1, "to_upper".into())
        );
        let step = harness
            .activate(vec![testing::complete_local_activity(1, &"ABC")])
            .unwrap();
        assert_eq!(scheduled(&step), (2, "reverse".into()));
        let step = harness
            .activate(vec![testing::complete_local_activity(2, &"CBA")])
            .unwrap();
        assert_eq!(scheduled(&step), (3, "greet".into()));
        let done = harness
            .activate(vec![testing::complete_local_activity(3, &"Hello, CBA!")])
            .unwrap();
        assert_eq!(
            testing::completed::<super::Steps>(&done).unwrap(),
            super::Steps {
                upper: "ABC".into(),
                reversed: "CBA".into(),
                greeting: "Hello, CBA!".into(),
            }
        );
    }

    #[test]
    fn sequence_local_is_sequence_with_local_activities() {
        let mut harness = Harness::new::<super::sequence_local>();
        harness.start(&"abc").unwrap();
        harness
            .activate(vec![testing::complete_local_activity(1, &"ABC")])
            .unwrap();
        harness
            .activate(vec![testing::complete_local_activity(2, &"CBA")])
            .unwrap();
        let done = harness
            .activate(vec![testing::complete_local_activity(3, &"Hello, CBA!")])
            .unwrap();
        assert_eq!(
            testing::completed::<String>(&done).as_deref(),
            Some("Hello, CBA!")
        );
    }
}
