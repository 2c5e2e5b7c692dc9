//! What a workflow tells the host for the people who look at it: its current details
//! (`ctx.set_current_details`) and what it waits on that issued no command (conditions
//! and signal channels, with the line that awaits them).

use weft_sdk::testing::{self, Harness};
use weft_sdk::wit::{WaitKind, WaitPoint};
use weft_sdk::{select, workflow, WfContext, WfResult};

#[derive(Default)]
struct Review {
    approved: bool,
}

#[workflow]
impl Review {
    async fn run(ctx: WfContext<Self>) -> WfResult<String> {
        ctx.set_current_details("waiting for **approval**");
        ctx.wait_condition(|s| s.approved).await?;
        ctx.set_current_details("waiting for a comment");
        let mut comments = ctx.signal_channel::<String>("comment");
        let comment = select! {
            c = comments.recv() => c,
            _ = ctx.cancelled() => return Ok("cancelled".into()),
        };
        ctx.set_current_details("");
        Ok(comment)
    }

    #[signal]
    fn approve(&mut self) {
        self.approved = true;
    }
}

/// The 1-based line of this file where `text` first stands (in a workflow above).
fn line_of(text: &str) -> u32 {
    let index = include_str!("details.rs")
        .lines()
        .position(|l| l.contains(text));
    index.expect("the text is in this file") as u32 + 1
}

/// (kind, name, line in this file).
fn shown(points: &[WaitPoint]) -> Vec<(WaitKind, String, u32)> {
    points
        .iter()
        .map(|p| {
            let at = p.location.as_ref().expect("a wait names its line");
            assert!(at.file.ends_with("tests/details.rs"), "{}", at.file);
            (p.kind, p.name.clone(), at.line)
        })
        .collect()
}

#[test]
fn details_and_waits_follow_the_workflow() {
    let mut harness = Harness::new::<Review>();
    harness.start(&()).unwrap();
    assert_eq!(
        harness.current_details().as_deref(),
        Some("waiting for **approval**")
    );
    assert_eq!(
        shown(&harness.waiting_on()),
        [(
            WaitKind::Condition,
            "".into(),
            line_of("ctx.wait_condition(")
        )]
    );

    harness.signal("approve", &()).unwrap();
    assert_eq!(
        harness.current_details().as_deref(),
        Some("waiting for a comment")
    );
    assert_eq!(
        shown(&harness.waiting_on()),
        [
            (
                WaitKind::Cancellation,
                "".into(),
                line_of("= ctx.cancelled()")
            ),
            (
                WaitKind::SignalChannel,
                "comment".into(),
                line_of("= comments.recv()")
            ),
        ]
    );

    let done = harness.signal("comment", &"fine").unwrap();
    assert_eq!(testing::completed::<String>(&done).unwrap(), "fine");
    assert_eq!(harness.current_details().as_deref(), Some(""));
}

#[workflow]
async fn wordy(ctx: WfContext) -> WfResult<()> {
    ctx.set_current_details("x".repeat(weft_sdk::MAX_CURRENT_DETAILS_BYTES + 1));
    Ok(())
}

#[test]
fn details_over_the_limit_fail_the_task_at_the_call() {
    let mut harness = Harness::new::<wordy>();
    let failure = harness.start(&()).unwrap_err();
    assert!(
        failure.message.contains("over the limit of 20000"),
        "{}",
        failure.message
    );
    let at = failure.location.expect("the panic names its line");
    assert_eq!(at.line, line_of("set_current_details(\"x\".repeat("));
}

/// Waits for a `go` signal for at most a minute, then sleeps an hour.
#[workflow]
async fn impatient(ctx: WfContext) -> WfResult<bool> {
    let mut go = ctx.signal_channel::<()>("go");
    let went = select! {
        () = go.recv() => true,
        slept = ctx.sleep(std::time::Duration::from_secs(60)) => { slept?; false }
    };
    ctx.sleep(std::time::Duration::from_secs(3600)).await?;
    Ok(went)
}

/// A `recv` that lost a `select!` no longer waits: the next report leaves it out.
#[test]
fn a_receive_that_lost_a_select_is_no_longer_reported() {
    let mut harness = Harness::new::<impatient>();
    harness.start(&()).unwrap();
    let waits = harness.waiting_on();
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert_eq!(waits[0].kind, WaitKind::SignalChannel);
    assert_eq!(waits[0].name, "go");
    harness.activate(vec![testing::fire_timer(1)]).unwrap();
    assert_eq!(harness.waiting_on(), []);
}
