//! Updates: validation, acceptance, handler tasks, results, replay.

mod common;

use std::cell::Cell;
use std::time::Duration;

use common::describe;
use weft_sdk::testing::{self, Harness};
use weft_sdk::wit::{Command, IssuedCommand};
use weft_sdk::{
    error_types, workflow, ActivityOptions, LogLevel, WfContext, WfResult, WorkflowError,
};

thread_local! {
    /// Validator runs and condition evaluations (tests run on threads of their own).
    static VALIDATIONS: Cell<u32> = const { Cell::new(0) };
    static EVALUATIONS: Cell<u32> = const { Cell::new(0) };
}

fn count(counter: &'static std::thread::LocalKey<Cell<u32>>) -> u32 {
    counter.with(Cell::get)
}

fn options() -> ActivityOptions {
    ActivityOptions::start_to_close(Duration::from_secs(10))
}

#[derive(Default)]
struct Counter {
    count: i64,
    done: bool,
}

#[workflow(name = "counter")]
impl Counter {
    async fn run(ctx: WfContext<Self>) -> WfResult<i64> {
        ctx.wait_condition(|s| {
            EVALUATIONS.with(|n| n.set(n.get() + 1));
            s.count >= 10 || s.done
        })
        .await?;
        Ok(ctx.state(|s| s.count))
    }

    #[update]
    fn add(&mut self, n: i64) -> WfResult<i64> {
        self.count += n;
        Ok(self.count)
    }

    #[update_validator(add)]
    fn no_negatives(&self, n: &i64) -> Result<(), String> {
        VALIDATIONS.with(|v| v.set(v.get() + 1));
        if *n < 0 {
            return Err(format!("cannot add {n}: only positive amounts"));
        }
        Ok(())
    }

    /// Doubles `n` with an activity first.
    #[update]
    async fn add_later(ctx: WfContext<Self>, n: i64) -> WfResult<i64> {
        let doubled: i64 = ctx.activity_by_name("double", &n, &options()).await?;
        Ok(ctx.state_mut(|s| {
            s.count += doubled;
            s.count
        }))
    }

    #[update]
    async fn fail(_ctx: WfContext<Self>) -> WfResult<()> {
        Err(WorkflowError::new("Dying on purpose").with_type("Purpose"))
    }

    #[signal]
    fn finish(&mut self) {
        self.done = true;
    }

    #[query]
    fn count(&self) -> i64 {
        self.count
    }
}

fn started() -> Harness {
    let mut harness = Harness::new::<Counter>();
    assert!(harness.start(&()).unwrap().is_empty());
    harness
}

/// The line of the first line of this file that contains `text`.
fn line_of(text: &str) -> u32 {
    let source = include_str!("updates.rs");
    source.lines().position(|l| l.contains(text)).unwrap() as u32 + 1
}

#[test]
fn an_accepted_update_completes_in_the_same_activation() {
    let mut harness = started();
    let commands = harness.update("u1", "add", &3).unwrap();
    assert_eq!(describe(&commands), ["accept:u1", "complete-update:u1:3"]);
    assert_eq!(testing::accepted(&commands), ["u1"]);
    assert_eq!(testing::update_result::<i64>(&commands, "u1"), Some(Ok(3)));
    // Accept and complete point at the handler.
    for command in &commands {
        let location = command.location.as_ref().unwrap();
        assert!(location.file.ends_with("tests/updates.rs"), "{location:?}");
        assert_eq!(location.line, line_of("fn add(&mut self"));
    }
}

#[test]
fn an_update_can_complete_the_workflow_in_the_same_activation() {
    let mut harness = started();
    harness.update("u1", "add", &4).unwrap();
    let commands = harness.update("u2", "add", &6).unwrap();
    assert_eq!(
        describe(&commands),
        ["accept:u2", "complete-update:u2:10", "complete:10"]
    );
}

#[test]
fn a_rejected_update_leaves_the_workflow_as_it_was() {
    let mut harness = started();
    harness.update("u1", "add", &2).unwrap();
    let evaluations = count(&EVALUATIONS);
    let commands = harness.update("u2", "add", &-1).unwrap();
    assert_eq!(describe(&commands), ["reject:u2"]);
    let [(id, failure)] = testing::rejected(&commands)[..] else {
        panic!("{commands:?}")
    };
    assert_eq!(id, "u2");
    assert_eq!(failure.error_type, error_types::UPDATE_REJECTED);
    assert_eq!(failure.error_type, "UpdateRejected");
    assert_eq!(failure.message, "cannot add -1: only positive amounts");
    // No task ran, no condition was evaluated, the state is the same.
    assert_eq!(count(&EVALUATIONS), evaluations);
    assert_eq!(harness.query::<i64>("count", &()), Ok(2));
    // And the execution goes on exactly like one that never saw the update.
    let mut quiet = started();
    quiet.update("u1", "add", &2).unwrap();
    for harness in [&mut harness, &mut quiet] {
        let commands = harness.update("u3", "add", &8).unwrap();
        assert_eq!(
            describe(&commands),
            ["accept:u3", "complete-update:u3:10", "complete:10"]
        );
    }
}

#[test]
fn an_unknown_update_is_rejected_with_the_list_of_updates() {
    let mut harness = started();
    let commands = harness.update("u1", "subtract", &1).unwrap();
    assert_eq!(describe(&commands), ["reject:u1"]);
    let failure = testing::rejected(&commands)[0].1;
    assert_eq!(failure.error_type, "UnknownUpdate");
    assert_eq!(
        failure.message,
        "workflow `counter` has no update `subtract`; it handles updates: add, add_later, fail"
    );
}

#[test]
fn update_input_that_does_not_decode_is_rejected() {
    let mut harness = started();
    let validations = count(&VALIDATIONS);
    let commands = harness.update("u1", "add", &"three").unwrap();
    let failure = testing::rejected(&commands)[0].1;
    assert_eq!(failure.error_type, error_types::INVALID_INPUT);
    assert!(
        failure
            .message
            .starts_with("update `add`: its input does not decode as `i64`"),
        "{}",
        failure.message
    );
    // The validator never saw it.
    assert_eq!(count(&VALIDATIONS), validations);
}

#[test]
fn an_async_update_waits_for_an_activity() {
    let mut harness = started();
    let commands = harness.update("u1", "add_later", &2).unwrap();
    // The handler's first poll is in the accepting activation.
    assert_eq!(describe(&commands), ["accept:u1", "activity:1:double"]);
    let commands = harness
        .activate(vec![testing::complete_activity(1, &4)])
        .unwrap();
    assert_eq!(describe(&commands), ["complete-update:u1:4"]);
}

#[test]
fn an_update_error_completes_the_update_with_its_failure() {
    let mut harness = started();
    let commands = harness.update("u1", "fail", &()).unwrap();
    assert_eq!(
        describe(&commands),
        ["accept:u1", "complete-update:u1:err:Dying on purpose"]
    );
    let Err(failure) = testing::update_result::<()>(&commands, "u1").unwrap() else {
        panic!("{commands:?}")
    };
    assert_eq!(failure.error_type, "Purpose");
    // The failure points at the line that made the error.
    let location = commands[1].location.as_ref().unwrap();
    assert_eq!(location.line, line_of("Err(WorkflowError::new(\"Dying"));
    // The workflow itself goes on.
    let done = harness.signal("finish", &()).unwrap();
    assert_eq!(describe(&done), ["complete:0"]);
}

/// The activations of a short execution, as the host would record them.
fn recorded_activations() -> Vec<Vec<weft_sdk::wit::Job>> {
    vec![
        vec![testing::update("u1", "add", &3)],
        vec![testing::update("u2", "add_later", &1)],
        vec![testing::complete_activity(1, &2)],
        vec![testing::update("u3", "add", &5)],
    ]
}

#[test]
fn replay_accepts_recorded_updates_without_validating_them() {
    let mut live = started();
    let before = count(&VALIDATIONS);
    let recorded: Vec<Vec<IssuedCommand>> = recorded_activations()
        .into_iter()
        .map(|jobs| live.activate(jobs).unwrap())
        .collect();
    assert_eq!(count(&VALIDATIONS), before + 2);
    assert_eq!(
        describe(recorded.last().unwrap()).last().unwrap(),
        "complete:10"
    );

    let mut replay = Harness::new::<Counter>();
    replay.set_replaying(true);
    replay.start(&()).unwrap();
    let replayed: Vec<Vec<IssuedCommand>> = recorded_activations()
        .into_iter()
        .map(|jobs| replay.activate(jobs).unwrap())
        .collect();
    assert_eq!(replayed, recorded);
    assert_eq!(
        count(&VALIDATIONS),
        before + 2,
        "no validator ran in replay"
    );
}

#[test]
fn replay_accepts_an_update_the_validator_would_reject_now() {
    // E.g. recorded by an older version whose validator allowed it.
    let mut replay = Harness::new::<Counter>();
    replay.set_replaying(true);
    replay.start(&()).unwrap();
    let commands = replay.update("u1", "add", &-4).unwrap();
    assert_eq!(describe(&commands), ["accept:u1", "complete-update:u1:-4"]);
}

#[test]
fn a_replayed_update_this_code_cannot_run_fails_the_task() {
    let mut replay = Harness::new::<Counter>();
    replay.set_replaying(true);
    replay.start(&()).unwrap();
    let error = replay.update("u1", "subtract", &1).unwrap_err();
    assert_eq!(
        error.message,
        "the history accepted update `subtract` (id u1), but workflow `counter` has no \
         update `subtract`; it handles updates: add, add_later, fail; replay it with the \
         workflow code that accepted it"
    );
    let error = replay.update("u2", "add", &"x").unwrap_err();
    assert!(
        error.message.contains("does not decode"),
        "{}",
        error.message
    );
}

#[test]
fn an_update_after_the_workflow_completed_is_rejected() {
    let mut harness = started();
    harness.signal("finish", &()).unwrap();
    let commands = harness.update("u1", "add", &1).unwrap();
    let failure = testing::rejected(&commands)[0].1;
    assert_eq!(failure.error_type, "UpdateRejected");
    assert_eq!(
        failure.message,
        "workflow `counter` has completed; it accepts no more updates"
    );
}

#[test]
fn the_workflow_completes_even_while_an_update_runs() {
    let mut harness = started();
    harness.update("u1", "add_later", &1).unwrap();
    let commands = harness.signal("finish", &()).unwrap();
    assert_eq!(describe(&commands), ["complete:0"]);
    let (level, message) = harness.logs().pop().unwrap();
    assert_eq!(level, LogLevel::Warn);
    assert_eq!(
        message,
        "workflow `counter` completed while handlers were still running: update \
         `add_later` (id u1); they will not finish (await `ctx.all_handlers_finished()` \
         before returning to let them)"
    );
    // Its activity's answer is accepted and ignored.
    let late = harness
        .activate(vec![testing::complete_activity(1, &2)])
        .unwrap();
    assert!(late.is_empty());
}

#[derive(Default)]
struct Polite {
    done: bool,
}

#[workflow]
impl Polite {
    async fn run(ctx: WfContext<Self>) -> WfResult<()> {
        ctx.wait_condition(|s| s.done).await?;
        ctx.all_handlers_finished().await?;
        Ok(())
    }

    #[update]
    async fn slow(ctx: WfContext<Self>) -> WfResult<u8> {
        ctx.sleep(Duration::from_secs(1)).await?;
        Ok(1)
    }

    #[update]
    fn finish(&mut self) -> WfResult<()> {
        self.done = true;
        Ok(())
    }
}

#[test]
fn all_handlers_finished_lets_running_updates_complete() {
    let mut harness = Harness::new::<Polite>();
    harness.start(&()).unwrap();
    assert_eq!(
        describe(&harness.update("u1", "slow", &()).unwrap()),
        ["accept:u1", "timer:1:1000"]
    );
    assert_eq!(
        describe(&harness.update("u2", "finish", &()).unwrap()),
        ["accept:u2", "complete-update:u2:null"]
    );
    let done = harness.activate(vec![testing::fire_timer(1)]).unwrap();
    assert_eq!(describe(&done), ["complete-update:u1:1", "complete:null"]);
    assert!(harness.logs().is_empty());
}

#[test]
fn every_update_command_names_its_update() {
    let mut harness = started();
    let commands = harness
        .activate(vec![
            testing::update("a", "add", &1),
            testing::update("b", "add", &-1),
            testing::update("c", "add", &2),
        ])
        .unwrap();
    let ids: Vec<&str> = commands
        .iter()
        .map(|c| match &c.command {
            Command::AcceptUpdate(id) => id.as_str(),
            Command::RejectUpdate((id, _)) => id.as_str(),
            Command::CompleteUpdate(complete) => complete.id.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    // Validation in job order; handlers then run in acceptance order.
    assert_eq!(ids, ["a", "b", "c", "a", "c"]);
    assert_eq!(testing::update_result::<i64>(&commands, "c"), Some(Ok(3)));
}
