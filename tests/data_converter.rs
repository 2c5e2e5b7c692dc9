//! Ports of Temporal's `data_converter/*` features (json, binary, empty, codec, failure)
//! on the `data-converter` fixture, in a time-skipping test environment (`failure` on a
//! real server with a key file). Temporal's checkers look at the payloads of the
//! recorded history; these look at weft's: the input of the `start-workflow` job, the
//! `complete-workflow` result, the `schedule-activity` input and the `fail-workflow`
//! failure.
//!
//! Adapted to weft: payload encodings are weft's (`Json`, `Binary`, and `Encoded` for
//! what the payload codec stored), not Temporal's `json/plain` strings; `Binary` is
//! Temporal's `binary/plain` (the SDK's `weft_sdk::Binary`, its bytes as they are). A
//! codec's payloads are encrypted with a random nonce each, so `codec` checks that input
//! and result decode to the same payload rather than that their stored bytes are equal.
//! Temporal's `failure` sets a failure converter that encodes failures' messages; in
//! weft the payload codec does so whenever it is on, so `failure` runs with a key file.

use crate::support;

use base64::Engine as _;
use serde_json::{json, Value};
use support::{assert_replays, completed, component_bytes};
use weft_host::contract::Payload;
use weft_host::history::vocab::Encoding;
use weft_host::history::{Command, Event, Job, Outcome};
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
    let (result, events) = run_payload(env, workflow_type, Payload::json(&input)).await;
    (result.to_json(), events)
}

/// [`run`] with the input as a payload, and the result's.
async fn run_payload(env: &TestEnv, workflow_type: &str, input: Payload) -> (Payload, Vec<Event>) {
    let host = env.host();
    let run = host
        .start(StartRequest::new(workflow_type, input))
        .await
        .unwrap();
    let Outcome::Completed(result) = host.wait(&run.run_id).await.unwrap() else {
        panic!("{workflow_type} did not complete");
    };
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

/// The bytes travel as bytes: the result is a `binary` payload of 0xdeadbeef itself,
/// equal to the input, as Temporal's checker wants `binary/plain` and the content.
#[tokio::test]
async fn data_converter_binary() {
    let env = env(TestEnv::builder()).await;
    let bytes = Payload {
        encoding: Encoding::Binary,
        data: vec![0xde, 0xad, 0xbe, 0xef],
    };
    let (result, events) = run_payload(&env, "echo_bytes", bytes.clone()).await;
    assert_eq!(result, bytes);
    let (input, output) = input_and_result(&events);
    assert_eq!(output.encoding, Encoding::Binary);
    assert_eq!(output.data, [0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(input, output);
    // What readers show of it: the bytes in hex.
    assert_eq!(result.to_json(), json!({"binary": "deadbeef"}));
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

/// An activity's failure keeps its cause on its way to the workflow and out of it: an
/// activity that fails with an error whose source is an I/O error fails `empty`, which
/// passes it on with `?`; the run's failure is the activity's, its cause the source.
#[tokio::test]
async fn an_activity_failure_keeps_its_cause() {
    let builder = TestEnv::builder().mock_activity("null_arg", |_: Value| -> Result<(), _> {
        let io = std::io::Error::other("disk full");
        let error = weft_host::ActivityError::non_retryable("cannot write the ledger")
            .with_type("LedgerError")
            .with_cause(weft_host::ActivityError::from_error(&io));
        Err(error)
    });
    let env = env(builder).await;
    let host = env.host();
    let run = host
        .start(StartRequest::new("empty", Payload::json(&Value::Null)))
        .await
        .unwrap();
    let Outcome::Failed(failure) = host.wait(&run.run_id).await.unwrap() else {
        panic!("`empty` did not fail");
    };
    assert_eq!(failure.error_type, "LedgerError");
    assert!(
        failure.message.contains("cannot write the ledger"),
        "{}",
        failure.message
    );
    let cause = failure.cause.as_deref().expect("the activity's cause");
    assert_eq!(cause.message, "disk full");
    assert_eq!(cause.cause, None);
    let events = host.history(&run.run_id).unwrap();
    assert_replays(host, "data-converter", &events);
    // The resolve-activity job delivered the chain the workflow passed on.
    assert!(events.iter().any(|e| matches!(e,
        Event::Job(Job::ResolveActivity(r)) if matches!(&r.resolution,
            weft_host::history::vocab::ActivityResolution::Failed(f) if f.cause.is_some()))));
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

/// The stored failure of `failure-1`'s `fail-workflow` command, from a history file.
fn stored_failure(file: &std::path::Path) -> weft_host::history::Failure {
    let text = std::fs::read_to_string(file).unwrap();
    let (_, _, events) = weft_host::history::export::from_json(&text).unwrap();
    events
        .into_iter()
        .find_map(|e| match e {
            Event::Command(c) => match c.command {
                Command::FailWorkflow(f) => Some(f),
                _ => None,
            },
            _ => None,
        })
        .expect("a fail-workflow command")
}

/// data_converter/failure: with the payload codec on, a failure's message (and its
/// cause's) is encoded at rest as Temporal's failure converter does it: the stored
/// message reads "Encoded failure" and the real one is in the encoded attributes (an
/// encoded JSON payload); details, and the reasons of cancel and terminate requests, are
/// encoded too. Nothing of them is in the redb file; `weft result`, `describe` and
/// `history show` (with the keys) show the real text; `history export` keeps them
/// encoded unless `--decode`.
#[test]
fn data_converter_failure() {
    use support::server::{fails_with, ok, Server};

    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let keys = tmp.path().join("keys.json");
    let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    let text = json!({ "active": "k1", "keys": { "k1": key } });
    std::fs::write(&keys, text.to_string()).unwrap();
    let keys = keys.to_str().unwrap();
    let server = Server::start_with(&data, &[], &["--codec-keys", keys]);
    let component = support::component("data-converter");
    let name = ["--name", "data-converter"];
    ok(server.cli(&[&["deploy", component.to_str().unwrap()][..], &name].concat()));
    let input = json!({"main": "main error", "cause": "cause error", "note": "details-secret"});
    let input = input.to_string();
    ok(server.cli(&["start", "failure", "--id", "failure-1", "--input", &input]));
    let err = fails_with(server.cli(&["result", "failure-1"]), 3);
    assert!(
        err.contains("workflow failed (MainError): main error"),
        "{err}"
    );
    assert!(err.contains("caused by (CauseError): cause error"), "{err}");
    let described = ok(server.cli(&["describe", "failure-1"]));
    assert!(described.contains("MainError: main error"), "{described}");
    assert!(described.contains("CauseError: cause error"), "{described}");
    let shown = ok(server.cli(&["history", "show", "failure-1"]));
    assert!(
        shown.contains("main error; caused by CauseError: cause error"),
        "{shown}"
    );
    server.assert_replays("failure-1", "data-converter");
    for (verb, reason) in [
        ("cancel", "cancel-secret-7"),
        ("terminate", "terminate-secret-8"),
    ] {
        let id = format!("{verb}-1");
        ok(server.cli(&["start", "sleeps", "--id", &id]));
        ok(server.cli(&[verb, &id, "--reason", reason]));
        let _ = server.cli(&["result", &id]);
        let shown = ok(server.cli(&["history", "show", &id]));
        assert!(shown.contains(reason), "{shown}");
        server.assert_replays(&id, "data-converter");
    }
    let described = ok(server.cli(&["describe", "terminate-1"]));
    assert!(described.contains("terminate-secret-8"), "{described}");

    // The export keeps what is stored: Temporal's "Encoded failure" on the failure and
    // its cause, the messages in encoded JSON attributes.
    let exported = tmp.path().join("failure-1.json");
    let export = [
        "history",
        "export",
        "failure-1",
        "-o",
        exported.to_str().unwrap(),
    ];
    ok(server.cli(&export));
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(!text.contains("main error") && !text.contains("cause error"));
    let stored = stored_failure(&exported);
    assert_eq!(stored.chain().count(), 2);
    for failure in stored.chain() {
        assert_eq!(failure.message, "Encoded failure");
        let attributes = failure.encoded_attributes.as_ref().unwrap();
        assert_eq!(attributes.encoding, Encoding::Encoded);
        assert_eq!(Envelope::of(attributes).unwrap().encoding, Encoding::Json);
    }
    assert_eq!(stored.details.as_ref().unwrap().encoding, Encoding::Encoded);
    let decoded = tmp.path().join("failure-1-decoded.json");
    let decode = [
        "-o",
        decoded.to_str().unwrap(),
        "--decode",
        "--codec-keys",
        keys,
    ];
    ok(server.cli(&[&export[..3], &decode[..]].concat()));
    let opened = stored_failure(&decoded);
    assert_eq!(opened.message, "main error");
    assert_eq!(
        opened.details.unwrap().to_json(),
        json!({"note": "details-secret"})
    );
    let cause = opened.cause.unwrap();
    assert_eq!(
        (cause.message.as_str(), cause.error_type.as_str()),
        ("cause error", "CauseError")
    );
    assert!(server.terminate().success());

    let raw = std::fs::read(data.join("weft.redb")).unwrap();
    for secret in [
        "main error",
        "cause error",
        "details-secret",
        "cancel-secret-7",
        "terminate-secret-8",
    ] {
        let found = raw.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "`{secret}` is in the redb file");
    }
}
