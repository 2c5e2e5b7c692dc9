//! Child workflows, ported from Temporal's feature suite (`features/child_workflow/*`,
//! `signal/child_workflow`): one test per feature, named after it, on the time-skipping
//! test environment with the `children` fixture; every test replays what it recorded.
//! And the `child-workflow` example.

use crate::support;

use serde_json::json;
use support::features::start;
use support::*;
use weft_host::history::vocab::ChildResolution;
use weft_host::history::{Command, Event, Job, Outcome};
use weft_host::runtime::MessageError;
use weft_host::runtime::RunHandle;
use weft_host::storage::Status;
use weft_host::testing::{TestEnv, TestEnvError};

async fn env() -> TestEnv {
    let env = test_env().start().await.unwrap();
    env.deploy(component_bytes("children"), "children")
        .await
        .unwrap();
    env
}

/// Wait for the run, replay it, and return how it ended with its history.
async fn finish(env: &TestEnv, run: &RunHandle) -> (Outcome, Vec<Event>) {
    let outcome = env.host().wait(&run.run_id).await.unwrap();
    let events = env.host().history(&run.run_id).unwrap();
    assert_replays(env.host(), "children", &events);
    (outcome, events)
}

fn commands(events: &[Event]) -> impl Iterator<Item = &Command> {
    events.iter().filter_map(|e| match e {
        Event::Command(c) => Some(&c.command),
        _ => None,
    })
}

/// The child's latest run ends, and its history replays.
async fn child_finishes(env: &TestEnv, id: &str) -> Outcome {
    let run = env.host().find_run(id).unwrap();
    let outcome = env.host().wait(&run.run_id).await.unwrap();
    let events = env.host().history(&run.run_id).unwrap();
    assert_replays(env.host(), "children", &events);
    outcome
}

/// child_workflow/result: the parent returns its child's result.
#[tokio::test]
async fn child_workflow_result() {
    let env = env().await;
    let run = start(&env, "result", "result", json!(null)).await;
    let (outcome, _) = finish(&env, &run).await;
    assert_eq!(completed(&outcome), json!("Test"));
    let child = env.host().find_run("result/child-1").unwrap();
    assert_eq!(child.status, Status::Completed);
    let described = weft_host::api::describe::describe(env.host(), "result").unwrap();
    assert_eq!(described.children.len(), 1);
    assert_eq!(described.children[0].workflow_id, "result/child-1");
    let described = weft_host::api::describe::describe(env.host(), "result/child-1").unwrap();
    assert_eq!(described.parent_workflow_id.as_deref(), Some("result"));
}

/// child_workflow/signal: the parent signals its child, which returns the signal.
#[tokio::test]
async fn child_workflow_signal() {
    let env = env().await;
    let run = start(&env, "signal", "signal", json!(null)).await;
    let (outcome, events) = finish(&env, &run).await;
    assert_eq!(completed(&outcome), json!("unblock"));
    assert!(commands(&events).any(|c| matches!(c,
        Command::SignalExternal(s) if s.workflow_id == "signal/child-1")));
}

/// child_workflow/throws_on_execute: as Temporal's checker asserts, the parent fails
/// with a child failure whose cause is the child's application failure, with its
/// message, type, retryability and details; the chain is what the parent's
/// `fail-workflow` recorded, and what the API's result and describe answer.
#[tokio::test]
async fn child_workflow_throws_on_execute() {
    let env = env().await;
    let run = start(&env, "throws_on_execute", "throws", json!(null)).await;
    let (outcome, events) = finish(&env, &run).await;
    let Outcome::Failed(failure) = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(failure.error_type, "weft.ChildWorkflowFailure");
    assert_eq!(
        failure.message,
        "child workflow `failing_child` (id `throws/child-1`) failed"
    );
    assert!(failure.non_retryable);
    assert_eq!(failure.details, None);
    let cause = failure
        .cause
        .as_deref()
        .expect("the child's failure as cause");
    assert_eq!(cause.error_type, "TestError");
    assert_eq!(cause.message, "Test message");
    assert!(cause.non_retryable);
    assert_eq!(
        cause.details.clone().unwrap().to_json(),
        json!({"foo": "bar"})
    );
    assert_eq!(cause.cause, None);
    assert!(commands(&events).any(|c| c == &Command::FailWorkflow(failure.clone())));
    let described = weft_host::api::describe::describe(env.host(), "throws").unwrap();
    let body = described.result.unwrap().failure.unwrap();
    assert_eq!(body.error_type, "weft.ChildWorkflowFailure");
    let cause = body.cause.unwrap();
    assert_eq!(
        (cause.message.as_str(), cause.error_type.as_str()),
        ("Test message", "TestError")
    );
    assert_eq!(cause.details, Some(json!({"foo": "bar"})));
}

/// child_workflow/start: the start is answered with the child's run id before its
/// result.
#[tokio::test]
async fn child_workflow_start() {
    let env = env().await;
    let run = start(&env, "start", "start", json!(null)).await;
    let (outcome, events) = finish(&env, &run).await;
    let result = completed(&outcome);
    let child = env.host().find_run("start/child-1").unwrap();
    assert_eq!(result["workflow_id"], "start/child-1");
    assert_eq!(result["run_id"], json!(child.run_id));
    assert_eq!(result["result"], "started");
    let started = events.iter().position(|e| matches!(e,
        Event::Job(Job::ResolveChildWorkflow(r)) if matches!(r.resolution, ChildResolution::Started(_))));
    let issued = events.iter().position(|e| {
        matches!(e,
        Event::Command(c) if matches!(c.command, Command::StartChildWorkflow(_)))
    });
    assert!(issued < started);
}

/// child_workflow/throws_on_start: a second child on an id in use fails to start.
#[tokio::test]
async fn child_workflow_throws_on_start() {
    let env = env().await;
    let run = start(&env, "throws_on_start", "on-start", json!(null)).await;
    let (outcome, events) = finish(&env, &run).await;
    assert_eq!(
        completed(&outcome),
        json!("already started; first returned first")
    );
    assert!(events.iter().any(|e| matches!(e,
        Event::Job(Job::ResolveChildWorkflow(r)) if r.seq == 2
            && matches!(&r.resolution, ChildResolution::Failed(f) if f.error_type == "ChildWorkflowAlreadyStarted"))));
}

/// child_workflow/cancel_try_cancel: the child's result resolves cancelled at once; the
/// child learns of it and tells its parent.
#[tokio::test]
async fn child_workflow_cancel_try_cancel() {
    let env = env().await;
    let run = start(&env, "cancel_try_cancel", "try-cancel", json!(null)).await;
    let (outcome, events) = finish(&env, &run).await;
    assert_eq!(completed(&outcome), json!("cancelled"));
    assert!(commands(&events).any(|c| matches!(c, Command::CancelChildWorkflow(1))));
    assert!(matches!(
        child_finishes(&env, "try-cancel/child-1").await,
        Outcome::Cancelled
    ));
}

/// Start `cancel_wait_requested` with `mode` and make its child crash; once the child
/// waits out the backoff of its failed task, let the parent cancel it. Returns the
/// parent's run, the child's, and what the parent's query `stage` answers once its task
/// that cancelled the child is recorded.
async fn stage_while_the_child_backs_off(
    env: &TestEnv,
    id: &str,
    mode: &str,
) -> (RunHandle, String, String) {
    let run = start(env, "cancel_wait_requested", id, json!(mode)).await;
    let child_id = format!("{id}/child-1");
    child_started(env, id).await;
    let child = env.host().find_run(&child_id).unwrap().run_id;
    env.signal(&child_id, "crash", json!(null)).await.unwrap();
    poll::until_async(&format!("{child_id} to fail a task"), || async {
        let events = env.host().history(&child).unwrap();
        let failed = events
            .iter()
            .any(|e| matches!(e, Event::TaskAttemptFailed { .. }));
        failed.then_some(())
    })
    .await;
    env.signal(id, "go", json!(null)).await.unwrap();
    poll::until_async(&format!("{id} to cancel its child"), || async {
        let events = env.host().history(&run.run_id).unwrap();
        let cancelled = commands(&events).any(|c| matches!(c, Command::CancelChildWorkflow(1)));
        cancelled.then_some(())
    })
    .await;
    let stage = env.query::<String>(id, "stage", json!(null)).await.unwrap();
    (run, child, stage)
}

/// child_workflow/cancel_wait_requested: the parent's wait ends once the child's run has
/// recorded the cancellation request, not when the parent issues it. While the child
/// cannot record it (it waits out the backoff of a failed workflow task, on a clock that
/// moves only when the test says), the parent still waits, where a `TryCancel` parent
/// has moved on. Once the child's next attempt records it, the parent is told
/// (`child-cancel-requested`), resolves cancelled and completes.
#[tokio::test]
async fn child_workflow_cancel_wait_requested() {
    let env = test_env().manual_time().start().await.unwrap();
    env.deploy(component_bytes("children"), "children")
        .await
        .unwrap();
    let (run, child, stage) =
        stage_while_the_child_backs_off(&env, "wait-requested", "wait_requested").await;
    assert_eq!(stage, "cancelling");
    let recorded = |events: &[Event]| {
        events
            .iter()
            .position(|e| matches!(e, Event::Job(Job::CancelRequested)))
    };
    assert_eq!(recorded(&env.host().history(&child).unwrap()), None);
    // The same parent with `TryCancel` stops waiting as it cancels.
    let (contrast, _, stage) =
        stage_while_the_child_backs_off(&env, "try-instead", "try_cancel").await;
    assert_eq!(stage, "resolved");
    // The name the host tells a parent under is the host's alone.
    let forged = env
        .signal("wait-requested", "__weft_child_cancel_requested", json!(1))
        .await;
    assert!(
        matches!(&forged, Err(TestEnvError::Message(MessageError::Invalid(m))) if m.contains("reserved")),
        "{forged:?}"
    );

    env.skip(std::time::Duration::from_secs(5));
    let (outcome, events) = finish(&env, &run).await;
    assert_eq!(completed(&outcome), json!("cancelled"));
    assert!(recorded(&env.host().history(&child).unwrap()).is_some());
    let at = |check: &dyn Fn(&Event) -> bool| events.iter().position(check).unwrap();
    let cancelled =
        at(&|e| matches!(e, Event::Command(c) if c.command == Command::CancelChildWorkflow(1)));
    let told = at(&|e| matches!(e, Event::Job(Job::ChildCancelRequested(1))));
    assert!(cancelled < told, "{events:#?}");
    let (outcome, _) = finish(&env, &contrast).await;
    assert_eq!(completed(&outcome), json!("cancelled"));
}

/// bugs/go/child_workflow_cancel_panic: a run cancelled while its child (not awaited)
/// is pending cleans up with an activity shielded from the cancellation and completes:
/// no task failure, and its history replays.
#[tokio::test]
async fn bugs_go_child_workflow_cancel_panic() {
    // The child sleeps a day: time moves only when the test says.
    let env = test_env()
        .manual_time()
        .mock_activity_with_context("noop", |_ctx, (): ()| async { Ok(()) })
        .start()
        .await
        .unwrap();
    env.deploy(component_bytes("children"), "children")
        .await
        .unwrap();
    let id = "cancel-panic";
    let run = start(&env, "child_workflow_cancel_panic", id, json!(null)).await;
    poll::until_async("the parent to wait for its cancellation", || async {
        let waiting = env
            .query::<bool>(id, "waiting-for-cancel", json!(null))
            .await;
        waiting.unwrap().then_some(())
    })
    .await;
    env.host().cancel(id, "test").await.unwrap();
    let (outcome, events) = finish(&env, &run).await;
    assert_eq!(completed(&outcome), json!("cleaned up"));
    assert!(commands(&events).any(|c| matches!(c, Command::CancelChildWorkflow(1))));
    assert!(!events
        .iter()
        .any(|e| matches!(e, Event::TaskAttemptFailed { .. })));
}

/// signal/workflow_to_workflow: one workflow signals another, which is not its child,
/// by its workflow id; the receiver handles the signal and returns it.
#[tokio::test]
async fn signal_workflow_to_workflow() {
    let env = env().await;
    let receiver = start(&env, "signal_receiver", "receiver", json!(null)).await;
    let sender = start(&env, "workflow_to_workflow", "sender", json!("receiver")).await;
    let (outcome, events) = finish(&env, &sender).await;
    assert_eq!(completed(&outcome), json!("sent"));
    assert!(commands(&events).any(|c| matches!(c,
        Command::SignalExternal(s) if s.workflow_id == "receiver" && s.name == "ping")));
    let (outcome, _) = finish(&env, &receiver).await;
    assert_eq!(completed(&outcome), json!("hello from sender"));
}

/// child_workflow/cancel_wait_completed: the parent waits for the child, which ignores
/// the cancellation and completes.
#[tokio::test]
async fn child_workflow_cancel_wait_completed() {
    let env = env().await;
    let run = start(&env, "cancel_wait_completed", "wait-completed", json!(null)).await;
    let (outcome, _) = finish(&env, &run).await;
    assert_eq!(completed(&outcome), json!("ignored the cancellation"));
}

/// child_workflow/cancel_abandon: a cancelled parent does not touch an abandoned
/// child, which completes on its own.
#[tokio::test]
async fn child_workflow_cancel_abandon() {
    // The parent races its child against a timer: time moves only when the test says.
    let env = test_env().manual_time().start().await.unwrap();
    env.deploy(component_bytes("children"), "children")
        .await
        .unwrap();
    let run = start(&env, "cancel_abandon", "abandon", json!(null)).await;
    child_started(&env, "abandon").await;
    env.host().cancel("abandon", "test").await.unwrap();
    let (outcome, events) = finish(&env, &run).await;
    assert_eq!(completed(&outcome), json!("cancelled"));
    assert!(!commands(&events).any(|c| matches!(c, Command::CancelChildWorkflow(_))));
    env.signal("abandon/child-1", "exit", json!(null))
        .await
        .unwrap();
    assert_eq!(
        completed(&child_finishes(&env, "abandon/child-1").await),
        json!("test 42")
    );
}

/// signal/child_workflow: see `child_workflow_signal` (the same workflow, from the
/// signal feature's side): a parent signals its child by its workflow id.
#[tokio::test]
async fn signal_child_workflow() {
    let env = env().await;
    let run = start(&env, "signal_child_workflow", "sig-child", json!(null)).await;
    let (outcome, _) = finish(&env, &run).await;
    assert_eq!(completed(&outcome), json!("child-wf-arg signal-arg"));
}

/// Wait until the parent's first child has started.
async fn child_started(env: &TestEnv, parent: &str) {
    poll::until_async(&format!("the first child of {parent} to start"), || async {
        let d = weft_host::api::describe::describe(env.host(), parent).unwrap();
        d.children.first().and_then(|c| c.run_id.as_ref()).map(drop)
    })
    .await
}

/// child_workflow/throws_on_termination: a terminated child's termination reaches its
/// parent as an error.
#[tokio::test]
async fn child_workflow_throws_on_termination() {
    let env = env().await;
    let run = start(&env, "throws_on_termination", "on-termination", json!(null)).await;
    child_started(&env, "on-termination").await;
    env.host()
        .terminate("on-termination/child-1", "test")
        .await
        .unwrap();
    let (outcome, _) = finish(&env, &run).await;
    let Outcome::Failed(failure) = outcome else {
        panic!("{outcome:?}");
    };
    assert!(
        failure.message.contains("terminated"),
        "{}",
        failure.message
    );
}

/// The parent close policy: a parent that closes terminates its open children (the
/// default policy).
#[tokio::test]
async fn a_closing_parent_terminates_its_children() {
    let env = env().await;
    let run = start(&env, "throws_on_termination", "closing", json!(null)).await;
    child_started(&env, "closing").await;
    env.host().terminate("closing", "test").await.unwrap();
    finish(&env, &run).await;
    assert!(matches!(
        child_finishes(&env, "closing/child-1").await,
        Outcome::Terminated(_)
    ));
}

/// The `child-workflow` example: the parent returns its child's greeting.
#[tokio::test]
async fn child_workflow_example() {
    let env = test_env().start().await.unwrap();
    env.deploy(component_bytes("child-workflow"), "child-workflow")
        .await
        .unwrap();
    let run = start(&env, "parent", "greeter", json!("World")).await;
    let outcome = env.host().wait(&run.run_id).await.unwrap();
    assert_eq!(completed(&outcome), json!("Hello, World!"));
    let events = env.host().history(&run.run_id).unwrap();
    assert_replays(env.host(), "child-workflow", &events);
    let described = weft_host::api::describe::describe(env.host(), "greeter").unwrap();
    assert_eq!(described.children[0].workflow_id, "greeter/child-1");
}

/// child_workflow/retry: a child that always fails, with a retry policy of at most 3
/// attempts, runs exactly 3 times (3 runs of its workflow id, attempts 1 to 3, on the
/// virtual clock's backoff); the parent fails with a child failure caused by the last
/// attempt's failure.
#[tokio::test]
async fn child_workflow_retry() {
    use weft_host::storage::RunFilter;
    let env = env().await;
    let run = start(&env, "retry", "retry", json!(null)).await;
    let (outcome, events) = finish(&env, &run).await;
    let Outcome::Failed(failure) = outcome else {
        panic!("{outcome:?}");
    };
    let cause = failure
        .cause
        .as_deref()
        .expect("the last attempt's failure");
    assert!(
        cause.message.contains("attempt 3 failed"),
        "{}",
        cause.message
    );
    assert!(events.iter().any(|e| matches!(e,
        Event::ChildOptions { seq: 1, options } if options.retry_policy.as_ref().is_some_and(|p| p.maximum_attempts == 3))));
    let filter = RunFilter {
        workflow_type: Some("always_failing_child".into()),
        ..RunFilter::default()
    };
    let runs = env.host().list_runs(&filter, 10).unwrap();
    assert_eq!(runs.len(), 3, "{runs:?}");
    let mut attempts = Vec::new();
    for child in &runs {
        assert_eq!(child.workflow_id, "retry/child-1");
        assert_eq!(child.status, Status::Failed);
        let events = env.host().history(&child.run_id).unwrap();
        assert_replays(env.host(), "children", &events);
        let history = weft_host::history::History::new(events);
        attempts.push(history.start_job().unwrap().attempt);
    }
    attempts.sort();
    assert_eq!(attempts, [1, 2, 3]);
}

/// child_workflow/throws_on_timeout: a child with a 1 ms execution timeout and a single
/// attempt times out, and its parent's wait ends with a timeout error.
#[tokio::test]
async fn child_workflow_throws_on_timeout() {
    let env = env().await;
    let run = start(&env, "throws_on_timeout", "on-timeout", json!(null)).await;
    let (outcome, _) = finish(&env, &run).await;
    assert_eq!(completed(&outcome), json!("timed out"));
    assert!(matches!(
        child_finishes(&env, "on-timeout/child-1").await,
        Outcome::TimedOut(_)
    ));
}
