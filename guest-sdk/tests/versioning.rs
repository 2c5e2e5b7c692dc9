//! Patches and side effects: what they answer and issue live and on replay, replay's
//! answers coming from the marker notices the host's replayer adds (see
//! `weft_sdk::testing::recorded_patch` and `recorded_side_effect`).

use std::cell::Cell;
use std::time::Duration;

use weft_sdk::testing::{self, Harness};
use weft_sdk::{workflow, ActivityOptions, WfContext, WfResult};

mod common;
use common::describe;

/// `if ctx.patched("shout") { to_upper } else { greet }`, asking twice.
#[workflow]
async fn greet(ctx: WfContext, name: String) -> WfResult<String> {
    let options = ActivityOptions::start_to_close(Duration::from_secs(10));
    let first = ctx.patched("shout");
    assert_eq!(ctx.patched("shout"), first, "the first call decides");
    let activity = if first { "to_upper" } else { "greet" };
    Ok(ctx.activity_by_name(activity, &name, &options).await?)
}

#[test]
fn live_patched_records_the_marker_and_takes_the_new_branch() {
    let mut harness = Harness::new::<greet>();
    let commands = harness.start(&"ada").unwrap();
    // One marker, though asked twice; before the branch's commands.
    assert_eq!(describe(&commands), ["patch:shout", "activity:1:to_upper"]);
    let loc = commands[0].location.as_ref().unwrap();
    assert!(loc.file.ends_with("tests/versioning.rs"), "{loc:?}");
}

#[test]
fn replay_without_the_marker_takes_the_old_branch_and_records_nothing() {
    let mut harness = Harness::new::<greet>();
    harness.set_replaying(true);
    let commands = harness.start(&"ada").unwrap();
    assert_eq!(describe(&commands), ["activity:1:greet"]);
}

#[test]
fn replay_with_the_marker_takes_the_new_branch() {
    let mut harness = Harness::new::<greet>();
    harness.set_replaying(true);
    let commands = harness
        .start_with(&"ada", vec![testing::recorded_patch("shout")])
        .unwrap();
    assert_eq!(describe(&commands), ["patch:shout", "activity:1:to_upper"]);
    // A notice for another patch changes nothing for this one.
    let mut other = Harness::new::<greet>();
    other.set_replaying(true);
    let commands = other
        .start_with(&"ada", vec![testing::recorded_patch("whisper")])
        .unwrap();
    assert_eq!(describe(&commands), ["activity:1:greet"]);
}

/// Asks for patch `late` before and after a timer; returns both answers.
#[workflow]
async fn asks_twice(ctx: WfContext) -> WfResult<(bool, bool)> {
    let before = ctx.patched("late");
    ctx.sleep(Duration::from_secs(1)).await?;
    Ok((before, ctx.patched("late")))
}

#[test]
fn a_replayed_answer_holds_once_the_run_goes_live() {
    let mut harness = Harness::new::<asks_twice>();
    harness.set_replaying(true);
    assert_eq!(describe(&harness.start(&()).unwrap()), ["timer:1:1000"]);
    harness.set_replaying(false);
    let commands = harness.activate(vec![testing::fire_timer(1)]).unwrap();
    assert_eq!(describe(&commands), ["complete:[false,false]"]);
}

/// The old branch removed; the patch kept as deprecated.
#[workflow]
async fn deprecated(ctx: WfContext, name: String) -> WfResult<String> {
    let options = ActivityOptions::start_to_close(Duration::from_secs(10));
    ctx.deprecate_patch("shout");
    Ok(ctx.activity_by_name("to_upper", &name, &options).await?)
}

#[test]
fn deprecate_patch_records_the_marker_only_where_the_run_has_it() {
    let mut live = Harness::new::<deprecated>();
    let commands = live.start(&"ada").unwrap();
    assert_eq!(describe(&commands), ["patch:shout", "activity:1:to_upper"]);

    let mut with = Harness::new::<deprecated>();
    with.set_replaying(true);
    let commands = with
        .start_with(&"ada", vec![testing::recorded_patch("shout")])
        .unwrap();
    assert_eq!(describe(&commands), ["patch:shout", "activity:1:to_upper"]);

    let mut without = Harness::new::<deprecated>();
    without.set_replaying(true);
    let commands = without.start(&"ada").unwrap();
    assert_eq!(describe(&commands), ["activity:1:to_upper"]);
}

thread_local! {
    static DRAWS: Cell<u32> = const { Cell::new(0) };
}

/// Draws a number in a side effect (counting the closure's runs), then another.
#[workflow]
async fn draw(ctx: WfContext) -> WfResult<(u64, u64)> {
    let first: u64 = ctx.side_effect(|| {
        DRAWS.with(|d| d.set(d.get() + 1));
        7
    });
    let second: u64 = ctx.side_effect(|| 8);
    Ok((first, second))
}

#[test]
fn live_side_effect_runs_once_and_records_its_value() {
    DRAWS.with(|d| d.set(0));
    let mut harness = Harness::new::<draw>();
    let commands = harness.start(&()).unwrap();
    assert_eq!(
        describe(&commands),
        ["side-effect:7", "side-effect:8", "complete:[7,8]"]
    );
    assert_eq!(DRAWS.with(Cell::get), 1);
}

#[test]
fn replayed_side_effect_returns_the_recorded_value_without_running() {
    DRAWS.with(|d| d.set(0));
    let mut harness = Harness::new::<draw>();
    harness.set_replaying(true);
    let recorded = vec![
        testing::recorded_side_effect(&42),
        testing::recorded_side_effect(&43),
    ];
    let commands = harness.start_with(&(), recorded).unwrap();
    assert_eq!(
        describe(&commands),
        ["side-effect:42", "side-effect:43", "complete:[42,43]"]
    );
    assert_eq!(
        DRAWS.with(Cell::get),
        0,
        "the closure must not run on replay"
    );
}

#[test]
fn a_side_effect_the_task_did_not_record_runs_its_closure() {
    // New code replaying an old task: its command then diverges from the history.
    let mut harness = Harness::new::<draw>();
    harness.set_replaying(true);
    let commands = harness
        .start_with(&(), vec![testing::recorded_side_effect(&42)])
        .unwrap();
    assert_eq!(
        describe(&commands),
        ["side-effect:42", "side-effect:8", "complete:[42,8]"]
    );
}

#[workflow]
async fn recorded_with_another_type(ctx: WfContext) -> WfResult<u64> {
    Ok(ctx.side_effect(|| 1u64))
}

#[test]
fn a_recorded_value_of_another_type_fails_the_task() {
    let mut harness = Harness::new::<recorded_with_another_type>();
    harness.set_replaying(true);
    let failure = harness
        .start_with(&(), vec![testing::recorded_side_effect(&"text")])
        .unwrap_err();
    assert!(
        failure.message.contains("does not decode as `u64`"),
        "{failure:?}"
    );
}

#[workflow]
async fn random_inside(ctx: WfContext) -> WfResult<u64> {
    Ok(ctx.side_effect(|| ctx.random_u64()))
}

#[test]
fn the_context_cannot_be_used_inside_a_side_effect() {
    let mut harness = Harness::new::<random_inside>();
    let failure = harness.start(&()).unwrap_err();
    assert!(
        failure.message.contains("inside a side effect's closure"),
        "{failure:?}"
    );
}

#[test]
fn a_live_signal_with_a_reserved_name_is_dropped() {
    let mut harness = Harness::new::<greet>();
    // Whatever it holds: a client may have sent it.
    let commands = harness
        .start_with(
            &"ada",
            vec![
                testing::recorded_patch("other"),
                testing::signal("__weft_patch", &[1, 2]),
            ],
        )
        .unwrap();
    assert_eq!(describe(&commands), ["patch:shout", "activity:1:to_upper"]);
    let logs = harness.logs();
    assert!(logs.iter().any(|(_, m)| m.contains("reserved")), "{logs:?}");
}
