//! `sequence`: three activities, each fed the previous one's result.
//!
//! Input: a string `s`. Result: `greet(reverse(to_upper(s)))`; for `"abc"`,
//! `"Hello, CBA!"`.

use std::time::Duration;

use example_activities_api::{Greet, Reverse, ToUpper};
use weft_sdk::{workflow, ActivityOptions, WfContext, WfResult};

#[workflow]
pub async fn sequence(ctx: WfContext, s: String) -> WfResult<String> {
    let options = ActivityOptions::start_to_close(Duration::from_secs(10));
    let upper = ctx.activity(ToUpper, s, &options).await?;
    let reversed = ctx.activity(Reverse, upper, &options).await?;
    Ok(ctx.activity(Greet, reversed, &options).await?)
}

weft_sdk::export_workflows!(sequence);

#[cfg(test)]
mod tests {
    use weft_sdk::testing::{self, Harness};
    use weft_sdk::wit::{Command, IssuedCommand};

    fn scheduled(commands: &[IssuedCommand]) -> (u32, String, String) {
        match commands {
            [IssuedCommand {
                command: Command::ScheduleActivity(s),
                ..
            }] => (
                s.seq,
                s.activity_type.clone(),
                String::from_utf8(s.input.data.clone()).unwrap(),
            ),
            other => panic!("expected one schedule-activity, got {other:?}"),
        }
    }

    #[test]
    fn runs_the_three_activities_in_order() {
        let mut harness = Harness::new::<super::sequence>();
        let step = harness.start(&"abc").unwrap();
        assert_eq!(scheduled(&step), (1, "to_upper".into(), r#""abc""#.into()));
        let step = harness
            .activate(vec![testing::complete_activity(1, &"ABC")])
            .unwrap();
        assert_eq!(scheduled(&step), (2, "reverse".into(), r#""ABC""#.into()));
        let step = harness
            .activate(vec![testing::complete_activity(2, &"CBA")])
            .unwrap();
        assert_eq!(scheduled(&step), (3, "greet".into(), r#""CBA""#.into()));
        let done = harness
            .activate(vec![testing::complete_activity(3, &"Hello, CBA!")])
            .unwrap();
        assert_eq!(
            testing::completed::<String>(&done).as_deref(),
            Some("Hello, CBA!")
        );
    }
}
