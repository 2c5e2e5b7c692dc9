//! `exceptions`: typed activity failures, a retry policy that knows which are final,
//! and a workflow error that keeps its cause.
//!
//! Input: an [`Order`] (`{"id": "order-7", "card": "4242-4242-4242-4242",
//! "amount_cents": 1999}`). Result: the payment id (`"pay-4242-1999"`); or the run fails
//! with the error type `PaymentFailed` and a message that chains the causes:
//!
//! ```text
//! order order-7 was not charged: activity `charge_card` failed (CardDeclined): card ending 0002 declined for 1999 cents: insufficient funds
//! ```
//!
//! The activity `charge_card` fails with typed errors: `GatewayTimeout` (worth another
//! attempt) or `CardDeclined`. The retry policy lists `CardDeclined` as non-retryable,
//! so a declined card stops the retries at once, while timeouts are retried (1 s apart,
//! at most 5 attempts). The gateway's failure carries details (`{"last4", "reason"}`),
//! which the workflow passes on with its own failure. Cards that fail on purpose are in
//! `example-activities`.

use std::time::Duration;

use example_activities_api::{ChargeCard, Payment, CARD_DECLINED};
use serde::{Deserialize, Serialize};
use weft_sdk::{workflow, ActivityOptions, RetryPolicy, WfContext, WfResult, WorkflowError};

/// What to charge.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub card: String,
    pub amount_cents: u64,
}

/// The error type of a run whose order was not charged.
pub const PAYMENT_FAILED: &str = "PaymentFailed";

#[workflow]
pub async fn exceptions(ctx: WfContext, order: Order) -> WfResult<String> {
    let retry = RetryPolicy {
        initial_interval: Duration::from_secs(1),
        backoff_coefficient: 1.0,
        maximum_attempts: 5,
        non_retryable_error_types: vec![CARD_DECLINED.to_owned()],
        ..RetryPolicy::default()
    };
    let options = ActivityOptions::start_to_close(Duration::from_secs(10)).retry(retry);
    let payment = Payment {
        card: order.card,
        amount_cents: order.amount_cents,
    };
    ctx.activity(ChargeCard, payment, &options)
        .await
        .map_err(|error| {
            // The activity's error type goes into the message, so the chain reads
            // order → activity → gateway wherever the failure is shown; its details
            // go on as they are.
            let details = error.details::<serde_json::Value>();
            let failure = WorkflowError::new(format!(
                "order {} was not charged: activity `{}` {} ({}): {}",
                order.id,
                error.activity_type(),
                error.kind(),
                error.error_type(),
                error.message()
            ))
            .with_type(PAYMENT_FAILED);
            match details {
                Some(details) => failure.with_details(&details),
                None => failure,
            }
        })
}

weft_sdk::export_workflows!(exceptions);
