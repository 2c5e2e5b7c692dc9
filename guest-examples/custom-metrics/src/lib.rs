//! `custom-metrics`: a checkout that charges each order through the `charge_card`
//! activity and keeps numbers for a dashboard.
//!
//! The workflow counts orders by outcome (`checkout_orders_total{outcome}`) and sets
//! the size of the last basket (`checkout_basket_size`) through `ctx.metrics()`; the
//! activity counts payments (`payments_total{outcome}`) and observes the amounts
//! (`payment_amount_cents`) through its context. `weft server` serves them with its own
//! metrics at `GET /metrics`. A workflow's values are dropped while it replays, so an
//! instance rebuilt from its history does not count its orders twice.
//!
//! Input: `{"orders": [{"card": "4242-4242-4242-4242", "amount_cents": 1200}, ...]}`.
//! Result: `{"charged": n, "declined": m}`.

use std::time::Duration;

use example_activities_api::{ChargeCard, Payment};
use serde::{Deserialize, Serialize};
use weft_sdk::{workflow, ActivityOptions, RetryPolicy, WfContext, WfResult};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Basket {
    pub orders: Vec<Payment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkout {
    pub charged: u32,
    pub declined: u32,
}

#[workflow]
pub async fn checkout(ctx: WfContext, basket: Basket) -> WfResult<Checkout> {
    ctx.metrics()
        .set("checkout_basket_size", basket.orders.len() as f64, &[]);
    let options = ActivityOptions::start_to_close(Duration::from_secs(10)).retry(RetryPolicy {
        maximum_attempts: 1,
        ..RetryPolicy::default()
    });
    let mut result = Checkout {
        charged: 0,
        declined: 0,
    };
    for order in basket.orders {
        let outcome = match ctx.activity(ChargeCard, order, &options).await {
            Ok(_) => {
                result.charged += 1;
                "charged"
            }
            Err(_) => {
                result.declined += 1;
                "declined"
            }
        };
        ctx.metrics()
            .add("checkout_orders_total", 1.0, &[("outcome", outcome)]);
    }
    Ok(result)
}

weft_sdk::export_workflows!(checkout);

#[cfg(test)]
mod tests {
    use weft_sdk::testing::{self, Harness};
    use weft_sdk::wit::{Command, MetricKind};

    #[test]
    fn counts_each_order_once() {
        let mut harness = Harness::new::<super::checkout>();
        let basket = super::Basket {
            orders: vec![example_activities_api::Payment {
                card: "4242-4242-4242-4242".into(),
                amount_cents: 500,
            }],
        };
        let commands = harness.start(&basket).unwrap();
        assert!(matches!(commands[0].command, Command::ScheduleActivity(_)));
        let done = harness
            .activate(vec![testing::complete_activity(1, &"pay-4242-500")])
            .unwrap();
        assert_eq!(
            testing::completed::<super::Checkout>(&done),
            Some(super::Checkout {
                charged: 1,
                declined: 0
            })
        );
        let metrics = harness.metrics();
        assert_eq!(metrics.len(), 2, "{metrics:?}");
        assert_eq!(metrics[0].name, "checkout_basket_size");
        assert_eq!(metrics[0].kind, MetricKind::Gauge);
        assert_eq!(metrics[1].name, "checkout_orders_total");
        assert_eq!(
            metrics[1].labels,
            vec![("outcome".to_string(), "charged".to_string())]
        );
    }
}
