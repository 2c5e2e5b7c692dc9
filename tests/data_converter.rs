//! Ports of Temporal's `data_converter/*` features (json, binary, empty, codec) on the
//! `data-converter` fixture, in a time-skipping test environment. Temporal's checkers
//! look at the payloads of the recorded history; these look at weft's: the input of the
//! `start-workflow` job, the `complete-workflow` result and the `schedule-activity`
//! input.
//!
//! Adapted to weft: payload encodings are weft's (`Json`, `Binary`, and `Encoded` for
//! what the payload codec stored), not Temporal's `json/plain` strings. The SDK encodes
//! every typed value as JSON, so `binary` echoes bytes as a JSON array (Temporal's
//! `binary/plain` has no counterpart in the SDK). A codec's payloads are encrypted with
//! a random nonce each, so `codec` checks that input and result decode to the same
//! payload rather than that their stored bytes are equal.

use crate::support;

use base64::Engine as _;
use serde_json::{json, Value};
use support::{assert_replays, completed, component_bytes};
use weft_host::contract::Payload;
use weft_host::history::vocab::Encoding;
use weft_host::history::{Command, Event, Job};
use weft_host::payload_codec::{Envelope, Keyring, PayloadCodec};
use weft_host::runtime::StartRequest;
use weft_host::testing::{TestEnv, TestEnvBuilder};

async fn env(builder: TestEnvBuilder) -> TestEnv {
    let env = builder
        .compiled_cache(support::compiled_cache())
        .start()
        .await
        .unwrap();
    env.deploy(component_bytes("data-converter"), "data-converter")
        .await
        .unwrap();
    env
}

/// Run `workflow_type` with `input` to completion; its result and its history, which
/// replays on the fixture.
async fn run(env: &TestEnv, workflow_type: &str, input: Value) -> (Value, Vec<Event>) {
    let host = env.host();
    let run = host
        .start(StartRequest::new(workflow_type, Payload::json(&input)))
        .await
        .unwrap();
    let result = completed(&host.wait(&run.run_id).await.unwrap());
    let events = host.history(&run.run_id).unwrap();
    assert_replays(host, "data-converter", &events);
    (result, events)
}

/// The input of the run's `start-workflow` and its `complete-workflow` result.
fn input_and_result(events: &[Event]) -> (Payload, Payload) {
    let input = events.iter().find_map(|e| match e {
        Event::Job(Job::StartWorkflow(s)) => Some(s.input.clone()),
        _ => None,
    });
    let result = events.iter().find_map(|e| match e {
        Event::Command(c) => match &c.command {
            Command::CompleteWorkflow(p) => Some(p.clone()),
            _ => None,
        },
        _ => None,
    });
    (input.unwrap(), result.unwrap())
}

#[tokio::test]
async fn data_converter_json() {
    let env = env(TestEnv::builder()).await;
    let (result, events) = run(&env, "echo_json", json!({"spec": true})).await;
    assert_eq!(result, json!({"spec": true}));
    let (input, output) = input_and_result(&events);
    assert_eq!(output.encoding, Encoding::Json);
    let decoded: Value = serde_json::from_slice(&output.data).unwrap();
    assert_eq!(decoded, result);
    assert_eq!(input, output);
}

#[tokio::test]
async fn data_converter_binary() {
    let env = env(TestEnv::builder()).await;
    let bytes = vec![0xde_u8, 0xad, 0xbe, 0xef];
    let (result, events) = run(&env, "echo_bytes", json!(bytes)).await;
    let back: Vec<u8> = serde_json::from_value(result).unwrap();
    assert_eq!(back, bytes);
    let (input, output) = input_and_result(&events);
    assert_eq!(output.encoding, Encoding::Json);
    assert_eq!(output.data, b"[222,173,190,239]");
    assert_eq!(input, output);
}

#[tokio::test]
async fn data_converter_empty() {
    let builder = TestEnv::builder().mock_activity("null_arg", |input: Value| {
        if input.is_null() {
            Ok(())
        } else {
            Err(weft_host::ActivityError::non_retryable(format!(
                "null_arg takes null, not {input}"
            )))
        }
    });
    let env = env(builder).await;
    let (result, events) = run(&env, "empty", Value::Null).await;
    assert_eq!(result, Value::Null);
    let scheduled: Vec<&Payload> = events
        .iter()
        .filter_map(|e| match e {
            Event::Command(c) => match &c.command {
                Command::ScheduleActivity(a) if a.activity_type == "null_arg" => Some(&a.input),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(scheduled.len(), 1);
    assert_eq!(scheduled[0].encoding, Encoding::Json);
    assert_eq!(scheduled[0].data, b"null");
}

#[tokio::test]
async fn data_converter_codec() {
    let keys = json!({
        "active": "my-encoding-key",
        "keys": { "my-encoding-key": base64::engine::general_purpose::STANDARD.encode([7u8; 32]) },
    });
    let codec = PayloadCodec::new(Keyring::from_json(&keys.to_string()).unwrap());
    let env = env(TestEnv::builder().codec(codec.clone())).await;
    let (result, events) = run(&env, "echo_json", json!({"spec": true})).await;
    assert_eq!(result, json!({"spec": true}));
    // The runtime's history is plaintext; what is stored is not.
    let (input, output) = input_and_result(&events);
    assert_eq!(input, output);
    let run = env.host().find_run(&events_workflow_id(&events)).unwrap();
    let mut stored = env.host().inspect().stored().history_of(&run).unwrap();
    let (stored_input, stored_output) = input_and_result(&stored);
    for payload in [&stored_input, &stored_output] {
        assert_eq!(payload.encoding, Encoding::Encoded);
        let envelope = Envelope::of(payload).unwrap();
        assert_eq!(envelope.key_id.as_deref(), Some("my-encoding-key"));
        assert_eq!(envelope.encoding, Encoding::Json);
        assert!(!String::from_utf8_lossy(&envelope.data).contains("spec"));
    }
    codec.decode_events(&mut stored).unwrap();
    let (opened_input, opened_output) = input_and_result(&stored);
    assert_eq!(opened_output.encoding, Encoding::Json);
    let decoded: Value = serde_json::from_slice(&opened_output.data).unwrap();
    assert_eq!(decoded, result);
    assert_eq!(opened_input, opened_output);
    // The outcome table holds the result encoded too, and answers it decoded.
    assert_eq!(
        completed(&env.host().outcome(&run).unwrap().unwrap()),
        result
    );
}

fn events_workflow_id(events: &[Event]) -> String {
    events
        .iter()
        .find_map(|e| match e {
            Event::ExecutionStarted(s) => Some(s.workflow_id.clone()),
            _ => None,
        })
        .unwrap()
}
