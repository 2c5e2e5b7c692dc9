//! `schedule`: the workflows a schedule starts (see `weft schedule --help` and the
//! guide, docs/guide/schedules.md).
//!
//! - `echo`: returns its input (`"arg1"` → `"arg1"`); each scheduled run is short.
//! - `report`: works for `minutes` of workflow time (a durable timer), then returns a
//!   line naming the report. A schedule that fires more often than that overlaps its
//!   own runs, which is where the overlap policies matter.
//! - `cron_run`: a run of a cron chain (`weft start cron_run --cron '@every 2s' --input
//!   '"@every 2s"'`): returns the cron schedule its info reports when that is its
//!   input, and fails otherwise (Temporal's `schedule/cron` checks the same).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use weft_sdk::{workflow, WfContext, WfResult, WorkflowError};

#[workflow]
pub async fn echo(_ctx: WfContext, input: String) -> WfResult<String> {
    Ok(input)
}

/// What `report` works on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportInput {
    pub name: String,
    /// How long the report takes, in minutes of workflow time.
    pub minutes: u64,
}

#[workflow]
pub async fn report(ctx: WfContext, input: ReportInput) -> WfResult<String> {
    ctx.sleep(Duration::from_secs(input.minutes * 60)).await?;
    Ok(format!("report {} done", input.name))
}

#[workflow]
pub async fn cron_run(ctx: WfContext, expected: String) -> WfResult<String> {
    match &ctx.info().cron_schedule {
        Some(spec) if *spec == expected => Ok(spec.clone()),
        other => Err(WorkflowError::new(format!(
            "expected the cron schedule {expected:?}, the info reports {other:?}"
        ))),
    }
}

weft_sdk::export_workflows!(echo, report, cron_run);

#[cfg(test)]
mod tests {
    use weft_sdk::testing::{self, Harness};
    use weft_sdk::wit::Command;

    #[test]
    fn echo_returns_its_input() {
        let mut harness = Harness::new::<super::echo>();
        let done = harness.start(&"arg1").unwrap();
        assert_eq!(testing::completed::<String>(&done).as_deref(), Some("arg1"));
    }

    #[test]
    fn cron_run_checks_its_info() {
        let mut harness = Harness::new::<super::cron_run>();
        harness.cron_schedule("@every 2s");
        let done = harness.start(&"@every 2s").unwrap();
        assert_eq!(
            testing::completed::<String>(&done).as_deref(),
            Some("@every 2s")
        );
        let mut harness = Harness::new::<super::cron_run>();
        let failed = harness.start(&"@every 2s").unwrap();
        assert!(testing::failed(&failed).is_some());
    }

    #[test]
    fn report_works_on_a_timer() {
        let mut harness = Harness::new::<super::report>();
        let input = super::ReportInput {
            name: "sales".into(),
            minutes: 5,
        };
        let commands = harness.start(&input).unwrap();
        let Command::StartTimer(timer) = &commands[0].command else {
            panic!("{commands:?}")
        };
        assert_eq!(timer.duration_ms, 300_000);
        let done = harness
            .activate(vec![testing::fire_timer(timer.seq)])
            .unwrap();
        assert_eq!(
            testing::completed::<String>(&done).as_deref(),
            Some("report sales done")
        );
    }
}
