//! Search attributes and memo end to end, on the `search-attributes` example: the
//! ports of Temporal's `search_attributes/set` and `search_attributes/upsert`, values
//! carried across continue-as-new, a type change refused, and the `order` workflow
//! found by `weft list --query` on a real server. Every history replays.

use crate::support;

use serde_json::{json, Value};
use support::server::{fails_with, ok, Server};
use support::*;
use weft_host::contract::Payload;
use weft_host::history::{Command, Event, Outcome};
use weft_host::runtime::StartRequest;
use weft_host::{Datetime, SearchAttributeValue as Sa};

const EXAMPLE: &str = "search-attributes";

async fn env() -> weft_host::testing::TestEnv {
    let env = test_env().start().await.unwrap();
    env.deploy(component_bytes(EXAMPLE), EXAMPLE).await.unwrap();
    env
}

fn upserts(events: &[Event]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::Command(c) if matches!(c.command, Command::UpsertSearchAttributes(_))))
        .count()
}

#[tokio::test]
async fn search_attributes_set() {
    let env = env().await;
    let host = env.host();
    let due = Datetime::parse("2024-05-01T12:30:00.250Z").unwrap();
    let request = StartRequest {
        workflow_id: Some("sa-set".into()),
        ..StartRequest::new("sa_set", Payload::json(&Value::Null))
    }
    .search_attribute("CustomKeyword", Sa::keyword("test-value"))
    .search_attribute("CustomInt", Sa::Int(1))
    .search_attribute("CustomBool", Sa::Bool(true))
    .search_attribute("CustomDatetime", Sa::Datetime(due))
    .search_attribute("CustomKeywordList", Sa::keyword_list(["a", "b"]));
    let run = host.start(request).await.unwrap();
    let outcome = host.wait(&run.run_id).await.unwrap();
    let expected = json!({
        "CustomBool": {"type": "Bool", "value": true},
        "CustomDatetime": {"type": "Datetime", "value": "2024-05-01T12:30:00.250Z"},
        "CustomInt": {"type": "Int", "value": 1},
        "CustomKeyword": {"type": "Keyword", "value": "test-value"},
        "CustomKeywordList": {"type": "KeywordList", "value": ["a", "b"]},
    });
    // What the workflow sees (its info) is what was set...
    assert_eq!(completed(&outcome), expected);
    // ...and so is what describe shows.
    let described = weft_host::api::describe::describe(host, "sa-set").unwrap();
    assert_eq!(
        serde_json::to_value(&described.search_attributes).unwrap(),
        expected
    );
    // The index finds it by each of them.
    for q in [
        "CustomKeyword = 'test-value'",
        "CustomInt = 1",
        "CustomBool = true",
        "CustomDatetime = '2024-05-01T12:30:00.250Z'",
        "CustomKeywordList = 'b'",
    ] {
        let page = host.inspect().search(q, 0, 10).unwrap();
        assert_eq!(page.runs.len(), 1, "{q}");
        assert!(
            page.plan.starts_with("index search_attribute_index"),
            "{q}: {}",
            page.plan
        );
    }
    let events = host.history(&run.run_id).unwrap();
    assert_replays(host, EXAMPLE, &events);
}

#[tokio::test]
#[allow(clippy::approx_constant)] // Temporal's feature upserts the Double 3.14
async fn search_attributes_upsert() {
    let env = env().await;
    let host = env.host();
    let (run, outcome) = env.execute("sa_upsert", Value::Null).await.unwrap();
    let seen = completed(&outcome);
    // The Bool is kept, the Int is gone, the new keys are set.
    assert_eq!(seen["CustomBool"], json!({"type": "Bool", "value": true}));
    assert!(seen.get("CustomInt").is_none(), "{seen}");
    assert_eq!(seen["CustomKeyword"]["value"], "durable code");
    assert_eq!(
        seen["CustomText"],
        json!({"type": "Text", "value": "is useful"})
    );
    assert_eq!(
        seen["CustomDouble"],
        json!({"type": "Double", "value": 3.14})
    );
    assert_eq!(seen["CustomDatetime"]["type"], "Datetime");
    let described = weft_host::api::describe::describe(host, &run.run_id).unwrap();
    assert_eq!(
        serde_json::to_value(&described.search_attributes).unwrap(),
        seen
    );
    // Removed values leave the index; set ones are in it.
    let find = |q: &str| host.inspect().search(q, 0, 10).unwrap().runs.len();
    // A name no run holds a value of is not known to queries.
    let unknown = host.inspect().search("CustomInt = 123", 0, 10).unwrap_err();
    assert!(
        unknown.to_string().contains("unknown field `CustomInt`"),
        "{unknown}"
    );
    assert_eq!(find("CustomDouble > 3.0 AND CustomBool = true"), 1);
    assert_eq!(find("CustomKeyword STARTS_WITH 'durable'"), 1);
    let events = host.history(&run.run_id).unwrap();
    assert_eq!(upserts(&events), 3);
    assert_replays(host, EXAMPLE, &events);
}

#[tokio::test]
async fn current_values_carry_across_continue_as_new() {
    let env = env().await;
    let host = env.host();
    let first = host
        .start(StartRequest {
            workflow_id: Some("carry-1".into()),
            memo: vec![("team".into(), Payload::json(&json!("payments")))],
            ..StartRequest::new("sa_carry", Payload::json(&json!(0)))
        })
        .await
        .unwrap();
    assert_eq!(
        host.wait(&first.run_id).await.unwrap(),
        Outcome::ContinuedAsNew
    );
    let next = host.find_run("carry-1").unwrap();
    let outcome = host.wait(&next.run_id).await.unwrap();
    assert_eq!(
        completed(&outcome),
        json!({"search_attributes": {"Generation": {"type": "Int", "value": 1}}, "memo": "ada"})
    );
    let described = weft_host::api::describe::describe(host, "carry-1").unwrap();
    assert_eq!(described.memo["owner"], "ada");
    assert_eq!(described.memo["team"], "payments");
    assert_eq!(described.search_attributes["Generation"], Sa::Int(1));
    // Both runs carry the attribute, so both are found.
    let page = host.inspect().search("Generation = 1", 0, 10).unwrap();
    assert_eq!(page.runs.len(), 2);
    for run in [&first.run_id, &next.run_id] {
        assert_replays(host, EXAMPLE, &host.history(run).unwrap());
    }
}

#[tokio::test]
async fn a_type_change_fails_the_task_with_the_attribute_named() {
    let env = env().await;
    let host = env.host();
    let run = env.start("sa_retype", Value::Null).await.unwrap();
    let failing = poll::until_async("the retyping task to fail", || async {
        weft_host::api::describe::describe(host, &run.run_id)
            .unwrap()
            .failing_task
    })
    .await;
    assert!(
        failing.message.contains("`Amount` has type Int") && failing.message.contains("Keyword"),
        "{}",
        failing.message
    );
    // Nothing of the refused task is recorded, and a start with the other type is
    // refused too, before anything runs.
    assert_eq!(upserts(&host.history(&run.run_id).unwrap()), 0);
    // `Amount` has no type on the host yet (the refused upsert stored nothing): a start
    // gives it Keyword...
    host.start(
        StartRequest::new("sa_set", Payload::json(&Value::Null))
            .search_attribute("Amount", Sa::keyword("x")),
    )
    .await
    .unwrap();
    // ...and from then on an Int is refused at the start.
    let err = host
        .start(
            StartRequest::new("sa_set", Payload::json(&Value::Null))
                .search_attribute("Amount", Sa::Int(3)),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("has type Keyword"), "{err}");
}

fn order_ids(out: &str) -> Vec<String> {
    let page: Value = serde_json::from_str(out).unwrap();
    let mut ids: Vec<String> = page["executions"]
        .as_array()
        .unwrap_or_else(|| panic!("no executions array: {out}"))
        .iter()
        .map(|e| e["workflow_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn orders_are_found_by_their_status_with_weft_list_query() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let component = component(EXAMPLE);
    ok(server.cli(&["deploy", component.to_str().unwrap(), "--name", EXAMPLE]));
    for (id, amount) in [("o-1", 120), ("o-2", 40), ("o-3", 75)] {
        let input = json!({"order_id": id, "amount": amount}).to_string();
        ok(server.cli(&[
            "start",
            "order",
            "--id",
            id,
            "--input",
            &input,
            "--search-attribute",
            "Region=eu",
            "--memo",
            "channel=\"web\"",
        ]));
    }
    for (id, status) in [("o-1", "paid"), ("o-1", "shipped"), ("o-2", "paid")] {
        ok(server.cli(&["signal", id, "advance", "--input", &format!("\"{status}\"")]));
    }
    // A signal is durable once answered, but its upsert is the next task's: wait for
    // the query to see it (no timed wait: each check is a query answer).
    let list = |q: &str| ok(server.cli(&["list", "--query", q, "--json"]));
    let wait_for = |q: &str, n: usize| {
        poll::until_seen(&format!("{q} to find {n}"), || {
            let found = order_ids(&list(q));
            if found.len() == n {
                Ok(())
            } else {
                Err(found)
            }
        })
    };
    wait_for("OrderStatus = 'shipped'", 1);
    wait_for("OrderStatus = 'paid'", 1);
    assert_eq!(order_ids(&list("OrderStatus = 'shipped'")), ["o-1"]);
    assert_eq!(order_ids(&list("OrderStatus = 'paid'")), ["o-2"]);
    assert_eq!(order_ids(&list("Steps = 'paid'")), ["o-1", "o-2"]);
    assert_eq!(
        order_ids(&list(
            "Amount >= 50 AND Region = 'eu' AND ExecutionStatus = 'Running'"
        )),
        ["o-1", "o-3"]
    );
    assert_eq!(
        order_ids(&list("OrderId IN ('o-2', 'o-3') OR Amount > 100")),
        ["o-1", "o-2", "o-3"]
    );
    assert_eq!(
        order_ids(&list("WorkflowType = 'order'")),
        ["o-1", "o-2", "o-3"]
    );
    // ORDER BY a custom attribute; the table has one line per execution.
    let page: Value =
        serde_json::from_str(&list("WorkflowType = 'order' ORDER BY Amount DESC")).unwrap();
    let amounts: Vec<&str> = page["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["workflow_id"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["o-1", "o-3", "o-2"]);
    let table = ok(server.cli(&["list", "--query", "WorkflowType = 'order'"]));
    assert_eq!(
        table.lines().filter(|l| l.starts_with("o-")).count(),
        3,
        "{table}"
    );
    // Counts, grouped by status.
    assert_eq!(ok(server.cli(&["count", "--query", "Region = 'eu'"])), "3");
    let counted: Value = serde_json::from_str(&ok(server.cli(&[
        "count",
        "--query",
        "WorkflowType = 'order' GROUP BY ExecutionStatus",
        "--json",
    ])))
    .unwrap();
    assert_eq!(
        counted,
        json!({"count": 3, "groups": [{"status": "Running", "count": 3}]})
    );
    // A malformed query names the column and shows a caret under it (the server
    // refuses it: exit 5).
    let err = fails_with(server.cli(&["list", "--query", "OrderStatus = "]), 5);
    assert!(err.contains("column 15") && err.contains('^'), "{err}");
    // describe shows the current attributes and the merged memo; history show the upserts.
    let described = ok(server.cli(&["describe", "o-1"]));
    assert!(
        described.contains("OrderStatus = \"shipped\" (Keyword)"),
        "{described}"
    );
    assert!(
        described.contains("last_step") && described.contains("channel"),
        "{described}"
    );
    let shown = ok(server.cli(&["history", "show", "o-1"]));
    assert!(
        shown.contains("upsert-search-attributes")
            && shown.contains("OrderStatus=\"shipped\" (Keyword)"),
        "{shown}"
    );
    // The order completes once delivered; every history replays.
    ok(server.cli(&["signal", "o-1", "advance", "--input", "\"delivered\""]));
    let result = ok(server.cli(&["result", "o-1"]));
    assert_eq!(result, r#"["placed","paid","shipped","delivered"]"#);
    for id in ["o-1", "o-2", "o-3"] {
        server.assert_replays(id, EXAMPLE);
    }
    server.terminate();
    // Offline, from the data folder.
    let out = weft()
        .args([
            "list",
            "--query",
            "OrderStatus = 'delivered'",
            "--json",
            "--data",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(order_ids(&ok(out)), ["o-1"]);
}
