//! True event times: what arrives between workflow tasks (an activity's failed attempt,
//! a cancel request) is recorded with the time it arrived, so `weft history show` and
//! the web UI's timeline place it when it happened, not at the task before it. On a
//! clock that moves only when the test skips it, through the CLI of a server in this
//! process.

use crate::support;

use std::time::Duration;

use support::in_process::InProcess;
use support::poll;
use support::server::ok;
use weft_host::history::Event;
use weft_host::{ActivityError, ActivityRegistry, HostConfig};

const T0: u64 = 1_800_000_000_000;

/// `flaky` fails every attempt.
fn registry() -> ActivityRegistry {
    let mut registry = ActivityRegistry::new();
    registry.register_fn("flaky", |_ctx, (): ()| async move {
        Err::<i64, _>(ActivityError::retryable("the downstream is down"))
    });
    registry
}

/// The `history show` line of the first event named `event` whose details contain
/// `detail`: its time column.
fn time_of(shown: &str, event: &str, detail: &str) -> String {
    let line = (shown.lines())
        .find(|l| l.split_whitespace().nth(2) == Some(event) && l.contains(detail))
        .unwrap_or_else(|| panic!("no {event} line with {detail:?} in\n{shown}"));
    line.split_whitespace().nth(1).unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_arrives_between_tasks_is_shown_when_it_arrived() {
    let server = InProcess::start(HostConfig::in_memory(), registry(), T0).await;
    let component = support::component("messages");
    ok(server
        .cli(&["deploy", component.to_str().unwrap(), "--name", "messages"])
        .await);
    let input = r#"{"seconds": 1, "activity": "flaky"}"#;
    ok(server
        .cli(&["start", "pausable", "--input", input, "--id", "times-1"])
        .await);
    ok(server
        .cli(&["signal", "times-1", "step", "--input", r#""a""#])
        .await);
    poll::until_async("the sleep armed", || async {
        let d = server.describe("times-1").await;
        (!d["pending_timers"].as_array().unwrap().is_empty()).then_some(())
    })
    .await;
    // The timer fires at +1 s, and the task then schedules `flaky`, whose first attempt
    // fails at once; its retry a second later fails between tasks.
    server.clock.skip(Duration::from_secs(1));
    let failures = |events: &[Event]| {
        (events.iter())
            .filter(|e| matches!(e, Event::ActivityAttemptFailed { .. }))
            .count()
    };
    poll::until_async("the first failure", || async {
        (failures(&server.history("times-1").await) == 1).then_some(())
    })
    .await;
    server.clock.skip(Duration::from_secs(1));
    poll::until_async("the second failure", || async {
        (failures(&server.history("times-1").await) == 2).then_some(())
    })
    .await;
    server.clock.skip(Duration::from_millis(400));
    ok(server
        .cli(&["cancel", "times-1", "--reason", "enough"])
        .await);
    poll::until_async("the cancel recorded", || async {
        let events = server.history("times-1").await;
        (events.iter())
            .any(|e| matches!(e, Event::CancelRequested { .. }))
            .then_some(())
    })
    .await;

    let shown = ok(server.cli(&["history", "show", "times-1"]).await);
    assert_eq!(
        time_of(&shown, "activity-attempt-failed", "attempt 1 "),
        "+1000ms"
    );
    assert_eq!(
        time_of(&shown, "activity-attempt-failed", "attempt 2 "),
        "+2000ms"
    );
    assert_eq!(time_of(&shown, "cancel-requested", "enough"), "+2400ms");
    assert!(
        !shown.contains("arrived"),
        "the marks are no lines:\n{shown}"
    );

    // The marks are in the history itself, so an export keeps them.
    let events = server.assert_replays("times-1", "messages").await;
    let marks: Vec<u64> = (events.iter())
        .filter_map(|e| match e {
            Event::Arrived { time_ms } => Some(time_ms - T0),
            _ => None,
        })
        .collect();
    assert_eq!(marks, vec![2_000, 2_400], "{events:#?}");

    // The web UI's full history shows the same times.
    let (status, page) = server
        .get("/ui/executions/times-1?tab=history&view=full")
        .await;
    assert_eq!(status, 200);
    let page = page.as_str().unwrap().to_string();
    let row = (page.split("<tr").skip(1))
        .find(|r| r.contains("cancel-requested"))
        .unwrap_or_else(|| panic!("no cancel row in {page}"));
    assert!(row.contains("+2.4 s"), "{row}");
}
