//! What a workflow issues: command order, sequence numbers, source locations, and the
//! deterministic combinators.

use std::time::Duration;

use weft_sdk::testing::{self, Harness};
use weft_sdk::wit::{Command, IssuedCommand};
use weft_sdk::{join_all, workflow, ActivityOptions, ActivityType, WfContext, WfResult};

struct Echo;

impl ActivityType for Echo {
    const NAME: &'static str = "echo";
    type Input = String;
    type Output = String;
}

fn options() -> ActivityOptions {
    ActivityOptions::start_to_close(Duration::from_secs(10))
}

/// A short description of each command: `activity:<seq>:<type>`, `timer:<seq>:<ms>`,
/// `complete`, `fail`.
fn describe(commands: &[IssuedCommand]) -> Vec<String> {
    commands
        .iter()
        .map(|issued| match &issued.command {
            Command::ScheduleActivity(s) => format!("activity:{}:{}", s.seq, s.activity_type),
            Command::StartTimer(t) => format!("timer:{}:{}", t.seq, t.duration_ms),
            Command::CompleteWorkflow(_) => "complete".to_owned(),
            Command::FailWorkflow(_) => "fail".to_owned(),
            other => format!("{other:?}"),
        })
        .collect()
}

/// Issues activities and timers interleaved, all before awaiting any; returns the line
/// of each call.
#[workflow]
async fn interleaved(ctx: WfContext) -> WfResult<Vec<u32>> {
    let (a1, l1) = (ctx.activity(Echo, "a".into(), &options()), line!());
    let (t1, l2) = (ctx.sleep(Duration::from_millis(1500)), line!());
    let (a2, l3) = (ctx.activity(Echo, "b".into(), &options()), line!());
    let (t2, l4) = (ctx.sleep(Duration::from_micros(1)), line!());
    let (a, t1, b, t2) = weft_sdk::join!(a1, t1, a2, t2);
    t1?;
    t2?;
    a?;
    b?;
    Ok(vec![l1, l2, l3, l4])
}

#[test]
fn each_kind_counts_from_one_in_call_order() {
    let mut harness = Harness::new::<interleaved>();
    let commands = harness.start(&()).unwrap();
    assert_eq!(
        describe(&commands),
        [
            "activity:1:echo",
            "timer:1:1500",
            "activity:2:echo",
            "timer:2:1"
        ]
    );

    let commands = harness
        .activate(vec![
            testing::fire_timer(2),
            testing::complete_activity(2, &"B"),
            testing::fire_timer(1),
            testing::complete_activity(1, &"A"),
        ])
        .unwrap();
    assert_eq!(describe(&commands), ["complete"]);
}

#[test]
fn commands_carry_the_line_that_issued_them() {
    let mut harness = Harness::new::<interleaved>();
    let issued = harness.start(&()).unwrap();
    let done = harness
        .activate(vec![
            testing::complete_activity(1, &"A"),
            testing::complete_activity(2, &"B"),
            testing::fire_timer(1),
            testing::fire_timer(2),
        ])
        .unwrap();
    let lines: Vec<u32> = testing::completed(&done).unwrap();
    for (command, line) in issued.iter().zip(lines) {
        let location = command.location.as_ref().unwrap();
        assert!(location.file.ends_with("tests/commands.rs"), "{location:?}");
        assert_eq!(location.line, line);
    }
    // `complete-workflow` points at the workflow's definition.
    let location = done[0].location.as_ref().unwrap();
    assert!(location.file.ends_with("tests/commands.rs"));
}

/// Fans out `n` activities whose results are appended to a log as each branch resumes.
#[workflow]
async fn fan(ctx: WfContext, n: u32) -> WfResult<(Vec<String>, Vec<String>)> {
    let resumed = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let branches = (0..n).map(|i| {
        let call = ctx.activity(Echo, i.to_string(), &options());
        let resumed = resumed.clone();
        async move {
            let value = call.await?;
            resumed.borrow_mut().push(value.clone());
            WfResult::Ok(value)
        }
    });
    let results = join_all(branches)
        .await
        .into_iter()
        .collect::<WfResult<Vec<_>>>()?;
    let resumed = resumed.borrow().clone();
    Ok((results, resumed))
}

#[test]
fn join_all_issues_in_order_and_resumes_branches_in_declaration_order() {
    let mut harness = Harness::new::<fan>();
    let commands = harness.start(&40).unwrap();
    let expected: Vec<String> = (1..=40).map(|seq| format!("activity:{seq}:echo")).collect();
    assert_eq!(describe(&commands), expected);

    // Resolve in reverse order, across two activations.
    let jobs = |seqs: std::ops::RangeInclusive<u32>| {
        seqs.rev()
            .map(|seq| testing::complete_activity(seq, &format!("r{}", seq - 1)))
            .collect::<Vec<_>>()
    };
    assert!(harness.activate(jobs(21..=40)).unwrap().is_empty());
    let done = harness.activate(jobs(1..=20)).unwrap();
    let (results, resumed): (Vec<String>, Vec<String>) = testing::completed(&done).unwrap();
    let in_order: Vec<String> = (0..40).map(|i| format!("r{i}")).collect();
    assert_eq!(results, in_order);
    // Branches resumed in declaration order within each activation, whatever order
    // the jobs came in.
    let mut expected_resumes: Vec<String> = (20..40).map(|i| format!("r{i}")).collect();
    expected_resumes.extend((0..20).map(|i| format!("r{i}")));
    assert_eq!(resumed, expected_resumes);
}

/// Races an activity against a timer.
#[workflow]
async fn race(ctx: WfContext) -> WfResult<String> {
    let mut activity = ctx.activity(Echo, "slow".into(), &options());
    let mut timer = ctx.sleep(Duration::from_secs(5));
    weft_sdk::select! {
        result = activity => Ok(result?),
        fired = timer => fired.map(|()| "timed out".to_owned()).map_err(Into::into),
    }
}

#[test]
fn select_is_biased_to_the_first_branch() {
    let mut harness = Harness::new::<race>();
    assert_eq!(
        describe(&harness.start(&()).unwrap()),
        ["activity:1:echo", "timer:1:5000"]
    );
    // Both ready in the same activation: the first branch wins.
    let done = harness
        .activate(vec![
            testing::fire_timer(1),
            testing::complete_activity(1, &"fast"),
        ])
        .unwrap();
    assert_eq!(testing::completed::<String>(&done).unwrap(), "fast");
}

#[test]
fn select_loser_is_cancelled_and_its_answer_ignored() {
    let mut harness = Harness::new::<race>();
    harness.start(&()).unwrap();
    let done = harness.activate(vec![testing::fire_timer(1)]).unwrap();
    // Dropping the losing activity cancels it (`TryCancel`), at the line that scheduled it.
    assert_eq!(done[0].command, Command::RequestCancelActivity(1));
    assert_eq!(testing::completed::<String>(&done).unwrap(), "timed out");
    // The activity's result arrives after the workflow finished: accepted, ignored.
    assert!(harness
        .activate(vec![testing::complete_activity(1, &"late")])
        .unwrap()
        .is_empty());
}

/// Reads the time before and after a timer, draws random numbers and logs.
#[workflow(name = "clock-and-dice")]
async fn clock_and_dice(ctx: WfContext) -> WfResult<(u64, u64, u64)> {
    let before = ctx.now();
    ctx.sleep(Duration::from_secs(3)).await?;
    let slept = ctx.now().duration_since(before).unwrap();
    weft_sdk::info!("slept {} ms in {}", slept.as_millis(), ctx.workflow_id());
    Ok((slept.as_millis() as u64, ctx.random_u64(), ctx.random_u64()))
}

#[test]
fn time_random_and_logs_come_from_the_host() {
    use weft_sdk::Workflow;
    assert_eq!(clock_and_dice::NAME, "clock-and-dice");
    let mut harness = Harness::new::<clock_and_dice>();
    harness.start(&()).unwrap();
    harness.advance(Duration::from_millis(3001));
    let done = harness.activate(vec![testing::fire_timer(1)]).unwrap();
    let (slept, r1, r2): (u64, u64, u64) = testing::completed(&done).unwrap();
    assert_eq!(slept, 3001);
    assert_ne!(r1, r2);
    assert_eq!(
        harness.logs(),
        [(
            weft_sdk::LogLevel::Info,
            "slept 3001 ms in test-workflow".to_owned()
        )]
    );
}

#[test]
fn the_same_jobs_produce_the_same_commands() {
    // What replay relies on: a fresh instance fed the recorded activations issues
    // exactly the recorded commands.
    let activations = || {
        vec![
            (11..=20)
                .map(|seq| testing::complete_activity(seq, &seq.to_string()))
                .collect::<Vec<_>>(),
            (1..=10)
                .rev()
                .map(|seq| testing::complete_activity(seq, &seq.to_string()))
                .collect(),
        ]
    };
    let record = || {
        let mut harness = Harness::new::<fan>();
        let mut all = vec![harness.start(&20).unwrap()];
        for jobs in activations() {
            all.push(harness.activate(jobs).unwrap());
        }
        all
    };
    let recorded = record();
    assert_eq!(recorded.len(), 3);
    assert_eq!(recorded, record());
}
