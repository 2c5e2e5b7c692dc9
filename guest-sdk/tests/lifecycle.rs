//! How an execution starts and ends, and how the SDK reports what goes wrong.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use weft_sdk::testing::{self, Harness};
use weft_sdk::wit::{ChildResolution, Command, Encoding, Job, Payload, ResolveChildWorkflow};
use weft_sdk::{
    error_types, workflow, ActivityOptions, ActivityType, WfContext, WfResult, WorkflowError,
};

struct Lookup;

impl ActivityType for Lookup {
    const NAME: &'static str = "lookup";
    type Input = u32;
    type Output = String;
}

#[derive(Serialize, Deserialize)]
struct Order {
    id: u32,
}

/// Looks the order up; returns the line of the `?` that would fail it.
#[workflow]
async fn orders(ctx: WfContext, order: Order) -> WfResult<(String, u32)> {
    let options = ActivityOptions::start_to_close(Duration::from_secs(1));
    let (name, line) = (ctx.activity(Lookup, order.id, &options).await?, line!());
    Ok((name, line))
}

fn json(text: &str) -> Payload {
    Payload {
        encoding: Encoding::Json,
        data: text.as_bytes().to_vec(),
    }
}

#[test]
fn completes_with_the_json_result() {
    let mut harness = Harness::new::<orders>();
    harness.start(&Order { id: 7 }).unwrap();
    let done = harness
        .activate(vec![testing::complete_activity(1, &"seven")])
        .unwrap();
    assert_eq!(done.len(), 1);
    let Command::CompleteWorkflow(result) = &done[0].command else {
        panic!("{done:?}")
    };
    assert_eq!(result.encoding, Encoding::Json);
    assert!(result.data.starts_with(br#"["seven","#));
}

#[test]
fn activity_failure_fails_the_workflow_at_the_question_mark() {
    let mut harness = Harness::new::<orders>();
    harness.start(&Order { id: 7 }).unwrap();
    let done = harness
        .activate(vec![testing::fail_activity(1, "no such order", "NotFound")])
        .unwrap();
    let failure = testing::failed(&done).unwrap();
    assert_eq!(failure.error_type, "NotFound");
    assert_eq!(failure.message, "activity `lookup` failed: no such order");
    let location = done[0].location.as_ref().unwrap();
    assert!(location.file.ends_with("tests/lifecycle.rs"));
    // The `?` is on the line `orders` reports as its own (it never got to report it).
    let source = include_str!("lifecycle.rs");
    let line = source
        .lines()
        .position(|l| l.contains("order.id, &options).await?"))
        .unwrap() as u32
        + 1;
    assert_eq!(location.line, line);
}

#[test]
fn undecodable_input_fails_the_workflow() {
    let mut harness = Harness::new::<orders>();
    let done = harness
        .start_with_payload("orders", json(r#"{"id": "seven"}"#))
        .unwrap();
    let failure = testing::failed(&done).unwrap();
    assert_eq!(failure.error_type, error_types::INVALID_INPUT);
    assert!(failure.non_retryable);
    assert!(
        failure.message.starts_with(
            "workflow `orders` expects input of type `lifecycle::Order`, but its input \
             does not decode: id: invalid type: string \"seven\", expected u32"
        ),
        "{}",
        failure.message
    );
    // Located at the workflow's definition.
    assert!(done[0]
        .location
        .as_ref()
        .unwrap()
        .file
        .ends_with("lifecycle.rs"));
}

#[test]
fn unknown_workflow_type_fails_the_task() {
    let mut harness = Harness::new::<orders>();
    let error = harness
        .start_with_payload("invoices", json("1"))
        .unwrap_err();
    assert_eq!(
        error.message,
        "this component has no workflow type `invoices`; it exports `orders`"
    );
    // Nothing started: a correct start still works.
    harness.start(&Order { id: 1 }).unwrap();
}

#[test]
fn first_activation_must_start_the_workflow() {
    let mut harness = Harness::new::<orders>();
    let error = harness.activate(vec![testing::fire_timer(1)]).unwrap_err();
    assert!(
        error.message.contains("not `fire-timer`"),
        "{}",
        error.message
    );
}

#[test]
fn jobs_that_cannot_apply_fail_the_task_and_change_nothing() {
    let mut harness = Harness::new::<orders>();
    harness.start(&Order { id: 7 }).unwrap();
    let error = harness
        .activate(vec![
            testing::complete_activity(1, &"seven"),
            Job::ResolveChildWorkflow(ResolveChildWorkflow {
                seq: 1,
                resolution: ChildResolution::Started("child-run".to_owned()),
            }),
        ])
        .unwrap_err();
    assert!(
        error.message.contains("`resolve-child-workflow` for seq 1")
            && error.message.contains("never issued"),
        "{}",
        error.message
    );
    // The activity result in the failed activation was not applied: it can come again.
    let done = harness
        .activate(vec![testing::complete_activity(1, &"seven")])
        .unwrap();
    assert!(testing::completed::<(String, u32)>(&done).is_some());
}

#[test]
fn answers_must_match_issued_commands() {
    let mut harness = Harness::new::<orders>();
    harness.start(&Order { id: 7 }).unwrap();
    let unknown = harness
        .activate(vec![testing::complete_activity(2, &"x")])
        .unwrap_err();
    assert!(
        unknown.message.contains("never issued"),
        "{}",
        unknown.message
    );
    let timer = harness.activate(vec![testing::fire_timer(1)]).unwrap_err();
    assert!(
        timer.message.contains("`fire-timer` for seq 1"),
        "{}",
        timer.message
    );
    let twice = harness
        .activate(vec![
            testing::complete_activity(1, &"x"),
            testing::complete_activity(1, &"x"),
        ])
        .unwrap_err();
    assert!(twice.message.contains("twice"), "{}", twice.message);
    harness
        .activate(vec![testing::complete_activity(1, &"x")])
        .unwrap();
    let again = harness
        .activate(vec![testing::complete_activity(1, &"x")])
        .unwrap_err();
    assert!(
        again.message.contains("already resolved"),
        "{}",
        again.message
    );
}

#[test]
fn start_workflow_twice_fails_the_task() {
    let mut harness = Harness::new::<orders>();
    harness.start(&Order { id: 7 }).unwrap();
    let error = harness.start(&Order { id: 8 }).unwrap_err();
    assert!(
        error.message.contains("already started"),
        "{}",
        error.message
    );
}

/// Panics when the activity's answer arrives.
#[workflow]
async fn fragile(ctx: WfContext, id: u32) -> WfResult<()> {
    let options = ActivityOptions::start_to_close(Duration::from_secs(1));
    let name = ctx.activity(Lookup, id, &options).await?;
    panic!("cannot handle {name}");
}

#[test]
fn a_panic_is_reported_and_fails_the_task_without_commands() {
    let mut harness = Harness::new::<fragile>();
    harness.start(&1).unwrap();
    let error = harness
        .activate(vec![testing::complete_activity(1, &"ghost")])
        .unwrap_err();
    assert_eq!(error.message, "the workflow panicked: cannot handle ghost");
    let location = error.location.unwrap();
    assert!(location.file.ends_with("tests/lifecycle.rs"));
    let reported = harness.reported_panics();
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].0, "cannot handle ghost");
    assert_eq!(reported[0].1.as_ref().unwrap().line, location.line);
    // The instance is done for; the host must replay into a fresh one.
    let error = harness.activate(vec![]).unwrap_err();
    assert!(error.message.contains("panicked in an earlier activation"));
}

/// Takes no input.
#[workflow]
async fn no_input(_ctx: WfContext) -> WfResult<&'static str> {
    Err(WorkflowError::new("nothing to do").with_type("Idle"))
}

#[test]
fn a_workflow_without_input_starts_from_an_empty_payload() {
    let mut harness = Harness::new::<no_input>();
    let done = harness.start_with_payload("no_input", json("")).unwrap();
    let failure = testing::failed(&done).unwrap();
    assert_eq!(failure.error_type, "Idle");
    assert_eq!(failure.message, "nothing to do");
}

/// The state struct form.
#[derive(Default)]
struct Counter {
    ticks: u32,
}

#[workflow(name = "counter")]
impl Counter {
    async fn run(ctx: WfContext<Self>, times: u32) -> WfResult<u32> {
        for _ in 0..times {
            ctx.sleep(Duration::from_secs(1)).await?;
            ctx.state_mut(|s| s.ticks += 1);
        }
        Ok(ctx.state(|s| s.ticks))
    }
}

#[test]
fn state_struct_form() {
    let mut harness = Harness::new::<Counter>();
    harness.start(&2).unwrap();
    assert!(
        harness
            .activate(vec![testing::fire_timer(1)])
            .unwrap()
            .len()
            == 1
    );
    let done = harness.activate(vec![testing::fire_timer(2)]).unwrap();
    assert_eq!(testing::completed::<u32>(&done), Some(2));
}

/// The state struct form with both attribute arguments.
#[derive(Default)]
struct Brittle;

#[workflow(name = "brittle", fail_on_panic)]
impl Brittle {
    async fn run(_ctx: WfContext<Self>) -> WfResult<()> {
        panic!("brittle broke");
    }
}

#[test]
fn state_struct_form_takes_name_and_fail_on_panic() {
    use weft_sdk::Workflow;
    assert_eq!(Brittle::NAME, "brittle");
    const { assert!(Brittle::FAIL_ON_PANIC && !Counter::FAIL_ON_PANIC) };
    let error = Harness::new::<Brittle>().start(&()).unwrap_err();
    assert_eq!(error.message, "the workflow panicked: brittle broke");
}
