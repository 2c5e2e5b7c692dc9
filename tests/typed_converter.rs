//! The `typed-converter` example: input is checked on the way in. An input that does
//! not decode into the workflow's type, or breaks the type's `Validate` rules, fails
//! the start with an error naming the field; no run is recorded and the id stays free.

use crate::support;

use serde_json::{json, Value};
use support::{assert_replays, completed, component_bytes, test_env};
use weft_host::contract::Payload;
use weft_host::runtime::{StartError, StartRequest};
use weft_host::testing::TestEnv;

async fn env() -> TestEnv {
    let env = test_env().start().await.unwrap();
    env.deploy(component_bytes("typed-converter"), "typed-converter")
        .await
        .unwrap();
    env
}

async fn refused(env: &TestEnv, input: Value) -> String {
    let request = StartRequest {
        workflow_id: Some("order-1".into()),
        ..StartRequest::new("place_order", Payload::json(&input))
    };
    match env.host().start(request).await {
        Err(StartError::InvalidInput(message)) => {
            let runs = env.host().runs().unwrap();
            assert!(runs.is_empty(), "nothing is recorded: {runs:?}");
            message
        }
        other => panic!("expected the start to be refused, got {other:?}"),
    }
}

#[tokio::test]
async fn input_that_fails_validation_fails_the_start_naming_the_field() {
    let env = env().await;
    let zero = refused(
        &env,
        json!({"customer": "ada", "items": [
            {"sku": "TEA-001", "quantity": 2}, {"sku": "TEA-002", "quantity": 0}]}),
    )
    .await;
    assert!(
        zero.contains("items[1].quantity: must be between 1 and 100"),
        "{zero}"
    );
    let sku = refused(
        &env,
        json!({"customer": "ada", "items": [{"sku": "tea", "quantity": 1}]}),
    )
    .await;
    assert!(sku.contains("items[0].sku: `tea` is not a SKU"), "{sku}");
    let empty = refused(&env, json!({"customer": " ", "items": []})).await;
    assert!(empty.contains("customer: must not be empty"), "{empty}");
}

#[tokio::test]
async fn input_that_does_not_decode_fails_the_start_naming_the_field() {
    let env = env().await;
    let typo = refused(
        &env,
        json!({"customer": "ada", "items": [{"sku": "TEA-001", "quantity": "two"}]}),
    )
    .await;
    assert!(
        typo.contains("items[0].quantity: invalid type: string \"two\""),
        "{typo}"
    );
    let missing = refused(&env, json!({"items": []})).await;
    assert!(missing.contains("missing field `customer`"), "{missing}");
    let unknown = refused(&env, json!({"customer": "ada", "items": [], "coupon": "X"})).await;
    assert!(unknown.contains("unknown field `coupon`"), "{unknown}");
}

#[tokio::test]
async fn valid_input_starts_and_completes_under_the_same_id() {
    let env = env().await;
    refused(
        &env,
        json!({"customer": "ada", "items": [{"sku": "TEA-001", "quantity": 0}]}),
    )
    .await;
    // The refused start left the id free.
    let run = env
        .host()
        .start(StartRequest {
            workflow_id: Some("order-1".into()),
            ..StartRequest::new(
                "place_order",
                Payload::json(
                    &json!({"customer": "ada", "items": [{"sku": "TEA-001", "quantity": 3}]}),
                ),
            )
        })
        .await
        .unwrap();
    let outcome = env.host().wait(&run.run_id).await.unwrap();
    assert_eq!(
        completed(&outcome),
        json!({"customer": "ada", "lines": 1, "units": 3})
    );
    assert_replays(
        env.host(),
        "typed-converter",
        &env.host().history(&run.run_id).unwrap(),
    );
}
