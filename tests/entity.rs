//! The "Long-running Entity" example (`guest-examples/entity`) the way a user drives it:
//! a real `weft server` on loopback and the CLI verbs `signal`, `update` (accepted and
//! rejected), `query` and `start --signal` (signal-with-start), on an account that
//! closes on a signal. The server keeps no instance cached, so every query and task
//! rebuilds the instance by replay; a closed run answers queries from its history.
//! And the account continuing as new runs on the test environment.

use crate::support;

use serde_json::json;
use support::server::{fails_with, ok, Server};
use support::*;

#[test]
fn entity_account_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&dir.path().join("data"), &[], &["--cache-size", "0"]);
    let component = component("entity");
    ok(server.cli(&["deploy", component.to_str().unwrap(), "--name", "entity"]));
    ok(server.cli(&[
        "start",
        "entity",
        "--input",
        r#"{"balance": 100}"#,
        "--id",
        "acct-1",
    ]));

    ok(server.cli(&[
        "signal",
        "acct-1",
        "deposit",
        "--input",
        r#"{"amount": 50}"#,
    ]));
    assert_eq!(ok(server.cli(&["query", "acct-1", "balance"])), "150");
    assert_eq!(
        ok(server.cli(&[
            "update",
            "acct-1",
            "withdraw",
            "--input",
            r#"{"amount": 30}"#
        ])),
        "120"
    );
    // Rejected by the validator: exit 3, nothing recorded, the balance unchanged.
    let refused = fails_with(
        server.cli(&[
            "update",
            "acct-1",
            "withdraw",
            "--input",
            r#"{"amount": 1000}"#,
        ]),
        3,
    );
    assert!(refused.contains("rejected"), "{refused}");
    assert_eq!(ok(server.cli(&["query", "acct-1", "balance"])), "120");
    // Accepted-only wait, then the same update id answers the completed result.
    ok(server.cli(&[
        "update",
        "acct-1",
        "withdraw",
        "--input",
        r#"{"amount": 20}"#,
        "--update-id",
        "w-1",
        "--wait",
        "accepted",
    ]));
    assert_eq!(
        ok(server.cli(&[
            "update",
            "acct-1",
            "withdraw",
            "--input",
            r#"{"amount": 20}"#,
            "--update-id",
            "w-1"
        ],)),
        "100"
    );
    // An unknown query fails (exit 3) and names the queries the workflow has.
    let unknown = fails_with(server.cli(&["query", "acct-1", "nope"]), 3);
    assert!(unknown.contains("balance"), "{unknown}");
    // Unknown ids and malformed input change nothing.
    fails_with(server.cli(&["signal", "no-such", "deposit"]), 4);
    fails_with(
        server.cli(&["signal", "acct-1", "deposit", "--input", "{oops"]),
        2,
    );
    // Signal-with-start to the open run delivers the signal there.
    let sws = ok(server.cli(&[
        "start",
        "entity",
        "--id",
        "acct-1",
        "--signal",
        "deposit",
        "--signal-input",
        r#"{"amount": 5}"#,
        "--json",
    ]));
    let sws: serde_json::Value = serde_json::from_str(&sws).unwrap();
    assert_eq!(sws["started"], json!(false), "{sws}");
    assert_eq!(ok(server.cli(&["query", "acct-1", "balance"])), "105");

    ok(server.cli(&["signal", "acct-1", "close"]));
    assert_eq!(ok(server.cli(&["result", "acct-1"])), r#"{"balance":105}"#);
    // Closed: queries still answer (from the history), signals are refused.
    assert_eq!(ok(server.cli(&["query", "acct-1", "balance"])), "105");
    fails_with(
        server.cli(&["signal", "acct-1", "deposit", "--input", r#"{"amount": 1}"#]),
        5,
    );
    let history = ok(server.cli(&["history", "show", "acct-1"]));
    assert!(history.contains("deposit"), "{history}");
    assert!(history.contains("withdraw"), "{history}");
    let describe = ok(server.cli(&["describe", "acct-1"]));
    assert!(describe.contains("withdraw"), "{describe}");

    // The run's history replays on the component.
    server.assert_replays("acct-1", "entity");
}

/// The HTTP routes directly: an update held past `wait_s` answers 202 `pending` and the
/// same update id asked again answers the result; a signal to an unknown id is 404, to a
/// closed run 409 `closed`; a malformed body is 400; an oversized one 413; a rejected
/// update is 422 `update_rejected`, a failed query 422 `query_failed`.
#[test]
fn entity_routes_answer_with_clear_codes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let (status, body) = server.post_bytes("/v1/modules?name=entity", &component_bytes("entity"));
    assert_eq!(status, 201, "{body}");
    let (status, body) = server.post_json(
        "/v1/executions",
        &json!({"workflow_type": "entity", "input": {"balance": 10}, "id": "acct-api"}),
    );
    assert_eq!(status, 201, "{body}");
    let update = |body: serde_json::Value| {
        server.post_json("/v1/executions/acct-api/updates/withdraw", &body)
    };
    let (status, body) = update(json!({"input": {"amount": 1}, "update_id": "held", "wait_s": 0}));
    assert_eq!(
        (status, body["stage"].as_str()),
        (202, Some("pending")),
        "{body}"
    );
    let (status, body) = update(json!({"input": {"amount": 1}, "update_id": "held"}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stage"], json!("completed"));
    assert_eq!(body["result"], json!(9));
    let (status, body) = update(json!({"input": {"amount": 100}}));
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("update_rejected")),
        "{body}"
    );
    let (status, body) = server.post_json("/v1/executions/acct-api/queries/nope", &json!({}));
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("query_failed")),
        "{body}"
    );
    let (status, body) = server.post_bytes("/v1/executions/acct-api/signals/deposit", b"{oops");
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    let big = json!({"input": "x".repeat(3 << 20)});
    let (status, body) = server.post_json("/v1/executions/acct-api/signals/deposit", &big);
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("too_large")),
        "{body}"
    );
    let (status, body) = server.post_json("/v1/executions/nobody/signals/deposit", &json!({}));
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let (status, _) = server.post_json("/v1/executions/acct-api/signals/close", &json!({}));
    assert_eq!(status, 200);
    assert_eq!(server.result("acct-api")["result"], json!({"balance": 9}));
    let (status, body) = server.post_json(
        "/v1/executions/acct-api/signals/deposit",
        &json!({"input": {"amount": 1}}),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("closed")),
        "{body}"
    );
    // The history holds one accepted update and no trace of the rejected one.
    let events = server.history("acct-api");
    let updates = events.iter().filter(|e| e.name() == "update").count();
    assert_eq!(updates, 1);
}

/// The account continues as a new run every 5 operations (as it does when the host
/// suggests it): balance and recent operations go on, no message is lost, each run of
/// the chain replays, and the last one closes with the balance of every operation.
#[tokio::test]
async fn entity_continues_as_new_and_keeps_its_account() {
    use weft_host::history::Outcome;
    use weft_host::storage::{RunFilter, Status};
    let env = test_env().start().await.unwrap();
    env.deploy(component_bytes("entity"), "entity")
        .await
        .unwrap();
    let input = json!({"balance": 100, "operations_per_run": 5});
    let first = support::features::start(&env, "entity", "acct-can", input).await;
    let mut balance = 100;
    for amount in 1..=12 {
        if amount % 4 == 0 {
            let answer = env
                .update("acct-can", "withdraw", json!({"amount": amount}))
                .await
                .unwrap()
                .unwrap();
            balance -= amount;
            assert_eq!(answer, json!(balance));
        } else {
            env.signal("acct-can", "deposit", json!({"amount": amount}))
                .await
                .unwrap();
            balance += amount;
        }
    }
    let operations: Vec<serde_json::Value> = env
        .query("acct-can", "operations", json!(null))
        .await
        .unwrap();
    assert_eq!(operations.len(), 12);
    assert_eq!(operations[11]["balance"], json!(balance));
    env.signal("acct-can", "close", json!(null)).await.unwrap();
    let last = env.host().find_run("acct-can").unwrap();
    let outcome = env.host().wait(&last.run_id).await.unwrap();
    assert_eq!(completed(&outcome), json!({"balance": balance}));

    // 12 operations, 5 per run: two runs continued, the third closed.
    let filter = RunFilter {
        workflow_type: Some("entity".into()),
        ..RunFilter::default()
    };
    let runs = env.host().list_runs(&filter, 100).unwrap();
    let chain: Vec<_> = runs
        .iter()
        .filter(|r| r.workflow_id == "acct-can")
        .collect();
    assert_eq!(chain.len(), 3, "{chain:?}");
    let continued = chain
        .iter()
        .filter(|r| r.status == Status::ContinuedAsNew)
        .count();
    assert_eq!(continued, 2);
    assert!(chain.iter().any(|r| r.run_id == first.run_id));
    for run in &chain {
        let events = env.host().history(&run.run_id).unwrap();
        assert_replays(env.host(), "entity", &events);
    }
    assert!(matches!(
        env.host().wait(&first.run_id).await.unwrap(),
        Outcome::ContinuedAsNew
    ));
}
