//! `dynamic-activities`: call activities by names that are only known at run time.
//!
//! Input: the calls to make, in order: `{"calls": [{"activity": "text.upper", "input":
//! "hello"}, {"activity": "word_count", "input": "one two three"}]}`. Result: what each
//! call gave, in the same order: `{"activity": "text.upper", "result": "HELLO"}`, or
//! for a call that failed `{"activity": …, "error_type": …, "error": …}` (a failed call
//! does not fail the run).
//!
//! The workflow names each activity with `ctx.activity_by_name`, input and result as
//! plain JSON. On the `weft` binary's host, `text.upper`, `text.lower` and
//! `text.reverse` are served by one dynamic handler (`register_dynamic`) that dispatches
//! on the name it was called by, and `word_count` is an ordinary registered activity,
//! which a host embedding weft may register while it runs. A name that neither knows
//! fails at once (`weft.UnknownActivity`, never retried), with a message that says what
//! to register.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use weft_sdk::{workflow, ActivityOptions, WfContext, WfResult};

/// The workflow's input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Calls {
    pub calls: Vec<Call>,
}

/// One activity to call.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Call {
    /// The activity's name.
    pub activity: String,
    /// Its input, as JSON.
    pub input: Value,
}

/// What one call gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub activity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[workflow(name = "dynamic-activities")]
pub async fn dynamic_activities(ctx: WfContext, input: Calls) -> WfResult<Vec<Outcome>> {
    let options = ActivityOptions::start_to_close(Duration::from_secs(10));
    let mut outcomes = Vec::with_capacity(input.calls.len());
    for call in input.calls {
        let result = ctx
            .activity_by_name::<Value>(&call.activity, &call.input, &options)
            .await;
        outcomes.push(match result {
            Ok(value) => Outcome {
                activity: call.activity,
                result: Some(value),
                error_type: None,
                error: None,
            },
            Err(error) => Outcome {
                activity: call.activity,
                result: None,
                error_type: Some(error.error_type().to_owned()),
                error: Some(error.message().to_owned()),
            },
        });
    }
    Ok(outcomes)
}

weft_sdk::export_workflows!(dynamic_activities);
