//! `looper`: a long loop kept in short runs with continue-as-new.
//!
//! Input: `{"iterations": N, "per_run": M}`. Each iteration waits a second on a durable
//! timer; after `M` iterations the run continues as new, carrying how far it got
//! (`done`), so no run's history holds more than `M` iterations. The last run returns
//! `{"iterations": N}`; `weft result <id>` follows the chain of runs to it.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use weft_sdk::{workflow, WfContext, WfResult, WorkflowError};

/// The loop's input, and the state each run hands to the next.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Looper {
    pub iterations: u64,
    pub per_run: u64,
    /// Iterations done by the earlier runs.
    #[serde(default)]
    pub done: u64,
}

/// What the last run returns.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Looped {
    pub iterations: u64,
}

#[workflow(name = "looper")]
pub async fn looper(ctx: WfContext, mut state: Looper) -> WfResult<Looped> {
    if state.per_run == 0 {
        return Err(WorkflowError::new("`per_run` must be at least 1").with_type("InvalidInput"));
    }
    let stop = state
        .done
        .saturating_add(state.per_run)
        .min(state.iterations);
    while state.done < stop {
        ctx.sleep(Duration::from_secs(1)).await?;
        state.done += 1;
    }
    if state.done < state.iterations {
        return Err(ctx.continue_as_new(&state));
    }
    Ok(Looped {
        iterations: state.done,
    })
}

weft_sdk::export_workflows!(looper);

#[cfg(test)]
mod tests {
    use weft_sdk::testing::{self, Harness};
    use weft_sdk::wit::Command;

    #[test]
    fn continues_as_new_after_per_run_iterations() {
        let mut harness = Harness::new::<super::looper>();
        let input = serde_json::json!({"iterations": 5, "per_run": 2});
        harness.start(&input).unwrap();
        harness.activate(vec![testing::fire_timer(1)]).unwrap();
        let done = harness.activate(vec![testing::fire_timer(2)]).unwrap();
        let Command::ContinueAsNew(next) = &done[0].command else {
            panic!("expected continue-as-new, got {done:?}");
        };
        let carried: serde_json::Value = serde_json::from_slice(&next.input.data).unwrap();
        assert_eq!(
            carried,
            serde_json::json!({"iterations": 5, "per_run": 2, "done": 2})
        );
        assert_eq!(next.workflow_type, None);
    }
}
