//! The parent's side of child workflows, driven through the harness.

use std::collections::BTreeMap;

use crate::testing::{self, Harness};
use crate::wit::{Command, IssuedCommand, ParentClosePolicy as WitPolicy};
use crate::{
    select, workflow, ChildWorkflowCancellationType, ChildWorkflowErrorKind, ChildWorkflowOptions,
    ParentClosePolicy, WfContext, WfResult, WorkflowError,
};

#[workflow]
async fn echo(_ctx: WfContext, input: String) -> WfResult<String> {
    Ok(input)
}

/// Starts `echo` twice (derived id, then a given one); returns the run id of the first
/// and the results of both.
#[workflow]
async fn two_children(ctx: WfContext, input: String) -> WfResult<String> {
    let first = ctx.child_workflow::<echo>(input.clone(), &ChildWorkflowOptions::new());
    let options = ChildWorkflowOptions::new()
        .workflow_id("given")
        .parent_close_policy(ParentClosePolicy::Abandon);
    let second = ctx.child_workflow_by_name::<String>("echo", &input, &options);
    let run_id = first.started().await?;
    let (a, b) = crate::join!(first.result(), second.result());
    Ok(format!("{run_id}: {} {}", a?, b?))
}

fn commands_of(commands: &[IssuedCommand]) -> Vec<&Command> {
    commands.iter().map(|issued| &issued.command).collect()
}

#[test]
fn starts_children_with_derived_and_given_ids() {
    let mut harness = Harness::new::<two_children>();
    let commands = harness.start(&"hi").unwrap();
    let [Command::StartChildWorkflow(first), Command::StartChildWorkflow(second)] =
        &commands_of(&commands)[..]
    else {
        panic!("{commands:?}")
    };
    assert_eq!(first.seq, 1);
    assert_eq!(first.workflow_type, "echo");
    assert_eq!(first.input.data, br#""hi""#);
    assert_eq!(first.workflow_id.as_deref(), Some("test-workflow/child-1"));
    assert_eq!(first.parent_close_policy, WitPolicy::Terminate);
    assert_eq!(second.seq, 2);
    assert_eq!(second.workflow_id.as_deref(), Some("given"));
    assert_eq!(second.parent_close_policy, WitPolicy::Abandon);
    assert!(commands[0].location.is_some());
}

#[test]
fn resolves_start_then_result() {
    let mut harness = Harness::new::<two_children>();
    harness.start(&"hi").unwrap();
    let jobs = vec![
        testing::child_started(1, "run-1"),
        testing::child_started(2, "run-2"),
        testing::complete_child(2, &"b"),
    ];
    assert!(harness.activate(jobs).unwrap().is_empty());
    let done = harness
        .activate(vec![testing::complete_child(1, &"a")])
        .unwrap();
    assert_eq!(
        testing::completed::<String>(&done).as_deref(),
        Some("run-1: a b")
    );
}

#[test]
fn the_same_jobs_replay_to_the_same_commands() {
    let jobs = || {
        vec![
            vec![testing::child_started(1, "run-1")],
            vec![
                testing::child_started(2, "run-2"),
                testing::complete_child(1, &"a"),
            ],
            vec![testing::complete_child(2, &"b")],
        ]
    };
    let run = |replaying: bool| {
        let mut harness = Harness::new::<two_children>();
        harness.set_replaying(replaying);
        let mut all = harness.start(&"hi").unwrap();
        for batch in jobs() {
            all.extend(harness.activate(batch).unwrap());
        }
        all
    };
    let first = run(false);
    assert_eq!(
        testing::completed::<String>(&first).as_deref(),
        Some("run-1: a b")
    );
    assert_eq!(first, run(true));
}

#[test]
fn answers_that_match_no_waiting_child_fail_the_task() {
    let mut harness = Harness::new::<two_children>();
    harness.start(&"hi").unwrap();
    let unknown = harness.activate(vec![testing::child_started(3, "r")]);
    assert!(unknown.unwrap_err().message.contains("never issued"));
    let twice = harness.activate(vec![
        testing::child_started(1, "r"),
        testing::child_started(1, "r"),
    ]);
    assert!(twice.unwrap_err().message.contains("already resolved"));
    harness
        .activate(vec![
            testing::child_started(1, "r"),
            testing::complete_child(1, &"a"),
        ])
        .unwrap();
    let after_close = harness.activate(vec![testing::complete_child(1, &"a")]);
    assert!(after_close
        .unwrap_err()
        .message
        .contains("already resolved"));
}

/// Awaits a child's start and result, and says how they went.
#[workflow]
async fn outcome(ctx: WfContext) -> WfResult<String> {
    let child = ctx.child_workflow::<echo>("x".to_owned(), &ChildWorkflowOptions::new());
    let started = match child.started().await {
        Ok(run_id) => run_id,
        Err(error) => return Ok(format!("not started: {:?}", error.kind())),
    };
    match child.result().await {
        Ok(result) => Ok(format!("{started}: {result}")),
        Err(error) => Ok(format!(
            "{started}: {:?}: {}",
            error.kind(),
            error.message()
        )),
    }
}

#[test]
fn a_closing_answer_says_how_the_child_ended() {
    let cases = [
        (testing::fail_child(1, "boom", "TestError"), "Failed: boom"),
        (
            testing::fail_child(1, "late", "weft.TimedOut"),
            "TimedOut: late",
        ),
        (testing::terminate_child(1, "stop"), "Terminated: stop"),
        (testing::cancel_child(1), "Cancelled: cancelled by the host"),
    ];
    for (job, expected) in cases {
        let mut harness = Harness::new::<outcome>();
        harness.start(&()).unwrap();
        let done = harness
            .activate(vec![testing::child_started(1, "r"), job])
            .unwrap();
        let result = testing::completed::<String>(&done).unwrap();
        assert_eq!(result, format!("r: {expected}"));
    }
}

#[test]
fn a_start_failure_resolves_start_and_result() {
    let mut harness = Harness::new::<outcome>();
    harness.start(&()).unwrap();
    let job = testing::fail_child(1, "id in use", "ChildWorkflowAlreadyStarted");
    let done = harness.activate(vec![job]).unwrap();
    assert_eq!(
        testing::completed::<String>(&done).as_deref(),
        Some("not started: AlreadyStarted")
    );
}

/// Propagates the child's failure with `?`.
#[workflow]
async fn propagate(ctx: WfContext) -> WfResult<String> {
    let child = ctx.child_workflow::<echo>("x".to_owned(), &ChildWorkflowOptions::new());
    let result = child.result().await;
    if let Err(error) = &result {
        let converted = WorkflowError::from(error.clone());
        let source = std::error::Error::source(&converted).expect("the cause is kept");
        assert_eq!(source.to_string(), error.to_string());
    }
    Ok(result?)
}

#[test]
fn a_child_failure_fails_the_parent_keeping_its_cause() {
    let mut harness = Harness::new::<propagate>();
    harness.start(&()).unwrap();
    let mut failed = testing::fail_child(1, "Test message", "TestError");
    if let crate::wit::Job::ResolveChildWorkflow(resolve) = &mut failed {
        if let crate::wit::ChildResolution::Failed(failure) = &mut resolve.resolution {
            failure.non_retryable = true;
            failure.details = crate::payload::to_json(&BTreeMap::from([("foo", "bar")])).ok();
        }
    }
    let done = harness
        .activate(vec![testing::child_started(1, "r"), failed])
        .unwrap();
    let failure = testing::failed(&done).expect("the parent fails");
    assert_eq!(failure.error_type, "weft.ChildWorkflowFailure");
    assert!(failure.non_retryable);
    assert_eq!(
        failure.message,
        "child workflow `echo` (id `test-workflow/child-1`) failed"
    );
    assert_eq!(failure.details, None);
    // The child's failure is the cause, handed to the host by the command's index.
    let index = done
        .iter()
        .position(|c| matches!(c.command, crate::wit::Command::FailWorkflow(_)))
        .unwrap() as u32;
    let causes = harness.failure_causes();
    assert_eq!(causes.len(), 1);
    assert_eq!(causes[0].0, index);
    let cause = &causes[0].1[0];
    assert_eq!(
        (cause.message.as_str(), cause.error_type.as_str()),
        ("Test message", "TestError")
    );
    assert!(cause.non_retryable);
    let details: BTreeMap<String, String> =
        crate::payload::from_json(cause.details.as_ref().unwrap()).unwrap();
    assert_eq!(details["foo"], "bar");
}

/// Starts `echo` with the cancellation type given, cancels it at once, and reports how
/// its start and result went.
#[workflow]
async fn cancel_child(ctx: WfContext, kind: String) -> WfResult<String> {
    let cancellation = match kind.as_str() {
        "try" => ChildWorkflowCancellationType::TryCancel,
        "wait_completed" => ChildWorkflowCancellationType::WaitCancellationCompleted,
        "wait_requested" => ChildWorkflowCancellationType::WaitCancellationRequested,
        _ => ChildWorkflowCancellationType::Abandon,
    };
    let options = ChildWorkflowOptions::new().cancellation_type(cancellation);
    let child = ctx.child_workflow::<echo>("x".to_owned(), &options);
    child.started().await?;
    child.cancel();
    child.cancel();
    Ok(match child.result().await {
        Ok(result) => format!("completed: {result}"),
        Err(error) => format!("{:?}", error.kind()),
    })
}

fn cancels(commands: &[IssuedCommand]) -> Vec<u32> {
    commands
        .iter()
        .filter_map(|issued| match issued.command {
            Command::CancelChildWorkflow(seq) => Some(seq),
            _ => None,
        })
        .collect()
}

#[test]
fn cancelling_follows_the_cancellation_type() {
    for (kind, cancel_commands) in [("try", 1), ("abandon", 0)] {
        let mut harness = Harness::new::<cancel_child>();
        harness.start(&kind).unwrap();
        let done = harness
            .activate(vec![testing::child_started(1, "r")])
            .unwrap();
        assert_eq!(cancels(&done).len(), cancel_commands, "{kind}");
        assert_eq!(
            testing::completed::<String>(&done).as_deref(),
            Some("Cancelled")
        );
    }
}

#[test]
fn wait_cancellation_requested_waits_until_the_child_recorded_it() {
    let mut harness = Harness::new::<cancel_child>();
    harness.start(&"wait_requested").unwrap();
    let commands = harness
        .activate(vec![testing::child_started(1, "r")])
        .unwrap();
    assert_eq!(cancels(&commands), [1]);
    assert_eq!(commands.len(), 1, "still waiting: {commands:?}");
    // News of another child changes nothing.
    let commands = harness
        .activate(vec![testing::child_cancel_requested(7)])
        .unwrap();
    assert!(commands.is_empty(), "{commands:?}");
    let done = harness
        .activate(vec![testing::child_cancel_requested(1)])
        .unwrap();
    assert_eq!(
        testing::completed::<String>(&done).as_deref(),
        Some("Cancelled")
    );
}

#[test]
fn child_cancel_requested_is_news_for_other_cancellation_types() {
    let mut harness = Harness::new::<cancel_child>();
    harness.start(&"wait_completed").unwrap();
    harness
        .activate(vec![testing::child_started(1, "r")])
        .unwrap();
    let commands = harness
        .activate(vec![testing::child_cancel_requested(1)])
        .unwrap();
    assert!(
        commands.is_empty(),
        "still waiting for the child: {commands:?}"
    );
}

#[test]
fn wait_cancellation_completed_waits_for_the_child() {
    let mut harness = Harness::new::<cancel_child>();
    harness.start(&"wait_completed").unwrap();
    let commands = harness
        .activate(vec![testing::child_started(1, "r")])
        .unwrap();
    assert_eq!(cancels(&commands), [1]);
    assert_eq!(commands.len(), 1, "{commands:?}");
    let done = harness
        .activate(vec![testing::complete_child(1, &"x")])
        .unwrap();
    assert_eq!(
        testing::completed::<String>(&done).as_deref(),
        Some("completed: x")
    );
}

/// Waits for a child (try-cancel) and a shielded child (abandon), or the timer.
#[workflow]
async fn cancelled_parent(ctx: WfContext) -> WfResult<String> {
    let try_cancel =
        ChildWorkflowOptions::new().cancellation_type(ChildWorkflowCancellationType::TryCancel);
    let child = ctx.child_workflow::<echo>("x".to_owned(), &try_cancel);
    let shielded = ctx.non_cancellable(async {
        ctx.child_workflow::<echo>("y".to_owned(), &ChildWorkflowOptions::new())
    });
    let shielded = shielded.await;
    let mut timer = ctx.sleep(std::time::Duration::from_secs(5));
    let mut result = child.result();
    select! {
        result = result => match result {
            Err(error) if error.is_cancelled() => {
                let other = shielded.result().await?;
                Err(WorkflowError::cancelled(format!("cancelled; {other} finished")))
            }
            other => Ok(other?),
        },
        _ = timer => Ok("timed out".to_owned()),
    }
}

#[test]
fn the_parents_cancellation_cancels_pending_children() {
    let mut harness = Harness::new::<cancelled_parent>();
    harness.start(&()).unwrap();
    let commands = harness.cancel().unwrap();
    assert_eq!(cancels(&commands), [1], "{commands:?}");
    assert!(commands
        .iter()
        .any(|issued| issued.command == Command::CancelTimer(1)));
    let done = harness
        .activate(vec![
            testing::child_started(2, "r2"),
            testing::complete_child(2, &"y"),
            testing::cancel_child(1),
        ])
        .unwrap();
    assert!(testing::cancel_confirmed(&done), "{done:?}");
}

/// Awaits a child started with the default options.
#[workflow]
async fn waiting_parent(ctx: WfContext) -> WfResult<String> {
    let child = ctx.child_workflow::<echo>("x".to_owned(), &ChildWorkflowOptions::new());
    Ok(child.result().await?)
}

#[test]
fn by_default_a_cancelled_parent_waits_for_its_childs_cancellation_to_complete() {
    let mut harness = Harness::new::<waiting_parent>();
    harness.start(&()).unwrap();
    harness
        .activate(vec![testing::child_started(1, "r1")])
        .unwrap();
    let commands = harness.cancel().unwrap();
    assert_eq!(cancels(&commands), [1], "{commands:?}");
    assert!(!testing::cancel_confirmed(&commands), "{commands:?}");
    let done = harness.activate(vec![testing::cancel_child(1)]).unwrap();
    assert!(testing::cancel_confirmed(&done), "{done:?}");
}

/// Signals its child and another workflow, then returns the child's result.
#[workflow]
async fn signaller(ctx: WfContext) -> WfResult<String> {
    let child = ctx.child_workflow::<echo>("x".to_owned(), &ChildWorkflowOptions::new());
    child.signal("unblock", &"go")?;
    ctx.signal_external("elsewhere", "ping", &1)?;
    Ok(child.result().await?)
}

#[test]
fn signals_go_to_the_childs_id_and_count_on_their_own() {
    let mut harness = Harness::new::<signaller>();
    let commands = harness.start(&()).unwrap();
    let [Command::StartChildWorkflow(_), Command::SignalExternal(to_child), Command::SignalExternal(other)] =
        &commands_of(&commands)[..]
    else {
        panic!("{commands:?}")
    };
    assert_eq!(
        (
            to_child.seq,
            to_child.workflow_id.as_str(),
            to_child.name.as_str()
        ),
        (1, "test-workflow/child-1", "unblock")
    );
    assert_eq!(to_child.input.data, br#""go""#);
    assert_eq!((other.seq, other.workflow_id.as_str()), (2, "elsewhere"));
}

/// A child whose input does not encode is never started.
#[workflow]
async fn bad_input(ctx: WfContext) -> WfResult<String> {
    let input = BTreeMap::from([((1, 2), 3)]);
    let child = ctx.child_workflow_by_name::<String>("echo", &input, &ChildWorkflowOptions::new());
    assert_eq!(child.seq(), None);
    let error = child.result().await.unwrap_err();
    assert_eq!(error.kind(), ChildWorkflowErrorKind::InputEncoding);
    Ok(format!("{:?}", child.started().await.unwrap_err().kind()))
}

#[test]
fn input_that_does_not_encode_starts_nothing() {
    let mut harness = Harness::new::<bad_input>();
    let done = harness.start(&()).unwrap();
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(
        testing::completed::<String>(&done).as_deref(),
        Some("InputEncoding")
    );
}
