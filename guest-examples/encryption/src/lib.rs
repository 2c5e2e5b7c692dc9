//! `encryption`: a workflow whose every payload is sensitive, for a host that stores
//! payloads encrypted at rest (`weft server --codec-keys keys.json`).
//!
//! Input: a statement (`{"customer": "…", "card": "…", "attachment": "…"}`). The card
//! goes through the `to_upper` activity (an activity input and output), the workflow
//! waits for the signal `approve` (a note, e.g. who approved), and returns a receipt
//! with all of it. The workflow is ordinary code: the codec encrypts and decrypts at the
//! host's storage boundary, so nothing here knows about keys.

use std::time::Duration;

use example_activities_api::ToUpper;
use serde::{Deserialize, Serialize};
use weft_sdk::{workflow, ActivityOptions, WfContext, WfResult};

#[derive(Debug, Serialize, Deserialize)]
pub struct Statement {
    pub customer: String,
    pub card: String,
    /// A document that travels with the statement (large ones are compressed).
    #[serde(default)]
    pub attachment: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Receipt {
    pub customer: String,
    pub card: String,
    pub approved_by: String,
    pub attachment_bytes: usize,
}

#[workflow]
pub async fn encryption(ctx: WfContext, statement: Statement) -> WfResult<Receipt> {
    let options = ActivityOptions::start_to_close(Duration::from_secs(10));
    let card = ctx.activity(ToUpper, statement.card, &options).await?;
    let approved_by = ctx.signal_channel::<String>("approve").recv().await;
    Ok(Receipt {
        customer: statement.customer,
        card,
        approved_by,
        attachment_bytes: statement.attachment.len(),
    })
}

weft_sdk::export_workflows!(encryption);
