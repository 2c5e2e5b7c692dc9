//! Versioning: the `versioning` workflow in three versions (`guest-examples/versioning`,
//! `tests/fixtures/versioning-v2` with `ctx.patched("ticket")` and a side effect,
//! `tests/fixtures/versioning-v3` without the patch) replaying each other's histories.
//!
//! Every history here is recorded live on the time-skipping test environment:
//!
//! - v1: `TaskStarted`, `start-workflow`, `start-timer 1` | `TaskStarted`,
//!   `fire-timer 1`, `schedule-activity 1 greet` | … `complete-workflow`
//! - v2: … | `TaskStarted`, `fire-timer 1`, `record-marker patch ticket`,
//!   `record-marker side-effect`, `schedule-activity 1 greet` | … `schedule-activity 2
//!   to_upper` | … `complete-workflow`

mod support;

use std::sync::Arc;

use serde_json::json;
use support::*;
use weft_host::engine::{Engine, Module};
use weft_host::history::vocab::{Marker, Query};
use weft_host::history::{Activation, Command, Event, Job, Payload};
use weft_host::replay::{self, ReplayError};
use weft_host::testing::TestEnv;

/// Run `versioning` for `name` on component `component`, every task rebuilt by replay
/// (a cache of no instance), and return its result and history.
async fn record(component: &str, name: &str) -> (serde_json::Value, Vec<Event>) {
    let env: TestEnv = test_env()
        .activities(activities())
        .cache_size(0)
        .start()
        .await
        .unwrap();
    env.deploy(component_bytes(component), "versioning")
        .await
        .unwrap();
    let (run, outcome) = env.execute("versioning", json!(name)).await.unwrap();
    let events = env.host().history(&run.run_id).unwrap();
    (completed(&outcome), events)
}

fn load(engine: &Arc<Engine>, component: &str) -> Arc<Module> {
    engine.load(&component_bytes(component)).unwrap()
}

/// Replay `events` on `component`, then ask the rebuilt instance the `ticket` query.
fn replayed_ticket(component: &str, events: &[Event]) -> serde_json::Value {
    let engine = Engine::new(Default::default()).unwrap();
    let module = load(&engine, component);
    let mut instance = engine.instantiate(&module, "versioning-test").unwrap();
    replay::replay_into(&mut instance, events).unwrap_or_else(|e| panic!("{e}"));
    let query = Activation {
        jobs: vec![Job::Query(Query {
            id: "q".into(),
            name: "ticket".into(),
            input: Payload::json(&json!(null)),
        })],
        time_ms: 0,
        is_replaying: false,
    };
    let info = replay::history_info(events.len(), 0);
    let commands = instance.activate(&query, info).unwrap();
    match &commands[..] {
        [c] => match &c.command {
            Command::RespondQuery(r) => r.result.as_ref().unwrap().to_json(),
            other => panic!("expected respond-query, got {other:?}"),
        },
        other => panic!("expected one command, got {other:?}"),
    }
}

/// The 1-based line of the first line of `file` (under the repo root) containing `text`.
fn line_of(file: &str, text: &str) -> usize {
    let source = std::fs::read_to_string(repo_root().join(file)).unwrap();
    source.lines().position(|l| l.contains(text)).unwrap() + 1
}

fn patch_markers(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Command(c) => match &c.command {
                Command::RecordMarker(Marker::Patch(id)) => Some(id.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_v1_history_replays_on_v2_through_the_old_branch() {
    let (result, events) = record("versioning", "ada").await;
    assert_eq!(result, json!("Hello, ada!"));
    assert!(patch_markers(&events).is_empty());
    let engine = Engine::new(Default::default()).unwrap();
    let stats = replay::replay(&engine, &load(&engine, "versioning-v2"), &events).unwrap();
    assert_eq!(stats.events, events.len());
    // The old branch draws no ticket.
    assert_eq!(replayed_ticket("versioning-v2", &events), json!(null));
}

#[tokio::test]
async fn a_v2_history_replays_on_v2_through_the_new_branch() {
    // Recorded with every task rebuilt by replay: the live run already replays its own
    // patch and side effect at each step.
    let (result, events) = record("versioning-v2", "ada").await;
    let ticket = 17u64
        .wrapping_mul(31)
        .wrapping_add(u64::from(b'a'))
        .wrapping_mul(31)
        .wrapping_add(u64::from(b'd'))
        .wrapping_mul(31)
        .wrapping_add(u64::from(b'a'))
        % 10_000;
    assert_eq!(result, json!(format!("HELLO, ADA! (TICKET {ticket})")));
    assert_eq!(patch_markers(&events), ["ticket"]);
    let engine = Engine::new(Default::default()).unwrap();
    replay::replay(&engine, &load(&engine, "versioning-v2"), &events).unwrap();
    assert_eq!(replayed_ticket("versioning-v2", &events), json!(ticket));
}

#[tokio::test]
async fn a_side_effect_replays_the_recorded_value_without_running_its_closure() {
    let (_, mut events) = record("versioning-v2", "ada").await;
    // As if the ticket rule had drawn 4242 when the run was recorded: replay must hand
    // back the recorded value, not compute the ticket again.
    let mut changed = 0;
    for event in &mut events {
        if let Event::Command(c) = event {
            if let Command::RecordMarker(Marker::SideEffect(value)) = &mut c.command {
                *value = Payload::json(&json!(4242));
                changed += 1;
            }
        }
    }
    assert_eq!(changed, 1);
    assert_eq!(replayed_ticket("versioning-v2", &events), json!(4242));
}

#[tokio::test]
async fn a_v2_history_does_not_replay_on_v3_and_the_report_names_the_patch() {
    let (_, events) = record("versioning-v2", "ada").await;
    let engine = Engine::new(Default::default()).unwrap();
    let err = replay::replay(&engine, &load(&engine, "versioning-v3"), &events).unwrap_err();
    let ReplayError::Nondeterminism { recorded, new, .. } = &err else {
        panic!("expected nondeterminism, got {err}");
    };
    let recorded = recorded.as_ref().as_ref().unwrap();
    assert_eq!(
        recorded.command,
        Command::RecordMarker(Marker::Patch("ticket".into()))
    );
    assert!(matches!(
        new.as_ref().as_ref().unwrap().command,
        Command::RecordMarker(Marker::SideEffect(_))
    ));
    let report = err.to_string();
    let v2_line = line_of(
        "tests/fixtures/versioning-v2/src/lib.rs",
        "ctx.patched(\"ticket\")",
    );
    let v3_line = line_of("tests/fixtures/versioning-v3/src/lib.rs", "ctx.side_effect");
    for expected in [
        "WEFT-NDE-1".to_string(),
        "record-marker patch `ticket`".into(),
        format!("versioning-v2/src/lib.rs:{v2_line}:"),
        format!("versioning-v3/src/lib.rs:{v3_line}:"),
        "at a patch: the run recorded patch `ticket` here".into(),
        "ctx.deprecate_patch(\"ticket\")".into(),
    ] {
        assert!(report.contains(&expected), "{expected:?} not in\n{report}");
    }
}

#[tokio::test]
async fn a_v1_history_does_not_replay_on_v3_and_the_report_suggests_a_patch() {
    let (_, events) = record("versioning", "ada").await;
    let engine = Engine::new(Default::default()).unwrap();
    let err = replay::replay(&engine, &load(&engine, "versioning-v3"), &events).unwrap_err();
    let report = err.to_string();
    assert!(
        report.contains("recorded: schedule-activity seq=1 activity `greet`"),
        "{report}"
    );
    assert!(
        report.contains("new:      record-marker side-effect"),
        "{report}"
    );
    assert!(report.contains("if ctx.patched("), "{report}");
}
