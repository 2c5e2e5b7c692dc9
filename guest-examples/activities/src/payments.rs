//! A fake card gateway that fails with typed errors, for the `exceptions` example.

use example_activities_api::{Payment, CARD_DECLINED, GATEWAY_TIMEOUT};
use weft_activity::{ActivityContext, ActivityError};

/// A card the gateway always declines.
pub const DECLINED_CARD: &str = "4000-0000-0000-0002";
/// A card whose gateway times out twice, and then declines it.
pub const FLAKY_DECLINED_CARD: &str = "4000-0000-0000-0119";

/// Charge `payment`: a payment id, or a typed failure (see [`ChargeCard`]).
///
/// Both failures are retryable as far as the activity knows: whether a declined card
/// is worth another attempt is the caller's call, made in its retry policy.
///
/// [`ChargeCard`]: example_activities_api::ChargeCard
pub(crate) async fn charge_card(
    ctx: ActivityContext,
    payment: Payment,
) -> Result<String, ActivityError> {
    let tail: Vec<char> = payment.card.chars().rev().take(4).collect();
    let last4: String = tail.into_iter().rev().collect();
    let declined = || {
        ActivityError::retryable(format!(
            "card ending {last4} declined for {} cents: insufficient funds",
            payment.amount_cents
        ))
        .with_type(CARD_DECLINED)
        .with_details(&serde_json::json!({"last4": last4, "reason": "insufficient funds"}))
    };
    let result = match payment.card.as_str() {
        DECLINED_CARD => Err(declined()),
        FLAKY_DECLINED_CARD if ctx.attempt < 3 => Err(ActivityError::retryable(format!(
            "the card gateway did not answer within 5 s (attempt {})",
            ctx.attempt
        ))
        .with_type(GATEWAY_TIMEOUT)),
        FLAKY_DECLINED_CARD => Err(declined()),
        _ => Ok(format!("pay-{last4}-{}", payment.amount_cents)),
    };
    count(&ctx, &payment, &result);
    result
}

/// The gateway's own numbers, as custom metrics beside the host's:
/// `payments_total{outcome}` and the distribution of charged amounts.
fn count(ctx: &ActivityContext, payment: &Payment, result: &Result<String, ActivityError>) {
    let outcome = match result {
        Ok(_) => "charged",
        Err(e) if e.error_type == CARD_DECLINED => "declined",
        Err(_) => "gateway_error",
    };
    let metrics = ctx.metrics();
    let recorded = metrics
        .add("payments_total", 1.0, &[("outcome", outcome)])
        .and_then(|()| match result {
            Ok(_) => metrics.observe("payment_amount_cents", payment.amount_cents as f64, &[]),
            Err(_) => Ok(()),
        });
    if let Err(e) = recorded {
        eprintln!("payment metrics: {e}");
    }
}
