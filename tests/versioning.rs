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

use crate::support;

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
    let engine = support::engine();
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
    let engine = support::engine();
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
    let ticket = versioning_v2_ticket("ada");
    assert_eq!(result, json!(format!("HELLO, ADA! (TICKET {ticket})")));
    assert_eq!(patch_markers(&events), ["ticket"]);
    let engine = support::engine();
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
    let engine = support::engine();
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
    let engine = support::engine();
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

/// The example the way a user evolves it: a run started on v1 sleeps; deploying v2
/// moves it (v2 replays its history); it wakes on v2, takes the patched branch, and
/// while its greeting is held (past the patch) a checked deploy of v3 is refused with
/// a report naming the lines; released, the run completes on v2.
#[tokio::test]
async fn versioning_moves_a_v1_run_to_v2_and_a_checked_v3_is_refused() {
    use weft_host::runtime::{DeployError, DeployMode};
    use weft_host::ActivityRegistry;
    let gate = Arc::new(tokio::sync::Notify::new());
    let mut registry = ActivityRegistry::new();
    let held = gate.clone();
    registry
        .register_fn("greet", move |_ctx, name: String| {
            let held = held.clone();
            async move {
                held.notified().await;
                Ok(format!("Hello, {name}!"))
            }
        })
        .register_fn("to_upper", |_ctx, text: String| async move {
            Ok(text.to_uppercase())
        });
    let env = test_env()
        .manual_time()
        .activities(registry)
        .start()
        .await
        .unwrap();
    let host = env.host();
    host.deploy_module(
        component_bytes("versioning"),
        "versioning",
        DeployMode::Move,
    )
    .await
    .unwrap();
    let request = weft_host::runtime::StartRequest {
        workflow_id: Some("evolving".into()),
        ..weft_host::runtime::StartRequest::new("versioning", Payload::json(&json!("ada")))
    };
    let run = host.start(request).await.unwrap();
    let v2 = host
        .deploy_module(
            component_bytes("versioning-v2"),
            "versioning",
            DeployMode::Move,
        )
        .await
        .unwrap();
    assert_eq!(v2.moved.len(), 1, "{:?}", v2.stayed);
    assert_eq!(v2.moved[0].run_id, run.run_id);

    // Awake on v2: past the patch, its greeting held.
    env.skip(std::time::Duration::from_secs(61));
    let d = poll::until_async("evolving to schedule its activity on v2", || async {
        let d = weft_host::api::describe::describe(host, "evolving").unwrap();
        Some(d).filter(|d| !d.pending_activities.is_empty())
    })
    .await;
    assert_eq!(d.module_version, Some(2));
    assert!(d.module_moved_ms.is_some());
    let refused = host
        .deploy_module(
            component_bytes("versioning-v3"),
            "versioning",
            DeployMode::Check,
        )
        .await
        .unwrap_err();
    let DeployError::Diverged(diverged) = &refused else {
        panic!("{refused}");
    };
    assert_eq!(diverged[0].run_id, run.run_id);
    let v3_line = line_of("tests/fixtures/versioning-v3/src/lib.rs", "ctx.side_effect");
    let report = refused.to_string();
    assert!(
        report.contains(&format!("versioning-v3/src/lib.rs:{v3_line}:")),
        "{report}"
    );

    gate.notify_one();
    let outcome = host.wait(&run.run_id).await.unwrap();
    let ticket = versioning_v2_ticket("ada");
    assert_eq!(
        completed(&outcome),
        json!(format!("HELLO, ADA! (TICKET {ticket})"))
    );
    let events = host.history(&run.run_id).unwrap();
    assert_eq!(patch_markers(&events), ["ticket"]);
    assert_replays(host, "versioning-v2", &events);
}

/// The ticket `versioning-v2` draws for `name` (its `ticket_number`).
fn versioning_v2_ticket(name: &str) -> u64 {
    name.bytes()
        .fold(17u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
        % 10_000
}
