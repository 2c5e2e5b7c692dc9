//! Misbehaving workflows and bad input get clear errors and leave other executions
//! untouched.

use crate::support;

use serde_json::json;
use support::*;
use weft_host::contract::Payload;
use weft_host::history::Outcome;
use weft_host::runtime::StartRequest;

fn failure_message(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Failed(f) => format!("{}: {}", f.error_type, f.message),
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// A panic, an endless loop and a memory hog each fail their workflow task; the run
/// stays open with the failure recorded once (the task is retried with backoff, here
/// on a virtual clock that does not move), and a healthy execution runs alongside.
#[tokio::test]
async fn misbehaving_workflows_stay_open_and_fail_alone() {
    let env = test_env()
        .activities(activities())
        .manual_time()
        .start()
        .await
        .unwrap();
    let host = env.host().clone();
    host.deploy(component_bytes("misbehave"), "misbehave", false)
        .await
        .unwrap();
    host.deploy(component_bytes("hello"), "hello", false)
        .await
        .unwrap();

    // A healthy execution runs alongside the bad ones.
    let healthy = {
        let host = host.clone();
        tokio::spawn(async move { execute(&host, "hello", json!("neighbour")).await })
    };
    for (workflow, expected) in [
        ("panics", "deliberate panic in a workflow"),
        ("loops", "deadline"),
        ("hoards", "trapped"),
    ] {
        let run = env.start(workflow, json!(null)).await.unwrap();
        let failing = failing_task(&host, &run.run_id).await;
        assert!(
            failing.failure.message.contains(expected),
            "{workflow}: {}",
            failing.failure.message
        );
        assert_eq!(failing.attempts, 1);
        assert!(failing.retry_at_ms > env.now_ms());
        assert!(host.find_run(&run.run_id).unwrap().status.is_open());
        if workflow == "panics" {
            let line = failing.failure.location.expect("a panic has a source line");
            assert!(line.file.ends_with("misbehave/src/lib.rs"), "{line:?}");
            // Replay reproduces it: no completed task yet, the failed one's jobs pending.
            let events = host.history(&run.run_id).unwrap();
            let module = host.engine().load(&component_bytes("misbehave")).unwrap();
            let stats = weft_host::replay::replay(host.engine(), &module, &events).unwrap();
            assert_eq!((stats.events, stats.tasks), (events.len(), 0));
        }
    }

    // Input that does not decode fails the start, not a run: nothing is recorded.
    let refused = host
        .start(StartRequest {
            workflow_id: Some("bad-input".into()),
            ..StartRequest::new("hello", Payload::json(&json!({"not": "a string"})))
        })
        .await
        .unwrap_err();
    let message = refused.to_string();
    assert!(
        message.contains("hello") && message.contains("input does not decode"),
        "{message}"
    );
    assert!(host.find_run("bad-input").is_err());

    let (run, ok) = healthy.await.unwrap();
    assert_eq!(completed(&ok), json!("Hello, neighbour!"));
    assert_replays(&host, "hello", &host.history(&run).unwrap());
}

/// `#[workflow(fail_on_panic)]` turns a panic into the run's failure; a sleep of
/// `Duration::MAX` is a timer that never fires, not an overflow.
#[tokio::test]
async fn fail_on_panic_fails_the_run_and_huge_sleeps_saturate() {
    let env = test_env().manual_time().start().await.unwrap();
    let host = env.host();
    host.deploy(component_bytes("misbehave"), "misbehave", false)
        .await
        .unwrap();
    let (run, outcome) = env.execute("panics_fatally", json!(null)).await.unwrap();
    let message = failure_message(&outcome);
    assert!(message.starts_with("weft.WorkflowTaskFailed"), "{message}");
    assert!(message.contains("fails on a panic"), "{message}");
    assert!(message.contains("misbehave/src/lib.rs"), "{message}");
    let events = host.history(&run.run_id).unwrap();
    assert!(matches!(
        events.last(),
        Some(weft_host::history::Event::TaskFailed(_))
    ));
    assert_replays(host, "misbehave", &events);

    let run = env.start("sleeps_forever", json!(null)).await.unwrap();
    let timers = poll::until_async("the endless sleep's timer", || async {
        let history = weft_host::history::History::new(host.history(&run.run_id).unwrap());
        Some(history.pending().1).filter(|timers| !timers.is_empty())
    })
    .await;
    assert_eq!(timers.len(), 1);
    assert_eq!(timers[0].fire_at_ms, u64::MAX);
    env.skip(std::time::Duration::from_secs(10 * 365 * 86_400));
    let d = weft_host::api::describe::describe(host, &run.run_id).unwrap();
    assert!(d.run.status.is_open());
    assert_eq!(d.pending_timers[0].fire_at_ms, u64::MAX);
}

#[tokio::test]
async fn bad_modules_are_rejected_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let host = host(dir.path()).await;
    let err = host
        .deploy(b"this is not wasm".to_vec(), "junk", false)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("not a valid WebAssembly component"),
        "{err}"
    );
    // An empty component is valid WebAssembly but not the weft:workflow world.
    let empty_component = b"\0asm\x0d\x00\x01\x00".to_vec();
    let err = host
        .deploy(empty_component, "empty", false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("weft:workflow"), "{err}");
    // Nothing was deployed, so nothing can start.
    let err = host
        .start(weft_host::StartRequest::new(
            "hello",
            weft_host::contract::Payload::json(&json!("x")),
        ))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("no deployed module exports the workflow type `hello`"),
        "{err}"
    );
}

#[test]
fn cli_reports_bad_files_and_input() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let junk = dir.path().join("junk.wasm");
    std::fs::write(&junk, b"junk").unwrap();
    let out = weft()
        .args(["run", "--data"])
        .arg(&data)
        .arg(&junk)
        .args(["hello"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a valid WebAssembly component"));

    let out = weft()
        .args(["run", "--data"])
        .arg(&data)
        .arg(component("hello"))
        .args(["hello", "--input", "{not json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--input is not valid JSON"));

    let out = weft()
        .args(["run", "--data"])
        .arg(&data)
        .arg(component("hello"))
        .args(["hello", "--input", "42"])
        .output()
        .unwrap();
    // Input that does not decode as the workflow's type is refused at the start.
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("input does not decode"), "{err}");

    let out = weft()
        .args(["history", "export", "--data"])
        .arg(&data)
        .args(["nope", "-o", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
}

/// A query handler that never returns fails the query at the task deadline, never the
/// workflow; oversized and nameless messages are refused before anything is recorded;
/// the workflow then completes normally.
#[tokio::test]
async fn a_query_that_never_returns_fails_alone() {
    use weft_host::runtime::MessageError;
    use weft_host::testing::TestEnvError;

    let env = test_env().start().await.unwrap();
    env.deploy(component_bytes("misbehave"), "misbehave")
        .await
        .unwrap();
    let run = env.start("spins_in_query", json!(null)).await.unwrap();
    let id = run.workflow_id.as_str();
    match env.query::<u64>(id, "spin", json!(null)).await {
        Err(TestEnvError::Message(MessageError::Failed(f))) => {
            assert!(f.message.contains("deadline"), "{}", f.message)
        }
        other => panic!("expected a failed query, got {other:?}"),
    }
    let before = env.host().history(&run.run_id).unwrap().len();
    let oversized = env.signal(id, "done", json!("x".repeat(3 << 20))).await;
    assert!(
        matches!(oversized, Err(TestEnvError::Message(MessageError::Invalid(ref m))) if m.contains("limit")),
        "{oversized:?}"
    );
    let nameless = env.signal(id, "", json!(null)).await;
    assert!(
        matches!(
            nameless,
            Err(TestEnvError::Message(MessageError::Invalid(_)))
        ),
        "{nameless:?}"
    );
    let unknown = env.signal("no-such-execution", "done", json!(null)).await;
    assert!(
        matches!(
            unknown,
            Err(TestEnvError::Message(MessageError::NotFound(_)))
        ),
        "{unknown:?}"
    );
    assert_eq!(env.host().history(&run.run_id).unwrap().len(), before);

    env.signal(id, "done", json!(null)).await.unwrap();
    let outcome = env.host().wait(&run.run_id).await.unwrap();
    assert_eq!(completed(&outcome), json!(null));
    assert_replays(
        env.host(),
        "misbehave",
        &env.host().history(&run.run_id).unwrap(),
    );
}
