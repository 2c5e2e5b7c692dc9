//! `hello`: greets the name it is started with, through the `greet` activity.
//!
//! Input: a name (`"World"`). Result: the greeting (`"Hello, World!"`).

use std::time::Duration;

use example_activities_api::Greet;
use weft_sdk::{workflow, ActivityOptions, WfContext, WfResult};

#[workflow]
pub async fn hello(ctx: WfContext, name: String) -> WfResult<String> {
    let options = ActivityOptions::start_to_close(Duration::from_secs(10));
    Ok(ctx.activity(Greet, name, &options).await?)
}

weft_sdk::export_workflows!(hello);

#[cfg(test)]
mod tests {
    use weft_sdk::testing::{self, Harness};
    use weft_sdk::wit::Command;

    #[test]
    fn greets_through_the_activity() {
        let mut harness = Harness::new::<super::hello>();
        let commands = harness.start(&"World").unwrap();
        let Command::ScheduleActivity(schedule) = &commands[0].command else {
            panic!("{commands:?}")
        };
        assert_eq!(schedule.activity_type, "greet");
        assert_eq!(schedule.input.data, br#""World""#);
        let done = harness
            .activate(vec![testing::complete_activity(1, &"Hello, World!")])
            .unwrap();
        assert_eq!(
            testing::completed::<String>(&done).as_deref(),
            Some("Hello, World!")
        );
    }
}
