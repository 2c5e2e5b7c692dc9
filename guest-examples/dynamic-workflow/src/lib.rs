//! `dynamic-workflow`: a module whose dynamic workflow serves every workflow type that no
//! deployed module exports, as Temporal's dynamic workflows do.
//!
//! Started as any such type with any input, it returns `{"type": <the type asked for>,
//! "input": <the input>}`. A real one would dispatch on the type: to an interpreter of
//! workflow definitions (see `guest-examples/dsl`), or to handlers registered by name.

use serde_json::{json, Value};
use weft_sdk::{workflow, WfContext, WfResult};

/// Serves the types no module exports; the type asked for is in `ctx.info()`.
#[workflow(dynamic)]
pub async fn any_type(ctx: WfContext, input: Value) -> WfResult<Value> {
    Ok(json!({"type": ctx.info().workflow_type, "input": input}))
}

weft_sdk::export_workflows!(any_type);

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};
    use weft_sdk::testing::{self, Harness};

    #[test]
    fn answers_with_the_type_it_was_started_as() {
        let mut harness = Harness::new::<super::any_type>();
        let done = harness.start_as("invoice.send", &json!(7)).unwrap();
        assert_eq!(
            testing::completed::<Value>(&done),
            Some(json!({"type": "invoice.send", "input": 7}))
        );
    }

    #[test]
    fn is_exported_under_the_dynamic_name() {
        assert_eq!(
            <super::any_type as weft_sdk::Workflow>::NAME,
            weft_sdk::DYNAMIC_WORKFLOW
        );
    }
}
