//! Shared set-up of the ports of Temporal's feature suite: a time-skipping test
//! environment with the `messages` fixture deployed, runs started under fixed ids, and
//! the replay every end-to-end test makes of what it recorded.

use serde_json::Value;
use weft_host::contract::Payload;
use weft_host::history::{Command, Event, Job, Outcome};
use weft_host::runtime::{RunHandle, StartRequest};
use weft_host::testing::{TestEnv, TestEnvBuilder};

use super::{assert_replays, component_bytes};

/// `builder`'s environment with the fixture deployed.
pub async fn env_with(builder: TestEnvBuilder) -> TestEnv {
    deployed(builder, "messages").await
}

/// `builder`'s environment with the component `name` deployed under that name.
pub async fn deployed(builder: TestEnvBuilder, name: &str) -> TestEnv {
    let env = builder
        .compiled_cache(super::compiled_cache())
        .start()
        .await
        .unwrap();
    env.deploy(component_bytes(name), name).await.unwrap();
    env
}

/// The environment `builder` makes (with the tests' compiled components) once the data
/// file a dropped environment held is free again (its host lets go of it a moment
/// after the drop).
pub async fn reopened(builder: impl Fn() -> TestEnvBuilder) -> TestEnv {
    super::poll::until_async("the data file reopened", || async {
        let compiled = builder().compiled_cache(super::compiled_cache());
        compiled.start().await.ok()
    })
    .await
}

/// The activities and local activities the run scheduled, grouped by the workflow task
/// that scheduled them (tasks that scheduled none left out): `(activity, input)`.
pub fn scheduled_per_task(events: &[Event]) -> Vec<Vec<(String, Value)>> {
    let mut tasks: Vec<Vec<(String, Value)>> = Vec::new();
    for event in events {
        match event {
            Event::TaskStarted { .. } => tasks.push(Vec::new()),
            Event::Command(issued) => match &issued.command {
                Command::ScheduleActivity(s) | Command::ScheduleLocalActivity(s) => {
                    let input = serde_json::from_slice(&s.input.data).unwrap();
                    let task = tasks.last_mut().expect("commands come in a task");
                    task.push((s.activity_type.clone(), input));
                }
                _ => {}
            },
            _ => {}
        }
    }
    tasks.retain(|task| !task.is_empty());
    tasks
}

/// An environment whose activity `six` answers 6.
pub async fn env() -> TestEnv {
    env_with(TestEnv::builder().mock_activity("six", |(): ()| Ok(6i64))).await
}

/// Start `workflow_type` as workflow id `id`.
pub async fn start(env: &TestEnv, workflow_type: &str, id: &str, input: Value) -> RunHandle {
    env.host()
        .start(StartRequest {
            workflow_id: Some(id.to_string()),
            ..StartRequest::new(workflow_type, Payload::json(&input))
        })
        .await
        .unwrap()
}

/// Wait for the run to close, replay its history, and return how it ended.
pub async fn finish(env: &TestEnv, run: &RunHandle) -> Outcome {
    finish_with(env, run, "messages").await
}

/// [`finish`] for a run of the component `component_name`.
pub async fn finish_with(env: &TestEnv, run: &RunHandle, component_name: &str) -> Outcome {
    let waited = format!("run {} of {} to close", run.run_id, run.workflow_id);
    let outcome = super::poll::within(&waited, env.host().wait(&run.run_id))
        .await
        .unwrap();
    let events = env.host().history(&run.run_id).unwrap();
    assert_replays(env.host(), component_name, &events);
    outcome
}

/// The run's history replays on the fixture.
pub fn replays(env: &TestEnv, run: &RunHandle) -> Vec<Event> {
    let events = env.host().history(&run.run_id).unwrap();
    assert_replays(env.host(), "messages", &events);
    events
}

/// The completed run's result.
pub async fn result(env: &TestEnv, run: &RunHandle) -> Value {
    super::completed(&finish(env, run).await)
}

/// How many of the run's events are jobs or commands about updates, by kind.
pub fn update_events(events: &[Event]) -> (usize, usize, usize, usize) {
    let (mut delivered, mut accepted, mut rejected, mut completed) = (0, 0, 0, 0);
    for event in events {
        match event {
            Event::Job(Job::Update(_)) => delivered += 1,
            Event::Command(c) => match &c.command {
                Command::AcceptUpdate(_) => accepted += 1,
                Command::RejectUpdate(_) => rejected += 1,
                Command::CompleteUpdate(_) => completed += 1,
                _ => {}
            },
            _ => {}
        }
    }
    (delivered, accepted, rejected, completed)
}
