//! Queries, ported from Temporal's feature suite (`features/query/*`), and queries to
//! runs whose instance was evicted or that have closed. One test per feature, named
//! after it; every test replays what it recorded.

use crate::support;

use serde_json::json;
use support::features::{env, env_with, replays, result, start};
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
