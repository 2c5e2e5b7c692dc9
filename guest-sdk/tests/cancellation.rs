//! Cancellation: of one activity or timer (explicit, or by dropping its future), and of
//! the whole workflow (`cancel-requested`), with the commands each issues, how the
//! futures resolve, what the run ends with, and replays that issue the same commands.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use weft_sdk::testing::{self, Harness};
use weft_sdk::wit::{Command, IssuedCommand, Job};
use weft_sdk::{
    join, select, workflow, ActivityCancellationType, ActivityError, ActivityOptions,
    LocalActivityOptions, WfContext, WfResult, Workflow, WorkflowError,
};

mod common;

/// [`common::describe`], with the workflow's result or failure left out.
fn describe(commands: &[IssuedCommand]) -> Vec<String> {
    common::describe(commands)
        .into_iter()
        .map(|text| match text.split_once(':') {
            Some((kind @ ("complete" | "fail"), _)) => kind.to_owned(),
            _ => text,
        })
        .collect()
}

fn options(cancellation: ActivityCancellationType) -> ActivityOptions {
    ActivityOptions::start_to_close(Duration::from_secs(60)).cancellation_type(cancellation)
}

fn local_options(cancellation: ActivityCancellationType) -> LocalActivityOptions {
    LocalActivityOptions::start_to_close(Duration::from_secs(60)).cancellation_type(cancellation)
}

/// How an activity ended, as a test can compare it.
fn outcome(result: Result<String, ActivityError>) -> String {
    match result {
        Ok(value) => format!("ok: {value}"),
        Err(error) if error.is_cancelled() => "cancelled".to_owned(),
        Err(error) => format!("{:?}: {}", error.kind(), error.message()),
    }
}

/// Runs `steps` (the jobs of each activation after the start) live, then again in a
/// fresh instance as a replay; both must issue the same commands. Returns them.
fn run_and_replay<W: Workflow>(
    input: &impl Serialize,
    steps: &[Vec<Job>],
) -> Vec<Vec<IssuedCommand>> {
    let run = |replaying: bool| {
        let mut harness = Harness::new::<W>();
        harness.set_replaying(replaying);
        let mut all = vec![harness.start(input).unwrap()];
        for jobs in steps {
            all.push(harness.activate(jobs.clone()).unwrap());
        }
        all
    };
    let live = run(false);
    assert_eq!(
        live,
        run(true),
        "a replay of the same jobs issued other commands"
    );
    live
}

#[derive(Serialize, Deserialize)]
struct Plan {
    cancellation: Cancellation,
    local: bool,
}

#[derive(Serialize, Deserialize, Clone, Copy)]
enum Cancellation {
    Try,
    Wait,
    Abandon,
}

impl From<Cancellation> for ActivityCancellationType {
    fn from(value: Cancellation) -> Self {
        match value {
            Cancellation::Try => Self::TryCancel,
            Cancellation::Wait => Self::WaitCancellationCompleted,
            Cancellation::Abandon => Self::Abandon,
        }
    }
}

/// Schedules an activity (or a local activity) and a timer; when the timer fires,
/// cancels the activity and returns how it ended.
#[workflow]
async fn cancel_on_timer(ctx: WfContext, plan: Plan) -> WfResult<String> {
    let cancellation = plan.cancellation.into();
    let mut activity = if plan.local {
        ctx.local_activity_by_name::<String>("work", &(), &local_options(cancellation))
    } else {
        ctx.activity_by_name::<String>("work", &(), &options(cancellation))
    };
    ctx.sleep(Duration::from_secs(1)).await?;
    activity.cancel();
    // A second cancel does nothing.
    activity.cancel();
    Ok(outcome(activity.await))
}

fn plan(cancellation: Cancellation, local: bool) -> Plan {
    Plan {
        cancellation,
        local,
    }
}

#[test]
fn try_cancel_requests_cancellation_and_resolves_at_once() {
    let steps = [
        vec![testing::fire_timer(1)],
        // The host's answer comes later: accepted, ignored.
        vec![testing::cancel_activity(1)],
    ];
    let commands = run_and_replay::<cancel_on_timer>(&plan(Cancellation::Try, false), &steps);
    assert_eq!(describe(&commands[0]), ["activity:1:work", "timer:1:1000"]);
    assert_eq!(describe(&commands[1]), ["cancel-activity:1", "complete"]);
    assert_eq!(
        testing::completed::<String>(&commands[1]).unwrap(),
        "cancelled"
    );
    assert!(commands[2].is_empty());
}

#[test]
fn the_explicit_cancel_is_located_at_its_call() {
    let mut harness = Harness::new::<cancel_on_timer>();
    harness.start(&plan(Cancellation::Try, false)).unwrap();
    let commands = harness.activate(vec![testing::fire_timer(1)]).unwrap();
    let location = commands[0].location.as_ref().unwrap();
    assert!(location.file.ends_with("tests/cancellation.rs"));
    let source = include_str!("cancellation.rs");
    let line = source.lines().nth(location.line as usize - 1).unwrap();
    assert_eq!(line.trim(), "activity.cancel();");
}

#[test]
fn wait_cancellation_completed_waits_for_the_host() {
    let steps = [
        vec![testing::fire_timer(1)],
        vec![testing::cancel_activity(1)],
    ];
    let commands = run_and_replay::<cancel_on_timer>(&plan(Cancellation::Wait, false), &steps);
    // One command, though `cancel` was called twice; the future still waits.
    assert_eq!(describe(&commands[1]), ["cancel-activity:1"]);
    assert_eq!(
        testing::completed::<String>(&commands[2]).unwrap(),
        "cancelled"
    );
}

#[test]
fn wait_cancellation_completed_takes_a_result_that_came_anyway() {
    let steps = [
        vec![testing::fire_timer(1)],
        vec![testing::complete_activity(1, &"finished first")],
    ];
    let commands = run_and_replay::<cancel_on_timer>(&plan(Cancellation::Wait, false), &steps);
    assert_eq!(
        testing::completed::<String>(&commands[2]).unwrap(),
        "ok: finished first"
    );
}

#[test]
fn abandon_tells_the_host_nothing() {
    let steps = [
        vec![testing::fire_timer(1)],
        vec![testing::complete_activity(1, &"ignored")],
    ];
    let commands = run_and_replay::<cancel_on_timer>(&plan(Cancellation::Abandon, false), &steps);
    assert_eq!(describe(&commands[1]), ["complete"]);
    assert_eq!(
        testing::completed::<String>(&commands[1]).unwrap(),
        "cancelled"
    );
    assert!(commands[2].is_empty());
}

#[test]
fn cancelling_a_resolved_activity_does_nothing() {
    // The result and the timer arrive together: the result is there before `cancel`.
    let steps = [vec![
        testing::complete_activity(1, &"done"),
        testing::fire_timer(1),
    ]];
    let commands = run_and_replay::<cancel_on_timer>(&plan(Cancellation::Try, false), &steps);
    assert_eq!(describe(&commands[1]), ["complete"]);
    assert_eq!(
        testing::completed::<String>(&commands[1]).unwrap(),
        "ok: done"
    );
}

#[test]
fn local_activities_are_cancelled_without_a_command() {
    for cancellation in [Cancellation::Try, Cancellation::Abandon] {
        let steps = [
            vec![testing::fire_timer(1)],
            vec![testing::complete_local_activity(1, &"ignored")],
        ];
        let commands = run_and_replay::<cancel_on_timer>(&plan(cancellation, true), &steps);
        assert_eq!(
            describe(&commands[0]),
            ["local-activity:1:work", "timer:1:1000"]
        );
        assert_eq!(describe(&commands[1]), ["complete"]);
        assert_eq!(
            testing::completed::<String>(&commands[1]).unwrap(),
            "cancelled"
        );
        assert!(commands[2].is_empty());
    }
    // `WaitCancellationCompleted`: no command either, but it waits for the host.
    let steps = [
        vec![testing::fire_timer(1)],
        vec![testing::complete_local_activity(1, &"ran to its end")],
    ];
    let commands = run_and_replay::<cancel_on_timer>(&plan(Cancellation::Wait, true), &steps);
    assert!(commands[1].is_empty());
    assert_eq!(
        testing::completed::<String>(&commands[2]).unwrap(),
        "ok: ran to its end"
    );
}

/// Races an abandoned activity against a timer: the loser is dropped.
#[workflow]
async fn race_abandoned(ctx: WfContext) -> WfResult<String> {
    let mut activity =
        ctx.activity_by_name::<String>("slow", &(), &options(ActivityCancellationType::Abandon));
    let mut timer = ctx.sleep(Duration::from_secs(5));
    select! {
        result = activity => Ok(result?),
        fired = timer => Ok(format!("timer: {fired:?}")),
    }
}

#[test]
fn dropping_cancels_by_the_cancellation_type() {
    // The timer loses: it is cancelled (`cancel-timer`), at the line that started it.
    let commands =
        run_and_replay::<race_abandoned>(&(), &[vec![testing::complete_activity(1, &"fast")]]);
    assert_eq!(describe(&commands[1]), ["cancel-timer:1", "complete"]);
    let source = include_str!("cancellation.rs");
    let line = commands[1][0].location.as_ref().unwrap().line as usize;
    assert!(source.lines().nth(line - 1).unwrap().contains("ctx.sleep"));
    // The activity loses: abandoned, so nothing is issued for it.
    let commands = run_and_replay::<race_abandoned>(
        &(),
        &[
            vec![testing::fire_timer(1)],
            vec![testing::complete_activity(1, &"late")],
        ],
    );
    assert_eq!(describe(&commands[1]), ["complete"]);
    assert!(commands[2].is_empty());
}

/// Cancels its own timer and returns the cancellation without being asked to cancel.
#[workflow]
async fn cancels_own_timer(ctx: WfContext) -> WfResult<()> {
    let mut timer = ctx.sleep(Duration::from_secs(5));
    timer.cancel();
    timer.await?;
    Ok(())
}

#[test]
fn a_cancellation_error_without_a_request_is_an_ordinary_failure() {
    let commands = run_and_replay::<cancels_own_timer>(&(), &[vec![testing::fire_timer(1)]]);
    assert_eq!(
        describe(&commands[0]),
        ["timer:1:5000", "cancel-timer:1", "fail"]
    );
    let failure = testing::failed(&commands[0]).unwrap();
    assert_eq!(failure.error_type, "weft.Cancelled");
    assert_eq!(
        failure.message,
        "timer 1 was cancelled: the workflow cancelled it"
    );
    // The timer fires anyway (the host had not seen the cancel yet): ignored.
    assert!(commands[1].is_empty());
}

#[derive(Serialize, Deserialize)]
struct Report {
    activity: String,
    waited: String,
    local: String,
    timer: bool,
    condition: bool,
    cleanup: String,
}

/// Waits on an activity (`TryCancel`), another (`WaitCancellationCompleted`), a local
/// activity, a timer and a condition; once they all ended, runs `cleanup` and then
/// confirms the cancellation (input `true`) or completes with a report (`false`).
#[workflow]
async fn everything_pending(ctx: WfContext, confirm: bool) -> WfResult<Report> {
    use ActivityCancellationType::*;
    let activity = ctx.activity_by_name::<String>("a", &(), &options(TryCancel));
    let waited = ctx.activity_by_name::<String>("w", &(), &options(WaitCancellationCompleted));
    let local = ctx.local_activity_by_name::<String>("l", &(), &local_options(TryCancel));
    let timer = ctx.sleep(Duration::from_secs(60));
    let condition = ctx.wait_until(|| false);
    let (activity, waited, local, timer, condition) =
        join!(activity, waited, local, timer, condition);
    assert!(ctx.is_cancel_requested());
    // The cleanup scope: started after the request, so not cancelled.
    let cleanup = ctx
        .activity_by_name::<String>("cleanup", &"cancelled", &options(TryCancel))
        .await?;
    if confirm {
        activity?;
        unreachable!("the activity was cancelled");
    }
    Ok(Report {
        activity: outcome(activity),
        waited: outcome(waited),
        local: outcome(local),
        timer: timer.is_err(),
        condition: condition.is_err(),
        cleanup,
    })
}

fn cancel_steps() -> Vec<Vec<Job>> {
    vec![
        vec![testing::cancel_requested()],
        vec![testing::cancel_activity(2)],
        vec![testing::complete_activity(3, &"cleaned up")],
    ]
}

#[test]
fn a_cancellation_request_cancels_everything_pending() {
    let commands = run_and_replay::<everything_pending>(&false, &cancel_steps());
    assert_eq!(
        describe(&commands[0]),
        [
            "activity:1:a",
            "activity:2:w",
            "local-activity:1:l",
            "timer:1:60000"
        ]
    );
    // Activities, then local activities (no command), then timers, by sequence number.
    assert_eq!(
        describe(&commands[1]),
        ["cancel-activity:1", "cancel-activity:2", "cancel-timer:1"]
    );
    // Once `w` has ended, cleanup is scheduled like any activity.
    assert_eq!(describe(&commands[2]), ["activity:3:cleanup"]);
    let report: Report = testing::completed(&commands[3]).unwrap();
    assert_eq!(report.activity, "cancelled");
    assert_eq!(report.waited, "cancelled");
    assert_eq!(report.local, "cancelled");
    assert!(report.timer && report.condition);
    assert_eq!(report.cleanup, "cleaned up");
}

#[test]
fn a_cancelled_workflow_confirms_after_its_cleanup() {
    let mut steps = cancel_steps();
    // Late answers of the operations cancelled at once are accepted and ignored.
    steps.push(vec![
        testing::cancel_activity(1),
        testing::complete_local_activity(1, &"late"),
    ]);
    let commands = run_and_replay::<everything_pending>(&true, &steps);
    assert_eq!(describe(&commands[3]), ["cancel-workflow-confirmed"]);
    assert!(testing::cancel_confirmed(&commands[3]));
    assert!(commands[4].is_empty());
}

#[test]
fn a_second_request_changes_nothing() {
    let mut harness = Harness::new::<everything_pending>();
    harness.start(&true).unwrap();
    assert_eq!(harness.cancel().unwrap().len(), 3);
    assert!(harness.cancel().unwrap().is_empty());
}

/// Charges in a shielded block while a timer runs beside it; completes (ignoring the
/// request) with the charge and whether the timer was cancelled.
#[workflow]
async fn shielded(ctx: WfContext) -> WfResult<(String, bool)> {
    let options = options(ActivityCancellationType::TryCancel);
    let charge = ctx.non_cancellable(async {
        let id = ctx
            .activity_by_name::<String>("charge", &(), &options)
            .await?;
        // Started inside the block after the request: not cancelled either.
        ctx.sleep(Duration::from_secs(1)).await?;
        WfResult::Ok(id)
    });
    let timer = ctx.sleep(Duration::from_secs(60));
    let (charge, timer) = join!(charge, timer);
    Ok((charge?, timer.is_err()))
}

#[test]
fn non_cancellable_shields_what_it_runs_and_ignoring_the_request_completes() {
    let commands = run_and_replay::<shielded>(
        &(),
        &[
            vec![testing::cancel_requested()],
            vec![testing::complete_activity(1, &"paid")],
            vec![testing::fire_timer(2)],
        ],
    );
    // `join!` polls the block first, after the timer was started.
    assert_eq!(
        describe(&commands[0]),
        ["timer:1:60000", "activity:1:charge"]
    );
    assert_eq!(describe(&commands[1]), ["cancel-timer:1"]);
    assert_eq!(describe(&commands[2]), ["timer:2:1000"]);
    assert_eq!(
        testing::completed::<(String, bool)>(&commands[3]).unwrap(),
        ("paid".to_owned(), true)
    );
}

/// Waits only for the request, then confirms it.
#[workflow]
async fn until_cancelled(ctx: WfContext) -> WfResult<bool> {
    let before = ctx.is_cancel_requested();
    ctx.cancelled().await;
    // Already requested: resolves at once.
    ctx.cancelled().await;
    if before {
        return Ok(false);
    }
    Err(WorkflowError::cancelled("asked to stop"))
}

#[test]
fn the_cancelled_future_resolves_on_the_request() {
    let commands = run_and_replay::<until_cancelled>(&(), &[vec![testing::cancel_requested()]]);
    assert!(commands[0].is_empty());
    assert_eq!(commands[1].len(), 1);
    assert_eq!(commands[1][0].command, Command::CancelWorkflowConfirmed);
    // Located at the line that made the error.
    let line = commands[1][0].location.as_ref().unwrap().line as usize;
    let source = include_str!("cancellation.rs");
    assert!(source
        .lines()
        .nth(line - 1)
        .unwrap()
        .contains("WorkflowError::cancelled"));
}

#[test]
fn a_request_in_the_start_activation_is_seen_at_once() {
    let mut harness = Harness::new::<until_cancelled>();
    let commands = harness
        .start_with(&(), vec![testing::cancel_requested()])
        .unwrap();
    assert_eq!(testing::completed::<bool>(&commands), Some(false));
}
