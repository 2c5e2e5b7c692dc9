//! `dsl`: a workflow that interprets a definition given as its input — the pattern
//! Temporal's guide calls dynamic workflows, where the steps come from data (a user's
//! flow editor, a config file) rather than from code.
//!
//! The example host's activities run this one (`example.json` in the crate), which
//! returns `"Hello, ABC!"`:
//!
#![doc = concat!("```json\n", include_str!("../example.json"), "```")]
//!
//! The variables start as `input`; an activity step named `x` stores its result as `x`,
//! and `{"ref": "x"}` (or a dotted path, `"x.field.0"`) anywhere in a later step's input
//! or condition stands for it. The kinds ([`StepKind`]):
//!
//! - `activity`: calls the activity by name; its `timeout_s` (10 s unless given) and
//!   `retry` (the SDK's default policy unless given) are the activity's own;
//! - `parallel`: runs its branches at once, each its steps in order on its own copy of
//!   the variables; what they set is merged in branch order;
//! - `conditional`: runs `then` when `if` holds, `else` otherwise;
//! - `loop`: runs `steps` `times` times or `while` a condition holds, at most
//!   `max_iterations` (100) times.
//!
//! On those three, `timeout_s` is a durable timer that fails the step (`StepTimeout`)
//! and cancels what it had pending, and `retry` runs the whole step again after a
//! failure, with the policy's backoff. The workflow returns the variable named by
//! `result`, or every variable. A step that fails fails the run with the error type it
//! failed with and a message that names the step and where it sits (``step `both`:
//! branch 2: step `charge`: activity `charge_card` failed: …``).
//!
//! The definition is the input, so it is in the history: a replay interprets the same
//! definition and makes the same decisions.

pub mod definition;
pub mod expressions;
pub mod interpreter;

pub use definition::{Condition, Definition, Retry, Step, StepKind};
pub use interpreter::{INVALID_DEFINITION, LOOP_LIMIT, STEP_TIMEOUT};

use serde_json::Value;
use weft_sdk::{workflow, WfContext, WfResult, WorkflowError};

use expressions::{lookup, Variables};

#[workflow]
pub async fn dsl(ctx: WfContext, definition: Definition) -> WfResult<Value> {
    let mut variables = Variables::new();
    variables.insert("input".to_owned(), definition.input.clone());
    interpreter::run_steps(&ctx, &definition.steps, &mut variables).await?;
    match &definition.result {
        Some(name) => lookup(&variables, name).map_err(|e| {
            WorkflowError::new(format!("the result: {e}")).with_type(INVALID_DEFINITION)
        }),
        None => Ok(Value::Object(variables.into_iter().collect())),
    }
}

weft_sdk::export_workflows!(dsl);

#[cfg(test)]
mod tests;
