//! Search attributes and memo.
//!
//! `order`: an order that upserts its status as it progresses, so that operators find
//! orders by business fields: `weft list --query "OrderStatus = 'shipped'"`. Input:
//! `{"order_id": "o-7", "amount": 120}`. It sets `OrderId` (Keyword), `Amount` (Int)
//! and `OrderStatus` = `placed`, then moves to the status each `advance` signal names
//! (`paid`, `shipped`, …) until `delivered`, recording the step in the memo
//! (`last_step`) and the statuses seen in `Steps` (KeywordList). Returns the statuses.
//!
//! `sa_set` (Temporal's `search_attributes/set`): returns the search attributes the
//! run was started with, as the workflow sees them.
//!
//! `sa_upsert` (`search_attributes/upsert`): upserts an Int and a Bool, then removes
//! the Int and sets a Keyword, a Text, a Datetime and a Double; returns what it sees.
//!
//! `sa_carry`: upserts an attribute and a memo entry, then continues as new once; the
//! next run returns the search attributes and memo it got.
//!
//! `sa_retype`: gives `Amount` an Int, then a Keyword, which the host refuses (the task
//! fails and is retried with a message naming the attribute).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use weft_sdk::{workflow, SearchAttributeValue as Sa, WfContext, WfResult};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Order {
    pub order_id: String,
    pub amount: i64,
}

#[workflow(name = "order")]
pub async fn order(ctx: WfContext, order: Order) -> WfResult<Vec<String>> {
    let mut steps = vec!["placed".to_string()];
    ctx.upsert_search_attributes([
        ("OrderId", Sa::keyword(&order.order_id)),
        ("Amount", Sa::Int(order.amount)),
        ("OrderStatus", Sa::keyword("placed")),
        ("Steps", Sa::keyword_list(steps.clone())),
    ]);
    let mut advance = ctx.signal_channel::<String>("advance");
    while steps.last().map(String::as_str) != Some("delivered") {
        let status = advance.recv().await;
        steps.push(status.clone());
        ctx.upsert_search_attributes([
            ("OrderStatus", Sa::keyword(&status)),
            ("Steps", Sa::keyword_list(steps.clone())),
        ]);
        ctx.upsert_memo(
            "last_step",
            &serde_json::json!({"status": status, "step": steps.len()}),
        );
    }
    Ok(steps)
}

#[workflow(name = "sa_set")]
pub async fn sa_set(ctx: WfContext, _input: ()) -> WfResult<BTreeMap<String, Sa>> {
    Ok(ctx.search_attributes())
}

#[workflow(name = "sa_upsert")]
#[allow(clippy::approx_constant)] // Temporal's feature upserts the Double 3.14
pub async fn sa_upsert(ctx: WfContext, _input: ()) -> WfResult<BTreeMap<String, Sa>> {
    ctx.upsert_search_attributes([("CustomInt", Sa::Int(123)), ("CustomBool", Sa::Bool(true))]);
    ctx.remove_search_attributes(["CustomInt"]);
    ctx.upsert_search_attributes([
        ("CustomKeyword", Sa::keyword("durable code")),
        ("CustomText", Sa::text("is useful")),
        ("CustomDatetime", Sa::datetime(ctx.now())),
        ("CustomDouble", Sa::Double(3.14)),
    ]);
    Ok(ctx.search_attributes())
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Carried {
    pub search_attributes: BTreeMap<String, Sa>,
    pub memo: Option<serde_json::Value>,
}

#[workflow(name = "sa_carry")]
pub async fn sa_carry(ctx: WfContext, run: u32) -> WfResult<Carried> {
    if run == 0 {
        ctx.upsert_search_attributes([("Generation", Sa::Int(1))]);
        ctx.upsert_memo("owner", "ada");
        return Err(ctx.continue_as_new(&1u32));
    }
    Ok(Carried {
        search_attributes: ctx.search_attributes(),
        memo: ctx.memo("owner"),
    })
}

#[workflow(name = "sa_retype")]
pub async fn sa_retype(ctx: WfContext, _input: ()) -> WfResult<()> {
    ctx.upsert_search_attributes([("Amount", Sa::Int(5))]);
    ctx.upsert_search_attributes([("Amount", Sa::keyword("five"))]);
    Ok(())
}

weft_sdk::export_workflows!(order, sa_set, sa_upsert, sa_carry, sa_retype);
