//! Workflow id policies on start, with Temporal's names: reuse (`allow-duplicate`,
//! `allow-duplicate-failed-only`, `reject-duplicate`) looks at the id's closed run;
//! conflict (`fail`, `use-existing`, `terminate-existing`) at its open one.

use crate::support;

use serde_json::json;
use support::features::{env, finish, result, start};
use support::server::{fails_with, Server};
use support::{component_bytes, weft};
use weft_host::contract::Payload;
use weft_host::history::Outcome;
use weft_host::names::WorkflowId;
use weft_host::runtime::{IdConflictPolicy, IdReusePolicy, StartError, StartRequest};

fn request(workflow_type: &str, id: &str) -> StartRequest {
    StartRequest {
        workflow_id: Some(id.to_string()),
        ..StartRequest::new(workflow_type, Payload::json(&json!(null)))
    }
}

#[tokio::test]
async fn conflict_policies_fail_or_use_the_open_run() {
    let env = env().await;
    let open = start(&env, "signal_basic", "conflict", json!(null)).await;
    let refused = env.host().start(request("signal_basic", "conflict")).await;
    assert!(
        matches!(refused, Err(StartError::AlreadyRunning(_))),
        "{refused:?}"
    );
    let existing = env
        .host()
        .start_execution(StartRequest {
            id_conflict_policy: IdConflictPolicy::UseExisting,
            ..request("signal_basic", "conflict")
        })
        .await
        .unwrap();
    assert!(!existing.started);
    assert_eq!(existing.run, open);
    env.signal("conflict", "my_signal", json!("done"))
        .await
        .unwrap();
    assert_eq!(result(&env, &open).await, json!("done"));
}

#[tokio::test]
async fn reuse_policies_look_at_the_closed_run() {
    let env = env().await;
    let with = |policy| StartRequest {
        id_reuse_policy: policy,
        ..request("signal_basic", "reuse")
    };
    // A completed run: allow-duplicate starts again; the others refuse.
    let first = start(&env, "signal_basic", "reuse", json!(null)).await;
    env.signal("reuse", "my_signal", json!("one"))
        .await
        .unwrap();
    result(&env, &first).await;
    for policy in [
        IdReusePolicy::AllowDuplicateFailedOnly,
        IdReusePolicy::RejectDuplicate,
    ] {
        let refused = env.host().start(with(policy)).await;
        match refused {
            Err(StartError::IdReused { policy: named, .. }) => {
                assert_eq!(named, policy.as_str())
            }
            other => panic!("{policy:?}: expected a refusal, got {other:?}"),
        }
    }
    let second = env
        .host()
        .start(with(IdReusePolicy::AllowDuplicate))
        .await
        .unwrap();
    assert_ne!(second.run_id, first.run_id);

    // A run that did not complete (terminated): failed-only starts again. (An input
    // that does not decode no longer makes a failed run: the start is refused.)
    env.signal("reuse", "my_signal", json!("two"))
        .await
        .unwrap();
    result(&env, &second).await;
    let refused = env
        .host()
        .start(StartRequest {
            workflow_id: Some("reuse-failed".into()),
            ..StartRequest::new("signal_with_start", Payload::json(&json!("not a number")))
        })
        .await;
    assert!(
        matches!(refused, Err(StartError::InvalidInput(_))),
        "{refused:?}"
    );
    let failing = start(&env, "signal_basic", "reuse-failed", json!(null)).await;
    env.host()
        .terminate("reuse-failed", "to end it without completing")
        .await
        .unwrap();
    let outcome = env.host().wait(&failing.run_id).await.unwrap();
    assert!(matches!(outcome, Outcome::Terminated(_)), "{outcome:?}");
    let again = env
        .host()
        .start(StartRequest {
            id_reuse_policy: IdReusePolicy::AllowDuplicateFailedOnly,
            ..request("signal_basic", "reuse-failed")
        })
        .await
        .unwrap();
    env.signal("reuse-failed", "my_signal", json!("three"))
        .await
        .unwrap();
    assert_eq!(result(&env, &again).await, json!("three"));
}

/// Conflict `terminate-existing`: the open run is terminated (with a reason that names
/// the policy) and a new run of the id starts.
#[tokio::test]
async fn conflict_policy_terminate_existing_replaces_the_open_run() {
    let env = env().await;
    let open = start(&env, "signal_basic", "replace", json!(null)).await;
    let replaced = env
        .host()
        .start_execution(StartRequest {
            id_conflict_policy: IdConflictPolicy::TerminateExisting,
            ..request("signal_basic", "replace")
        })
        .await
        .unwrap();
    assert!(replaced.started);
    assert_ne!(replaced.run.run_id, open.run_id);
    let Outcome::Terminated(reason) = finish(&env, &open).await else {
        panic!("the open run was not terminated");
    };
    assert!(reason.contains("terminate-existing"), "{reason}");
    env.signal("replace", "my_signal", json!("new"))
        .await
        .unwrap();
    assert_eq!(result(&env, &replaced.run).await, json!("new"));
}

/// A workflow id the API refuses, `Host::start` refuses too, with the same message,
/// and the command line refuses it before it asks the server anything.
#[tokio::test]
async fn a_bad_workflow_id_is_refused_alike_by_host_api_and_cli() {
    let bad = "line\nbreak";
    let env = env().await;
    let refused = env
        .host()
        .start(request("signal_basic", bad))
        .await
        .unwrap_err();
    assert!(matches!(refused, StartError::Invalid(_)), "{refused:?}");
    let message = refused.to_string();
    assert_eq!(message, WorkflowId::parse(bad).unwrap_err().to_string());
    assert!(message.contains("not a usable workflow id"), "{message}");

    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    server.post_bytes("/v1/modules?name=hello", &component_bytes("hello"));
    let (status, body) = server.post_json(
        "/v1/executions",
        &json!({"workflow_type": "hello", "input": "x", "id": bad}),
    );
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")));
    assert_eq!(body["message"].as_str(), Some(message.as_str()));

    let out = weft()
        .args(["start", "hello", "--id", bad, "--server", &server.url])
        .output()
        .unwrap();
    let said = fails_with(out, 2);
    assert!(said.contains(&message), "{said}");
}
