//! Workflows built for a WASI target get a virtual WASI: `SystemTime`, `rand` and `uuid`
//! inside `guest-examples/wasi` are the recorded time and the recorded seed's stream, so
//! a run replays exactly; a WASI sleep (the `tests/fixtures/wasi-sleep` fixture) fails its
//! task with a message that points to `ctx.sleep`.

use crate::support;

use serde_json::{json, Value};
use support::*;
use weft_host::contract::{Activation, Command, HistoryInfo, Job, Payload, StartWorkflow};
use weft_host::engine::{Engine, WorkflowInstance};
use weft_host::history::Event;

/// A run of the `wasi` example on a real host: its result and its history.
async fn run_wasi(host: &weft_host::Host) -> (Value, Vec<Event>) {
    let (run_id, outcome) = execute(host, "wasi", Value::Null).await;
    (completed(&outcome), host.history(&run_id).unwrap())
}

fn assert_v4(uuid: &Value) -> uuid::Uuid {
    let text = uuid.as_str().unwrap_or_else(|| panic!("uuid is {uuid}"));
    let parsed = uuid::Uuid::parse_str(text).unwrap();
    assert_eq!(parsed.get_version_num(), 4, "{text}");
    parsed
}

#[tokio::test]
async fn wasi_example_sees_the_recorded_time_and_seed_and_replays() {
    let dir = tempfile::tempdir().unwrap();
    let host = host(dir.path()).await;
    host.deploy(component_bytes("wasi"), "wasi", false)
        .await
        .unwrap();

    let (first, events) = run_wasi(&host).await;
    let uuid = assert_v4(&first["uuid"]);
    let task_time = events
        .iter()
        .find_map(|event| match event {
            Event::TaskStarted { time_ms } => Some(*time_ms),
            _ => None,
        })
        .expect("a task started");
    assert_eq!(first["now_ms"], json!(task_time), "{first}");
    assert_eq!(first["workflow_now_ms"], json!(task_time), "{first}");
    let dice = first["dice"].as_array().unwrap();
    assert_eq!(dice.len(), 5);
    assert!(dice.iter().all(|d| (1..=6).contains(&d.as_u64().unwrap())));
    // Replay compares the completion command, result included: same uuid, time, dice.
    assert_replays(&host, "wasi", &events);

    let (second, _) = run_wasi(&host).await;
    assert_ne!(
        assert_v4(&second["uuid"]),
        uuid,
        "each run has its own seed"
    );
}

fn activation(workflow_type: &str, seed: u64, time_ms: u64, replaying: bool) -> Activation {
    Activation {
        jobs: vec![Job::StartWorkflow(StartWorkflow {
            workflow_type: workflow_type.into(),
            input: Payload::json(&Value::Null),
            workflow_id: format!("{workflow_type}-1"),
            run_id: "run-1".into(),
            attempt: 1,
            parent_workflow_id: None,
            random_seed: seed,
            search_attributes: Vec::new(),
            memo: Vec::new(),
        })],
        time_ms,
        is_replaying: replaying,
    }
}

const NO_HISTORY: HistoryInfo = HistoryInfo {
    length: 0,
    size_bytes: 0,
    continue_as_new_suggested: false,
};

fn instance(engine: &Engine, component: &str) -> WorkflowInstance {
    let module = engine.load(&component_bytes(component)).unwrap();
    engine.instantiate(&module, "instance-test").unwrap()
}

/// The `wasi` example's result on a fresh instance.
fn wasi_result(engine: &Engine, seed: u64, time_ms: u64, replaying: bool) -> Value {
    let commands = instance(engine, "wasi")
        .activate(&activation("wasi", seed, time_ms, replaying), NO_HISTORY)
        .unwrap();
    match &commands[..] {
        [issued] => match &issued.command {
            Command::CompleteWorkflow(payload) => payload.to_json(),
            other => panic!("expected completion, got {other:?}"),
        },
        other => panic!("expected one command, got {other:?}"),
    }
}

#[test]
fn same_seed_and_time_give_the_same_result() {
    let engine = support::engine();
    let time_ms = 1_700_000_000_123;
    let recorded = wasi_result(&engine, 42, time_ms, false);
    assert_eq!(recorded["now_ms"], json!(time_ms));
    assert_eq!(wasi_result(&engine, 42, time_ms, true), recorded);
    let other_seed = wasi_result(&engine, 43, time_ms, false);
    assert_ne!(other_seed["uuid"], recorded["uuid"]);
    assert_eq!(other_seed["now_ms"], recorded["now_ms"]);
}

#[test]
fn wasi_sleep_fails_the_task_and_points_to_ctx_sleep() {
    let engine = support::engine();
    let mut sleeper = instance(&engine, "wasi-sleep");
    let failure = sleeper
        .activate(
            &activation("thread_sleep", 7, 1_700_000_000_000, false),
            NO_HISTORY,
        )
        .expect_err("a WASI sleep must not succeed");
    assert!(failure.message.contains("ctx.sleep"), "{}", failure.message);
    assert!(
        failure.message.contains("subscribe-duration"),
        "{}",
        failure.message
    );
}

#[test]
fn cli_runs_exports_and_replays_a_wasi_workflow() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let wasi = component("wasi");
    let out = weft()
        .env("WEFT_LOG", "info")
        .args(["run", "--data"])
        .arg(&data)
        .arg(&wasi)
        .args(["wasi", "--id", "wasi-1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    let uuid = assert_v4(&result["uuid"]).to_string();
    // The workflow's println! reached the host's log, with the workflow id.
    let printed = stderr
        .lines()
        .find(|line| line.contains(&format!("uuid {uuid}")))
        .unwrap_or_else(|| panic!("no stdout line in the log:\n{stderr}"));
    assert!(printed.contains("wasi-1"), "{printed}");

    let file = dir.path().join("wasi-1.history.json");
    export_history(&data, "wasi-1", &file);

    let out = weft()
        .env("WEFT_LOG", "info")
        .args(["replay", "--module"])
        .arg(&wasi)
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("matches"), "{stderr}");
    assert!(
        !stderr.contains(&format!("uuid {uuid}")),
        "stdout must be silent in replay:\n{stderr}"
    );
}
