//! Signals: handlers, channels, buffering, signal-with-start, undecodable input.

mod common;

use std::time::Duration;

use common::describe;
use weft_sdk::testing::{self, Harness};
use weft_sdk::{join_all, workflow, ActivityOptions, LogLevel, SignalChannel, WfContext, WfResult};

fn options() -> ActivityOptions {
    ActivityOptions::start_to_close(Duration::from_secs(10))
}

/// Opens its channel only after a timer, so earlier signals must wait for it.
#[workflow]
async fn collector(ctx: WfContext, count: usize) -> WfResult<Vec<String>> {
    ctx.sleep(Duration::from_secs(1)).await?;
    let mut items = ctx.signal_channel::<String>("item");
    let mut received = Vec::new();
    while received.len() < count {
        received.push(items.recv().await);
    }
    Ok(received)
}

#[test]
fn early_signals_wait_for_their_channel_in_arrival_order() {
    let mut harness = Harness::new::<collector>();
    assert_eq!(describe(&harness.start(&3).unwrap()), ["timer:1:1000"]);
    assert!(harness.signal("item", &"a").unwrap().is_empty());
    assert!(harness.signal("other", &"x").unwrap().is_empty());
    assert!(harness.signal("item", &"b").unwrap().is_empty());
    // The channel opens and takes both buffered values; the third is still to come.
    assert!(harness
        .activate(vec![testing::fire_timer(1)])
        .unwrap()
        .is_empty());
    let done = harness.signal("item", &"c").unwrap();
    assert_eq!(
        testing::completed::<Vec<String>>(&done).unwrap(),
        ["a", "b", "c"]
    );
}

#[test]
fn several_signals_in_one_activation_keep_their_order() {
    let mut harness = Harness::new::<collector>();
    harness.start(&3).unwrap();
    let done = harness
        .activate(vec![
            testing::signal("item", &"1"),
            testing::fire_timer(1),
            testing::signal("item", &"2"),
            testing::signal("item", &"3"),
        ])
        .unwrap();
    assert_eq!(
        testing::completed::<Vec<String>>(&done).unwrap(),
        ["1", "2", "3"]
    );
}

#[derive(Default)]
struct Tally {
    value: i64,
}

#[workflow]
impl Tally {
    /// Returns what it saw on its first poll, and the value once it passed 100.
    async fn run(ctx: WfContext<Self>, start: i64) -> WfResult<(i64, i64)> {
        let seen = ctx.state(|s| s.value);
        ctx.state_mut(|s| s.value += start);
        ctx.wait_condition(|s| s.value > 100).await?;
        Ok((seen, ctx.state(|s| s.value)))
    }

    #[signal]
    fn add(&mut self, n: i64) {
        self.value += n;
    }
}

#[test]
fn signal_with_start_is_applied_before_the_first_poll() {
    let mut harness = Harness::new::<Tally>();
    // What the host sends for signal-with-start: the start, then the signal.
    let commands = harness
        .start_with(&1, vec![testing::signal("add", &5)])
        .unwrap();
    assert!(commands.is_empty());
    let done = harness.signal("add", &200).unwrap();
    assert_eq!(testing::completed::<(i64, i64)>(&done), Some((5, 206)));
}

/// Waits for an activity, then reports the state.
#[derive(Default)]
struct Sees {
    signalled: bool,
}

#[workflow]
impl Sees {
    async fn run(ctx: WfContext<Self>) -> WfResult<bool> {
        ctx.activity_by_name::<()>("wait", &(), &options()).await?;
        Ok(ctx.state(|s| s.signalled))
    }

    #[signal]
    fn mark(&mut self) {
        self.signalled = true;
    }
}

#[test]
fn all_jobs_are_applied_before_any_task_runs() {
    let mut harness = Harness::new::<Sees>();
    harness.start(&()).unwrap();
    // The activity's answer comes first, but the signal is applied before the run
    // method resumes.
    let done = harness
        .activate(vec![
            testing::complete_activity(1, &()),
            testing::signal("mark", &()),
        ])
        .unwrap();
    assert_eq!(testing::completed::<bool>(&done), Some(true));
}

#[test]
fn undecodable_signals_are_logged_and_dropped() {
    let mut harness = Harness::new::<Tally>();
    harness.start(&1).unwrap();
    assert!(harness.signal("add", &"ten").unwrap().is_empty());
    let logs = harness.logs();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].0, LogLevel::Warn);
    assert!(
        logs[0]
            .1
            .starts_with("signal `add` dropped: its input does not decode as `i64`"),
        "{}",
        logs[0].1
    );
    // The workflow goes on.
    let done = harness.signal("add", &100).unwrap();
    assert_eq!(testing::completed::<(i64, i64)>(&done), Some((0, 101)));
}

#[test]
fn undecodable_values_on_a_channel_are_skipped() {
    let mut harness = Harness::new::<collector>();
    harness.start(&1).unwrap();
    harness.activate(vec![testing::fire_timer(1)]).unwrap();
    assert!(harness.signal("item", &7).unwrap().is_empty());
    let done = harness.signal("item", &"seven").unwrap();
    assert_eq!(testing::completed::<Vec<String>>(&done).unwrap(), ["seven"]);
    assert!(harness.logs()[0].1.starts_with(
        "signal `item` dropped: its input does not decode as `alloc::string::String`"
    ));
}

#[derive(Default)]
struct Batch {
    total: i64,
}

#[workflow]
impl Batch {
    async fn run(ctx: WfContext<Self>) -> WfResult<i64> {
        ctx.wait_condition(|s| s.total > 0).await?;
        Ok(ctx.state(|s| s.total))
    }

    /// Runs `n` activities at once and adds up their results.
    #[signal]
    async fn start(ctx: WfContext<Self>, n: u32) {
        let calls = (0..n).map(|_| ctx.activity_by_name::<i64>("six", &(), &options()));
        let sum: i64 = join_all(calls).await.into_iter().map(|r| r.unwrap()).sum();
        ctx.state_mut(|s| s.total += sum);
    }
}

#[test]
fn an_async_handler_runs_as_a_task_that_can_call_activities() {
    let mut harness = Harness::new::<Batch>();
    assert!(harness.start(&()).unwrap().is_empty());
    let commands = harness.signal("start", &3).unwrap();
    assert_eq!(
        describe(&commands),
        ["activity:1:six", "activity:2:six", "activity:3:six"]
    );
    let jobs = (1..=3)
        .map(|seq| testing::complete_activity(seq, &6))
        .collect();
    let done = harness.activate(jobs).unwrap();
    assert_eq!(describe(&done), ["complete:18"]);
}

/// Opens two channels of one name.
#[workflow]
async fn greedy(ctx: WfContext) -> WfResult<()> {
    let _first: SignalChannel<u8> = ctx.signal_channel("x");
    let _second: SignalChannel<u8> = ctx.signal_channel("x");
    Ok(())
}

#[test]
fn a_second_channel_for_one_name_panics() {
    let error = Harness::new::<greedy>().start(&()).unwrap_err();
    assert_eq!(
        error.message,
        "the workflow panicked: a channel for signal `x` is open already; a signal has one \
         channel at a time (keep the first one, or drop it before opening another)"
    );
    assert!(error.location.unwrap().file.ends_with("tests/signals.rs"));
}

#[derive(Default)]
struct Handled;

#[workflow]
impl Handled {
    async fn run(ctx: WfContext<Self>) -> WfResult<()> {
        let _channel = ctx.signal_channel::<()>("poke");
        Ok(())
    }

    #[signal]
    fn poke(&mut self) {}
}

#[test]
fn a_signal_with_a_handler_has_no_channel() {
    let error = Harness::new::<Handled>().start(&()).unwrap_err();
    assert!(
        error
            .message
            .contains("signal `poke` has a #[signal] handler, so it cannot also have a channel"),
        "{}",
        error.message
    );
}

/// Waits for a value or a timeout; then, with a fresh channel, takes what is left.
#[workflow]
async fn race_and_drain(ctx: WfContext) -> WfResult<(Option<u32>, Vec<u32>)> {
    let first = {
        let mut values = ctx.signal_channel::<u32>("value");
        let mut timeout = ctx.sleep(Duration::from_secs(5));
        weft_sdk::select! {
            value = values.recv() => Some(value),
            _ = timeout => None,
        }
    };
    ctx.sleep(Duration::from_secs(1)).await?;
    // The first channel was dropped; the next one gets what it left.
    let mut values = ctx.signal_channel::<u32>("value");
    Ok((first, values.drain()))
}

#[test]
fn a_channel_races_a_timer_and_a_dropped_channel_leaves_its_values() {
    let mut harness = Harness::new::<race_and_drain>();
    harness.start(&()).unwrap();
    let commands = harness
        .activate(vec![testing::signal("value", &1), testing::fire_timer(1)])
        .unwrap();
    // The signal was applied first, but `select!` prefers the branch written first.
    assert_eq!(describe(&commands), ["timer:2:1000"]);
    harness.signal("value", &2).unwrap();
    harness.signal("value", &3).unwrap();
    let done = harness.activate(vec![testing::fire_timer(2)]).unwrap();
    assert_eq!(
        testing::completed::<(Option<u32>, Vec<u32>)>(&done),
        Some((Some(1), vec![2, 3]))
    );
}

#[test]
fn a_timer_wins_when_no_signal_came() {
    let mut harness = Harness::new::<race_and_drain>();
    harness.start(&()).unwrap();
    harness.activate(vec![testing::fire_timer(1)]).unwrap();
    let done = harness
        .activate(vec![testing::fire_timer(2), testing::signal("value", &9)])
        .unwrap();
    assert_eq!(
        testing::completed::<(Option<u32>, Vec<u32>)>(&done),
        Some((None, vec![9]))
    );
}
