//! Custom metrics from a workflow and its activity, as the `custom-metrics` example
//! records them: served beside the host's own, and counted once although every task
//! of the run rebuilds its instance by replaying the history (cache of none).

use crate::support;

use serde_json::json;
use support::{activities, assert_replays, completed, component_bytes, test_env};

fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no sample {series} in\n{text}"))
}

#[tokio::test]
async fn workflow_and_activity_metrics_are_counted_once_across_replays() {
    let env = test_env()
        .activities(activities())
        .cache_size(0)
        .start()
        .await
        .unwrap();
    env.deploy(component_bytes("custom-metrics"), "custom-metrics")
        .await
        .unwrap();
    let basket = json!({"orders": [
        {"card": "4242-4242-4242-4242", "amount_cents": 1200},
        {"card": "4000-0000-0000-0002", "amount_cents": 300},
        {"card": "5555-5555-5555-4444", "amount_cents": 800},
    ]});
    let (run, outcome) = env.execute("checkout", basket).await.unwrap();
    assert_eq!(completed(&outcome), json!({"charged": 2, "declined": 1}));
    assert_replays(
        env.host(),
        "custom-metrics",
        &env.host().history(&run.run_id).unwrap(),
    );

    let text = env.host().render_metrics();
    assert!(
        sample(&text, "weft_rebuild_replays_total") >= 3.0,
        "every task replayed"
    );
    assert_eq!(sample(&text, "checkout_basket_size"), 3.0);
    assert_eq!(
        sample(&text, "checkout_orders_total{outcome=\"charged\"}"),
        2.0
    );
    assert_eq!(
        sample(&text, "checkout_orders_total{outcome=\"declined\"}"),
        1.0
    );
    assert_eq!(sample(&text, "payments_total{outcome=\"charged\"}"), 2.0);
    assert_eq!(sample(&text, "payments_total{outcome=\"declined\"}"), 1.0);
    assert_eq!(sample(&text, "payment_amount_cents_count"), 2.0);
    assert_eq!(sample(&text, "payment_amount_cents_sum"), 2000.0);
}
