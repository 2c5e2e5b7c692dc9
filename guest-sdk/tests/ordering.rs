//! The order of everything in an activation: jobs in the host's order, then the main
//! task and handler tasks in creation order, then wait conditions in creation order.
//! The same activations always give the same commands.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use common::describe;
use weft_sdk::testing::{self, Harness};
use weft_sdk::wit::{IssuedCommand, Job};
use weft_sdk::{join, workflow, ActivityOptions, WfContext, WfResult};

fn options() -> ActivityOptions {
    ActivityOptions::start_to_close(Duration::from_secs(10))
}

#[derive(Default)]
struct Relay {
    go: bool,
    log: Vec<String>,
}

#[workflow]
impl Relay {
    async fn run(ctx: WfContext<Self>, waiters: usize) -> WfResult<Vec<String>> {
        ctx.wait_condition(|s| s.go).await?;
        ctx.state_mut(|s| s.log.push("main".into()));
        ctx.wait_condition(move |s| s.log.len() > waiters).await?;
        Ok(ctx.state(|s| s.log.clone()))
    }

    /// Waits for `go` too, then logs its name.
    #[signal]
    async fn waiter(ctx: WfContext<Self>, name: String) {
        if ctx.wait_condition(|s| s.go).await.is_err() {
            return;
        }
        ctx.state_mut(|s| s.log.push(name));
    }

    #[signal]
    fn go(&mut self) {
        self.go = true;
    }
}

#[test]
fn tasks_resume_in_creation_order_when_their_conditions_turn_true_together() {
    let mut harness = Harness::new::<Relay>();
    harness.start(&2).unwrap();
    harness.signal("waiter", &"a").unwrap();
    harness.signal("waiter", &"b").unwrap();
    let done = harness.signal("go", &()).unwrap();
    assert_eq!(
        testing::completed::<Vec<String>>(&done).unwrap(),
        ["main", "a", "b"]
    );
}

#[test]
fn handler_tasks_are_created_in_job_order() {
    let mut harness = Harness::new::<Relay>();
    let done = harness
        .start_with(
            &2,
            vec![
                testing::signal("waiter", &"b"),
                testing::signal("waiter", &"a"),
                testing::signal("go", &()),
            ],
        )
        .unwrap();
    assert_eq!(
        testing::completed::<Vec<String>>(&done).unwrap(),
        ["main", "b", "a"]
    );
}

#[derive(Default)]
struct Mixed {
    log: Vec<String>,
}

#[workflow]
impl Mixed {
    async fn run(ctx: WfContext<Self>) -> WfResult<Vec<String>> {
        let own: String = ctx.activity_by_name("main", &(), &options()).await?;
        ctx.state_mut(|s| s.log.push(own));
        ctx.wait_condition(|s| s.log.len() >= 4).await?;
        Ok(ctx.state(|s| s.log.clone()))
    }

    #[signal]
    async fn fetch(ctx: WfContext<Self>, what: String) {
        let fetched: String = ctx
            .activity_by_name("fetch", &what, &options())
            .await
            .unwrap();
        ctx.state_mut(|s| s.log.push(fetched));
    }

    #[update]
    async fn bump(ctx: WfContext<Self>, name: String) -> WfResult<usize> {
        ctx.sleep(Duration::from_secs(1)).await?;
        Ok(ctx.state_mut(|s| {
            s.log.push(name);
            s.log.len()
        }))
    }
}

/// Start with two signals and an update, then answer everything in reverse order.
fn mixed_activations() -> Vec<Vec<Job>> {
    vec![
        vec![
            testing::signal("fetch", &"x"),
            testing::update("u1", "bump", &"bumped"),
            testing::signal("fetch", &"y"),
        ],
        vec![
            testing::fire_timer(1),
            testing::complete_activity(3, &"Y"),
            testing::complete_activity(2, &"X"),
            testing::complete_activity(1, &"M"),
        ],
    ]
}

fn run_mixed() -> Vec<Vec<IssuedCommand>> {
    let mut harness = Harness::new::<Mixed>();
    let mut activations = mixed_activations().into_iter();
    let mut all = vec![harness
        .start_with(&(), activations.next().unwrap())
        .unwrap()];
    all.extend(activations.map(|jobs| harness.activate(jobs).unwrap()));
    all
}

#[test]
fn commands_follow_job_order_then_creation_order() {
    let all = run_mixed();
    // Acceptance happens when the job is applied; then the main task runs, then the
    // handlers in the order their jobs came.
    assert_eq!(
        describe(&all[0]),
        [
            "accept:u1",
            "activity:1:main",
            "activity:2:fetch",
            "timer:1:1000",
            "activity:3:fetch"
        ]
    );
    // Answered in reverse, resumed in creation order all the same.
    assert_eq!(
        describe(&all[1]),
        ["complete-update:u1:3", r#"complete:["M","X","bumped","Y"]"#]
    );
}

#[test]
fn the_same_activations_give_the_same_commands() {
    let first = run_mixed();
    for _ in 0..5 {
        assert_eq!(run_mixed(), first);
    }
}

/// Waits for a flag or a timeout, whichever comes first.
#[derive(Default)]
struct Deadline {
    ready: bool,
}

#[workflow]
impl Deadline {
    async fn run(ctx: WfContext<Self>) -> WfResult<&'static str> {
        let mut ready = ctx.wait_condition(|s| s.ready);
        let mut timeout = ctx.sleep(Duration::from_secs(30));
        Ok(weft_sdk::select! {
            reached = ready => reached.map(|()| "ready")?,
            fired = timeout => fired.map(|()| "timed out")?,
        })
    }

    #[signal]
    fn ready(&mut self) {
        self.ready = true;
    }
}

#[test]
fn a_condition_can_race_a_timer() {
    let mut harness = Harness::new::<Deadline>();
    harness.start(&()).unwrap();
    let done = harness.signal("ready", &()).unwrap();
    assert_eq!(testing::completed::<String>(&done).unwrap(), "ready");

    let mut harness = Harness::new::<Deadline>();
    harness.start(&()).unwrap();
    let done = harness.activate(vec![testing::fire_timer(1)]).unwrap();
    assert_eq!(testing::completed::<String>(&done).unwrap(), "timed out");
    // The losing condition was dropped with its future: a late signal changes nothing.
    assert!(harness.signal("ready", &()).unwrap().is_empty());
}

#[test]
fn a_condition_that_holds_already_does_not_wait() {
    let mut harness = Harness::new::<Deadline>();
    let done = harness
        .start_with(&(), vec![testing::signal("ready", &())])
        .unwrap();
    assert_eq!(testing::completed::<String>(&done).unwrap(), "ready");
}

/// Counts two signals in one branch while the other waits on the shared count.
#[workflow]
async fn counted(ctx: WfContext) -> WfResult<u32> {
    let count = Rc::new(Cell::new(0));
    let counter = count.clone();
    let mut pings = ctx.signal_channel::<()>("ping");
    let receive = async move {
        for _ in 0..2 {
            pings.recv().await;
            counter.set(counter.get() + 1);
        }
    };
    let seen = count.clone();
    let ((), reached) = join!(receive, ctx.wait_until(move || seen.get() == 2));
    reached?;
    Ok(count.get())
}

#[test]
fn wait_until_watches_state_a_function_shares_between_branches() {
    let mut harness = Harness::new::<counted>();
    harness.start(&()).unwrap();
    assert!(harness.signal("ping", &()).unwrap().is_empty());
    let done = harness.signal("ping", &()).unwrap();
    assert_eq!(testing::completed::<u32>(&done), Some(2));
}

#[derive(Default)]
struct Tangled {
    n: u32,
}

#[workflow]
impl Tangled {
    async fn run(ctx: WfContext<Self>) -> WfResult<u32> {
        Ok(ctx.state(|s| ctx.state_mut(|t| t.n + s.n)))
    }
}

#[test]
fn a_reentrant_state_borrow_panics_at_the_line_that_did_it() {
    let error = Harness::new::<Tangled>().start(&()).unwrap_err();
    assert!(
        error.message.starts_with(
            "the workflow panicked: the workflow state is already borrowed (inside \
             `ctx.state`, `ctx.state_mut`, a wait condition or a handler)"
        ),
        "{}",
        error.message
    );
    let location = error.location.unwrap();
    assert!(location.file.ends_with("tests/ordering.rs"));
    let line = include_str!("ordering.rs")
        .lines()
        .position(|l| l.contains("ctx.state(|s| ctx.state_mut"))
        .unwrap() as u32
        + 1;
    assert_eq!(location.line, line);
}
