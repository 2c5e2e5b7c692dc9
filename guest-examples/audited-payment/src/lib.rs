//! `audited-payment`: a card payment whose every step goes into an audit trail, with
//! the card's sensitive fields masked wherever the host shows them.
//!
//! Input: a [`PaymentRequest`] (`{"id": "p-7", "customer": "Ada", "card_number":
//! "4111 1111 1111 1111", "cvv": {"$sensitive": "123"}, "amount_cents": 1999}`). Result: a [`Receipt`]
//! (`{"payment_id": "pay-p-7", "customer": "Ada", "card_number": "4111 1111 1111 1111",
//! "card_fingerprint": "…", "amount_cents": 1999, "audit_entries": 3}`).
//!
//! The workflow authorizes the card (`authorize_card`), captures the payment
//! (`capture_payment`) and records each step through the `audit` activity: `received`
//! (the request), `authorized` (the authorization), `captured` (the capture); or
//! `declined` (the reason), after which the run fails with the error type
//! `PaymentDeclined`.
//!
//! What is sensitive: `card_number`, by its name (one of the host's default names), and
//! `cvv`, by its type (`Sensitive<String>`, which serializes as `{"$sensitive": "123"}`
//! and reads back from that or a bare `"123"`; a client writes it marked, so that the
//! start's input is masked too). The workflow and the activities get the
//! real values: `authorize_card` checks the card's check digit and returns a fingerprint
//! of the whole number, which a masked number could not give. Everything the host shows
//! (`weft describe`, `result`, `history show` and `export`, the web UI) has them masked,
//! `"****1111"` and `{"$sensitive": "****"}`; the audit trail masks them too.
//!
//! Activities it needs from the host: `authorize_card`, `capture_payment` and `audit`
//! (`example-activities`; `WEFT_EXAMPLE_AUDIT_LOG=<file>` names the trail's file).

use std::time::Duration;

use example_activities_api::{Audit, AuditEntry, AuthorizeCard, CapturePayment, PaymentRequest};
pub use example_activities_api::{Authorization, Capture};
use serde::{Deserialize, Serialize};
use weft_sdk::{workflow, ActivityOptions, RetryPolicy, WfContext, WfResult, WorkflowError};

/// The error type of a run whose card was not authorized.
pub const PAYMENT_DECLINED: &str = "PaymentDeclined";

/// What a made payment comes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub payment_id: String,
    pub customer: String,
    /// The card charged: shown masked (`****1111`) by the host.
    pub card_number: String,
    /// The gateway's fingerprint of the card (not sensitive: it does not give the
    /// number back).
    pub card_fingerprint: String,
    pub amount_cents: u64,
    /// How many entries the trail has for this run.
    pub audit_entries: u64,
}

#[workflow]
pub async fn audited_payment(ctx: WfContext, request: PaymentRequest) -> WfResult<Receipt> {
    let trail = Trail { ctx: &ctx };
    trail.record("received", &request).await?;
    let options = ActivityOptions::start_to_close(Duration::from_secs(10)).retry(RetryPolicy {
        maximum_attempts: 3,
        ..RetryPolicy::default()
    });
    let authorization = match ctx.activity(AuthorizeCard, request.clone(), &options).await {
        Ok(authorization) => authorization,
        Err(error) => {
            let reason = error.message().to_string();
            trail
                .record("declined", &serde_json::json!({ "reason": reason }))
                .await?;
            return Err(WorkflowError::new(format!(
                "payment {} was declined: {reason}",
                request.id
            ))
            .with_type(PAYMENT_DECLINED));
        }
    };
    trail.record("authorized", &authorization).await?;
    let capture = ctx
        .activity(
            CapturePayment,
            (authorization.authorization_id.clone(), request.amount_cents),
            &options,
        )
        .await?;
    let entries = trail.record("captured", &capture).await?;
    Ok(Receipt {
        payment_id: capture.payment_id,
        customer: request.customer,
        card_number: request.card_number,
        card_fingerprint: authorization.card_fingerprint,
        amount_cents: capture.amount_cents,
        audit_entries: entries,
    })
}

/// The run's audit trail: each step an `audit` activity.
struct Trail<'a> {
    ctx: &'a WfContext,
}

impl Trail<'_> {
    /// Record `step` with what it saw; the entry's number in the trail.
    async fn record(&self, step: &str, details: &impl Serialize) -> WfResult<u64> {
        let entry = AuditEntry {
            step: step.to_string(),
            details: serde_json::to_value(details)
                .map_err(|e| WorkflowError::new(format!("audit entry `{step}`: {e}")))?,
        };
        let options = ActivityOptions::start_to_close(Duration::from_secs(10));
        Ok(self.ctx.activity(Audit, entry, &options).await?)
    }
}

weft_sdk::export_workflows!(audited_payment);

#[cfg(test)]
mod tests;
