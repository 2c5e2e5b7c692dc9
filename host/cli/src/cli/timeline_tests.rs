//! Tests of `timeline`.

use super::*;
use crate::contract::{
    ActivityOptions, Failure, IssuedCommand, ResolveActivity, ScheduleActivity, StartTimer,
    StartWorkflow,
};
use crate::history::ExecutionStarted;

const T0: u64 = 1_795_324_203_146;

fn command(command: Command) -> Event {
    Event::Command(IssuedCommand {
        command,
        location: None,
    })
}

fn json(value: serde_json::Value) -> Payload {
    Payload::json(&value)
}

/// A `hello` run whose activity failed once, then a timer, then completion:
///
/// execution-started, task-started, start-workflow, schedule-activity(greet),
/// activity-attempt-failed, task-started, resolve-activity, start-timer,
/// task-started, fire-timer, complete-workflow.
fn history() -> Vec<Event> {
    vec![
        Event::ExecutionStarted(ExecutionStarted {
            workflow_type: "hello".into(),
            workflow_id: "hello-1".into(),
            run_id: "59728779a00e".into(),
            module_digest: "e7bfd5c92986385ae799097ce3b1ce39".into(),
            time_ms: T0,
        }),
        Event::TaskStarted { time_ms: T0 },
        Event::Job(Job::StartWorkflow(StartWorkflow {
            workflow_type: "hello".into(),
            input: json(serde_json::json!("world")),
            workflow_id: "hello-1".into(),
            run_id: "59728779a00e".into(),
            attempt: 1,
            parent_workflow_id: None,
            random_seed: 7,
            search_attributes: vec![],
            memo: vec![],
        })),
        command(Command::ScheduleActivity(ScheduleActivity {
            seq: 1,
            activity_type: "greet".into(),
            input: json(serde_json::json!("world")),
            options: ActivityOptions {
                task_queue: None,
                start_to_close_timeout_ms: 10_000,
                schedule_to_close_timeout_ms: None,
                schedule_to_start_timeout_ms: None,
                heartbeat_timeout_ms: None,
                retry_policy: None,
            },
        })),
        Event::ActivityAttemptFailed {
            seq: 1,
            attempt: 1,
            failure: Failure::new("connection reset", "io"),
            retry_at_ms: T0 + 1_000,
        },
        Event::TaskStarted {
            time_ms: T0 + 1_012,
        },
        Event::Job(Job::ResolveActivity(ResolveActivity {
            seq: 1,
            resolution: ActivityResolution::Completed(json(serde_json::json!("x".repeat(100)))),
        })),
        command(Command::StartTimer(StartTimer {
            seq: 2,
            duration_ms: 2_000,
        })),
        Event::TaskStarted {
            time_ms: T0 + 3_013,
        },
        Event::Job(Job::FireTimer(2)),
        command(Command::CompleteWorkflow(json(
            serde_json::json!({"ok": true}),
        ))),
    ]
}

#[test]
fn each_event_has_its_task_time_and_key_fields() {
    let lines = timeline(&history());
    let view: Vec<(u64, &str, &str)> = lines
        .iter()
        .map(|l| (l.offset_ms, l.event.as_str(), l.details.as_str()))
        .collect();
    let long = format!("\"{}…", "x".repeat(78));
    assert_eq!(
        view,
        vec![
            (
                0,
                "execution-started",
                "hello id=hello-1 run=59728779a00e module=e7bfd5c92986"
            ),
            (0, "task-started", ""),
            (0, "start-workflow", "input=\"world\""),
            (0, "schedule-activity", "greet seq=1 input=\"world\""),
            (
                0,
                "activity-attempt-failed",
                "greet seq=1 attempt 1 failed: io: connection reset; next at +1000ms"
            ),
            (1012, "task-started", ""),
            (
                1012,
                "resolve-activity",
                &*format!("greet seq=1 completed {long}")
            ),
            (1012, "start-timer", "seq=2 for 2.0 s"),
            (3013, "task-started", ""),
            (3013, "fire-timer", "seq=2"),
            (3013, "complete-workflow", "{\"ok\":true}"),
        ]
    );
    assert_eq!(long.chars().count(), VALUE_WIDTH);
}

#[test]
fn rendered_timeline_has_a_header_and_aligned_columns() {
    let text = render("hello-1", "59728779a00e", &history());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "history of hello-1 (run 59728779a00e), started 2026-11-22 05:10:03 UTC, 11 events"
    );
    assert_eq!(lines[1], "  #  TIME     EVENT                    DETAILS");
    assert_eq!(lines[2].find("execution-started"), lines[1].find("EVENT"));
    assert_eq!(lines[11], "  9  +3013ms  fire-timer               seq=2");
    assert_eq!(lines.len(), 2 + 11);
}

#[test]
fn an_empty_history_renders_a_header_only() {
    let text = render("x", "y", &[]);
    assert_eq!(text.lines().count(), 2);
}

#[test]
fn what_arrived_between_tasks_is_at_its_own_time_and_the_mark_is_no_line() {
    let mut events = history();
    // The attempt failed 600 ms after the first task, a cancel request came 200 ms later.
    events.insert(4, Event::Arrived { time_ms: T0 + 600 });
    events.insert(6, Event::Arrived { time_ms: T0 + 800 });
    events.insert(
        7,
        Event::CancelRequested {
            reason: "enough".into(),
        },
    );
    let lines = timeline(&events);
    let at = |index: usize| {
        let line = lines.iter().find(|l| l.index == index).expect("a line");
        (line.offset_ms, line.event.as_str())
    };
    assert_eq!(at(5), (600, "activity-attempt-failed"));
    assert_eq!(at(7), (800, "cancel-requested"));
    assert_eq!(at(8), (1012, "task-started"));
    assert!(lines.iter().all(|l| l.event != "arrived"));
    assert_eq!(
        lines.len(),
        events.len() - 2,
        "the marks keep their numbers"
    );
}
