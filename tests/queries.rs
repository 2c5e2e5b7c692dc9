//! Queries, ported from Temporal's feature suite (`features/query/*`), and queries to
//! runs whose instance was evicted or that have closed. One test per feature, named
//! after it; every test replays what it recorded.

use crate::support;

use serde_json::json;
use support::features::{env, env_with, replays, result, start};
use support::server::{fails_with, ok, Server};
use support::{component, poll};
use weft_host::history::Event;
use weft_host::runtime::MessageError;
use weft_host::testing::{TestEnv, TestEnvError};

async fn counter(env: &TestEnv, id: &str) -> u64 {
    env.query(id, "get_counter", json!(null)).await.unwrap()
}

/// query/successful_query: queries see the effect of every signal acknowledged before
/// them: 0, then 1 after one signal, then 4 after three more; the run completes after
/// `finish`. Queries leave no trace in the history.
#[tokio::test]
async fn query_successful_query() {
    let env = env().await;
    let run = start(&env, "query_successful", "query-ok", json!(null)).await;
    assert_eq!(counter(&env, "query-ok").await, 0);
    env.signal("query-ok", "inc_counter", json!(null))
        .await
        .unwrap();
    assert_eq!(counter(&env, "query-ok").await, 1);
    for _ in 0..3 {
        env.signal("query-ok", "inc_counter", json!(null))
            .await
            .unwrap();
    }
    assert_eq!(counter(&env, "query-ok").await, 4);
    let before = env.host().history(&run.run_id).unwrap().len();
    assert_eq!(counter(&env, "query-ok").await, 4);
    assert_eq!(env.host().history(&run.run_id).unwrap().len(), before);
    env.signal("query-ok", "finish", json!(null)).await.unwrap();
    assert_eq!(result(&env, &run).await, json!(4));
    let events = replays(&env, &run);
    assert!(!events.iter().any(|e| e.name() == "query"));
}

/// query/unexpected_query_type_name: a query no handler answers fails with a message
/// that lists the names the workflow handles; the workflow goes on and completes.
#[tokio::test]
async fn query_unexpected_query_type_name() {
    let env = env().await;
    let run = start(&env, "query_successful", "query-unknown", json!(null)).await;
    let failed = env
        .query::<serde_json::Value>("query-unknown", "nonexistent", json!(null))
        .await;
    match failed {
        Err(TestEnvError::Message(MessageError::Failed(f))) => {
            assert!(f.message.contains("nonexistent"), "{}", f.message);
            assert!(f.message.contains("get_counter"), "{}", f.message);
        }
        other => panic!("expected a failed query, got {other:?}"),
    }
    env.signal("query-unknown", "finish", json!(null))
        .await
        .unwrap();
    assert_eq!(result(&env, &run).await, json!(0));
}

/// A run whose instance is not cached is answered by an instance rebuilt from its
/// history; a closed run too. An unknown id is not found.
#[tokio::test]
async fn queries_answer_evicted_and_closed_runs() {
    let env = env_with(TestEnv::builder().cache_size(0)).await;
    let run = start(&env, "query_successful", "query-evicted", json!(null)).await;
    for _ in 0..2 {
        env.signal("query-evicted", "inc_counter", json!(null))
            .await
            .unwrap();
    }
    let evicted: u64 = env
        .query("query-evicted", "get_counter", json!(null))
        .await
        .unwrap();
    assert_eq!(evicted, 2);
    env.signal("query-evicted", "finish", json!(null))
        .await
        .unwrap();
    assert_eq!(result(&env, &run).await, json!(2));
    let closed: u64 = env
        .query("query-evicted", "get_counter", json!(null))
        .await
        .unwrap();
    assert_eq!(closed, 2);
    let by_run: u64 = env
        .query(&run.run_id, "get_counter", json!(null))
        .await
        .unwrap();
    assert_eq!(by_run, 2);
    let names = env.host().handler_names("query-evicted").await.unwrap();
    assert_eq!(names.queries, ["get_counter"]);
    assert_eq!(names.signals, ["finish", "inc_counter"]);
    let missing = env
        .query::<u64>("no-such-run", "get_counter", json!(null))
        .await;
    assert!(
        matches!(
            missing,
            Err(TestEnvError::Message(MessageError::NotFound(_)))
        ),
        "{missing:?}"
    );
}

/// query/timeout_due_to_no_active_workers, adapted: weft has no workers to stop, but a
/// run whose every workflow task fails has no state to answer a query from. Asked on a
/// real server through the CLI, the query times out with a clear error naming the
/// failure (exit 3), instead of hanging or answering nonsense; once a fix is deployed
/// the run completes normally and answers again.
#[test]
fn query_timeout_due_to_no_active_workers() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::virtual_with(&dir.path().join("data"), "misbehave");
    ok(server.cli(&["start", "panics", "--id", "no-workers"]));
    poll::until("the run's task to fail", || {
        let events = server.history("no-workers");
        let failed = events
            .iter()
            .any(|e| matches!(e, Event::TaskAttemptFailed { .. }));
        failed.then_some(())
    });
    let timed_out = fails_with(server.cli(&["query", "no-workers", "state"]), 3);
    assert!(
        timed_out.contains("query `state` timed out: no workflow task of run"),
        "{timed_out}"
    );
    assert!(timed_out.contains("deliberate panic"), "{timed_out}");

    let fixed = component("misbehave-fixed");
    ok(server.cli(&["deploy", fixed.to_str().unwrap(), "--name", "misbehave"]));
    assert_eq!(ok(server.cli(&["result", "no-workers"])), "\"fixed\"");
    let metadata = ok(server.cli(&["query", "no-workers", "__weft_workflow_metadata"]));
    assert!(metadata.contains("queries"), "{metadata}");
    server.assert_replays("no-workers", "misbehave-fixed");
}
